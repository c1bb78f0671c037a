"""The dataset that draws a checked timeline over the built-in baseline, places and bands."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import nearest_points

from territory import geometry, rules, settings
from territory.data import Dataset
from territory.events import Event
from territory.usertimeline.common import REPORT, SAME_SPOT_KM, UserTimeline, problems_in, raise_any

# --- the dataset ---------------------------------------------------------------------------------


def with_timeline(ds: Dataset, ut: UserTimeline) -> Dataset:
    """A dataset that draws ``ut`` over the baseline, places and bands of ``ds`` (nothing written)."""
    from territory import stats

    places = ds.places.reset_index(drop=True)
    cells = ds.cells
    baseline = dict(ds.baseline_controllers)
    if ut.new_places:
        new = gpd.GeoDataFrame(
            {
                "id": [p["id"] for p in ut.new_places],
                "name": [p["name"] for p in ut.new_places],
                "kind": ["location"] * len(ut.new_places),
                "population": [0] * len(ut.new_places),
                "governorate": _governorates_of(ds, ut.new_places),
                "alt_names": [""] * len(ut.new_places),
                "source": [p["source"] for p in ut.new_places],
                "operator": [""] * len(ut.new_places),
            },
            geometry=[shapely.Point(round(p["lon"], 6), round(p["lat"], 6)) for p in ut.new_places],
            crs=settings.CRS_WGS84,
        )
        lonlat = np.asarray([(p["lon"], p["lat"]) for p in ut.new_places], dtype=float)
        new[stats.BORDER_MILES_COL] = np.round(
            geometry.geodesic_distances_to_line_km(lonlat, ds.border) * 1000.0 / settings.METRES_PER_MILE, 4
        )
        places = pd.concat([places, new[places.columns]], ignore_index=True)
        places = gpd.GeoDataFrame(places, geometry="geometry", crs=settings.CRS_WGS84)
        cells = _retessellate(ds, places)
        zone_holder = {p: b for p, b in zip(cells["place_id"], cells["baseline"], strict=True) if isinstance(p, str)}
        lost = [p["name"] for p in ut.new_places if p["id"] not in zone_holder]
        if lost:
            problems = problems_in(ut.file)
            for name in lost:
                problems.add(
                    "",
                    f"location {name!r} leaves no room for a control cell; expected locations "
                    f"at least {SAME_SPOT_KM * 1000:.0f} m apart",
                )
            raise_any(problems)
        for p in ut.new_places:
            baseline[p["id"]] = zone_holder[p["id"]]
    timeline = dict(ds.timeline)
    timeline.update(
        baseline_date=ut.start.isoformat(),
        end_date=ut.end.isoformat(),
        sources=[*ds.timeline["sources"], *ut.sources],
        baseline_controllers=baseline,
        events=ut.events,
        disputes=list(ds.timeline.get("disputes", [])) if ut.keep_disputes else [],
    )
    extra = {k: v for k, v in ds.extra_layers.items() if k != settings.LAYER_EVENTS}
    villages = ds.extra_layers.get(settings.LAYER_HAMA_VILLAGES)
    if villages is not None:
        extra[settings.LAYER_HAMA_VILLAGES] = _villages(villages, ut.events, baseline)
    return Dataset.from_parts(
        syria=ds.syria,
        border=ds.border,
        places=places,
        cells=cells,
        timeline=timeline,
        governorates=ds.governorates,
        directory=None,
        extra_layers=extra,
        origin=ut.origin(),
    )


def _governorates_of(ds: Dataset, new_places: list[dict[str, Any]]) -> list[str]:
    pts = shapely.points([(p["lon"], p["lat"]) for p in new_places])
    govs = ds.governorates
    tree = shapely.STRtree(np.asarray(govs.geometry.values, dtype=object))
    idx = tree.query_nearest(pts, all_matches=False)
    out = [""] * len(new_places)
    for i, g in zip(idx[0].tolist(), idx[1].tolist(), strict=True):
        out[i] = str(govs["name"].iloc[g])
    return out


def _retessellate(ds: Dataset, places: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Control cells for every place (the file's new places among them) inside the same baseline zones."""
    from territory import tessellation

    zone_ids = list(dict.fromkeys(ds.cells["zone"]))
    zones = []
    for zid in zone_ids:
        mask = (ds.cells["zone"] == zid).to_numpy()
        geom = geometry.clean(shapely.coverage_union_all(ds.cell_geoms[mask]))
        zones.append(tessellation.Zone(zid, str(ds.cells["baseline"][mask].iloc[0]), geom))
    # A place must lie inside a zone to get a cell: one just outside the cells' (simplified) outline
    # is cut from the nearest point just inside it, as the build does with the country's outline.
    covered = shapely.coverage_union_all(ds.cell_geoms)
    inner = None
    pts = []
    for g in places.geometry:
        if not shapely.contains_xy(covered, g.x, g.y):
            inner = inner if inner is not None else covered.buffer(-0.001)
            g = nearest_points(inner, g)[0]
        pts.append((g.x, g.y))
    govs = list(zip(ds.governorates["name"], ds.governorates.geometry, strict=True))
    cells = tessellation.build_cells(zones, list(places["id"]), np.asarray(pts, dtype=float), govs)
    return gpd.GeoDataFrame(
        {
            "place_id": [c.place_id for c in cells],
            "zone": [c.zone_id for c in cells],
            "baseline": [c.controller for c in cells],
            "group": [c.group for c in cells],
            "thin": [c.thin for c in cells],
        },
        geometry=[c.geometry for c in cells],
        crs=settings.CRS_WGS84,
    )


def _villages(villages: gpd.GeoDataFrame, events: list[dict[str, Any]], baseline: dict[str, str]) -> gpd.GeoDataFrame:
    """The Hama villages with their first capture in this timeline."""
    changing = [Event.from_record(e, line=i) for i, e in enumerate(events) if e["kind"] != REPORT]
    captured = rules.first_capture(changing, baseline)
    out = villages.copy()
    taken = [captured.get(v) for v in out["id"]]
    out["captured"] = [e.date.isoformat() if e else None for e in taken]
    out["captured_by"] = [e.controller if e else None for e in taken]
    return out
