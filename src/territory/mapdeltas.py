"""The map's codes per date as deltas: the first date in full, then only what changed each day.

The map runtime replays them (``replay`` does the same in Python, for tests and checks).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from territory import control, settings
from territory.data import Dataset

CODES = {c: i for i, c in enumerate(settings.CONTROLLERS)}  # compact controller codes for the map


def dis_codes(ds: Dataset, controllers: dict[str, str], date: dt.date, src_index: dict[str, int]) -> list[list[int]]:
    """Places whose holder another source disputes on ``date``: [place index, that holder, its source index]."""
    pos = {p: i for i, p in enumerate(ds.places["id"])}
    out = []
    for d in ds.timeline.get("disputes", []):
        if d["valid_from"] <= date.isoformat() < d["valid_to"] and controllers.get(d["place_id"]) != d["controller"]:
            out.append([pos[d["place_id"]], CODES[d["controller"]], src_index.get(d["source"], 0)])
    return sorted(out)


def day_deltas(ds: Dataset, src_index: dict[str, int]) -> dict[str, Any]:
    """The first date's codes in full, then for each date only what differs from the day before.

    ``start``: ``cells`` and ``pc`` (controller codes of cells and places), ``since`` (date index of
    each place's state) and ``src`` (source index), ``dis`` (disputed holders). ``deltas[d]``: ``c``
    (flat pairs cell, code), ``p`` (flat quadruples place, code, since, src) and ``dis`` when it
    changes. So the data grows with the changes, not with the dates times the cells.
    """
    day_of = {d: i for i, d in enumerate(ds.dates)}
    pids = list(ds.places["id"])
    has_disputes = bool(ds.timeline.get("disputes"))
    start: dict[str, Any] = {}
    deltas: list[dict[str, Any]] = []
    prev_cells: np.ndarray | None = None
    prev_dis: list[list[int]] = []
    for dc in control.sweep(ds):
        date = ds.dates[dc.index]
        dis = (
            dis_codes(
                ds, {p: settings.CONTROLLERS[c] for p, c in zip(pids, dc.places.tolist(), strict=True)}, date, src_index
            )
            if has_disputes
            else []
        )
        if prev_cells is None:
            start = {
                "cells": dc.cells.tolist(),
                "pc": dc.places.tolist(),
                "since": [day_of.get(s.since, 0) for s in dc.states],
                "src": [src_index.get(s.source, 0) for s in dc.states],
                "dis": dis,
            }
            deltas.append({})
        else:
            moved = np.flatnonzero(dc.cells != prev_cells)
            delta: dict[str, Any] = {}
            if len(moved):
                delta["c"] = np.column_stack([moved, dc.cells[moved]]).ravel().tolist()
            if len(dc.changed):
                delta["p"] = [
                    v
                    for p in sorted(dc.changed.tolist())
                    for v in (
                        p,
                        int(dc.places[p]),
                        day_of.get(dc.states[p].since, 0),
                        src_index.get(dc.states[p].source, 0),
                    )
                ]
            if dis != prev_dis:
                delta["dis"] = dis
            deltas.append(delta)
        prev_cells = dc.cells.copy()
        prev_dis = dis
    return {"start": start, "deltas": deltas}


def replay(base: dict[str, Any], day: int) -> dict[str, Any]:
    """A date's codes rebuilt from ``start`` and ``deltas``, as the map runtime does (for tests and checks)."""
    cur = {k: list(v) for k, v in base["start"].items()}
    for delta in base["deltas"][1 : day + 1]:
        c = delta.get("c", [])
        for i in range(0, len(c), 2):
            cur["cells"][c[i]] = c[i + 1]
        p = delta.get("p", [])
        for i in range(0, len(p), 4):
            cur["pc"][p[i]], cur["since"][p[i]], cur["src"][p[i]] = p[i + 1], p[i + 2], p[i + 3]
        if "dis" in delta:
            cur["dis"] = delta["dis"]
    return cur
