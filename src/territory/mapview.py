"""folium layers, styles, popups and legend for the dashboard (pure: no Streamlit here).

The base map (offline vector basemap, outline, governorates, border) is the same on every rerun, so
streamlit-folium never remounts it; everything that depends on the date or the chosen bands is built
as dynamic feature groups. Every string that comes from data is HTML-escaped before it reaches a
popup, tooltip or label; only ``http(s)`` source URLs become links.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import html
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from jinja2 import Template

from territory import buffers, control, layers, settings, stats
from territory.data import Dataset

# Served by Streamlit's static file serving (server.enableStaticServing) from ./static.
LEAFLET_JS = "/app/static/vendor/leaflet/leaflet.js"
LEAFLET_CSS = "/app/static/vendor/leaflet/leaflet.css"
CENTER = (34.9, 38.8)
ZOOM = 7
PALETTE_DEFAULT = "conventional"

# Toggleable map layers (ids used in the URL) and their labels.
MAP_LAYERS: dict[str, str] = {
    "zones": "Control zones",
    "changes": "Changes since previous date",
    "points": "Control points (places)",
    "events": "Events",
    "villages": "Northern-Hama villages",
    "sites": "Military & infrastructure sites",
    "buffers": "Buffer bands",
}
DEFAULT_MAP_LAYERS: tuple[str, ...] = ("zones", "changes", "points", "events", "villages", "sites", "buffers")
SITE_SYMBOLS = {
    "air_base": "✈",
    "military_site": "★",
    "infrastructure": "⚡",
    "border_crossing": "⇄",
}
BAND_COLOURS = ("#111111", "#4b2991", "#872ca2", "#c0369d", "#ea4f88", "#fa7876", "#f6a97a")


def esc(value: Any) -> str:
    """HTML-escaped text of any value (None -> empty)."""
    return "" if value is None else html.escape(str(value), quote=True)


def safe_link(url: Any, text: Any) -> str:
    """An escaped link when ``url`` is http(s), else the escaped text alone."""
    url_s = str(url or "").strip()
    if url_s.lower().startswith(("http://", "https://")) and not any(c in url_s for c in "\"'<> "):
        return (
            f'<a href="{html.escape(url_s, quote=True)}" target="_blank" rel="noopener noreferrer">'
            f"{esc(text or url_s)}</a>"
        )
    return esc(text)


def palette(name: str | None) -> dict[str, str]:
    """Colours of the controllers in the named palette (default: the conventional one)."""
    return settings.PALETTES.get(name or PALETTE_DEFAULT, settings.PALETTES[PALETTE_DEFAULT])


def date_class(date: dt.date) -> str:
    """CSS class every control-zone path carries: ``territory-date-YYYY-MM-DD``."""
    return f"territory-date-{date.isoformat()}"


def source_html(ds: Dataset, source_id: str) -> str:
    """Escaped citation of a source id, linked when its URL is http(s)."""
    src = ds.sources.get(source_id)
    if src is None:
        return esc(source_id)
    text = f"{src['title']} ({src['publisher']}, {src['published']})"
    return safe_link(src["url"], text)


# --- the map runtime and its data ----------------------------------------------------------------

# The map runtime (hand-written) and the base-layer data (written by the build) are static files the
# map's frame loads once, so they are not sent again on every rerun.
RUNTIME_JS_URL = "/app/static/territory/territory.js"
BASEMAP_JS_URL = "/app/static/territory/basemap.js"
BASEMAP_FILE = "basemap.js"
STATIC_DIR = settings.PROJECT_ROOT / "static" / "territory"
DISPLAY_DECIMALS = 4  # ~10 m: plenty on screen, and a third fewer bytes than the exports' 6
DISPLAY_CELL_TOLERANCE = 0.006  # degrees (~600 m, half a pixel at the opening zoom) for drawing cells


def _js_json(data: Any) -> str:
    """JSON for embedding in a script (no ``</script>`` break-out, no NaN)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _display_fc(gdf: gpd.GeoDataFrame, tolerance: float, props: list[dict[str, Any]]) -> dict[str, Any]:
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


class Script(MacroElement):
    """A ready-made piece of map script (rendered once, cached by the caller)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.code.replace("__MAP__", this._parent.get_name()) }}
        {% endmacro %}
        """
    )

    def __init__(self, code: str) -> None:
        super().__init__()
        self._name = "TerritoryScript"
        self.code = code


class DynamicLayers(folium.FeatureGroup):
    """The date's frame: restyles the base layers and draws what changed since the previous date."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup({});
        window.territory.frame({{ this.get_name() }}, {{ this.data }});
        {% endmacro %}
        """
    )

    def __init__(self, data_json: str, date: dt.date) -> None:
        super().__init__(name=f"territory {date.isoformat()}")
        self.data = data_json
        self.date = date


CODES = {c: i for i, c in enumerate(settings.CONTROLLERS)}  # compact controller codes for the map


def _sources_index(ds: Dataset) -> dict[str, int]:
    return {s: i for i, s in enumerate(["", *sorted(ds.sources)])}


def _band_feature(ds: Dataset, depth: float) -> dict[str, Any]:
    layer = stats.buffer_layer(ds, (depth,), None)
    row = layer.iloc[0]
    proposals = list(row["proposals"] or [])
    title = f"{buffers.format_depth(depth)} mi" + (f": {'; '.join(proposals)}" if proposals else " (custom)")
    props = {
        "label": esc(f"{buffers.format_depth(depth)} mi"),
        "t": esc(f"{title} · {row['area_km2']:,.0f} km² · population {int(row['population']):,} (GeoNames)"),
    }
    return _display_fc(layer, 0.006, [props])["features"][0]


def base_data(ds: Dataset) -> dict[str, Any]:
    """Everything the map draws that does not depend on the date (see ``static/territory/territory.js``)."""

    def make() -> dict[str, Any]:
        src_index = _sources_index(ds)
        srcs = ["GeoNames / baseline zones", *(source_html(ds, s) for s in sorted(ds.sources))]
        nb = ds.extra_layers.get("neighbours")
        neighbours = (
            _display_fc(nb, 0.01, [{} for _ in range(len(nb))])
            if nb is not None
            else {"type": "FeatureCollection", "features": []}
        )
        gov = ds.governorates
        governorates = _display_fc(
            gov, 0.003, [{"name": esc(n), "focus": bool(f)} for n, f in zip(gov["name"], gov["focus"], strict=True)]
        )
        border_layer = layers.layer(ds, settings.LAYER_BORDER)
        km = float(border_layer["length_km"].iloc[0])
        label = f"Turkey–Syria border (Natural Earth, generalised: {km:,.0f} km)"
        # Coverage-simplified for drawing (neighbours keep shared edges): fewer vertices, faster repaints.
        simple = ds.cells.copy()
        simple["geometry"] = shapely.coverage_simplify(
            np.asarray(ds.cells.geometry.values, dtype=object), DISPLAY_CELL_TOLERANCE, simplify_boundary=False
        )
        cells = _display_fc(simple, 0.0, [{"i": i} for i in range(len(ds.cells))])
        if len(cells["features"]) != len(ds.cells):
            msg = "a control cell has no geometry to draw"
            raise ValueError(msg)
        places = ds.places
        place_index = {pid: i for i, pid in enumerate(places["id"])}
        sites = places[places["kind"].isin(settings.SITE_KINDS)]
        villages = layers.layer(ds, settings.LAYER_HAMA_VILLAGES)
        caps = [c if isinstance(c, str) else None for c in villages["captured"]]
        explicit = [e for e in ds.events if e.scope != "governorate"]
        dates = [d.isoformat() for d in ds.dates]
        names = ds.places["name"]
        return {
            "neighbours": neighbours,
            "governorates": governorates,
            "border": _display_fc(border_layer, 0.0, [{"label": esc(label)}]),
            "cells": cells,
            "labels": [esc(settings.CONTROLLER_LABELS[c]) for c in settings.CONTROLLERS],
            "dates": dates,
            "srcs": srcs,
            "places": {"xy": _xy(places.geometry), "names": [esc(n) for n in places["name"]]},
            "sites": {
                "place": [place_index[p] for p in sites["id"]],
                "symbols": [esc(SITE_SYMBOLS.get(k, "•")) for k in sites["kind"]],
                "kinds": [esc(k.replace("_", " ")) for k in sites["kind"]],
            },
            "villages": {
                "xy": _xy(villages.geometry),
                "captured": caps,
                "tips": [
                    f"{esc(n)}<br>captured: {esc(c or 'no dated capture in the seeds')}"
                    for n, c in zip(villages["name"], caps, strict=True)
                ],
            },
            "events": {
                "xy": _xy(places.geometry.loc[e.place_id] for e in explicit),
                "day": [dates.index(e.date.isoformat()) for e in explicit],
                "c": [CODES[e.controller] for e in explicit],
                "what": [
                    esc(
                        f"{e.date.isoformat()}: {names.get(e.place_id, e.place_id)}: "
                        f"{control.describe_event(e.kind, e.controller)}"
                    )
                    for e in explicit
                ],
                "notes": [esc(e.note) for e in explicit],
                "s": [src_index.get(e.source, 0) for e in explicit],
            },
            "bands": {buffers.format_depth(d): _band_feature(ds, d) for d in settings.DEFAULT_DEPTHS_MILES},
            "days": [_day_data(ds, d) for d in ds.dates],
        }

    return ds.cached(("mapview-base-data",), make)


def basemap_fingerprint(data: dict[str, Any]) -> str:
    """Content hash of the base data (ties the static file to the dataset it came from)."""
    return hashlib.sha256(_js_json(data).encode("utf-8")).hexdigest()[:16]


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


@functools.cache
def code_digest() -> str:
    """Hash of this module's source, which decides the base data's layout."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def basemap_js(ds: Dataset) -> str:
    """``static/territory/basemap.js``: the base data as a script (written by the build).

    Its first line names the base data's fingerprint, the digest of the geodata files it was made
    from and the digest of the code that laid it out, so the app can tell at start, without
    recomputing the base data, that the file is its own.
    """
    data = base_data(ds)
    made_from = f"; geodata: {geodata_digest(ds.directory)}; code: {code_digest()}" if ds.directory else ""
    return (
        f"// Generated by python -m territory build; do not edit. fingerprint: {basemap_fingerprint(data)}"
        f"{made_from}\n"
        f"window.TERRITORY_BASE = {_js_json(data)};\n"
    )


def _static_header() -> dict[str, str]:
    path = STATIC_DIR / BASEMAP_FILE
    try:
        with path.open(encoding="utf-8") as fh:
            first = fh.readline()
    except OSError:
        return {}
    fields = (part.strip().split(": ", 1) for part in first.split("do not edit.", 1)[-1].split(";"))
    return {f[0]: f[1] for f in fields if len(f) == 2}


def _static_header_of(ds: Dataset) -> dict[str, str]:
    """The static file's header, read once per dataset (not on every rerun)."""
    return ds.cached(("mapview-static-header",), _static_header)


def base_uses_static_file(ds: Dataset) -> bool:
    """True when ``static/territory/basemap.js`` holds this dataset's base data (else it is inlined).

    Compares the digests of the geodata files and of this module when the dataset was read from a
    directory (milliseconds); otherwise the base data's own fingerprint (which means computing it).
    """

    def check() -> bool:
        header = _static_header_of(ds)
        if ds.directory and "geodata" in header:
            return header["geodata"] == geodata_digest(ds.directory) and header.get("code") == code_digest()
        return header.get("fingerprint") == basemap_fingerprint(base_data(ds))

    return ds.cached(("mapview-static-ok",), check)


def base_script(ds: Dataset, web_tiles: bool = False) -> str:
    """The base map's own script: draw the base layers (inlining their data if the file is stale)."""
    call = f"window.territory.base(__MAP__, window.TERRITORY_BASE, {json.dumps(bool(web_tiles))});"
    if base_uses_static_file(ds):
        return call
    return f"window.TERRITORY_BASE = {_js_json(base_data(ds))};\n{call}"


def base_map(ds: Dataset, web_tiles: bool = False) -> folium.Map:
    """The static map: basemap, governorates, border and every date-independent layer (via the runtime).

    Built the same way on every rerun so streamlit-folium keeps the mounted map.
    """
    m = folium.Map(
        location=CENTER,
        zoom_start=ZOOM,
        tiles=None,
        control_scale=True,
        prefer_canvas=False,
        min_zoom=5,
        max_zoom=13,
    )
    # Versioned URLs: a browser that cached an older runtime or base file fetches the new one.
    m.default_js = [("leaflet", LEAFLET_JS), ("territory_runtime", f"{RUNTIME_JS_URL}?v={runtime_version()}")]
    if base_uses_static_file(ds):
        m.default_js.append(("territory_basemap", f"{BASEMAP_JS_URL}?v={_static_header_of(ds)['fingerprint']}"))
    m.default_css = [("leaflet_css", LEAFLET_CSS)]
    if web_tiles:
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap (web)", max_zoom=13).add_to(m)
    m.add_child(Script(base_script(ds, web_tiles)))
    return m


def _changes_data(ds: Dataset, date_from: dt.date, date_to: dt.date) -> dict[str, Any] | None:
    gdf = layers.layer(ds, settings.LAYER_CHANGES, date_to, since=date_from)
    if gdf.empty:
        return None
    props = [
        {
            "c": CODES[b],
            "t": esc(
                f"Changed {date_from:%d %b} → {date_to:%d %b}: {settings.CONTROLLER_LABELS.get(a, a)} → "
                f"{settings.CONTROLLER_LABELS.get(b, b)}, {area:,.0f} km²"
            ),
        }
        for a, b, area in zip(gdf["from"], gdf["to"], gdf["area_km2"], strict=True)
    ]
    return _display_fc(gdf, 0.002, props)


def _label_point(band: shapely.Geometry, lon: float) -> list[float] | None:
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
            "colour": BAND_COLOURS[i % len(BAND_COLOURS)],
            "at": _label_point(stats.band_geometry(ds, depth), lon=38.0 + 0.45 * (i % 6)),
        }
        if key in defaults:
            entry["ref"] = key
        else:
            entry["feature"] = _band_feature(ds, depth)
        out.append(entry)
    return out


def _day_data(ds: Dataset, date: dt.date) -> dict[str, Any]:
    """What the map needs for one date, whatever the options: codes per cell and place, and changes."""
    states = control.place_states(ds, date)
    src_index = _sources_index(ds)
    days = {d: i for i, d in enumerate(ds.dates)}
    zones = control.control_zones(ds, date)
    areas = dict(zip(zones["controller"], zones["area_km2"], strict=True))
    pids = list(ds.places["id"])
    data: dict[str, Any] = {
        "areas": [esc(f"{areas[c]:,.0f} km²") if c in areas else "" for c in settings.CONTROLLERS],
        "cells": [CODES[c] for c in control.cell_controllers(ds, date)],
        "pc": [CODES[states[p].controller] for p in pids],
        "since": [days[states[p].since] for p in pids],
        "src": [src_index.get(states[p].source, 0) for p in pids],
        "nEvents": sum(1 for e in ds.events if e.scope != "governorate" and e.date <= date),
    }
    since = date - dt.timedelta(days=1)  # the day panel's "changed since" date (viewmodel.previous_date)
    if since in days:
        changes = _changes_data(ds, since, date)
        if changes is not None:
            data["changes"] = changes
    return data


def frame_data(
    ds: Dataset,
    date: dt.date,
    depths: Sequence[float],
    shown: Iterable[str],
    palette_name: str | None = None,
) -> str:
    """JSON of one rerun's frame for the map runtime: the date and the options (well under 1 kB).

    The per-date codes travel once, with the base data (``base_data()["days"]``); the runtime
    combines them with these options, and redraws straight from the page's date slider when it
    can, without waiting for the server.
    """
    shown_t = tuple(sorted(set(shown)))
    key = ("mapview-frame", date, tuple(depths), shown_t, palette_name)

    def make() -> str:
        colours = palette(palette_name)
        data: dict[str, Any] = {
            "date": date.isoformat(),
            "day": ds.dates.index(date),
            "cls": date_class(date),
            "shown": list(shown_t),
            "colours": [colours[c] for c in settings.CONTROLLERS],
        }
        if "buffers" in shown_t and depths:
            data["bands"] = _bands_frame(ds, depths)
        return _js_json(data)

    return ds.cached(key, make)


def dynamic_groups(
    ds: Dataset,
    date: dt.date,
    depths: Sequence[float],
    shown: Iterable[str],
    palette_name: str | None = None,
) -> list[folium.FeatureGroup]:
    """The date- and option-dependent part of the map: one small frame for the runtime."""
    return [DynamicLayers(frame_data(ds, date, depths, shown, palette_name), date)]
