"""Slider step -> map redrawn, measured as a user feels it, in headless Debian Chromium.

For N date steps (default: every date of the timeline, twice, both directions) the benchmark presses
the slider key and times until the map shows paths with the new ``territory-date-YYYY-MM-DD`` class,
polling every animation frame. Latency is taken in the page: from the key event's timestamp to the
animation frame in which the new class is first seen (the driver's round trip, which also waits for a
busy main thread, is reported as ``driver_*``), and, separately, until the day panel beside the map
names the new date (``page_settled_*``: the server's rerun has reached the page; the tabs below the
map may still be drawing). The map redraws from the slider in the page, so ``p50_ms``/``p95_ms`` and
``ratio_vs_naive`` compare in-page redraws with the naive mode's server round trips; the
``page_settled`` figures and ``settled_ratio_vs_naive`` compare the round trips. Every step starts
from a settled page. In the same run it measures the naive reference mode of the same app (map rebuilt and
re-rendered on every change), a floor (a plain Streamlit page whose text changes with the slider),
and playback at 0.25 s per day (every date's arrival on the map). Writes JSON and prints a summary.

Usage: python bench/slider_latency.py [--json OUT] [--rounds 2] [--modes ours,naive,floor] [--no-playback]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _harness import (
    CHROMIUM,
    KEY_STAMP,
    LAUNCH_ARGS,
    MAP_HAS_CLASS,
    PANEL_SHOWS_DATE,
    ROOT,
    block_outside,
    page_date,
    peak_rss_mb,
    percentile,
    stamped,
    streamlit_server,
)
from playwright.sync_api import sync_playwright

DATES = [dt.date(2024, 11, 26) + dt.timedelta(days=i) for i in range(17)]

FLOOR_HAS_TEXT = """(cls) => document.body.innerText.includes(cls)"""
# The rest of the page has caught up when the day panel's heading names the date.
PAGE_HAS_TEXT = PANEL_SHOWS_DATE


def new_page(browser):
    """A new visitor: its own context (empty cache), 1280×800, no request off this machine."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    block_outside(page)
    return context, page


def open_at(page, url: str, date: dt.date, check: str, arg: str) -> float:
    """Open the app on ``date``; seconds until ``check(arg)`` holds (polled every animation frame)."""
    t_open = time.perf_counter()
    page.goto(f"{url}/?date={date.isoformat()}")
    page.wait_for_function(check, arg=arg, polling="raf", timeout=60_000)
    return time.perf_counter() - t_open


def _plan(rounds: int) -> list[int]:
    """Step directions: forward through every date then back, ``rounds`` times."""
    n = len(DATES) - 1
    return ([+1] * n + [-1] * n) * rounds


def run_mode(browser, mode: str, rounds: int, warmup: int = 2, max_steps: int | None = None) -> dict:
    script = ROOT / ("bench/floor_app.py" if mode == "floor" else "bench/timed_dashboard.py")
    env = {"TERRITORY_BENCH_MAP": "naive"} if mode == "naive" else {}
    rerun_log = Path(tempfile.mkstemp(prefix=f"territory-{mode}-", suffix=".log")[1])
    env["TERRITORY_RERUN_LOG"] = str(rerun_log)
    check = stamped(FLOOR_HAS_TEXT if mode == "floor" else MAP_HAS_CLASS, "shown")
    settle = stamped(PAGE_HAS_TEXT, "settled")
    prefix = "territory-floor-" if mode == "floor" else "territory-date-"
    # The app as deployed (python -m territory serve); the floor is a plain streamlit run.
    with streamlit_server(script, env, serve=mode != "floor") as (url, pid):
        context, page = new_page(browser)
        received = [0]

        def on_ws(ws):
            ws.on("framereceived", lambda payload: received.__setitem__(0, received[0] + len(payload)))

        page.on("websocket", on_ws)
        page.add_init_script(KEY_STAMP)
        first_visible_s = open_at(page, url, DATES[0], check, f"{prefix}{DATES[0].isoformat()}")
        page.wait_for_timeout(500)
        slider = page.get_by_role("slider").first
        slider.focus()
        idx = 0
        times, driver, settled, sizes = [], [], [], []
        steps = _plan(rounds)[:max_steps] if max_steps else _plan(rounds)
        for k, direction in enumerate([+1] * warmup + [-1] * warmup + steps):
            idx += direction
            target = f"{prefix}{DATES[idx].isoformat()}"
            before = received[0]
            t0 = time.perf_counter()
            page.keyboard.press("ArrowRight" if direction > 0 else "ArrowLeft")
            page.wait_for_function(check, arg=target, polling="raf", timeout=30_000)
            elapsed = (time.perf_counter() - t0) * 1000
            # Each step starts from a settled page: wait for the rerun to reach the rest of the page.
            if mode != "floor":
                page.wait_for_function(settle, arg=page_date(DATES[idx]), polling="raf", timeout=30_000)
            stamps = page.evaluate("() => window.__stamps")
            page.wait_for_timeout(120)  # let the rerun's last messages arrive before the next step
            if k >= 2 * warmup:
                times.append(stamps["shown"] - stamps["key"])
                settled.append(stamps.get("settled", stamps["shown"]) - stamps["key"])
                driver.append(elapsed)
                sizes.append(received[0] - before)
        rss = peak_rss_mb(pid)
        context.close()
        # A second visitor on the now-warm server (modules imported, caches filled).
        context, page = new_page(browser)
        second = DATES[0] if mode == "floor" else DATES[5]  # the floor page has no URL state
        first_visible_warm_s = open_at(page, url, second, check, f"{prefix}{second.isoformat()}")
        context.close()
    reruns = [float(x) for x in rerun_log.read_text().split()] if rerun_log.exists() else []
    rerun_log.unlink(missing_ok=True)
    return {
        "steps": len(times),
        "p50_ms": round(percentile(times, 0.5), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "max_ms": round(max(times), 1),
        "mean_ms": round(statistics.fmean(times), 1),
        "driver_p50_ms": round(percentile(driver, 0.5), 1),
        "driver_p95_ms": round(percentile(driver, 0.95), 1),
        "page_settled_p50_ms": round(percentile(settled, 0.5), 1),
        "page_settled_p95_ms": round(percentile(settled, 0.95), 1),
        "bytes_per_step_p50": int(percentile(sizes, 0.5)),
        "bytes_per_step_max": int(max(sizes)),
        "server_rerun_p50_ms": round(percentile(reruns, 0.5), 1) if reruns else None,
        "server_rerun_p95_ms": round(percentile(reruns, 0.95), 1) if reruns else None,
        "peak_server_rss_mb": round(rss, 1),
        "first_map_s": round(first_visible_s, 2),
        "first_map_warm_s": round(first_visible_warm_s, 2),
        "samples_ms": [round(t, 1) for t in times],
    }


# Inside the map's frame: note each date the zones show, with the animation frame it appeared in.
WATCH_DATES = """() => {
  window.__shown = [];
  const tick = () => {
    const p = document.querySelector('path.territory-zone');
    const m = p && /territory-date-(\\S+)/.exec(p.getAttribute('class'));
    const last = window.__shown[window.__shown.length - 1];
    if (m && (!last || last[0] !== m[1])) window.__shown.push([m[1], performance.now()]);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""


def first_map_plain_run(browser) -> float:
    """Seconds to the first map for the first visitor of a server started with plain ``streamlit run``."""
    with streamlit_server(ROOT / "dashboard.py") as (url, _pid):
        context, page = new_page(browser)
        seconds = open_at(page, url, DATES[0], MAP_HAS_CLASS, f"territory-date-{DATES[0]}")
        context.close()
    return round(seconds, 2)


def run_playback(browser, seconds_per_day: float = 0.25) -> dict:
    """Press Play at the fastest speed and record when each date reaches the map."""
    with streamlit_server(ROOT / "dashboard.py", serve=True) as (url, _pid):
        context, page = new_page(browser)
        open_at(page, url, DATES[0], MAP_HAS_CLASS, f"territory-date-{DATES[0]}")
        page.get_by_role("combobox", name="Seconds per day").click()
        page.get_by_role("option", name=f"{seconds_per_day:g} s / day").click()
        page.wait_for_timeout(500)
        map_frame = next(f for f in page.frames if "streamlit_folium" in f.url)
        map_frame.evaluate(WATCH_DATES)
        page.get_by_role("button", name="Play").click()
        page.wait_for_function(
            MAP_HAS_CLASS, arg=f"territory-date-{DATES[-1]}", polling="raf", timeout=30_000 + 2000 * len(DATES)
        )
        page.wait_for_timeout(1000)
        shown = map_frame.evaluate("() => window.__shown")
        context.close()
    seq = [d for d, _ in shown]
    times = [t for _, t in shown]
    start = seq.index(DATES[0].isoformat()) if DATES[0].isoformat() in seq else 0
    seq, times = seq[start:], times[start:]
    intervals = [b - a for a, b in itertools.pairwise(times[1:])]  # from the first step on (not the click)
    expected = [d.isoformat() for d in DATES]
    span_s = (times[-1] - times[1]) / 1000 if len(times) > 2 else float("nan")
    return {
        "seconds_per_day": seconds_per_day,
        "dates_shown": len(seq),
        "in_order": seq == expected,
        "skipped": [d for d in expected if d not in seq],
        "dates_per_s": round((len(times) - 2) / span_s, 2) if span_s > 0 else None,
        "interval_p50_ms": round(percentile(intervals, 0.5), 1) if intervals else None,
        "interval_p95_ms": round(percentile(intervals, 0.95), 1) if intervals else None,
        "interval_max_ms": round(max(intervals), 1) if intervals else None,
        # Frames piling up would show as a growing lag behind the schedule of one date per tick.
        "lag_behind_schedule_ms": [
            round(t - times[1] - i * seconds_per_day * 1000, 1) for i, t in enumerate(times[1:])
        ],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--rounds", type=int, default=2, help="forward+backward passes (default 2)")
    ap.add_argument("--modes", default="ours,naive,floor")
    ap.add_argument("--steps", type=int, help="stop after this many measured steps per mode (smoke runs)")
    ap.add_argument("--no-playback", action="store_true", help="skip the playback measurement")
    args = ap.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install -y chromium", file=sys.stderr)
        return 2
    modes = [m.strip() for m in args.modes.split(",")]
    results = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        for mode in modes:
            print(f"measuring {mode} …", file=sys.stderr, flush=True)
            results[mode] = run_mode(browser, mode, args.rounds, max_steps=args.steps)
        plain_first_map = first_map_plain_run(browser) if "ours" in modes else None
        playback = None
        if not args.no_playback:
            print("measuring playback …", file=sys.stderr, flush=True)
            playback = run_playback(browser)
        browser.close()
    ours = results.get("ours", {})
    out = {
        "machine": {"cores": os.cpu_count()},
        "p50_ms": ours.get("p50_ms"),
        "p95_ms": ours.get("p95_ms"),
        "naive_p50_ms": results.get("naive", {}).get("p50_ms"),
        "naive_p95_ms": results.get("naive", {}).get("p95_ms"),
        "floor_p50_ms": results.get("floor", {}).get("p50_ms"),
        "floor_p95_ms": results.get("floor", {}).get("p95_ms"),
        "page_settled_p50_ms": ours.get("page_settled_p50_ms"),
        "page_settled_p95_ms": ours.get("page_settled_p95_ms"),
        "naive_page_settled_p95_ms": results.get("naive", {}).get("page_settled_p95_ms"),
        "bytes_per_step": ours.get("bytes_per_step_p50"),
        "bytes_per_step_max": ours.get("bytes_per_step_max"),
        "server_rerun_p50_ms": ours.get("server_rerun_p50_ms"),
        "server_rerun_p95_ms": ours.get("server_rerun_p95_ms"),
        "peak_server_rss_mb": ours.get("peak_server_rss_mb"),
        "first_map_s": ours.get("first_map_s"),
        "first_map_warm_s": ours.get("first_map_warm_s"),
        "first_map_streamlit_run_s": plain_first_map,
        "playback": playback,
        "modes": results,
    }
    if out["naive_p95_ms"] and out["p95_ms"]:
        out["ratio_vs_naive"] = round(out["naive_p95_ms"] / out["p95_ms"], 2)
    if out["naive_page_settled_p95_ms"] and out["page_settled_p95_ms"]:
        out["settled_ratio_vs_naive"] = round(out["naive_page_settled_p95_ms"] / out["page_settled_p95_ms"], 2)
    if out["floor_p50_ms"] and out["p50_ms"]:
        out["ratio_vs_floor_p50"] = round(out["p50_ms"] / out["floor_p50_ms"], 2)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(
        f"slider→map p50 {out['p50_ms']} ms, p95 {out['p95_ms']} ms | naive p50 {out['naive_p50_ms']} "
        f"p95 {out['naive_p95_ms']} ms (×{out.get('ratio_vs_naive')}) | floor p50 {out['floor_p50_ms']} ms "
        f"| {out['bytes_per_step']} B/step | rerun p50 {out['server_rerun_p50_ms']} ms | "
        f"RSS {out['peak_server_rss_mb']} MB | first map {out['first_map_s']} s (new server), "
        f"{out['first_map_warm_s']} s (running server), {out['first_map_streamlit_run_s']} s (new, plain "
        f"streamlit run) | page settled p50 {ours.get('page_settled_p50_ms')} p95 {ours.get('page_settled_p95_ms')} ms "
        f"(naive p95 {out['naive_page_settled_p95_ms']} ms, ×{out.get('settled_ratio_vs_naive')})"
    )
    if playback:
        print(
            f"playback at {playback['seconds_per_day']} s/day: {playback['dates_per_s']} dates/s, "
            f"{playback['dates_shown']} dates in order: {playback['in_order']}, "
            f"interval p95 {playback['interval_p95_ms']} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
