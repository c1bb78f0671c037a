"""What every seed file shares: names, fields, row types, CSV reading with one-line problems, and the sources."""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from territory import settings
from territory._errors import Problems
from territory.events import Event
from territory.names import slugify as slugify  # place ids are slugs of names

SOURCES_FILE = "sources.csv"
PLACES_FILE = "places.csv"
BASELINE_FILE = "baseline.geojson"
BASELINE_POINTS_FILE = "baseline_points.csv"
EVENTS_FILE = "events.csv"
PROPOSALS_FILE = "proposals.csv"
COLLAPSE_FILE = "collapse.csv"
GOLAN_LINE_FILE = "golan_line.csv"
DISPUTES_FILE = "disputes.csv"
DISPUTE_FIELDS = ("place_id", "valid_from", "valid_to", "controller", "source_id", "note")
GOLAN_LINE_FIELDS = ("order", "lat", "lon", "source_id", "note")
SEPARATION_ORDER = -2  # BaselineZone.order of the 'separation' member of baseline.geojson

SOURCE_FIELDS = ("id", "title", "publisher", "published", "url", "retrieved_from")
PLACE_FIELDS = (
    "id",
    "name",
    "alt_names",
    "lat",
    "lon",
    "kind",
    "governorate",
    "population",
    "source_id",
    "operator",
)
BASELINE_POINT_FIELDS = ("place_id", "controller", "source_id", "note")
EVENT_FIELDS = ("date", "place_id", "controller", "kind", "source_id", "note")
PROPOSAL_FIELDS = (
    "id",
    "label",
    "depth_miles",
    "proposed_by",
    "date",
    "status",
    "source_id",
    "note",
)
BASELINE_PROPERTIES = ("id", "controller", "source_id", "note")
COLLAPSE_FIELDS = ("date", "governorate", "controller", "source_id", "note", "except")

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A generous box around Syria: seed coordinates outside it are typos (swapped lat/lon, lost digits).
SYRIA_BBOX = (35.5, 32.2, 42.5, 37.5)  # min lon, min lat, max lon, max lat
# Baseline polygons may reach over the border (they are clipped to Syria) but not far.
BASELINE_BBOX = (34.5, 31.5, 43.5, 38.5)


@dataclass(frozen=True)
class Source:
    """A publication that facts are taken from."""

    id: str
    title: str
    publisher: str
    published: dt.date
    url: str  # the publisher's own page (for Wikipedia, en.wikipedia.org/wiki/… or an oldid)
    retrieved_from: str = ""  # the copy actually read (a mirror, an archive…), empty when it is ``url``


@dataclass(frozen=True)
class Place:
    """A seed place: an addition to GeoNames, or an override of a GeoNames place (same id)."""

    id: str
    name: str
    alt_names: tuple[str, ...]
    lat: float | None
    lon: float | None
    kind: str | None
    governorate: str | None
    population: int | None
    source_id: str
    line: int
    operator: str = ""  # a foreign state that runs the site (Russia, United States, Turkey…), else empty


@dataclass(frozen=True)
class BaselineZone:
    """An approximate pre-offensive zone held by one controller."""

    id: str
    controller: str
    source_id: str
    note: str
    geometry: Any  # shapely Polygon or MultiPolygon, WGS84
    order: int  # later zones are drawn over earlier ones


@dataclass(frozen=True)
class BaselinePoint:
    """A sourced statement of who held a place on the baseline date."""

    place_id: str
    controller: str
    source_id: str
    note: str
    line: int


@dataclass(frozen=True)
class Proposal:
    """A proposed (or de-facto) depth of a Turkish security zone inside Syria."""

    id: str
    label: str
    depth_miles: float
    proposed_by: str
    date: dt.date
    status: str
    source_id: str
    note: str


@dataclass(frozen=True)
class Dispute:
    """Another source's claim of who held a place from ``valid_from`` to ``valid_to`` (exclusive)."""

    place_id: str
    valid_from: dt.date
    valid_to: dt.date
    controller: str
    source_id: str
    note: str
    line: int


@dataclass(frozen=True)
class Collapse:
    """The end of government control in a whole governorate on a date.

    On ``date`` every place of ``governorate`` still held by the government (after that day's
    events) passes to ``controller``, except the places listed in ``keep``.
    """

    date: dt.date
    governorate: str
    controller: str
    source_id: str
    note: str
    keep: tuple[str, ...]
    line: int


@dataclass
class Seeds:
    """Everything in ``seeds/``, validated."""

    sources: dict[str, Source]
    places: list[Place]
    baseline: list[BaselineZone]  # the last item is the ``rest`` zone (no geometry of its own)
    baseline_points: list[BaselinePoint]
    events: list[Event]
    proposals: list[Proposal]
    collapses: list[Collapse] = field(default_factory=list)
    timeline: tuple[dt.date, dt.date] = field(default=(settings.BASELINE_DATE, settings.TIMELINE_MIN_END))
    golan: BaselineZone | None = None  # drawn by the build along ``golan_line`` (see outlines.occupied_golan)
    golan_line: list[tuple[float, float]] = field(default_factory=list)  # (lon, lat), north to south
    disputes: list[Dispute] = field(default_factory=list)  # where sources disagree with the timeline
    separation: BaselineZone | None = None  # the 1974 area of separation, drawn by the build (basedata)


# A curator's note in a title ("(no headline in the stored copy)"): the page had no headline of its own.
_NO_HEADLINE = re.compile(r"\s*\((?:no headline|untitled|no title)[^)]*\)\s*", re.IGNORECASE)


def display_title(src: Any) -> str:
    """A source's title for readers: its headline, or "" when the page had none (never a curator's note)."""
    title = str((src or {}).get("title") or "")
    return "" if _NO_HEADLINE.search(title) else title.strip()


def citation(src: Any) -> str:
    """``"Headline (Publisher, 2024-11-30)"``; without a headline, ``"Publisher, 2024-11-30"``."""
    src = src or {}
    title, publisher, published = display_title(src), str(src.get("publisher") or ""), str(src.get("published") or "")
    where = ", ".join(p for p in (publisher, published) if p)
    return f"{title} ({where})" if title and where else title or where


def _hint(value: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def field_count_problem(row: list[str], fields: tuple[str, ...]) -> str | None:
    """What is wrong with the number of a row's cells (seed files, uploads in the seeds format), or None."""
    if len(row) == len(fields):
        return None
    return f"has {len(row)} fields; expected {len(fields)} ({','.join(fields)})"


def _read_csv(
    path: Path, fields: tuple[str, ...], problems: Problems, rel: str
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line, row)``; header and shape problems are reported, bad rows skipped."""
    if not path.exists():
        problems.add(rel, f"file is missing; expected a CSV with columns {', '.join(fields)}")
        return
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.add(rel, f"is not UTF-8 text ({exc.reason} at byte {exc.start})")
        return
    reader = csv.reader(text.splitlines())
    try:
        header = next(reader)
    except StopIteration:
        problems.add(f"{rel}:1", f"file is empty; expected the header {','.join(fields)}")
        return
    header = [h.strip() for h in header]
    if tuple(header) != fields:
        problems.add(
            f"{rel}:1",
            f"header is {','.join(header)!r}; expected {','.join(fields)!r}",
        )
        return
    for row in reader:
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if what := field_count_problem(row, fields):
            problems.add(f"{rel}:{line}", what)
            continue
        yield line, {k: v.strip() for k, v in zip(fields, row, strict=True)}


def iso_date(value: str) -> tuple[dt.date | None, str | None]:
    """A seed date (``YYYY-MM-DD``) and None, or None and what is wrong with it (starting with the value)."""
    if not DATE_RE.match(value):
        return None, f"{value!r} is not a date; expected YYYY-MM-DD"
    try:
        return dt.date.fromisoformat(value), None
    except ValueError:
        return None, f"{value!r} is not a real calendar date; expected YYYY-MM-DD"


def _parse_date(value: str, where: str, name: str, problems: Problems) -> dt.date | None:
    date, what = iso_date(value)
    if what:
        problems.add(where, f"{name} {what}")
    return date


def source_problem(value: str, sources: Mapping[str, Any]) -> str | None:
    """What is wrong with a ``source_id`` cell (``is empty…`` or the quoted value first), or None."""
    if not value:
        return "is empty; expected the id of a row in seeds/sources.csv"
    if value not in sources:
        return f"{value!r} is not in seeds/sources.csv{_hint(value, sources)}"
    return None


def _check_source(value: str, where: str, sources: Mapping[str, Any], problems: Problems) -> None:
    if what := source_problem(value, sources):
        problems.add(where, f"source_id {what}")


def _check_choice(value: str, name: str, choices: Iterable[str], where: str, problems: Problems) -> bool:
    choices = tuple(choices)
    if value in choices:
        return True
    problems.add(where, f"{name} {value!r} is unknown{_hint(value, choices)}; expected one of {', '.join(choices)}")
    return False


URL_RE = re.compile(r"^https?://[^\s/]+\.[^\s]+$")


def mirror_host(url: str) -> str | None:
    """The host of ``url`` if it serves copies of other publishers' pages, else None.

    A host listed in ``settings.MIRROR_HOSTS`` (or a subdomain of one), a raw IP address, or a
    host with an ``ipfs``/``ipns`` label (IPFS gateways) is a copy, never the publisher.
    """
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    if not host:
        return None
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    if any(label in ("ipfs", "ipns") for label in host.split(".")):
        return host
    for listed in settings.MIRROR_HOSTS:
        if host == listed or host.endswith("." + listed):
            return host
    return None


def _check_source_urls(row: dict[str, str], where: str, problems: Problems) -> bool:
    """``url`` is the publisher's page (never a known copy); ``retrieved_from`` an http(s) URL or empty."""
    ok = True
    url, copy = row["url"], row["retrieved_from"]
    if not URL_RE.match(url):
        problems.add(where, f"url {url!r} is not an http(s) URL")
        ok = False
    elif (host := mirror_host(url)) is not None:
        problems.add(
            where,
            f"url {url!r} is a copy on {host} (mirror, proxy, translation, IPFS, raw IP or repost); "
            "expected the publisher's own page in url and this copy in retrieved_from",
        )
        ok = False
    if copy and not URL_RE.match(copy):
        problems.add(where, f"retrieved_from {copy!r} is not an http(s) URL; expected the copy read, or empty")
        ok = False
    elif copy and copy == url:
        problems.add(where, f"retrieved_from {copy!r} repeats url; expected it empty when the copy read is url")
        ok = False
    return ok


def _load_sources(root: Path, problems: Problems) -> dict[str, Source]:
    rel = f"seeds/{SOURCES_FILE}"
    sources: dict[str, Source] = {}
    for line, row in _read_csv(root / SOURCES_FILE, SOURCE_FIELDS, problems, rel):
        where = f"{rel}:{line}"
        ok = True
        if not SLUG_RE.match(row["id"]):
            problems.add(where, f"id {row['id']!r} is not a slug; expected e.g. 'wiki-battle-of-aleppo'")
            ok = False
        elif row["id"] in sources:
            problems.add(where, f"id {row['id']!r} is a duplicate; ids must be unique")
            ok = False
        for name in ("title", "publisher"):
            if not row[name]:
                problems.add(where, f"{name} is empty; expected the source's {name}")
                ok = False
        if not _check_source_urls(row, where, problems):
            ok = False
        published = _parse_date(row["published"], where, "published", problems)
        if published is not None and published > dt.date.today():
            problems.add(where, f"published {row['published']!r} is in the future")
            ok = False
        if ok and published is not None:
            sources[row["id"]] = Source(
                row["id"], row["title"], row["publisher"], published, row["url"], row["retrieved_from"]
            )
        elif row["id"] and row["id"] not in sources and SLUG_RE.match(row["id"]):
            # Keep the id known so that rows citing it are not reported twice.
            sources[row["id"]] = Source(row["id"], row["title"], row["publisher"], settings.BASELINE_DATE, row["url"])
    return sources
