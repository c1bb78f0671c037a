"""Any layer of DESIGN.md for a date and options: the one entry point the CLI and the app share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import geopandas as gpd

from territory import control, export, geometry, settings, stats
from territory._errors import DataError, UsageError
from territory.data import Dataset

DATED_LAYERS = frozenset(
    {
        settings.LAYER_CONTROL_POINTS,
        settings.LAYER_CONTROL_ZONES,
        settings.LAYER_CHANGES,
        settings.LAYER_EVENTS,
        settings.LAYER_BUFFERS,
    }
)


def check_layer(name: str) -> str:
    """``name`` if it is a layer, else a :class:`UsageError` naming the valid layers."""
    if name not in settings.LAYERS:
        msg = f"unknown layer {name!r}; expected one of: {', '.join(settings.LAYERS)}"
        raise UsageError(msg)
    return name


def layer(
    ds: Dataset,
    name: str,
    date: dt.date | None = None,
    depths: Sequence[float] = settings.DEFAULT_DEPTHS_MILES,
    since: dt.date | None = None,
) -> gpd.GeoDataFrame:
    """The layer ``name`` for ``date`` (default: the last date) and options."""
    check_layer(name)
    date = date or ds.end_date
    if since is not None and since > date:
        msg = f"--since {since.isoformat()} is after --date {date.isoformat()}; expected an earlier date"
        raise UsageError(msg)
    if name == settings.LAYER_CONTROL_POINTS:
        return control.control_points(ds, date)
    if name == settings.LAYER_CONTROL_ZONES:
        return control.control_zones(ds, date)
    if name == settings.LAYER_CHANGES:
        return control.changes(ds, since or ds.baseline_date, date)
    if name == settings.LAYER_EVENTS:
        return control.events_until(ds, date, since)
    if name == settings.LAYER_BUFFERS:
        return stats.buffer_layer(ds, depths, date)
    if name == settings.LAYER_PLACES:
        return ds.places.reset_index(drop=True)
    if name == settings.LAYER_GOVERNORATES:
        return ds.governorates
    if name == settings.LAYER_SYRIA:
        return ds.cached(("static", name), lambda: _syria_layer(ds))
    if name == settings.LAYER_BORDER:
        return ds.cached(("static", name), lambda: _border_layer(ds))
    if name not in ds.extra_layers:
        msg = f"layer {name!r} is not loaded; load the dataset from geodata/"
        raise DataError(msg)
    return ds.extra_layers[name]


def _syria_layer(ds: Dataset) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["Syria"], "area_km2": [round(geometry.area_km2(ds.syria), 1)]},
        geometry=[ds.syria],
        crs=settings.CRS_WGS84,
    )


def _border_layer(ds: Dataset) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["Turkey–Syria border"], "length_km": [round(geometry.geodesic_length_km(ds.border), 1)]},
        geometry=[ds.border],
        crs=settings.CRS_WGS84,
    )


def layer_metadata(
    ds: Dataset, name: str, date: dt.date, depths: Sequence[float], since: dt.date | None
) -> dict[str, Any]:
    """Metadata written into an exported layer: what it is, for which date and options."""
    meta: dict[str, Any] = {"layer": name, "generator": "territory"}
    if name in DATED_LAYERS:
        meta["date"] = date.isoformat()
    if name == settings.LAYER_BUFFERS:
        meta["depths_miles"] = list(depths)
    if name == settings.LAYER_CHANGES:
        meta["since"] = (since or ds.baseline_date).isoformat()
    if name == settings.LAYER_EVENTS and since is not None:
        meta["since"] = since.isoformat()
    if name == settings.LAYER_CONTROL_ZONES:
        meta["note"] = (
            "approximate: Voronoi cells of places inside sourced baseline zones, taking the "
            "controller of their place on the date"
        )
    meta["attribution"] = "Natural Earth; GeoNames (CC-BY 4.0); territory seeds (see SOURCES.md)"
    return meta


def layer_geojson(
    ds: Dataset,
    name: str,
    date: dt.date | None = None,
    depths: Sequence[float] = settings.DEFAULT_DEPTHS_MILES,
    since: dt.date | None = None,
) -> str:
    """RFC 7946 GeoJSON text of a layer: what ``export`` writes and the app offers for download."""
    date = date or ds.end_date
    key = (
        "geojson",
        name,
        date if name in DATED_LAYERS else None,
        tuple(depths) if name == settings.LAYER_BUFFERS else None,
        since,
    )
    return ds.cached(
        key,
        lambda: export.to_geojson(
            layer(ds, name, date, depths, since), name, layer_metadata(ds, name, date, depths, since)
        ),
    )


def all_layers_zip(
    ds: Dataset,
    date: dt.date | None = None,
    depths: Sequence[float] = settings.DEFAULT_DEPTHS_MILES,
    since: dt.date | None = None,
) -> bytes:
    """Every layer for the date and options in one zip (``territory-DATE/LAYER.geojson``).

    ``since`` applies to the ``changes`` layer only; ``events`` holds every event up to the date.
    """
    date = date or ds.end_date
    texts = {
        f"territory-{date.isoformat()}/{name}.geojson": layer_geojson(
            ds, name, date, depths, since if name == settings.LAYER_CHANGES else None
        )
        for name in settings.LAYERS
    }
    return export.zip_layers(texts)
