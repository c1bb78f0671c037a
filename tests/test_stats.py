"""Buffer analytics, totals, series and the stats JSON (issue 4)."""

import datetime as dt
import itertools
import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from territory import buffers, geometry, layers, settings, stats
from territory._errors import UsageError
from territory.data import Dataset

from .conftest import export_json, run_cli


@pytest.mark.parametrize("text", ["abc", "-5", "1e9", "3,,6", "", " ", "0.4", "61", "nan", "inf", "3;6"])
def test_parse_depths_rejects(text):
    with pytest.raises(UsageError):
        buffers.parse_depths(text)


def test_parse_depths_sorts_and_dedupes():
    assert buffers.parse_depths("30, 3,6,3") == (3.0, 6.0, 30.0)
    assert buffers.parse_depths(None) == settings.DEFAULT_DEPTHS_MILES


@pytest.mark.parametrize("date", ["2024-11-26", "2024-12-02", "2024-12-08"])
def test_held_km2_sums_to_band_area(ds, date):
    d = dt.date.fromisoformat(date)
    layer = stats.buffer_layer(ds, (0.5, 3, 6, 10, 22, 30, 60), d)
    areas = list(layer["area_km2"])
    assert areas == sorted(areas)
    for area, held in zip(layer["area_km2"], layer["held_km2"], strict=True):
        assert sum(held.values()) == pytest.approx(area, rel=0.01)
        assert set(held) <= set(settings.CONTROLLERS)


def test_custom_depth_band_is_nested(ds):
    geoms = list(stats.buffer_layer(ds, (10, 15.5, 22), None).geometry)
    for inner, outer in itertools.pairwise(geoms):
        assert geometry.area_km2(inner.difference(outer)) < 0.5


def test_band_contents_and_proposals(ds):
    layer = stats.buffer_layer(ds, (3, 10, 22, 30), dt.date(2024, 12, 2)).set_index("depth_miles")
    assert "aleppo" not in stats._band_contents(ds, 22)["place_ids"]
    assert "aleppo" in stats._band_contents(ds, 30)["place_ids"]
    assert layer.loc[30, "population"] > layer.loc[22, "population"]
    assert any("Adana" in p for p in layer.loc[3, "proposals"])
    assert "Kuweires Air Base" not in layer.loc[22, "sites"]


def test_stats_json_matches_exported_layers(ds):
    date = "2024-12-02"
    proc = run_cli("stats", "--date", date, "--depths", "6,22")
    data = json.loads(proc.stdout)
    zones = export_json("control-zones", "--date", date)
    for f in zones["features"]:
        p = f["properties"]
        assert data["controllers"][p["controller"]]["area_km2"] == pytest.approx(p["area_km2"])
        assert geometry.area_km2(shape(f["geometry"])) == pytest.approx(p["area_km2"], rel=1e-3)
    bands = {
        f["properties"]["depth_miles"]: f["properties"]
        for f in export_json("buffers", "--date", date, "--depths", "6,22")["features"]
    }
    for b in data["buffers"]:
        p = bands[b["depth_miles"]]
        assert b["area_km2"] == p["area_km2"] and b["population"] == p["population"]
        assert b["places"] == p["places"] and b["held_km2"] == p["held_km2"]


def test_controller_totals_population_counts_every_place(ds):
    totals = stats.controller_totals(ds, dt.date(2024, 12, 1))
    assert sum(v["places"] for v in totals.values()) == len(ds.places)
    assert sum(v["population"] for v in totals.values()) == int(ds.places["population"].fillna(0).sum())


def test_series_covers_every_date(ds):
    df = stats.series(ds)
    assert set(df["date"]) == set(ds.dates)
    per_date = df.groupby("date")["area_km2"].sum()
    assert per_date.min() == pytest.approx(geometry.area_km2(ds.syria), rel=0.005)
    gov = df[df["controller"] == "government"].set_index("date")["area_km2"]
    assert gov[ds.dates[-1]] < gov[ds.dates[0]] / 10  # the government collapsed


@pytest.mark.parametrize("name", settings.LAYERS)
def test_every_layer_round_trips_through_geopandas(ds, tmp_path, name):
    text = layers.layer_geojson(ds, name, dt.date(2024, 12, 3), (6, 22), dt.date(2024, 12, 1))
    path = tmp_path / f"{name}.geojson"
    path.write_text(text, encoding="utf-8")
    data = json.loads(text)
    assert "crs" not in data and data["type"] == "FeatureCollection"
    if not data["features"]:
        return
    gdf = gpd.read_file(path)
    assert len(gdf) == len(data["features"])
    for geom, f in zip(gdf.geometry, data["features"], strict=True):
        assert geom.equals_exact(shape(f["geometry"]), tolerance=1e-9)
    assert layers.layer_geojson(ds, name, dt.date(2024, 12, 3), (6, 22), dt.date(2024, 12, 1)) == text


def test_compare_html_matches_the_statistics_and_escapes(ds):
    from territory import mapdata, viewmodel

    date = dt.date(2024, 12, 2)
    colours = mapdata.palette("colour-blind safe")
    text = viewmodel.compare_html(ds, date, (3, 22), colours)
    result = stats.stats(ds, date, (3, 22))
    assert text.count("<tr>") == 1 + 2  # header + one row per band
    for b in result["buffers"]:
        assert f"{b['area_km2']:,.0f}" in text and f"{b['population']:,}" in text
    # Each band's bar segments add up to the whole band.
    widths = [float(w) for w in re.findall(r"<span style=\"width:([0-9.]+)%", text)]
    assert abs(sum(widths) - 200.0) < 0.1  # two bands, 100% each
    assert colours["sdf"] in text and "<script" not in text


def test_per_process_cache_is_bounded(ds, monkeypatch):
    """Depths typed by visitors cannot grow memory without bound: least recently used results go, by bytes held."""
    monkeypatch.setattr(settings, "CACHE_MAX_BYTES", 40 * 1_000_000)
    fresh = Dataset.load(ds.directory)
    for i in range(120):
        fresh.cached(("probe", i), lambda i=i: np.full(125_000, i, dtype=np.float64))  # 1 MB each
        assert fresh.cache_bytes <= 40 * 1_000_000
    assert fresh.cache_size <= 40
    assert fresh.cached(("probe", 119), lambda: None)[0] == 119  # recent results stay
    assert fresh.cached(("probe", 0), lambda: None) is None  # the oldest were dropped (and are recomputed)
    huge = fresh.cached(("probe", "huge"), lambda: np.zeros(10_000_000))  # 80 MB: returned, not kept
    assert len(huge) == 10_000_000 and ("probe", "huge") not in fresh._cache
    band = stats.band_geometry(fresh, 7.5)
    for _ in range(50):
        fresh.cached(("probe", "x", _), lambda: np.zeros(125_000))
    assert stats.band_geometry(fresh, 7.5).equals(band)


def test_memoised_results_are_measured_in_bytes(ds):
    """The cache's size counts what results hold: a zones layer weighs more than a number."""
    from territory import control, memo

    zones = control.control_zones(ds, ds.end_date)
    coordinates = int(shapely.get_num_coordinates(np.asarray(zones.geometry.values, dtype=object)).sum())
    assert memo.sizeof(zones) >= 16 * coordinates > 10_000 > memo.sizeof({"a": 1.0}) > 0
    assert memo.sizeof(np.zeros(1000)) >= 8000


def test_depths_round_to_the_half_mile_except_proposals():
    assert buffers.round_depth(15.3) == 15.5 and buffers.round_depth(15.2) == 15.0
    assert buffers.round_depth(3.1, keep=[3.1]) == 3.1 and buffers.round_depth(3.1) == 3.0
    assert buffers.round_depth(0.1) == settings.MIN_DEPTH_MILES
    with pytest.raises(UsageError, match="at most 12 bands"):
        buffers.parse_depths(",".join(str(d) for d in range(1, 14)))
