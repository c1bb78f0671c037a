"""The timeline's rules, shared by the build and uploaded timelines.

Governorate-wide collapses become per-place events; a place's first capture.
"""

from __future__ import annotations

import datetime as dt
import itertools

from territory import settings
from territory.events import GOVERNORATE_WIDE, Event, in_order
from territory.seedfiles import Collapse


def holder_after(e: Event) -> str:
    """Who holds the place after ``e``: its side, or ``contested``."""
    return settings.CONTESTED if e.kind in settings.CONTESTING_EVENT_KINDS else e.controller


def expand_collapses(
    events: list[Event], collapses: list[Collapse], governorate_of: dict[str, str], baseline: dict[str, str]
) -> list[Event]:
    """Per-place events (scope ``governorate``) for each row of ``seeds/collapse.csv``.

    On the row's date, after that day's own events, every place of the governorate still held by
    the government passes to the row's controller, except:

    - the place ids listed in the row's ``except``;
    - places held by anyone else (a collapse never hands a third party's place to the opposition);
    - places with a sourced place-level change of their own after that date (the place-level date
      wins over the governorate-wide one).
    """
    explicit = in_order(events)
    later_change: dict[str, dt.date] = {}
    for e in explicit:
        if e.kind not in settings.CONTESTING_EVENT_KINDS:
            later_change[e.place_id] = max(later_change.get(e.place_id, e.date), e.date)
    state = dict(baseline)
    generated: list[Event] = []
    i = 0
    for c in collapses:
        while i < len(explicit) and explicit[i].date <= c.date:
            state[explicit[i].place_id] = holder_after(explicit[i])
            i += 1
        for k, pid in enumerate(sorted(p for p, g in governorate_of.items() if g == c.governorate)):
            if pid in c.keep or state[pid] != settings.GOVERNMENT or later_change.get(pid, c.date) > c.date:
                continue
            generated.append(
                Event(c.date, pid, c.controller, "withdrawn", c.source_id, c.note, GOVERNORATE_WIDE, c.line, k)
            )
            state[pid] = c.controller
    return generated


def first_capture(events: list[Event], baseline: dict[str, str]) -> dict[str, Event]:
    """The event by which each place was first held, at the end of a day, by a side other than its baseline holder.

    Contested days do not count, nor does a claim undone later the same day (rows of a day apply in
    order), nor the baseline holder taking back a contested place.
    """
    out: dict[str, Event] = {}
    for _, day in itertools.groupby(in_order(events), key=lambda e: e.date):
        last = {e.place_id: e for e in day}  # the day's last row for each place decides its holder
        for pid, e in last.items():
            holder = holder_after(e)
            if pid not in out and holder not in (baseline.get(pid), settings.CONTESTED):
                out[pid] = e
    return out
