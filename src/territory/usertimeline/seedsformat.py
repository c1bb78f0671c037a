"""The seeds' own events.csv format: rows checked by the seeds' rules, collapse.csv applied as in the build."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from territory import rules, seeds
from territory.data import Dataset
from territory.eventrows import RowRules, check_event_row
from territory.events import Event, in_order
from territory.seedfiles import field_count_problem
from territory.usertimeline.common import (
    SEEDS_FIELDS,
    ActorMap,
    Reader,
    UserTimeline,
    _fail,
    _span,
    problems_in,
    raise_any,
)


def _read_seeds(rows: Iterator[tuple[int, list[str]]], file: str, ds: Dataset) -> UserTimeline:
    problems = problems_in(file)
    known = set(ds.places["id"])
    parsed: list[Event] = []
    own_sources: dict[str, dict[str, str]] = {}
    row_rules = RowRules({p: p for p in known}, upload=True)
    n = 0
    for line, row in rows:
        n += 1
        where = f"row {n} (line {line})"
        if what := field_count_problem(row, SEEDS_FIELDS):
            problems.add(where, what)
            continue
        r = dict(zip(SEEDS_FIELDS, (c.strip() for c in row), strict=True))
        check = check_event_row(r, row_rules)
        for column, what in check.problems:
            problems.add(f"{where}, column '{column}'", what)
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
        if (event := check.event(r, line, source)) is not None:
            parsed.append(event)
    raise_any(problems)
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


def _read(
    text: str,
    header: list[str],
    rows: Iterator[tuple[int, list[str]]],
    file: str,
    ds: Dataset,
    actors: ActorMap | None,
    strict: bool,
) -> UserTimeline:
    return _read_seeds(rows, file, ds)


READER = Reader(
    "seeds",
    lambda header: tuple(header) == SEEDS_FIELDS,
    _read,
    description="the seeds' events.csv format",
    header=f"the seeds' events.csv ({','.join(SEEDS_FIELDS)})",
    upload_help=f"a file in the seeds' events.csv format ({','.join(SEEDS_FIELDS)})",
)
