"""RFC 7946 GeoJSON and zip writers with byte-identical output for identical input.

Coordinates are WGS84 longitude/latitude rounded to 6 decimals, polygon exteriors counter-clockwise,
no ``crs`` member. Properties keep the column order of the layer; floats are written with ``repr``
after rounding, so the same input always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import os
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from territory import settings

MEDIA_TYPE = "application/geo+json"
# A fixed timestamp keeps zip archives byte-identical between runs.
ZIP_TIMESTAMP = (2024, 11, 26, 0, 0, 0)


def _round(x: float) -> float:
    value = round(float(x), settings.COORD_DECIMALS)
    return 0.0 if value == 0 else value  # no "-0.0"


def _coords(seq: Any) -> list[list[float]]:
    return [[_round(x), _round(y)] for x, y, *_ in seq]


def geometry_to_geojson(geom: BaseGeometry | None) -> dict[str, Any] | None:
    """GeoJSON geometry object of a WGS84 shapely geometry (rounded, CCW exteriors)."""
    if geom is None or geom.is_empty:
        return None
    geom = shapely.orient_polygons(geom)
    kind = geom.geom_type
    if kind == "Point":
        return {"type": "Point", "coordinates": [_round(geom.x), _round(geom.y)]}
    if kind == "LineString":
        return {"type": "LineString", "coordinates": _coords(geom.coords)}
    if kind == "Polygon":
        rings = [geom.exterior, *geom.interiors]
        return {"type": "Polygon", "coordinates": [_coords(r.coords) for r in rings]}
    if kind == "MultiLineString":
        return {"type": "MultiLineString", "coordinates": [_coords(g.coords) for g in geom.geoms]}
    if kind == "MultiPolygon":
        return {
            "type": "MultiPolygon",
            "coordinates": [[_coords(r.coords) for r in (p.exterior, *p.interiors)] for p in geom.geoms],
        }
    if kind == "MultiPoint":
        return {"type": "MultiPoint", "coordinates": _coords(g.coords[0] for g in geom.geoms)}
    msg = f"cannot write a {kind} as GeoJSON"
    raise ValueError(msg)


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return None if math.isnan(f) else f
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_jsonable(v) for v in value]
    if value is getattr(np, "nan", object()):
        return None
    try:
        import pandas as pd

        if value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
            return None
    except (TypeError, ValueError):
        pass
    return str(value) if not isinstance(value, str) else value


def feature_collection(gdf: gpd.GeoDataFrame, name: str, metadata: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """RFC 7946 FeatureCollection (as a dict) of a WGS84 GeoDataFrame.

    ``name`` and ``metadata`` become foreign members, which RFC 7946 §6.1 allows.
    """
    if gdf.crs is not None and not gdf.crs.equals(settings.CRS_WGS84):
        gdf = gdf.to_crs(settings.CRS_WGS84)
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    features = []
    for row, geom in zip(gdf[columns].itertuples(index=False, name=None), gdf.geometry.array, strict=True):
        props = {col: _jsonable(val) for col, val in zip(columns, row, strict=True)}
        features.append({"type": "Feature", "properties": props, "geometry": geometry_to_geojson(geom)})
    fc: dict[str, Any] = {"type": "FeatureCollection", "name": name}
    if metadata:
        fc["metadata"] = _jsonable(dict(metadata))
    fc["features"] = features
    return fc


def dumps(fc: Mapping[str, Any]) -> str:
    """Compact, deterministic JSON text of a FeatureCollection (UTF-8, no NaN)."""
    return json.dumps(fc, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"


def to_geojson(gdf: gpd.GeoDataFrame, name: str, metadata: Mapping[str, Any] | None = None) -> str:
    """RFC 7946 GeoJSON text of a layer."""
    return dumps(feature_collection(gdf, name, metadata))


def zip_layers(texts: Mapping[str, str]) -> bytes:
    """One zip archive of ``{file name: GeoJSON text}``, byte-identical for identical input."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for filename in sorted(texts):
            info = zipfile.ZipInfo(filename, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, texts[filename].encode("utf-8"))
    return buf.getvalue()


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (no partial files)."""
    path = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; outputs are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
