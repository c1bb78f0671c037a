"""One home for the checks of an events row: ``seeds/events.csv`` and uploads in its format, and the words of dates.

The seeds loader (:mod:`territory.seeds`) and the upload reader (:mod:`territory.usertimeline.seedsformat`)
both check every row with :func:`check_event_row`; what differs between them (the dates a row may carry,
whether its source must be in ``seeds/sources.csv``, how a problem is worded for its reader) is a field of
:class:`RowRules`. The shape of a row (its field count) is checked by :func:`territory.seedfiles.field_count_problem`
for both, and ACLED exports word their dates with :func:`date_problem` as uploads in the seeds format do.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from territory import settings
from territory.events import Event
from territory.seedfiles import _hint, iso_date, source_problem

EARLIEST = dt.date(1997, 1, 1)  # ACLED's earliest data; an earlier date in an upload is a typo
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


def date_problem(value: str, date: dt.date | None, expected: str) -> str | None:
    """What is wrong with an uploaded date cell (``date``: :func:`parse_date` of it), or None when it is fine.

    A date must be one (ISO or ACLED's way) from :data:`EARLIEST` to today; ``expected`` ends the
    message of a date out of that span (the seeds format and ACLED word it differently).
    """
    if date is None:
        return f"{value[:40]!r} is not a date; expected YYYY-MM-DD or e.g. 27 November 2024"
    today = dt.date.today()
    if EARLIEST <= date <= today:
        return None
    why = "is in the future" if date > today else f"is before {EARLIEST.isoformat()}"
    return f"{value!r} {why}; expected {expected}"


def place_hint(value: str, aliases: Mapping[str, str], by_part: bool = True) -> str:
    """The " (did you mean 'x'?)" hint for an unknown place id, from ids, names and alternative names (``aliases``).

    ``by_part`` also suggests a place whose id or name holds ``value`` (4 letters or more).
    """
    if value in aliases:
        return f" (did you mean '{aliases[value]}'?)"
    close = difflib.get_close_matches(value, list(aliases), n=1, cutoff=0.6)
    if close:
        return f" (did you mean '{aliases[close[0]]}'?)"
    if not by_part:
        return ""
    contains = sorted({pid for alias, pid in aliases.items() if len(value) >= 4 and value in alias})
    return f" (did you mean '{contains[0]}'?)" if contains else ""


@dataclass(frozen=True)
class RowRules:
    """What differs between the callers of :func:`check_event_row`.

    ``places`` maps a place id (and, for the seeds, a seed place's slugged name or alternative name)
    to its id. ``sources`` are the ids a row must cite (None: any, an upload cites its own).
    ``timeline`` is the seeds' span of event dates, which are written ``YYYY-MM-DD``; None: an
    upload's dates, ISO or ACLED's way, from :data:`EARLIEST` to today. ``upload`` words problems
    for a reader of one column (``'x' is unknown; expected a place id``) and hints only close
    spellings; the seeds' problems name their field (``place_id 'x' is unknown``) and hint more.
    """

    places: Mapping[str, str]
    sources: Mapping[str, Any] | None = None
    timeline: tuple[dt.date, dt.date] | None = None
    upload: bool = False
    dates: dict[str, dt.date | None] = field(default_factory=dict)  # parsed date cells (uploads repeat them)


class RowCheck(NamedTuple):
    """A row's date (None when unusable), its problems as ``(column, what)``, and whether it makes an event."""

    date: dt.date | None
    problems: list[tuple[str, str]]
    ok: bool  # a problem with the source alone still makes the event (the file is refused anyway)

    def event(self, row: Mapping[str, str], line: int, source: str | None = None) -> Event | None:
        """The row's event (citing ``source`` instead of its own ``source_id`` if given), or None if it makes none."""
        if not self.ok or self.date is None:
            return None
        source = row["source_id"] if source is None else source
        return Event(self.date, row["place_id"], row["controller"], row["kind"], source, row["note"], line=line)


def check_event_row(row: Mapping[str, str], rules: RowRules) -> RowCheck:
    """Every check of one events row (stripped cells by field name), in the order its problems are listed.

    Each problem's ``what`` starts with the quoted value (or ``is empty``), so a caller puts the
    column where its messages name it.
    """
    problems: list[tuple[str, str]] = []
    date = _row_date(row["date"], rules, problems)
    ok = date is not None and not problems
    place = row["place_id"]
    if place not in rules.places or rules.places[place] != place:
        what = f"{place!r} is unknown{place_hint(place, rules.places, by_part=not rules.upload)}"
        problems.append(("place_id", what + "; expected a place id" if rules.upload else what))
        ok = False
    choice_problems = event_row_problems(row, hints=not rules.upload)
    problems.extend(choice_problems)
    ok &= not choice_problems
    if rules.sources is not None and (what := source_problem(row["source_id"], rules.sources)):
        problems.append(("source_id", what))
    return RowCheck(date if ok else None, problems, ok)


def _row_date(value: str, rules: RowRules, problems: list[tuple[str, str]]) -> dt.date | None:
    if rules.timeline is None:
        if value not in rules.dates:
            rules.dates[value] = parse_date(value)
        date = rules.dates[value]
        what = date_problem(value, date, "a date the events happened on")
        if what:
            problems.append(("date", what))
            return None
        return date
    date, what = iso_date(value)
    if what:
        problems.append(("date", what))
    elif date is not None and not rules.timeline[0] <= date <= rules.timeline[1]:
        first, last = rules.timeline
        problems.append(("date", f"{value!r} is outside the timeline; expected {first} to {last}"))
    return date


def event_row_problems(row: Mapping[str, str], hints: bool = True) -> list[tuple[str, str]]:
    """The rules every events row obeys on its controller and kind, as ``(column, what)``.

    ``hints`` adds "did you mean" to unknown values.
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
