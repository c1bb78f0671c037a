"""Numbers: buffer bands (area, places, population, holders), per-controller totals, series over time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from territory import buffers, control, csvout, geometry, settings
from territory.data import Dataset
from territory.memo import per_dataset


def proposals_for_depth(ds: Dataset, depth: float) -> list[str]:
    """Labels of the proposals with this depth."""
    return [p["label"] for p in ds.proposals if abs(float(p["depth_miles"]) - depth) < 1e-9]


BORDER_MILES_COL = "border_miles"


@per_dataset
def band_geometry(ds: Dataset, depth: float) -> shapely.Geometry:
    """The band of ``depth`` miles (cached per dataset; the default bands as the build wrote them)."""
    built = ds.extra_layers.get(settings.LAYER_BUFFERS)
    if built is not None:
        match = built[(built["depth_miles"] - depth).abs() < 1e-9]
        if len(match) == 1:
            return match.geometry.iloc[0]
    return buffers.band_geometry(ds.border, ds.syria, depth)


@per_dataset
def border_distance_miles(ds: Dataset) -> np.ndarray:
    """Geodesic distance (miles) from every place to the border line, in ``ds.places`` order."""
    if BORDER_MILES_COL in ds.places:  # measured by the build (geodata/places.geojson)
        return ds.places[BORDER_MILES_COL].to_numpy(dtype=float)
    lonlat = np.asarray([(p.x, p.y) for p in ds.places.geometry], dtype=float)
    return geometry.geodesic_distances_to_line_km(lonlat, ds.border) * 1000.0 / settings.METRES_PER_MILE


@per_dataset
def _band_contents(ds: Dataset, depth: float) -> dict[str, Any]:
    band = band_geometry(ds, depth)
    # A place is in the band when its geodesic distance to the border is within the depth (the
    # band's polygon is the same buffer, drawn; a place on its edge is counted by the distance).
    inside = border_distance_miles(ds) <= depth
    places = ds.places[inside]
    sites = places[places["kind"].isin(settings.SITE_KINDS)]
    return {
        "geometry": band,
        "area_km2": round(geometry.area_km2(band), 1),
        "population": int(places["population"].fillna(0).sum()),
        "places": len(places),
        "place_ids": list(places["id"]),
        "sites": list(sites["name"]),
    }


@per_dataset
def band_holdings(ds: Dataset, date: dt.date, depth: float) -> dict[str, float]:
    """km² of the band of ``depth`` miles held by each controller on ``date``."""
    # Each cell's share of the band is measured once per band; a date sums the shares by holder.
    shares = _cell_band_km2(ds, depth)
    codes = {c: i for i, c in enumerate(settings.CONTROLLERS)}
    held = np.asarray([codes[c] for c in control.cell_controllers(ds, date)], dtype=np.int64)
    km2 = np.bincount(held, weights=shares, minlength=len(settings.CONTROLLERS))
    return {ctl: round(float(km2[i]), 1) for i, ctl in enumerate(settings.CONTROLLERS) if km2[i] > 0}


@per_dataset
def _cell_band_km2(ds: Dataset, depth: float) -> np.ndarray:
    """km² of every control cell inside the band of ``depth`` miles (equal-area)."""
    band = band_geometry(ds, depth)
    cells = ds.cell_geoms
    out = np.zeros(len(cells))
    inside = shapely.STRtree(cells).query(band, predicate="intersects")
    parts = [geometry.polygonal(p) for p in shapely.intersection(cells[inside], band)]
    out[inside] = geometry.areas_km2(parts)
    return out


def band_population_held(ds: Dataset, date: dt.date, depth: float) -> dict[str, int]:
    """Population (GeoNames, approximate) of the band's places by controller on ``date``."""
    contents = _band_contents(ds, depth)
    states = control.place_states(ds, date)
    out: dict[str, int] = {}
    pops = ds.places["population"].fillna(0)
    for pid in contents["place_ids"]:
        ctl = states[pid].controller
        out[ctl] = out.get(ctl, 0) + int(pops.at[pid])
    return out


def band_summary(ds: Dataset, depth: float) -> dict[str, Any]:
    """What a band of ``depth`` miles covers, whatever the date (the fields shared by layer and stats)."""
    c = _band_contents(ds, depth)
    return {
        "depth_miles": depth,
        "proposals": proposals_for_depth(ds, depth),
        "area_km2": c["area_km2"],
        "population": c["population"],
        "places": c["places"],
        "sites": c["sites"],
    }


def buffer_layer(ds: Dataset, depths: Sequence[float], date: dt.date | None) -> gpd.GeoDataFrame:
    """Layer ``buffers``: one band per depth; with a date, also who holds how much of it."""
    rows = []
    for depth in sorted(depths):
        row = band_summary(ds, depth)
        row["label"] = f"{buffers.format_depth(depth)} mi ({depth * settings.METRES_PER_MILE / 1000:.1f} km)"
        if date is not None:
            row["date"] = date
            row["held_km2"] = band_holdings(ds, date, depth)
        rows.append(row)
    columns = ["depth_miles", "label", "proposals", "area_km2", "population", "places", "sites"]
    columns += ["date", "held_km2"] if date is not None else []
    frame = pd.DataFrame(rows, columns=columns)
    geoms = [band_geometry(ds, depth) for depth in sorted(depths)]
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=settings.CRS_WGS84)


def controller_totals(ds: Dataset, date: dt.date) -> dict[str, dict[str, float]]:
    """Area (km²), population and number of places per controller on ``date`` (``control-zones``' figures)."""
    return {
        ctl: {
            "area_km2": float(v["area_km2"]),
            "area_low_km2": float(v["area_low_km2"]),
            "area_high_km2": float(v["area_high_km2"]),
            "population": int(v["population"]),
            "places": int(v["places"]),
        }
        for ctl, v in control.zone_totals(ds, date).items()
    }


def stats(ds: Dataset, date: dt.date, depths: Sequence[float]) -> dict[str, Any]:
    """The ``stats`` JSON (the interface contract) for one date and set of depths."""
    bands = [
        {
            **band_summary(ds, depth),
            "held_km2": band_holdings(ds, date, depth),
            "population_held": band_population_held(ds, date, depth),
        }
        for depth in sorted(depths)
    ]
    out = {"date": date.isoformat(), "controllers": controller_totals(ds, date), "buffers": bands}
    if ds.origin:
        out["timeline"] = dict(ds.origin)  # the events file drawn instead of the built-in events
    return out


SERIES_ZONES_MAX_DATES = 120  # longer timelines: the series sums cell areas in one sweep over the dates


@per_dataset
def series(ds: Dataset) -> pd.DataFrame:
    """Area and population per controller for every date of the timeline (long format).

    Up to ``SERIES_ZONES_MAX_DATES`` dates, each date's figures are its ``control-zones`` (as in
    ``stats``). A longer timeline (an events file over years) is swept once: the area is the sum of
    the cells' equal-area areas (the zones' area within 0.1%), population and places as in the zones;
    the low/high area range is left out (it needs each date's groups, seconds per hundred dates).
    """
    rows = []
    if len(ds.dates) <= SERIES_ZONES_MAX_DATES:
        for date in ds.dates:
            for ctl, vals in controller_totals(ds, date).items():
                rows.append({"date": date, "controller": ctl, **vals})
        return pd.DataFrame(rows)
    areas = control.cell_areas(ds)
    pops = ds.places["population"].fillna(0).to_numpy(dtype=float)
    n = len(settings.CONTROLLERS)
    for dc in control.sweep(ds):
        km2 = np.bincount(dc.cells, weights=areas, minlength=n)
        people = np.bincount(dc.places, weights=pops, minlength=n)
        count = np.bincount(dc.places, minlength=n)
        for k, ctl in enumerate(settings.CONTROLLERS):
            if km2[k] > 0 or count[k] > 0:
                rows.append(
                    {
                        "date": ds.dates[dc.index],
                        "controller": ctl,
                        "area_km2": round(float(km2[k]), 1),
                        "population": int(people[k]),
                        "places": int(count[k]),
                    }
                )
    return pd.DataFrame(rows)


def stats_csv(stats_json: dict[str, Any]) -> str:
    """A ``stats`` result as CSV (:func:`stats_rows`; text cells safe to open in a spreadsheet)."""
    return csvout.frame_csv(stats_rows(stats_json))


def stats_rows(stats_json: dict[str, Any]) -> pd.DataFrame:
    """A ``stats`` result as a flat table for CSV: one row per band, then each side's totals.

    The totals (``total_area_km2_government``, ``total_population_sdf``… the JSON's ``controllers``)
    are the same on every row: they belong to the date, not to a band.
    """
    totals = {
        f"total_{key}_{ctl}": value
        for ctl, figures in stats_json["controllers"].items()
        for key, value in figures.items()
    }
    rows = []
    for b in stats_json["buffers"]:
        row = {
            "date": stats_json["date"],
            "depth_miles": b["depth_miles"],
            "proposals": "; ".join(b["proposals"]),
            "area_km2": b["area_km2"],
            "population": b["population"],
            "places": b["places"],
            "sites": "; ".join(b["sites"]),
        }
        for ctl in settings.CONTROLLERS:
            row[f"held_km2_{ctl}"] = b["held_km2"].get(ctl, 0.0)
        rows.append({**row, **totals})
    return pd.DataFrame(rows)
