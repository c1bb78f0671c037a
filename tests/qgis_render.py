"""Open a territory GeoPackage in QGIS (headless) and report what a QGIS user gets.

Run with the Python that has QGIS's bindings (Debian: ``/usr/bin/python3`` with ``python3-qgis``) and
``QT_QPA_PLATFORM=offscreen``; it does not import territory. It reads a JSON request on stdin::

    {"gpkg": "...", "dates": ["2024-11-26", ...], "points": [[lon, lat], ...],
     "png": "dir or null", "screenshot": {"path": "...", "date": "...", "width": 1200, "height": 900} or null}

and prints JSON: every table's layer (valid, default style loaded from ``layer_styles``, renderer,
feature count), the timeline's temporal properties, and for each date the RGB colour of the timeline,
rendered for that day alone through its temporal properties, at each point. ``tests/test_gis.py``
runs it; the README's screenshot of QGIS is made with the ``screenshot`` request.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from qgis.core import (
    QgsApplication,
    QgsDateTimeRange,
    QgsLayoutExporter,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutPoint,
    QgsLayoutSize,
    QgsLegendStyle,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsPointXY,
    QgsPrintLayout,
    QgsProject,
    QgsRectangle,
    QgsUnitTypes,
    QgsVectorLayer,
    QgsVectorLayerTemporalProperties,
)
from qgis.PyQt.QtCore import QDate, QDateTime, QSize, QTime
from qgis.PyQt.QtGui import QColor, QFont
from qgis.PyQt.QtXml import QDomDocument

QGIS_TABLES = ("sources", "layer_styles")


def _day(iso: str) -> QgsDateTimeRange:
    """The day ``iso`` as QGIS's temporal range: from its midnight to the next, the end excluded."""
    start = QDateTime(QDate.fromString(iso, "yyyy-MM-dd"), QTime(0, 0))
    return QgsDateTimeRange(start, start.addDays(1), True, False)


def _render(layers: list[QgsVectorLayer], extent: QgsRectangle, size: tuple[int, int], day: str | None):
    settings = QgsMapSettings()
    settings.setLayers(layers)  # first is drawn on top
    settings.setBackgroundColor(QColor(255, 255, 255))
    settings.setOutputSize(QSize(*size))
    settings.setDestinationCrs(layers[0].crs())
    settings.setExtent(extent)
    if day is not None:
        settings.setIsTemporal(True)
        settings.setTemporalRange(_day(day))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    return job.renderedImage(), settings


def _screenshot(loaded: dict[str, QgsVectorLayer], shot: dict) -> None:
    """A print layout of the GeoPackage as it opens (default styles), the timeline at one date, to PNG."""
    order = ["control-points", "border", "governorates", "timeline", "syria"]
    layers = [loaded[n] for n in order if n in loaded]
    project = QgsProject.instance()
    project.setCrs(layers[0].crs())
    for layer in reversed(layers):
        project.addMapLayer(layer)
    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    page = layout.pageCollection().page(0)
    page.setPageSize(QgsLayoutSize(290, 158, QgsUnitTypes.LayoutMillimeters))
    item = QgsLayoutItemMap(layout)
    item.attemptMove(QgsLayoutPoint(4, 14, QgsUnitTypes.LayoutMillimeters))
    item.attemptResize(QgsLayoutSize(190, 140, QgsUnitTypes.LayoutMillimeters))
    item.setLayers(layers)
    item.setCrs(layers[0].crs())
    extent = loaded["syria"].extent()
    extent.scale(1.02)
    item.setExtent(extent)
    item.setIsTemporal(True)
    item.setTemporalRange(_day(shot["date"]))
    layout.addLayoutItem(item)
    title = QgsLayoutItemLabel(layout)
    title.setText(f"territory.gpkg in QGIS: the timeline layer on {shot['date']}, styles from layer_styles")
    title.setFont(QFont("DejaVu Sans", 12))
    title.attemptMove(QgsLayoutPoint(4, 3, QgsUnitTypes.LayoutMillimeters))
    title.attemptResize(QgsLayoutSize(285, 10, QgsUnitTypes.LayoutMillimeters))
    layout.addLayoutItem(title)
    legend = QgsLayoutItemLegend(layout)
    legend.setLinkedMap(item)
    root = legend.model().rootGroup()
    root.clear()
    for name in ("timeline", "border", "governorates"):
        if name in loaded:
            root.addLayer(loaded[name])
    legend.setTitle("Control (timeline)")
    legend.attemptMove(QgsLayoutPoint(196, 16, QgsUnitTypes.LayoutMillimeters))
    for style, size in (
        (QgsLegendStyle.Title, 12),
        (QgsLegendStyle.Group, 10),
        (QgsLegendStyle.Subgroup, 10),
        (QgsLegendStyle.SymbolLabel, 9),
    ):
        legend.rstyle(style).setFont(QFont("DejaVu Sans", size))
    layout.addLayoutItem(legend)
    # Rendered to an image, then saved: exportToImage would also georeference the PNG through GDAL.
    image = QgsLayoutExporter(layout).renderPageToImage(0, QSize(), shot.get("dpi", 100))
    image.save(shot["path"])


def _other_styles(gpkg: str, name: str) -> dict[str, dict[str, str]]:
    """The colours of each style of layer ``name`` in ``layer_styles``, loaded as QGIS's style manager does."""
    layer = QgsVectorLayer(f"{gpkg}|layername={name}", name, "ogr")
    related, ids, names, _descriptions, _error = layer.listStylesInDatabase()
    out = {}
    for style_id, style_name in list(zip(ids, names, strict=True))[:related]:  # the first ``related`` are this layer's
        document = QDomDocument()
        qml, _message = layer.getStyleFromDatabase(style_id)
        document.setContent(qml)
        ok, message = layer.importNamedStyle(document)
        if not ok:
            raise RuntimeError(f"style {style_name!r} of {name}: {message}")
        out[style_name] = {str(c.value()): c.symbol().color().name() for c in layer.renderer().categories()}
    return out


def _pixels(layer: QgsVectorLayer, extent: QgsRectangle, size: tuple[int, int], request: dict, tag: str) -> dict:
    """The RGB colour at each requested point of ``layer`` rendered alone on each requested date."""
    out = {}
    for day in request.get("dates", []):
        image, settings = _render([layer], extent, size, day)
        if request.get("png"):
            image.save(str(Path(request["png"]) / f"{tag}-{day}.png"))
        colours = []
        for lon, lat in request.get("points", []):
            px = settings.mapToPixel().transform(QgsPointXY(lon, lat))
            c = QColor(image.pixel(round(px.x()), round(px.y())))
            colours.append([c.red(), c.green(), c.blue()])
        out[day] = colours
    return out


def main() -> int:
    request = json.load(sys.stdin)
    app = QgsApplication([], False)
    app.initQgis()
    gpkg = request["gpkg"]
    out: dict = {"layers": {}, "pixels": {}}
    whole = QgsVectorLayer(gpkg, "all", "ogr")
    names = [n.split("!!::!!")[1] for n in whole.dataProvider().subLayers()]
    loaded = {}
    for name in names:
        layer = QgsVectorLayer(f"{gpkg}|layername={name}", name, "ogr")
        message, ok = layer.loadDefaultStyle()
        renderer = layer.renderer()
        out["layers"][name] = {
            "valid": layer.isValid(),
            "style_loaded": bool(ok),
            "style_message": message,
            "renderer": renderer.type() if renderer is not None else None,
            "features": layer.featureCount(),
            "geometry": layer.geometryType(),
        }
        if renderer is not None and renderer.type() == "categorizedSymbol":
            out["layers"][name]["categories"] = {
                str(c.value()): c.symbol().color().name() for c in renderer.categories()
            }
        loaded[name] = layer
    timeline = loaded.get("timeline")
    if timeline is not None:
        tp = timeline.temporalProperties()
        out["temporal"] = {
            "active": tp.isActive(),
            "mode": int(tp.mode()),
            "start_field": tp.startField(),
            "end_field": tp.endField(),
            "start_expression": tp.startExpression(),
            "end_expression": tp.endExpression(),
            "start_type": timeline.fields().field(tp.startField()).typeName() if tp.startField() else None,
            "end_type": timeline.fields().field(tp.endField()).typeName() if tp.endField() else None,
        }
        extent = timeline.extent()
        extent.scale(1.05)
        size = (1000, int(1000 * extent.height() / extent.width()))
        out["pixels"] = _pixels(timeline, extent, size, request, "timeline")
        out["other_styles"] = _other_styles(gpkg, "timeline")
        if request.get("geojson"):
            # The README's recipe for timeline.geojson: temporal properties from the two expressions,
            # categorised by controller (here in the GeoPackage's colours).
            geojson = QgsVectorLayer(request["geojson"], "timeline.geojson", "ogr")
            tp = geojson.temporalProperties()
            tp.setMode(QgsVectorLayerTemporalProperties.ModeFeatureDateTimeStartAndEndFromExpressions)
            tp.setStartExpression('to_datetime("valid_from")')
            tp.setEndExpression('to_datetime("valid_to")')
            tp.setIsActive(True)
            geojson.setRenderer(timeline.renderer().clone())
            out["geojson_fields"] = {f.name(): f.typeName() for f in geojson.fields()}
            out["pixels_geojson"] = _pixels(geojson, extent, size, request, "timeline-geojson")
    shot = request.get("screenshot")
    if shot:
        _screenshot(loaded, shot)
    json.dump(out, sys.stdout)
    sys.stdout.flush()
    # QGIS 3.22 can crash tearing down with layers still referenced; the report is out, so leave at once.
    os._exit(0)


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.exit(main())
