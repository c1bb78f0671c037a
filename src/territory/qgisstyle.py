"""QGIS styles (QML) of the layers in the dashboard's colours, for the GeoPackage's ``layer_styles``.

The controllers' colours are the dashboard's palettes (:data:`territory.settings.PALETTES`): the
conventional palette is each layer's default style, the colour-blind safe one a second style. The
timeline's style switches on QGIS's temporal properties (see :data:`TEMPORAL`). The XML is what
QGIS 3.22 writes (``<prop k v>`` symbol properties, which later versions still read).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import quoteattr

from territory import settings

STYLE_NAMES = {settings.PALETTE_DEFAULT: "territory", "colour-blind safe": "territory (colour-blind safe)"}


def _rgba(colour: str, alpha: float = 1.0) -> str:
    """QGIS's ``r,g,b,a`` of a ``#rrggbb`` colour."""
    h = colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(alpha * 255)}"


def _props(props: Mapping[str, str]) -> str:
    return "".join(f"<prop k={quoteattr(k)} v={quoteattr(str(v))}/>" for k, v in props.items())


def _symbol(index: int, kind: str, layer_class: str, props: Mapping[str, str]) -> str:
    return (
        f'<symbol type="{kind}" name="{index}" alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="{layer_class}" enabled="1" locked="0" pass="0">{_props(props)}</layer></symbol>'
    )


def _fill(
    index: int, colour: str | None, outline: str | None, width: float = 0.26, alpha: float = 1.0, dashed: bool = False
) -> str:
    return _symbol(
        index,
        "fill",
        "SimpleFill",
        {
            "color": _rgba(colour or "#000000", alpha if colour else 0),
            "style": "solid" if colour else "no",
            "outline_color": _rgba(outline or "#000000"),
            "outline_style": ("dash" if dashed else "solid") if outline else "no",
            "outline_width": f"{width}",
            "outline_width_unit": "MM",
            "joinstyle": "round",
        },
    )


def _line(index: int, colour: str, width: float, dashed: bool = False) -> str:
    return _symbol(
        index,
        "line",
        "SimpleLine",
        {
            "line_color": _rgba(colour),
            "line_width": f"{width}",
            "line_width_unit": "MM",
            "line_style": "dash" if dashed else "solid",
            "capstyle": "round",
            "joinstyle": "round",
        },
    )


def _marker(
    index: int, colour: str | None, outline: str, size: float, shape: str = "circle", width: float = 0.2
) -> str:
    return _symbol(
        index,
        "marker",
        "SimpleMarker",
        {
            "name": shape,
            "color": _rgba(colour or "#000000", 1.0 if colour else 0),
            "outline_color": _rgba(outline),
            "outline_style": "solid",
            "outline_width": f"{width}",
            "outline_width_unit": "MM",
            "size": f"{size}",
            "size_unit": "MM",
        },
    )


def _single(symbol: str) -> str:
    return (
        '<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">'
        f"<symbols>{symbol}</symbols></renderer-v2>"
    )


def _categorized(attr: str, categories: Sequence[tuple[str, str, str]]) -> str:
    """A categorised renderer: ``(value, label, symbol)`` per category (symbols named by position)."""
    cats = "".join(
        f'<category render="true" symbol="{i}" value={quoteattr(v)} label={quoteattr(label)}/>'
        for i, (v, label, _) in enumerate(categories)
    )
    symbols = "".join(s for _, _, s in categories)
    return (
        f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(attr)} symbollevels="0" enableorderby="0" '
        f'forceraster="0"><categories>{cats}</categories><symbols>{symbols}</symbols></renderer-v2>'
    )


def _by_controller(attr: str, palette: Mapping[str, str], make: Any) -> str:
    return _categorized(
        attr,
        [(c, settings.CONTROLLER_LABELS[c], make(i, palette[c])) for i, c in enumerate(settings.CONTROLLERS)],
    )


# The timeline's temporal properties: start ``valid_from``, end ``valid_to`` (excluded), through the
# expressions to_datetime("valid_from") and to_datetime("valid_to"). QGIS 3.22 compares a DATE field
# with the controller's date-times as text ("2024-11-27" < "2024-11-27T00:00:00"), so with the fields
# alone each day's frame also drew the spells starting the next day; as date-times both sides compare
# as instants (local midnight, whatever the user's time zone).
TEMPORAL = (
    '<temporal enabled="1" mode="4" startField="valid_from" endField="valid_to" '
    'startExpression="to_datetime(&quot;valid_from&quot;)" endExpression="to_datetime(&quot;valid_to&quot;)" '
    'durationField="" durationUnit="min" fixedDuration="0" accumulate="0" limitMode="0">'
    "<fixedRange><start></start><end></end></fixedRange></temporal>"
)


def qml(name: str, palette_name: str = settings.PALETTE_DEFAULT) -> str:
    """The QGIS style (QML) of a layer in one of the dashboard's palettes."""
    palette = settings.PALETTES[palette_name]
    if name in (settings.LAYER_CONTROL_ZONES, settings.LAYER_CONTROL_CELLS, settings.LAYER_TIMELINE):
        # The outline in the fill's own colour hides the hairline seams antialiasing leaves between cells.
        renderer = _by_controller("controller", palette, lambda i, c: _fill(i, c, c, 0.1))
    elif name == settings.LAYER_CHANGES:
        # As in the dashboard: the gaining side's colour, a dashed black outline.
        renderer = _by_controller("to", palette, lambda i, c: _fill(i, c, "#000000", 0.6, 0.6, dashed=True))
    elif name == settings.LAYER_CONTROL_POINTS:
        renderer = _by_controller("controller", palette, lambda i, c: _marker(i, c, "#222222", 1.6))
    elif name == settings.LAYER_EVENTS:
        renderer = _by_controller("controller", palette, lambda i, c: _marker(i, None, c, 3.0, width=0.4))
    elif name == settings.LAYER_BUFFERS:
        renderer = _single(_fill(0, None, settings.BAND_COLOURS[1], 0.5, dashed=True))
    elif name == settings.LAYER_SYRIA:
        renderer = _single(_fill(0, "#f7f5ef", "#b5ad9c", 0.3))
    elif name == settings.LAYER_GOVERNORATES:
        renderer = _single(_fill(0, None, "#9a9a9a", 0.2, dashed=True))
    elif name == settings.LAYER_BORDER:
        renderer = _single(_line(0, "#000000", 0.8))
    elif name == settings.LAYER_HAMA_VILLAGES:
        renderer = _single(_marker(0, None, "#3b2f2f", 2.6, width=0.4))
    elif name == settings.LAYER_SITES:
        renderer = _single(_marker(0, "#222222", "#ffffff", 3.2, shape="star"))
    else:  # places
        renderer = _single(_marker(0, "#444444", "#ffffff", 1.4))
    temporal = TEMPORAL if name == settings.LAYER_TIMELINE else ""
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="3.22.0" styleCategories="AllStyleCategories">{temporal}{renderer}'
        "<blendMode>0</blendMode><featureBlendMode>0</featureBlendMode><layerOpacity>1</layerOpacity>"
        "<layerGeometryType>" + _QGIS_GEOMETRY_TYPE.get(name, "2") + "</layerGeometryType></qgis>\n"
    )


# QGIS's QgsWkbTypes::GeometryType of each layer: 0 point, 1 line, 2 polygon.
_QGIS_GEOMETRY_TYPE = {
    settings.LAYER_BORDER: "1",
    settings.LAYER_PLACES: "0",
    settings.LAYER_HAMA_VILLAGES: "0",
    settings.LAYER_SITES: "0",
    settings.LAYER_CONTROL_POINTS: "0",
    settings.LAYER_EVENTS: "0",
}
