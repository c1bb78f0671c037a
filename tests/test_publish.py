"""``python -m territory publish``: the static site's files, names, numbers, downloads and determinism."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from territory import layers, mapdata, publish, settings, stats, viewmodel
from territory._errors import UsageError

from .conftest import ROOT, run_cli

HASHED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{12})\.(?P<ext>js|css|json|geojson|zip)$")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("publish") / "site"
    proc = run_cli("publish", "-o", str(out), "--dashboard-url", "https://dashboard.example.org/")
    assert proc.returncode == 0, proc.stderr.decode()
    return out


def _config(site: Path) -> dict:
    page = (site / "index.html").read_text(encoding="utf-8")
    m = re.search(r'<script type="application/json" id="territory-site">(.*?)</script>', page, re.S)
    assert m, "index.html has no inline configuration"
    return json.loads(m.group(1))


def _day(site: Path, cfg: dict, k: int) -> dict:
    return json.loads((site / "data" / "days" / f"{cfg['dates'][k]}.{cfg['days'][k]}.json").read_text())


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_index_at_the_root_references_files_that_exist(site):
    page = (site / "index.html").read_text(encoding="utf-8")
    refs = re.findall(r'(?:src|href)="([^"]+)"', page)
    local = [r for r in refs if not r.startswith("data:")]
    assert len(local) >= 7
    for ref in local:
        assert "://" not in ref and not ref.startswith("/"), f"{ref}: the site must work under any path on any host"
        assert (site / ref).is_file(), ref
    assert 'type="range"' in page and 'aria-label="Date"' in page


def test_every_data_file_is_named_by_its_content(site):
    named = 0
    for rel, data in _tree(site).items():
        if rel.endswith(".gz"):
            assert gzip.decompress(data) == (site / rel[:-3]).read_bytes(), rel
            continue
        if rel in ("index.html", publish.MARKER) or rel.startswith("assets/images/") or rel.endswith("LICENSE"):
            continue
        m = HASHED.match(Path(rel).name)
        assert m, f"{rel} carries no content hash"
        assert hashlib.sha256(data).hexdigest().startswith(m["hash"]), rel
        named += 1
    assert named > 30
    assert (site / "index.html.gz").is_file() and next((site / "data").glob("base.*.js.gz"))


def test_the_map_runtime_and_base_data_are_the_dashboards(site, ds):
    runtime = next((site / "assets").glob("territory.*.js")).read_bytes()
    assert runtime == (mapdata.STATIC_DIR / "territory.js").read_bytes()
    base = next((site / "data").glob("base.*.js")).read_text(encoding="utf-8")
    # The dashboard's static file, without its header line: the very same data.
    dashboard = (mapdata.STATIC_DIR / mapdata.BASEMAP_FILE).read_text(encoding="utf-8").split("\n", 1)[1]
    assert base == dashboard
    assert base.startswith("window.TERRITORY_BASE = ")


def test_every_dates_figures_equal_the_cli_stats(site, ds):
    cfg = _config(site)
    assert cfg["dates"] == [d.isoformat() for d in ds.dates]
    depths = [o["depth"] for o in viewmodel.proposal_options(ds)]
    for k, date in enumerate(ds.dates):
        day = _day(site, cfg, k)
        assert day["stats"] == json.loads(json.dumps(stats.stats(ds, date, depths))), date
    # A band's figures do not depend on the other bands asked for: the page shows a subset.
    day = _day(site, cfg, 4)
    asked = stats.stats(ds, ds.dates[4], (10, 22))
    assert [b for b in day["stats"]["buffers"] if b["depth_miles"] in (10, 22)] == asked["buffers"]
    cli = run_cli("stats", "--date", ds.dates[4].isoformat(), "--depths", "10,22")
    assert json.loads(cli.stdout)["buffers"] == asked["buffers"]


def test_downloads_are_the_exports_bytes(site, ds):
    cfg = _config(site)
    assert cfg["downloadDates"] == cfg["dates"]
    for k, date in enumerate(ds.dates):
        dl = _day(site, cfg, k)["downloads"]
        zipped = (site / dl["zip"]["href"]).read_bytes()
        assert zipped == layers.all_layers_zip(ds, date, settings.DEFAULT_DEPTHS_MILES, None)
        members = zipfile.ZipFile(io.BytesIO(zipped))
        assert [x["layer"] for x in dl["layers"]] == list(settings.LAYERS)
        for x in dl["layers"]:
            expected = layers.layer_geojson(ds, x["layer"], date, settings.DEFAULT_DEPTHS_MILES, None).encode()
            got = (site / x["href"]).read_bytes() if "href" in x else members.read(x["member"])
            assert got == expected, (date, x["layer"])
            assert x["name"] == f"territory-{x['layer']}-{date.isoformat()}.geojson"
    # Byte for byte what the command line writes.
    dl = _day(site, cfg, 5)["downloads"]
    zones = next(x for x in dl["layers"] if x["layer"] == settings.LAYER_CONTROL_ZONES)
    proc = run_cli("export", "control-zones", "--date", cfg["dates"][5], "-o", "-")
    assert proc.returncode == 0 and (site / zones["href"]).read_bytes() == proc.stdout


def test_date_independent_layers_are_stored_once(site):
    files = [p.name for p in (site / "downloads").iterdir()]
    for name in (settings.LAYER_SYRIA, settings.LAYER_BORDER, settings.LAYER_TIMELINE):
        assert sum(1 for f in files if f.startswith(f"{name}.")) == 1, name
    assert sum(1 for f in files if f.startswith(f"{settings.LAYER_CONTROL_ZONES}.")) > 10


def test_the_site_stays_within_its_size_budget(site):
    total = sum(len(b) for b in _tree(site).values())
    assert total <= 15_000_000, f"{total:,} bytes"


def test_place_histories_are_the_clis(site, ds):
    cfg = _config(site)
    hist = json.loads((site / cfg["history"]).read_text())
    assert set(hist["places"]) == set(ds.places.index)
    proc = run_cli("history", "kuweires-air-base", "--format", "json")
    assert hist["places"]["kuweires-air-base"] == json.loads(proc.stdout)
    assert hist["names"]["kuweires air base"] == "kuweires-air-base"


def test_publishing_twice_gives_identical_bytes(site, tmp_path):
    again = tmp_path / "again"
    proc = run_cli("publish", "-o", str(again), "--dashboard-url", "https://dashboard.example.org/")
    assert proc.returncode == 0, proc.stderr.decode()
    assert _tree(again) == _tree(site)


def test_publishing_again_replaces_its_own_site(ds, tmp_path):
    out = tmp_path / "site"
    publish.publish(ds, out, title="First")
    (out / "data" / "stale.json").write_text("{}")
    publish.publish(ds, out, title="Second <b>")
    assert not (out / "data" / "stale.json").exists()
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "<title>Second &lt;b&gt;</title>" in page
    assert not list(tmp_path.glob(".site.*")), "temporary directories left behind"


def test_a_directory_publish_did_not_write_is_refused(ds, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(UsageError, match="non-empty directory"):
        publish.publish(ds, mine)
    assert (mine / "notes.txt").read_text() == "keep me"
    proc = run_cli("publish", "-o", str(mine))
    assert proc.returncode == 2
    assert proc.stderr.decode().count("\n") == 1 and "non-empty directory" in proc.stderr.decode()


def test_a_bad_dashboard_url_is_refused(tmp_path):
    proc = run_cli("publish", "-o", str(tmp_path / "s"), "--dashboard-url", "javascript:alert(1)")
    assert proc.returncode == 2
    assert "--dashboard-url" in proc.stderr.decode() and "http(s)" in proc.stderr.decode()
    assert not (tmp_path / "s").exists()


def test_the_page_carries_no_remote_reference():
    for name in ("index.html", "site.js", "site.css"):
        text = (ROOT / "static" / "site" / name).read_text(encoding="utf-8")
        assert not re.search(r"(src|href)=[\"']?(https?:)?//", text), name
        assert "@import" not in text and "fonts.googleapis" not in text, name


def test_a_long_timeline_loads_its_days_on_demand(ds, tmp_path):
    """An ACLED file over 130 days: the base data holds no events or changed ground; each date's file
    brings its own (as the dashboard's frame does), and downloads are published for the last date only."""
    import sys

    from territory import usertimeline

    sys.path.insert(0, str(ROOT / "bench"))
    from make_acled import write_acled as synth

    path = tmp_path / "synthetic.csv"
    synth(path, rows=3500, days=130, locations=150, seed=5)
    user = usertimeline.load_file(ds, path, None)
    assert len(user.dates) > publish.DOWNLOAD_DATES_MAX
    out = tmp_path / "site"
    publish.publish(user, out)
    cfg = _config(out)
    assert cfg["downloadDates"] == [user.end_date.isoformat()] and cfg["timeline"] == "synthetic.csv"
    base = json.loads(next((out / "data").glob("base.*.js")).read_text().split(" = ", 1)[1].rstrip(";\n"))
    assert base["events"] is None and "changes" not in base
    with_events = 0
    for k, date in enumerate(user.dates):
        day = _day(out, cfg, k)
        frame = json.loads(mapdata.frame_data(user, date, (), ("changes", "events")))
        assert day.get("events") == frame.get("events") and day.get("changes") == frame.get("changes"), date
        assert ("downloads" in day) == (date == user.end_date)
        with_events += bool(day.get("events", {}).get("what"))
    assert with_events > 100
