"""The build's places: GeoNames and seeds/places.csv merged and checked, and each place's baseline holder."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from shapely.geometry import Point
from shapely.ops import nearest_points

from territory import basedata, geometry, tessellation
from territory._errors import BuildError
from territory.seeds import Seeds

log = logging.getLogger("territory.build")  # its warnings read as the build's

# A seed place's sourced governorate is kept when its point lies up to this far outside it (the
# coarse admin-1 boundaries are off by a few km in places: Abu al-Duhur, Kabani, Mezzeh); farther
# than that the row is taken as wrong.
GOVERNORATE_MAX_OFF_KM = 15.0


def _kind_from_population(population: int) -> str:
    if population >= 100_000:
        return "city"
    if population >= 10_000:
        return "town"
    return "village"


def _governorate_of(pt: Point, governorates: list[tuple[str, Any]]) -> str:
    """Governorate containing ``pt``, else the nearest one (places just outside the outline)."""
    for name, geom in governorates:
        if geom.covers(pt):
            return name
    pt_m = geometry.to_metric(pt)
    return min(governorates, key=lambda ng: geometry.to_metric(ng[1]).distance(pt_m))[0]


def assemble_places(base: basedata.BaseData, seeds: Seeds) -> tuple[list[dict[str, Any]], list[str]]:
    """GeoNames places of Syria merged with ``seeds/places.csv`` (additions and overrides).

    Returns the place records and a list of problems (seed places outside Syria, or in another
    governorate than the row says), reported like validation errors.
    """
    problems: list[str] = []
    by_id: dict[str, dict[str, Any]] = {}
    for g in base.geonames:
        by_id[g["id"]] = {
            "id": g["id"],
            "name": g["name"],
            "alt_names": list(g["alt_names"]),
            "lat": g["lat"],
            "lon": g["lon"],
            "kind": _kind_from_population(g["population"]),
            "governorate": None,
            "population": g["population"],
            "source": "geonames",
        }
    for p in seeds.places:
        rec = by_id.get(p.id)
        if rec is None:
            rec = {"id": p.id, "alt_names": [], "population": None, "source": p.source_id, "operator": ""}
            by_id[p.id] = rec
        else:
            rec["source"] = p.source_id if p.lat is not None else rec["source"]
        if p.name:
            if rec.get("name") and rec["name"] != p.name and rec["name"] not in rec["alt_names"]:
                rec["alt_names"].insert(0, rec["name"])
            rec["name"] = p.name
        for alt in p.alt_names:
            if alt not in rec["alt_names"] and alt != rec["name"]:
                rec["alt_names"].append(alt)
        if p.lat is not None and p.lon is not None:
            rec["lat"], rec["lon"] = p.lat, p.lon
        if p.kind:
            rec["kind"] = p.kind
        if p.population is not None:
            rec["population"] = p.population
        rec["operator"] = p.operator or rec.get("operator", "")
        rec["_line"] = p.line
        if p.governorate:
            rec["governorate"] = p.governorate
    records = []
    at_spot: dict[tuple[float, float], str] = {}
    for rec in sorted(by_id.values(), key=lambda r: (r.get("_line") is not None, r["id"])):
        spot = (round(rec["lat"], 5), round(rec["lon"], 5))  # ~1 m: the control cells need distinct points
        other = at_spot.setdefault(spot, rec["id"])
        if other != rec["id"]:
            where = f"seeds/places.csv:{rec['_line']}" if rec.get("_line") else "GeoNames"
            problems.append(
                f"{where}: place {rec['id']!r} lies on the same spot as {other!r} ({spot[0]}, {spot[1]}); "
                f"expected distinct coordinates (or the id {other!r} to override that place)"
            )
    for rec in sorted(by_id.values(), key=lambda r: r["id"]):
        pt = Point(rec["lon"], rec["lat"])
        spatial = _governorate_of(pt, base.governorates)
        named = rec.get("governorate")
        if named and named != spatial:
            gov_geom = dict(base.governorates)[named]
            off = geometry.to_metric(gov_geom).distance(geometry.to_metric(pt)) / 1000.0
            where = f"seeds/places.csv:{rec['_line']}: governorate {named!r} of {rec['id']!r}"
            if off > GOVERNORATE_MAX_OFF_KM:
                problems.append(
                    f"{where} does not match its lat/lon, which lie in {spatial} ({off:.1f} km from {named})"
                )
            else:  # the coarse admin-1 boundaries are off by a few km here: the sourced value is kept
                log.warning(
                    "%s kept; by the coarse boundaries its lat/lon lie in %s, %.1f km away", where, spatial, off
                )
        rec["governorate"] = named or spatial
        rec.pop("_line", None)
        records.append(rec)
    return records, problems


def _seed_points(records: list[dict[str, Any]], syria: Any) -> np.ndarray:
    """Points used for the tessellation: the place, or the nearest point just inside Syria."""
    inner = syria.buffer(-0.001)
    out = []
    for rec in records:
        pt = Point(rec["lon"], rec["lat"])
        if not syria.contains(pt):
            pt = nearest_points(inner, pt)[0]
        out.append((pt.x, pt.y))
    return np.asarray(out, dtype=float)


def baseline_controllers(records: list[dict[str, Any]], cells: list[tessellation.Cell]) -> dict[str, str]:
    """Baseline controller of every place: that of the zone its cell lies in."""
    out = {c.place_id: c.controller for c in cells if c.place_id is not None}
    missing = [r["id"] for r in records if r["id"] not in out]
    if missing:
        msg = f"places without a control cell: {', '.join(missing[:10])}; expected every place inside Syria"
        raise BuildError(msg)
    return out


def _check_baseline_points(seeds: Seeds, baseline: dict[str, str], cells_zone: dict[str, str]) -> list[str]:
    problems = []
    for bp in seeds.baseline_points:
        got = baseline.get(bp.place_id)
        if got != bp.controller:
            problems.append(
                f"seeds/baseline_points.csv:{bp.line}: {bp.place_id!r} is held by "
                f"{bp.controller!r} per {bp.source_id}, but lies in baseline zone "
                f"{cells_zone.get(bp.place_id)!r} held by {got!r}; expected the zones of "
                "seeds/baseline.geojson to agree (move a vertex, or fix the row)"
            )
    return problems
