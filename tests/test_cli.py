"""The command line: verbs, exit codes, one-line errors (no tracebacks)."""

import csv
import io
import json

import geopandas as gpd
import pytest

from territory import settings

from .conftest import export_json, run_cli


def _one_line_error(proc):
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err


def test_layers_lists_contract_names():
    proc = run_cli("layers")
    assert proc.returncode == 0
    assert proc.stdout.decode().split() == list(settings.LAYERS)


def test_unknown_layer_names_valid_ones():
    err = _one_line_error(run_cli("export", "kweires", "-o", "-"))
    assert "kweires" in err and "control-zones" in err and "hama-villages" in err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--date", "2024-13-01"], "not a date"),
        (["--date", "yesterday"], "not a date"),
        (["--date", "2023-01-01"], "outside the timeline"),
        (["--date", "2025-06-01"], "outside the timeline"),
        (["--depths", "abc"], "depth 'abc'"),
        (["--depths", "-5"], "depth '-5'"),
        (["--depths", "1e9"], "depth '1e9'"),
        (["--depths", "3,,6"], "comma-separated"),
        (["--depths", "0.1"], "0.5 to 60"),
        (["--since", "2024-12-05", "--date", "2024-12-01"], "after --date"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, needle):
    err = _one_line_error(run_cli("export", "buffers", *args, "-o", "-"))
    assert needle in err


def test_unknown_options_are_refused_except_for_serve():
    err = _one_line_error(run_cli("export", "syria", "--server.port", "8502", "-o", "-"))
    assert "unrecognized arguments: --server.port 8502" in err


def test_unwritable_output(tmp_path):
    err = _one_line_error(run_cli("export", "syria", "-o", str(tmp_path / "missing" / "x.geojson")))
    assert "does not exist" in err
    err = _one_line_error(run_cli("export", "syria", "-o", str(tmp_path)))
    assert "is a directory" in err


def test_export_to_file_round_trips(tmp_path):
    out = tmp_path / "zones.geojson"
    proc = run_cli("export", "control-zones", "--date", "2024-12-02", "-o", str(out))
    assert proc.returncode == 0, proc.stderr.decode()
    gdf = gpd.read_file(out)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(gdf) == len(data["features"])
    assert set(gdf["controller"]) == {f["properties"]["controller"] for f in data["features"]}
    assert gdf.crs.to_epsg() == 4326


def test_export_is_byte_identical_between_runs():
    a = run_cli("export", "buffers", "--date", "2024-12-03", "--depths", "4.5,22", "-o", "-")
    b = run_cli("export", "buffers", "--date", "2024-12-03", "--depths", "22,4.5", "-o", "-")
    assert a.returncode == 0 and a.stdout == b.stdout


def test_stats_json_shape():
    proc = run_cli("stats", "--date", "2024-11-30", "--depths", "10,22")
    assert proc.returncode == 0, proc.stderr.decode()
    data = json.loads(proc.stdout)
    assert data["date"] == "2024-11-30"
    assert set(data["controllers"]) <= set(settings.CONTROLLERS)
    points = export_json("control-points", "--date", "2024-11-30")["features"]
    for ctl, c in data["controllers"].items():
        held = [f["properties"] for f in points if f["properties"]["controller"] == ctl]
        assert c["area_km2"] > 0
        assert c["places"] == len(held) and c["population"] == sum(p["population"] for p in held)
    assert data["controllers"]["hts"]["population"] > 1_000_000  # Aleppo fell by 30 Nov
    assert [b["depth_miles"] for b in data["buffers"]] == [10, 22]
    for b in data["buffers"]:
        assert {"depth_miles", "area_km2", "population", "places", "held_km2"} <= set(b)


def test_stats_csv_matches_the_json():
    args = ("stats", "--date", "2024-11-30", "--depths", "3,10,22")
    proc = run_cli(*args, "--format", "csv")
    assert proc.returncode == 0, proc.stderr.decode()
    rows = list(csv.DictReader(io.StringIO(proc.stdout.decode())))
    data = json.loads(run_cli(*args).stdout)
    assert len(rows) == len(data["buffers"]) == 3
    for row, band in zip(rows, data["buffers"], strict=True):
        assert row["date"] == data["date"]
        assert float(row["depth_miles"]) == band["depth_miles"]
        assert float(row["area_km2"]) == band["area_km2"]
        assert int(row["population"]) == band["population"] and int(row["places"]) == band["places"]
        assert row["proposals"] == "; ".join(band["proposals"]) and row["sites"] == "; ".join(band["sites"])
        for ctl in settings.CONTROLLERS:
            assert float(row[f"held_km2_{ctl}"]) == band["held_km2"].get(ctl, 0.0)


def test_export_all_zip(tmp_path):
    out = tmp_path / "all.zip"
    proc = run_cli("export", "all", "--date", "2024-12-01", "-o", str(out))
    assert proc.returncode == 0, proc.stderr.decode()
    import zipfile

    names = zipfile.ZipFile(out).namelist()
    extras = ("README.txt", "LICENSE.txt", "sources.csv")  # what they hold: tests/test_gis.py
    want = [f"territory-2024-12-01/{n}.geojson" for n in settings.LAYERS] + [
        f"territory-2024-12-01/{n}" for n in extras
    ]
    assert sorted(names) == sorted(want)
