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

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from territory.data import Dataset
from territory.usertimeline import acled, seedsformat
from territory.usertimeline.actors import (
    ACTORS_FILE,
    actor_source_problems,
    literal_pattern,
    mapping_template,
    read_actors,
    template_pattern,
    with_defaults,
)
from territory.usertimeline.common import (
    ActorMap,
    Reader,
    TimelineFileError,
    UserTimeline,
    _fail,
    _rows,
    _text,
    check_size,
)
from territory.usertimeline.overlay import with_timeline
from territory.usertimeline.summary import left_out_line, left_out_of, summary_of

__all__ = [
    "ACTORS_FILE",
    "READERS",
    "ActorMap",
    "TimelineFileError",
    "actor_source_problems",
    "formats_said",
    "left_out_line",
    "left_out_of",
    "literal_pattern",
    "load_bytes",
    "load_file",
    "mapping_template",
    "read_actors",
    "read_timeline",
    "summary_of",
    "template_pattern",
    "with_defaults",
    "with_timeline",
]

# The formats an events file may be in, tried in order on its header (ACLED's sniff, the loosest, last); a new
# format is one more module here, and every message or help text that names the formats is built from this list.
READERS: tuple[Reader, ...] = (seedsformat.READER, acled.READER)


def formats_said(readers: Sequence[Reader] | None = None, what: str = "description") -> str:
    """The formats named in a sentence, joined by "or" (by default last first: ACLED's, the likeliest, first).

    ``what`` is the :class:`Reader` field that names a format (``description``, ``upload_help``).
    """
    return " or ".join(getattr(r, what) for r in (READERS[::-1] if readers is None else readers))


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
    reader = next((r for r in READERS if r.sniff(header)), None)
    if reader is not None:
        out = reader.read(text, header, rows, file, ds, actors, strict)
    elif len(header) == 1 and header[0].count(";") >= 3:
        raise _fail(
            file, "line 1", "is separated by semicolons; expected commas (save it as 'CSV UTF-8 (comma delimited)')"
        )
    else:
        formats = " nor ".join(r.header for r in READERS)
        raise _fail(file, "line 1", f"header {','.join(header)[:80]!r} is neither {formats}")
    out.sha256 = sha
    out.file = Path(file).name  # exports name the file, not the directories it was read from
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
        raise _fail(file, "", f"could not be read ({type(exc).__name__}: {reason}); expected {formats_said()}") from exc


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
