"""Load and validate ``seeds/``: the only files where facts are typed in by hand.

:func:`load_seeds` reads every seed file, checks every row and raises one
:class:`~territory._errors.SeedValidationError` that lists **every** problem found, each as
``seeds/FILE:LINE: field 'value' is wrong; expected ...``.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import ipaddress
import itertools
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import shapely
from shapely.geometry import shape

from territory import settings
from territory._errors import SeedValidationError
from territory.events import Event, in_order

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
# Places may lie this far outside the generalised outline (border towns, the coast).
MAX_OUTSIDE_KM = 2.0


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


class _Problems:
    """Collects problems; every message names file, line, field, value and what is expected."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")


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


def slugify(text: str) -> str:
    """ASCII slug of a place name: ``"Ma‘arrat an Nu‘mān"`` -> ``"maarrat-an-numan"``."""
    import unicodedata

    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = re.sub(r"[‘’ʼʻ'`]", "", folded).lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


def _hint(value: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _read_csv(
    path: Path, fields: tuple[str, ...], problems: _Problems, rel: str
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
        if len(row) != len(fields):
            problems.add(
                f"{rel}:{line}",
                f"has {len(row)} fields; expected {len(fields)} ({','.join(fields)})",
            )
            continue
        yield line, {k: v.strip() for k, v in zip(fields, row, strict=True)}


def _parse_date(value: str, where: str, name: str, problems: _Problems) -> dt.date | None:
    if not DATE_RE.match(value):
        problems.add(where, f"{name} {value!r} is not a date; expected YYYY-MM-DD")
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        problems.add(where, f"{name} {value!r} is not a real calendar date; expected YYYY-MM-DD")
        return None


def _check_source(value: str, where: str, sources: dict[str, Any], problems: _Problems) -> None:
    if not value:
        problems.add(where, "source_id is empty; expected the id of a row in seeds/sources.csv")
    elif value not in sources:
        problems.add(
            where,
            f"source_id {value!r} is not in seeds/sources.csv{_hint(value, sources)}",
        )


def _check_choice(value: str, name: str, choices: Iterable[str], where: str, problems: _Problems) -> bool:
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


def _check_source_urls(row: dict[str, str], where: str, problems: _Problems) -> bool:
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


def _load_sources(root: Path, problems: _Problems) -> dict[str, Source]:
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


def _in_box(lon: float, lat: float, box: tuple[float, float, float, float]) -> bool:
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def _outside_km(lon: float, lat: float, syria: Any) -> float:
    """Distance in km from a point outside ``syria`` to it (0 inside)."""
    from territory import geometry

    pt = shapely.Point(lon, lat)
    if syria.contains(pt):
        return 0.0
    return geometry.to_metric(syria).distance(geometry.to_metric(pt)) / 1000.0


def _load_places(
    root: Path,
    sources: dict[str, Source],
    known_ids: set[str],
    problems: _Problems,
    syria: Any = None,
) -> list[Place]:
    rel = f"seeds/{PLACES_FILE}"
    places: list[Place] = []
    seen: dict[str, int] = {}
    for line, row in _read_csv(root / PLACES_FILE, PLACE_FIELDS, problems, rel):
        where = f"{rel}:{line}"
        pid = row["id"]
        override = pid in known_ids
        if not SLUG_RE.match(pid):
            problems.add(where, f"id {pid!r} is not a slug; expected lowercase words joined by '-'")
            continue
        if pid in seen:
            problems.add(where, f"id {pid!r} duplicates line {seen[pid]}; ids must be unique")
            continue
        seen[pid] = line
        if not override and not row["name"]:
            problems.add(where, "name is empty; expected the place's usual English name")
        lat = lon = None
        if row["lat"] or row["lon"] or not override:
            try:
                lat, lon = float(row["lat"]), float(row["lon"])
            except ValueError:
                problems.add(
                    where,
                    f"lat/lon {row['lat']!r},{row['lon']!r} are not numbers; expected decimal degrees",
                )
            else:
                if not (math.isfinite(lat) and math.isfinite(lon)) or not _in_box(lon, lat, SYRIA_BBOX):
                    problems.add(
                        where,
                        f"lat/lon {lat},{lon} lie outside Syria; expected about 32.3–37.3 N, "
                        "35.7–42.4 E (swapped lat and lon?)",
                    )
                    lat = lon = None
                elif syria is not None and (km := _outside_km(lon, lat, syria)) > MAX_OUTSIDE_KM:
                    problems.add(
                        where,
                        f"lat/lon {lat},{lon} lie outside Syria ({km:.1f} km beyond its outline); "
                        "expected a point inside Syria (swapped lat and lon?)",
                    )
                    lat = lon = None
        kind = row["kind"] or None
        if kind is not None and not _check_choice(kind, "kind", settings.PLACE_KINDS, where, problems):
            kind = None
        if kind is None and not override:
            problems.add(where, f"kind is empty; expected one of {', '.join(settings.PLACE_KINDS)}")
        governorate = row["governorate"] or None
        if governorate is not None and not _check_choice(
            governorate, "governorate", settings.GOVERNORATES, where, problems
        ):
            governorate = None
        population = None
        if row["population"]:
            try:
                population = int(row["population"])
                if population < 0:
                    raise ValueError
            except ValueError:
                problems.add(
                    where,
                    f"population {row['population']!r} is not a whole number ≥ 0; expected e.g. 4520",
                )
                population = None
        _check_source(row["source_id"], where, sources, problems)
        alt = tuple(a.strip() for a in row["alt_names"].split("|") if a.strip())
        operator = row["operator"].strip()
        if kind == "foreign_base" and not operator:
            problems.add(where, "operator is empty on a foreign_base; expected the state that runs it, e.g. Russia")
        places.append(
            Place(pid, row["name"], alt, lat, lon, kind, governorate, population, row["source_id"], line, operator)
        )
    # Two places on the same spot would share one control cell.
    by_coord: dict[tuple[float, float], str] = {}
    for p in places:
        if p.lat is None or p.lon is None:
            continue
        key = (round(p.lat, 4), round(p.lon, 4))
        if key in by_coord:
            problems.add(
                f"{rel}:{p.line}",
                f"lat/lon {p.lat},{p.lon} of {p.id!r} repeat those of {by_coord[key]!r}; "
                "expected distinct coordinates (merge the two, or give alt_names)",
            )
        else:
            by_coord[key] = p.id
    return places


def _load_baseline(root: Path, sources: dict[str, Source], problems: _Problems) -> list[BaselineZone]:
    rel = f"seeds/{BASELINE_FILE}"
    path = root / BASELINE_FILE
    if not path.exists():
        problems.add(rel, "file is missing; expected a GeoJSON FeatureCollection of zone polygons")
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        problems.add(rel, f"is not valid JSON ({exc}); expected a GeoJSON FeatureCollection")
        return []
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        problems.add(rel, "is not a GeoJSON FeatureCollection")
        return []
    zones: list[BaselineZone] = []
    zones_golan: list[BaselineZone] = []
    seen: set[str] = set()
    rest = data.get("rest")
    rest_zone: BaselineZone | None = None
    if not isinstance(rest, dict) or any(k not in rest for k in BASELINE_PROPERTIES):
        problems.add(
            rel,
            "top-level 'rest' is missing or incomplete; expected an object with id, controller, source_id and "
            "note for the ground outside every zone (the government on 2024-11-26)",
        )
    else:
        where = f"{rel}: rest"
        ok = _check_choice(str(rest["controller"]), "controller", settings.CONTROLLERS, where, problems)
        _check_source(str(rest["source_id"]), where, sources, problems)
        if ok:
            rest_zone = BaselineZone(
                id=str(rest["id"]),
                controller=str(rest["controller"]),
                source_id=str(rest["source_id"]),
                note=str(rest["note"]),
                geometry=shapely.Polygon(),  # the rest has no drawn geometry: it is what the zones leave
                order=0,
            )
            seen.add(str(rest["id"]))
    # Zones the build draws from open data (no geometry here): the occupied Golan along the
    # pre-1967 line, and the 1974 area of separation (Natural Earth's UNDOF strip).
    drawn_by_build = (
        ("separation", SEPARATION_ORDER, "the 1974 area of separation"),
        ("golan", -1, "the occupied Golan"),
    )
    for key, order, what in drawn_by_build:
        member = data.get(key)
        if member is None:
            continue
        where = f"{rel}: {key}"
        if not isinstance(member, dict) or any(k not in member for k in BASELINE_PROPERTIES):
            problems.add(where, f"is incomplete; expected id, controller, source_id and note ({what})")
        elif _check_choice(str(member["controller"]), "controller", settings.CONTROLLERS, where, problems):
            _check_source(str(member["source_id"]), where, sources, problems)
            zones_golan.append(
                BaselineZone(
                    str(member["id"]),
                    str(member["controller"]),
                    str(member["source_id"]),
                    str(member["note"]),
                    shapely.Polygon(),
                    order,
                )
            )
    for i, feature in enumerate(data.get("features") or [], start=1):
        props = (feature or {}).get("properties") or {}
        zid = str(props.get("id", ""))
        where = f"{rel}: feature {i} ({zid or 'no id'})"
        missing = [k for k in BASELINE_PROPERTIES if k not in props]
        if missing:
            problems.add(where, f"lacks properties {', '.join(missing)}")
            continue
        if not SLUG_RE.match(zid) or zid in seen:
            problems.add(where, f"id {zid!r} is not a unique slug")
            continue
        seen.add(zid)
        controller = str(props["controller"])
        ok = _check_choice(controller, "controller", settings.CONTROLLERS, where, problems)
        _check_source(str(props["source_id"]), where, sources, problems)
        try:
            geom = shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            problems.add(where, f"geometry is not valid GeoJSON ({exc})")
            continue
        if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
            problems.add(where, f"geometry is a {geom.geom_type}; expected a Polygon or MultiPolygon")
            continue
        if not geom.is_valid:
            problems.add(where, f"geometry is invalid: {shapely.is_valid_reason(geom)}")
            continue
        minx, miny, maxx, maxy = geom.bounds
        if not (_in_box(minx, miny, BASELINE_BBOX) and _in_box(maxx, maxy, BASELINE_BBOX)):
            problems.add(where, f"geometry bounds {geom.bounds} reach far outside Syria")
            continue
        if ok:
            zones.append(BaselineZone(zid, controller, str(props["source_id"]), str(props["note"]), geom, i))
    if rest_zone is not None:
        zones.append(rest_zone)
    return zones + zones_golan  # the zones drawn by the build (no geometry yet) come after the rest


def load_golan_line(root: Path | None = None) -> list[tuple[float, float]]:
    """``seeds/golan_line.csv`` alone (the base outline needs it before the other seeds are read).

    Raises
    ------
    SeedValidationError
        When a row is malformed.
    """
    root = Path(root or settings.seeds_dir())
    problems = _Problems()
    line = _load_golan_line(root, None, problems)
    if problems.items:
        raise SeedValidationError(problems.items)
    return line


def _load_golan_line(root: Path, sources: dict[str, Source] | None, problems: _Problems) -> list[tuple[float, float]]:
    """The pre-1967 line, north to south, as ``(lon, lat)``; empty when the file is absent."""
    rel = f"seeds/{GOLAN_LINE_FILE}"
    if not (root / GOLAN_LINE_FILE).exists():
        return []
    points: list[tuple[int, float, float]] = []
    for line, row in _read_csv(root / GOLAN_LINE_FILE, GOLAN_LINE_FIELDS, problems, rel):
        where = f"{rel}:{line}"
        try:
            order, lat, lon = int(row["order"]), float(row["lat"]), float(row["lon"])
        except ValueError:
            problems.add(where, f"order/lat/lon {row['order']!r},{row['lat']!r},{row['lon']!r} are not numbers")
            continue
        if not (32.0 <= lat <= 33.6 and 35.4 <= lon <= 36.0):
            problems.add(
                where, f"lat/lon {lat},{lon} lie outside the Golan's area; expected about 32–33.6 N, 35.4–36 E"
            )
            continue
        if sources is not None:
            _check_source(row["source_id"], where, sources, problems)
        points.append((order, lon, lat))
    points.sort()
    if any(b[2] >= a[2] for a, b in itertools.pairwise(points)):
        problems.add(rel, "points are not ordered north to south by 'order'")
    return [(lon, lat) for _, lon, lat in points]


def _load_baseline_points(
    root: Path, sources: dict[str, Source], place_ids: dict[str, str], problems: _Problems
) -> list[BaselinePoint]:
    rel = f"seeds/{BASELINE_POINTS_FILE}"
    points: list[BaselinePoint] = []
    seen: dict[str, int] = {}
    for line, row in _read_csv(root / BASELINE_POINTS_FILE, BASELINE_POINT_FIELDS, problems, rel):
        where = f"{rel}:{line}"
        ok = _check_place(row["place_id"], place_ids, where, problems)
        if ok and row["place_id"] in seen:
            problems.add(where, f"place_id {row['place_id']!r} repeats line {seen[row['place_id']]}")
            ok = False
        seen.setdefault(row["place_id"], line)
        ok &= _check_choice(row["controller"], "controller", settings.CONTROLLERS, where, problems)
        _check_source(row["source_id"], where, sources, problems)
        if ok:
            points.append(BaselinePoint(row["place_id"], row["controller"], row["source_id"], row["note"], line))
    return points


def _place_hint(value: str, aliases: dict[str, str]) -> str:
    """Hint for an unknown place id from ids, names and alternative names."""
    if value in aliases:
        return f" (did you mean '{aliases[value]}'?)"
    close = difflib.get_close_matches(value, list(aliases), n=1, cutoff=0.6)
    if close:
        return f" (did you mean '{aliases[close[0]]}'?)"
    contains = sorted({pid for alias, pid in aliases.items() if len(value) >= 4 and value in alias})
    return f" (did you mean '{contains[0]}'?)" if contains else ""


def _check_place(value: str, place_ids: set[str] | dict[str, str], where: str, problems: _Problems) -> bool:
    if value in place_ids and (not isinstance(place_ids, dict) or place_ids[value] == value):
        return True
    aliases = place_ids if isinstance(place_ids, dict) else {p: p for p in place_ids}
    problems.add(where, f"place_id {value!r} is unknown{_place_hint(value, aliases)}")
    return False


def event_row_problems(row: dict[str, str], hints: bool = True) -> list[tuple[str, str]]:
    """The rules every events row obeys (seeds/events.csv and uploads in its format) on its controller and kind.

    Each problem is ``(column, what)``, ``what`` starting with the quoted value, so a caller puts
    the column where its messages name it. ``hints`` adds "did you mean" to unknown values.
    """
    out: list[tuple[str, str]] = []
    for column, choices in (("controller", settings.CONTROLLERS), ("kind", settings.EVENT_KINDS)):
        value = row[column]
        if value not in choices:
            hint = _hint(value, choices) if hints else ""
            out.append((column, f"{value!r} is unknown{hint}; expected one of {', '.join(choices)}"))
    if row["kind"] == "entered" and row["controller"] == settings.CONTESTED:
        sides = ", ".join(c for c in settings.CONTROLLERS if c != settings.CONTESTED)
        out.append(("controller", f"'contested' on an 'entered' row; expected the side that entered ({sides})"))
    return out


def _load_events(
    root: Path,
    sources: dict[str, Source],
    place_ids: dict[str, str],
    timeline: tuple[dt.date, dt.date],
    problems: _Problems,
) -> list[Event]:
    rel = f"seeds/{EVENTS_FILE}"
    events: list[Event] = []
    first, last = timeline[0] + dt.timedelta(days=1), timeline[1]
    for line, row in _read_csv(root / EVENTS_FILE, EVENT_FIELDS, problems, rel):
        where = f"{rel}:{line}"
        date = _parse_date(row["date"], where, "date", problems)
        ok = date is not None
        if date is not None and not first <= date <= last:
            problems.add(
                where,
                f"date {row['date']!r} is outside the timeline; expected {first} to {last}",
            )
            ok = False
        ok &= _check_place(row["place_id"], place_ids, where, problems)
        for column, what in event_row_problems(row):
            problems.add(where, f"{column} {what}")
            ok = False
        _check_source(row["source_id"], where, sources, problems)
        if ok and date is not None:
            events.append(
                Event(date, row["place_id"], row["controller"], row["kind"], row["source_id"], row["note"], line=line)
            )
    return in_order(events)


MAX_UNSOURCED_CONTESTED_DAYS = 3


def _check_contested_spells(events: list[Event], end: dt.date, problems: _Problems) -> None:
    """A place shown contested (an ``entered`` or ``contested`` row) needs a sourced end.

    The spell ends with the place's next row (an event with its own source). A spell that runs to
    the end of the timeline is reported when it lasts more than ``MAX_UNSOURCED_CONTESTED_DAYS``
    days after its last row: a row confirming that it goes on (with a source) is expected then.
    """
    by_place: dict[str, list[Event]] = {}
    for e in events:
        by_place.setdefault(e.place_id, []).append(e)
    limit = dt.timedelta(days=MAX_UNSOURCED_CONTESTED_DAYS)
    for rows in by_place.values():
        last = rows[-1]
        if last.kind in settings.CONTESTING_EVENT_KINDS and end - last.date > limit:
            problems.add(
                f"seeds/{EVENTS_FILE}:{last.line}",
                f"{last.place_id!r} is contested from {last.date} to the end of the timeline ({end}) with no "
                f"source for its end; expected a row that ends the spell, or one within "
                f"{MAX_UNSOURCED_CONTESTED_DAYS} days of {end} whose source says it goes on",
            )


def _load_proposals(root: Path, sources: dict[str, Source], problems: _Problems) -> list[Proposal]:
    rel = f"seeds/{PROPOSALS_FILE}"
    proposals: list[Proposal] = []
    seen: set[str] = set()
    for line, row in _read_csv(root / PROPOSALS_FILE, PROPOSAL_FIELDS, problems, rel):
        where = f"{rel}:{line}"
        ok = True
        if not SLUG_RE.match(row["id"]) or row["id"] in seen:
            problems.add(where, f"id {row['id']!r} is not a unique slug")
            ok = False
        seen.add(row["id"])
        try:
            depth = float(row["depth_miles"])
            if not settings.MIN_DEPTH_MILES <= depth <= settings.MAX_DEPTH_MILES:
                raise ValueError
        except ValueError:
            problems.add(
                where,
                f"depth_miles {row['depth_miles']!r} is not a number from "
                f"{settings.MIN_DEPTH_MILES} to {settings.MAX_DEPTH_MILES}",
            )
            ok = False
            depth = math.nan
        date = _parse_date(row["date"], where, "date", problems)
        ok &= date is not None
        ok &= _check_choice(row["status"], "status", settings.PROPOSAL_STATUSES, where, problems)
        if not row["label"]:
            problems.add(where, "label is empty; expected a short label like 'Adana agreement'")
            ok = False
        _check_source(row["source_id"], where, sources, problems)
        if ok and date is not None:
            proposals.append(
                Proposal(
                    row["id"],
                    row["label"],
                    depth,
                    row["proposed_by"],
                    date,
                    row["status"],
                    row["source_id"],
                    row["note"],
                )
            )
    return proposals


def _load_collapses(
    root: Path,
    sources: dict[str, Source],
    place_ids: dict[str, str],
    timeline: tuple[dt.date, dt.date],
    problems: _Problems,
) -> list[Collapse]:
    rel = f"seeds/{COLLAPSE_FILE}"
    if not (root / COLLAPSE_FILE).exists():
        return []  # optional file
    out: list[Collapse] = []
    first, last = timeline[0] + dt.timedelta(days=1), timeline[1]
    for line, row in _read_csv(root / COLLAPSE_FILE, COLLAPSE_FIELDS, problems, rel):
        where = f"{rel}:{line}"
        date = _parse_date(row["date"], where, "date", problems)
        ok = date is not None
        if date is not None and not first <= date <= last:
            problems.add(where, f"date {row['date']!r} is outside the timeline; expected {first} to {last}")
            ok = False
        ok &= _check_choice(row["governorate"], "governorate", settings.GOVERNORATES, where, problems)
        ok &= _check_choice(row["controller"], "controller", settings.CONTROLLERS, where, problems)
        _check_source(row["source_id"], where, sources, problems)
        keep = tuple(k.strip() for k in row["except"].split("|") if k.strip())
        for k in keep:
            ok &= _check_place(k, place_ids, where, problems)
        if ok and date is not None:
            out.append(Collapse(date, row["governorate"], row["controller"], row["source_id"], row["note"], keep, line))
    out.sort(key=lambda c: (c.date, c.line))
    return out


def collapses_within(
    span: tuple[dt.date, dt.date], sources: dict[str, Any], place_ids: Iterable[str], root: Path | None = None
) -> list[Collapse]:
    """The rows of the seeds' ``collapse.csv`` dated within ``span`` (an uploaded timeline's days).

    The file itself is validated by ``build`` and ``check``; rows outside the span (or naming places
    the dataset lacks) do not apply to that timeline and are left out.
    """
    return _load_collapses(root or settings.seeds_dir(), sources, {p: p for p in place_ids}, span, _Problems())


def _load_disputes(
    root: Path,
    sources: dict[str, Source],
    place_ids: dict[str, str],
    timeline: tuple[dt.date, dt.date],
    problems: _Problems,
) -> list[Dispute]:
    rel = f"seeds/{DISPUTES_FILE}"
    if not (root / DISPUTES_FILE).exists():
        return []  # optional file
    out: list[Dispute] = []
    end = timeline[1] + dt.timedelta(days=1)
    for line, row in _read_csv(root / DISPUTES_FILE, DISPUTE_FIELDS, problems, rel):
        where = f"{rel}:{line}"
        start = _parse_date(row["valid_from"], where, "valid_from", problems)
        stop = _parse_date(row["valid_to"], where, "valid_to", problems)
        ok = start is not None and stop is not None
        if start is not None and stop is not None and not timeline[0] <= start < stop <= end:
            problems.add(
                where,
                f"valid_from {row['valid_from']!r} to valid_to {row['valid_to']!r} is not a span of the timeline; "
                f"expected {timeline[0]} ≤ valid_from < valid_to ≤ {end} (valid_to is exclusive)",
            )
            ok = False
        ok &= _check_place(row["place_id"], place_ids, where, problems)
        ok &= _check_choice(row["controller"], "controller", settings.CONTROLLERS, where, problems)
        _check_source(row["source_id"], where, sources, problems)
        if not row["note"].strip():
            problems.add(where, "note is empty; expected what the source says and what the map follows instead")
            ok = False
        if ok and start is not None and stop is not None:
            out.append(Dispute(row["place_id"], start, stop, row["controller"], row["source_id"], row["note"], line))
    return out


def load_seeds(
    root: Path | None = None,
    known_place_ids: Iterable[str] = (),
    timeline_end: dt.date = settings.TIMELINE_MIN_END,
    syria: Any = None,
) -> Seeds:
    """Load and validate every file of ``seeds/``.

    Parameters
    ----------
    root
        The seeds directory (default: :func:`territory.settings.seeds_dir`).
    known_place_ids
        Ids of the GeoNames places that seed rows may refer to or override.
    timeline_end
        Last date events may carry.
    syria
        Outline of Syria (WGS84); when given, places must lie inside it (within 2 km).

    Raises
    ------
    SeedValidationError
        Listing every problem in every file, each with file, line, field, value and what is expected.
    """
    root = root or settings.seeds_dir()
    problems = _Problems()
    known = set(known_place_ids)
    timeline = (settings.BASELINE_DATE, timeline_end)
    sources = _load_sources(root, problems)
    places = _load_places(root, sources, known, problems, syria)
    place_ids = known | {p.id for p in places}
    # Names and alternative names of seed places help the "did you mean" hints.
    aliases = {pid: pid for pid in place_ids}
    for p in places:
        for alias in (p.name, *p.alt_names):
            aliases.setdefault(slugify(alias), p.id)
    baseline = _load_baseline(root, sources, problems)
    golan_line = _load_golan_line(root, sources, problems)
    golan = next((z for z in baseline if z.order == -1), None)
    separation = next((z for z in baseline if z.order == SEPARATION_ORDER), None)
    if separation is not None and golan is None:
        problems.add(
            f"seeds/{BASELINE_FILE}",
            "has a 'separation' zone but no 'golan'; expected both (the area of separation is drawn up to the Golan)",
        )
    if golan is not None and len(golan_line) < 2:
        problems.add(
            f"seeds/{GOLAN_LINE_FILE}", "has fewer than two points; the 'golan' zone of baseline.geojson needs its line"
        )
    baseline = [z for z in baseline if z.order not in (-1, SEPARATION_ORDER)]
    points = _load_baseline_points(root, sources, aliases, problems)
    events = _load_events(root, sources, aliases, timeline, problems)
    _check_contested_spells(events, timeline[1], problems)
    proposals = _load_proposals(root, sources, problems)
    collapses = _load_collapses(root, sources, aliases, timeline, problems)
    disputes = _load_disputes(root, sources, aliases, timeline, problems)
    if problems.items:
        raise SeedValidationError(problems.items)
    return Seeds(
        sources,
        places,
        baseline,
        points,
        events,
        proposals,
        collapses,
        timeline,
        golan,
        golan_line,
        disputes,
        separation,
    )
