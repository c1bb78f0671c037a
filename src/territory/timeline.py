"""The time-enabled layer: one feature per control cell per spell of control.

Each feature has ``valid_from`` and ``valid_to`` (ISO dates, the end exclusive; an open spell ends
the day after the timeline's last date), so it loads as-is into QGIS's Temporal Controller
(field-based, start and end fields) and kepler.gl's time filter. A place's cell carries the place's
id; replayed at any date, the spells give exactly the holders of ``control-points``.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd

from territory import control, provenance, settings
from territory.data import Dataset

ONE_DAY = dt.timedelta(days=1)


def timeline_layer(ds: Dataset) -> gpd.GeoDataFrame:
    """Layer ``timeline``: spells of control of every cell, with their sources."""

    def make() -> gpd.GeoDataFrame:
        holders = [control.cell_controllers(ds, d) for d in ds.dates]
        prov = [provenance.cell_provenance(ds, d) for d in ds.dates]
        names = ds.places["name"]
        groups = control.cell_groups(ds)
        rows: dict[str, list] = {
            k: []
            for k in ("id", "name", "cell", "controller", "valid_from", "valid_to", "sources", "method", "confidence")
        }
        geoms = []
        for i, (pid, geom) in enumerate(zip(ds.cells["place_id"], ds.cell_geoms, strict=True)):
            start = 0
            for k in range(1, len(ds.dates) + 1):
                if k < len(ds.dates) and holders[k][i] == holders[start][i]:
                    continue
                sources = sorted({s for j in range(start, k) for s in prov[j][i][0]})
                place = pid if isinstance(pid, str) else None
                rows["id"].append(place or f"thin:{groups[i]}")
                rows["name"].append(names.get(place, "") if place else "")
                rows["cell"].append(i)
                rows["controller"].append(holders[start][i])
                rows["valid_from"].append(ds.dates[start].isoformat())
                rows["valid_to"].append((ds.dates[k - 1] + ONE_DAY).isoformat())
                rows["sources"].append(sources)
                rows["method"].append(prov[start][i][1])
                rows["confidence"].append(provenance.lowest(prov[j][i][2] for j in range(start, k)))
                geoms.append(geom)
                start = k
        return gpd.GeoDataFrame(rows, geometry=geoms, crs=settings.CRS_WGS84)

    return ds.cached(("timeline-layer",), make)
