"""The one event model: a dated change (or contest, or report) of control of one place.

The seeds' ``events.csv``, the rows the build makes from ``collapse.csv``, uploaded timelines and
``geodata/timeline.json`` all hold :class:`Event`. ``scope`` says whether a row was sourced for its
place (``place``) or made from a governorate-wide end of government control (``governorate``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

Scope = Literal["place", "governorate"]
PLACE: Scope = "place"
GOVERNORATE_WIDE: Scope = "governorate"


@dataclass(frozen=True)
class Event:
    """One event of the timeline.

    ``line`` is the row's line in the file it was read from (0 when unknown) and ``seq`` numbers the
    places one governorate-wide row hands over; both only order the rows of a day (see :attr:`order`).
    """

    date: dt.date
    place_id: str
    controller: str
    kind: str
    source: str
    note: str
    scope: Scope = PLACE
    line: int = 0
    seq: int = 0

    @property
    def order(self) -> tuple[dt.date, bool, int, int]:
        """Sort key: by date; within a day place rows in file order, then governorate-wide rows."""
        return (self.date, self.scope != PLACE, self.line, self.seq)

    def record(self) -> dict[str, Any]:
        """The event as ``geodata/timeline.json`` holds it."""
        return {
            "date": self.date.isoformat(),
            "place_id": self.place_id,
            "controller": self.controller,
            "kind": self.kind,
            "source": self.source,
            "note": self.note,
            "scope": self.scope,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any], line: int = 0) -> Event:
        """An event from its ``timeline.json`` form."""
        return cls(
            dt.date.fromisoformat(record["date"]),
            record["place_id"],
            record["controller"],
            record["kind"],
            record["source"],
            record["note"],
            record.get("scope", PLACE),
            line,
        )


def in_order(events: list[Event]) -> list[Event]:
    """``events`` sorted by :attr:`Event.order`."""
    return sorted(events, key=lambda e: e.order)
