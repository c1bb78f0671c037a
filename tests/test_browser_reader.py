"""A first-time reader's five seconds, in headless Debian Chromium at a phone's and a laptop's size.

Place names drawn as text, Syria's whole outline in the map's visible box, a legend that hides little,
a history strip with one mark per spell, ``?place=`` by name, a click at a disputed ring, and a refused
upload that leaves the box empty with its reason in the main area.
"""

from __future__ import annotations

import pytest

from territory import history, settings

from .harness import MAP_FRAME
from .test_browser import _need_browser, browser, server  # noqa: F401  (fixtures shared with the page tests)

pytestmark = pytest.mark.browser

SIZES = {"phone": (390, 844), "wide": (1400, 900)}
NAMES = ("Aleppo", "Idlib", "Hama", "Homs", "Damascus", "Deir ez-Zor", "Latakia")


@pytest.fixture(params=list(SIZES))
def sized(request, browser, server):  # noqa: F811
    width, height = SIZES[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    pg = context.new_page()
    pg.route(
        "**/*",
        lambda r: r.continue_() if r.request.url.startswith(("http://127.0.0.1", "data:", "blob:")) else r.abort(),
    )
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.page_errors = errors
    pg.size_name = request.param
    yield pg
    context.close()


def _map_frame(page):
    return next(f for f in page.frames if "st_folium" in (f.url or ""))


def _open(page, url: str, date: str) -> None:
    page.goto(url)
    frame = page.frame_locator(MAP_FRAME).first
    frame.locator(f"path.territory-date-{date}").first.wait_for(state="attached", timeout=60_000)
    frame.locator(".territory-label").first.wait_for(state="attached", timeout=30_000)
    page.wait_for_timeout(800)  # the iframe's last resize and the labels' layout after it


def test_opening_view_names_the_cities_and_fits_syria(sized, server, artifacts):  # noqa: F811
    page = sized
    _open(page, f"{server}/", settings.OPENING_DATE.isoformat())
    assert f"date={settings.OPENING_DATE.isoformat()}" in page.url  # the day Aleppo fell, with no date asked
    view = _map_frame(page).evaluate(
        """() => {
        const box = document.querySelector('.leaflet-container').getBoundingClientRect();
        const inBox = (r) => r.left >= box.left - 1 && r.top >= box.top - 1 && r.right <= box.right + 1
                             && r.bottom <= box.bottom + 1;
        const labels = [...document.querySelectorAll('.territory-label')].map((n) => {
          const r = n.getBoundingClientRect();
          return {text: n.textContent, shown: r.width > 0 && inBox(r), r: [r.left, r.top, r.right, r.bottom],
                  changed: n.classList.contains('territory-label-changed')};
        });
        let out = {left: Infinity, top: Infinity, right: -Infinity, bottom: -Infinity};
        for (const p of document.querySelectorAll('path.territory-governorate')) {
          const r = p.getBoundingClientRect();
          out = {left: Math.min(out.left, r.left), top: Math.min(out.top, r.top),
                 right: Math.max(out.right, r.right), bottom: Math.max(out.bottom, r.bottom)};
        }
        const legend = document.querySelector('.territory-legend');
        const lr = legend.getBoundingClientRect();
        return {box: [box.left, box.top, box.right, box.bottom], syria: [out.left, out.top, out.right, out.bottom],
                labels, legendOpen: legend.open, legendShare: lr.width * lr.height / (box.width * box.height)};
    }"""
    )
    shown = {lab["text"] for lab in view["labels"] if lab["shown"]}
    assert set(NAMES) <= shown, (page.size_name, sorted(shown))
    # No two names overlap.
    boxes = [lab["r"] for lab in view["labels"] if lab["shown"]]
    for i, a in enumerate(boxes):
        for b in boxes[:i]:
            assert not (a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5), (a, b)
    # The places that changed hands on the day stand out (Aleppo fell on 30 Nov).
    assert any(lab["changed"] and lab["text"] == "Aleppo" for lab in view["labels"])
    box, syria = view["box"], view["syria"]
    assert syria[0] >= box[0] - 1 and syria[1] >= box[1] - 1 and syria[2] <= box[2] + 1 and syria[3] <= box[3] + 1
    assert (syria[2] - syria[0]) > 0.8 * (box[2] - box[0]) or (syria[3] - syria[1]) > 0.8 * (box[3] - box[1])
    assert view["legendOpen"] == (page.size_name == "wide")  # folded on phones
    assert view["legendShare"] <= 0.15, view["legendShare"]
    # The slider names its first and last dates at its ends, for people.
    ends = page.locator('[data-testid="stSliderTickBar"]').first
    assert [t for t in ends.inner_text().split("\n") if t.strip()] == ["Tue 26 Nov 2024", "Thu 12 Dec 2024"]
    assert float(ends.evaluate("(n) => getComputedStyle(n).opacity")) == 1
    page.screenshot(path=str(artifacts / f"opening-{page.size_name}.png"))

    # One click to the north-west and back; the names follow the new frame.
    frame = page.frame_locator(MAP_FRAME).first
    frame.get_by_role("button", name="North-west").click()
    frame.get_by_role("button", name="All of Syria").wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    zoomed = _map_frame(page).evaluate("() => document.querySelectorAll('.territory-label').length")
    assert zoomed > 0
    page.screenshot(path=str(artifacts / f"north-west-{page.size_name}.png"))
    frame.get_by_role("button", name="All of Syria").click()
    frame.get_by_role("button", name="North-west").wait_for(timeout=30_000)
    assert not page.page_errors, page.page_errors


def test_place_by_name_opens_its_history_strip(sized, server, ds):  # noqa: F811
    page = sized
    page.goto(f"{server}/?place=kuweires&date=2024-12-02")
    strip = page.locator(".territory-strip").first
    strip.wait_for(timeout=60_000)
    spells = history.place_history(ds, "kuweires-air-base")
    assert page.locator(".territory-strip .territory-spell").count() == len(spells) >= 2
    page.get_by_text("python -m territory history kuweires-air-base").first.wait_for(timeout=30_000)
    assert (
        page.get_by_text("still held on Thu 12 Dec 2024").count()
        + page.locator('.territory-spell[title*="still held on Thu 12 Dec 2024"]').count()
        >= 1
    )
    assert "place=kuweires-air-base" in page.url
    assert not page.get_by_text("is not a place id").count()


def test_a_click_at_a_disputed_ring_opens_both_claims(sized, server):  # noqa: F811
    page = sized
    _open(page, f"{server}/?date=2024-11-30", "2024-11-30")
    frame = page.frame_locator(MAP_FRAME).first
    frame.get_by_role("button", name="North-west").click()  # close enough to aim at one ring
    page.wait_for_timeout(600)
    mf = _map_frame(page)
    # The ring at Hama (its centre is the place's own position).
    centre = mf.evaluate(
        """() => {
        const B = window.TERRITORY_BASE, p = B.places.ids.indexOf('hamah');
        const map = window[Object.keys(window).find((k) => k.startsWith('map_') && window[k] && window[k].latLngToContainerPoint)];
        const pt = map.latLngToContainerPoint(B.places.xy[p]);
        const box = map.getContainer().getBoundingClientRect();
        return [pt.x + box.left, pt.y + box.top];
    }"""
    )
    page.locator(MAP_FRAME).first.scroll_into_view_if_needed()
    iframe = page.locator(MAP_FRAME).first.bounding_box()
    hit = mf.evaluate("([x, y]) => document.elementFromPoint(x, y).getAttribute('class')", centre)
    assert "territory-disputed" in (hit or ""), hit  # the ring is on top of whatever marks the place
    page.mouse.click(iframe["x"] + centre[0], iframe["y"] + centre[1])
    content = frame.locator(".leaflet-popup-content").first
    content.wait_for(state="visible", timeout=30_000)
    text = content.inner_text()
    assert "Hama" in text and "Disputed" in text, text
    # Both claims: the map's holder (fighting in the city) and Al Jazeera Mubasher's (the army gone, HTS in).
    assert "Held by: Contested" in text and "another source has HTS-led" in text, text
    assert not page.page_errors, page.page_errors


def test_a_refused_upload_empties_the_box_and_says_why_in_the_main_area(sized, server, tmp_path):  # noqa: F811
    page = sized
    _open(page, f"{server}/", settings.OPENING_DATE.isoformat())
    bad = tmp_path / "not-events.csv"
    bad.write_text("foo,bar\n1,2\n", encoding="utf-8")
    if page.size_name == "phone":  # the sidebar starts folded on phones
        page.locator(
            '[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button'
        ).first.click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(bad))
    main = page.locator('[data-testid="stMain"]')
    reason = main.get_by_text("is neither the seeds' events.csv").first
    reason.wait_for(timeout=60_000)
    assert "not-events.csv" in reason.inner_text()
    assert page.locator('[data-testid="stSidebar"]').get_by_text("is neither the seeds'").count() == 0
    assert page.locator('[data-testid="stFileUploaderFile"]').count() == 0  # the box is empty again
    assert not page.page_errors, page.page_errors
