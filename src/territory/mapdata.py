"""What the map runtime (``static/territory/territory.js``) draws: base data, per-date codes, frames.

Pure data, no folium and no markup: every string travels as plain text (names, notes, source titles)
or as a URL, and the runtime puts them into the page with ``textContent`` and attributes only, so no
string from the data is ever parsed as HTML. The build writes the base data once as the static file
``static/territory/basemap.js``; each rerun sends only a small frame of options.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import json
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from territory import buffers, control, mapdeltas, seeds, settings, stats
from territory.data import Dataset
from territory.events import GOVERNORATE_WIDE
from territory.mapdeltas import CODES
from territory.mapdeltas import replay as replay
from territory.memo import per_dataset
from territory.tessellation import REACH_KM

log = logging.getLogger(__name__)

# Served by Streamlit's static file serving (server.enableStaticServing) from ./static.
RUNTIME_JS_URL = "/app/static/territory/territory.js"
BASEMAP_JS_URL = "/app/static/territory/basemap.js"
BASEMAP_FILE = "basemap.js"
STATIC_DIR = settings.STATIC_DIR / "territory"
# Version of the base data's layout: bump it when base_data() or _day_data() change shape, so a
# static file written by an older build is not paired with newer code (the freshness test catches
# a forgotten bump: it rebuilds the file and compares).
BASEMAP_FORMAT = "8"
DISPLAY_DECIMALS = 4  # ~10 m: plenty on screen, and a third fewer bytes than the exports' 6
DISPLAY_CELL_TOLERANCE = 0.006  # degrees (~600 m, half a pixel at the opening zoom) for drawing cells
NO_SIDE = len(settings.CONTROLLERS)  # code of an event that names no side (a report with an unmapped actor)
# A long timeline (an analyst's own) keeps the base data small: its events and each date's changed
# ground travel with the frame of the date shown instead of all at once.
EVENTS_IN_BASE_MAX = 3000
CHANGES_IN_BASE_MAX_DATES = 120
FRAME_EVENTS_MAX = 400  # with frame-borne events: the date's own (its latest, if there are more)
FRAME_NOTE_CHARS = 280


def js_json(data: Any) -> str:
    """JSON for embedding in a script (no ``</script>`` break-out, no NaN)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def display_fc(gdf: gpd.GeoDataFrame, tolerance: float, props: list[dict[str, Any]]) -> dict[str, Any]:
    """Simplified, rounded FeatureCollection for drawing (exports keep the full geometry)."""
    geoms = shapely.set_precision(
        shapely.simplify(np.asarray(gdf.geometry.values, dtype=object), tolerance, preserve_topology=True),
        10.0**-DISPLAY_DECIMALS,
    )
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": p, "geometry": shapely.geometry.mapping(g)}
            for p, g in zip(props, geoms, strict=True)
            if g is not None and not g.is_empty
        ],
    }


def _xy(geoms: Iterable[Any]) -> list[list[float]]:
    return [[round(g.y, DISPLAY_DECIMALS), round(g.x, DISPLAY_DECIMALS)] for g in geoms]


def source_ref(ds: Dataset, source_id: str) -> dict[str, str]:
    """A source as ``{"t": citation text, "u": URL}`` (plain text; the runtime links http(s) URLs only)."""
    src = ds.sources.get(source_id)
    if src is None:
        return {"t": source_id, "u": ""}
    return {"t": seeds.citation(src), "u": str(src.get("url") or "")}


@per_dataset
def _sources_index(ds: Dataset) -> dict[str, int]:
    """Index of every source the base data cites (place states, disputes, base-borne events); 0: none."""
    used = set(ds.baseline_sources.values())
    used |= {e.source for e in ds.events if e.kind != settings.REPORT_KIND}
    used |= {d["source"] for d in ds.timeline.get("disputes", [])}
    if _events_in_base(ds):
        used |= {e.source for e in ds.events}
    return {s: i for i, s in enumerate(["", *sorted(used & set(ds.sources))])}


@per_dataset
def _events_in_base(ds: Dataset) -> bool:
    """True when the base data holds every event (a short timeline); asked on every frame, counted once."""
    return sum(1 for e in ds.events if e.scope != GOVERNORATE_WIDE) <= EVENTS_IN_BASE_MAX


def _events_data(ds: Dataset, events: Sequence[Any], src_ref: Any) -> dict[str, Any]:
    """Events as the runtime draws them (``s``: what ``src_ref`` makes of each event's source)."""
    days = {d: i for i, d in enumerate(ds.dates)}
    names = ds.places["name"]
    return {
        "xy": _xy(ds.places.geometry.loc[e.place_id] for e in events),
        "day": [days.get(e.date, 0) for e in events],
        "c": [CODES.get(e.controller, NO_SIDE) for e in events],
        "what": [
            f"{human_date(e.date)}: {names.get(e.place_id, e.place_id)}: "
            + (
                str(e.note).split(":", 1)[0]
                if e.kind == settings.REPORT_KIND
                else control.describe_event(e.kind, e.controller)
            )
            for e in events
        ],
        "notes": [e.note for e in events],
        "s": [src_ref(e.source) for e in events],
    }


def human_date(date: dt.date) -> str:
    """A date as people read it: ``"Fri 29 Nov 2024"`` (the runtime's humanDate gives the same)."""
    return f"{date:%a} {date.day} {date:%b %Y}"


def label_order(ds: Dataset) -> dict[str, list[Any]]:
    """Which place names the map labels, in priority order, and the zoom each appears from.

    ``p``: place indices, the governorate capitals first (zoom 0: always), then the other towns and
    villages by population; ``z``: each one's zoom (``settings.LABEL_ZOOMS``). The runtime drops the
    ones that would overlap a name placed before them.
    """
    places = ds.places
    pos = {pid: i for i, pid in enumerate(places["id"])}
    capitals = [pos[c] for c in settings.LABEL_CAPITALS if c in pos]
    capital_set = set(capitals)
    pops = places["population"].fillna(0).astype(int).tolist()
    kinds = places["kind"].tolist()
    others = sorted(
        (i for i in range(len(places)) if kinds[i] in settings.LABEL_KINDS and i not in capital_set),
        key=lambda i: (-pops[i], i),
    )
    zooms = [next(z for floor, z in settings.LABEL_ZOOMS if pops[i] >= floor) for i in others]
    return {"p": capitals + others, "z": [0] * len(capitals) + zooms}


def band_feature(ds: Dataset, depth: float) -> dict[str, Any]:
    """One band, simplified for drawing, with its label and tooltip text."""
    layer = stats.buffer_layer(ds, (depth,), None)
    row = layer.iloc[0]
    proposals = list(row["proposals"] or [])
    title = f"{buffers.format_depth(depth)} mi" + (f": {'; '.join(proposals)}" if proposals else " (custom)")
    props = {
        "label": f"{buffers.format_depth(depth)} mi",
        "t": f"{title} · {row['area_km2']:,.0f} km² · population {int(row['population']):,} (GeoNames)",
    }
    return display_fc(layer, 0.006, [props])["features"][0]


def border_label(ds: Dataset) -> str:
    """The border's tooltip: its geodesic length and the source of the line, as the build wrote them."""
    info = ds.border_info
    return f"Turkey–Syria border ({float(info['length_km']):,.0f} km) · source: {info['source']}"


@per_dataset
def base_data(ds: Dataset) -> dict[str, Any]:
    """Everything the map draws that does not depend on the date, and every date's codes."""
    src_index = _sources_index(ds)
    srcs = [{"t": "GeoNames / baseline zones", "u": ""}, *(source_ref(ds, s) for s in list(src_index)[1:])]
    nb = ds.extra_layers.get("neighbours")
    neighbours = (
        display_fc(nb, 0.01, [{} for _ in range(len(nb))])
        if nb is not None
        else {"type": "FeatureCollection", "features": []}
    )
    gov = ds.governorates
    governorates = display_fc(
        gov, 0.003, [{"name": str(n), "focus": bool(f)} for n, f in zip(gov["name"], gov["focus"], strict=True)]
    )
    border_line = gpd.GeoDataFrame(geometry=[ds.border], crs=settings.CRS_WGS84)
    # Coverage-simplified for drawing (neighbours keep shared edges): fewer vertices, faster repaints.
    simple = ds.cells.copy()
    simple["geometry"] = shapely.coverage_simplify(
        np.asarray(ds.cells.geometry.values, dtype=object), DISPLAY_CELL_TOLERANCE, simplify_boundary=False
    )
    thin = control.thin_mask(ds)
    cells = display_fc(simple, 0.0, [{"i": i, "thin": bool(thin[i])} for i in range(len(ds.cells))])
    if len(cells["features"]) != len(ds.cells):
        msg = "a control cell has no geometry to draw"
        raise ValueError(msg)
    places = ds.places
    place_index = {pid: i for i, pid in enumerate(places["id"])}
    sites = places[places["kind"].isin(settings.SITE_KINDS)]
    villages = ds.extra_layers[settings.LAYER_HAMA_VILLAGES]
    caps = [c if isinstance(c, str) else None for c in villages["captured"]]
    explicit = [e for e in ds.events if e.scope != GOVERNORATE_WIDE]
    dates = [d.isoformat() for d in ds.dates]
    return {
        "neighbours": neighbours,
        "governorates": governorates,
        "border": display_fc(border_line, 0.0, [{"label": border_label(ds)}]),
        "cells": cells,
        "labels": [settings.CONTROLLER_LABELS[c] for c in settings.CONTROLLERS],
        "dates": dates,
        "srcs": srcs,
        "places": {
            "xy": _xy(places.geometry),
            "names": [str(n) for n in places["name"]],
            "ids": [str(i) for i in places["id"]],
        },
        "placeLabels": label_order(ds),
        "sites": {
            "place": [place_index[p] for p in sites["id"]],
            "symbols": [settings.SITE_SYMBOLS.get(k, "•") for k in sites["kind"]],
            "kinds": [k.replace("_", " ") for k in sites["kind"]],
            "operators": [str(o) if isinstance(o, str) else "" for o in sites.get("operator", [""] * len(sites))],
        },
        "reachKm": REACH_KM,
        # An uploaded timeline is this session's only: a place's history is read in the page's
        # own tab, not in a new tab (a new session, without the upload).
        "historyInPage": bool(ds.origin and ds.origin.get("uploaded")),
        "villages": {
            "xy": _xy(villages.geometry),
            "names": [str(n) for n in villages["name"]],
            "captured": caps,
            # Each village's place index and baseline holder: it is drawn taken on the days its
            # holder is another side (a retaken village empties again).
            "place": [place_index[v] for v in villages["id"]],
            "base": [CODES[ds.baseline_controllers[v]] for v in villages["id"]],
            "contested": CODES[settings.CONTESTED],
        },
        # Short timelines: every event, drawn up to the date shown; long ones: none (the frame brings
        # the events of the days around the date shown).
        "events": _events_data(ds, explicit, lambda s: src_index.get(s, 0)) if _events_in_base(ds) else None,
        "bands": {buffers.format_depth(d): band_feature(ds, d) for d in settings.DEFAULT_DEPTHS_MILES},
        "cellKm2": [round(float(a), 1) for a in control.cell_areas(ds)],
        **_day_deltas(ds, src_index),
    }


def _changes_data(ds: Dataset, date_from: dt.date, date_to: dt.date) -> dict[str, Any] | None:
    gdf = control.changes(ds, date_from, date_to)
    if gdf.empty:
        return None
    props = [
        {
            "c": CODES[b],
            "t": (
                f"Changed {date_from:%d %b} → {date_to:%d %b}: {settings.CONTROLLER_LABELS.get(a, a)} → "
                f"{settings.CONTROLLER_LABELS.get(b, b)}, {area:,.0f} km²"
            ),
        }
        for a, b, area in zip(gdf["from"], gdf["to"], gdf["area_km2"], strict=True)
    ]
    return display_fc(gdf, 0.002, props)


def _day_deltas(ds: Dataset, src_index: dict[str, int]) -> dict[str, Any]:
    """:func:`territory.mapdeltas.day_deltas`, with the day before's changed ground (short timelines only)."""
    out = mapdeltas.day_deltas(ds, src_index)
    if len(ds.dates) <= CHANGES_IN_BASE_MAX_DATES:
        out["changes"] = [None, *(_changes_data(ds, a, b) for a, b in itertools.pairwise(ds.dates))]
    return out


def label_point(band: shapely.Geometry, lon: float) -> list[float] | None:
    """Where to label a band: its southern edge on a meridian east of Aleppo."""
    cut = band.intersection(shapely.LineString([(lon, 30.0), (lon, 40.0)]))
    if cut.is_empty:
        return None
    return [round(cut.bounds[1], DISPLAY_DECIMALS), lon]


def _bands_frame(ds: Dataset, depths: Sequence[float]) -> list[dict[str, Any]]:
    defaults = {buffers.format_depth(d) for d in settings.DEFAULT_DEPTHS_MILES}
    out = []
    for i, depth in enumerate(sorted(depths, reverse=True)):
        key = buffers.format_depth(depth)
        entry: dict[str, Any] = {
            "colour": settings.BAND_COLOURS[i % len(settings.BAND_COLOURS)],
            "at": label_point(stats.band_geometry(ds, depth), lon=38.0 + 0.45 * (i % 6)),
        }
        if key in defaults:
            entry["ref"] = key
        else:
            entry["feature"] = band_feature(ds, depth)
        out.append(entry)
    return out


def palette(name: str | None) -> dict[str, str]:
    """Colours of the controllers in the named palette (default: the conventional one)."""
    return settings.PALETTES.get(name or settings.PALETTE_DEFAULT, settings.PALETTES[settings.PALETTE_DEFAULT])


def frame_data(
    ds: Dataset,
    date: dt.date,
    depths: Sequence[float],
    shown: Iterable[str],
    palette_name: str | None = None,
    since: dt.date | None = None,
) -> str:
    """JSON of one rerun's frame for the map runtime: the date's index and the options (under 1 kB).

    Holds exactly what the runtime reads: ``day`` (index into the base data's dates), ``shown``,
    ``colours`` and ``bands``, and with a comparison date ``since`` the ``changes`` since then. The
    per-date codes travel once, with the base data. For a long timeline, whose base data holds
    neither the events nor each day's changed ground, the frame brings the date's own when shown:
    ``events`` (the date's own, at most ``FRAME_EVENTS_MAX``) and ``changes`` since the day before.
    """
    shown_t = tuple(sorted(set(shown)))
    compare = since is not None and since < date - dt.timedelta(days=1)  # not the day before: sent along
    return _frame_json(ds, date, tuple(depths), shown_t, palette_name, since if compare else None)


@per_dataset
def _frame_json(
    ds: Dataset,
    date: dt.date,
    depths: tuple[float, ...],
    shown_t: tuple[str, ...],
    palette_name: str | None,
    since: dt.date | None,
) -> str:
    colours = palette(palette_name)
    data: dict[str, Any] = {
        "day": ds.dates.index(date),
        "shown": list(shown_t),
        "colours": [colours[c] for c in settings.CONTROLLERS],
    }
    if "buffers" in shown_t and depths:
        data["bands"] = _bands_frame(ds, depths)
    if since is not None:
        # The ground that changed hands since an earlier date the reader chose (the day
        # before's comes with the base data): drawn while the map shows this frame's day.
        data["since"] = since.isoformat()
        data["changes"] = _changes_data(ds, since, date) or {"type": "FeatureCollection", "features": []}
    elif "changes" in shown_t and len(ds.dates) > CHANGES_IN_BASE_MAX_DATES and date > ds.baseline_date:
        data["changes"] = _changes_data(ds, date - dt.timedelta(days=1), date) or {
            "type": "FeatureCollection",
            "features": [],
        }
    if "events" in shown_t and not _events_in_base(ds):
        data["events"] = _recent_events(ds, date)
    return js_json(data)


def _recent_events(ds: Dataset, date: dt.date) -> dict[str, Any]:
    """The date's own events (its latest ``FRAME_EVENTS_MAX``), sources inline, notes shortened."""
    day = [e for e in ds.events_by_date.get(date, []) if e.scope != GOVERNORATE_WIDE]
    data = _events_data(ds, day[-FRAME_EVENTS_MAX:], lambda s: source_ref(ds, s))
    data["notes"] = [n if len(n) <= FRAME_NOTE_CHARS else n[: FRAME_NOTE_CHARS - 1] + "…" for n in data["notes"]]
    data["total"] = len(day)
    return data


# --- the static base file ------------------------------------------------------------------------


def basemap_fingerprint(data: dict[str, Any]) -> str:
    """Content hash of the base data (ties the static file to the dataset it came from)."""
    return hashlib.sha256(js_json(data).encode("utf-8")).hexdigest()[:16]


def geodata_digest(directory: Path) -> str:
    """Hash of every file of a geodata directory (cheap: under a megabyte to read)."""
    h = hashlib.sha256()
    for path in sorted(p for p in directory.iterdir() if p.is_file()):
        h.update(path.name.encode("utf-8") + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


@functools.cache
def runtime_version() -> str:
    """Hash of ``static/territory/territory.js`` (its URL changes when the file does)."""
    return hashlib.sha256((STATIC_DIR / "territory.js").read_bytes()).hexdigest()[:12]


def basemap_js(ds: Dataset) -> str:
    """``static/territory/basemap.js``: the base data as a script (written by the build).

    Its first line names the base data's fingerprint, the digest of the geodata files it was made
    from and the layout's format, so the app can tell at start, without recomputing the base data,
    that the file is its own.
    """
    data = base_data(ds)
    made_from = f"; geodata: {geodata_digest(ds.directory)}" if ds.directory else ""
    return (
        f"// Generated by python -m territory build; do not edit. fingerprint: {basemap_fingerprint(data)}"
        f"{made_from}; format: {BASEMAP_FORMAT}\n"
        f"window.TERRITORY_BASE = {js_json(data)};\n"
    )


@per_dataset
def basemap_js_bytes(ds: Dataset) -> bytes:
    """:func:`basemap_js` as UTF-8 bytes, once per dataset (the page serves an uploaded timeline's as a file)."""
    return basemap_js(ds).encode("utf-8")


def _static_header() -> dict[str, str]:
    path = STATIC_DIR / BASEMAP_FILE
    try:
        with path.open(encoding="utf-8") as fh:
            first = fh.readline()
    except OSError:
        return {}
    fields = (part.strip().split(": ", 1) for part in first.split("do not edit.", 1)[-1].split(";"))
    return {f[0]: f[1] for f in fields if len(f) == 2}


@per_dataset
def static_header(ds: Dataset) -> dict[str, str]:
    """The static file's header, read once per dataset (not on every rerun)."""
    return _static_header()


@per_dataset
def base_uses_static_file(ds: Dataset) -> bool:
    """True when ``static/territory/basemap.js`` holds this dataset's base data (else it is inlined).

    Compares the digest of the geodata files and the layout format when the dataset was read from
    a directory (milliseconds); otherwise the base data's own fingerprint (which means computing
    it). A mismatch is logged once per dataset: inlining costs every rerun about 340 kB.
    """
    if ds.origin:
        return False  # an events file's timeline: its base data is the session's own, sent with the map
    header = static_header(ds)
    if ds.directory and "geodata" in header:
        ok = header["geodata"] == geodata_digest(ds.directory) and header.get("format") == BASEMAP_FORMAT
    else:
        ok = header.get("fingerprint") == basemap_fingerprint(base_data(ds))
    if not ok:
        log.warning(
            "%s does not hold the base data of %s (header %s, format %s expected); the map inlines it on "
            "every rerun (about 340 kB each); run `python -m territory build` to rewrite it",
            STATIC_DIR / BASEMAP_FILE,
            ds.directory or "this in-memory dataset",
            header or "missing",
            BASEMAP_FORMAT,
        )
    return ok
