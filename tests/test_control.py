"""Control per date, control zones, changes (issue 4) and the facts they must show."""

import datetime as dt
import itertools

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from territory import control, geometry, settings

from .conftest import export_json


@pytest.fixture(scope="module")
def syria(ds):
    return ds.syria


def test_timeline_spans_the_offensives(ds):
    assert ds.baseline_date == dt.date(2024, 11, 26)
    assert ds.end_date >= dt.date(2024, 12, 12)
    assert len(ds.dates) == (ds.end_date - ds.baseline_date).days + 1


@pytest.mark.parametrize("day", range(0, 17, 2))
def test_zones_tile_syria(ds, syria, day):
    date = ds.baseline_date + dt.timedelta(days=day)
    zones = control.control_zones(ds, date)
    geoms = list(zones.geometry)
    assert all(g.is_valid for g in geoms)
    assert len(set(zones["controller"])) == len(zones)
    syria_km2 = geometry.area_km2(syria)
    union = shapely.union_all(geoms)
    assert abs(geometry.area_km2(union) - syria_km2) / syria_km2 < 0.005
    for a, b in itertools.combinations(geoms, 2):
        overlap = geometry.polygonal(a.intersection(b))
        assert overlap.is_empty or geometry.area_km2(overlap) / syria_km2 < 1e-4
    assert sum(zones["area_km2"]) == pytest.approx(syria_km2, rel=0.005)


def test_every_place_lies_in_its_controllers_zone_on_every_date(ds, syria):
    """Exceptions: places just outside the generalised outline (border towns, the coast) must have
    their controller's zone as the nearest zone instead."""
    for date in ds.dates:
        zones = control.control_zones(ds, date)
        by_ctl = dict(zip(zones["controller"], zones.geometry, strict=True))
        pts = control.control_points(ds, date)
        for pid, ctl, pt in zip(pts["id"], pts["controller"], pts.geometry, strict=True):
            zone = by_ctl[ctl]
            if syria.contains(pt):
                assert zone.buffer(1e-6).contains(pt), (date, pid, ctl)
            else:
                nearest = min(by_ctl, key=lambda c: by_ctl[c].distance(pt))
                assert by_ctl[nearest].distance(pt) == pytest.approx(zone.distance(pt), abs=1e-9), (date, pid)


def test_baseline_zones_look_right(ds):
    """On 2024-11-26: the Idlib pocket (HTS), the Turkish-backed zones (SNA), the SDF east of the Euphrates."""
    ctl = control.controllers_on(ds, ds.baseline_date)
    assert ctl["idlib"] == "hts" and ctl["jisr-ash-shughur"] == "hts"
    for town in ("afrin", "izaz", "al-bab", "jarabulus", "tall-abyad", "ras-al-ayn"):
        assert ctl[town] == "sna", town
    for town in ("ar-raqqah", "al-hasakah", "al-qamishli", "ayn-al-arab", "manbij", "tall-rifat"):
        assert ctl[town] == "sdf", town
    for town in ("aleppo", "hamah", "homs", "damascus", "latakia", "deir-ez-zor", "maarrat-an-numan"):
        assert ctl[town] == "government", town


def test_facts_on_2024_12_02(ds):
    date = dt.date(2024, 12, 2)
    zones = {
        f["properties"]["controller"]: shape(f["geometry"])
        for f in export_json("control-zones", "--date", date.isoformat())["features"]
    }
    places = {f["properties"]["id"]: shape(f["geometry"]) for f in export_json("places")["features"]}
    gov = zones["government"]
    assert not gov.contains(places["aleppo"])
    assert not gov.contains(places["kuweires-air-base"])
    assert gov.contains(places["hamah"])
    assert zones["sna"].contains(places["kuweires-air-base"])


@pytest.mark.parametrize(
    ("place", "date", "controller"),
    [
        ("aleppo", "2024-11-28", "government"),
        ("aleppo", "2024-11-30", "hts"),
        ("maarrat-an-numan", "2024-11-30", "hts"),
        ("khan-shaykhun", "2024-11-30", "hts"),
        ("kuweires-air-base", "2024-12-01", "sna"),
        ("tall-rifat", "2024-12-02", "sna"),
        ("hamah", "2024-12-05", "hts"),
        ("homs", "2024-12-08", "hts"),
        ("damascus", "2024-12-08", "hts"),
        ("manbij", "2024-12-10", "sna"),
    ],
)
def test_key_changes_on_their_dates(ds, place, date, controller):
    assert control.controllers_on(ds, dt.date.fromisoformat(date))[place] == controller


def test_khanasir_flips_back(ds):
    seq = [control.controllers_on(ds, d)["khanasir"] for d in ds.dates]
    assert seq[0] == "government"
    assert "sna" in seq
    back = seq.index("sna")
    assert "government" in seq[back:]


def test_entered_shows_as_contested(ds):
    """A place a side entered (the day's last event for it) shows as contested, with who entered."""
    last_of_day = {(e.date, e.place_id): e for e in ds.events}  # later rows of a day win
    entered = [e for e in last_of_day.values() if e.kind == "entered"]
    assert len(entered) >= 3  # Aleppo 29 Nov, Hama 30 Nov, Homs 7 Dec, Manbij 8 Dec
    for e in entered:
        state = control.place_states(ds, e.date)[e.place_id]
        assert state.controller == settings.CONTESTED, (e.place_id, e.date)
        assert state.kind == "entered" and state.by == e.controller, (e.place_id, e.date)
        before = control.place_states(ds, e.date - dt.timedelta(days=1))[e.place_id]
        assert before.controller != settings.CONTESTED or before.kind != "entered", e.place_id


def test_changes_between_dates(ds):
    a, b = dt.date(2024, 11, 26), dt.date(2024, 12, 1)
    ch = control.changes(ds, a, b)
    assert len(ch) > 0
    assert set(ch["from"]) | set(ch["to"]) <= set(settings.CONTROLLERS)
    assert all(f != t for f, t in zip(ch["from"], ch["to"], strict=True))
    za = control.control_zones(ds, a).set_index("controller")["area_km2"]
    zb = control.control_zones(ds, b).set_index("controller")["area_km2"]
    # Net change per controller equals gains minus losses in the changes layer.
    for ctl in settings.CONTROLLERS:
        net = zb.get(ctl, 0.0) - za.get(ctl, 0.0)
        gains = ch.loc[ch["to"] == ctl, "area_km2"].sum()
        losses = ch.loc[ch["from"] == ctl, "area_km2"].sum()
        assert net == pytest.approx(gains - losses, abs=2.0 + 0.002 * abs(net)), ctl
    assert control.changes(ds, b, b).empty


def test_hama_villages_layer(ds):
    """Each village's capture date and captor agree with its holder day by day (FACTS: 39 villages in 48 h)."""
    fc = export_json("hama-villages")
    assert len(fc["features"]) >= 30
    hama = next(
        shape(f["geometry"]) for f in export_json("governorates")["features"] if f["properties"]["name"] == "Hama"
    )
    holders = {d: control.controllers_on(ds, d) for d in ds.dates}
    dated = 0
    for f in fc["features"]:
        vid, cap, by = f["properties"]["id"], f["properties"]["captured"], f["properties"]["captured_by"]
        assert hama.contains(shape(f["geometry"])), vid
        days = [(d, holders[d][vid]) for d in ds.dates]
        base = days[0][1]
        if cap is None:  # never taken: no other side ever holds it
            assert {h for _, h in days} <= {base, settings.CONTESTED}, (vid, days)
            continue
        dated += 1
        cap_date = dt.date.fromisoformat(cap)
        assert by != base, vid  # a capture by the baseline holder is not a capture
        assert all(h != by for d, h in days if d < cap_date), (vid, "held by the captor before its capture")
        assert holders[cap_date][vid] == by, (vid, cap, by, holders[cap_date][vid])
    assert dated >= 30


def test_sites_include_kuweires_and_the_named_sites():
    fc = export_json("sites")
    sites = {f["properties"]["id"]: f for f in fc["features"]}
    kw = sites["kuweires-air-base"]
    lon, lat = kw["geometry"]["coordinates"]
    _, _, metres = geometry.GEOD.inv(lon, lat, 37.583, 36.187)
    assert metres < 2000
    for sid in (
        "aleppo-thermal-power-station",
        "safira-defence-factories",
        "regiment-46-base",
        "military-academy",
        "artillery-college",
        "aleppo-international-airport",
        "abu-al-duhur-air-base",
        "menagh-air-base",
        "hama-military-airport",
    ):
        assert sid in sites, sid
        assert sites[sid]["properties"]["kind"] in settings.SITE_KINDS


def test_site_distances_match_the_article(ds):
    """Thermal station ~15 mi east of Aleppo, Military Academy and Artillery College a few miles SW,
    Regiment 46 ~20 mi west (the source article, New Lines, Dec 2024): within a few miles."""
    places = ds.places
    a = places.loc["aleppo"].geometry

    def miles(pid):
        p = places.loc[pid].geometry
        return geometry.GEOD.inv(a.x, a.y, p.x, p.y)[2] / settings.METRES_PER_MILE

    assert 12 <= miles("aleppo-thermal-power-station") <= 18
    assert 2 <= miles("artillery-college") <= 6
    assert 2 <= miles("military-academy") <= 6
    assert 12 <= miles("regiment-46-base") <= 22


def test_every_control_point_cites_a_source_on_every_date(ds):
    """Each place's state traces to a source in seeds/: its event's, else its baseline zone's."""
    for date in (ds.baseline_date, dt.date(2024, 12, 1), ds.end_date):
        pts = control.control_points(ds, date)
        missing = [pid for pid, src in zip(pts["id"], pts["source"], strict=True) if src not in ds.sources]
        assert not missing, (date, missing[:5])


@pytest.mark.parametrize("day", [0, 5, 9, 12, 16])
def test_areas_come_with_an_honest_range(ds, day):
    """low ≤ point ≤ high for every side; the points tile Syria."""
    date = ds.baseline_date + dt.timedelta(days=day)
    zones = control.control_zones(ds, date)
    for row in zones.itertuples(index=False):
        assert row.area_low_km2 <= row.area_km2 <= row.area_high_km2, row.controller
    assert zones["area_km2"].sum() == pytest.approx(geometry.area_km2(ds.syria), rel=0.005)


def test_a_place_takes_only_its_reach_with_it(ds):
    """A place's own cell reaches no farther than REACH_KM; farther ground is thinly held by groups."""
    from territory import tessellation

    thin = control.thin_mask(ds)
    disc = 3.1416 * tessellation.REACH_KM**2
    areas = geometry.areas_km2(list(ds.cell_geoms))
    assert thin.any()
    assert max(a for a, t in zip(areas, thin, strict=True) if not t) <= disc * 1.02
    for date in (dt.date(2024, 11, 30), dt.date(2024, 12, 6), ds.end_date):
        holders = control.group_holders(ds, date)
        cells = control.cell_controllers(ds, date)
        groups = [g for g, t in zip(ds.cells["group"], thin, strict=True) if t]
        assert [cells[i] for i in range(len(thin)) if thin[i]] == [holders[g] for g in groups]


def test_baseline_shares_match_the_published_figures(ds):
    """Jusoor for Studies: government 63.38%, SDF 25.64%, opposition 10.98% (2020 to end of 2023)."""
    from territory import viewmodel

    shares = viewmodel.baseline_shares(ds)
    assert shares["government"] == pytest.approx(63.38, abs=2.5)
    assert shares["sdf"] == pytest.approx(25.64, abs=2.5)
    assert shares["opposition"] == pytest.approx(10.98, abs=2.5)


def test_israel_holds_the_golan_and_takes_the_hermon_summit(ds):
    before = control.controllers_on(ds, dt.date(2024, 12, 7))
    after = control.controllers_on(ds, dt.date(2024, 12, 9))
    assert before["majdal-shams"] == after["majdal-shams"] == "israel"
    assert before["mount-hermon-summit"] != "israel" and after["mount-hermon-summit"] == "israel"


def test_the_area_of_separation_goes_to_israel_along_its_own_lines(ds):
    """From 8-9 Dec Israel holds the 1974 strip as a whole: its cells, and no cell outside it or the Golan."""
    zone = ds.cells["zone"].to_numpy()
    strip = zone == "undof-area-of-separation"
    golan = zone == "israel-occupied-golan"
    strip_km2 = float(control.cell_areas(ds)[strip].sum())
    assert 200 < strip_km2 < 250  # the UN gives about 235 km² (Natural Earth's strip, up to the Golan's line)
    before = control.cell_controllers(ds, dt.date(2024, 12, 7))
    after = control.cell_controllers(ds, dt.date(2024, 12, 9))
    assert not (before[strip] == "israel").any() and (after[strip] == "israel").all()
    assert set(np.flatnonzero(after == "israel")) == set(np.flatnonzero(strip | golan))
    # Old Quneitra is in the strip; Khan Arnabah, beyond line B, was raided, not held.
    assert control.controllers_on(ds, dt.date(2024, 12, 12))["khan-arnabah"] != "israel"


def test_no_us_base_is_held_by_the_government(ds):
    """US bases sit in SDF or al-Tanf ground: the Conoco plant is the SDF's (since 2017) on every date."""
    us = [pid for pid, op in zip(ds.places["id"], ds.places["operator"], strict=True) if op == "United States"]
    assert "conoco-gas-field" in us
    day = ds.baseline_date
    while day <= ds.end_date:
        held = control.controllers_on(ds, day)
        assert all(held[pid] != settings.GOVERNMENT for pid in us), day
        day += dt.timedelta(days=1)
    assert control.controllers_on(ds, dt.date(2024, 12, 5))["khusham"] == settings.GOVERNMENT  # Khasham next door


def test_foreign_bases_are_sites_with_their_operator():
    sites = {f["properties"]["id"]: f["properties"] for f in export_json("sites")["features"]}
    assert sites["hmeimim-air-base"]["operator"] == "Russia"
    assert sites["tartus-russian-naval-facility"]["kind"] == "foreign_base"
    assert sites["al-tanf"]["operator"] == "United States"
    assert {s["operator"] for s in sites.values()} >= {"Russia", "United States", "Turkey"}
