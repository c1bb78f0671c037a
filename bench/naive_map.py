"""The benchmark's naive reference map: every layer as plain folium objects in a new map.

This is how the map would be built without the runtime of ``static/territory/territory.js``: each
change rebuilds the whole folium map (full GeoJSON of every layer) and streamlit-folium remounts it.
``bench/slider_latency.py`` measures it (through ``bench/timed_dashboard.py``) next to the real map.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Sequence

import folium

from territory import export, layers, settings, stats
from territory.data import Dataset
from territory.mapdata import palette
from territory.mapview import CENTER, LEAFLET_CSS, LEAFLET_JS, ZOOM

BAND_COLOURS = settings.BAND_COLOURS


def date_class(date: dt.date) -> str:
    """The class the real runtime gives every zone path (``territory-date-YYYY-MM-DD``), which the benchmark waits for."""
    return f"territory-date-{date.isoformat()}"


def esc(value) -> str:
    return "" if value is None else html.escape(str(value), quote=True)


def _fc(gdf, columns: list[str]) -> dict:
    fc = export.feature_collection(gdf[[*columns, "geometry"]], "layer")
    for f in fc["features"]:
        for k, v in f["properties"].items():
            f["properties"][k] = esc(v) if isinstance(v, str) else v
    return fc


def naive_folium_map(
    ds: Dataset,
    date: dt.date,
    depths: Sequence[float],
    shown: Iterable[str],
    palette_name: str | None = None,
    since: dt.date | None = None,
) -> folium.Map:
    """A complete folium map of the date, every layer serialised by folium."""
    shown = set(shown)
    colours = palette(palette_name)
    m = folium.Map(location=CENTER, zoom_start=ZOOM, tiles=None, control_scale=True)
    m.default_js = [("leaflet", LEAFLET_JS)]
    m.default_css = [("leaflet_css", LEAFLET_CSS)]
    folium.GeoJson(
        _fc(ds.governorates, ["name"]),
        style_function=lambda _f: {"fillColor": "#f7f5ef", "fillOpacity": 1, "color": "#777", "weight": 0.8},
    ).add_to(m)
    if "zones" in shown:
        cls = f"territory-zone {date_class(date)}"
        folium.GeoJson(
            _fc(layers.layer(ds, settings.LAYER_CONTROL_ZONES, date), ["controller", "area_km2"]),
            style_function=lambda f: {
                "fillColor": colours[f["properties"]["controller"]],
                "color": "#fff",
                "weight": 0.6,
                "fillOpacity": 0.55,
                "className": cls,
            },
            tooltip=folium.GeoJsonTooltip(fields=["controller", "area_km2"]),
        ).add_to(m)
    if "changes" in shown and since is not None and since < date:
        ch = layers.layer(ds, settings.LAYER_CHANGES, date, since=since)
        if not ch.empty:
            folium.GeoJson(
                _fc(ch, ["from", "to", "area_km2"]),
                style_function=lambda _f: {"color": "#000", "weight": 2.5, "dashArray": "6 4", "fillOpacity": 0.2},
            ).add_to(m)
    if "buffers" in shown and depths:
        bands = stats.buffer_layer(ds, depths, None)
        for i, (_, row) in enumerate(bands.iterrows()):
            colour = BAND_COLOURS[i % len(BAND_COLOURS)]
            folium.GeoJson(
                _fc(bands.iloc[[i]], ["depth_miles"]),
                style_function=lambda _f, c=colour: {"color": c, "weight": 2, "fill": False},
                tooltip=f"{row['depth_miles']:g} mi",
            ).add_to(m)
    if "points" in shown:
        pts = layers.layer(ds, settings.LAYER_CONTROL_POINTS, date)
        folium.GeoJson(
            _fc(pts, ["name", "controller", "since", "source"]),
            marker=folium.CircleMarker(radius=3.5, weight=1, fill=True),
            style_function=lambda f: {
                "fillColor": colours[f["properties"]["controller"]],
                "color": "#222",
                "fillOpacity": 0.95,
            },
            tooltip=folium.GeoJsonTooltip(fields=["name", "controller", "since", "source"]),
        ).add_to(m)
    if "events" in shown:
        ev = layers.layer(ds, settings.LAYER_EVENTS, date)
        ev = ev[ev["scope"] != "governorate"]
        if not ev.empty:
            folium.GeoJson(
                _fc(ev, ["date", "name", "controller", "kind", "note"]),
                marker=folium.CircleMarker(radius=6, weight=2, fill=False),
                style_function=lambda f: {"color": colours[f["properties"]["controller"]], "fill": False},
                tooltip=folium.GeoJsonTooltip(fields=["date", "name", "kind", "note"]),
            ).add_to(m)
    if "villages" in shown:
        folium.GeoJson(
            _fc(layers.layer(ds, settings.LAYER_HAMA_VILLAGES), ["name", "captured"]),
            marker=folium.CircleMarker(radius=5, weight=1.5),
            tooltip=folium.GeoJsonTooltip(fields=["name", "captured"]),
        ).add_to(m)
    if "sites" in shown:
        pts = layers.layer(ds, settings.LAYER_CONTROL_POINTS, date)
        for row in pts[pts["kind"].isin(settings.SITE_KINDS)].itertuples(index=False):
            folium.Marker(
                (row.geometry.y, row.geometry.x),
                icon=folium.DivIcon(html=f'<div class="territory-site">{esc(row.name)}</div>'),
                tooltip=esc(row.name),
            ).add_to(m)
    return m
