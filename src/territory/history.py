"""A place's history: every spell of control, from when to when, by which event and source."""

from __future__ import annotations

import difflib
import json
from dataclasses import asdict, dataclass
from typing import Any

from territory import control, csvout
from territory._errors import UsageError
from territory.data import Dataset
from territory.names import name_key, place_aliases
from territory.timeline import ONE_DAY


@dataclass(frozen=True)
class Spell:
    """One spell of a place's control: ``valid_to`` is exclusive (the day after its last day)."""

    valid_from: str
    valid_to: str
    controller: str
    kind: str  # the event kind that began it, or "baseline"
    by: str  # who took it (or entered), as the event says
    source: str
    source_title: str
    source_url: str
    note: str


def place_names(ds: Dataset) -> dict[str, str]:
    """Every place's id, name and alternative names, folded (case, accents, hyphens), to its id."""
    names: dict[str, str] = {}
    ids = ds.places["id"].tolist()
    for k, n in place_aliases(ds.places, ids=True):
        names.setdefault(name_key(n), ids[k])
    return names


def resolve_place(ds: Dataset, query: str) -> str:
    """The id of the place named ``query`` (its id, name or an alternative name; case and accents ignored).

    Raises
    ------
    UsageError
        Naming the closest places, when none matches.
    """
    if query in ds.places.index:
        return query
    wanted = name_key(query)
    names = place_names(ds)
    if wanted in names:
        return names[wanted]
    # A name's first words ("Kuweires" for "Kuweires Air Base"), when they single out one place.
    starts = {pid for key, pid in names.items() if key.startswith(wanted + " ")}
    if len(starts) == 1:
        return starts.pop()
    close = list(dict.fromkeys(names[c] for c in difflib.get_close_matches(wanted, list(names), n=8, cutoff=0.6)))[:3]
    hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
    msg = f"place {query!r} is unknown{hint}; expected a place id or name, see `python -m territory export places`"
    raise UsageError(msg)


def place_history(ds: Dataset, place_id: str) -> list[Spell]:
    """Every spell of ``place_id`` over the timeline, in order (from the place's own events)."""
    first = control.place_states(ds, ds.baseline_date)[place_id]
    starts = [(ds.baseline_date, first)]
    starts += [(s.since, s) for s in control.place_changes(ds, place_id) if s.since > ds.baseline_date]
    spells: list[Spell] = []
    for k, (begun, s) in enumerate(starts):
        ends = starts[k + 1][0] if k + 1 < len(starts) else ds.end_date + ONE_DAY
        src = ds.sources.get(s.source, {})
        spells.append(
            Spell(
                begun.isoformat(),
                ends.isoformat(),
                s.controller,
                s.kind,
                s.by,
                s.source,
                src.get("title", ""),
                src.get("url", ""),
                s.note,
            )
        )
    return spells


def place_disputes(ds: Dataset, place_id: str) -> list[dict[str, str]]:
    """Other sources' claims about the place (``seeds/disputes.csv``), with their titles and URLs."""
    out = []
    for d in ds.timeline.get("disputes", []):
        if d["place_id"] == place_id:
            src = ds.sources.get(d["source"], {})
            out.append({**d, "source_title": src.get("title", ""), "source_url": src.get("url", "")})
    return out


def render(ds: Dataset, place_id: str, spells: list[Spell], fmt: str) -> str:
    """The history as text, JSON or CSV (CSV: the spells only)."""
    rows = [asdict(s) for s in spells]
    disputes = place_disputes(ds, place_id)
    if fmt == "json":
        head: dict[str, Any] = {
            "id": place_id,
            "name": str(ds.places.at[place_id, "name"]),
            "spells": rows,
            "disputes": disputes,
        }
        return json.dumps(head, ensure_ascii=False, indent=1) + "\n"
    if fmt == "csv":
        return csvout.records_csv(list(Spell.__dataclass_fields__), rows)
    lines = [f"{ds.places.at[place_id, 'name']} ({place_id})"]
    for s in spells:
        what = "baseline" if s.kind == "baseline" else control.describe_event(s.kind, s.by)
        lines.append(f"{s.valid_from} → {s.valid_to} (exclusive)  {s.controller:<10}  {what}")
        lines.append(
            f"    source: {s.source_title or s.source} <{s.source_url}>" if s.source_url else f"    source: {s.source}"
        )
    for d in disputes:
        lines.append(
            f"disputed {d['valid_from']} → {d['valid_to']}: {d['source_title'] or d['source']} has {d['controller']}"
        )
        lines.append(f"    {d['note']} <{d['source_url']}>")
    return "\n".join(lines) + "\n"
