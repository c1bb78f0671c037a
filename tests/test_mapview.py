"""The map runtime's data: pure tests of what the server hands to static/territory/territory.js."""

import datetime as dt
import json
import re
import shutil

import pytest

from territory import control, mapdata, mapview, settings
from territory.data import Dataset

DATES = [dt.date(2024, 11, 26), dt.date(2024, 11, 30), dt.date(2024, 12, 8)]


def _frame(ds, date, depths=(3, 6, 10, 22, 30), shown=settings.DEFAULT_MAP_LAYERS, palette=None):
    return json.loads(mapdata.frame_data(ds, date, depths, shown, palette))


def test_static_basemap_file_matches_the_committed_data(ds):
    """The build wrote static/territory/basemap.js for exactly this geodata/ (else the app inlines it)."""
    assert mapdata.base_uses_static_file(ds)
    text = (settings.PROJECT_ROOT / "static" / "territory" / "basemap.js").read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert f"fingerprint: {mapdata.basemap_fingerprint(mapdata.base_data(ds))}" in first
    assert f"geodata: {mapdata.geodata_digest(ds.directory)}" in first
    assert f"format: {mapdata.BASEMAP_FORMAT}" in first


def test_map_scripts_are_versioned(ds):
    """A browser holding an older runtime or base file in its cache fetches the new one."""
    urls = [u for _, u in mapview.base_map(ds).default_js]
    assert f"{mapdata.RUNTIME_JS_URL}?v={mapdata.runtime_version()}" in urls
    assert any(u.startswith(f"{mapdata.BASEMAP_JS_URL}?v=") for u in urls)


def test_edited_geodata_is_not_paired_with_the_static_file(ds, tmp_path):
    """The cheap start-up check (a digest of the geodata files) notices any edit, and the app inlines."""
    shutil.copytree(ds.directory, tmp_path / "geodata")
    timeline = tmp_path / "geodata" / "timeline.json"
    timeline.write_text(timeline.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    other = Dataset.load(tmp_path / "geodata")
    assert not mapdata.base_uses_static_file(other)
    assert mapview.base_script(other).startswith("window.TERRITORY_BASE = {")


def test_base_data_lines_up_with_the_dataset(ds):
    base = mapdata.base_data(ds)
    assert len(base["cells"]["features"]) == len(ds.cells)
    assert [f["properties"]["i"] for f in base["cells"]["features"]] == list(range(len(ds.cells)))
    assert len(base["places"]["xy"]) == len(base["places"]["names"]) == len(ds.places)
    assert base["labels"] == [settings.CONTROLLER_LABELS[c] for c in settings.CONTROLLERS]  # text, not markup
    assert set(base["bands"]) == {"3", "6", "10", "22", "30"}
    explicit = [e for e in ds.events if e.scope != "governorate"]
    assert len(base["events"]["xy"]) == len(explicit)
    assert base["events"]["day"] == sorted(base["events"]["day"])  # events sorted by date: a prefix is "up to a date"


def test_border_tooltip_names_its_length_and_source(ds):
    """The border's tooltip reads its geodesic length and the source of the line from the built layer."""
    label = mapdata.base_data(ds)["border"]["features"][0]["properties"]["label"]
    info = ds.border_info
    assert label == f"Turkey–Syria border ({float(info['length_km']):,.0f} km) · source: {info['source']}"
    assert "OpenStreetMap" in label and "903 km" in label


def test_day_codes_match_the_engine(ds):
    """Every date's codes ship with the base data (the first date's, then each date's deltas), so the
    map can redraw without the server; replayed, they are the engine's for every date."""
    base = mapdata.base_data(ds)
    assert len(base["deltas"]) == len(ds.dates) == len(base["dates"])
    pids = list(ds.places["id"])
    sources = ["", *(s["t"] for s in base["srcs"][1:])]
    for k, date in enumerate(ds.dates):
        day = mapdata.replay(base, k)
        assert [settings.CONTROLLERS[c] for c in day["cells"]] == list(control.cell_controllers(ds, date))
        states = control.place_states(ds, date)
        assert [settings.CONTROLLERS[c] for c in day["pc"]] == [states[p].controller for p in pids]
        assert [base["dates"][i] for i in day["since"]] == [states[p].since.isoformat() for p in pids]
        assert [sources[i] for i in day["src"]] == [_cited(ds, states[p].source) for p in pids]
        assert sorted({pids[d[0]] for d in day["dis"]}) == sorted(control.disputes_on(ds, date))
    changed_cells = sum(len(d.get("c", [])) // 2 for d in base["deltas"])
    assert changed_cells < len(ds.cells) * (len(ds.dates) - 1) // 4  # what changed, not every cell every day


def _cited(ds, source_id):
    return mapdata.source_ref(ds, source_id)["t"] if source_id else ""


def test_cell_areas_add_up_to_the_zones(ds):
    """The map sums cell areas for its tooltips; they agree with the dissolved zones' areas."""
    base = mapdata.base_data(ds)
    date = dt.date(2024, 12, 2)
    codes = mapdata.replay(base, ds.dates.index(date))["cells"]
    zones = control.control_zones(ds, date)
    for controller, area in zip(zones["controller"], zones["area_km2"], strict=True):
        summed = sum(a for a, c in zip(base["cellKm2"], codes, strict=True) if settings.CONTROLLERS[c] == controller)
        assert summed == pytest.approx(area, rel=1e-3, abs=1.0), controller


def test_day_changes_are_the_changes_layer(ds):
    base = mapdata.base_data(ds)
    assert base["changes"][0] is None  # nothing before the baseline
    date = dt.date(2024, 11, 30)
    day = base["changes"][ds.dates.index(date)]
    layer = control.changes(ds, date - dt.timedelta(days=1), date)
    assert len(day["features"]) == len(layer) > 0
    assert [settings.CONTROLLERS[f["properties"]["c"]] for f in day["features"]] == list(layer["to"])


@pytest.mark.parametrize("date", DATES)
def test_frame_names_the_date_and_options(ds, date):
    f = _frame(ds, date)
    assert set(f) == {"day", "shown", "colours", "bands"}  # exactly what the runtime reads
    assert mapdata.base_data(ds)["dates"][f["day"]] == date.isoformat()
    assert len(f["colours"]) == len(settings.CONTROLLERS)


def test_frame_is_small_and_options_travel(ds):
    text = mapdata.frame_data(ds, dt.date(2024, 12, 2), (3, 15.5), ("zones", "buffers"), "colour-blind safe")
    assert len(text) < 12_000
    assert len(mapdata.frame_data(ds, dt.date(2024, 12, 2), (3, 6), ("zones", "buffers"), None)) < 1_000
    f = json.loads(text)
    assert f["shown"] == ["buffers", "zones"]
    assert f["colours"][0] == settings.PALETTES["colour-blind safe"]["government"]
    assert [b.get("ref") for b in f["bands"]] == [None, "3"] and f["bands"][0]["feature"]["properties"][
        "label"
    ] == "15.5 mi"
    assert "changes" not in f  # what changed comes with each date's data, not with the options


def test_js_json_cannot_close_a_script_tag():
    out = mapdata.js_json({"x": "</script><script>alert(1)</script>", "y": "\u2028"})
    assert "</script" not in out and "\u2028" not in out
    assert json.loads(out.replace("<\\/", "</")) == {"x": "</script><script>alert(1)</script>", "y": "\u2028"}


def test_inline_base_data_when_the_static_file_is_stale(ds, monkeypatch):
    other = Dataset.from_parts(
        syria=ds.syria,
        border=ds.border,
        places=ds.places.reset_index(drop=True),
        cells=ds.cells.iloc[::-1].reset_index(drop=True),
        timeline=ds.timeline,
        governorates=ds.governorates,
        extra_layers=ds.extra_layers,
    )
    assert not mapdata.base_uses_static_file(other)
    script = mapview.base_script(other)
    assert script.startswith("window.TERRITORY_BASE = {") and re.search(r"window\.territory\.base\(__MAP__", script)
    m = mapview.base_map(other)
    assert mapdata.BASEMAP_JS_URL not in [u for _, u in m.default_js]
