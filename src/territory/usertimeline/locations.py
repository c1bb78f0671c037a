"""Matching a file's locations to known places: by name, else by distance, else a new place."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from territory import geometry
from territory.data import Dataset
from territory.names import name_key, place_aliases, slugify
from territory.usertimeline.common import SAME_SPOT_KM, SNAP_KM


def _locate(
    names: list[str], lonlat: np.ndarray, row_ids: list[str], ds: Dataset
) -> tuple[list[tuple[str, str]], list[dict[str, Any]], dict[str, int]]:
    """Each row's place id (and how it was matched), the new places, and the counts of each match."""
    known_xy = np.asarray([(p.x, p.y) for p in ds.places.geometry], dtype=float)
    known_ids = list(ds.places["id"])
    aliases: dict[str, set[int]] = {}
    for k, n in place_aliases(ds.places):
        aliases.setdefault(name_key(n, apostrophes=False), set()).add(k)
    metric_known = np.asarray([geometry.to_metric(shapely.Point(x, y)).coords[0] for x, y in known_xy])
    tree = shapely.STRtree(shapely.points(metric_known))
    unique: dict[tuple[str, float, float], int] = {}
    loc_of_row = []
    for name, (lon, lat) in zip(names, lonlat.tolist(), strict=True):
        loc_of_row.append(unique.setdefault((name, round(lon, 5), round(lat, 5)), len(unique)))
    locs = list(unique)
    metric = np.asarray(
        [geometry.to_metric(shapely.Point(lon, lat)).coords[0] for _, lon, lat in locs], dtype=float
    ).reshape(-1, 2)
    pts = shapely.points(metric)
    near_idx, dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
    nearest = np.full(len(locs), -1)
    nearest_km = np.full(len(locs), np.inf)
    nearest[near_idx[0]] = near_idx[1]
    nearest_km[near_idx[0]] = dist / 1000.0
    used_ids = set(known_ids)
    matched: list[tuple[str, str]] = []
    new_places: list[dict[str, Any]] = []
    counts = {"snapped_name": 0, "snapped_near": 0, "new_places": 0, "same_spot": 0}
    first_row: dict[int, int] = {}
    for r, loc in enumerate(loc_of_row):
        first_row.setdefault(loc, r)
    # Locations that are no known place, and, among them, those on the same spot as an earlier one.
    unknown = []
    for j, (name, _, _) in enumerate(locs):
        alike = aliases.get(name_key(name, apostrophes=False), ())
        by_name = [k for k in alike if np.hypot(*(metric_known[k] - metric[j])) <= SNAP_KM * 1000]
        if by_name:
            k = min(by_name, key=lambda k: np.hypot(*(metric_known[k] - metric[j])))
            matched.append((known_ids[k], ""))
            counts["snapped_name"] += 1
        elif nearest_km[j] <= SNAP_KM:
            k = int(nearest[j])
            matched.append((known_ids[k], f"{nearest_km[j]:.1f} km from {ds.places['name'].iloc[k]}"))
            counts["snapped_near"] += 1
        else:
            matched.append(("", ""))
            unknown.append(j)
    same = _same_spot(metric[unknown]) if unknown else []
    for u, j in enumerate(unknown):
        name, lon, lat = locs[j]
        if same[u] != u:  # within SAME_SPOT_KM of an earlier new location: the same place
            first = unknown[same[u]]
            matched[j] = (matched[first][0], f"same spot as {locs[first][0]}")
            counts["same_spot"] += 1
            continue
        base = f"acled-{slugify(name) or 'location'}"
        pid, n = base, 2
        while pid in used_ids:
            pid, n = f"{base}-{n}", n + 1
        used_ids.add(pid)
        new_places.append({"id": pid, "name": name or pid, "lon": lon, "lat": lat, "source": row_ids[first_row[j]]})
        matched[j] = (pid, "")
        counts["new_places"] += 1
    return [matched[loc] for loc in loc_of_row], new_places, counts


def _same_spot(metric: np.ndarray) -> list[int]:
    """For each point, the first point within ``SAME_SPOT_KM`` of it (itself if none), chains followed."""
    pts = shapely.points(metric)
    tree = shapely.STRtree(pts)
    pairs = tree.query(pts, predicate="dwithin", distance=SAME_SPOT_KM * 1000.0)
    first = list(range(len(metric)))
    for a, b in sorted(zip(pairs[0].tolist(), pairs[1].tolist(), strict=True)):
        if b < a:
            first[a] = min(first[a], first[b])
    for i in range(len(first)):
        while first[first[i]] != first[i]:
            first[i] = first[first[i]]
    return first
