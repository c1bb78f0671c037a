"""Errors territory reports to a user, and the collector of one file's problems.

The errors are thin subclasses of built-ins, so callers may catch ``ValueError``; ``Problems`` is shared by
the seeds loader and uploaded timelines.
"""

from __future__ import annotations


class TerritoryError(Exception):
    """Base class of every error territory reports to a user as one clear message."""


class UsageError(TerritoryError, ValueError):
    """A bad argument: unknown layer, malformed or out-of-range date, bad depths."""


class SeedValidationError(TerritoryError, ValueError):
    """One or more problems in ``seeds/``; ``problems`` lists every one of them."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = f"seeds/ has {count} problem{'s' if count != 1 else ''}:"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


class Problems:
    """Problems found while reading a file or a folder: where each one is, and what was expected.

    Every problem is counted; the first ``limit`` are kept (all of them when ``limit`` is None), so a
    huge bad file stays bounded in memory. Used by the seeds loader and by uploaded timelines.
    """

    def __init__(self, file: str = "", limit: int | None = None) -> None:
        self.file = file
        self.limit = limit
        self.items: list[tuple[str, str]] = []  # (where, message), the first ``limit``
        self.count = 0

    def add(self, where: str, message: str) -> None:
        self.count += 1
        if self.limit is None or len(self.items) < self.limit:
            self.items.append((where, message))

    def __bool__(self) -> bool:
        return self.count > 0

    def lines(self) -> list[str]:
        """The problems kept, ``"where: message"`` each."""
        return [f"{where}: {message}" for where, message in self.items]


class DataError(TerritoryError, RuntimeError):
    """Generated or downloaded data is missing, truncated or invalid."""


class DownloadError(TerritoryError, RuntimeError):
    """An open-data package could not be fetched or failed verification."""


class BuildError(TerritoryError, RuntimeError):
    """The build cannot go on (seeds that pass validation but cannot be drawn, missing inputs)."""
