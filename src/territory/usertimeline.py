"""Bring your own timeline: an events file (the seeds' ``events.csv`` format or an ACLED export).

:func:`read_timeline` reads and checks the file and :func:`with_timeline` gives a
:class:`~territory.data.Dataset` that keeps the baseline map, the places, the border and the bands
of the built-in one but draws the file's events. The command line (``--events FILE``) and the
page's "Your timeline" box both go through here, with the same limits and the same errors.

- **Seeds format** (header ``date,place_id,controller,kind,source_id,note``): the file stands in for
  ``seeds/events.csv``, exactly as the build reads it: the governorate-wide rows of
  ``seeds/collapse.csv`` and the disputes of ``seeds/disputes.csv`` still apply. A ``source_id``
  that ``seeds/sources.csv`` does not hold becomes a source of its own, cited as the file's line.
- **ACLED export** (detected from its header: ``event_id_cnty``, ``event_date``, ``sub_event_type``…):
  rows whose ``sub_event_type`` is territorial change who holds the row's location (actor1, mapped
  to a side by the actor mapping); every other row is a *report*: shown as an event, it changes
  nothing. A territorial row whose actor has no side (no pattern matches, or the mapping says
  ``ambiguous`` or ``none``) is kept as a report too and listed in the timeline's ``left_out``, with
  :func:`mapping_template` to fill in; ``strict=True`` refuses it instead. Each row is its own
  source (its ``event_id_cnty``). A location snaps to a known place named alike within 5 km, else
  to the nearest known place within 5 km, else becomes a new place with its own control cell.

Every problem is one line naming the file, the row (its line in the file) and the column, and
what is expected; a refused file's error names the first and counts the rest, and
:meth:`TimelineFileError.problems` lists them all (``--events FILE check``). Nothing is written to disk.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import functools
import hashlib
import heapq
import io
import os
import re
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import nearest_points

from territory import actormatch, geometry, rules, seeds, settings
from territory._errors import UsageError
from territory.basedata import fold
from territory.data import Dataset
from territory.events import Event, in_order

MAX_MB = settings.USER_TIMELINE_MAX_MB
SNAP_KM = 5.0  # a location this close to a known place (by name, else by distance) is that place
OUTSIDE_KM = 5.0  # coordinates farther than this outside Syria's outline are refused
SAME_SPOT_KM = 0.1  # new locations this close together are one new place (one control cell each needs room)
EARLIEST = dt.date(1997, 1, 1)  # ACLED's earliest data; an earlier date is a typo
REPORT = settings.REPORT_KIND
# Controllers an actor mapping may give an actor it leaves without a side on purpose: ``ambiguous``
# (changed sides, or fought on more than one) and ``none`` (a known actor that is none of the map's
# sides: the Islamic State, civilians, US forces). A territorial row of such an actor, like one of an
# actor no pattern matches, changes nothing.
NO_SIDE = ("ambiguous", "none")
MAX_LISTED = 100_000  # problems listed one per line at most (the rest are counted)
ACTORS_FILE = "actors.csv"
SEEDS_FIELDS = seeds.EVENT_FIELDS  # the seeds' own events.csv
ACLED_REQUIRED = (
    "event_id_cnty",
    "event_date",
    "event_type",
    "sub_event_type",
    "actor1",
    "location",
    "latitude",
    "longitude",
)
ACLED_OPTIONAL = ("assoc_actor_1", "actor2", "admin1", "source", "notes", "fatalities")
# ACLED's territorial sub-event types, and the event kind each one is here.
TERRITORIAL = {
    "Non-state actor overtakes territory": "captured",
    "Government regains territory": "captured",
    "Non-violent transfer of territory": "handed_over",
}
_MONTHS = {
    m.lower(): i
    for i, m in enumerate(
        (
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
        start=1,
    )
}
_ACLED_DATE = re.compile(r"^(\d{1,2}) ([A-Za-z]+) (\d{4})$")


class TimelineFileError(UsageError):
    """A problem with an events or actors file, as one line naming the file, row and column.

    The message names the first problem and counts the rest; :meth:`problems` gives every one.
    """

    def __init__(self, message: str, lines: Callable[[], Iterable[str]] | None = None) -> None:
        super().__init__(message)
        self._lines = lines

    def problems(self) -> Iterator[str]:
        """Every problem, one line each (at most ``MAX_LISTED``, then a line counting the rest)."""
        if self._lines is None:
            yield str(self)
            return
        n = 0
        for line in self._lines():
            n += 1
            if n <= MAX_LISTED:
                yield line
        if n > MAX_LISTED:
            yield f"… and {n - MAX_LISTED:,} more problem{'s' if n - MAX_LISTED != 1 else ''}"


@dataclass(frozen=True)
class ActorMap:
    """Actor name → controller: the first pattern (case-insensitive RE2 expression) that matches."""

    rules: tuple[tuple[str, Any, str], ...]  # (pattern, compiled RE2 pattern, controller)
    name: str

    @functools.cached_property
    def _matcher(self) -> actormatch.Matcher:
        try:
            return actormatch.Matcher([r[0] for r in self.rules], [r[1] for r in self.rules])
        except actormatch.PatternError as exc:
            raise _fail(self.name, "", str(exc)) from None

    def controller(self, actor: str) -> str | None:
        """The side ``actor`` fights for, or None when no pattern matches (linear time: RE2)."""
        k = self._matcher.first(actor)
        return None if k is None else self.rules[k][2]


@dataclass
class UserTimeline:
    """A checked events file, ready to replace the built-in events."""

    file: str
    sha256: str
    format: str  # "seeds" or "acled"
    rows: int
    start: dt.date  # the timeline's first day (its baseline map)
    end: dt.date
    events: list[dict[str, Any]]  # as in geodata/timeline.json
    sources: list[dict[str, str]]  # the file's own sources (rows, or unknown source ids)
    new_places: list[dict[str, Any]]  # locations that are no known place: id, name, lon, lat, source
    keep_disputes: bool
    counts: dict[str, int] = field(default_factory=dict)
    actors: str = ""
    # Actors of territorial rows kept as reports for want of a side: actor, rows, mapping (what the
    # actor mapping said: "unmapped", "ambiguous" or "none"), most rows first.
    left_out: list[dict[str, Any]] = field(default_factory=list)

    def origin(self) -> dict[str, Any]:
        """What exports say about the timeline they were drawn from."""
        return {
            "file": self.file,
            "sha256": self.sha256,
            "format": self.format,
            "rows": self.rows,
            "first_date": self.start.isoformat(),
            "last_date": self.end.isoformat(),
            "actors": self.actors,
            "file_sources": len(self.sources),
            **self.counts,
            **({"left_out": self.left_out} if self.left_out else {}),
        }


# --- reading -------------------------------------------------------------------------------------


def _fail(file: str, where: str, message: str, more: int = 0) -> TimelineFileError:
    tail = f" (and {more:,} more problem{'s' if more != 1 else ''})" if more else ""
    return TimelineFileError(f"{file}{': ' + where if where else ''}: {message}{tail}")


def _line(file: str, where: str, message: str) -> str:
    return f"{file}{': ' + where if where else ''}: {message}"


class _Problems:
    """Every problem found: the error names the first and counts the rest (it stays one line)."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[tuple[str, str]] = []  # the first MAX_LISTED
        self.count = 0

    def add(self, where: str, message: str) -> None:
        self.count += 1
        if len(self.items) < MAX_LISTED:
            self.items.append((where, message))

    def raise_any(self) -> None:
        if not self.count:
            return
        items, count, file = self.items, self.count, self.file

        def lines() -> Iterator[str]:
            yield from (_line(file, w, m) for w, m in items)
            if count > len(items):
                yield f"… and {count - len(items):,} more problem{'s' if count - len(items) != 1 else ''}"

        where, message = items[0]
        raise TimelineFileError(str(_fail(file, where, message, count - 1)), lines)


def check_size(size: int, file: str) -> None:
    """Refuse a file over the limit before reading it."""
    if size > MAX_MB * 1024 * 1024:
        msg = f"is {size / 1024 / 1024:,.1f} MB; the limit is {MAX_MB} MB (about 100,000 ACLED rows)"
        raise _fail(file, "", msg)


def _text(data: bytes, file: str) -> str:
    if not data.strip():
        raise _fail(file, "", "is empty; expected a CSV with a header row and at least one event")
    if data[:4] == b"PK\x03\x04":
        raise _fail(file, "", "is a zip or Excel file; expected a CSV (in ACLED's export tool, choose CSV)")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\0" in data[:4096]:
        raise _fail(file, "", "is not UTF-8 text (UTF-16 or binary); expected a UTF-8 CSV, as ACLED exports are")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        msg = (
            f"byte 0x{data[exc.start]:02x} is not UTF-8; expected a UTF-8 CSV "
            "(re-save it as 'CSV UTF-8', or export it again from ACLED)"
        )
        raise _fail(file, _where_in_line(data, line), msg) from None


def _where_in_line(data: bytes, line: int) -> str:
    """``row N (line L), column 'C'`` of the first undecodable byte of a line (best effort)."""
    lines = data.decode("utf-8", errors="replace").splitlines()
    try:
        header = next(csv.reader([lines[0]]))
        cells = next(csv.reader([lines[line - 1]]))
        column = next(header[k] for k, cell in enumerate(cells) if "\ufffd" in cell and k < len(header))
    except (IndexError, StopIteration, csv.Error):
        return f"line {line}"
    return f"row {line - 1} (line {line}), column '{column}'" if line > 1 else f"line 1, column '{column}'"


def _rows(text: str, file: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lstrip("\ufeff") for h in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise _fail(file, "line 1", f"has no readable header ({exc}); expected a CSV header row") from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for row in reader:
                if row and any(cell.strip() for cell in row):
                    yield reader.line_num, row
        except csv.Error as exc:
            raise _fail(file, f"line {reader.line_num}", f"is not valid CSV ({exc})") from None

    return header, rows()


def parse_date(value: str) -> dt.date | None:
    """A date written ``YYYY-MM-DD`` or, as ACLED does, ``27 November 2024``; None if it is neither."""
    value = value.strip()
    try:
        if len(value) == 10 and value[4] == "-" and value[7] == "-":
            return dt.date.fromisoformat(value)
        m = _ACLED_DATE.match(value)
        if m and m.group(2).lower() in _MONTHS:
            return dt.date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
    except ValueError:
        return None
    return None


def _date(value: str, where: str, column: str, problems: _Problems, cache: dict[str, dt.date | None]) -> dt.date | None:
    if value not in cache:
        cache[value] = parse_date(value)
    date = cache[value]
    if date is None:
        problems.add(
            f"{where}, column '{column}'", f"{value[:40]!r} is not a date; expected YYYY-MM-DD or e.g. 27 November 2024"
        )
    elif not EARLIEST <= date <= dt.date.today():
        why = "is in the future" if date > dt.date.today() else f"is before {EARLIEST.isoformat()}"
        problems.add(f"{where}, column '{column}'", f"{value!r} {why}; expected a date the events happened on")
        return None
    return date


def read_actors(data: bytes | None = None, file: str = f"seeds/{ACTORS_FILE}", root: Path | None = None) -> ActorMap:
    """The actor mapping: a CSV ``pattern,controller`` (default: ``actors.csv`` of the seeds directory)."""
    if data is None:
        path = (root or settings.seeds_dir()) / ACTORS_FILE
        if not path.is_file():
            raise _fail(str(path), "", "is missing; expected the default actor mapping (CSV pattern,controller)")
        data = path.read_bytes()
    text = _text(data, file)
    header, rows = _rows(text, file)
    if header[:2] != ["pattern", "controller"]:
        raise _fail(file, "line 1", f"header is {','.join(header)[:60]!r}; expected 'pattern,controller'")
    sides = [*(c for c in settings.CONTROLLERS if c != settings.CONTESTED), *NO_SIDE]
    problems = _Problems(file)
    rules = []
    for line, row in rows:
        where = f"line {line}"
        if len(row) < 2 or not row[0].strip():
            problems.add(where, "expected a pattern and a controller")
            continue
        pattern, controller = row[0].strip(), row[1].strip()
        if not controller:  # a row of a mapping template left empty: no rule
            continue
        if controller not in sides:
            problems.add(
                where,
                f"column 'controller': {controller!r} is unknown; expected one of {', '.join(sides)} "
                "(or empty: no rule)",
            )
            continue
        if len(rules) == settings.ACTOR_PATTERNS_MAX:  # a hostile file stops here, not at its end
            raise _fail(file, where, f"is one pattern too many; the limit is {settings.ACTOR_PATTERNS_MAX:,} per file")
        try:
            compiled = actormatch.compile_pattern(pattern)
        except actormatch.PatternError as exc:
            problems.add(where, f"column 'pattern': {pattern[:40]!r} {exc}")
            continue
        rules.append((pattern, compiled, controller))
    problems.raise_any()
    if not rules:
        raise _fail(file, "", "has no row with a controller; expected at least one 'pattern,controller' row")
    return ActorMap(tuple(rules), file)


def actor_source_problems(root: Path, sources: set[str] | dict[str, Any]) -> list[str]:
    """Rows of the shipped actor mapping (``root/actors.csv``) without a ``note`` or citing no known source.

    Each side the shipped mapping gives is a sourced fact (``source``: ids of ``sources.csv``,
    ``|``-separated); a user's mapping needs neither column.
    """
    path = root / ACTORS_FILE
    if not path.is_file():
        return []
    out = []
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline=""))
    for line, row in enumerate(rows, start=2):
        where = f"{ACTORS_FILE} line {line}"
        if not (row.get("note") or "").strip():
            out.append(f"{where}: column 'note' is empty; expected why the actor has that side")
        ids = [i.strip() for i in (row.get("source") or "").split("|") if i.strip()]
        if not ids:
            out.append(f"{where}: column 'source' is empty; expected a source id of sources.csv")
        out.extend(f"{where}: source {i!r} is not in sources.csv" for i in ids if i not in sources)
    return out


def _with_defaults(actors: ActorMap | None) -> ActorMap:
    """A user's mapping is tried first, then the shipped one (so a file needs only the actors it adds or changes)."""
    default = read_actors()
    if actors is None:
        return default
    return ActorMap(actors.rules + default.rules, f"{actors.name} or {default.name}")


def read_timeline(
    data: bytes, file: str, ds: Dataset, actors: ActorMap | None = None, strict: bool = False
) -> UserTimeline:
    """Read and check an events file against the dataset's places.

    ``strict`` refuses a territorial row whose actor has no side (by default it is kept as a report
    and listed in ``left_out``).

    Raises
    ------
    TimelineFileError
        One line naming the file, row and column of the first problem (and how many more there are).
    """
    check_size(len(data), file)
    text = _text(data, file)
    header, rows = _rows(text, file)
    sha = hashlib.sha256(data).hexdigest()
    if tuple(header) == SEEDS_FIELDS:
        out = _read_seeds(rows, header, file, ds)
    elif "event_id_cnty" in header or "sub_event_type" in header:
        missing = [c for c in ACLED_REQUIRED if c not in header]
        if missing:
            raise _fail(
                file, "line 1", f"header lacks column '{missing[0]}'; an ACLED export needs {', '.join(ACLED_REQUIRED)}"
            )
        out = _read_acled(text, file, ds, _with_defaults(actors), strict)
    elif len(header) == 1 and header[0].count(";") >= 3:
        raise _fail(
            file, "line 1", "is separated by semicolons; expected commas (save it as 'CSV UTF-8 (comma delimited)')"
        )
    else:
        raise _fail(
            file,
            "line 1",
            f"header {','.join(header)[:80]!r} is neither the seeds' events.csv ({','.join(SEEDS_FIELDS)}) "
            f"nor an ACLED export ({', '.join(ACLED_REQUIRED)}, …)",
        )
    out.sha256 = sha
    out.file = Path(file).name  # exports name the file, not the directories it was read from
    return out


def _span(dates: Sequence[dt.date], ds: Dataset) -> tuple[dt.date, dt.date]:
    """The timeline's days, whose first day shows the built-in baseline map.

    From the day before the first event (or the built-in baseline, if earlier) to the last event (or
    the built-in end, if later).
    """
    start = min(ds.baseline_date, min(dates) - dt.timedelta(days=1))
    return start, max(ds.end_date, max(dates))


def _read_seeds(rows: Iterator[tuple[int, list[str]]], header: list[str], file: str, ds: Dataset) -> UserTimeline:
    problems = _Problems(file)
    known = set(ds.places["id"])
    parsed: list[Event] = []
    own_sources: dict[str, dict[str, str]] = {}
    cache: dict[str, dt.date | None] = {}
    n = 0
    for line, row in rows:
        n += 1
        where = f"row {n} (line {line})"
        if len(row) != len(SEEDS_FIELDS):
            problems.add(where, f"has {len(row)} fields; expected {len(SEEDS_FIELDS)} ({','.join(SEEDS_FIELDS)})")
            continue
        r = dict(zip(SEEDS_FIELDS, (c.strip() for c in row), strict=True))
        date = _date(r["date"], where, "date", problems, cache)
        ok = date is not None
        if r["place_id"] not in known:
            close = difflib.get_close_matches(r["place_id"], known, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.add(f"{where}, column 'place_id'", f"{r['place_id']!r} is unknown{hint}; expected a place id")
            ok = False
        for column, what in seeds.event_row_problems(r, hints=False):
            problems.add(f"{where}, column '{column}'", what)
            ok = False
        source = r["source_id"]
        if source not in ds.sources:
            source = source or f"{Path(file).name}:{line}"
            own_sources.setdefault(
                source,
                {
                    "id": source,
                    "title": f"{r['source_id'] or 'unnamed source'} (cited by {Path(file).name} line {line})",
                    "publisher": Path(file).name,
                    "published": r["date"],
                    "url": "",
                },
            )
        if ok and date is not None:
            parsed.append(Event(date, r["place_id"], r["controller"], r["kind"], source, r["note"], line=line))
    problems.raise_any()
    if not parsed:
        raise _fail(file, "", "has no rows after its header; expected at least one event")
    parsed = in_order(parsed)
    start, end = _span([e.date for e in parsed], ds)
    # The governorate-wide rows of seeds/collapse.csv apply as in the build.
    collapses = seeds.collapses_within((start, end), ds.sources, known)
    governorate_of = dict(zip(ds.places["id"], ds.places["governorate"], strict=True))
    generated = rules.expand_collapses(parsed, collapses, governorate_of, ds.baseline_controllers)
    records = [e.record() for e in in_order([*parsed, *generated])]
    return UserTimeline(
        file,
        "",
        "seeds",
        n,
        start,
        end,
        records,
        list(own_sources.values()),
        [],
        True,
        {"changes": len(records), "reports": 0, "governorate_wide": len(generated)},
    )


def _row_lines(text: str, dropped: np.ndarray) -> list[int]:
    """The file line where each data row starts (quoted cells may hold newlines), in one pass.

    Blank lines are no rows (as for pandas); ``dropped`` marks the rows of empty cells left out.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader, None)
    starts = []
    start = reader.line_num + 1
    try:
        for row in reader:
            if row:
                starts.append(start)
            start = reader.line_num + 1
    except csv.Error:
        pass
    if len(starts) != len(dropped):
        return starts
    return [s for s, d in zip(starts, dropped.tolist(), strict=True) if not d]


# A check of every row: the rows it flags, what it names ("column 'x'") and the message of a row.
_Check = tuple[np.ndarray, str, Callable[[int], str]]


def _row_refusal(file: str, text: str, dropped: np.ndarray, checks: list[_Check]) -> TimelineFileError:
    """The error for rows that failed ``checks``: the first problem and the count of the rest; all listed."""
    lines_of: list[list[int]] = []

    def where(i: int, label: str) -> str:
        if not lines_of:
            lines_of.append(_row_lines(text, dropped))
        starts = lines_of[0]
        line = f" (line {starts[i]})" if i < len(starts) else ""
        return f"row {i + 1}{line}, {label}"

    total = sum(len(hits) for hits, _, _ in checks)
    pos, k = min((int(hits[0]), k) for k, (hits, _, _) in enumerate(checks))
    _, label, message = checks[k]

    def lines() -> Iterator[str]:
        # Each check's rows are in order: merged, every problem comes by row (then by check).
        merged = heapq.merge(
            *(zip(hits.tolist(), [k] * len(hits), strict=True) for k, (hits, _, _) in enumerate(checks))
        )
        for i, k in merged:
            _, label, message = checks[k]
            yield _line(file, where(i, label), message(i))

    return TimelineFileError(str(_fail(file, where(pos, label), message(pos), total - 1)), lines)


def _read_acled(text: str, file: str, ds: Dataset, actors: ActorMap, strict: bool = False) -> UserTimeline:
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False, engine="c")
    except (pd.errors.ParserError, ValueError) as exc:
        m = re.search(r"line (\d+)", str(exc))
        where = f"line {m.group(1)}" if m else ""
        raise _fail(file, where, f"is not a valid CSV table ({str(exc).splitlines()[0][:80]})") from None
    df.columns = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    blank = (df == "").all(axis=1).to_numpy()
    if blank.any():
        df = df[~blank]
    if df.empty:
        raise _fail(file, "", "has no rows after its header; expected at least one event")
    for c in ACLED_OPTIONAL:
        if c not in df.columns:
            df[c] = ""
    for column in df.columns:
        df[column] = df[column].str.strip()
    checks: list[_Check] = []  # every row of every problem, listed by row

    def flag(mask: np.ndarray, column: str, message: Callable[[int], str]) -> None:
        hits = np.flatnonzero(mask)
        if len(hits):
            checks.append((hits, f"column '{column}'", message))

    # Cells that look like spreadsheet formulas are data here; every CSV written neutralises them (csvout).
    ids = df["event_id_cnty"]
    flag((ids == "").to_numpy(), "event_id_cnty", lambda i: "is empty; expected the row's ACLED id (e.g. SYR12345)")
    flag(
        ids.duplicated().to_numpy() & (ids != "").to_numpy(),
        "event_id_cnty",
        lambda i: f"{ids.iloc[i]!r} repeats an earlier row; expected unique ids",
    )
    dates_by_text = {v: parse_date(v) for v in df["event_date"].unique()}
    today = dt.date.today()
    bad_date = {v for v, d in dates_by_text.items() if d is None or not EARLIEST <= d <= today}
    dates = df["event_date"].map(dates_by_text)

    def date_message(i: int) -> str:
        v = df["event_date"].iloc[i]
        d = dates_by_text[v]
        if d is None:
            return f"{v[:40]!r} is not a date; expected YYYY-MM-DD or e.g. 27 November 2024"
        why = "is in the future" if d > today else f"is before {EARLIEST.isoformat()}"
        return f"{v!r} {why}; expected the day the event happened"

    flag(df["event_date"].isin(bad_date).to_numpy(), "event_date", date_message)
    lat = pd.to_numeric(df["latitude"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(df["longitude"], errors="coerce").to_numpy(dtype=float)
    for column, values in (("latitude", lat), ("longitude", lon)):
        flag(
            ~np.isfinite(values),
            column,
            lambda i, c=column: f"{df[c].iloc[i][:20]!r} is not a number; expected decimal degrees",
        )
    outside = _outside(lon, lat, ds)
    if outside is not None:
        checks.append(outside)
    kinds = df["sub_event_type"].map(lambda v: TERRITORIAL.get(v, REPORT)).to_numpy(dtype=object)
    side_of = {a: actors.controller(a) for a in df["actor1"].unique()}
    sides = [c for c in settings.CONTROLLERS if c != settings.CONTESTED]
    has_side = df["actor1"].map({a: s in sides for a, s in side_of.items()}).to_numpy(dtype=bool)
    no_side = (kinds != REPORT) & ~has_side
    if strict:

        def actor_message(i: int) -> str:
            actor = df["actor1"].iloc[i]
            if side_of[actor] is None:
                return (
                    f"{actor[:60]!r} is not mapped to a side; expected an actor that {actors.name} maps "
                    "(add a row 'pattern,controller' to a copy of it and give it with --actors)"
                )
            return (
                f"{actor[:60]!r} has no side in {actors.name} ({side_of[actor]}); expected an actor with a side "
                "(give it one with --actors)"
            )

        flag(no_side, "actor1", actor_message)
    if checks:
        raise _row_refusal(file, text, blank, checks)

    lonlat = np.column_stack([lon, lat])
    left_out: Counter[str] = Counter(df["actor1"].to_numpy()[no_side].tolist())
    kinds[no_side] = REPORT  # kept and shown, it changes no holder
    actor_list = df["actor1"].tolist()
    controllers = [side_of[a] if side_of[a] in sides else "" for a in actor_list]
    names = df["location"].tolist()
    row_ids = ids.tolist()
    place_of, new_places, counts = _locate(names, lonlat, row_ids, ds)
    date_list = dates.tolist()
    order = sorted(range(len(df)), key=lambda i: date_list[i])  # by date, file order within a day (stable)
    subs, notes = df["sub_event_type"].tolist(), df["notes"].tolist()
    reported = df["source"].tolist()
    events: list[dict[str, Any]] = []
    sources: list[dict[str, str]] = []
    for i in order:
        date = date_list[i].isoformat()
        where = names[i] if not place_of[i][1] else f"{names[i]} ({place_of[i][1]})"
        what = f"{subs[i]} at {where}"
        if no_side[i]:
            what += f" by {actor_list[i][:80] or 'an unnamed actor'} (no side in the actor mapping: a report)"
        events.append(
            {
                "date": date,
                "place_id": place_of[i][0],
                "controller": controllers[i],
                "kind": kinds[i],
                "source": row_ids[i],
                "note": f"{what}: {notes[i]}"[:600],
                "scope": "place",
            }
        )
        sources.append(
            {
                "id": row_ids[i],
                "title": f"ACLED {row_ids[i]} ({Path(file).name}, row {i + 1})",
                "publisher": f"ACLED (reported by {reported[i]})" if reported[i] else "ACLED",
                "published": date,
                "url": "",
            }
        )
    start, end = _span([d for d in dates_by_text.values() if d is not None], ds)
    changes = int((kinds != REPORT).sum())
    counts.update(changes=changes, reports=len(events) - changes, left_out_rows=int(no_side.sum()))
    listed = [
        {"actor": a, "rows": n, "mapping": side_of[a] or "unmapped"}
        for a, n in sorted(left_out.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return UserTimeline(
        file, "", "acled", len(df), start, end, events, sources, new_places, False, counts, actors.name, listed
    )


def _outside(lon: np.ndarray, lat: np.ndarray, ds: Dataset) -> _Check | None:
    """The rows whose coordinates lie more than ``OUTSIDE_KM`` outside Syria's outline (None if none)."""
    finite = np.isfinite(lon) & np.isfinite(lat)
    inside = np.ones(len(lon), dtype=bool)
    inside[finite] = shapely.contains_xy(ds.syria, lon[finite], lat[finite])
    candidates = np.flatnonzero(~inside)
    if not len(candidates):
        return None
    outline = geometry.to_metric(ds.syria)
    metric = shapely.get_coordinates(
        geometry.to_metric(shapely.MultiPoint(np.column_stack([lon[candidates], lat[candidates]])))
    )
    km = shapely.distance(outline, shapely.points(metric)) / 1000.0
    far = km > OUTSIDE_KM
    if not far.any():
        return None
    km_of = dict(zip(candidates[far].tolist(), km[far].tolist(), strict=True))

    def message(i: int) -> str:
        hint = " (latitude and longitude swapped?)" if shapely.contains_xy(ds.syria, lat[i], lon[i]) else ""
        return f"{lat[i]:g}, {lon[i]:g} lies {km_of[i]:,.0f} km outside Syria{hint}; expected a location in Syria"

    return candidates[far], "columns 'latitude','longitude'", message


def _key(name: str) -> str:
    return " ".join(fold(name).lower().replace("-", " ").replace("'", "").split())


def _locate(
    names: list[str], lonlat: np.ndarray, row_ids: list[str], ds: Dataset
) -> tuple[list[tuple[str, str]], list[dict[str, Any]], dict[str, int]]:
    """Each row's place id (and how it was matched), the new places, and the counts of each match."""
    known_xy = np.asarray([(p.x, p.y) for p in ds.places.geometry], dtype=float)
    known_ids = list(ds.places["id"])
    aliases: dict[str, set[int]] = {}
    for k, (name, alts) in enumerate(
        zip(ds.places["name"], ds.places.get("alt_names", [""] * len(known_ids)), strict=True)
    ):
        for n in [name, *str(alts or "").split("|")]:
            if n:
                aliases.setdefault(_key(n), set()).add(k)
    metric_known = np.asarray([geometry.to_metric(shapely.Point(x, y)).coords[0] for x, y in known_xy])
    tree = shapely.STRtree(shapely.points(metric_known))
    unique: dict[tuple[str, float, float], int] = {}
    loc_of_row = []
    for name, (lon, lat) in zip(names, lonlat.tolist(), strict=True):
        loc_of_row.append(unique.setdefault((name, round(lon, 5), round(lat, 5)), len(unique)))
    locs = list(unique)
    metric = np.asarray(
        [geometry.to_metric(shapely.Point(lon, lat)).coords[0] for _, lon, lat in locs], dtype=float
    ).reshape(-1, 2)
    pts = shapely.points(metric)
    near_idx, dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
    nearest = np.full(len(locs), -1)
    nearest_km = np.full(len(locs), np.inf)
    nearest[near_idx[0]] = near_idx[1]
    nearest_km[near_idx[0]] = dist / 1000.0
    used_ids = set(known_ids)
    matched: list[tuple[str, str]] = []
    new_places: list[dict[str, Any]] = []
    counts = {"snapped_name": 0, "snapped_near": 0, "new_places": 0, "same_spot": 0}
    first_row: dict[int, int] = {}
    for r, loc in enumerate(loc_of_row):
        first_row.setdefault(loc, r)
    # Locations that are no known place, and, among them, those on the same spot as an earlier one.
    unknown = []
    for j, (name, _, _) in enumerate(locs):
        by_name = [k for k in aliases.get(_key(name), ()) if np.hypot(*(metric_known[k] - metric[j])) <= SNAP_KM * 1000]
        if by_name:
            k = min(by_name, key=lambda k: np.hypot(*(metric_known[k] - metric[j])))
            matched.append((known_ids[k], ""))
            counts["snapped_name"] += 1
        elif nearest_km[j] <= SNAP_KM:
            k = int(nearest[j])
            matched.append((known_ids[k], f"{nearest_km[j]:.1f} km from {ds.places['name'].iloc[k]}"))
            counts["snapped_near"] += 1
        else:
            matched.append(("", ""))
            unknown.append(j)
    same = _same_spot(metric[unknown]) if unknown else []
    for u, j in enumerate(unknown):
        name, lon, lat = locs[j]
        if same[u] != u:  # within SAME_SPOT_KM of an earlier new location: the same place
            first = unknown[same[u]]
            matched[j] = (matched[first][0], f"same spot as {locs[first][0]}")
            counts["same_spot"] += 1
            continue
        base = f"acled-{seeds.slugify(name) or 'location'}"
        pid, n = base, 2
        while pid in used_ids:
            pid, n = f"{base}-{n}", n + 1
        used_ids.add(pid)
        new_places.append({"id": pid, "name": name or pid, "lon": lon, "lat": lat, "source": row_ids[first_row[j]]})
        matched[j] = (pid, "")
        counts["new_places"] += 1
    return [matched[loc] for loc in loc_of_row], new_places, counts


def _same_spot(metric: np.ndarray) -> list[int]:
    """For each point, the first point within ``SAME_SPOT_KM`` of it (itself if none), chains followed."""
    pts = shapely.points(metric)
    tree = shapely.STRtree(pts)
    pairs = tree.query(pts, predicate="dwithin", distance=SAME_SPOT_KM * 1000.0)
    first = list(range(len(metric)))
    for a, b in sorted(zip(pairs[0].tolist(), pairs[1].tolist(), strict=True)):
        if b < a:
            first[a] = min(first[a], first[b])
    for i in range(len(first)):
        while first[first[i]] != first[i]:
            first[i] = first[first[i]]
    return first


# --- the dataset ---------------------------------------------------------------------------------


def with_timeline(ds: Dataset, ut: UserTimeline) -> Dataset:
    """A dataset that draws ``ut`` over the baseline, places and bands of ``ds`` (nothing written)."""
    from territory import stats

    places = ds.places.reset_index(drop=True)
    cells = ds.cells
    baseline = dict(ds.baseline_controllers)
    if ut.new_places:
        new = gpd.GeoDataFrame(
            {
                "id": [p["id"] for p in ut.new_places],
                "name": [p["name"] for p in ut.new_places],
                "kind": ["location"] * len(ut.new_places),
                "population": [0] * len(ut.new_places),
                "governorate": _governorates_of(ds, ut.new_places),
                "alt_names": [""] * len(ut.new_places),
                "source": [p["source"] for p in ut.new_places],
                "operator": [""] * len(ut.new_places),
            },
            geometry=[shapely.Point(round(p["lon"], 6), round(p["lat"], 6)) for p in ut.new_places],
            crs=settings.CRS_WGS84,
        )
        lonlat = np.asarray([(p["lon"], p["lat"]) for p in ut.new_places], dtype=float)
        new[stats.BORDER_MILES_COL] = np.round(
            geometry.geodesic_distances_to_line_km(lonlat, ds.border) * 1000.0 / settings.METRES_PER_MILE, 4
        )
        places = pd.concat([places, new[places.columns]], ignore_index=True)
        places = gpd.GeoDataFrame(places, geometry="geometry", crs=settings.CRS_WGS84)
        cells = _retessellate(ds, places)
        zone_holder = {p: b for p, b in zip(cells["place_id"], cells["baseline"], strict=True) if isinstance(p, str)}
        lost = [p["name"] for p in ut.new_places if p["id"] not in zone_holder]
        if lost:
            problems = _Problems(ut.file)
            for name in lost:
                problems.add(
                    "",
                    f"location {name!r} leaves no room for a control cell; expected locations "
                    f"at least {SAME_SPOT_KM * 1000:.0f} m apart",
                )
            problems.raise_any()
        for p in ut.new_places:
            baseline[p["id"]] = zone_holder[p["id"]]
    timeline = dict(ds.timeline)
    timeline.update(
        baseline_date=ut.start.isoformat(),
        end_date=ut.end.isoformat(),
        sources=[*ds.timeline["sources"], *ut.sources],
        baseline_controllers=baseline,
        events=ut.events,
        disputes=list(ds.timeline.get("disputes", [])) if ut.keep_disputes else [],
    )
    extra = {k: v for k, v in ds.extra_layers.items() if k != settings.LAYER_EVENTS}
    villages = ds.extra_layers.get(settings.LAYER_HAMA_VILLAGES)
    if villages is not None:
        extra[settings.LAYER_HAMA_VILLAGES] = _villages(villages, ut.events, baseline)
    return Dataset.from_parts(
        syria=ds.syria,
        border=ds.border,
        places=places,
        cells=cells,
        timeline=timeline,
        governorates=ds.governorates,
        directory=None,
        extra_layers=extra,
        origin=ut.origin(),
    )


def _governorates_of(ds: Dataset, new_places: list[dict[str, Any]]) -> list[str]:
    pts = shapely.points([(p["lon"], p["lat"]) for p in new_places])
    govs = ds.governorates
    tree = shapely.STRtree(np.asarray(govs.geometry.values, dtype=object))
    idx = tree.query_nearest(pts, all_matches=False)
    out = [""] * len(new_places)
    for i, g in zip(idx[0].tolist(), idx[1].tolist(), strict=True):
        out[i] = str(govs["name"].iloc[g])
    return out


def _retessellate(ds: Dataset, places: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Control cells for every place (the file's new places among them) inside the same baseline zones."""
    from territory import tessellation

    zone_ids = list(dict.fromkeys(ds.cells["zone"]))
    zones = []
    for zid in zone_ids:
        mask = (ds.cells["zone"] == zid).to_numpy()
        geom = geometry.clean(shapely.coverage_union_all(ds.cell_geoms[mask]))
        zones.append(tessellation.Zone(zid, str(ds.cells["baseline"][mask].iloc[0]), geom))
    # A place must lie inside a zone to get a cell: one just outside the cells' (simplified) outline
    # is cut from the nearest point just inside it, as the build does with the country's outline.
    covered = shapely.coverage_union_all(ds.cell_geoms)
    inner = None
    pts = []
    for g in places.geometry:
        if not shapely.contains_xy(covered, g.x, g.y):
            inner = inner if inner is not None else covered.buffer(-0.001)
            g = nearest_points(inner, g)[0]
        pts.append((g.x, g.y))
    govs = list(zip(ds.governorates["name"], ds.governorates.geometry, strict=True))
    cells = tessellation.build_cells(zones, list(places["id"]), np.asarray(pts, dtype=float), govs)
    return gpd.GeoDataFrame(
        {
            "place_id": [c.place_id for c in cells],
            "zone": [c.zone_id for c in cells],
            "baseline": [c.controller for c in cells],
            "group": [c.group for c in cells],
            "thin": [c.thin for c in cells],
        },
        geometry=[c.geometry for c in cells],
        crs=settings.CRS_WGS84,
    )


def _villages(villages: gpd.GeoDataFrame, events: list[dict[str, Any]], baseline: dict[str, str]) -> gpd.GeoDataFrame:
    """The Hama villages with their first capture in this timeline."""
    changing = [Event.from_record(e, line=i) for i, e in enumerate(events) if e["kind"] != REPORT]
    captured = rules.first_capture(changing, baseline)
    out = villages.copy()
    taken = [captured.get(v) for v in out["id"]]
    out["captured"] = [e.date.isoformat() if e else None for e in taken]
    out["captured_by"] = [e.controller if e else None for e in taken]
    return out


# --- files on disk (the command line) -------------------------------------------------------------


def load_file(ds: Dataset, events: Path, actors: Path | None = None, strict: bool = False) -> Dataset:
    """The dataset drawing the events of the file ``events`` (``--events``), checked."""
    mapping = None
    if actors is not None:
        mapping = read_actors(_read_path(actors), str(actors))
    return load_bytes(ds, _read_path(events), str(events), mapping, strict)


def load_bytes(ds: Dataset, data: bytes, file: str, actors: ActorMap | None = None, strict: bool = False) -> Dataset:
    """The dataset drawing an events file's bytes (the CLI's file, the page's upload).

    Raises
    ------
    TimelineFileError
        For any problem with the file, as one line; a failure nobody foresaw is reported as one line
        too, naming the file (``TERRITORY_DEBUG=1`` lets it through with its traceback).
    """
    try:
        return with_timeline(ds, read_timeline(data, file, ds, actors, strict))
    except TimelineFileError:
        raise
    except Exception as exc:
        if os.environ.get("TERRITORY_DEBUG"):
            raise
        reason = str(exc).splitlines()[0][:160] if str(exc) else ""
        raise _fail(
            file,
            "",
            f"could not be read ({type(exc).__name__}: {reason}); expected an ACLED export or "
            "the seeds' events.csv format",
        ) from exc


def _read_path(path: Path) -> bytes:
    try:
        check_size(path.stat().st_size, str(path))
        return path.read_bytes()
    except FileNotFoundError:
        raise _fail(str(path), "", "does not exist; expected a CSV file") from None
    except IsADirectoryError:
        raise _fail(str(path), "", "is a directory; expected a CSV file") from None
    except OSError as exc:
        raise _fail(str(path), "", f"cannot be read ({exc.strerror or exc})") from None


def summary_of(ds: Dataset) -> str:
    """One line on the events file a dataset draws (empty for the built-in timeline)."""
    o = ds.origin
    if not o:
        return ""
    parts = [f"{o['rows']:,} rows ({o['format']})", f"{o.get('changes', 0):,} control changes"]
    if o.get("reports"):
        parts.append(f"{o['reports']:,} reports")
    if o["format"] == "acled":
        parts.append(
            f"locations: {o.get('snapped_name', 0):,} matched by name, {o.get('snapped_near', 0):,} by distance, "
            f"{o.get('new_places', 0):,} new"
        )
    if o.get("left_out_rows"):
        parts.append(f"{o['left_out_rows']:,} territorial rows of actors with no side kept as reports")
    return f"{o['file']}: " + ", ".join(parts) + f"; {o['first_date']} to {o['last_date']}"


def left_out_of(ds: Dataset) -> list[dict[str, Any]]:
    """The actors whose territorial rows were kept as reports (actor, rows, mapping), most rows first."""
    return list((ds.origin or {}).get("left_out", []))


def left_out_line(ds: Dataset) -> str:
    """One line on the territorial rows left without a side (empty when there are none)."""
    left = left_out_of(ds)
    if not left:
        return ""
    rows = sum(a["rows"] for a in left)
    ambiguous = sum(1 for a in left if a["mapping"] != "unmapped")
    why = f" ({ambiguous:,} of them ambiguous or of no side in the mapping)" if ambiguous else ""
    return (
        f"{ds.origin['file']}: {rows:,} territorial row{'s' if rows != 1 else ''} of {len(left):,} "
        f"actor{'s' if len(left) != 1 else ''} with no side{why} kept as reports: they change no holder"
    )


# Characters with a meaning in a regular expression (Python's re and RE2 alike); a backslash makes
# each one literal in both.
_REGEX_SPECIAL = frozenset("\\.^$|?*+()[]{}")


def literal_pattern(name: str) -> str:
    """A case-insensitive actor pattern matching exactly ``name`` (RE2- and ``re``-compatible)."""
    return "^" + "".join("\\" + c if c in _REGEX_SPECIAL else c for c in name) + "$"


def _template_pattern(name: str) -> str:
    """:func:`literal_pattern`, or for a name too long for one pattern, a pattern of its beginning."""
    pattern = literal_pattern(name)
    cut = len(name)
    while len(pattern) > settings.ACTOR_PATTERN_MAX_CHARS:
        cut -= max(1, (len(pattern) - settings.ACTOR_PATTERN_MAX_CHARS) // 2)
        pattern = literal_pattern(name[:cut])[:-1]  # no '$': the name starts so
    return pattern


def mapping_template(ds: Dataset) -> str:
    """A ready-to-edit actor mapping of the left-out actors: CSV ``pattern,controller,note``.

    The controller column is empty (a row left empty is no rule, so the file loads as it is); fill it
    in with a side and give the file with ``--actors`` (or upload it with the events) to apply it.
    """
    sides = [c for c in settings.CONTROLLERS if c != settings.CONTESTED]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["pattern", "controller", "note"])
    for a in left_out_of(ds):
        was = "no pattern matched" if a["mapping"] == "unmapped" else f"the mapping says {a['mapping']}"
        writer.writerow(
            [
                _template_pattern(a["actor"]),
                "",
                f"{a['rows']:,} territorial rows; {was}; controller: one of {', '.join(sides)} "
                f"(or {' or '.join(NO_SIDE)})",
            ]
        )
    return out.getvalue()


# Uploads read in this process, kept while any session shows them (weakly: a dataset no session holds
# is freed, and its share of the upload budget given back; territory.uploads).
_SHARED: weakref.WeakValueDictionary[tuple[Any, ...], Dataset] = weakref.WeakValueDictionary()
_SHARED_LOCK = threading.Lock()


def load_upload(
    ds: Dataset, data: bytes, file: str, actors: bytes | None = None, actors_file: str = "actors.csv"
) -> Dataset:  # never strict: the page loads the file and lists the actors left without a side
    """:func:`load_bytes` for the page, in a worker process and within the upload memory budget.

    The same file uploaded again (a reload, another tab) while a session still shows it is read once.
    Each session holds and sees only its own upload.

    Raises
    ------
    territory.uploads.UploadRefused
        The server's upload budget is spent, or the reading hit its memory or time limit.
    """
    key = (
        id(ds),
        hashlib.sha256(data).hexdigest(),
        Path(file).name,
        hashlib.sha256(actors).hexdigest() if actors is not None else None,
    )
    with _SHARED_LOCK:
        user = _SHARED.get(key)
    if user is not None:
        return user
    from territory import uploads

    user = uploads.read_upload(ds, data, file, actors, actors_file)
    user.origin = {**(user.origin or {}), "uploaded": True}  # through the page: this session's only
    with _SHARED_LOCK:
        _SHARED[key] = user
    return user


ENV_EVENTS = "TERRITORY_EVENTS"
ENV_ACTORS = "TERRITORY_ACTORS"
_PROCESS: dict[tuple[Any, ...], Dataset] = {}


def process_dataset() -> Dataset:
    """The dataset a served dashboard starts with: geodata/, drawing ``$TERRITORY_EVENTS`` if set (serve --events)."""
    from territory.data import default_dataset

    ds = default_dataset()
    events = os.environ.get(ENV_EVENTS)
    if not events:
        return ds
    actors = os.environ.get(ENV_ACTORS) or None
    path = Path(events)
    key = (id(ds), str(path), path.stat().st_mtime if path.exists() else None, actors)
    if key not in _PROCESS:
        _PROCESS.clear()
        _PROCESS[key] = load_file(ds, path, Path(actors) if actors else None)
    return _PROCESS[key]
