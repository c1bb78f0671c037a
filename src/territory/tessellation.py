"""Control cells: the country cut into one cell per place, inside the baseline zones.

The baseline zones (approximate pre-offensive control, ``seeds/baseline.geojson``) are made into a
coverage of Syria: zones later in the file are drawn over earlier ones, the government holds the rest.
Each zone part is then cut into Voronoi cells of the places that lie in it (computed in the metric
CRS), so on the baseline date the cells dissolve exactly into the baseline zones.

A place's cell reaches at most ``REACH_KM`` from it (its *core*): a place that changes hands takes
that ground with it. What lies farther from every place (the desert, mostly) is *thinly held*: it is
cut by governorate into pieces, one per zone part and governorate (a *group*), and each piece goes
with the side that holds most of its group's places (see :func:`territory.control.cell_controllers`),
so one riverside town changing hands does not move hundreds of km² of desert with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from territory import geometry, settings


@dataclass(frozen=True)
class Zone:
    """One baseline zone, resolved so that zones do not overlap."""

    id: str
    controller: str
    geometry: BaseGeometry  # WGS84


@dataclass(frozen=True)
class Cell:
    """Ground that follows one place (``place_id`` None: no place, keeps its baseline)."""

    place_id: str | None
    zone_id: str
    controller: str  # baseline controller
    geometry: BaseGeometry  # WGS84
    group: str = ""  # zone part and governorate: a thin piece goes with most of its group's places
    thin: bool = False  # ground more than REACH_KM from every place


def resolve_zones(
    syria: BaseGeometry,
    zones: Sequence[tuple[str, str, BaseGeometry]],
    rest_id: str = "government-rest",
    rest_controller: str = settings.GOVERNMENT,
) -> list[Zone]:
    """Coverage of ``syria`` by ``(id, controller, polygon)`` zones; later ones win, the rest to ``rest_controller``."""
    taken: BaseGeometry = shapely.Polygon()
    resolved: list[Zone] = []
    for zid, controller, poly in reversed(zones):
        part = geometry.polygonal(shapely.make_valid(poly).intersection(syria).difference(taken))
        taken = taken.union(part)
        if not part.is_empty:
            resolved.append(Zone(zid, controller, part))
    resolved.reverse()
    rest = geometry.polygonal(syria.difference(taken))
    if not rest.is_empty:
        resolved.insert(0, Zone(rest_id, rest_controller, rest))
    return resolved


def _node(pieces: list[BaseGeometry]) -> list[BaseGeometry]:
    """Re-cut ``pieces`` along their noded boundaries so neighbours share exactly the same edges."""
    lines = shapely.union_all(shapely.boundary(np.asarray(pieces, dtype=object)), grid_size=settings.GRID_SIZE)
    faces = list(shapely.get_parts(shapely.polygonize(shapely.get_parts(lines))))
    tree = shapely.STRtree(pieces)
    members: list[list[BaseGeometry]] = [[] for _ in pieces]
    reps = shapely.point_on_surface(np.asarray(faces, dtype=object))
    piece_area = shapely.area(np.asarray(pieces, dtype=object))
    for face, rep in zip(faces, reps, strict=True):
        hits = list(tree.query(rep, predicate="intersects"))
        if not hits:
            hits = [int(tree.nearest(rep))]
        # Prefer the piece whose interior holds the face (the boundary touches several). On a tie the
        # smaller piece wins: a place's core inside a thin piece whose hole was lost in reprojection.
        shares = [shapely.intersection(pieces[i], face).area for i in hits]
        top = max(shares)
        best = min((i for i, a in zip(hits, shares, strict=True) if a >= top * (1 - 1e-6)), key=lambda i: piece_area[i])
        members[best].append(face)
    out = []
    for faces_of in members:
        if not faces_of:
            out.append(shapely.Polygon())
            continue
        merged = shapely.coverage_union_all(np.asarray(faces_of, dtype=object))
        out.append(geometry.clean(merged))
    return out


REACH_KM = 15.0  # how far a place's own cell reaches; beyond it the ground is thinly held


def build_cells(
    zones: Sequence[Zone],
    place_ids: Sequence[str],
    lonlat: np.ndarray,
    governorates: Sequence[tuple[str, BaseGeometry]] = (),
    reach_km: float = REACH_KM,
) -> list[Cell]:
    """Cut every zone part into Voronoi cells of its places, each limited to ``reach_km``.

    The ground beyond every place's reach is cut by ``governorates`` into thin pieces (one per zone
    part and governorate); a part with no place is thin as a whole.
    """
    pts = shapely.points(lonlat)
    metric_pts = np.asarray([geometry.to_metric(p).coords[0] for p in pts], dtype=float).reshape(-1, 2)
    govs = [(name, shapely.make_valid(geometry.to_metric(g))) for name, g in governorates] or [("", None)]
    pieces: list[tuple[str | None, str, str, BaseGeometry, str, bool]] = []  # metric geometries
    assigned = np.zeros(len(place_ids), dtype=bool)
    for zone in zones:
        for k, part in enumerate(shapely.get_parts(zone.geometry)):
            part_key = f"{zone.id}#{k}"
            inside = shapely.covers(part, pts) & ~assigned
            idx = np.flatnonzero(inside)
            assigned[idx] = True
            part_m = shapely.make_valid(geometry.to_metric(part))
            cells = geometry.voronoi_cells(metric_pts[idx], part_m) if len(idx) else []
            cores = []
            for i, cell in zip(idx, cells, strict=True):
                core = geometry.polygonal(cell.intersection(shapely.Point(metric_pts[i]).buffer(reach_km * 1000.0)))
                gov = _governorate_of_point(govs, metric_pts[i])
                pieces.append((place_ids[i], zone.id, zone.controller, core, f"{part_key}|{gov}", False))
                cores.append(core)
            rest = geometry.polygonal(part_m.difference(shapely.union_all(cores))) if cores else part_m
            for gov, gov_m in govs:
                piece = rest if gov_m is None else geometry.polygonal(rest.intersection(gov_m))
                if not piece.is_empty and piece.area > 1e4:  # not slivers under a hectare
                    pieces.append((None, zone.id, zone.controller, piece, f"{part_key}|{gov}", True))
    wgs = [geometry.polygonal(shapely.make_valid(geometry.from_metric(p[3]))) for p in pieces]
    noded = _node(wgs)
    return [
        Cell(pid, zid, ctl, geom, group, thin)
        for (pid, zid, ctl, _, group, thin), geom in zip(pieces, noded, strict=True)
        if not geom.is_empty
    ]


def _governorate_of_point(govs: Sequence[tuple[str, BaseGeometry | None]], xy: np.ndarray) -> str:
    pt = shapely.Point(xy)
    for name, g in govs:
        if g is None or g.covers(pt):
            return name
    return min(govs, key=lambda ng: ng[1].distance(pt))[0]


def simplify_cells(cells: Sequence[Cell], tolerance_deg: float) -> list[Cell]:
    """Coverage-simplify the cells (shared edges stay shared; the outline is kept)."""
    geoms = np.asarray([c.geometry for c in cells], dtype=object)
    simple = shapely.coverage_simplify(geoms, tolerance_deg, simplify_boundary=False)
    return [replace(c, geometry=geometry.clean(g)) for c, g in zip(cells, simple, strict=True)]
