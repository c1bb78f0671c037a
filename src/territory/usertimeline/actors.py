"""The actor mapping: which side an ACLED actor fights for (seeds/actors.csv, or a visitor's file)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from territory import actormatch, settings
from territory.data import Dataset
from territory.usertimeline.common import ActorMap, _fail, _rows, _text, problems_in, raise_any
from territory.usertimeline.summary import left_out_of

ACTORS_FILE = "actors.csv"
# Controllers an actor mapping may give an actor it leaves without a side on purpose: ``ambiguous``
# (changed sides, or fought on more than one) and ``none`` (a known actor that is none of the map's
# sides: the Islamic State, civilians, US forces). A territorial row of such an actor, like one of an
# actor no pattern matches, changes nothing.
NO_SIDE = ("ambiguous", "none")


def read_actors(data: bytes | None = None, file: str = f"seeds/{ACTORS_FILE}", root: Path | None = None) -> ActorMap:
    """The actor mapping: a CSV ``pattern,controller`` (default: ``actors.csv`` of the seeds directory)."""
    if data is None:
        path = (root or settings.seeds_dir()) / ACTORS_FILE
        if not path.is_file():
            raise _fail(str(path), "", "is missing; expected the default actor mapping (CSV pattern,controller)")
        data = path.read_bytes()
    text = _text(data, file)
    header, rows = _rows(text, file)
    if header[:2] != ["pattern", "controller"]:
        raise _fail(file, "line 1", f"header is {','.join(header)[:60]!r}; expected 'pattern,controller'")
    sides = [*(c for c in settings.CONTROLLERS if c != settings.CONTESTED), *NO_SIDE]
    problems = problems_in(file)
    rules = []
    for line, row in rows:
        where = f"line {line}"
        if len(row) < 2 or not row[0].strip():
            problems.add(where, "expected a pattern and a controller")
            continue
        pattern, controller = row[0].strip(), row[1].strip()
        if not controller:  # a row of a mapping template left empty: no rule
            continue
        if controller not in sides:
            problems.add(
                where,
                f"column 'controller': {controller!r} is unknown; expected one of {', '.join(sides)} "
                "(or empty: no rule)",
            )
            continue
        if len(rules) == settings.ACTOR_PATTERNS_MAX:  # a hostile file stops here, not at its end
            raise _fail(file, where, f"is one pattern too many; the limit is {settings.ACTOR_PATTERNS_MAX:,} per file")
        try:
            compiled = actormatch.compile_pattern(pattern)
        except actormatch.PatternError as exc:
            problems.add(where, f"column 'pattern': {pattern[:40]!r} {exc}")
            continue
        rules.append((pattern, compiled, controller))
    raise_any(problems)
    if not rules:
        raise _fail(file, "", "has no row with a controller; expected at least one 'pattern,controller' row")
    return ActorMap(tuple(rules), file)


def actor_source_problems(root: Path, sources: set[str] | dict[str, Any]) -> list[str]:
    """Rows of the shipped actor mapping (``root/actors.csv``) without a ``note`` or citing no known source.

    Each side the shipped mapping gives is a sourced fact (``source``: ids of ``sources.csv``,
    ``|``-separated); a user's mapping needs neither column.
    """
    path = root / ACTORS_FILE
    if not path.is_file():
        return []
    out = []
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline=""))
    for line, row in enumerate(rows, start=2):
        where = f"{ACTORS_FILE} line {line}"
        if not (row.get("note") or "").strip():
            out.append(f"{where}: column 'note' is empty; expected why the actor has that side")
        ids = [i.strip() for i in (row.get("source") or "").split("|") if i.strip()]
        if not ids:
            out.append(f"{where}: column 'source' is empty; expected a source id of sources.csv")
        out.extend(f"{where}: source {i!r} is not in sources.csv" for i in ids if i not in sources)
    return out


def with_defaults(actors: ActorMap | None) -> ActorMap:
    """A user's mapping is tried first, then the shipped one (so a file needs only the actors it adds or changes)."""
    default = read_actors()
    if actors is None:
        return default
    return ActorMap(actors.rules + default.rules, f"{actors.name} or {default.name}")


# Characters with a meaning in a regular expression (Python's re and RE2 alike); a backslash makes
# each one literal in both.
_REGEX_SPECIAL = frozenset("\\.^$|?*+()[]{}")


def literal_pattern(name: str) -> str:
    """A case-insensitive actor pattern matching exactly ``name`` (RE2- and ``re``-compatible)."""
    return "^" + "".join("\\" + c if c in _REGEX_SPECIAL else c for c in name) + "$"


def template_pattern(name: str) -> str:
    """:func:`literal_pattern`, or for a name too long for one pattern, a pattern of its beginning."""
    pattern = literal_pattern(name)
    cut = len(name)
    while len(pattern) > settings.ACTOR_PATTERN_MAX_CHARS:
        cut -= max(1, (len(pattern) - settings.ACTOR_PATTERN_MAX_CHARS) // 2)
        pattern = literal_pattern(name[:cut])[:-1]  # no '$': the name starts so
    return pattern


def mapping_template(ds: Dataset) -> str:
    """A ready-to-edit actor mapping of the left-out actors: CSV ``pattern,controller,note``.

    The controller column is empty (a row left empty is no rule, so the file loads as it is); fill it
    in with a side and give the file with ``--actors`` (or upload it with the events) to apply it.
    """
    sides = [c for c in settings.CONTROLLERS if c != settings.CONTESTED]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["pattern", "controller", "note"])
    for a in left_out_of(ds):
        was = "no pattern matched" if a["mapping"] == "unmapped" else f"the mapping says {a['mapping']}"
        writer.writerow(
            [
                template_pattern(a["actor"]),
                "",
                f"{a['rows']:,} territorial rows; {was}; controller: one of {', '.join(sides)} "
                f"(or {' or '.join(NO_SIDE)})",
            ]
        )
    return out.getvalue()
