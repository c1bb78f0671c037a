"""The dashboard's folium map: a base map that never changes, and one small frame per rerun.

The base map loads Leaflet, the map runtime (``static/territory/territory.js``) and the base data
(``static/territory/basemap.js``, see :mod:`territory.mapdata`), so streamlit-folium mounts it once;
each rerun adds one :class:`DynamicLayers` frame with the date's index and the options. No string
from the data is put into markup here: the runtime builds the DOM with ``textContent``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence

import folium
from branca.element import MacroElement
from jinja2 import Template

from territory import mapdata
from territory.data import Dataset

LEAFLET_JS = "/app/static/vendor/leaflet/leaflet.js"
LEAFLET_CSS = "/app/static/vendor/leaflet/leaflet.css"
CENTER = (34.9, 38.8)
ZOOM = 7


class Script(MacroElement):
    """A ready-made piece of map script (``__MAP__`` stands for the map's variable)."""

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
    """The rerun's frame: the runtime restyles the base layers for its date and options."""

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


def base_script(ds: Dataset, web_tiles: bool = False, base_url: str | None = None) -> str:
    """The base map's own script: draw the base layers (inlining their data if no file holds them)."""
    call = f"window.territory.base(__MAP__, window.TERRITORY_BASE, {json.dumps(bool(web_tiles))});"
    if base_url:
        # Loaded here, not by streamlit-folium: a newer rerun may have replaced this session's file
        # (a new upload), and its loader turns a failed script into an unhandled rejection.
        url = json.dumps(base_url)
        return (
            "(function () {\n"
            '  var s = document.createElement("script");\n'
            f"  s.src = {url};\n"
            f"  s.onload = function () {{ {call} }};\n"
            "  s.onerror = function () {\n"
            f'    if (window.console) console.warn("territory: base data replaced by a newer rerun: " + {url});\n'
            "  };\n"
            "  document.body.appendChild(s);\n"
            "})();"
        )
    if mapdata.base_uses_static_file(ds):
        return call
    return f"window.TERRITORY_BASE = {mapdata.js_json(mapdata.base_data(ds))};\n{call}"


def base_map(ds: Dataset, web_tiles: bool = False, base_url: str | None = None) -> folium.Map:
    """The static map: the runtime draws basemap, zones, places, sites, border and bands into it.

    Built the same way on every rerun so streamlit-folium keeps the mounted map. ``base_url``: where
    the page serves this dataset's base data as a script (an events file's timeline, held in memory);
    without it, the static file of geodata/ or, failing that, inlined.
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
    runtime = f"{mapdata.RUNTIME_JS_URL}?v={mapdata.runtime_version()}"
    m.default_js = [("leaflet", LEAFLET_JS), ("territory_runtime", runtime)]
    if not base_url and mapdata.base_uses_static_file(ds):
        fingerprint = mapdata.static_header(ds)["fingerprint"]
        m.default_js.append(("territory_basemap", f"{mapdata.BASEMAP_JS_URL}?v={fingerprint}"))
    m.default_css = [("leaflet_css", LEAFLET_CSS)]
    if web_tiles:
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap (web)", max_zoom=13).add_to(m)
    m.add_child(Script(base_script(ds, web_tiles, base_url)))
    return m


def dynamic_groups(
    ds: Dataset,
    date: dt.date,
    depths: Sequence[float],
    shown: Iterable[str],
    palette_name: str | None = None,
    since: dt.date | None = None,
) -> list[folium.FeatureGroup]:
    """The date- and option-dependent part of the map: one small frame for the runtime."""
    return [DynamicLayers(mapdata.frame_data(ds, date, depths, shown, palette_name, since), date)]
