"""Control cells: the country cut into one cell per place, inside the baseline zones.

The baseline zones (approximate pre-offensive control, ``seeds/baseline.geojson``) are made into a
coverage of Syria: zones later in the file are drawn over earlier ones, the government holds the rest.
Each zone part is then cut into Voronoi cells of the places that lie in it (computed in the metric
CRS), so on the baseline date the cells dissolve exactly into the baseline zones, and a place that
changes hands takes with it the ground nearest to it that its old holder had. Parts with no place
keep their baseline controller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
    for face, rep in zip(faces, reps, strict=True):
        hits = list(tree.query(rep, predicate="intersects"))
        if not hits:
            hits = [int(tree.nearest(rep))]
        # Prefer the piece whose interior holds the face (the boundary touches several).
        best = max(hits, key=lambda i: shapely.intersection(pieces[i], face).area)
        members[best].append(face)
    out = []
    for faces_of in members:
        if not faces_of:
            out.append(shapely.Polygon())
            continue
        merged = shapely.coverage_union_all(np.asarray(faces_of, dtype=object))
        out.append(geometry.clean(merged))
    return out


def build_cells(zones: Sequence[Zone], place_ids: Sequence[str], lonlat: np.ndarray) -> list[Cell]:
    """Cut every zone part into Voronoi cells of the places inside it."""
    pts = shapely.points(lonlat)
    metric_pts = np.asarray([geometry.to_metric(p).coords[0] for p in pts], dtype=float).reshape(-1, 2)
    pieces: list[tuple[str | None, str, str, BaseGeometry]] = []
    assigned = np.zeros(len(place_ids), dtype=bool)
    for zone in zones:
        for part in shapely.get_parts(zone.geometry):
            inside = shapely.covers(part, pts) & ~assigned
            idx = np.flatnonzero(inside)
            if len(idx) == 0:
                pieces.append((None, zone.id, zone.controller, part))
                continue
            assigned[idx] = True
            part_m = shapely.make_valid(geometry.to_metric(part))
            cells = geometry.voronoi_cells(metric_pts[idx], part_m)
            for i, cell in zip(idx, cells, strict=True):
                cell_ll = geometry.polygonal(shapely.make_valid(geometry.from_metric(cell)))
                if not cell_ll.is_empty:
                    pieces.append((place_ids[i], zone.id, zone.controller, cell_ll))
    noded = _node([p[3] for p in pieces])
    return [
        Cell(pid, zid, ctl, geom) for (pid, zid, ctl, _), geom in zip(pieces, noded, strict=True) if not geom.is_empty
    ]


def simplify_cells(cells: Sequence[Cell], tolerance_deg: float) -> list[Cell]:
    """Coverage-simplify the cells (shared edges stay shared; the outline is kept)."""
    geoms = np.asarray([c.geometry for c in cells], dtype=object)
    simple = shapely.coverage_simplify(geoms, tolerance_deg, simplify_boundary=False)
    return [Cell(c.place_id, c.zone_id, c.controller, geometry.clean(g)) for c, g in zip(cells, simple, strict=True)]
