"""ACLED exports: territorial rows change holders (actor1 mapped to a side), every other row is a report."""

from __future__ import annotations

import csv
import datetime as dt
import heapq
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from territory import geometry, settings
from territory.data import Dataset
from territory.eventrows import date_problem, parse_date
from territory.events import Event
from territory.usertimeline.actors import with_defaults
from territory.usertimeline.common import (
    REPORT,
    ActorMap,
    Reader,
    TimelineFileError,
    UserTimeline,
    _fail,
    _line,
    _span,
)
from territory.usertimeline.locations import _locate

OUTSIDE_KM = 5.0  # coordinates farther than this outside Syria's outline are refused
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

    return _fail(file, where(pos, label), message(pos), total - 1, lines)


def _table(text: str, file: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The export as a table of stripped text cells (optional columns added empty), and its blank rows left out."""
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
    return df, blank


def _row_checks(df: pd.DataFrame, ds: Dataset) -> tuple[list[_Check], pd.Series, np.ndarray, np.ndarray]:
    """Every row's problems with its id, date and coordinates; the rows' dates, longitudes and latitudes."""
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
    date_problems = {v: date_problem(v, d, "the day the event happened") for v, d in dates_by_text.items()}
    bad_date = {v for v, what in date_problems.items() if what}
    dates = df["event_date"].map(dates_by_text)

    def date_message(i: int) -> str:
        return date_problems[df["event_date"].iloc[i]] or ""

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
    return checks, dates, lon, lat


def _read_acled(text: str, file: str, ds: Dataset, actors: ActorMap, strict: bool = False) -> UserTimeline:
    df, blank = _table(text, file)
    checks, dates, lon, lat = _row_checks(df, ds)
    ids = df["event_id_cnty"]

    def flag(mask: np.ndarray, column: str, message: Callable[[int], str]) -> None:
        hits = np.flatnonzero(mask)
        if len(hits):
            checks.append((hits, f"column '{column}'", message))

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
    events, sources = _records(df, file, order, date_list, place_of, controllers, kinds, no_side)
    start, end = _span(date_list, ds)  # every date parsed: a bad one was refused above
    changes = int((kinds != REPORT).sum())
    counts.update(changes=changes, reports=len(events) - changes, left_out_rows=int(no_side.sum()))
    listed = [
        {"actor": a, "rows": n, "mapping": side_of[a] or "unmapped"}
        for a, n in sorted(left_out.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return UserTimeline(
        file, "", "acled", len(df), start, end, events, sources, new_places, False, counts, actors.name, listed
    )


def _records(
    df: pd.DataFrame,
    file: str,
    order: list[int],
    date_list: list[dt.date],
    place_of: list[tuple[str, str]],
    controllers: list[str],
    kinds: np.ndarray,
    no_side: np.ndarray,
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The rows in ``order`` as events (as in timeline.json) and as their own sources."""
    names, row_ids, actor_list = df["location"].tolist(), df["event_id_cnty"].tolist(), df["actor1"].tolist()
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
        note = f"{what}: {notes[i]}"[:600]
        events.append(Event(date_list[i], place_of[i][0], controllers[i], kinds[i], row_ids[i], note).record())
        sources.append(
            {
                "id": row_ids[i],
                "title": f"ACLED {row_ids[i]} ({Path(file).name}, row {i + 1})",
                "publisher": f"ACLED (reported by {reported[i]})" if reported[i] else "ACLED",
                "published": date,
                "url": "",
            }
        )
    return events, sources


def _outside(lon: np.ndarray, lat: np.ndarray, ds: Dataset) -> _Check | None:
    """The rows whose coordinates lie more than ``OUTSIDE_KM`` outside Syria's outline (None if none)."""
    km = geometry.km_outside(ds.syria, lon, lat)
    far = km > OUTSIDE_KM  # NaN (no coordinates) is not: those rows are refused for that elsewhere
    if not far.any():
        return None
    rows = np.flatnonzero(far)
    km_of = dict(zip(rows.tolist(), km[far].tolist(), strict=True))

    def message(i: int) -> str:
        hint = " (latitude and longitude swapped?)" if shapely.contains_xy(ds.syria, lat[i], lon[i]) else ""
        return f"{lat[i]:g}, {lon[i]:g} lies {km_of[i]:,.0f} km outside Syria{hint}; expected a location in Syria"

    return rows, "columns 'latitude','longitude'", message


def _read(
    text: str,
    header: list[str],
    rows: Iterator[tuple[int, list[str]]],
    file: str,
    ds: Dataset,
    actors: ActorMap | None,
    strict: bool,
) -> UserTimeline:
    missing = [c for c in ACLED_REQUIRED if c not in header]
    if missing:
        raise _fail(
            file, "line 1", f"header lacks column '{missing[0]}'; an ACLED export needs {', '.join(ACLED_REQUIRED)}"
        )
    return _read_acled(text, file, ds, with_defaults(actors), strict)


READER = Reader(
    "acled",
    lambda header: "event_id_cnty" in header or "sub_event_type" in header,
    _read,
    description="an ACLED export",
    header=f"an ACLED export ({', '.join(ACLED_REQUIRED)}, …)",
    upload_help="an ACLED export (as ACLED's export tool writes it)",
)
