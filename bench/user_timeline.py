"""Bring-your-own-timeline at scale: a synthetic ACLED export of 100,000 rows over 2,000 days.

Generates the file with ``bench/make_acled.py`` (deterministic) and measures, each in its own process:

1. **load**: reading and checking the file and building its dataset (``read_timeline`` +
   ``with_timeline``: parse, validate, snap ~5,000 locations, new control cells), the peak RSS, then
   the map's base data (its size: what the browser holds, by part, and how it grows with the dates)
   and the per-date work: a date's states and cell holders, its frame, its statistics;
2. **slider** in headless Debian Chromium on ``python -m territory serve --events FILE``: slider step →
   map redrawn (the ``territory-date-*`` class of the new date on the zones), p50/p95, bytes per step,
   the server's peak RSS, and the browser's JS heap before and after the steps;
3. **upload**: the same file through the page's "Your timeline" box, until the banner and the map
   show it.

Targets (issue 14): load ≤ 10 s, RSS ≤ 1.5 GB, slider p95 ≤ 250 ms. Writes JSON and prints a summary.

Usage: python bench/user_timeline.py [--json bench/results/user-timeline.json] [--rows 100000]
       [--days 2000] [--locations 5000] [--steps 60] [--no-browser]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
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
)

sys.path.insert(0, str(ROOT / "bench"))
from make_acled import write_acled


def measure_load(path: Path, dates_sampled: int = 40) -> dict:
    """In this process (run it in a fresh one): load, base data, per-date work, peak RSS."""
    from territory import control, mapdata, settings, stats, usertimeline
    from territory.data import default_dataset

    started = time.perf_counter()
    ds = default_dataset()
    builtin_s = time.perf_counter() - started
    data = path.read_bytes()
    t0 = time.perf_counter()
    timeline = usertimeline.read_timeline(data, path.name, ds)
    t1 = time.perf_counter()
    user = usertimeline.with_timeline(ds, timeline)
    t2 = time.perf_counter()
    base = mapdata.base_data(user)
    t3 = time.perf_counter()
    parts = {k: len(mapdata.js_json(v)) for k, v in base.items()}
    rng = random.Random(1)
    sample = sorted(rng.sample(user.dates, dates_sampled))
    state_ms, frame_ms, frame_bytes, stats_ms = [], [], [], []
    for date in sample:
        a = time.perf_counter()
        control.place_states(user, date)
        control.cell_controllers(user, date)
        b = time.perf_counter()
        frame = mapdata.frame_data(user, date, settings.DEFAULT_DEPTHS_MILES, settings.DEFAULT_MAP_LAYERS)
        c = time.perf_counter()
        stats.stats(user, date, settings.DEFAULT_DEPTHS_MILES)
        d = time.perf_counter()
        state_ms.append((b - a) * 1000)
        frame_ms.append((c - b) * 1000)
        stats_ms.append((d - c) * 1000)
        frame_bytes.append(len(frame))
    deltas = base["deltas"]
    return {
        "file_bytes": len(data),
        "rows": timeline.rows,
        "dates": len(user.dates),
        "places": len(user.places),
        "cells": len(user.cells),
        "origin": user.origin,
        "builtin_dataset_s": round(builtin_s, 2),
        "read_and_validate_s": round(t1 - t0, 2),
        "dataset_s": round(t2 - t1, 2),
        "load_s": round(t2 - t0, 2),
        "base_data_s": round(t3 - t2, 2),
        "base_bytes": len(mapdata.js_json(base)),
        "base_bytes_by_part": parts,
        # What the browser holds per date: the deltas (only what changed), not dates × cells.
        "per_date_bytes_mean": round(parts["deltas"] / len(deltas), 1),
        "dates_x_cells_codes": len(user.dates) * len(user.cells),
        "delta_cell_codes": sum(len(d.get("c", [])) // 2 for d in deltas),
        "date_state_p50_ms": round(percentile(state_ms, 0.5), 1),
        "date_state_p95_ms": round(percentile(state_ms, 0.95), 1),
        "frame_p50_ms": round(percentile(frame_ms, 0.5), 1),
        "frame_p95_ms": round(percentile(frame_ms, 0.95), 1),
        "frame_bytes_p50": int(percentile(frame_bytes, 0.5)),
        "frame_bytes_max": max(frame_bytes),
        "stats_p50_ms": round(percentile(stats_ms, 0.5), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


DRAWN_DATES = """() => window.TERRITORY_BASE && document.querySelector('path.territory-zone')
  ? window.TERRITORY_BASE.dates.length : null"""
# The map frame's live JS heap after a full garbage collection (Chromium started with --expose-gc).
JS_HEAP = """() => { if (window.gc) window.gc(); const m = performance.memory; return m ? m.usedJSHeapSize : null; }"""


def measure_slider(path: Path, steps: int) -> dict:
    """Slider steps in Chromium on a server started with the file (``serve --events``)."""
    from playwright.sync_api import sync_playwright
    from tests.harness import MAP_FRAME, streamlit_server

    check = stamped(MAP_HAS_CLASS, "shown")
    env = {"TERRITORY_EVENTS": str(path)}
    with streamlit_server(env=env, serve=True, timeout=180) as (url, pid), sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=[*LAUNCH_ARGS, "--enable-precise-memory-info", "--js-flags=--expose-gc"]
        )
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        block_outside(page)
        received = [0]
        page.on("websocket", lambda ws: ws.on("framereceived", lambda m: received.__setitem__(0, received[0] + len(m))))
        page.add_init_script(KEY_STAMP)
        t_open = time.perf_counter()
        page.goto(url)
        page.frame_locator(MAP_FRAME).locator("path.territory-zone").first.wait_for(state="attached", timeout=120_000)
        first_map_s = time.perf_counter() - t_open
        page.wait_for_timeout(1500)
        frame = next(f for f in page.frames if "streamlit_folium" in f.url)
        dates = frame.evaluate("() => window.TERRITORY_BASE.dates")
        heap_before = frame.evaluate(JS_HEAP)
        idx = len(dates) - 1  # the page opens on the last date
        slider = page.get_by_role("slider").first
        slider.focus()
        times, settled, sizes, plan = [], [], [], [-1] * (steps // 2) + [+1] * (steps - steps // 2)
        settle = stamped(PANEL_SHOWS_DATE, "settled")
        for k, direction in enumerate([-1, -1, +1, +1, *plan]):
            idx += direction
            before = received[0]
            page.keyboard.press("ArrowLeft" if direction < 0 else "ArrowRight")
            page.wait_for_function(check, arg=f"territory-date-{dates[idx]}", polling="raf", timeout=60_000)
            day = dt.date.fromisoformat(dates[idx])
            # The rest of the page (day panel, statistics) has caught up when the panel names the date.
            page.wait_for_function(settle, arg=page_date(day), polling="raf", timeout=60_000)
            stamps = page.evaluate("() => window.__stamps")
            page.wait_for_timeout(150)
            if k >= 4:
                times.append(stamps["shown"] - stamps["key"])
                settled.append(stamps["settled"] - stamps["key"])
                sizes.append(received[0] - before)
        # A jump across the timeline (Home: the first date; End: the last) redraws from the deltas too.
        jumps = []
        for key, target in (("Home", dates[0]), ("End", dates[-1])):
            page.keyboard.press(key)
            page.wait_for_function(check, arg=f"territory-date-{target}", polling="raf", timeout=60_000)
            stamps = page.evaluate("() => window.__stamps")
            jumps.append(round(stamps["shown"] - stamps["key"], 1))
            page.wait_for_timeout(1500)
        heap_after = frame.evaluate(JS_HEAP)
        rss = peak_rss_mb(pid)
        context.close()
        browser.close()
    return {
        "dates": len(dates),
        "steps": len(times),
        "first_map_s": round(first_map_s, 2),
        "p50_ms": round(percentile(times, 0.5), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "max_ms": round(max(times), 1),
        "mean_ms": round(statistics.fmean(times), 1),
        "jump_first_last_ms": jumps,
        "page_settled_p50_ms": round(percentile(settled, 0.5), 1),
        "page_settled_p95_ms": round(percentile(settled, 0.95), 1),
        "bytes_per_step_p50": int(percentile(sizes, 0.5)),
        "bytes_per_step_max": int(max(sizes)),
        "js_heap_mb_before": round(heap_before / 1e6, 1) if heap_before else None,
        "js_heap_mb_after": round(heap_after / 1e6, 1) if heap_after else None,
        "peak_server_rss_mb": round(rss, 1),
        "samples_ms": [round(t, 1) for t in times],
    }


def measure_upload(path: Path) -> dict:
    """The file through the page's upload box, on a server with the built-in timeline."""
    from playwright.sync_api import sync_playwright
    from tests.harness import MAP_FRAME, streamlit_server

    with streamlit_server(serve=True, timeout=120) as (url, pid), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        block_outside(page)
        page.goto(url)
        page.frame_locator(MAP_FRAME).locator("path.territory-zone").first.wait_for(state="attached", timeout=60_000)
        started = time.perf_counter()
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(path))
        page.get_by_text("Your timeline:").wait_for(timeout=180_000)
        banner_s = time.perf_counter() - started
        # The map has the file's timeline when its base data holds the file's dates and its zones are drawn.
        n_dates = None
        while time.perf_counter() - started < 180:
            for frame in page.frames:
                if "streamlit_folium" in frame.url:
                    try:
                        n_dates = frame.evaluate(DRAWN_DATES)
                    except Exception:  # a frame being replaced
                        n_dates = None
                    if n_dates and n_dates > 1000:
                        break
            if n_dates and n_dates > 1000:
                break
            page.wait_for_timeout(50)
        map_s = time.perf_counter() - started
        rss = peak_rss_mb(pid)
        browser.close()
    return {
        "banner_s": round(banner_s, 2),
        "map_s": round(map_s, 2),
        "map_dates": n_dates,
        "peak_server_rss_mb": round(rss, 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=2000)
    ap.add_argument("--locations", type=int, default=5000)
    ap.add_argument("--steps", type=int, default=60, help="slider steps measured (half back, half forward)")
    ap.add_argument("--no-browser", action="store_true", help="only the load and per-date measurements")
    ap.add_argument("--load-only", type=Path, help=argparse.SUPPRESS)  # internal: measure_load in a fresh process
    args = ap.parse_args(argv)
    if args.load_only:
        print(json.dumps(measure_load(args.load_only)))
        return 0
    with tempfile.TemporaryDirectory(prefix="territory-acled-") as tmp:
        path = Path(tmp) / "acled-synthetic.csv"
        t = time.perf_counter()
        summary = write_acled(path, rows=args.rows, days=args.days, locations=args.locations)
        print(
            f"generated {path.name}: {summary['rows']:,} rows, {summary['bytes'] / 1e6:.1f} MB in "
            f"{time.perf_counter() - t:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        print("measuring load and per-date work …", file=sys.stderr, flush=True)
        proc = subprocess.run(
            [sys.executable, __file__, "--load-only", str(path)], capture_output=True, text=True, check=True, cwd=ROOT
        )
        load = json.loads(proc.stdout)
        slider = upload = None
        if not args.no_browser:
            if not Path(CHROMIUM).exists():
                print(f"{CHROMIUM} is missing: apt-get install -y chromium", file=sys.stderr)
                return 2
            print("measuring the slider in Chromium …", file=sys.stderr, flush=True)
            slider = measure_slider(path, args.steps)
            print("measuring an upload through the page …", file=sys.stderr, flush=True)
            upload = measure_upload(path)
    out = {
        "machine": {"cores": os.cpu_count()},
        "generated": {k: v for k, v in summary.items() if k != "path"},
        "targets": {"load_s": 10, "rss_mb": 1536, "slider_p95_ms": 250},
        "load": load,
        "slider": slider,
        "upload": upload,
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(
        f"load {load['load_s']} s (read+check {load['read_and_validate_s']} s, dataset {load['dataset_s']} s), "
        f"peak RSS {load['peak_rss_mb']} MB; base data {load['base_bytes'] / 1e6:.2f} MB for {load['dates']} dates "
        f"({load['per_date_bytes_mean']} B of deltas per date); date state p95 {load['date_state_p95_ms']} ms, "
        f"frame p95 {load['frame_p95_ms']} ms"
    )
    if slider:
        print(
            f"slider→map p50 {slider['p50_ms']} ms, p95 {slider['p95_ms']} ms over {slider['steps']} steps (page "
            f"settled p50 {slider['page_settled_p50_ms']} ms, p95 {slider['page_settled_p95_ms']} ms); jumps "
            f"{slider['jump_first_last_ms']} ms; {slider['bytes_per_step_p50']} B/step; server RSS "
            f"{slider['peak_server_rss_mb']} MB; JS heap {slider['js_heap_mb_before']} → {slider['js_heap_mb_after']} MB"
        )
    if upload:
        print(f"upload through the page: banner {upload['banner_s']} s, map {upload['map_s']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
