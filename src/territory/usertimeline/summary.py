"""One-line summaries of the events file a dataset draws."""

from __future__ import annotations

from typing import Any

from territory.data import Dataset


def summary_of(ds: Dataset) -> str:
    """One line on the events file a dataset draws (empty for the built-in timeline)."""
    o = ds.origin
    if not o:
        return ""
    parts = [f"{o['rows']:,} rows ({o['format']})", f"{o.get('changes', 0):,} control changes"]
    if o.get("reports"):
        parts.append(f"{o['reports']:,} reports")
    if "new_places" in o:  # a format that places its rows by coordinates (see common.Counts)
        parts.append(
            f"locations: {o.get('snapped_name', 0):,} matched by name, {o.get('snapped_near', 0):,} by distance, "
            f"{o.get('new_places', 0):,} new"
        )
    if o.get("left_out_rows"):
        parts.append(f"{o['left_out_rows']:,} territorial rows of actors with no side kept as reports")
    return f"{o['file']}: " + ", ".join(parts) + f"; {o['first_date']} to {o['last_date']}"


def left_out_of(ds: Dataset) -> list[dict[str, Any]]:
    """The actors whose territorial rows were kept as reports (actor, rows, mapping), most rows first."""
    return list((ds.origin or {}).get("left_out", []))


def left_out_line(ds: Dataset) -> str:
    """One line on the territorial rows left without a side (empty when there are none)."""
    left = left_out_of(ds)
    if not left:
        return ""
    rows = sum(a["rows"] for a in left)
    ambiguous = sum(1 for a in left if a["mapping"] != "unmapped")
    why = f" ({ambiguous:,} of them ambiguous or of no side in the mapping)" if ambiguous else ""
    return (
        f"{ds.origin['file']}: {rows:,} territorial row{'s' if rows != 1 else ''} of {len(left):,} "
        f"actor{'s' if len(left) != 1 else ''} with no side{why} kept as reports: they change no holder"
    )
