"""folium layers, styles, popups and legend for the dashboard (pure: no Streamlit here).

The base map (offline vector basemap, outline, governorates, border) is the same on every rerun, so
streamlit-folium never remounts it; everything that depends on the date or the chosen bands is built
as dynamic feature groups. Every string that comes from data is HTML-escaped before it reaches a
popup, tooltip or label; only ``http(s)`` source URLs become links.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Iterable, Sequence
from typing import Any

import folium
import geopandas as gpd
import shapely

from territory import buffers, export, layers, settings, stats
from territory.data import Dataset

# Served by Streamlit's static file serving (server.enableStaticServing) from ./static.
LEAFLET_JS = "/app/static/vendor/leaflet/leaflet.js"
LEAFLET_CSS = "/app/static/vendor/leaflet/leaflet.css"
JQUERY_JS = "/app/static/vendor/jquery/jquery.min.js"  # folium popups use $(...)
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


# --- base map -------------------------------------------------------------------------------------


def _simplified(gdf: gpd.GeoDataFrame, tolerance: float) -> dict[str, Any]:
    out = gdf.copy()
    out["geometry"] = shapely.simplify(shapely.set_precision(out.geometry.values, 1e-4), tolerance, preserve_topology=True)
    return export.feature_collection(out, "layer")


def base_map(ds: Dataset, web_tiles: bool = False) -> folium.Map:
    """The static map: offline vector basemap, governorates (Idlib, Aleppo, Hama emphasised), border.

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
        attribution_control=True,
    )
    m.default_js = [("leaflet", LEAFLET_JS), ("jquery", JQUERY_JS)]
    m.default_css = [("leaflet_css", LEAFLET_CSS)]
    if web_tiles:
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap (web)", max_zoom=13).add_to(m)
    base = _base_layers(ds)
    folium.GeoJson(
        base["neighbours"],
        name="Neighbouring countries",
        style_function=lambda _f: {"fillColor": "#e8e4da", "color": "#b5ad9c", "weight": 0.8, "fillOpacity": 1.0 if not web_tiles else 0.0},
        interactive=False,
        control=False,
    ).add_to(m)
    folium.GeoJson(
        base["governorates"],
        name="Governorates",
        style_function=lambda f: {
            "fillColor": "#f7f5ef",
            "fillOpacity": 0.0 if web_tiles else 1.0,
            "color": "#333333" if f["properties"]["focus"] else "#9a9a9a",
            "weight": 2.2 if f["properties"]["focus"] else 0.7,
            "dashArray": None if f["properties"]["focus"] else "3 3",
        },
        tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=["Governorate"]),
        control=False,
    ).add_to(m)
    folium.GeoJson(
        base["border"],
        name="Turkey–Syria border",
        style_function=lambda _f: {"color": "#000000", "weight": 3, "opacity": 0.9},
        tooltip=folium.GeoJsonTooltip(fields=["name", "length_km"], aliases=["", "Length (km, generalised)"]),
        control=False,
    ).add_to(m)
    m.get_root().html.add_child(folium.Element(""))  # keeps the root stable across reruns
    return m


def _base_layers(ds: Dataset) -> dict[str, Any]:
    def make() -> dict[str, Any]:
        out: dict[str, Any] = {}
        neighbours = ds.extra_layers.get("neighbours")
        if neighbours is not None:
            out["neighbours"] = _simplified(neighbours, 0.01)
        else:
            out["neighbours"] = {"type": "FeatureCollection", "features": []}
        gov = ds.governorates[["name", "focus", "geometry"]].copy()
        gov["name"] = gov["name"].map(esc)
        out["governorates"] = _simplified(gov, 0.005)
        border = gpd.GeoDataFrame(
            {"name": ["Turkey–Syria border"], "length_km": [round(float(layers.layer(ds, settings.LAYER_BORDER)["length_km"].iloc[0]), 1)]},
            geometry=[ds.border],
            crs=settings.CRS_WGS84,
        )
        out["border"] = export.feature_collection(border, "layer")
        return out

    return ds.cached(("mapview-base",), make)


# --- dynamic layers -------------------------------------------------------------------------------


def _zones_fc(ds: Dataset, date: dt.date, colours: dict[str, str]) -> dict[str, Any]:
    zones = layers.layer(ds, settings.LAYER_CONTROL_ZONES, date)
    fc = json.loads(layers.layer_geojson(ds, settings.LAYER_CONTROL_ZONES, date))
    for f, ctl in zip(fc["features"], zones["controller"], strict=True):
        p = f["properties"]
        p["label"] = esc(p["label"])
        p["area"] = f"{p['area_km2']:,.0f} km²"
        p["colour"] = colours.get(ctl, "#777777")
    return fc


def zones_group(ds: Dataset, date: dt.date, palette_name: str | None = None) -> folium.FeatureGroup:
    """Control zones of ``date``: every path carries the class ``territory-date-YYYY-MM-DD``."""
    colours = palette(palette_name)
    fc = _zones_fc(ds, date, colours)
    cls = f"territory-zone {date_class(date)}"
    fg = folium.FeatureGroup(name="Control zones", show=True)
    folium.GeoJson(
        fc,
        name="Control zones",
        style_function=lambda f: {
            "fillColor": f["properties"]["colour"],
            "color": "#ffffff",
            "weight": 0.6,
            "fillOpacity": 0.55,
            "className": cls,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["label", "area", "date"], aliases=["Held by", "Area", "On"], sticky=True
        ),
    ).add_to(fg)
    return fg


def changes_group(ds: Dataset, date_from: dt.date, date_to: dt.date, palette_name: str | None = None) -> folium.FeatureGroup:
    """Ground that changed hands between two dates, outlined and hatched in the new holder's colour."""
    colours = palette(palette_name)
    gdf = layers.layer(ds, settings.LAYER_CHANGES, date_to, since=date_from)
    fg = folium.FeatureGroup(name="Changes", show=True)
    if gdf.empty:
        return fg
    fc = export.feature_collection(gdf[["from", "to", "area_km2", "geometry"]], "layer")
    for f in fc["features"]:
        p = f["properties"]
        p["what"] = esc(f"{settings.CONTROLLER_LABELS.get(p['from'], p['from'])} → {settings.CONTROLLER_LABELS.get(p['to'], p['to'])}")
        p["area"] = f"{p['area_km2']:,.0f} km²"
        p["colour"] = colours.get(p["to"], "#000000")
    folium.GeoJson(
        fc,
        style_function=lambda f: {
            "color": "#000000",
            "weight": 2.5,
            "dashArray": "6 4",
            "fillColor": f["properties"]["colour"],
            "fillOpacity": 0.35,
            "className": "territory-change",
        },
        tooltip=folium.GeoJsonTooltip(fields=["what", "area"], aliases=[f"Changed {date_from:%d %b} → {date_to:%d %b}", "Area"]),
    ).add_to(fg)
    return fg


def _point_popup_fields(ds: Dataset, gdf: gpd.GeoDataFrame) -> dict[str, Any]:
    fc = export.feature_collection(gdf, "layer")
    return fc


def points_group(ds: Dataset, date: dt.date, palette_name: str | None = None) -> folium.FeatureGroup:
    """Every place, coloured by its controller on ``date`` (popup: name, controller, since, source)."""
    colours = palette(palette_name)
    pts = layers.layer(ds, settings.LAYER_CONTROL_POINTS, date)
    fc = _point_popup_fields(ds, pts[["name", "controller", "since", "source", "population", "geometry"]])
    for f in fc["features"]:
        p = f["properties"]
        p["colour"] = colours.get(p["controller"], "#777777")
        p["name"] = esc(p["name"])
        p["held_by"] = esc(settings.CONTROLLER_LABELS.get(p["controller"], p["controller"]))
        p["source_html"] = source_html(ds, p["source"]) if p["source"] != "geonames" else "baseline"
        p["since"] = esc(p["since"])
    fg = folium.FeatureGroup(name="Control points", show=True)
    folium.GeoJson(
        fc,
        marker=folium.CircleMarker(radius=3.5, weight=1, fill=True),
        style_function=lambda f: {"color": "#222222", "weight": 0.8, "fillColor": f["properties"]["colour"], "fillOpacity": 0.95, "radius": 3.5},
        tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=[""], labels=False),
        popup=folium.GeoJsonPopup(
            fields=["name", "held_by", "since", "source_html"],
            aliases=["Place", "Held by", "Since", "Source"],
        ),
    ).add_to(fg)
    return fg


def events_group(ds: Dataset, date: dt.date, palette_name: str | None = None) -> folium.FeatureGroup:
    """Events up to ``date``; the date's own events drawn larger."""
    colours = palette(palette_name)
    ev = layers.layer(ds, settings.LAYER_EVENTS, date)
    # Governorate-wide ends of government control show in the zones and the event list, not as rings.
    ev = ev[ev["scope"] != "governorate"]
    fg = folium.FeatureGroup(name="Events", show=True)
    if ev.empty:
        return fg
    fc = export.feature_collection(ev[["date", "name", "controller", "kind", "source", "note", "geometry"]], "layer")
    for f in fc["features"]:
        p = f["properties"]
        today = p["date"] == date.isoformat()
        p["radius"] = 9 if today else 5
        p["colour"] = colours.get(p["controller"], "#777777")
        p["today"] = today
        p["what"] = esc(f"{p['date']}: {p['name']} {p['kind'].replace('_', ' ')} ({settings.CONTROLLER_LABELS.get(p['controller'], p['controller'])})")
        p["note"] = esc(p["note"])
        p["source_html"] = source_html(ds, p["source"])
    folium.GeoJson(
        fc,
        marker=folium.CircleMarker(radius=6, weight=2, fill=False),
        style_function=lambda f: {
            "color": f["properties"]["colour"] if not f["properties"]["today"] else "#000000",
            "weight": 2.5 if f["properties"]["today"] else 1.2,
            "fill": False,
            "radius": f["properties"]["radius"],
            "className": "territory-event",
        },
        tooltip=folium.GeoJsonTooltip(fields=["what"], aliases=[""], labels=False),
        popup=folium.GeoJsonPopup(fields=["what", "note", "source_html"], aliases=["Event", "Note", "Source"]),
    ).add_to(fg)
    return fg


def villages_group(ds: Dataset, date: dt.date) -> folium.FeatureGroup:
    """Northern-Hama villages: filled once captured by the date, hollow before."""
    gdf = layers.layer(ds, settings.LAYER_HAMA_VILLAGES)
    fg = folium.FeatureGroup(name="Northern-Hama villages", show=True)
    fc = export.feature_collection(gdf[["name", "captured", "geometry"]], "layer")
    for f in fc["features"]:
        p = f["properties"]
        cap = p.get("captured")
        p["taken"] = bool(cap and cap <= date.isoformat())
        p["name"] = esc(p["name"])
        p["captured_text"] = esc(cap or "no dated capture in the seeds")
    folium.GeoJson(
        fc,
        marker=folium.CircleMarker(radius=5, weight=1.5),
        style_function=lambda f: {
            "color": "#3b2f2f",
            "weight": 1.5,
            "fillColor": "#3b2f2f",
            "fillOpacity": 0.9 if f["properties"]["taken"] else 0.0,
            "radius": 5,
            "className": "territory-village",
        },
        tooltip=folium.GeoJsonTooltip(fields=["name", "captured_text"], aliases=["Village", "Captured"]),
    ).add_to(fg)
    return fg


def sites_group(ds: Dataset, date: dt.date, palette_name: str | None = None) -> folium.FeatureGroup:
    """Kuweires Air Base and the other named sites, with a symbol per kind and their holder."""
    colours = palette(palette_name)
    pts = layers.layer(ds, settings.LAYER_CONTROL_POINTS, date)
    sites = pts[pts["kind"].isin(settings.SITE_KINDS)]
    fg = folium.FeatureGroup(name="Sites", show=True)
    for row in sites.itertuples(index=False):
        colour = colours.get(row.controller, "#777777")
        symbol = SITE_SYMBOLS.get(row.kind, "•")
        icon_html = (
            f'<div class="territory-site" title="{esc(row.name)}" style="font-size:15px;line-height:18px;'
            f"width:20px;height:20px;text-align:center;border-radius:4px;background:#ffffff;"
            f'border:2px solid {colour};color:#111">{esc(symbol)}</div>'
        )
        popup = (
            f"<b>{esc(row.name)}</b><br>{esc(row.kind.replace('_', ' '))}<br>"
            f"Held by: {esc(settings.CONTROLLER_LABELS.get(row.controller, row.controller))}"
            f" since {esc(row.since)}<br>Source: {source_html(ds, row.source)}"
        )
        folium.Marker(
            location=(row.geometry.y, row.geometry.x),
            icon=folium.DivIcon(html=icon_html, icon_size=(24, 24), icon_anchor=(12, 12)),
            tooltip=esc(row.name),
            popup=folium.Popup(popup, max_width=300),
        ).add_to(fg)
    return fg


def _label_point(band: shapely.Geometry, lon: float = 38.45) -> tuple[float, float] | None:
    """Where to label a band: its southern edge on a meridian east of Aleppo."""
    line = shapely.LineString([(lon, 30.0), (lon, 40.0)])
    cut = band.intersection(line)
    if cut.is_empty:
        return None
    miny = cut.bounds[1]
    return (miny, lon)


def buffers_group(ds: Dataset, date: dt.date, depths: Sequence[float]) -> folium.FeatureGroup:
    """The chosen buffer bands, outlined and labelled with their depth and proposals."""
    fg = folium.FeatureGroup(name="Buffer bands", show=True)
    if not depths:
        return fg
    gdf = layers.layer(ds, settings.LAYER_BUFFERS, date, depths=depths)
    for i, row in enumerate(gdf.sort_values("depth_miles", ascending=False).itertuples(index=False)):
        colour = BAND_COLOURS[i % len(BAND_COLOURS)]
        props = row.proposals or []
        title = f"{buffers.format_depth(row.depth_miles)} mi" + (f": {'; '.join(props)}" if props else " (custom)")
        feature = {
            "type": "Feature",
            "properties": {
                "title": esc(title),
                "area": f"{row.area_km2:,.0f} km²",
                "pop": f"{row.population:,}",
            },
            "geometry": shapely.geometry.mapping(row.geometry),
        }
        folium.GeoJson(
            {"type": "FeatureCollection", "features": [feature]},
            style_function=lambda _f, c=colour: {
                "color": c,
                "weight": 2,
                "dashArray": "8 5",
                "fill": False,
                "className": "territory-band",
            },
            tooltip=folium.GeoJsonTooltip(fields=["title", "area", "pop"], aliases=["Band", "Area", "Population (GeoNames)"]),
        ).add_to(fg)
        at = _label_point(row.geometry, lon=38.0 + 0.45 * (i % 6))
        if at is not None:
            folium.Marker(
                location=at,
                icon=folium.DivIcon(
                    html=f'<div class="territory-band-label" style="font:600 11px sans-serif;color:{colour};'
                    f'white-space:nowrap;text-shadow:0 0 3px #fff">{esc(buffers.format_depth(row.depth_miles))} mi</div>',
                    icon_size=(50, 14),
                    icon_anchor=(25, -2),
                ),
            ).add_to(fg)
    return fg


def dynamic_groups(
    ds: Dataset,
    date: dt.date,
    depths: Sequence[float],
    shown: Iterable[str],
    palette_name: str | None = None,
    since: dt.date | None = None,
) -> list[folium.FeatureGroup]:
    """The date- and option-dependent layers, in drawing order (zones at the bottom)."""
    shown = set(shown)
    groups = []
    if "zones" in shown:
        groups.append(zones_group(ds, date, palette_name))
    if "changes" in shown and since is not None and since < date:
        groups.append(changes_group(ds, since, date, palette_name))
    if "buffers" in shown:
        groups.append(buffers_group(ds, date, depths))
    if "points" in shown:
        groups.append(points_group(ds, date, palette_name))
    if "villages" in shown:
        groups.append(villages_group(ds, date))
    if "events" in shown:
        groups.append(events_group(ds, date, palette_name))
    if "sites" in shown:
        groups.append(sites_group(ds, date, palette_name))
    return groups


def legend_html(palette_name: str | None = None, controllers: Iterable[str] = settings.CONTROLLERS) -> str:
    """A small HTML legend of the controller colours (escaped labels)."""
    colours = palette(palette_name)
    items = "".join(
        f'<span style="display:inline-flex;align-items:center;margin:0 12px 4px 0">'
        f'<span style="width:14px;height:14px;background:{colours[c]};opacity:.8;border:1px solid #555;'
        f'display:inline-block;margin-right:5px"></span>{esc(settings.CONTROLLER_LABELS[c])}</span>'
        for c in controllers
    )
    extra = (
        '<span style="display:inline-flex;align-items:center;margin:0 12px 4px 0">'
        '<span style="width:14px;height:14px;border:2px dashed #000;display:inline-block;margin-right:5px">'
        "</span>changed since previous date</span>"
        '<span style="margin:0 12px 4px 0">✈ air base · ★ military site · ⚡ infrastructure</span>'
        '<span style="margin:0 12px 4px 0">● / ○ Hama village taken / not yet</span>'
    )
    return f'<div class="territory-legend" style="font-size:13px;line-height:1.4">{items}{extra}</div>'


def band_label(ds: Dataset, depth: float) -> str:
    """Plain-text label of a band: depth and the proposals of that depth."""
    props = stats.proposals_for_depth(ds, depth)
    return f"{buffers.format_depth(depth)} mi" + (f" ({'; '.join(props)})" if props else " (custom)")
