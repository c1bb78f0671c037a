"""Slider step -> map redrawn, measured as a user feels it, in headless Debian Chromium.

For N date steps (default: every date of the timeline, twice, both directions) the benchmark presses
the slider key and times until the map shows paths with the new ``territory-date-YYYY-MM-DD`` class,
polling every animation frame. In the same run it measures the naive reference mode of the same app
(map rebuilt and re-rendered on every change) and a floor (a plain Streamlit page whose text changes
with the slider). Writes JSON and prints a one-line summary.

Usage: python bench/slider_latency.py [--json OUT] [--rounds 2] [--modes ours,naive,floor]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _harness import CHROMIUM, LAUNCH_ARGS, MAP_FRAME, ROOT, block_outside, peak_rss_mb, percentile, streamlit_server
from playwright.sync_api import sync_playwright

DATES = [dt.date(2024, 11, 26) + dt.timedelta(days=i) for i in range(17)]

MAP_HAS_CLASS = """(cls) => {
  const f = document.querySelector('%s');
  if (!f || !f.contentDocument) return false;
  return f.contentDocument.querySelector('path.' + cls) !== null;
}""" % MAP_FRAME.replace("'", "\\'")
FLOOR_HAS_TEXT = """(cls) => document.body.innerText.includes(cls)"""


def _plan(rounds: int) -> list[int]:
    """Step directions: forward through every date then back, ``rounds`` times."""
    n = len(DATES) - 1
    return ([+1] * n + [-1] * n) * rounds


def run_mode(browser, mode: str, rounds: int, warmup: int = 2, max_steps: int | None = None) -> dict:
    script = ROOT / ("bench/floor_app.py" if mode == "floor" else "dashboard.py")
    env = {"TERRITORY_MAP_MODE": "naive"} if mode == "naive" else {}
    rerun_log = Path(tempfile.mkstemp(prefix=f"territory-{mode}-", suffix=".log")[1])
    env["TERRITORY_RERUN_LOG"] = str(rerun_log)
    check = FLOOR_HAS_TEXT if mode == "floor" else MAP_HAS_CLASS
    prefix = "territory-floor-" if mode == "floor" else "territory-date-"
    with streamlit_server(script, env) as (url, pid):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        block_outside(page)
        received = [0]

        def on_ws(ws):
            ws.on("framereceived", lambda payload: received.__setitem__(0, received[0] + len(payload)))

        page.on("websocket", on_ws)
        t_open = time.perf_counter()
        page.goto(f"{url}/?date={DATES[0].isoformat()}")
        page.wait_for_function(check, arg=f"{prefix}{DATES[0].isoformat()}", polling="raf", timeout=60_000)
        first_visible_s = time.perf_counter() - t_open
        page.wait_for_timeout(500)
        slider = page.get_by_role("slider").first
        slider.focus()
        idx = 0
        times, sizes = [], []
        steps = _plan(rounds)[:max_steps] if max_steps else _plan(rounds)
        for k, direction in enumerate([+1] * warmup + [-1] * warmup + steps):
            idx += direction
            target = f"{prefix}{DATES[idx].isoformat()}"
            before = received[0]
            t0 = time.perf_counter()
            page.keyboard.press("ArrowRight" if direction > 0 else "ArrowLeft")
            page.wait_for_function(check, arg=target, polling="raf", timeout=30_000)
            elapsed = (time.perf_counter() - t0) * 1000
            page.wait_for_timeout(120)  # let the rerun's last messages arrive before the next step
            if k >= 2 * warmup:
                times.append(elapsed)
                sizes.append(received[0] - before)
        rss = peak_rss_mb(pid)
        context.close()
        # A second visitor on the now-warm server (modules imported, caches filled).
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        block_outside(page)
        t_open = time.perf_counter()
        second = DATES[0] if mode == "floor" else DATES[5]  # the floor page has no URL state
        page.goto(f"{url}/?date={second.isoformat()}")
        page.wait_for_function(check, arg=f"{prefix}{second.isoformat()}", polling="raf", timeout=60_000)
        first_visible_warm_s = time.perf_counter() - t_open
        context.close()
    reruns = [float(x) for x in rerun_log.read_text().split()] if rerun_log.exists() else []
    rerun_log.unlink(missing_ok=True)
    return {
        "steps": len(times),
        "p50_ms": round(percentile(times, 0.5), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "max_ms": round(max(times), 1),
        "mean_ms": round(statistics.fmean(times), 1),
        "bytes_per_step_p50": int(percentile(sizes, 0.5)),
        "bytes_per_step_max": int(max(sizes)),
        "server_rerun_p50_ms": round(percentile(reruns, 0.5), 1) if reruns else None,
        "server_rerun_p95_ms": round(percentile(reruns, 0.95), 1) if reruns else None,
        "peak_server_rss_mb": round(rss, 1),
        "first_map_s": round(first_visible_s, 2),
        "first_map_warm_s": round(first_visible_warm_s, 2),
        "samples_ms": [round(t, 1) for t in times],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--rounds", type=int, default=2, help="forward+backward passes (default 2)")
    ap.add_argument("--modes", default="ours,naive,floor")
    ap.add_argument("--steps", type=int, help="stop after this many measured steps per mode (smoke runs)")
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
        "bytes_per_step": ours.get("bytes_per_step_p50"),
        "bytes_per_step_max": ours.get("bytes_per_step_max"),
        "server_rerun_p50_ms": ours.get("server_rerun_p50_ms"),
        "server_rerun_p95_ms": ours.get("server_rerun_p95_ms"),
        "peak_server_rss_mb": ours.get("peak_server_rss_mb"),
        "first_map_s": ours.get("first_map_s"),
        "first_map_warm_s": ours.get("first_map_warm_s"),
        "modes": results,
    }
    if out["naive_p95_ms"] and out["p95_ms"]:
        out["ratio_vs_naive"] = round(out["naive_p95_ms"] / out["p95_ms"], 2)
    if out["floor_p50_ms"] and out["p50_ms"]:
        out["ratio_vs_floor_p50"] = round(out["p50_ms"] / out["floor_p50_ms"], 2)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(
        f"slider→map p50 {out['p50_ms']} ms, p95 {out['p95_ms']} ms | naive p50 {out['naive_p50_ms']} "
        f"p95 {out['naive_p95_ms']} ms (×{out.get('ratio_vs_naive')}) | floor p50 {out['floor_p50_ms']} ms "
        f"| {out['bytes_per_step']} B/step | rerun p50 {out['server_rerun_p50_ms']} ms | "
        f"RSS {out['peak_server_rss_mb']} MB | first map {out['first_map_s']} s (cold server), "
        f"{out['first_map_warm_s']} s (warm)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
