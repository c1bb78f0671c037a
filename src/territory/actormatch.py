"""Actor patterns that run in time linear in the text: RE2, one automaton for the whole mapping.

Python's ``re`` backtracks: a visitor's pattern such as ``(a+)+$`` against an actor of thirty ``a`` and a
``!`` takes minutes while holding the GIL, which stalls every session of the server. RE2 (Google's
engine, ``google-re2`` on PyPI) guarantees linear time and refuses what it cannot do that way
(backreferences, look-around). Every actor pattern, the shipped ``seeds/actors.csv`` and a visitor's
``--actors`` file or upload, goes through :func:`compile_pattern` and :class:`Matcher`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import re2

from . import settings


class PatternError(ValueError):
    """A pattern that RE2 refuses, or that is over the limits (the message says which and why)."""


def _options() -> Any:
    opts = re2.Options()
    opts.case_sensitive = False  # the mapping is case-insensitive, as ACLED's spelling varies
    opts.log_errors = False  # errors become one-line messages, not absl log lines on stderr
    opts.max_mem = settings.ACTOR_PATTERN_MAX_MEM
    return opts


def compile_pattern(pattern: str) -> Any:
    """Compile one actor pattern with RE2, case-insensitive.

    Raises
    ------
    PatternError
        The pattern is longer than ``settings.ACTOR_PATTERN_MAX_CHARS`` or RE2 refuses it.
    """
    if len(pattern) > settings.ACTOR_PATTERN_MAX_CHARS:
        msg = f"is {len(pattern):,} characters long; the limit is {settings.ACTOR_PATTERN_MAX_CHARS}"
        raise PatternError(msg)
    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        msg = (
            f"is not a pattern RE2 accepts ({reason}); expected a regular expression without backreferences "
            "or look-around"
        )
        raise PatternError(msg) from None


class Matcher:
    """The first of ``patterns`` that matches a text, in time linear in the text.

    An ``RE2::Set`` finds every matching pattern in one pass (about a microsecond per actor, whatever
    the number of patterns; looping over the patterns one by one in Python costs ~2 µs per pattern).
    The set answers "none" both for no match and when its DFA runs out of memory on a pathological
    pattern, so a "none" is confirmed by one RE2 search of all patterns as alternatives, which falls
    back to RE2's NFA (still linear) instead of failing.
    """

    def __init__(self, patterns: Sequence[str], compiled: Sequence[Any]) -> None:
        self.compiled = list(compiled)
        opts = _options()
        opts.max_mem = settings.ACTOR_PATTERNS_MAX_MEM  # all patterns at once
        opts.never_capture = True  # a name used by two patterns' groups must not clash
        try:
            self._set = re2.Set.SearchSet(opts)
            for pattern in patterns:
                self._set.Add(pattern)
            self._set.Compile()
            self._any = re2.compile("|".join(f"(?:{p})" for p in patterns), opts) if patterns else None
        except re2.error:
            mb = opts.max_mem // 2**20
            msg = f"has patterns too large to run together (over {mb} MB); expected fewer or simpler ones"
            raise PatternError(msg) from None

    def first(self, text: str) -> int | None:
        """Index of the first pattern that matches somewhere in ``text``, or None."""
        hits = self._set.Match(text)
        if hits:
            return min(hits)
        if self._any is None or self._any.search(text) is None:
            return None
        # The set gave up (DFA out of memory): ask each pattern, in order; rare, still linear.
        return next(k for k, rx in enumerate(self.compiled) if rx.search(text) is not None)
