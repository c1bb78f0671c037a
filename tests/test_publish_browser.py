"""The published site in headless Debian Chromium, served by a plain static file server, offline."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from territory import appstate, mapdata, settings

from .conftest import run_cli
from .harness import static_server
from .test_browser import _need_browser, browser  # noqa: F401  (the page tests' Chromium, shared)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    _need_browser()
    out = tmp_path_factory.mktemp("published") / "site"
    proc = run_cli("publish", "-o", str(out))
    assert proc.returncode == 0, proc.stderr.decode()
    return out


@pytest.fixture(scope="module")
def url(site):
    with static_server(site) as base:
        yield base


@pytest.fixture
def page(browser, url):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    outside: list[str] = []
    seen: list[str] = []

    def route(r):
        u = r.request.url
        if u.startswith((url + "/", "data:", "blob:")):
            r.continue_()
        else:
            outside.append(u)
            r.abort()

    pg.route("**/*", route)
    pg.on("request", lambda r: seen.append(r.url))
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.outside_requests, pg.requests_seen, pg.page_errors = outside, seen, errors
    yield pg
    assert not errors, errors
    assert not outside, f"requests left the host: {outside[:5]}"
    context.close()


def _wait_date(pg, date: str) -> None:
    pg.locator(f"path.territory-zone.territory-date-{date}").first.wait_for(state="attached", timeout=20_000)
    pg.locator(f"#map.territory-date-{date}").wait_for(state="attached", timeout=20_000)


def _human(date) -> str:
    return f"{date:%a} {date.day} {date:%b %Y}"


def _zone_fills(pg) -> list[str]:
    """Each cell's colour (thinly-held cells are filled with a pattern in their holder's colour)."""
    fills = pg.eval_on_selector_all("path.territory-zone", "ps => ps.map(p => p.getAttribute('fill'))")
    return [re.sub(r"^url\(#territory-thin-([0-9a-f]{6})\)$", r"#\1", f) for f in fills]


def _expected_fills(ds, day: int, palette: str = settings.PALETTE_DEFAULT) -> list[str]:
    colours = mapdata.palette(palette)
    codes = mapdata.replay(mapdata.base_data(ds), day)["cells"]
    return [colours[settings.CONTROLLERS[c]] for c in codes]


def test_map_draws_and_stepping_dates_recolours_the_zones_as_the_dashboard_does(page, url, ds):
    page.goto(f"{url}/index.html")
    last = len(ds.dates) - 1
    opening = ds.dates.index(appstate.default_date(ds))  # the dashboard's opening date
    _wait_date(page, ds.dates[opening].isoformat())
    assert page.locator("input[type=range]#date").get_attribute("max") == str(last)
    assert _zone_fills(page) == _expected_fills(ds, opening)
    for _ in range(last - opening):
        page.click("#next")
    _wait_date(page, ds.dates[last].isoformat())
    assert _zone_fills(page) == _expected_fills(ds, last)
    before = _zone_fills(page)
    for _ in range(last - 3):  # back to 29 Nov, a day at a time
        page.click("#prev")
    day = 3
    _wait_date(page, ds.dates[day].isoformat())
    assert page.locator(f"path.territory-date-{ds.dates[last].isoformat()}").count() == 0
    assert _zone_fills(page) == _expected_fills(ds, day) != before
    # The slider itself, as a reader drags it.
    page.locator("#date").fill("5")
    _wait_date(page, ds.dates[5].isoformat())
    assert _zone_fills(page) == _expected_fills(ds, 5)
    assert page.locator("#date-label").inner_text() == _human(ds.dates[5])
    page.wait_for_function("d => location.search.includes('date=' + d)", arg=ds.dates[5].isoformat())
    # The day panel follows, also back on a date whose file was fetched before.
    page.wait_for_function("t => document.querySelector('#day h2')?.textContent === t", arg=_human(ds.dates[5]))
    page.locator("#date").fill("3")
    page.wait_for_function("t => document.querySelector('#day h2')?.textContent === t", arg=_human(ds.dates[3]))
    assert page.requests_seen and all(u.startswith((url, "data:", "blob:")) for u in page.requests_seen)


def test_a_url_with_date_bands_and_palette_opens_that_view(page, url, ds):
    page.goto(f"{url}/index.html?date=2024-11-30&depths=10,22&layers=zones,buffers&palette=colour-blind+safe")
    _wait_date(page, "2024-11-30")
    day = [d.isoformat() for d in ds.dates].index("2024-11-30")
    assert page.locator("#date").input_value() == str(day)
    assert _zone_fills(page) == _expected_fills(ds, day, "colour-blind safe")
    assert page.locator("path.territory-band").count() == 2
    assert page.locator(".territory-event").count() == 0  # events are not among the layers asked for
    checked = page.eval_on_selector_all("#bands input:checked", "xs => xs.map(x => x.value)")
    assert checked == ["10", "22"]
    # The bands' figures, as `stats` gives them for that date.
    rows = page.locator("#figures tr[data-depth]")
    rows.first.wait_for()
    assert rows.count() == 2
    cli = json.loads(run_cli("stats", "--date", "2024-11-30", "--depths", "10,22").stdout)
    for b in cli["buffers"]:
        row = page.locator(f'#figures tr[data-depth="{b["depth_miles"]:g}"]')
        cells = row.locator("td").all_inner_texts()
        assert cells[2] == f"{b['area_km2']:,.1f}" and cells[3] == f"{b['places']:,}"
        assert cells[4] == f"{b['population']:,}"
        total = sum(b["held_km2"].values())
        for side, km in b["held_km2"].items():
            if km:
                text = row.locator(f'.held[data-side="{side}"]').inner_text()
                assert f"{km:,.1f} km² ({100 * km / total:.1f}%)" in text, (side, text)


def test_a_popup_cites_its_source_in_a_new_tab(page, url):
    page.goto(f"{url}/index.html?date=2024-12-01")
    _wait_date(page, "2024-12-01")
    page.locator(".territory-site").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    link = popup.locator("a[href^='http']").first
    assert link.get_attribute("target") == "_blank"
    assert "Source:" in popup.inner_text()
    history = popup.locator("a.territory-history")
    assert "place=" in history.get_attribute("href")


@pytest.mark.parametrize("asked", ["kuweires-air-base", "Kuweires", "ḩalab"])
def test_a_place_history_opens_from_the_url(page, url, ds, asked):
    """?place= takes an id, a name or an alternative name, or a name's first words, like `history PLACE`."""
    from territory import history

    place = history.resolve_place(ds, asked)
    page.goto(f"{url}/index.html?place={asked}")
    box = page.locator("#history table.spells")
    box.wait_for(timeout=20_000)
    assert page.locator("#history h2").inner_text() == f"History of {ds.places.at[place, 'name']}"
    spells = history.place_history(ds, place)
    assert box.locator("tr").count() == len(spells) + 1
    assert box.locator("a[href^='https://']").count() >= 1


def test_downloads_equal_the_cli_export(page, url):
    page.goto(f"{url}/index.html?date=2024-12-02")
    _wait_date(page, "2024-12-02")
    for layer in (settings.LAYER_CONTROL_ZONES, settings.LAYER_EVENTS, settings.LAYER_BORDER):
        target = page.locator(f'#downloads [data-layer="{layer}"]')
        target.wait_for()
        with page.expect_download() as info:
            target.click()
        got = Path(info.value.path()).read_bytes()
        assert info.value.suggested_filename == f"territory-{layer}-2024-12-02.geojson"
        proc = run_cli("export", layer, "--date", "2024-12-02", "-o", "-")
        assert proc.returncode == 0 and got == proc.stdout, layer
    with page.expect_download() as info:
        page.click('#downloads [data-layer="all"]')
    proc = run_cli("export", "all", "--date", "2024-12-02", "-o", "-")
    assert Path(info.value.path()).read_bytes() == proc.stdout


def test_embed_shows_only_the_map_the_slider_and_the_legend(page, url):
    page.set_viewport_size({"width": 640, "height": 480})
    page.goto(f"{url}/index.html?embed=1&date=2024-11-29&depths=22")
    _wait_date(page, "2024-11-29")
    assert page.locator("#map").is_visible() and page.locator("#date").is_visible()
    assert page.locator(".territory-legend").is_visible()
    for hidden in ("header", "#day", "#options", "#figures", "#downloads", "#embed", "footer", "#prev", "#play"):
        assert not page.locator(hidden).is_visible(), hidden
    box = page.locator("#map").bounding_box()
    assert box["height"] > 380 and box["width"] > 600  # the iframe's size, not the page's
    page.locator("#date").fill("4")
    _wait_date(page, "2024-11-30")
    page.wait_for_function("() => location.search.includes('date=2024-11-30')")
    assert "embed=1" in page.url and re.search(r"depths=22(&|$)", page.url)


def test_the_embed_snippet_reproduces_the_view(page, url):
    page.goto(f"{url}/index.html?date=2024-12-03&depths=6")
    _wait_date(page, "2024-12-03")
    page.wait_for_function("() => document.querySelector('#embed-code').value.includes('date=2024-12-03')")
    code = page.locator("#embed-code").input_value()
    m = re.search(r'<iframe src="([^"]+)"', code)
    assert m and "embed=1" in m.group(1) and "date=2024-12-03" in m.group(1) and "depths=6" in m.group(1)
    page.goto(m.group(1))
    _wait_date(page, "2024-12-03")
    assert not page.locator("#figures").is_visible()
