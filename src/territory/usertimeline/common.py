"""What every reader of an events file shares: limits, errors, the checked timeline, CSV and encoding plumbing."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypedDict

from territory import actormatch, seeds, settings
from territory._errors import Problems, UsageError
from territory.data import Dataset

MAX_MB = settings.USER_TIMELINE_MAX_MB
SNAP_KM = 5.0  # a location this close to a known place (by name, else by distance) is that place
SAME_SPOT_KM = 0.1  # new locations this close together are one new place (one control cell each needs room)
REPORT = settings.REPORT_KIND
MAX_LISTED = 100_000  # problems listed one per line at most (the rest are counted)
SEEDS_FIELDS = seeds.EVENT_FIELDS  # the seeds' own events.csv


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
            yield f"… and {more_problems(n - MAX_LISTED)}"


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


class Counts(TypedDict, total=False):
    """The counts a reader gives its timeline (all in its ``origin``, shown by :func:`~.summary.summary_of`).

    Every reader gives ``changes`` (rows that change a holder) and ``reports`` (rows shown that change
    nothing). A reader that places rows by their coordinates gives ``snapped_name``, ``snapped_near``
    and ``new_places`` (locations matched to a known place by name, by distance, and new places) and
    ``same_spot`` (new locations merged with a nearby one); one whose actors may have no side gives
    ``left_out_rows``; the seeds format gives ``governorate_wide`` (rows made from ``collapse.csv``).
    """

    changes: int
    reports: int
    governorate_wide: int
    snapped_name: int
    snapped_near: int
    new_places: int
    same_spot: int
    left_out_rows: int


@dataclass
class UserTimeline:
    """A checked events file, ready to replace the built-in events."""

    file: str
    sha256: str
    format: str  # the name of the :class:`Reader` that read it
    rows: int
    start: dt.date  # the timeline's first day (its baseline map)
    end: dt.date
    events: list[dict[str, Any]]  # as in geodata/timeline.json
    sources: list[dict[str, str]]  # the file's own sources (rows, or unknown source ids)
    new_places: list[dict[str, Any]]  # locations that are no known place: id, name, lon, lat, source
    keep_disputes: bool
    counts: Counts = field(default_factory=Counts)
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


def more_problems(n: int) -> str:
    """``"1,234 more problems"`` (``"1 more problem"``): the count of the problems a message does not list."""
    return f"{n:,} more problem{'s' if n != 1 else ''}"


def _line(file: str, where: str, message: str) -> str:
    return f"{file}{': ' + where if where else ''}: {message}"


def _fail(
    file: str, where: str, message: str, more: int = 0, lines: Callable[[], Iterable[str]] | None = None
) -> TimelineFileError:
    """The one-line error of a problem, counting ``more`` others (``lines``: every problem, listed)."""
    tail = f" (and {more_problems(more)})" if more else ""
    return TimelineFileError(_line(file, where, message) + tail, lines)


def problems_in(file: str) -> Problems:
    """A collector of one uploaded file's problems (the first ``MAX_LISTED`` kept, all counted)."""
    return Problems(file, limit=MAX_LISTED)


def raise_any(problems: Problems) -> None:
    """Raise one :class:`TimelineFileError` naming the first problem and counting the rest, if any."""
    if not problems:
        return
    items, count, file = problems.items, problems.count, problems.file

    def lines() -> Iterator[str]:
        yield from (_line(file, w, m) for w, m in items)
        if count > len(items):
            yield f"… and {more_problems(count - len(items))}"

    where, message = items[0]
    raise _fail(file, where, message, count - 1, lines)


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


def _span(dates: Sequence[dt.date], ds: Dataset) -> tuple[dt.date, dt.date]:
    """The timeline's days, whose first day shows the built-in baseline map.

    From the day before the first event (or the built-in baseline, if earlier) to the last event (or
    the built-in end, if later).
    """
    start = min(ds.baseline_date, min(dates) - dt.timedelta(days=1))
    return start, max(ds.end_date, max(dates))


class ReadFile(Protocol):
    """How a format checks a file's rows into a timeline (``rows`` yields ``(line, cells)`` after the header)."""

    def __call__(
        self,
        text: str,
        header: list[str],
        rows: Iterator[tuple[int, list[str]]],
        file: str,
        ds: Dataset,
        actors: ActorMap | None,
        strict: bool,
    ) -> UserTimeline:
        """The checked timeline of the file (``actors``: the visitor's actor mapping, if any)."""
        ...


@dataclass(frozen=True)
class Reader:
    """One events-file format: ``sniff`` tells it from its header; ``read`` checks its rows into a timeline.

    A new format is a new module with its own ``READER``, listed in :data:`territory.usertimeline.READERS`;
    the messages and help texts that name the formats are built from the list. ``description`` names
    the format in a sentence ("an ACLED export"), ``header`` what its header holds (listed when a
    header is no format's), ``upload_help`` the format in the page's help for the upload box.
    """

    name: str
    sniff: Callable[[list[str]], bool]
    read: ReadFile
    description: str
    header: str
    upload_help: str
