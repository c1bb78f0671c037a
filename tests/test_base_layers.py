"""Invariants of the committed base layers (issue 2's must-shows)."""

import csv
import itertools
import json

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from territory import geometry, settings

from .conftest import export_json

GEODATA = settings.PROJECT_ROOT / "geodata"


def _coords(geom):
    return shapely.get_coordinates(geom)


@pytest.mark.parametrize("name", [*settings.STATIC_LAYERS, settings.LAYER_BUFFERS, settings.LAYER_EVENTS])
def test_committed_layers_are_rfc7946(name):
    data = json.loads((GEODATA / f"{name}.geojson").read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    assert "crs" not in data
    assert data["features"], f"{name} is empty"
    text = (GEODATA / f"{name}.geojson").read_text(encoding="utf-8")
    # No coordinate written with more than 6 decimals.
    for f in data["features"]:
        geom = shape(f["geometry"])
        assert geom.is_valid, (name, f["properties"])
        xy = _coords(geom)
        assert np.all((xy[:, 0] > 34) & (xy[:, 0] < 43) & (xy[:, 1] > 31) & (xy[:, 1] < 38))
        for poly in geom.geoms if geom.geom_type == "MultiPolygon" else [geom] if geom.geom_type == "Polygon" else []:
            assert shapely.is_ccw(poly.exterior)
            assert all(not shapely.is_ccw(r) for r in poly.interiors)
    import re

    decimals = re.findall(r"\d+\.(\d+)", text.split('"features"', 1)[1])
    assert max((len(d) for d in decimals), default=0) <= 6 or name == settings.LAYER_EVENTS  # notes may hold numbers


def test_governorates_named_and_tile_syria():
    fc = export_json("governorates")
    names = {f["properties"]["name"] for f in fc["features"]}
    assert {"Idlib", "Aleppo", "Hama"} <= names
    assert names == set(settings.GOVERNORATES)
    syria = shape(export_json("syria")["features"][0]["geometry"])
    govs = [shape(f["geometry"]) for f in fc["features"]]
    union = shapely.union_all(govs)
    assert abs(geometry.area_km2(union) - geometry.area_km2(syria)) / geometry.area_km2(syria) < 0.001
    total = sum(f["properties"]["area_km2"] for f in fc["features"])
    assert total == pytest.approx(geometry.area_km2(syria), rel=0.002)


def test_border_length_and_syria_area():
    """OpenStreetMap's border is about 900 km (Natural Earth's generalised line was 776 km)."""
    border = export_json("border")["features"][0]
    assert border["geometry"]["type"] == "LineString"  # one line, no gaps
    assert 880 <= border["properties"]["length_km"] <= 920
    measured = geometry.geodesic_length_km(shape(border["geometry"]))
    assert measured == pytest.approx(border["properties"]["length_km"], abs=0.5)
    syria = export_json("syria")["features"][0]
    assert syria["properties"]["area_km2"] == pytest.approx(185_000, rel=0.03)
    assert geometry.area_km2(shape(syria["geometry"])) == pytest.approx(syria["properties"]["area_km2"], rel=1e-3)


def test_places_have_population_and_lie_in_syria():
    fc = export_json("places")
    assert len(fc["features"]) > 300
    syria = shape(export_json("syria")["features"][0]["geometry"])
    syria_m = geometry.to_metric(syria)
    for f in fc["features"]:
        p = f["properties"]
        assert p["id"] and p["name"] and p["kind"] in settings.PLACE_KINDS
        assert isinstance(p["population"], int) and p["population"] >= 0  # 0: unknown
        pt = shape(f["geometry"])
        assert syria.contains(pt) or syria_m.distance(geometry.to_metric(pt)) < 2_000, p["id"]
    ids = [f["properties"]["id"] for f in fc["features"]]
    assert len(ids) == len(set(ids))
    pops = {f["properties"]["id"]: f["properties"]["population"] for f in fc["features"]}
    assert pops["aleppo"] > 1_000_000 and pops["idlib"] > 50_000 and pops["damascus"] > 1_000_000
    assert sum(p > 0 for p in pops.values()) > 100  # GeoNames gives the towns and cities a population


def test_default_buffers_nested_and_growing():
    fc = export_json("buffers")
    bands = sorted(fc["features"], key=lambda f: f["properties"]["depth_miles"])
    assert [b["properties"]["depth_miles"] for b in bands] == [3, 6, 10, 22, 30]
    areas = [b["properties"]["area_km2"] for b in bands]
    assert areas == sorted(areas) and len(set(areas)) == 5
    geoms = [shape(b["geometry"]) for b in bands]
    for inner, outer in itertools.pairwise(geoms):
        assert geometry.area_km2(inner.difference(outer)) < 0.5  # inner lies within outer
    places = export_json("places")["features"]
    for b, g in zip(bands, geoms, strict=True):
        assert geometry.area_km2(g) == pytest.approx(b["properties"]["area_km2"], rel=1e-3)
        inside = [f["properties"] for f in places if g.contains(shape(f["geometry"]))]
        assert b["properties"]["places"] == len(inside) > 0
        assert b["properties"]["population"] == sum(p["population"] for p in inside) > 0
    counts = [b["properties"]["places"] for b in bands]
    assert counts == sorted(counts) and counts[0] < counts[-1]  # deeper bands hold more places


def test_aleppo_inside_30_mile_band_not_22():
    bands = {f["properties"]["depth_miles"]: shape(f["geometry"]) for f in export_json("buffers")["features"]}
    places = {f["properties"]["id"]: shape(f["geometry"]) for f in export_json("places")["features"]}
    aleppo = places["aleppo"]
    assert bands[30].contains(aleppo)
    assert not bands[22].contains(aleppo)
    border = shape(export_json("border")["features"][0]["geometry"])
    miles = geometry.geodesic_distance_to_line_km(aleppo.x, aleppo.y, border) * 1000 / settings.METRES_PER_MILE
    assert 24 <= miles <= 30  # the source article: roughly 27 miles
    idlib = places["idlib"]
    miles = geometry.geodesic_distance_to_line_km(idlib.x, idlib.y, border) * 1000 / settings.METRES_PER_MILE
    assert 12 <= miles <= 20  # the source article: roughly 16 miles


@pytest.mark.parametrize("depth", [3, 6, 10, 22, 30])
def test_band_outer_edge_is_at_nominal_depth_geodesically(depth):
    """Sample the band's outer edge (its boundary away from Syria's outline) and measure with Geod."""
    bands = {f["properties"]["depth_miles"]: shape(f["geometry"]) for f in export_json("buffers")["features"]}
    syria = shape(export_json("syria")["features"][0]["geometry"])
    border = shape(export_json("border")["features"][0]["geometry"])
    edge = bands[depth].boundary.difference(syria.boundary.buffer(0.002))
    pts = [edge.interpolate(t, normalized=True) for t in np.linspace(0, 1, 40)]
    nominal_km = depth * settings.METRES_PER_MILE / 1000
    checked = 0
    for p in pts:
        if syria.boundary.distance(p) < 0.01:  # where the band meets the outline
            continue
        d = geometry.geodesic_distance_to_line_km(p.x, p.y, border, step_km=0.2)
        assert abs(d - nominal_km) <= 0.01 * nominal_km, (depth, p, d)
        checked += 1
    assert checked >= 20


def test_border_towns_lie_in_syria_and_their_bands(ds):
    """Kobani, Tell Abyad, Kassab and Ras al-Ayn (outside Natural Earth's Syria) are in Syria and the 3-mile band."""
    for pid in ("ayn-al-arab", "tall-abyad", "kassab", "ras-al-ayn", "jarabulus"):
        pt = ds.places.loc[pid].geometry
        assert ds.syria.contains(pt), pid
        miles = geometry.geodesic_distance_to_line_km(pt.x, pt.y, ds.border) * 1000 / settings.METRES_PER_MILE
        assert miles <= 3, (pid, miles)


def test_every_seed_place_lies_in_the_outline(ds):
    """Every place of seeds/places.csv lies inside Syria's outline (none is outside on purpose today)."""
    outside_on_purpose: set[str] = set()
    with (settings.PROJECT_ROOT / "seeds" / "places.csv").open(encoding="utf-8") as fh:
        ids = [r["id"] for r in csv.DictReader(fh)]
    outside = [pid for pid in ids if not ds.syria.contains(ds.places.loc[pid].geometry)]
    assert sorted(outside) == sorted(outside_on_purpose), outside


def test_the_occupied_golan_is_syrian_ground_held_by_israel(ds):
    from territory import control

    zones = control.control_zones(ds, ds.baseline_date).set_index("controller")
    assert 1_100 <= zones.loc["israel", "area_km2"] <= 1_250  # about 1,200 km² (Golan Heights, Wikipedia 2018)
    assert zones.loc["israel"].geometry.contains(ds.places.loc["majdal-shams"].geometry)
    assert ds.syria.contains(ds.places.loc["majdal-shams"].geometry)
    neighbours = ds.extra_layers["neighbours"].set_index("name")
    assert not neighbours.loc["Israel"].geometry.buffer(-0.001).contains(ds.places.loc["majdal-shams"].geometry)
