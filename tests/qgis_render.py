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
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsPointXY,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QDate, QDateTime, QSize, QTime
from qgis.PyQt.QtGui import QColor

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
        for day in request.get("dates", []):
            image, settings = _render([timeline], extent, size, day)
            if request.get("png"):
                image.save(str(Path(request["png"]) / f"timeline-{day}.png"))
            colours = []
            for lon, lat in request.get("points", []):
                px = settings.mapToPixel().transform(QgsPointXY(lon, lat))
                c = QColor(image.pixel(round(px.x()), round(px.y())))
                colours.append([c.red(), c.green(), c.blue()])
            out["pixels"][day] = colours
    shot = request.get("screenshot")
    if shot:
        order = ["control-points", "border", "governorates", "timeline", "syria"]
        layers = [loaded[n] for n in order if n in loaded]
        extent = loaded["syria"].extent()
        extent.scale(1.04)
        image, _ = _render(layers, extent, (shot["width"], shot["height"]), shot["date"])
        image.save(shot["path"])
    json.dump(out, sys.stdout)
    sys.stdout.flush()
    # QGIS 3.22 can crash tearing down with layers still referenced; the report is out, so leave at once.
    os._exit(0)


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.exit(main())
