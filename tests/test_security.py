"""Escaping of every string that comes from data, proven with hostile seeds in the real app."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from territory import build, mapdata, viewmodel

from .conftest import ROOT
from .harness import CHROMIUM, LAUNCH_ARGS, MAP_FRAME, block_outside, streamlit_server
from .test_browser import _need_browser

SCRIPT = "<script>window.__pwned='script'</script>"
IMG = "<img src=x onerror=\"window.__pwned='img'\">"
JS_URL = "javascript:window.__pwned='link'"
SRC_ID = "base-newlines-aleppo-never-meant-to-fall"


def test_escape_helpers():
    # The map gets plain text and URLs (the runtime builds its DOM with textContent; tests/js/).
    assert mapdata.js_json({"t": SCRIPT}).count("</") == 0  # cannot close the map's script tag
    assert "](" not in viewmodel.md_link(JS_URL, "x")
    assert viewmodel.md_escape("[x](javascript:alert(1))") == "\\[x\\]\\(javascript\\:alert\\(1\\)\\)"
    assert "<" not in viewmodel.md_escape(SCRIPT)


@pytest.fixture(scope="module")
def hostile_geodata(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    seeds = root / "seeds"
    shutil.copytree(ROOT / "seeds", seeds)
    with (seeds / "sources.csv").open("a", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerow(
            ["evil-src", f"Evil {SCRIPT}", f"Pub {IMG}", "2024-12-01", "https://example.org/evil", ""]
        )
    with (seeds / "places.csv").open("a", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["evil-base", f"Base {SCRIPT}", IMG, "35.5", "38.5", "air_base", "", "", "evil-src", f"Op {SCRIPT}"])
    with (seeds / "events.csv").open("a", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerow(
            ["2024-11-30", "evil-base", "hts", "captured", "evil-src", f"Note {IMG} [x]({JS_URL})"]
        )
    out = root / "geodata"
    build.build(out_dir=out, seeds_root=seeds)
    # A tampered geodata/ (the validator would refuse this source URL): it must not become a link.
    tl = json.loads((out / "timeline.json").read_text(encoding="utf-8"))
    for s in tl["sources"]:
        if s["id"] == "evil-src":
            s["url"] = JS_URL
    (out / "timeline.json").write_text(json.dumps(tl), encoding="utf-8")
    return out


def test_hostile_strings_reach_the_map_escaped(hostile_geodata, monkeypatch):
    monkeypatch.setenv("TERRITORY_GEODATA", str(hostile_geodata))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["date"] = "2024-11-30"
    at.query_params["layers"] = "zones,points,events,sites"
    at.run()
    assert not at.exception
    args = json.loads(
        next(c for c in at.get("component_instance") if "st_folium" in c.proto.component_name).proto.json_args
    )
    fg = args["script"] + args["feature_group"]  # base data is inlined: geodata/ is not the default
    base = json.loads(re.search(r"window\.TERRITORY_BASE = (\{.*?\});\n", fg, re.S).group(1).replace("<\\/", "</"))
    assert f"Base {SCRIPT}" in base["places"]["names"]  # plain text: the runtime shows it with textContent
    assert "</script" not in fg  # and it cannot close the map's script tag
    assert {"t": f"Evil {SCRIPT} (Pub {IMG}, 2024-12-01)", "u": JS_URL} in base["srcs"]  # never linked (tests/js/)
    text = " ".join(m.value for m in at.markdown)
    assert not re.search(r"(?<!\\)\]\(\s*javascript:", text)  # no Markdown link to javascript:
    assert "Note &lt;img src=x" in text
    assert "<img src=x" not in text and "<script>" not in text


@pytest.mark.browser
def test_hostile_seeds_run_no_script_in_the_browser(hostile_geodata, artifacts):
    _need_browser()
    from playwright.sync_api import sync_playwright

    env = {"TERRITORY_GEODATA": str(hostile_geodata)}
    with streamlit_server(env=env, log=hostile_geodata.parent / "streamlit.log") as (url, _pid):
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            pg = b.new_page(viewport={"width": 1280, "height": 900})
            dialogs: list[str] = []
            pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            block_outside(pg)
            pg.goto(f"{url}/?date=2024-11-30&layers=zones,points,events,sites")
            frame = pg.frame_locator(MAP_FRAME).first
            frame.locator("path.territory-date-2024-11-30").first.wait_for(state="attached", timeout=30_000)
            # Open the hostile site's popup and hover its event, so their HTML is in the DOM.
            frame.locator('.territory-site[title^="Base"]').first.wait_for(state="attached")
            map_frame = next(f for f in pg.frames if "st_folium" in (f.url or ""))
            map_frame.evaluate("() => document.querySelector('.territory-site[title^=\"Base\"]').parentElement.click()")
            pg.wait_for_timeout(500)
            popup = frame.locator(".leaflet-popup-content").first.inner_html()
            assert "&lt;script&gt;" in popup and "<script" not in popup
            assert 'href="javascript' not in popup
            pg.get_by_text("Note <img src=x", exact=False).first.wait_for(timeout=30_000)
            pg.screenshot(path=str(artifacts / "escaping.png"), full_page=True)
            pwned_main = pg.evaluate("() => window.__pwned === undefined")
            pwned_map = map_frame.evaluate("() => window.__pwned === undefined")
            links = pg.evaluate("() => [...document.querySelectorAll('a')].map(a => a.getAttribute('href') || '')")
            b.close()
        assert pwned_main and pwned_map
        assert not dialogs
        assert not any(h.lower().startswith("javascript") for h in links)
