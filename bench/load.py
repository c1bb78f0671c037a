"""Concurrent users: N headless Chromium sessions on one server, each stepping through dates and
downloading layers for a while. Reports step latency (p50/p95), errors, downloads, peak server RSS
and the CPU each part used, and checks that no session ever sees another session's date.

A step is timed in the page, from the key event to the poll that first sees the server's rerun on
the page (the download button names the new date) and, separately, the map showing the date. The
driver's round trip (Playwright's Node process and the page, both starved when the machine is busy)
is reported as ``driver_*``. Measurement starts once every page is open and has been idle for
``--settle`` seconds, and each page's first ``--warmup`` steps (cold code in a fresh page) are
reported apart, so the figures measure a steady state, not ten pages still loading.

With ``--uploaders K --upload-file F``, K more sessions each upload F once during the steps (read in
the server's worker process, within its upload budget; issue 19) and the results say how each went.

Usage: python bench/load.py [--sessions 10] [--seconds 60] [--think 2] [--settle 5] [--json OUT] [--split-cores]
       [--uploaders 2 --upload-file /tmp/acled-100k.csv]
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

from _harness import (
    CHROMIUM,
    KEY_STAMP,
    LAUNCH_ARGS,
    MAP_HAS_CLASS,
    ROOT,
    cpu_seconds_by_role,
    cpu_used,
    page_date,
    peak_rss_mb,
    percentile,
    stamped,
    streamlit_server,
)
from playwright.async_api import async_playwright

DATES = [dt.date(2024, 11, 26) + dt.timedelta(days=i) for i in range(17)]
# The server has answered the step when the download button names the new date.
# Ten pages polling on every animation frame would themselves load the two cores; 20 ms polling costs
# little and quantises each latency by at most 20 ms.
POLL_MS = 20
HAS_BUTTON = """(label) => [...document.querySelectorAll('button')].some((b) => b.textContent.includes(label))"""
MAP_SHOWN = stamped(MAP_HAS_CLASS, "map")
RERUN_SHOWN = stamped(HAS_BUTTON, "rerun")


def button_label(date: dt.date) -> str:
    return f"Download control-zones {date.isoformat()} (GeoJSON)"


async def new_page(browser):
    """A new visitor's context and page, with every request beyond this machine refused."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page = await context.new_page()

    async def route(r):
        if r.request.url.startswith(("http://127.0.0.1", "http://localhost")):
            await r.continue_()
        else:
            await r.abort()

    await page.route("**/*", route)
    return context, page


async def session(
    browser, url: str, n: int, seconds: float, stats: dict, think: float, warmup: int, gate: dict
) -> None:
    context, page = await new_page(browser)
    await page.add_init_script(KEY_STAMP)
    idx = (3 * n) % len(DATES)  # every session starts on its own date
    try:
        t_open = time.perf_counter()
        await page.goto(f"{url}/?date={DATES[idx].isoformat()}", timeout=120_000)
        await page.wait_for_function(
            MAP_HAS_CLASS, arg=f"territory-date-{DATES[idx].isoformat()}", polling=POLL_MS, timeout=120_000
        )
        stats["page_loads"].append((time.perf_counter() - t_open) * 1000)
        await page.get_by_role("tab", name="Downloads").click()
        await page.wait_for_function(HAS_BUTTON, arg=button_label(DATES[idx]), polling=POLL_MS, timeout=120_000)
        # Steady state: every session has its page before anyone steps, and the steps are staggered.
        stats["loaded"] += 1
        if stats["loaded"] == stats["sessions"]:
            gate["loaded"].set()
        await asyncio.wait_for(gate["go"].wait(), timeout=300)
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
                    MAP_SHOWN, arg=f"territory-date-{DATES[idx].isoformat()}", polling=POLL_MS, timeout=20_000
                )
                await page.wait_for_function(RERUN_SHOWN, arg=button_label(DATES[idx]), polling=POLL_MS, timeout=20_000)
            except Exception as exc:
                stats["errors"].append(f"session {n}: step to {DATES[idx]} failed: {type(exc).__name__}")
                continue
            driver_ms = (time.perf_counter() - t0) * 1000
            stamps = await page.evaluate("() => window.__stamps")
            rerun_ms, map_ms = stamps["rerun"] - stamps["key"], stamps["map"] - stamps["key"]
            warming = steps < warmup  # a page's first steps run cold code (not yet compiled by V8)
            stats["samples"].append([round(t0 - stats["t_go"], 2), n, round(rerun_ms), round(map_ms), warming])
            if warming:
                stats["warmup_latencies"].append(rerun_ms)
            else:
                stats["latencies"].append(rerun_ms)
                stats["map_latencies"].append(map_ms)
                stats["driver_latencies"].append(driver_ms)
            # The slider must show this session's own date: state never leaks between sessions.
            shown = await page.get_by_role("slider").first.get_attribute("aria-valuetext")
            if shown and shown != page_date(DATES[idx]):
                stats["leaks"].append(f"session {n}: expected {DATES[idx]}, slider shows {shown}")
            steps += 1
            if steps % 4 == 0:
                try:
                    async with page.expect_download(timeout=20_000) as info:
                        await page.get_by_role("button", name=button_label(DATES[idx])).click()
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
        # Pages stay open until every session is done, so the CPU reading covers the whole run.
        stats["done"] += 1
        if stats["done"] == stats["sessions"]:
            gate["done"].set()
        try:
            await asyncio.wait_for(gate["closing"].wait(), timeout=seconds + 300)
        finally:
            await context.close()


async def uploader(browser, url: str, n: int, data: bytes, stats: dict, gate: dict) -> None:
    """Once the steps have begun, upload ``data`` (its own name) and note how it went (issue 19)."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    try:
        await page.goto(url, timeout=120_000)
        await page.get_by_text("Your timeline").first.wait_for(timeout=120_000)
        await asyncio.wait_for(gate["go"].wait(), timeout=600)
        await asyncio.sleep(5 + 10 * n)  # staggered, within the measured window
        t0 = time.perf_counter()
        # A file on disk, not a buffer: 50 MB sent through Playwright's pipe stalls every session's driver.
        path = Path(tempfile.mkdtemp(prefix="territory-upload-")) / f"upload-{n + 1}.csv"
        path.write_bytes(data)
        await page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
            str(path), timeout=300_000
        )
        result = "no answer in 300 s"
        while time.perf_counter() - t0 < 300:
            if await page.get_by_text("Your timeline:").count():
                result = "accepted"
                break
            if await page.get_by_text("File refused").count():
                result = "refused: " + (await page.get_by_text("File refused").first.inner_text())[:160]
                break
            await asyncio.sleep(0.2)
        stats["uploads"].append({"uploader": n + 1, "result": result, "seconds": round(time.perf_counter() - t0, 1)})
    except Exception as exc:
        stats["errors"].append(f"uploader {n}: {type(exc).__name__}: {str(exc)[:120]}")
    finally:
        await asyncio.wait_for(gate["closing"].wait(), timeout=900)
        await context.close()


async def conduct(stats: dict, gate: dict, server_pid: int, settle: float, rerun_log: Path) -> None:
    """Start the steps once every page is open and the machine has settled; read CPU around them.

    Only the server reruns logged after the start count (not those of the pages opening).
    """
    try:
        await asyncio.wait_for(gate["loaded"].wait(), timeout=300)
        await asyncio.sleep(settle)
    except TimeoutError:
        stats["errors"].append("not every page opened within 300 s")
    stats["cpu_before"] = cpu_seconds_by_role(server_pid)
    stats["reruns_before"] = len(rerun_log.read_text().split())
    stats["t_go"] = time.perf_counter()
    gate["go"].set()
    await gate["done"].wait()
    stats["cpu_after"] = cpu_seconds_by_role(server_pid)
    stats["t_done"] = time.perf_counter()
    gate["closing"].set()


def pin(pid: int, cpus: set[int]) -> None:
    """Bind every thread of a process to ``cpus`` (Linux)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            os.sched_setaffinity(int(task.name), cpus)
        except (ProcessLookupError, FileNotFoundError):
            continue  # the thread ended meanwhile


async def run(
    sessions: int,
    seconds: float,
    split_cores: bool = False,
    think: float = 2.0,
    settle: float = 5.0,
    warmup: int = 3,
    uploaders: int = 0,
    upload_file: Path | None = None,
) -> dict:
    stats: dict = {
        "sessions": sessions,
        "loaded": 0,
        "done": 0,
        "page_loads": [],
        "latencies": [],
        "map_latencies": [],
        "driver_latencies": [],
        "warmup_latencies": [],
        "errors": [],
        "leaks": [],
        "downloads": 0,
        "steps": {},
        "samples": [],
        "uploads": [],
    }
    upload_data = upload_file.read_bytes() if uploaders and upload_file else b""
    rerun_log = Path(tempfile.mkstemp(prefix="territory-load-", suffix=".log")[1])
    env = {"TERRITORY_RERUN_LOG": str(rerun_log)}
    with streamlit_server(ROOT / "bench" / "timed_dashboard.py", env=env, serve=True) as (url, pid):
        own = os.sched_getaffinity(0)
        if split_cores:  # the server on the first core, the browsers (started from here) on the others
            cores = sorted(own)
            pin(pid, {cores[0]})
            os.sched_setaffinity(0, set(cores[1:]))
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            gate = {name: asyncio.Event() for name in ("loaded", "go", "done", "closing")}
            t0 = time.perf_counter()
            await asyncio.gather(
                conduct(stats, gate, pid, settle, rerun_log),
                *(session(browser, url, n, seconds, stats, think, warmup, gate) for n in range(sessions)),
                *(uploader(browser, url, n, upload_data, stats, gate) for n in range(uploaders)),
            )
            wall = time.perf_counter() - t0
            await browser.close()
        os.sched_setaffinity(0, own)
        rss = peak_rss_mb(pid)
    reruns = [float(x) for x in rerun_log.read_text().split()][stats.get("reruns_before", 0) :]
    rerun_log.unlink(missing_ok=True)
    lat = stats["latencies"]
    cpu = cpu_used(stats.get("cpu_before", {}), stats.get("cpu_after", {}))
    window = stats.get("t_done", wall) - stats.get("t_go", 0.0)

    def ms(values: list[float], q: float) -> float:
        return round(percentile(values, q), 1)

    return {
        "sessions": sessions,
        "seconds_per_session": seconds,
        "think_s": think,
        "settle_s": settle,
        "wall_s": round(wall, 1),
        "steps": len(lat),
        "warmup_steps": len(stats["warmup_latencies"]),
        "steps_per_session": stats["steps"],
        "downloads": stats["downloads"],
        # Key press -> the server's rerun has reached the page (the download button names the date).
        "p50_ms": ms(lat, 0.5),
        "p95_ms": ms(lat, 0.95),
        "max_ms": round(max(lat), 1) if lat else None,
        # Key press -> the map shows the date (drawn in the page from the slider, before the rerun).
        "map_p50_ms": ms(stats["map_latencies"], 0.5),
        "map_p95_ms": ms(stats["map_latencies"], 0.95),
        # The same steps timed by the driver (key press sent -> driver told the rerun is on the page).
        "driver_p50_ms": ms(stats["driver_latencies"], 0.5),
        "driver_p95_ms": ms(stats["driver_latencies"], 0.95),
        # Each page's first --warmup steps, left out of the figures above.
        "warmup_p50_ms": ms(stats["warmup_latencies"], 0.5),
        "warmup_max_ms": round(max(stats["warmup_latencies"]), 1) if stats["warmup_latencies"] else None,
        "page_load_p50_ms": ms(stats["page_loads"], 0.5),
        "page_load_max_ms": round(max(stats["page_loads"]), 1) if stats["page_loads"] else None,
        "errors": len(stats["errors"]),
        "error_samples": stats["errors"][:10],
        "state_leaks": len(stats["leaks"]),
        "leak_samples": stats["leaks"][:10],
        "peak_server_rss_mb": round(rss, 1),
        "server_rerun_p50_ms": ms(reruns, 0.5),
        "server_rerun_p95_ms": ms(reruns, 0.95),
        # CPU seconds each part used while the sessions stepped, and per step.
        "measured_window_s": round(window, 1),
        "cpu_s": cpu,
        "cpu_ms_per_step": {role: round(1000 * s / max(len(stats["samples"]), 1)) for role, s in cpu.items()},
        "cores_busy": round(sum(cpu.values()) / window, 2) if window > 0 else None,
        "split_cores": split_cores,
        # Extra sessions that each upload --upload-file once during the steps (issue 19).
        "uploaders": uploaders,
        "upload_file_mb": round(len(upload_data) / 1e6, 1),
        "upload_results": stats["uploads"],
        "load_average": os.getloadavg(),
        # Every step: [seconds since the steps began, session, rerun-on-page ms, map ms, warm-up step].
        "samples": sorted(stats["samples"]),
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
    ap.add_argument(
        "--think",
        type=float,
        default=2.0,
        help="seconds each session waits between steps (2: a reader's pace; 0.25 is a stress test)",
    )
    ap.add_argument("--settle", type=float, default=5.0, help="seconds of quiet after every page is open (5)")
    ap.add_argument("--warmup", type=int, default=3, help="first steps of each page reported apart (3)")
    ap.add_argument(
        "--split-cores",
        action="store_true",
        help="pin the server to one core and the browsers to the others (the clients then do not starve it)",
    )
    ap.add_argument("--uploaders", type=int, default=0, help="extra sessions that each upload --upload-file once")
    ap.add_argument("--upload-file", type=Path, help="an events file (bench/make_acled.py) for --uploaders")
    args = ap.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install -y chromium", file=sys.stderr)
        return 2
    if args.split_cores and len(os.sched_getaffinity(0)) < 2:
        print("--split-cores needs at least 2 cores", file=sys.stderr)
        return 2
    out = asyncio.run(
        run(
            args.sessions,
            args.seconds,
            args.split_cores,
            args.think,
            args.settle,
            args.warmup,
            args.uploaders,
            args.upload_file,
        )
    )
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(
        f"{out['sessions']} sessions × {out['seconds_per_session']:.0f} s (think {out['think_s']:g} s): "
        f"{out['steps']} steps (+{out['warmup_steps']} warm-up steps: p50 {out['warmup_p50_ms']} ms, max "
        f"{out['warmup_max_ms']} ms), "
        f"{out['downloads']} downloads, step (rerun arrived) p50 {out['p50_ms']} ms p95 {out['p95_ms']} ms, "
        f"map p50 {out['map_p50_ms']} ms p95 {out['map_p95_ms']} ms, "
        f"{out['sessions']} pages opened at once: map after p50 {out['page_load_p50_ms']} ms, max "
        f"{out['page_load_max_ms']} ms, {out['errors']} errors, {out['state_leaks']} state leaks, peak RSS {out['peak_server_rss_mb']} MB, "
        f"server rerun p50 {out['server_rerun_p50_ms']} ms p95 {out['server_rerun_p95_ms']} ms, "
        f"driver-timed step p50 {out['driver_p50_ms']} ms p95 {out['driver_p95_ms']} ms, "
        f"CPU ms per step {out['cpu_ms_per_step']} ({out['cores_busy']} cores busy)"
    )
    return 0 if out["errors"] == 0 and out["state_leaks"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
