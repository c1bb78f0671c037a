"""Engine cost: zones for every date of the real timeline, and scaling on synthetic timelines.

Synthetic timelines put N random places inside Syria (two baseline zones), cut the control cells,
and draw E random events over 17 days; the benchmark times building the cells once and then, per
date, place states, cell controllers and the dissolved control zones.

Usage: python bench/engine.py [--json OUT] [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from territory import control, settings, tessellation  # noqa: E402
from territory.data import Dataset  # noqa: E402


def real_timeline() -> dict:
    ds = Dataset.load(ROOT / "geodata")
    t0 = time.perf_counter()
    for date in ds.dates:
        control.control_zones(ds, date)
    total = time.perf_counter() - t0
    return {
        "dates": len(ds.dates),
        "places": len(ds.places),
        "cells": len(ds.cells),
        "events": len(ds.events),
        "all_dates_s": round(total, 3),
        "per_date_ms": round(1000 * total / len(ds.dates), 1),
    }


def synthetic(n_places: int, n_events: int, seed: int = 7) -> dict:
    rng = np.random.default_rng(seed)
    real = Dataset.load(ROOT / "geodata")
    syria = real.syria
    minx, miny, maxx, maxy = syria.bounds
    pts: list[tuple[float, float]] = []
    while len(pts) < n_places:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(n_places, 2))
        inside = shapely.contains_xy(syria, xy[:, 0], xy[:, 1])
        pts.extend(map(tuple, xy[inside]))
    lonlat = np.round(np.asarray(pts[:n_places]), 5)
    ids = [f"p{i}" for i in range(n_places)]
    t0 = time.perf_counter()
    zones = tessellation.resolve_zones(syria, [("west", settings.HTS, shapely.box(35.5, 32, 37.5, 37.5))])
    cells = tessellation.build_cells(zones, ids, lonlat)
    cells_s = time.perf_counter() - t0
    cells_gdf = gpd.GeoDataFrame(
        {
            "place_id": [c.place_id for c in cells],
            "zone": [c.zone_id for c in cells],
            "baseline": [c.controller for c in cells],
        },
        geometry=[c.geometry for c in cells],
        crs=settings.CRS_WGS84,
    )
    baseline = {c.place_id: c.controller for c in cells if c.place_id}
    base = dt.date(2024, 11, 26)
    days = rng.integers(1, 17, size=n_events)
    who = rng.choice(list(settings.CONTROLLERS[:4]), size=n_events)
    kinds = rng.choice(["captured", "captured", "captured", "entered"], size=n_events)
    target = rng.integers(0, n_places, size=n_events)
    order = np.argsort(days, kind="stable")
    events = [
        {
            "date": (base + dt.timedelta(days=int(days[i]))).isoformat(),
            "place_id": ids[target[i]],
            "controller": str(who[i]),
            "kind": str(kinds[i]),
            "source": "s",
            "note": "",
        }
        for i in order
    ]
    places = gpd.GeoDataFrame(
        {"id": ids, "name": ids, "population": np.zeros(n_places, dtype=int), "kind": "village"},
        geometry=gpd.points_from_xy(lonlat[:, 0], lonlat[:, 1]),
        crs=settings.CRS_WGS84,
    )
    timeline = {
        "baseline_date": base.isoformat(),
        "end_date": (base + dt.timedelta(days=16)).isoformat(),
        "events": events,
        "sources": [],
        "proposals": [],
        "baseline_controllers": {p: baseline.get(p, settings.GOVERNMENT) for p in ids},
        "baseline": [],
    }
    ds = Dataset.from_parts(
        syria=syria,
        border=real.border,
        places=places,
        cells=cells_gdf,
        timeline=timeline,
        governorates=real.governorates,
    )
    t0 = time.perf_counter()
    for date in ds.dates:
        control.control_zones(ds, date)
    zones_s = time.perf_counter() - t0
    return {
        "places": n_places,
        "events": n_events,
        "cells": len(cells),
        "build_cells_s": round(cells_s, 2),
        "all_dates_s": round(zones_s, 3),
        "per_date_ms": round(1000 * zones_s / len(ds.dates), 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--quick", action="store_true", help="only the smallest synthetic case (for smoke tests)")
    args = ap.parse_args(argv)
    out = {"real": real_timeline(), "synthetic": []}
    print(f"real timeline: {out['real']}", flush=True)
    cases = (
        [(1000, 1000)]
        if args.quick
        else [(1000, 1000), (1000, 10_000), (1000, 100_000), (10_000, 1000), (10_000, 10_000), (10_000, 100_000)]
    )
    for n_places, n_events in cases:
        r = synthetic(n_places, n_events)
        out["synthetic"].append(r)
        print(f"synthetic: {r}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
