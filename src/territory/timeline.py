"""The time-enabled layer: one feature per control cell per spell of control.

Each feature has ``valid_from`` and ``valid_to`` (ISO dates, the end exclusive; an open spell ends
the day after the timeline's last date), so it loads as-is into QGIS's Temporal Controller
(field-based, start and end fields) and kepler.gl's time filter. A place's cell carries the place's
id; replayed at any date, the spells give exactly the holders of ``control-points``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np

from territory import control, provenance, settings
from territory.data import Dataset
from territory.memo import per_dataset

ONE_DAY = dt.timedelta(days=1)


@dataclass
class _CellIndex:
    """Which place each cell is (-1: a thin cell), and each group's places and thin cells."""

    pids: list[str]
    groups: list[str]
    cell_place: list[int]
    zone_src: list[str]  # the source of each cell's baseline zone
    members: dict[str, list[int]] = field(default_factory=dict)  # a group's places
    thin_cells: dict[str, list[int]] = field(default_factory=dict)  # a group's cells without a place
    place_cell: dict[int, int] = field(default_factory=dict)
    group_of_place: dict[int, str] = field(default_factory=dict)

    @classmethod
    def of(cls, ds: Dataset) -> _CellIndex:
        zone_source = {z["id"]: z["source"] for z in ds.timeline.get("baseline", [])}
        pids = list(ds.places["id"])
        pos = {p: i for i, p in enumerate(pids)}
        ix = cls(
            pids,
            list(control.cell_groups(ds)),
            [pos[p] if isinstance(p, str) else -1 for p in ds.cells["place_id"]],
            [zone_source.get(z, "") for z in ds.cells["zone"]],
        )
        for i, (p, g) in enumerate(zip(ix.cell_place, ix.groups, strict=True)):
            if p >= 0:
                ix.members.setdefault(g, []).append(p)
                ix.place_cell[p] = i
            else:
                ix.thin_cells.setdefault(g, []).append(i)
        ix.group_of_place = {p: g for g, ps in ix.members.items() for p in ps}
        return ix

    def touched(self, dc: control.DayCodes, previous: np.ndarray) -> list[int]:
        """The cells whose holder or provenance may differ from the day before."""
        cells: set[int] = set()
        for p in dc.changed.tolist():
            if p in self.place_cell:
                cells.add(self.place_cell[p])
            cells.update(self.thin_cells.get(self.group_of_place.get(p, ""), []))
        cells.update(np.flatnonzero(dc.cells != previous).tolist())
        return sorted(cells)


@per_dataset
def timeline_layer(ds: Dataset) -> gpd.GeoDataFrame:
    """Layer ``timeline``: spells of control of every cell, with their sources.

    One sweep over the dates (:func:`territory.control.sweep`): a cell's provenance is worked out
    again only on the days its place, or a place of its group, changes state, so a timeline of
    thousands of days costs seconds, not a provenance table per date.
    """
    names = ds.places["name"]
    ix = _CellIndex.of(ds)
    pids, groups, cell_place, zone_src, members = ix.pids, ix.groups, ix.cell_place, ix.zone_src, ix.members
    n = len(cell_place)
    rows: dict[str, list] = {
        k: [] for k in ("id", "name", "cell", "controller", "valid_from", "valid_to", "sources", "method", "confidence")
    }
    geoms: list = []
    start = [0] * n
    holder = [""] * n
    spell_sources: list[set[str]] = [set() for _ in range(n)]
    spell_method = [""] * n
    spell_level = [0] * n
    current: list[tuple[list[str], str, str]] = [([], "", provenance.HIGH)] * n

    def prov_of(i: int, states: list) -> tuple[list[str], str, str]:
        p = cell_place[i]
        if p >= 0:
            method, confidence = provenance.state_provenance(states[p])
            return [states[p].source or zone_src[i]], method, confidence
        srcs = {states[q].source for q in members.get(groups[i], []) if states[q].source} | {zone_src[i]}
        return [s for s in sorted(srcs) if s], "thin-majority", provenance.LOW

    def close(i: int, end_day: int) -> None:
        place = pids[cell_place[i]] if cell_place[i] >= 0 else None
        rows["id"].append(place or f"thin:{groups[i]}")
        rows["name"].append(names.iloc[cell_place[i]] if place else "")
        rows["cell"].append(i)
        rows["controller"].append(holder[i])
        rows["valid_from"].append(ds.dates[start[i]].isoformat())
        rows["valid_to"].append((ds.dates[end_day - 1] + ONE_DAY).isoformat())
        rows["sources"].append(sorted(spell_sources[i]))
        rows["method"].append(spell_method[i])
        rows["confidence"].append(provenance.CONFIDENCES[spell_level[i]])
        geoms.append(ds.cell_geoms[i])

    previous = None
    for dc in control.sweep(ds):
        day = dc.index
        touched = range(n) if previous is None else ix.touched(dc, previous)
        for i in touched:
            ctl = settings.CONTROLLERS[dc.cells[i]]
            current[i] = prov_of(i, dc.states)
            if previous is None or ctl != holder[i]:
                if previous is not None:
                    close(i, day)
                start[i], holder[i] = day, ctl
                spell_sources[i] = set(current[i][0])
                spell_method[i] = current[i][1]
                spell_level[i] = provenance.CONFIDENCES.index(current[i][2])
            else:
                spell_sources[i].update(current[i][0])
                spell_level[i] = max(spell_level[i], provenance.CONFIDENCES.index(current[i][2]))
        previous = dc.cells.copy()
    for i in range(n):
        close(i, len(ds.dates))
    order = sorted(range(len(rows["cell"])), key=lambda k: (rows["cell"][k], rows["valid_from"][k]))
    out = {k: [v[j] for j in order] for k, v in rows.items()}
    return gpd.GeoDataFrame(out, geometry=[geoms[j] for j in order], crs=settings.CRS_WGS84)
