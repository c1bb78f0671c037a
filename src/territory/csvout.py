"""Every CSV the project writes goes through here: no cell a spreadsheet would run as a formula.

Uploaded files are data and are read as they are (a note may well start with "- On 3 December…").
What a spreadsheet must not do is *run* such a cell when someone opens an export, so on output a
text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
apostrophe (OWASP's "CSV injection" rule); Excel and LibreOffice show the apostrophe-prefixed text
as text. The rule applies to text cells only: numbers (``int``/``float`` values, numeric columns)
are written as numbers, so ``-3.5`` in an area column stays a number, while the *text* ``-3.5``
in a note becomes ``'-3.5``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """``value`` as a CSV cell: text that starts like a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text (RFC 4180, newline line ends) of a header and rows, formula-like cells neutralised."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([cell(h) for h in header])
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return buf.getvalue()


def records_csv(fields: Sequence[str], records: Iterable[Mapping[str, Any]]) -> str:
    """CSV text of dicts (one per row, the ``fields`` in order; None is an empty cell)."""
    return csv_text(fields, ([r.get(f) for f in fields] for r in records))


def frame_csv(frame: pd.DataFrame) -> str:
    """A table as CSV without its index; text cells neutralised, numbers left numbers."""
    return frame.map(cell).to_csv(index=False, lineterminator="\n")
