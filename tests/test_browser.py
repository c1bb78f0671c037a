"""End-to-end: the real app in headless Debian Chromium (Playwright), with the network blocked."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
from pathlib import Path

import pytest

from territory import control, settings

from .conftest import ROOT, run_cli
from .harness import CHROMIUM, LAUNCH_ARGS, MAP_FRAME, streamlit_server

pytestmark = pytest.mark.browser


def _need_browser() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{CHROMIUM} is missing under CI=true: install Debian's chromium (apt-get install -y chromium)")
    pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium)")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _need_browser()
    with streamlit_server(log=tmp_path_factory.mktemp("server") / "streamlit.log") as (url, _pid):
        yield url


@pytest.fixture(scope="module")
def browser():
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    pg = context.new_page()
    outside: list[str] = []

    def route(r):
        u = r.request.url
        if u.startswith(("http://127.0.0.1", "http://localhost", "ws://127.0.0.1", "data:", "blob:")):
            r.continue_()
        else:
            outside.append(u)
            r.abort()

    pg.route("**/*", route)
    pg.outside_requests = outside
    seen: list[str] = []  # every request the page and its frames made, as the browser saw it
    pg.on("request", lambda r: seen.append(r.url))
    pg.requests_seen = seen
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.page_errors = errors
    yield pg
    context.close()


def _day_panel(pg, date: str):
    """The day panel's heading for a date ("Fri 29 Nov 2024"), not the slider's label of the same date."""
    return pg.locator('[data-testid="stMarkdownContainer"] strong').filter(has_text=re.compile(f"^{re.escape(date)}$"))


def _wait_for_zone_date(pg, date: str, timeout: float = 30_000) -> None:
    frame = pg.frame_locator(MAP_FRAME).first
    frame.locator(f"path.territory-date-{date}").first.wait_for(state="attached", timeout=timeout)


def test_map_draws_with_no_network(page, server, artifacts):
    page.goto(f"{server}/?date=2024-11-26")
    _wait_for_zone_date(page, "2024-11-26")
    frame = page.frame_locator(MAP_FRAME).first
    assert frame.locator("path.territory-zone").count() >= 4
    assert frame.locator(".leaflet-container").count() == 1
    # The comparison (plain HTML) and the charts (Vega-Lite ships with Streamlit) draw offline too.
    page.locator("table.territory-compare").wait_for(state="visible", timeout=30_000)
    assert page.locator("table.territory-compare tbody tr").count() == 5
    assert page.locator(".territory-share span").count() >= 5
    page.get_by_role("tab", name="Over time").click()
    page.locator('[data-testid="stVegaLiteChart"]').nth(1).wait_for(state="visible", timeout=30_000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / "baseline-2024-11-26.png"), full_page=True)
    assert not page.page_errors, page.page_errors
    # The page asked nothing of the outside world (a request that tried would be in this list,
    # blocked), and it did load its own map assets from this server.
    assert page.outside_requests == []
    local = [u for u in page.requests_seen if u.startswith(server)]
    outside = [u for u in page.requests_seen if not u.startswith((server, "data:", "blob:", "about:"))]
    assert outside == [], outside[:5]
    for asset in (
        "/app/static/vendor/leaflet/leaflet.js",
        "/app/static/territory/territory.js",
        "/app/static/territory/basemap.js",
    ):
        assert any(asset in u for u in local), (asset, local[:20])


def test_serve_runs_the_dashboard(browser, tmp_path):
    """`python -m territory serve` (libraries and data loaded before the first visitor) serves the same app."""
    with streamlit_server(serve=True, log=tmp_path / "serve.log") as (url, _pid):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        try:
            pg = context.new_page()
            pg.goto(f"{url}/?date=2024-12-01")
            _wait_for_zone_date(pg, "2024-12-01")
            _day_panel(pg, "Sun 1 Dec 2024").first.wait_for(timeout=30_000)
        finally:
            context.close()
    log = (tmp_path / "serve.log").read_text(encoding="utf-8", errors="replace")
    assert "loading libraries and geodata" in log and "Traceback" not in log


def test_slider_redraws_zones_for_the_new_date(page, server, artifacts):
    page.goto(f"{server}/?date=2024-11-29")
    _wait_for_zone_date(page, "2024-11-29")
    thumb = page.get_by_role("slider").first
    thumb.focus()
    page.keyboard.press("ArrowRight")
    _wait_for_zone_date(page, "2024-11-30")
    frame = page.frame_locator(MAP_FRAME).first
    assert frame.locator("path.territory-date-2024-11-29").count() == 0
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / "after-step-2024-11-30.png"), full_page=True)
    assert "date=2024-11-30" in page.url


def test_shared_url_restores_date_and_bands(page, server, artifacts):
    page.goto(f"{server}/?date=2024-12-01&depths=10,22&layers=zones,buffers,sites")
    _wait_for_zone_date(page, "2024-12-01")
    frame = page.frame_locator(MAP_FRAME).first
    labels = frame.locator(".territory-band-label").all_inner_texts()
    assert sorted(labels) == ["10 mi", "22 mi"]
    assert frame.locator(".territory-site").count() >= 8
    page.screenshot(path=str(artifacts / "shared-url-2024-12-01.png"), full_page=True)


def test_download_is_valid_geojson_equal_to_cli(page, server, tmp_path):
    page.goto(f"{server}/?date=2024-12-02&depths=6,22")
    _wait_for_zone_date(page, "2024-12-02")
    page.get_by_role("tab", name="Downloads").click()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download control-zones 2024-12-02 (GeoJSON)").click()
    download = info.value
    assert download.suggested_filename == "territory-control-zones-2024-12-02.geojson"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection" and data["features"]
    cli = run_cli("export", "control-zones", "--date", "2024-12-02", "--depths", "6,22", "-o", "-")
    assert path.read_bytes() == cli.stdout


def test_narrow_phone_viewport(browser, server, artifacts):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    pg = context.new_page()
    pg.goto(f"{server}/?date=2024-12-05")
    _wait_for_zone_date(pg, "2024-12-05")
    pg.screenshot(path=str(artifacts / "phone-2024-12-05.png"), full_page=False)
    # The date controls keep to two rows (previous, slider, next; Play and speed), so the map starts
    # on the first screen instead of below five stacked rows.
    prev = pg.get_by_role("button", name="Previous day").bounding_box()
    slider = pg.locator(".st-key-date").first.bounding_box()
    nxt = pg.get_by_role("button", name="Next day").bounding_box()
    play = pg.get_by_role("button", name="Play").bounding_box()
    assert abs(prev["y"] - nxt["y"]) < 5 and prev["x"] < slider["x"] < nxt["x"], (prev, slider, nxt)
    assert slider["width"] > 200, slider
    assert play["y"] > prev["y"] + prev["height"] / 2
    top = pg.locator(MAP_FRAME).first.bounding_box()["y"]
    assert top < 600, f"the map starts {top:.0f} px down a 844 px screen"
    context.close()


def test_sessions_keep_their_own_date(browser, server):
    """Two users on one server: stepping one never moves the other."""
    ca, cb = browser.new_context(), browser.new_context()
    try:
        pa, pb = ca.new_page(), cb.new_page()
        pa.goto(f"{server}/?date=2024-11-27")
        pb.goto(f"{server}/?date=2024-12-09")
        _wait_for_zone_date(pa, "2024-11-27")
        _wait_for_zone_date(pb, "2024-12-09")
        pa.get_by_role("slider").first.focus()
        pa.keyboard.press("ArrowRight")
        _wait_for_zone_date(pa, "2024-11-28")
        pa.keyboard.press("ArrowRight")
        _wait_for_zone_date(pa, "2024-11-29")
        pb.wait_for_timeout(500)
        frame_b = pb.frame_locator(MAP_FRAME).first
        assert frame_b.locator("path.territory-date-2024-12-09").count() > 0
        assert frame_b.locator("path.territory-date-2024-11-29").count() == 0
        pb.get_by_role("slider").first.focus()
        pb.keyboard.press("ArrowLeft")
        _wait_for_zone_date(pb, "2024-12-08")
        pa.wait_for_timeout(500)
        assert pa.frame_locator(MAP_FRAME).first.locator("path.territory-date-2024-11-29").count() > 0
        assert "date=2024-11-29" in pa.url and "date=2024-12-08" in pb.url
    finally:
        ca.close()
        cb.close()


def _zone_fills(pg) -> list[str]:
    """The fill colour of every control-zone path, in cell order (Leaflet adds them in that order).

    Thinly-held cells are filled with their side's dotted pattern, named after the colour.
    """
    fills = (
        pg.frame_locator(MAP_FRAME)
        .first.locator("path.territory-zone")
        .evaluate_all("(paths) => paths.map((p) => p.getAttribute('fill'))")
    )
    return [re.sub(r"^url\(#territory-thin-([0-9a-fA-F]{6})\)$", r"#\1", f) for f in fills]


def _event_marks(pg) -> list[tuple[str, float]]:
    """(stroke colour, radius) of every event marker on the map (radius from the circle's SVG arc)."""
    return (
        pg.frame_locator(MAP_FRAME)
        .first.locator("path.territory-event")
        .evaluate_all(
            "(paths) => paths.map((p) => [p.getAttribute('stroke'), parseFloat(/a([0-9.]+),/.exec(p.getAttribute('d'))[1])])"
        )
    )


def test_event_markers_follow_the_date_both_ways(page, server, ds):
    """The date's own events are drawn large and black, earlier ones small in their side's colour.

    The map restyles only the markers whose look changes, so stepping forward and back must still
    leave every marker as the engine's events say.
    """
    from territory import mapdata

    events = mapdata.base_data(ds)["events"]
    colours = settings.PALETTES["conventional"]

    def expected(date: str) -> list[tuple[str, float]]:
        day = [d.isoformat() for d in ds.dates].index(date)
        marks = [
            ("#000000", 9.0) if d == day else (colours[settings.CONTROLLERS[c]], 5.0)
            for d, c in zip(events["day"], events["c"], strict=True)
            if d <= day
        ]
        return sorted(marks)

    page.goto(f"{server}/?date=2024-11-30")
    _wait_for_zone_date(page, "2024-11-30")
    page.get_by_role("slider").first.focus()
    for key, date in (
        ("", "2024-11-30"),
        ("ArrowRight", "2024-12-01"),
        ("ArrowRight", "2024-12-02"),
        ("ArrowLeft", "2024-12-01"),
    ):
        if key:
            page.keyboard.press(key)
            _wait_for_zone_date(page, date)
        marks = sorted(tuple(mark) for mark in _event_marks(page))
        assert marks == expected(date), date
        assert any(r == 9.0 for _, r in marks), f"no event of {date} drawn large"
    assert not page.page_errors, page.page_errors


STALE_WATCH = """() => {
  window.__stale = [];
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.target.getAttribute('data-stale') !== 'true' || !r.target.closest('.st-key-timeline')) continue;
      const cs = getComputedStyle(r.target);
      window.__stale.push([cs.opacity, cs.transitionDuration]);
    }
  }).observe(document.body, {attributes: true, subtree: true, attributeFilter: ['data-stale']});
}"""


def _starts_a_run(message: str | bytes) -> bool:
    """Whether a message from Streamlit's server is the one that starts a (fragment) run."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    return isinstance(message, bytes) and ForwardMsg.FromString(message).WhichOneof("type") == "new_session"


def test_timeline_reruns_do_not_fade(page, server):
    """While a step's rerun runs, the timeline's elements stay as they are: no stale fade.

    (The delayed fade's transition, started and cancelled on every element at every step, made
    Chromium re-raster the page twice per step.)
    """
    # The rerun must last long enough for Streamlit to mark the timeline stale, however quick the
    # server is (a cached date answers in a few ms): after the message that starts the step's run,
    # the server's messages are held back, as on a slow network or a busy server.
    state: dict = {"armed": False, "holding": False, "held": [], "page_ws": None}

    def relay(ws):
        upstream = ws.connect_to_server()
        state["page_ws"] = ws
        ws.on_message(upstream.send)

        def from_server(message):
            if state["holding"]:
                state["held"].append(message)
                return
            ws.send(message)
            if state["armed"] and _starts_a_run(message):
                state["armed"], state["holding"] = False, True

        upstream.on_message(from_server)

    page.route_web_socket("**/_stcore/stream", relay)
    page.goto(f"{server}/?date=2024-11-29")
    _wait_for_zone_date(page, "2024-11-29")
    _day_panel(page, "Fri 29 Nov 2024").first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    page.evaluate(STALE_WATCH)
    page.get_by_role("slider").first.focus()
    state["armed"] = True
    page.keyboard.press("ArrowRight")
    # Hold from the run's start until the page marks the timeline stale (or 10 s pass): a fixed hold
    # counted from the key press could end before a busy server had even started the run.
    for _ in range(300):
        if state["holding"]:
            break
        page.wait_for_timeout(100)
    assert state["holding"], "the server started no run in 30 s after the slider step"
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with contextlib.suppress(PlaywrightTimeout):  # no stale mark: the assertion below says so
        page.wait_for_function("() => window.__stale.length > 0", timeout=10_000)
    state["holding"] = False
    for message in state["held"]:
        state["page_ws"].send(message)
    _day_panel(page, "Sat 30 Nov 2024").first.wait_for(timeout=30_000)
    stale = page.evaluate("() => window.__stale")
    assert stale, "the step's rerun marked no timeline element stale (has Streamlit's markup changed?)"
    assert all(opacity == "1" and duration == "0s" for opacity, duration in stale), stale


def test_map_follows_the_slider_before_the_server_answers(page, server):
    """The map redraws from the slider at once; the day panel waits for the server's rerun.

    The server's messages are held back while the key is pressed, so only the page itself can have
    redrawn the map.
    """
    held: list = []
    state: dict = {"hold": False, "page_ws": None}

    def relay(ws):
        upstream = ws.connect_to_server()
        state["page_ws"] = ws
        ws.on_message(upstream.send)
        upstream.on_message(lambda m: held.append(m) if state["hold"] else ws.send(m))

    page.route_web_socket("**/_stcore/stream", relay)
    page.goto(f"{server}/?date=2024-11-29")
    _wait_for_zone_date(page, "2024-11-29")
    _day_panel(page, "Fri 29 Nov 2024").first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    state["hold"] = True
    page.get_by_role("slider").first.focus()
    page.keyboard.press("ArrowRight")
    _wait_for_zone_date(page, "2024-11-30", timeout=20_000)
    page.wait_for_timeout(300)
    assert _day_panel(page, "Sat 30 Nov 2024").count() == 0  # the rerun has not arrived
    assert _day_panel(page, "Fri 29 Nov 2024").count() > 0
    state["hold"] = False
    for message in held:
        state["page_ws"].send(message)
    _day_panel(page, "Sat 30 Nov 2024").first.wait_for(timeout=30_000)
    assert not page.page_errors, page.page_errors


def test_fast_steps_end_on_the_slider_date_with_its_colours(page, server, ds):
    """Keys pressed faster than the server answers: the map follows the slider, never a stale rerun.

    The map redraws from the slider at once and only restyles the cells that changed, so after a burst
    of steps every cell must carry the final date's colour, as the engine computes it.
    """
    page.goto(f"{server}/?date=2024-11-28")
    _wait_for_zone_date(page, "2024-11-28")
    page.get_by_role("slider").first.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    _wait_for_zone_date(page, "2024-12-03")
    _day_panel(page, "Tue 3 Dec 2024").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)  # every rerun of the burst has reached the map by now
    frame = page.frame_locator(MAP_FRAME).first
    for day in ("2024-11-29", "2024-11-30", "2024-12-01", "2024-12-02"):
        assert frame.locator(f"path.territory-date-{day}").count() == 0
    colours = settings.PALETTES["conventional"]
    expected = [colours[c] for c in control.cell_controllers(ds, dt.date(2024, 12, 3))]
    assert _zone_fills(page) == expected
    # And back again, one step at a time, through the server's frames as well.
    page.keyboard.press("ArrowLeft")
    _wait_for_zone_date(page, "2024-12-02")
    _day_panel(page, "Mon 2 Dec 2024").first.wait_for(timeout=30_000)
    assert _zone_fills(page) == [colours[c] for c in control.cell_controllers(ds, dt.date(2024, 12, 2))]
    assert not page.page_errors, page.page_errors


def test_play_runs_through_every_date_and_stops(page, server):
    """Play at the fastest speed: every date reaches the map in order, then playback stops by itself."""
    page.goto(f"{server}/?date=2024-12-06")
    _wait_for_zone_date(page, "2024-12-06")
    page.get_by_role("combobox", name="Seconds per day").click()
    page.get_by_role("option", name="0.25 s / day").click()
    page.wait_for_timeout(500)
    map_frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    map_frame.evaluate(
        """() => {
          window.seen = [];
          const tick = () => {
            const p = document.querySelector('path.territory-zone');
            const m = p && /territory-date-(\\S+)/.exec(p.getAttribute('class'));
            if (m && window.seen[window.seen.length - 1] !== m[1]) window.seen.push(m[1]);
            requestAnimationFrame(tick);
          };
          tick();
        }"""
    )
    page.get_by_role("button", name="Play").click()
    _wait_for_zone_date(page, "2024-12-12")
    page.get_by_role("button", name="Play").wait_for(timeout=30_000)  # back to Play at the end
    assert map_frame.evaluate("() => window.seen") == [f"2024-12-{d:02d}" for d in range(6, 13)]
    assert "date=2024-12-12" in page.url
    assert not page.page_errors, page.page_errors


def test_disputed_place_history_link_and_two_dates(page, server, artifacts):
    """A disputed place shows both claims; its popup opens its history; D1/D2 gives the CLI's numbers."""
    page.goto(f"{server}/?date=2024-11-30&layers=zones,points,sites")
    _wait_for_zone_date(page, "2024-11-30")
    frame = page.frame_locator(MAP_FRAME).first
    rings = frame.locator("path.territory-disputed")
    rings.first.wait_for(state="attached", timeout=30_000)
    map_frame = next(f for f in page.frames if "st_folium" in (f.url or ""))
    popup_html, previous = "", None
    content = frame.locator(".leaflet-popup-content").first
    for i in range(rings.count()):  # the ring of Kuweires Air Base (TRT World dates its capture a day later)
        map_frame.evaluate(
            "(i) => document.querySelectorAll('path.territory-disputed')[i].dispatchEvent(new MouseEvent('click', {bubbles: true}))",
            i,
        )
        for _ in range(100):  # this ring's popup, however busy the machine (each ring is another place)
            popup_html = content.inner_text() if content.count() and content.is_visible() else ""
            if popup_html and popup_html != previous:
                break
            page.wait_for_timeout(100)
        previous = popup_html
        if "Kuweires" in popup_html:
            break
    assert "Kuweires" in popup_html and "Disputed" in popup_html
    assert "كويرس" in popup_html or "Enab" in popup_html or "Source:" in popup_html
    page.screenshot(path=str(artifacts / "disputed-kuweires.png"))
    with page.context.expect_page(timeout=30_000) as opened:
        frame.locator("a.territory-history").first.click()
    history = opened.value
    history.route("**/*", lambda r: r.continue_() if r.request.url.startswith(server) else r.abort())
    history.wait_for_load_state()
    assert "place=kuweires-air-base" in history.url and "date=2024-11-30" in history.url
    history.get_by_text("python -m territory history kuweires-air-base").first.wait_for(timeout=60_000)
    history.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)  # the spells' table
    history.screenshot(path=str(artifacts / "history-kuweires.png"), full_page=True)
    history.close()

    page.goto(f"{server}/?date=2024-12-02&since=2024-11-28")
    _wait_for_zone_date(page, "2024-12-02")
    page.get_by_text("From Thu 28 Nov 2024 to Mon 2 Dec 2024").first.wait_for(timeout=30_000)
    cli = json.loads(run_cli("export", "changes", "--since", "2024-11-28", "--date", "2024-12-02", "-o", "-").stdout)
    frame.locator("path.territory-change").first.wait_for(state="attached", timeout=30_000)
    assert frame.locator("path.territory-change").count() >= len(cli["features"]) > 0
    page.screenshot(path=str(artifacts / "compare-dates.png"), full_page=True)
    assert not page.page_errors, page.page_errors


def _map_place_ids(page) -> list[str]:
    for f in page.frames:
        if "st_folium" in (f.url or "") or "streamlit_folium" in (f.url or ""):
            try:
                ids = f.evaluate("() => window.TERRITORY_BASE ? window.TERRITORY_BASE.places.ids : null")
            except Exception:  # a frame being replaced
                continue
            if ids:
                return ids
    return []


def _wait_for_map_places(page, has: str, present: bool) -> None:
    for _ in range(600):
        if (has in _map_place_ids(page)) == present:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the map's places never {'included' if present else 'lost'} {has}")


def test_uploaded_timeline_redraws_the_page_and_goes_back(page, server, ds, tmp_path, artifacts):
    """The "Your timeline" box: the map, slider and downloads show the file's timeline for this session,
    a bad file is refused in one line with the timeline kept, and the way back restores the built-in one."""
    import subprocess

    from .test_usertimeline import _break, acled_rows, write_acled

    def tree_state() -> str:
        return subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all", "--", ".", ":!tests/artifacts"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    before = tree_state()
    good = write_acled(tmp_path / "my-acled.csv", acled_rows(ds))
    page.goto(f"{server}/?date=2024-12-03&layers=zones,points,events")
    _wait_for_zone_date(page, "2024-12-03")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(good))
    page.get_by_text("Your timeline: my-acled.csv").first.wait_for(timeout=120_000)
    _wait_for_map_places(page, "acled-bir-testfar", present=True)
    _wait_for_zone_date(page, "2024-12-03")  # the date is kept (the file's timeline holds it)
    page.screenshot(path=str(artifacts / "your-timeline.png"), full_page=True)

    page.get_by_role("tab", name="Downloads").click()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download control-zones 2024-12-03 (GeoJSON)").click()
    data = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert data["metadata"]["timeline"]["file"] == "my-acled.csv"
    assert data["metadata"]["timeline"].pop("uploaded") is True  # through the page
    cli = json.loads(run_cli("--events", str(good), "export", "control-zones", "--date", "2024-12-03").stdout)
    assert data == cli  # the page's download is the command line's export of the same file

    bad = _break("bad-date", good.read_bytes(), ds, tmp_path)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(bad))
    warning = page.get_by_text("'31 Febuary 2024' is not a date").first
    warning.wait_for(timeout=60_000)
    assert "row 3 (line 4), column 'event_date'" in warning.inner_text()
    assert "still showing your previous timeline" in warning.inner_text()
    assert page.get_by_text("Your timeline: my-acled.csv").count() == 1  # the good file is still shown
    _wait_for_map_places(page, "acled-bir-testfar", present=True)  # (the map may be redrawing)

    page.get_by_role("button", name="Back to the built-in timeline").first.click()
    page.get_by_text("Your timeline:").first.wait_for(state="detached", timeout=60_000)
    _wait_for_map_places(page, "acled-bir-testfar", present=False)
    assert tree_state() == before  # nothing written into the project by the uploads
    assert not page.page_errors, page.page_errors


def test_serve_with_an_events_file(browser, ds, tmp_path):
    """``python -m territory --events FILE serve``: every visitor starts on that file's timeline."""
    import subprocess
    import sys
    import time
    import urllib.request

    from .harness import free_port
    from .test_usertimeline import acled_rows, write_acled

    path = write_acled(tmp_path / "served.csv", acled_rows(ds))
    port = free_port()
    args = [sys.executable, "-m", "territory", "--events", str(path), "serve", "--server.port", str(port)]
    args += ["--server.headless", "true", "--server.address", "127.0.0.1"]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                assert proc.poll() is None, "serve stopped"
                time.sleep(0.2)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(url)
        page.get_by_text("Your timeline: served.csv").first.wait_for(timeout=120_000)
        _wait_for_map_places(page, "acled-bir-testfar", present=True)
        assert page.get_by_role("button", name="Back to the built-in timeline").count() == 0  # the server's own
        context.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_upload_with_unmapped_actors_loads_and_maps_them_in_one_step(page, server, ds, tmp_path):
    """An ACLED file with actors the mapping lacks loads; the banner lists them; the mapping it offers,
    filled in and uploaded with the events, applies."""
    import csv
    import io

    from .test_acled_actors import LEFT_OUT, real_rows
    from .test_usertimeline import write_acled

    events = write_acled(tmp_path / "real-acled.csv", real_rows(ds))
    page.goto(f"{server}/?date=2024-12-04")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(events))
    page.get_by_text("Your timeline: real-acled.csv").first.wait_for(timeout=120_000)
    page.get_by_text("8 territorial rows of 5 actors with no side").first.wait_for(timeout=60_000)
    listed = page.locator('[data-testid="stText"]').first.inner_text()
    assert [line.strip() for line in listed.splitlines()] == [
        f"{a['rows']}  {a['actor']}  ({a['mapping']})" for a in LEFT_OUT
    ]
    with page.expect_download() as info:
        page.get_by_role("button", name="Actor mapping to fill in (CSV)").click()
    assert info.value.suggested_filename == "real-acled-actors.csv"
    text = Path(info.value.path()).read_text(encoding="utf-8")
    template = tmp_path / "template.csv"
    assert run_cli("--events", str(events), "check", "--template", str(template)).returncode == 0
    assert text == template.read_text(encoding="utf-8")  # the page offers what the command line writes
    rows = list(csv.DictReader(io.StringIO(text)))
    rows[0]["controller"] = "sna"  # Brigade of the Test
    filled = tmp_path / "my-actors.csv"
    with filled.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["pattern", "controller", "note"])
        writer.writeheader()
        writer.writerows(rows)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').nth(1).set_input_files(str(filled))
    page.get_by_text("5 territorial rows of 4 actors with no side").first.wait_for(timeout=120_000)
    assert "Brigade of the Test" not in page.locator('[data-testid="stText"]').first.inner_text()
    assert not page.page_errors, page.page_errors
