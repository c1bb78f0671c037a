"""Any layer of the interface contract for a date and options: the one entry point the CLI and the app share."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np

from territory import control, export, geometry, gis, provenance, settings, stats, timeline
from territory._errors import DataError, UsageError
from territory.data import Dataset
from territory.memo import per_dataset

DATED_LAYERS = frozenset(
    {
        settings.LAYER_CONTROL_POINTS,
        settings.LAYER_CONTROL_ZONES,
        settings.LAYER_CONTROL_CELLS,
        settings.LAYER_CHANGES,
        settings.LAYER_EVENTS,
        settings.LAYER_BUFFERS,
    }
)
PROVENANCE_COLUMNS = ("sources", "method", "confidence")
SOURCE_IDS = "source_ids"
SOURCE_ID_SEPARATOR = ";"


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
    """The layer ``name`` for ``date`` (default: the last date) and options, without provenance."""
    check_layer(name)
    date = date or ds.end_date
    if name == settings.LAYER_CONTROL_CELLS:
        return provenance.control_cells(ds, date)
    if name == settings.LAYER_TIMELINE:
        return timeline.timeline_layer(ds)
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
        return _syria_layer(ds)
    if name == settings.LAYER_BORDER:
        return _border_layer(ds)
    if name not in ds.extra_layers:
        msg = f"layer {name!r} is not loaded; load the dataset from geodata/"
        raise DataError(msg)
    return ds.extra_layers[name]


@per_dataset
def _syria_layer(ds: Dataset) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["Syria"], "area_km2": [round(geometry.area_km2(ds.syria), 1)]},
        geometry=[ds.syria],
        crs=settings.CRS_WGS84,
    )


@per_dataset
def _border_layer(ds: Dataset) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["Turkey–Syria border"], "length_km": [round(geometry.geodesic_length_km(ds.border), 1)]},
        geometry=[ds.border],
        crs=settings.CRS_WGS84,
    )


def layer_with_provenance(
    ds: Dataset,
    name: str,
    date: dt.date | None = None,
    depths: Sequence[float] = settings.DEFAULT_DEPTHS_MILES,
    since: dt.date | None = None,
) -> gpd.GeoDataFrame:
    """The layer with ``sources``, ``method`` and ``confidence`` on every feature (what exports hold).

    Every feature also has ``source_ids``, its sources as one text (ids joined by ``;``), which
    survives formats without lists (Shapefile, CSV); the timeline has ``start`` and ``end``, its
    ``valid_from``/``valid_to`` as ISO 8601 UTC timestamps, for tools whose time filters need
    date-times (kepler.gl reads date-only text as a date category).
    """
    date = date or ds.end_date
    gdf = layer(ds, name, date, depths, since)
    out = gdf.copy()
    if not all(c in gdf.columns for c in PROVENANCE_COLUMNS):
        rows = _provenance_rows(ds, name, gdf, date, since)
        for i, column in enumerate(PROVENANCE_COLUMNS):
            out[column] = [r[i] for r in rows]
    if name == settings.LAYER_TIMELINE:
        out["start"] = [f"{d}T00:00:00Z" for d in out["valid_from"]]
        out["end"] = [f"{d}T00:00:00Z" for d in out["valid_to"]]
    out[SOURCE_IDS] = [SOURCE_ID_SEPARATOR.join(s) for s in out["sources"]]
    return out


def _provenance_rows(
    ds: Dataset, name: str, gdf: gpd.GeoDataFrame, date: dt.date, since: dt.date | None
) -> list[tuple[list[str], str, str]]:
    """``(sources, method, confidence)`` of every feature of a layer (see :mod:`territory.provenance`)."""
    n = len(gdf)
    if name == settings.LAYER_CONTROL_POINTS:
        states = control.place_states(ds, date)
        rows = []
        for pid, alternatives in zip(gdf["id"], gdf["alternatives"], strict=True):
            method, confidence = provenance.state_provenance(states[pid])
            srcs = [states[pid].source or provenance.place_source(ds, pid), *(a["source"] for a in alternatives)]
            rows.append((srcs, method, provenance.LOW if alternatives else confidence))
        return rows
    if name in (settings.LAYER_CONTROL_ZONES, settings.LAYER_CHANGES):
        cells = provenance.cell_provenance(ds, date)
        after = control.cell_controllers(ds, date)
        if name == settings.LAYER_CONTROL_ZONES:
            masks = [after == c for c in gdf["controller"]]
        else:
            before = control.cell_controllers(ds, since or ds.baseline_date)
            masks = [(before == a) & (after == b) for a, b in zip(gdf["from"], gdf["to"], strict=True)]
        rows = []
        for mask in masks:
            picked = [cells[i] for i in np.flatnonzero(mask)]
            srcs = sorted({s for c in picked for s in c[0]})
            method = "voronoi-cell" if name == settings.LAYER_CONTROL_ZONES else "event"
            if name == settings.LAYER_CONTROL_ZONES:
                confidence = provenance.MEDIUM
            else:
                confidence = provenance.lowest(c[2] for c in picked)
            rows.append((srcs, method, confidence))
        return rows
    if name == settings.LAYER_EVENTS:
        rows = []
        for src, scope, kind, note in zip(gdf["source"], gdf["scope"], gdf["kind"], gdf["note"], strict=True):
            rows.append(([src], *provenance.event_provenance(kind, scope, str(note))))
        return rows
    if name == settings.LAYER_HAMA_VILLAGES:
        first = {}
        for e in ds.events:
            first.setdefault((e.place_id, e.date, e.controller), e.source)
        rows = []
        for pid, cap, by in zip(gdf["id"], gdf["captured"], gdf["captured_by"], strict=True):
            capture = first.get((pid, dt.date.fromisoformat(cap), by)) if isinstance(cap, str) else None
            srcs = [provenance.place_source(ds, pid), *([capture] if capture else [])]
            rows.append((srcs, "event" if capture else "seed-place", provenance.HIGH))
        return rows
    if name in (settings.LAYER_PLACES, settings.LAYER_SITES):
        rows = []
        for pid in gdf["id"]:
            src = provenance.place_source(ds, pid)
            rows.append(([src], "geonames" if src == provenance.GEONAMES else "seed-place", provenance.HIGH))
        return rows
    if name == settings.LAYER_BUFFERS:
        rows = []
        for depth in gdf["depth_miles"]:
            cited = [p["source"] for p in ds.proposals if abs(float(p["depth_miles"]) - float(depth)) < 1e-9]
            rows.append(([provenance.OSM, provenance.GEONAMES, *cited], "geodesic-buffer", provenance.HIGH))
        return rows
    if name == settings.LAYER_GOVERNORATES:
        return [([provenance.ADMIN1, provenance.OSM], "open-data", provenance.HIGH)] * n
    return [([provenance.OSM], "open-data", provenance.HIGH)] * n  # syria, border


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
    meta["attribution"] = (
        "© OpenStreetMap contributors (ODbL); Natural Earth admin-1; GeoNames (CC-BY 4.0); territory seeds"
    )
    # The page says "still held on 12 Dec"; exports keep the exclusive end that tools expect.
    meta["valid_to"] = (
        "valid_to (timeline spells, disputes' alternatives) is exclusive: the day after the last day held; "
        f"a spell still running on the last date ({ds.end_date.isoformat()}) ends on the day after it"
    )
    if ds.origin:
        # Drawn from an events file instead of the built-in events: which file, and its rows as sources.
        meta["timeline"] = dict(ds.origin)
        meta["attribution"] += f"; events: {ds.origin['file']} ({ds.origin['format']})"
    meta["confidence_rule"] = (
        "high: a place-level event dated by its source, or open data as published; medium: a baseline "
        "holder, a governorate-wide collapse, or a dissolved (approximate) zone; low: contested, inferred, "
        "disputed by another source (disputed: true, with the alternatives), or thinly-held ground"
    )
    return meta


def _geojson_and_sources(
    ds: Dataset, name: str, date: dt.date, depths: Sequence[float], since: dt.date | None
) -> tuple[str, list[dict[str, str]]]:
    """A layer's GeoJSON text and its ``metadata.sources`` (the zip lists the sources).

    Memoised on what the layer depends on: the date for dated layers, the depths for the buffers.
    """
    dated = date if name in DATED_LAYERS else None
    bands = tuple(depths) if name == settings.LAYER_BUFFERS else settings.DEFAULT_DEPTHS_MILES
    return _layer_geojson(ds, name, dated, bands, since)


@per_dataset
def _layer_geojson(
    ds: Dataset, name: str, date: dt.date | None, depths: tuple[float, ...], since: dt.date | None
) -> tuple[str, list[dict[str, str]]]:
    date = date or ds.end_date
    gdf = layer_with_provenance(ds, name, date, depths, since)
    meta = layer_metadata(ds, name, date, depths, since)
    meta["sources"] = provenance.used_sources(ds, (s for srcs in gdf["sources"] for s in srcs))
    return export.to_geojson(gdf, name, meta), meta["sources"]


def layer_geojson(
    ds: Dataset,
    name: str,
    date: dt.date | None = None,
    depths: Sequence[float] = settings.DEFAULT_DEPTHS_MILES,
    since: dt.date | None = None,
) -> str:
    """RFC 7946 GeoJSON text of a layer: what ``export`` writes and the app offers for download."""
    return _geojson_and_sources(ds, name, date or ds.end_date, depths, since)[0]


def _layer_since(name: str, since: dt.date | None) -> dt.date | None:
    """``since`` applies to the ``changes`` layer only when every layer is exported at once."""
    return since if name == settings.LAYER_CHANGES else None


def _attribution(ds: Dataset, date: dt.date) -> str:
    return layer_metadata(ds, settings.LAYER_SYRIA, date, settings.DEFAULT_DEPTHS_MILES, None)["attribution"]


def layers_geopackage(
    ds: Dataset,
    names: Sequence[str],
    date: dt.date | None = None,
    depths: Sequence[float] = settings.DEFAULT_DEPTHS_MILES,
    since: dt.date | None = None,
) -> bytes:
    """One GeoPackage of the layers ``names`` (see :mod:`territory.gis`): typed tables, styles, sources.

    With more than one layer, ``since`` applies to ``changes`` only, as in :func:`all_layers_zip`.
    An empty layer (``changes`` or ``events`` on the first date) keeps the columns and types it has
    on the last date.
    """
    date = date or ds.end_date
    named = []
    cited: set[str] = set()
    for name in names:
        when = since if len(names) == 1 else _layer_since(name, since)
        gdf = layer_with_provenance(ds, name, date, depths, when)
        template = None if len(gdf) else layer_with_provenance(ds, name, ds.end_date, depths, None)
        meta = layer_metadata(ds, name, date, depths, when)
        cited.update(s for srcs in gdf["sources"] for s in srcs)
        named.append((name, gdf, template, meta))
    dataset_meta = {
        "TITLE": "territory: who controlled what in north-western Syria",
        "DATE": date.isoformat(),
        "ATTRIBUTION": _attribution(ds, date),
        "LICENCES": gis.LICENCE_TEXT,
        "VALID_TO": "valid_from is a spell's first day; valid_to the day after its last (the end is excluded)",
        "SOURCES": f"table {gis.SOURCES_TABLE!r}: join a feature's source_ids (ids joined by ';') on its id",
    }
    if ds.origin:
        dataset_meta["TIMELINE"] = json.dumps(export._jsonable(dict(ds.origin)), ensure_ascii=False)
    return gis.geopackage_bytes(named, provenance.used_sources(ds, cited), dataset_meta)


def layer_csv(
    ds: Dataset,
    name: str,
    date: dt.date | None = None,
    depths: Sequence[float] = settings.DEFAULT_DEPTHS_MILES,
    since: dt.date | None = None,
) -> str:
    """A layer as CSV with WKT geometry (``export LAYER --format csv``; kepler.gl loads it)."""
    return gis.layer_csv(layer_with_provenance(ds, name, date or ds.end_date, depths, since))


def all_layers_zip(
    ds: Dataset,
    date: dt.date | None = None,
    depths: Sequence[float] = settings.DEFAULT_DEPTHS_MILES,
    since: dt.date | None = None,
) -> bytes:
    """Every layer for the date and options in one zip (``territory-DATE/LAYER.geojson``).

    ``since`` applies to the ``changes`` layer only; ``events`` holds every event up to the date.
    Beside the layers: ``README.txt`` (the files, date, method, conventions, how to cite),
    ``LICENSE.txt`` (attribution and licences) and ``sources.csv`` (every source the layers cite).
    """
    date = date or ds.end_date
    folder = f"territory-{date.isoformat()}"
    texts: dict[str, str] = {}
    cited: dict[str, dict[str, str]] = {}
    for name in settings.LAYERS:
        text, sources = _geojson_and_sources(ds, name, date, depths, _layer_since(name, since))
        texts[f"{folder}/{name}.geojson"] = text
        cited.update((s["id"], s) for s in sources)
    attribution = _attribution(ds, date)
    texts[f"{folder}/README.txt"] = gis.readme_text(date, settings.LAYERS, ds.baseline_date, since, attribution)
    texts[f"{folder}/LICENSE.txt"] = gis.LICENCE_TEXT
    texts[f"{folder}/sources.csv"] = gis.sources_csv([cited[k] for k in sorted(cited)])
    return export.zip_layers(texts)
