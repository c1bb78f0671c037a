"""Concurrent users: N headless Chromium sessions on one server, each stepping through dates and
downloading layers for a while. Reports step latency (p50/p95), errors, downloads and peak server RSS,
and checks that no session ever sees another session's date.

Usage: python bench/load.py [--sessions 10] [--seconds 60] [--think 0.25] [--json OUT] [--split-cores]
Traffic goes only to the server this script starts on 127.0.0.1; every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from _harness import CHROMIUM, LAUNCH_ARGS, MAP_HAS_CLASS, ROOT, peak_rss_mb, percentile, streamlit_server
from playwright.async_api import async_playwright

DATES = [dt.date(2024, 11, 26) + dt.timedelta(days=i) for i in range(17)]
# The server has answered the step when the download button names the new date.
# Ten pages polling on every animation frame would themselves load the two cores; 20 ms polling costs
# little and quantises each latency by at most 20 ms.
POLL_MS = 20
HAS_BUTTON = """(label) => [...document.querySelectorAll('button')].some((b) => b.textContent.includes(label))"""


async def session(browser, url: str, n: int, seconds: float, stats: dict, think: float) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page = await context.new_page()

    async def route(r):
        if r.request.url.startswith(("http://127.0.0.1", "http://localhost")):
            await r.continue_()
        else:
            await r.abort()

    await page.route("**/*", route)
    idx = (3 * n) % len(DATES)  # every session starts on its own date
    try:
        t_open = time.perf_counter()
        await page.goto(f"{url}/?date={DATES[idx].isoformat()}", timeout=120_000)
        await page.wait_for_function(
            MAP_HAS_CLASS, arg=f"territory-date-{DATES[idx].isoformat()}", polling=POLL_MS, timeout=120_000
        )
        stats["page_loads"].append((time.perf_counter() - t_open) * 1000)
        await page.get_by_role("tab", name="Downloads").click()
        # Steady state: every session has its page before anyone steps, and the steps are staggered.
        stats["loaded"] += 1
        while stats["loaded"] < stats["sessions"] and time.perf_counter() - t_open < 120:
            await asyncio.sleep(0.1)
        await asyncio.sleep(think * n / stats["sessions"])
        direction = 1
        deadline = time.perf_counter() + seconds
        steps = 0
        while time.perf_counter() < deadline:
            if idx + direction not in range(len(DATES)):
                direction = -direction
            idx += direction
            await page.get_by_role("slider").first.focus()
            t0 = time.perf_counter()
            await page.keyboard.press("ArrowRight" if direction > 0 else "ArrowLeft")
            try:
                await page.wait_for_function(
                    MAP_HAS_CLASS, arg=f"territory-date-{DATES[idx].isoformat()}", polling=POLL_MS, timeout=20_000
                )
            except Exception as exc:
                stats["errors"].append(f"session {n}: step to {DATES[idx]} failed: {type(exc).__name__}")
                continue
            stats["map_latencies"].append((time.perf_counter() - t0) * 1000)
            label = f"Download control-zones {DATES[idx].isoformat()} (GeoJSON)"
            try:
                await page.wait_for_function(HAS_BUTTON, arg=label, polling=POLL_MS, timeout=20_000)
            except Exception as exc:
                stats["errors"].append(f"session {n}: rerun for {DATES[idx]} never arrived: {type(exc).__name__}")
                continue
            stats["latencies"].append((time.perf_counter() - t0) * 1000)
            # The slider must show this session's own date: state never leaks between sessions.
            shown = await page.get_by_role("slider").first.get_attribute("aria-valuetext")
            if shown and shown != DATES[idx].isoformat():
                stats["leaks"].append(f"session {n}: expected {DATES[idx]}, slider shows {shown}")
            steps += 1
            if steps % 4 == 0:
                try:
                    async with page.expect_download(timeout=20_000) as info:
                        await page.get_by_role("button", name=label).click()
                    download = await info.value
                    path = await download.path()
                    data = json.loads(Path(path).read_text(encoding="utf-8"))
                    if data.get("metadata", {}).get("date") != DATES[idx].isoformat():
                        stats["leaks"].append(
                            f"session {n}: download for {data.get('metadata', {}).get('date')} on {DATES[idx]}"
                        )
                    stats["downloads"] += 1
                except Exception as exc:
                    stats["errors"].append(f"session {n}: download failed: {type(exc).__name__}")
            await asyncio.sleep(think)  # think time between steps
        stats["steps"][n] = steps
    except Exception as exc:
        stats["errors"].append(f"session {n}: {type(exc).__name__}: {str(exc)[:120]}")
    finally:
        await context.close()


def pin(pid: int, cpus: set[int]) -> None:
    """Bind every thread of a process to ``cpus`` (Linux)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            os.sched_setaffinity(int(task.name), cpus)
        except (ProcessLookupError, FileNotFoundError):
            continue  # the thread ended meanwhile


async def run(sessions: int, seconds: float, split_cores: bool = False, think: float = 0.25) -> dict:
    stats: dict = {
        "sessions": sessions,
        "loaded": 0,
        "page_loads": [],
        "latencies": [],
        "map_latencies": [],
        "errors": [],
        "leaks": [],
        "downloads": 0,
        "steps": {},
    }
    rerun_log = Path(tempfile.mkstemp(prefix="territory-load-", suffix=".log")[1])
    env = {"TERRITORY_RERUN_LOG": str(rerun_log)}
    with streamlit_server(ROOT / "dashboard.py", env=env, serve=True) as (url, pid):
        own = os.sched_getaffinity(0)
        if split_cores:  # the server on the first core, the browsers (started from here) on the others
            cores = sorted(own)
            pin(pid, {cores[0]})
            os.sched_setaffinity(0, set(cores[1:]))
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            t0 = time.perf_counter()
            await asyncio.gather(*(session(browser, url, n, seconds, stats, think) for n in range(sessions)))
            wall = time.perf_counter() - t0
            await browser.close()
        os.sched_setaffinity(0, own)
        rss = peak_rss_mb(pid)
    reruns = [float(x) for x in rerun_log.read_text().split()]
    rerun_log.unlink(missing_ok=True)
    lat = stats["latencies"]
    return {
        "sessions": sessions,
        "seconds_per_session": seconds,
        "think_s": think,
        "wall_s": round(wall, 1),
        "steps": len(lat),
        "steps_per_session": stats["steps"],
        "downloads": stats["downloads"],
        # Key press -> the server's rerun has reached the page (the download button names the date).
        "p50_ms": round(percentile(lat, 0.5), 1),
        "p95_ms": round(percentile(lat, 0.95), 1),
        "max_ms": round(max(lat), 1) if lat else None,
        # Key press -> the map shows the date (drawn in the page from the slider, before the rerun).
        "page_load_p50_ms": round(percentile(stats["page_loads"], 0.5), 1),
        "page_load_max_ms": round(max(stats["page_loads"]), 1) if stats["page_loads"] else None,
        "map_p50_ms": round(percentile(stats["map_latencies"], 0.5), 1),
        "map_p95_ms": round(percentile(stats["map_latencies"], 0.95), 1),
        "errors": len(stats["errors"]),
        "error_samples": stats["errors"][:10],
        "state_leaks": len(stats["leaks"]),
        "leak_samples": stats["leaks"][:10],
        "peak_server_rss_mb": round(rss, 1),
        "server_rerun_p50_ms": round(percentile(reruns, 0.5), 1),
        "server_rerun_p95_ms": round(percentile(reruns, 0.95), 1),
        "split_cores": split_cores,
        "note": (
            "server on one core, the browsers on the rest"
            if split_cores
            else "browsers and server share every core; step latency includes Chromium rendering"
        ),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--think", type=float, default=0.25, help="seconds each session waits between steps (0.25)")
    ap.add_argument(
        "--split-cores",
        action="store_true",
        help="pin the server to one core and the browsers to the others (the clients then do not starve it)",
    )
    args = ap.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install -y chromium", file=sys.stderr)
        return 2
    if args.split_cores and len(os.sched_getaffinity(0)) < 2:
        print("--split-cores needs at least 2 cores", file=sys.stderr)
        return 2
    out = asyncio.run(run(args.sessions, args.seconds, args.split_cores, args.think))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(
        f"{out['sessions']} sessions × {out['seconds_per_session']:.0f} s (think {out['think_s']:g} s): "
        f"{out['steps']} steps, "
        f"{out['downloads']} downloads, step (rerun arrived) p50 {out['p50_ms']} ms p95 {out['p95_ms']} ms, "
        f"map p50 {out['map_p50_ms']} ms p95 {out['map_p95_ms']} ms, "
        f"{out['sessions']} pages opened at once: map after p50 {out['page_load_p50_ms']} ms, max "
        f"{out['page_load_max_ms']} ms, {out['errors']} errors, {out['state_leaks']} state leaks, peak RSS {out['peak_server_rss_mb']} MB, "
        f"server rerun p50 {out['server_rerun_p50_ms']} ms p95 {out['server_rerun_p95_ms']} ms"
    )
    return 0 if out["errors"] == 0 and out["state_leaks"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
