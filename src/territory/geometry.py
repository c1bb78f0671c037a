"""Geometry helpers: projections, geodesic measures, tessellation, RFC 7946 clean-up."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from functools import cache

import numpy as np
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import LineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from territory import settings

GEOD = Geod(ellps="WGS84")


# --- Projections ---------------------------------------------------------------------------------


@cache
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def reproject(geom: BaseGeometry, src: str, dst: str) -> BaseGeometry:
    """``geom`` from CRS ``src`` to CRS ``dst`` (lon/lat axis order)."""
    tr = _transformer(src, dst)
    return shapely.transform(geom, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def to_metric(geom: BaseGeometry) -> BaseGeometry:
    """WGS84 -> UTM 37N metres."""
    return reproject(geom, settings.CRS_WGS84, settings.CRS_METRIC)


def from_metric(geom: BaseGeometry) -> BaseGeometry:
    """UTM 37N metres -> WGS84."""
    return reproject(geom, settings.CRS_METRIC, settings.CRS_WGS84)


def km_outside(area: BaseGeometry, lon: Sequence[float] | np.ndarray, lat: Sequence[float] | np.ndarray) -> np.ndarray:
    """Distance in km from each WGS84 point to ``area`` in the metric CRS: 0 inside, NaN if not finite."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    finite = np.isfinite(lon) & np.isfinite(lat)
    km = np.where(finite, 0.0, np.nan)
    inside = np.zeros(len(lon), dtype=bool)
    inside[finite] = shapely.contains_xy(area, lon[finite], lat[finite])
    out = np.flatnonzero(finite & ~inside)
    if len(out):
        x, y = _transformer(settings.CRS_WGS84, settings.CRS_METRIC).transform(lon[out], lat[out])
        km[out] = shapely.distance(to_metric(area), shapely.points(x, y)) / 1000.0
    return km


def areas_km2(geoms: Sequence[BaseGeometry] | np.ndarray) -> np.ndarray:
    """Areas in km² of WGS84 geometries, measured in the equal-area CRS."""
    arr = np.asarray(geoms, dtype=object)
    if arr.size == 0:
        return np.zeros(0)
    tr = _transformer(settings.CRS_WGS84, settings.CRS_EQUAL_AREA)
    projected = shapely.transform(arr, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    return shapely.area(projected) / settings.SQ_M_PER_SQ_KM


def area_km2(geom: BaseGeometry) -> float:
    """Area in km² of one WGS84 geometry (equal-area CRS)."""
    return float(areas_km2([geom])[0])


def geodesic_length_km(geom: BaseGeometry) -> float:
    """Geodesic length in km of a WGS84 (Multi)LineString on the WGS84 ellipsoid."""
    return GEOD.geometry_length(geom) / 1000.0


def densify_geodesic(line: LineString, step_km: float = 0.5) -> np.ndarray:
    """The line's vertices plus points every ``step_km`` along each segment's geodesic (n×2 lon/lat)."""
    pts: list[tuple[float, float]] = []
    coords = list(line.coords)
    for (x0, y0), (x1, y1) in itertools.pairwise(coords):
        _, _, seg = GEOD.inv(x0, y0, x1, y1)
        n = max(1, int(seg / (step_km * 1000)))
        pts.append((x0, y0))
        if n > 1:
            pts.extend(GEOD.npts(x0, y0, x1, y1, n - 1))
    pts.append(coords[-1])
    return np.asarray(pts, dtype=float)


def geodesic_distances_to_line_km(lonlat: np.ndarray, line: LineString, step_km: float = 0.5) -> np.ndarray:
    """Geodesic distance (km) from each of ``lonlat`` (n×2) to a WGS84 line densified every ``step_km``.

    A flat approximation (within a few per cent over Syria) picks, for each point, the line's points
    that may be nearest; the distance itself is the geodesic minimum over those (pyproj's Geod).
    """
    dense = densify_geodesic(line, step_km)
    pts = np.asarray(lonlat, dtype=float).reshape(-1, 2)
    out = np.empty(len(pts))
    lat0 = np.deg2rad(float(np.mean(dense[:, 1])))
    scale = np.asarray([111.32 * np.cos(lat0), 110.57])  # km per degree, east and north
    flat_line = dense * scale
    for start in range(0, len(pts), 256):
        chunk = pts[start : start + 256]
        approx = np.sqrt((((chunk * scale)[:, None, :] - flat_line[None, :, :]) ** 2).sum(axis=-1))
        # Over Syria the flat distances err by under 7% (the east-west scale), so the nearest point lies
        # within 9% (+0.5 km) of the flat minimum.
        limits = approx.min(axis=1) * 1.09 + 0.5
        for row, (lon, lat) in enumerate(chunk):
            near = np.flatnonzero(approx[row] <= limits[row])
            _, _, dist = GEOD.inv(np.full(len(near), lon), np.full(len(near), lat), dense[near, 0], dense[near, 1])
            out[start + row] = float(np.min(dist)) / 1000.0
    return out


def geodesic_distance_to_line_km(lon: float, lat: float, line: LineString, step_km: float = 0.5) -> float:
    """Geodesic distance (km) from a point to a WGS84 line, densified every ``step_km``."""
    return float(geodesic_distances_to_line_km(np.asarray([[lon, lat]]), line, step_km)[0])


# --- tessellation ---------------------------------------------------------------------------------


def voronoi_cells(points: np.ndarray, boundary: BaseGeometry) -> list[BaseGeometry]:
    """Voronoi cells of planar ``points`` (n×2), clipped to ``boundary``, in input order.

    Every cell contains its own point when the point lies in ``boundary``; the cells cover
    ``boundary`` without overlaps. Points must be distinct.
    """
    n = len(points)
    if n == 0:
        return []
    if n == 1:
        return [boundary]
    minx, miny, maxx, maxy = boundary.bounds
    pad = max(maxx - minx, maxy - miny) + 1.0
    envelope = shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)
    seeds = shapely.points(points)
    regions = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=envelope, ordered=True)
    cells = list(shapely.get_parts(regions))
    if len(cells) != n:
        msg = f"voronoi gave {len(cells)} cells for {n} points (duplicate points?)"
        raise ValueError(msg)
    return [shapely.intersection(c, boundary) for c in cells]


# --- RFC 7946 clean-up ----------------------------------------------------------------------------


def clean(geom: BaseGeometry) -> BaseGeometry:
    """Snap to the 1e-6° grid, make valid and orient exteriors counter-clockwise (RFC 7946)."""
    snapped = shapely.set_precision(geom, settings.GRID_SIZE)
    if not snapped.is_valid:
        snapped = shapely.set_precision(shapely.make_valid(snapped), settings.GRID_SIZE)
    return shapely.orient_polygons(snapped)


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Only the polygonal parts of ``geom`` (intersections may leave lines and points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    flat = [p for g in parts for p in shapely.get_parts(g)]
    if not flat:
        return Polygon()
    return flat[0] if len(flat) == 1 else MultiPolygon(flat)
