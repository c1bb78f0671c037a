"""Load and validate ``seeds/``: the only files where facts are typed in by hand.

:func:`load_seeds` reads every seed file, checks every row and raises one
:class:`~territory._errors.SeedValidationError` that lists **every** problem found, each as
``seeds/FILE:LINE: field 'value' is wrong; expected ...``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from territory import settings
from territory._errors import Problems, SeedValidationError
from territory.eventrows import RowRules, check_event_row
from territory.events import Event, in_order
from territory.seedfiles import (
    BASELINE_FILE,
    COLLAPSE_FIELDS,
    COLLAPSE_FILE,
    DISPUTE_FIELDS,
    DISPUTES_FILE,
    EVENT_FIELDS,
    EVENTS_FILE,
    GOLAN_LINE_FILE,
    PROPOSAL_FIELDS,
    PROPOSALS_FILE,
    SEPARATION_ORDER,
    SLUG_RE,
    Collapse,
    Dispute,
    Proposal,
    Seeds,
    Source,
    _check_choice,
    _check_source,
    _load_sources,
    _parse_date,
    _read_csv,
    slugify,
)

# The seeds' public names live where they are defined; this module (load_seeds) is their front door.
from territory.seedfiles import citation as citation
from territory.seedfiles import display_title as display_title
from territory.seedfiles import mirror_host as mirror_host
from territory.seedgeo import _check_place, _load_baseline, _load_baseline_points, _load_golan_line, _load_places
from territory.seedgeo import load_golan_line as load_golan_line


def _load_events(
    root: Path,
    sources: dict[str, Source],
    place_ids: dict[str, str],
    timeline: tuple[dt.date, dt.date],
    problems: Problems,
) -> list[Event]:
    rel = f"seeds/{EVENTS_FILE}"
    events: list[Event] = []
    rules = RowRules(place_ids, sources, (timeline[0] + dt.timedelta(days=1), timeline[1]))
    for line, row in _read_csv(root / EVENTS_FILE, EVENT_FIELDS, problems, rel):
        check = check_event_row(row, rules)
        for column, what in check.problems:
            problems.add(f"{rel}:{line}", f"{column} {what}")
        if (event := check.event(row, line)) is not None:
            events.append(event)
    return in_order(events)


MAX_UNSOURCED_CONTESTED_DAYS = 3


def _check_contested_spells(events: list[Event], end: dt.date, problems: Problems) -> None:
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


def _load_proposals(root: Path, sources: dict[str, Source], problems: Problems) -> list[Proposal]:
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
    problems: Problems,
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
    return _load_collapses(root or settings.seeds_dir(), sources, {p: p for p in place_ids}, span, Problems())


def _load_disputes(
    root: Path,
    sources: dict[str, Source],
    place_ids: dict[str, str],
    timeline: tuple[dt.date, dt.date],
    problems: Problems,
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
    problems = Problems()
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
    if problems:
        raise SeedValidationError(problems.lines())
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
