"""The dashboard under streamlit.testing (AppTest): state, URL parameters, map payload, downloads."""

import datetime as dt
import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from territory import layers, settings

from .conftest import ROOT, run_cli

APP = str(ROOT / "dashboard.py")


def _app(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def _map_args(at: AppTest) -> dict:
    comps = [c for c in at.get("component_instance") if "st_folium" in c.proto.component_name]
    assert len(comps) == 1
    return json.loads(comps[0].proto.json_args)


def _map_data(at: AppTest) -> dict:
    """The data the dynamic layer hands to the map runtime."""
    fg = _map_args(at)["feature_group"]
    m = re.search(r"window\.territory\.frame\(\w+, (\{.*\})\);", fg, re.S)
    assert m, fg[:300]
    return json.loads(m.group(1))


def test_app_runs_without_exception():
    at = _app()
    assert not at.exception
    assert not at.error
    args = _map_args(at)
    assert "territory-date-" in args["feature_group"]
    assert at.select_slider(key="date").value == dt.date(2024, 12, 12)


def test_slider_changes_dynamic_layer_not_base_map():
    at = _app(date="2024-11-28")
    first = _map_args(at)
    assert "territory-date-2024-11-28" in first["feature_group"]
    at.select_slider(key="date").set_value(dt.date(2024, 12, 2)).run()
    second = _map_args(at)
    assert not at.exception
    assert "territory-date-2024-12-02" in second["feature_group"]
    assert "territory-date-2024-11-28" not in second["feature_group"]
    assert second["script"] == first["script"]  # same base map: no remount


def test_step_buttons_move_the_date():
    at = _app(date="2024-11-30")
    at.button(key="next_day").click().run()
    assert at.select_slider(key="date").value == dt.date(2024, 12, 1)
    at.button(key="prev_day").click().run()
    at.button(key="prev_day").click().run()
    assert at.select_slider(key="date").value == dt.date(2024, 11, 29)


def test_proposal_picker_changes_bands_not_base_map():
    at = _app(date="2024-12-02", depths="3,6,10,22,30")
    before = _map_args(at)
    assert [b["ref"] for b in _map_data(at)["bands"]] == ["30", "22", "10", "6", "3"]
    at.multiselect(key="depths_picked").set_value([22.0]).run()
    after = _map_args(at)
    assert [b["ref"] for b in _map_data(at)["bands"]] == ["22"]
    assert after["script"] == before["script"]
    at.number_input[0].set_value(15.5).run()  # a custom depth travels with the frame
    bands = _map_data(at)["bands"]
    assert [b.get("ref") for b in bands] == ["22", None]
    assert bands[1]["feature"]["properties"]["label"] == "15.5 mi"


def test_layer_toggles_change_what_the_map_receives():
    at = _app(date="2024-12-02")
    data = _map_data(at)
    assert {"zones", "events", "buffers", "sites"} <= set(data["shown"]) and "bands" in data
    at.multiselect(key="map_layers").set_value(["events"]).run()
    data = _map_data(at)
    assert data["shown"] == ["events"] and "bands" not in data


def test_query_params_restore_state():
    at = _app(date="2024-12-01", depths="10,22", layers="zones,buffers", palette="colour-blind safe")
    assert not at.warning
    assert at.select_slider(key="date").value == dt.date(2024, 12, 1)
    assert at.multiselect(key="depths_picked").value == [10.0, 22.0]
    assert at.multiselect(key="map_layers").value == ["zones", "buffers"]
    assert at.radio(key="palette").value == "colour-blind safe"
    fg = _map_args(at)["feature_group"]
    assert "territory-date-2024-12-01" in fg and settings.PALETTES["colour-blind safe"]["hts"] in fg


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"date": "2030-01-01"}, "outside the timeline"),
        ({"date": "yesterday"}, "not a date"),
        ({"depths": "abc"}, "depths"),
        ({"depths": "3,,6"}, "depths"),
        ({"depths": "-5"}, "depth"),
        ({"layers": "zones,nukes"}, "unknown layer"),
        ({"palette": "<script>alert(1)</script>"}, "palette"),
        ({"date": "<img src=x onerror=alert(1)>"}, "not a date"),
        ({"date": "9" * 5000}, "not a date"),
    ],
)
def test_bad_query_params_warn_and_fall_back(params, needle):
    at = _app(**params)
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert needle in warnings
    assert len(warnings) < 1200
    assert "territory-date-" in _map_args(at)["feature_group"]


def test_download_equals_cli_export():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["date"] = "2024-12-02"
    at.query_params["depths"] = "6,22"
    at.session_state["tab"] = "Downloads"
    at.run()
    assert not at.exception
    buttons = at.get("download_button")
    assert buttons
    # The selected layer (control-zones by default) offered for download is the CLI export's bytes.
    from territory.data import default_dataset

    ds = default_dataset()
    page = layers.layer_geojson(ds, "control-zones", dt.date(2024, 12, 2), (6.0, 22.0), None)
    cli = run_cli("export", "control-zones", "--date", "2024-12-02", "--depths", "6,22", "-o", "-")
    assert cli.stdout.decode() == page
    first = buttons[0].proto
    assert first.label == "Download control-zones 2024-12-02 (GeoJSON)"
    code = [c.value for c in at.code]
    assert any("export control-zones --date 2024-12-02" in c for c in code)


def test_naive_reference_mode_runs(monkeypatch):
    """The benchmark's reference: a plain folium map rebuilt (and remounted) on every change."""
    monkeypatch.setenv("TERRITORY_MAP_MODE", "naive")
    at = _app(date="2024-11-30")
    assert not at.exception
    first = _map_args(at)
    assert "territory-date-2024-11-30" in first["script"] and first["feature_group"] is None
    at.select_slider(key="date").set_value(dt.date(2024, 12, 1)).run()
    second = _map_args(at)
    assert "territory-date-2024-12-01" in second["script"] and second["script"] != first["script"]
