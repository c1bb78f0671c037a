"""The dashboard under streamlit.testing (AppTest): state, URL parameters, map payload, downloads."""

import datetime as dt
import json
import re

import pytest
from streamlit.testing.v1 import AppTest, app_test

from territory import settings
from territory.data import default_dataset

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


def _map_date(at: AppTest) -> dt.date:
    """The date the map runtime draws: it reads the frame's ``day``, an index into the timeline's dates."""
    return default_dataset().dates[_map_data(at)["day"]]


def test_app_runs_without_exception():
    at = _app()
    assert not at.exception
    assert not at.error
    assert at.select_slider(key="date").value == settings.OPENING_DATE  # the day Aleppo fell
    assert _map_date(at) == settings.OPENING_DATE


def test_slider_changes_dynamic_layer_not_base_map():
    at = _app(date="2024-11-28")
    first = _map_args(at)
    assert _map_date(at) == dt.date(2024, 11, 28)
    at.select_slider(key="date").set_value(dt.date(2024, 12, 2)).run()
    second = _map_args(at)
    assert not at.exception
    assert _map_date(at) == dt.date(2024, 12, 2)
    assert second["script"] == first["script"]  # same base map: no remount


def test_step_buttons_move_the_date():
    at = _app(date="2024-11-30")
    at.button(key="next_day").click().run()
    assert at.select_slider(key="date").value == dt.date(2024, 12, 1) == _map_date(at)
    at.button(key="prev_day").click().run()
    at.button(key="prev_day").click().run()
    assert at.select_slider(key="date").value == dt.date(2024, 11, 29) == _map_date(at)


def test_proposal_picker_changes_bands_not_base_map():
    at = _app(date="2024-12-02", depths="3,6,10,22,30")
    before = _map_args(at)
    assert [b["ref"] for b in _map_data(at)["bands"]] == ["30", "22", "10", "6", "3"]
    at.multiselect(key="depths_picked").set_value([22.0]).run()
    after = _map_args(at)
    assert [b["ref"] for b in _map_data(at)["bands"]] == ["22"]
    assert after["script"] == before["script"]
    at.number_input(key="custom_depth").set_value(15.5).run()  # a custom depth travels with the frame
    bands = _map_data(at)["bands"]
    assert [b.get("ref") for b in bands] == ["22", None]
    assert bands[1]["feature"]["properties"]["label"] == "15.5 mi"


def test_custom_depth_can_be_removed_and_is_rounded():
    at = _app(date="2024-12-02", depths="22")
    at.number_input(key="custom_depth").set_value(15.3).run()
    assert at.number_input(key="custom_depth").value is None  # the box empties for the next depth
    assert at.multiselect(key="custom_kept").value == [15.5]  # rounded to the half mile
    assert [b.get("ref") for b in _map_data(at)["bands"]] == ["22", None]
    at.multiselect(key="custom_kept").set_value([]).run()
    at.run()  # a later rerun must not put it back
    assert not at.exception
    assert [b.get("ref") for b in _map_data(at)["bands"]] == ["22"]
    assert "depths=22" in _query(at)


def test_an_out_of_range_custom_depth_says_why():
    at = _app(date="2024-12-02", depths="22")
    for depth in (75.0, -3.0, 0.0):
        at.number_input(key="custom_depth").set_value(depth).run()
        assert not at.exception
        said = " ".join(w.value for w in at.sidebar.warning)
        assert f"{depth:g} mi is not a depth" in said and "from 0.5 to 60 miles" in said, said
        assert [b.get("ref") for b in _map_data(at)["bands"]] == ["22"]  # nothing added
    at.number_input(key="custom_depth").set_value(15.0).run()
    assert not at.sidebar.warning and at.multiselect(key="custom_kept").value == [15.0]


def _query(at: AppTest) -> str:
    return "&".join(f"{k}={v}" for k, v in at.query_params.items())


def test_bands_are_capped_in_the_page():
    depths = ",".join(str(d) for d in range(1, 16))  # 15 depths in the URL
    at = _app(date="2024-12-02", depths=depths)
    warnings = " ".join(w.value for w in at.warning)
    assert f"at most {settings.MAX_BANDS} bands" in warnings
    assert len(_map_data(at)["bands"]) == 5  # the default bands instead


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
    assert _map_date(at) == dt.date(2024, 12, 1)
    assert _map_data(at)["colours"][settings.CONTROLLERS.index("hts")] == settings.PALETTES["colour-blind safe"]["hts"]


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
    assert at.select_slider(key="date").value == _map_date(at) == settings.OPENING_DATE  # the default date


class _RecordingMediaFiles(app_test.MediaFileManager):
    """Streamlit's media file manager that remembers itself, so a test can read what a download offers."""

    last: "_RecordingMediaFiles | None" = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        type(self).last = self

    def bytes_of(self, url: str) -> bytes:
        file_id = url.rsplit("/", 1)[-1].split(".", 1)[0]
        if file_id in self._deferred_callables:
            return self._deferred_callables[file_id]["callable"]()
        return self._storage.get_file(url.rsplit("/", 1)[-1]).content


def test_download_buttons_offer_the_cli_bytes(monkeypatch, tmp_path):
    """The bytes each download button of the Downloads tab offers equal the CLI's output."""
    monkeypatch.setattr(app_test, "MediaFileManager", _RecordingMediaFiles)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["date"] = "2024-12-02"
    at.query_params["depths"] = "6,22"
    at.session_state["tab"] = "Downloads"
    at.run()
    assert not at.exception
    buttons = {b.proto.label: b.proto for b in at.get("download_button")}
    files = _RecordingMediaFiles.last
    layer = buttons["Download control-zones 2024-12-02 (GeoJSON)"]
    assert layer.url
    cli = run_cli("export", "control-zones", "--date", "2024-12-02", "--depths", "6,22", "-o", "-")
    assert cli.returncode == 0
    assert files.bytes_of(layer.url) == cli.stdout
    stats_json = run_cli("stats", "--date", "2024-12-02", "--depths", "6,22")
    assert json.loads(files.bytes_of(buttons["Statistics (JSON)"].url)) == json.loads(stats_json.stdout)
    stats_csv = run_cli("stats", "--date", "2024-12-02", "--depths", "6,22", "--format", "csv")
    assert files.bytes_of(buttons["Statistics (CSV)"].url).decode() == stats_csv.stdout.decode()
    gpkg = tmp_path / "all.gpkg"
    # The page's changes are since the day before.
    cli = run_cli("export", "all", "--date", "2024-12-02", "--depths", "6,22", "--since", "2024-12-01", "-o", str(gpkg))
    assert cli.returncode == 0
    offered = buttons["Download all layers for QGIS (GeoPackage, styled)"]
    assert offered.deferred_file_id  # made when clicked, like the zip
    assert files.bytes_of(offered.deferred_file_id) == gpkg.read_bytes()
    code = [c.value for c in at.code]
    assert any("export control-zones --date 2024-12-02" in c for c in code)


def test_place_history_from_the_url():
    at = _app(place="kuweires-air-base")
    assert not at.exception
    assert at.selectbox(key="place").value == "kuweires-air-base"
    table = at.dataframe[0].value
    assert list(table["held by"])[:2] == [settings.CONTROLLER_LABELS["government"], settings.CONTROLLER_LABELS["sna"]]
    assert "place=kuweires-air-base" in _query(at)
    assert any("TRT World" in m.value for m in at.markdown)  # the other source's date for Kuweires


def test_compare_any_two_dates_equals_the_cli_changes():
    at = _app(date="2024-12-02", since="2024-11-28")
    assert not at.exception and not at.warning
    table = at.dataframe[0].value.set_index("side")
    cli = json.loads(run_cli("export", "changes", "--since", "2024-11-28", "--date", "2024-12-02", "-o", "-").stdout)
    for ctl in settings.CONTROLLERS:
        gained = sum(f["properties"]["area_km2"] for f in cli["features"] if f["properties"]["to"] == ctl)
        lost = sum(f["properties"]["area_km2"] for f in cli["features"] if f["properties"]["from"] == ctl)
        label = settings.CONTROLLER_LABELS[ctl]
        if gained or lost:
            assert table.loc[label, "gained (km²)"] == pytest.approx(gained, abs=0.05)
            assert table.loc[label, "lost (km²)"] == pytest.approx(lost, abs=0.05)
    assert not any("_km2" in c for c in table.columns)  # readable headers with units
    frame = _map_data(at)
    assert frame["since"] == "2024-11-28" and len(frame["changes"]["features"]) == len(cli["features"])
    assert "since=2024-11-28" in _query(at)
