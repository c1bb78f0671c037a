"""Every exported feature's story: sources, method and confidence; the timeline layer; histories."""

import datetime as dt
import json

import pyogrio
import pytest

from territory import control, layers, provenance, settings, viewmodel

from .conftest import run_cli

DATES = (dt.date(2024, 11, 26), dt.date(2024, 12, 1), dt.date(2024, 12, 12))


@pytest.mark.parametrize("date", DATES)
@pytest.mark.parametrize("name", settings.LAYERS)
def test_every_feature_of_every_layer_cites_known_sources(ds, name, date):
    since = date - dt.timedelta(days=3) if name == settings.LAYER_CHANGES and date > ds.baseline_date else None
    fc = json.loads(layers.layer_geojson(ds, name, date, settings.DEFAULT_DEPTHS_MILES, since))
    listed = {s["id"]: s for s in fc["metadata"]["sources"]}
    assert all(s["title"] and s["url"].startswith("http") for s in listed.values())
    for f in fc["features"]:
        p = f["properties"]
        assert p["sources"] and all(s in listed for s in p["sources"]), (name, p.get("id"), p["sources"])
        assert p["method"] and p["confidence"] in provenance.CONFIDENCES, (name, p)


def test_confidence_follows_the_written_rule(ds):
    points = layers.layer_with_provenance(ds, settings.LAYER_CONTROL_POINTS, dt.date(2024, 12, 12)).set_index("id")
    assert points.loc["aleppo", "method"] == "event" and points.loc["aleppo", "confidence"] == "high"
    assert points.loc["tishrin-dam", "controller"] == "contested" and points.loc["tishrin-dam", "confidence"] == "low"
    assert points.loc["idlib", "method"] == "baseline-polygon" and points.loc["idlib", "confidence"] == "medium"
    collapsed = points[points["method"] == "collapse-rule"]
    assert len(collapsed) > 20 and set(collapsed["confidence"]) == {"medium"}


def test_timeline_replays_to_the_control_points_on_every_date(ds):
    tl = layers.layer(ds, settings.LAYER_TIMELINE)
    places = tl[~tl["id"].str.startswith("thin:")]
    for date in ds.dates:
        iso = date.isoformat()
        live = places[(places["valid_from"] <= iso) & (places["valid_to"] > iso)]
        assert live["id"].is_unique
        got = dict(zip(live["id"], live["controller"], strict=True))
        assert got == control.controllers_on(ds, date), date
    assert tl["valid_to"].max() == (ds.end_date + dt.timedelta(days=1)).isoformat()  # open end: last date + 1


def test_timeline_as_geopackage(tmp_path):
    out = tmp_path / "timeline.gpkg"
    proc = run_cli("export", "timeline", "-o", str(out))
    assert proc.returncode == 0, proc.stderr.decode()
    # The table "timeline", beside the "sources" and "layer_styles" tables (tests/test_gis.py).
    info = pyogrio.read_info(out, layer="timeline")
    assert info["driver"] == "GPKG" and info["features"] > 400
    assert {"valid_from", "valid_to", "controller", "sources"} <= set(info["fields"])
    df = pyogrio.read_dataframe(out, layer="timeline", read_geometry=False)
    assert all(json.loads(s) for s in df["sources"])  # JSON lists, never empty


@pytest.mark.parametrize("query", ["kuweires-air-base", "Kuweires", "kuweires air base"])
def test_history_finds_a_place_by_id_or_name(query):
    proc = run_cli("history", query, "--format", "json")
    assert proc.returncode == 0, proc.stderr.decode()
    data = json.loads(proc.stdout)
    assert data["id"] == "kuweires-air-base"
    holders = [s["controller"] for s in data["spells"]]
    assert holders[0] == "government" and "sna" in holders
    assert all(s["source_url"].startswith("http") for s in data["spells"])
    assert data["spells"][-1]["valid_to"] == "2024-12-13"


def test_history_text_and_csv():
    text = run_cli("history", "aleppo").stdout.decode()
    assert "captured by HTS-led" in text and "source:" in text
    csv_text = run_cli("history", "aleppo", "--format", "csv").stdout.decode().splitlines()
    assert csv_text[0].startswith("valid_from,valid_to,controller,kind,by,source,source_title,source_url")


def test_history_of_an_unknown_place_suggests_and_exits_2():
    proc = run_cli("history", "Kwiris")
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2 and "\n" not in err and "Traceback" not in err
    assert "did you mean 'kuweires-air-base'" in err


def test_a_source_read_from_a_copy_names_it_in_metadata(ds):
    """``url`` is the publisher's page; an export's ``metadata.sources`` adds the copy read as ``retrieved_from``."""
    fc = json.loads(layers.layer_geojson(ds, settings.LAYER_CONTROL_POINTS, dt.date(2024, 12, 1)))
    listed = {s["id"]: s for s in fc["metadata"]["sources"]}
    dof = listed["base-mirror-dawn-of-freedom"]  # Khanasir's event: a Wikipedia article, read on a copy
    assert dof["url"] == "https://en.wikipedia.org/wiki/Operation_Dawn_of_Freedom"
    assert dof["retrieved_from"].startswith("http://5.180.24.3/")
    plain = [s for s in listed.values() if "retrieved_from" not in s]
    assert plain and all(set(s) == {"id", "title", "publisher", "published", "url"} for s in plain)


def test_the_about_tab_cites_the_publisher_and_links_the_copy_read(ds):
    md = viewmodel.sources_markdown(ds)
    dof = next(line for line in md.splitlines() if "5.180.24.3" in line)
    assert "(https://en.wikipedia.org/wiki/Operation_Dawn_of_Freedom)" in dof
    assert dof.endswith("(read at [a copy](http://5.180.24.3/info/operation-dawn-of-freedom))")
