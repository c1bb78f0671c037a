"""Exports in real GIS tools: GDAL's ogrinfo, QGIS (headless) and kepler.gl's type detection.

The tools are Debian's ``gdal-bin`` and ``python3-qgis`` (QGIS runs under the system Python in a
subprocess, ``tests/qgis_render.py``) and npm's ``type-analyzer`` (installed into the cache on first
use). Without them these tests are skipped locally and fail under ``CI=true``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import zipfile
from pathlib import Path

import pyogrio
import pytest
import shapely

from territory import layers, settings

from .conftest import ROOT, run_cli

FIRST = dt.date(2024, 11, 26)
RENDER_DATES = ("2024-11-26", "2024-11-30", "2024-12-08")
QGIS_PYTHON = "/usr/bin/python3"
TYPE_ANALYZER = "type-analyzer@0.4.0"
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _missing(what: str) -> None:
    if CI:
        pytest.fail(f"{what} is missing; CI installs it (.ci/run)")
    pytest.skip(f"{what} is missing")


def _ogrinfo(*args: str) -> str:
    """``ogrinfo ARGS`` output; fails on any GDAL warning or error."""
    if shutil.which("ogrinfo") is None:
        _missing("ogrinfo (Debian gdal-bin)")
    proc = subprocess.run(["ogrinfo", *args], capture_output=True, text=True, timeout=120, check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-2000:]
    assert not re.search(r"^(Warning|ERROR)", text, re.M), re.findall(r"^(?:Warning|ERROR).*", text, re.M)
    return proc.stdout


@pytest.fixture(scope="module")
def first_day_gpkg(tmp_path_factory) -> Path:
    """``export all`` on the first date, when ``changes`` and ``events`` are empty."""
    out = tmp_path_factory.mktemp("gpkg") / "territory.gpkg"
    proc = run_cli("export", "all", "--date", FIRST.isoformat(), "-o", str(out))
    assert proc.returncode == 0, proc.stderr.decode()
    return out


@pytest.fixture(scope="module")
def timeline_gpkg(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gpkg") / "timeline.gpkg"
    proc = run_cli("export", "timeline", "-o", str(out))
    assert proc.returncode == 0, proc.stderr.decode()
    return out


def _fields(info: str) -> dict[str, str]:
    return dict(re.findall(r"^(\w+): (\w+(?:\(\w+\))?) \(", info, re.M))


def test_every_layer_is_a_typed_table_of_one_geometry_type(first_day_gpkg):
    listing = _ogrinfo("-q", str(first_day_gpkg))
    tables = dict(re.findall(r"^\d+: (\S+) \(([^)]+)\)", listing, re.M))
    assert set(settings.LAYERS) <= set(tables)
    assert tables["sources"] == "None" and tables["layer_styles"] == "None"
    for name in settings.LAYERS:
        assert tables[name] in ("Multi Polygon", "Multi Line String", "Point"), (name, tables[name])
    con = sqlite3.connect(first_day_gpkg)
    assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # "GPKG"
    assert con.execute("PRAGMA user_version").fetchone()[0] == 10300  # version 1.3: no warning in GDAL 3.6
    types = dict(con.execute("SELECT table_name, geometry_type_name FROM gpkg_geometry_columns").fetchall())
    assert types["control-zones"] == types["timeline"] == types["changes"] == "MULTIPOLYGON"
    assert types["border"] == "MULTILINESTRING" and types["events"] == "POINT"
    timeline = _fields(_ogrinfo("-so", str(first_day_gpkg), "timeline"))
    assert timeline["valid_from"] == timeline["valid_to"] == "Date"
    assert timeline["start"] == timeline["end"] == "DateTime"
    assert timeline["cell"] == "Integer64" and timeline["source_ids"] == "String"
    zones = _fields(_ogrinfo("-so", str(first_day_gpkg), "control-zones"))
    assert zones["area_km2"] == "Real" and zones["population"] == "Integer64" and zones["date"] == "Date"
    points = _fields(_ogrinfo("-so", str(first_day_gpkg), "control-points"))
    assert points["disputed"] == "Integer(Boolean)" and points["since"] == "Date"
    first = con.execute('SELECT valid_from, valid_to, "start", "end" FROM timeline ORDER BY fid LIMIT 1').fetchone()
    assert first[0] == "2024-11-26" and first[2] == "2024-11-26T00:00:00.000Z" and first[1] < first[3] + "~"


def test_empty_layers_keep_their_schema(first_day_gpkg):
    for name in (settings.LAYER_CHANGES, settings.LAYER_EVENTS):
        info = _ogrinfo("-so", str(first_day_gpkg), name)
        assert "Feature Count: 0" in info
        fields = _fields(info)
        assert fields["source_ids"] == "String" and fields["sources"] == "String"
    assert _fields(_ogrinfo("-so", str(first_day_gpkg), "changes"))["area_km2"] == "Real"
    assert _fields(_ogrinfo("-so", str(first_day_gpkg), "events"))["date"] == "Date"


def test_attribution_and_sources_travel_inside(first_day_gpkg):
    meta = _ogrinfo("-so", "-nomd", str(first_day_gpkg), "sources") + _ogrinfo("-q", str(first_day_gpkg))
    assert "ATTRIBUTION=© OpenStreetMap contributors (ODbL)" in meta and "LICENCES=" in meta
    con = sqlite3.connect(first_day_gpkg)
    metadata = " ".join(r[0] for r in con.execute("SELECT metadata FROM gpkg_metadata"))
    assert "Open Database License" in metadata and "CC BY 4.0" in metadata
    known = {r[0]: r for r in con.execute("SELECT id, title, url FROM sources")}
    for name in settings.LAYERS:
        for (ids,) in con.execute(f'SELECT source_ids FROM "{name}"'):
            assert ids and all(s in known for s in ids.split(";")), (name, ids)
    joined = con.execute(
        "SELECT s.title FROM timeline t JOIN sources s ON instr(';' || t.source_ids || ';', ';' || s.id || ';') "
        "WHERE t.id = 'aleppo' ORDER BY t.valid_from"
    ).fetchall()
    assert joined and all(t for (t,) in joined)


def test_layer_styles_hold_both_palettes_from_the_settings(first_day_gpkg):
    con = sqlite3.connect(first_day_gpkg)
    rows = con.execute("SELECT f_table_name, styleName, styleQML, useAsDefault FROM layer_styles").fetchall()
    for name in settings.LAYERS:
        mine = [r for r in rows if r[0] == name]
        assert len(mine) == 2 and sorted(r[3] for r in mine) == [0, 1], name
    default = next(r[2] for r in rows if r[0] == "control-zones" and r[3])
    second = next(r[2] for r in rows if r[0] == "control-zones" and not r[3])
    for palette, qml in ((settings.PALETTE_DEFAULT, default), ("colour-blind safe", second)):
        for ctl, colour in settings.PALETTES[palette].items():
            r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
            assert f'value="{ctl}"' in qml and f"{r},{g},{b},255" in qml, (palette, ctl)
    timeline = next(r[2] for r in rows if r[0] == "timeline" and r[3])
    assert 'startField="valid_from"' in timeline and 'endField="valid_to"' in timeline
    assert "to_datetime(&quot;valid_from&quot;)" in timeline and "to_datetime(&quot;valid_to&quot;)" in timeline


def _cells_inside(ds, date: dt.date) -> list[tuple[str, float, float]]:
    """Places well inside their own cell (over 0.02°, 3 pixels, from its edge): ``(id, lon, lat)``."""
    cells = layers.layer(ds, settings.LAYER_CONTROL_CELLS, date)
    points = layers.layer(ds, settings.LAYER_CONTROL_POINTS, date).set_index("id")
    out = []
    for pid, geom in zip(cells["place"], cells.geometry, strict=True):
        if isinstance(pid, str):
            p = points.at[pid, "geometry"]
            if shapely.contains(geom.buffer(-0.02), p):
                out.append((pid, p.x, p.y))
    return out


def test_qgis_opens_every_layer_styled_and_animates_the_timeline(ds, first_day_gpkg, tmp_path, artifacts):
    if (
        not Path(QGIS_PYTHON).exists()
        or subprocess.run([QGIS_PYTHON, "-c", "import qgis.core"], capture_output=True, check=False).returncode
    ):
        _missing("QGIS's Python bindings (Debian python3-qgis)")
    places = {d: _cells_inside(ds, dt.date.fromisoformat(d)) for d in RENDER_DATES}
    ids = sorted(set.intersection(*({p[0] for p in v} for v in places.values())))
    coords = {pid: (x, y) for pid, x, y in places[RENDER_DATES[0]]}
    assert len(ids) >= 40 and "manbij" in ids, ids
    request = {
        "gpkg": str(first_day_gpkg),
        "dates": list(RENDER_DATES),
        "points": [coords[p] for p in ids],
        "png": str(artifacts),
        "geojson": str(tmp_path / "timeline.geojson"),
    }
    (tmp_path / "timeline.geojson").write_bytes(run_cli("export", "timeline", "-o", "-").stdout)
    proc = subprocess.run(
        [QGIS_PYTHON, str(ROOT / "tests" / "qgis_render.py")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": ""},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    for name in settings.LAYERS:
        got = report["layers"][name]
        assert got["valid"] and got["style_loaded"], (name, got)
        assert "Loaded from Provider" in got["style_message"], (name, got)
    conventional = settings.PALETTES[settings.PALETTE_DEFAULT]
    assert report["layers"]["timeline"]["categories"] == conventional
    assert report["other_styles"] == {  # both styles of layer_styles load in QGIS's style manager
        "territory": conventional,
        "territory (colour-blind safe)": settings.PALETTES["colour-blind safe"],
    }
    assert report["layers"]["changes"]["features"] == 0 and report["layers"]["changes"]["valid"]
    assert report["temporal"] == {
        "active": True,
        # ModeFeatureDateTimeStartAndEndFromExpressions, on the fields (see territory.qgisstyle.TEMPORAL)
        "mode": 4,
        "start_field": "valid_from",
        "end_field": "valid_to",
        "start_expression": 'to_datetime("valid_from")',
        "end_expression": 'to_datetime("valid_to")',
        "start_type": "Date",
        "end_type": "Date",
    }
    changed = set()
    for day in RENDER_DATES:
        holders = layers.layer(ds, settings.LAYER_CONTROL_POINTS, dt.date.fromisoformat(day)).set_index("id")
        for pid, rgb in zip(ids, report["pixels"][day], strict=True):
            want = conventional[holders.at[pid, "controller"]]
            assert "#{:02x}{:02x}{:02x}".format(*rgb) == want, (day, pid, holders.at[pid, "controller"], rgb)
            changed.add((pid, want))
    assert len(changed) > len(ids)  # some places changed colour between the dates
    # The README's recipe for the GeoJSON draws the same map.
    assert report["geojson_fields"]["valid_from"] == "Date" and report["geojson_fields"]["start"] == "DateTime"
    assert report["pixels_geojson"] == report["pixels"]


def _kepler_types(rows: list[dict], tmp_path: Path) -> dict[str, str]:
    """kepler.gl's type detection (npm ``type-analyzer``, called as kepler.gl calls it) of some rows."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        _missing("node and npm")
    prefix = settings.cache_dir() / "npm-type-analyzer"
    module = prefix / "node_modules" / "type-analyzer"
    if not module.is_dir():
        prefix.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            ["npm", "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(prefix), TYPE_ANALYZER],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if proc.returncode:
            _missing(f"npm {TYPE_ANALYZER} ({proc.stderr.strip()[-300:]})")
    script = tmp_path / "types.js"
    # kepler.gl's getFieldsFromData: computeColMeta with the data types it keeps (src/processors).
    script.write_text(
        f"const {{Analyzer, DATA_TYPES}} = require({json.dumps(str(module))});\n"
        "const keep = ['TIME','DATETIME','DATE','INT','FLOAT','BOOLEAN','STRING','GEOMETRY',"
        "'GEOMETRY_FROM_STRING','PAIR_GEOMETRY_FROM_STRING','ZIPCODE','ARRAY','OBJECT'];\n"
        "const ignored = Object.keys(DATA_TYPES).filter(t => !keep.includes(t));\n"
        "const rows = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
        "const meta = Analyzer.computeColMeta(rows, [{regex: /.*geojson|all_points/g, dataType: 'GEOMETRY'}],"
        " {ignoredDataTypes: ignored});\n"
        "console.log(JSON.stringify(Object.fromEntries(meta.map(m => [m.key, m.type]))));\n"
    )
    proc = subprocess.run(
        ["node", str(script)], input=json.dumps(rows), capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_kepler_reads_the_timeline_timestamps(tmp_path):
    proc = run_cli("export", "timeline", "-o", "-")
    assert proc.returncode == 0, proc.stderr.decode()
    features = json.loads(proc.stdout)["features"]
    rows = [f["properties"] for f in features]
    types = _kepler_types(rows, tmp_path)
    assert types["start"] == types["end"] == "DATETIME"  # kepler.gl: a timestamp field, a time slider
    assert types["valid_from"] == "DATE"  # why the timestamps are needed
    out = tmp_path / "timeline.csv"
    proc = run_cli("export", "timeline", "--format", "csv", "-o", str(out))
    assert proc.returncode == 0, proc.stderr.decode()
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(table) == len(features)
    types = _kepler_types(table, tmp_path)
    assert types["start"] == types["end"] == "DATETIME"
    assert types["geometry"] == "GEOMETRY_FROM_STRING"  # WKT, which kepler.gl draws


def test_timeline_csv_has_wkt_and_flat_sources(tmp_path):
    out = tmp_path / "timeline.csv"
    assert run_cli("export", "timeline", "-o", str(out)).returncode == 0  # the .csv name picks the format
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert all(r["source_ids"] == ";".join(json.loads(r["sources"])) for r in rows)
    assert rows[0]["start"].endswith("T00:00:00Z")
    info = _ogrinfo("-so", "-al", "-oo", "GEOM_POSSIBLE_NAMES=geometry", "-oo", "KEEP_GEOM_COLUMNS=NO", str(out))
    assert f"Feature Count: {len(rows)}" in info
    assert {r["geometry"].split(" ")[0] for r in rows} == {"MULTIPOLYGON"}  # one geometry type, as in the GeoPackage


def test_every_export_reads_in_ogrinfo_without_a_warning(first_day_gpkg, timeline_gpkg, tmp_path):
    _ogrinfo("-al", "-so", str(first_day_gpkg))
    _ogrinfo("-al", "-so", str(timeline_gpkg))
    names = _fields(_ogrinfo("-so", str(timeline_gpkg), "timeline"))
    assert names["valid_from"] == "Date"
    assert re.findall(r"^\d+: (\S+)", _ogrinfo("-q", str(timeline_gpkg)), re.M) == [
        "timeline",
        "sources",
        "layer_styles",
    ]
    zipped = tmp_path / "all.zip"
    assert run_cli("export", "all", "--date", "2024-12-01", "-o", str(zipped)).returncode == 0
    for name in settings.LAYERS:
        _ogrinfo("-so", "-al", f"/vsizip/{zipped}/territory-2024-12-01/{name}.geojson")


def test_zip_holds_readme_licence_and_sources(tmp_path):
    zipped = tmp_path / "all.zip"
    proc = run_cli("export", "all", "--date", "2024-12-01", "-o", str(zipped))
    assert proc.returncode == 0, proc.stderr.decode()
    with zipfile.ZipFile(zipped) as zf:
        members = set(zf.namelist())
        assert {f"territory-2024-12-01/{n}.geojson" for n in settings.LAYERS} <= members
        assert {f"territory-2024-12-01/{n}" for n in ("README.txt", "LICENSE.txt", "sources.csv")} <= members
        readme = zf.read("territory-2024-12-01/README.txt").decode()
        licence = zf.read("territory-2024-12-01/LICENSE.txt").decode()
        table = list(csv.DictReader(io.StringIO(zf.read("territory-2024-12-01/sources.csv").decode())))
        cited = set()
        for n in settings.LAYERS:
            for f in json.loads(zf.read(f"territory-2024-12-01/{n}.geojson"))["features"]:
                cited.update(f["properties"]["sources"])
    assert "2024-12-01" in readme and "valid_to" in readme and "excluded" in readme and "How to cite" in readme
    assert all(f"{n}.geojson" in readme for n in settings.LAYERS)
    assert "Open Database License" in licence and "CC BY 4.0" in licence and "OpenStreetMap contributors" in licence
    assert {r["id"] for r in table} == cited and all(r["title"] and r["url"] for r in table)


def test_every_feature_has_flat_source_ids_last(ds):
    for name in settings.LAYERS:
        fc = json.loads(layers.layer_geojson(ds, name, dt.date(2024, 12, 1)))
        for f in fc["features"]:
            keys = list(f["properties"])
            assert keys[-1] == "source_ids", name
            assert f["properties"]["source_ids"] == ";".join(f["properties"]["sources"]), name


def test_stats_csv_has_the_per_side_totals():
    proc = run_cli("stats", "--date", "2024-12-01", "--format", "csv")
    assert proc.returncode == 0, proc.stderr.decode()
    rows = list(csv.DictReader(io.StringIO(proc.stdout.decode())))
    data = json.loads(run_cli("stats", "--date", "2024-12-01").stdout)
    for ctl, totals in data["controllers"].items():
        for key, value in totals.items():
            assert {float(r[f"total_{key}_{ctl}"]) for r in rows} == {float(value)}, (ctl, key)


def test_geopackage_is_reproducible(timeline_gpkg, tmp_path):
    again = tmp_path / "again.gpkg"
    assert run_cli("export", "timeline", "-o", str(again)).returncode == 0
    assert again.read_bytes() == timeline_gpkg.read_bytes()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("all", "--format", "csv", "-o", "x.csv"), "--format csv takes one layer"),
        (("timeline", "--format", "csv", "-o", "x.gpkg"), "writes a GeoPackage"),
    ],
)
def test_format_mismatches_are_one_line_errors(args, expected, tmp_path):
    out = [str(tmp_path / a) if a.startswith("x.") else a for a in args]
    proc = run_cli("export", *out)
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2 and "\n" not in err and expected in err, err
    assert not list(tmp_path.iterdir())  # nothing written


def test_source_ids_survive_a_shapefile(timeline_gpkg, tmp_path):
    """ogr2ogr drops list fields on the way to a Shapefile; the flat source_ids stays (cut at 254 characters)."""
    if shutil.which("ogr2ogr") is None:
        _missing("ogr2ogr (Debian gdal-bin)")
    shp = tmp_path / "timeline.shp"
    proc = subprocess.run(
        [
            "ogr2ogr",
            "-f",
            "ESRI Shapefile",
            str(shp),
            str(timeline_gpkg),
            "timeline",
            "-select",
            "id,controller,source_ids",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    got = pyogrio.read_dataframe(shp, read_geometry=False)
    con = sqlite3.connect(timeline_gpkg)
    want = [r[0] for r in con.execute("SELECT source_ids FROM timeline ORDER BY fid")]
    assert len(got) == len(want)
    short = [(g, w) for g, w in zip(got["source_ids"], want, strict=True) if len(w) <= 254]
    assert len(short) > 0.9 * len(want) and all(g == w for g, w in short)
