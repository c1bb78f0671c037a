"""Uploads on a shared server (issue 19): another session's date steps while a file is read, and memory.

1. **stall**: one headless Chromium session steps the date every ``--think`` seconds (key press to
   the server's rerun on the page, as ``bench/load.py`` times it), first idle, then while another
   session uploads the ``--file`` (``bench/make_acled.py``'s 100,000 rows); p50/p95/max for both.
2. **memory**: the server's RSS before, after ``--uploads`` sessions each upload the same file under
   its own name (each is read once: the budget counts them; past it, an upload is refused), and after
   those sessions have closed (the server runs with ``--server.disconnectedSessionTTL 5``, so
   Streamlit drops a closed session's state a few seconds later).

Usage: python bench/make_acled.py -o /tmp/acled-100k.csv
       python bench/make_acled.py -o /tmp/acled-20k.csv --rows 20000 --days 400
       python bench/uploads.py --file /tmp/acled-100k.csv --memory-file /tmp/acled-20k.csv [--uploads 8]
           [--json bench/results/uploads.json]
Traffic goes only to the server this script starts on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from pathlib import Path

from _harness import CHROMIUM, KEY_STAMP, LAUNCH_ARGS, ROOT, percentile, streamlit_server
from load import DATES, HAS_BUTTON, POLL_MS, RERUN_SHOWN, button_label, new_page
from playwright.async_api import async_playwright

BANNER = "Your timeline:"
REFUSED = "File refused"


def rss_mb(pid: int) -> float:
    """Resident memory of one process now (MB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def children_rss_mb(pid: int) -> float:
    """Resident memory of the server's child processes (the forkserver and any worker) now (MB)."""
    total = 0.0
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    for kid in kids:
        with contextlib.suppress(OSError):
            total += rss_mb(int(kid)) + children_rss_mb(int(kid))
    return total


async def upload(page, url: str, data: bytes, name: str) -> tuple[str, float]:
    """Open the page, upload ``data`` as ``name``; 'accepted' or 'refused' and the seconds it took."""
    await page.goto(url, timeout=120_000)
    await page.get_by_text("Your timeline").first.wait_for(timeout=120_000)
    t0 = time.perf_counter()
    await page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": data}
    )
    for _ in range(6000):
        if await page.get_by_text(BANNER).count():
            return "accepted", time.perf_counter() - t0
        if await page.get_by_text(REFUSED).count():
            text = await page.get_by_text(REFUSED).first.inner_text()
            return f"refused: {text[:200]}", time.perf_counter() - t0
        await asyncio.sleep(0.1)
    return "no answer in 600 s", time.perf_counter() - t0


async def stepper(page, url: str, think: float, stop: asyncio.Event, out: list, phase: dict) -> None:
    """Step the date every ``think`` s until ``stop``; each step's ms with the phase it fell in."""
    await page.add_init_script(KEY_STAMP)
    await page.goto(f"{url}/?date={DATES[0].isoformat()}", timeout=120_000)
    await page.get_by_role("tab", name="Downloads").click()
    await page.wait_for_function(HAS_BUTTON, arg=button_label(DATES[0]), polling=POLL_MS, timeout=120_000)
    idx, direction = 0, 1
    while not stop.is_set():
        if idx + direction not in range(len(DATES)):
            direction = -direction
        idx += direction
        await page.get_by_role("slider").first.focus()
        name = phase["name"]
        await page.keyboard.press("ArrowRight" if direction > 0 else "ArrowLeft")
        await page.wait_for_function(RERUN_SHOWN, arg=button_label(DATES[idx]), polling=POLL_MS, timeout=120_000)
        stamps = await page.evaluate("() => window.__stamps")
        out.append((name, stamps["rerun"] - stamps["key"]))  # the phase the key was pressed in
        await asyncio.sleep(think)


def summary(values: list[float]) -> dict:
    return {
        "steps": len(values),
        "p50_ms": round(percentile(values, 0.5), 1),
        "p95_ms": round(percentile(values, 0.95), 1),
        "max_ms": round(max(values), 1) if values else None,
    }


async def run(file: Path, uploads: int, think: float, idle_steps: int, memory_file: Path) -> dict:
    data = file.read_bytes()
    mem_data = memory_file.read_bytes()
    out: dict = {"file": file.name, "file_mb": round(len(data) / 1e6, 1), "load_average_start": os.getloadavg()}
    with streamlit_server(ROOT / "dashboard.py", serve=True, command=()) as (url, pid):
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            # 1. another session's steps while a file is read
            ctx_s, page_s = await new_page(browser)
            samples: list = []
            phase = {"name": "idle"}
            stop = asyncio.Event()
            task = asyncio.create_task(stepper(page_s, url, think, stop, samples, phase))
            while len(samples) < idle_steps:
                await asyncio.sleep(0.2)
            ctx_u, page_u = await new_page(browser)
            phase["name"] = "during"
            result, seconds = await upload(page_u, url, data, "stall.csv")
            phase["name"] = "after"
            stop.set()
            await task
            await ctx_u.close()
            await ctx_s.close()
            out["stall"] = {
                "think_s": think,
                "upload": result,
                "upload_s": round(seconds, 1),
                "idle": summary([ms for ph, ms in samples if ph == "idle"]),
                "during_upload": summary([ms for ph, ms in samples if ph == "during"]),
            }
            print(out["stall"], file=sys.stderr, flush=True)
            # 2. memory: sessions holding uploads, then closed
            await asyncio.sleep(15)  # the stall session's state is dropped
            out["rss_before_mb"] = round(rss_mb(pid), 1)
            contexts, rows = [], []
            for k in range(uploads):
                ctx, page = await new_page(browser)
                contexts.append(ctx)
                result, seconds = await upload(page, url, mem_data, f"upload-{k + 1}.csv")
                rows.append(
                    {
                        "upload": k + 1,
                        "result": result,
                        "seconds": round(seconds, 1),
                        "server_rss_mb": round(rss_mb(pid), 1),
                        "workers_rss_mb": round(children_rss_mb(pid), 1),
                    }
                )
                print(rows[-1], file=sys.stderr, flush=True)
            out["uploads"] = rows
            out["rss_after_uploads_mb"] = round(rss_mb(pid), 1)
            for ctx in contexts:
                await ctx.close()
            # Streamlit drops a closed session's state once its TTL has passed and another session
            # connects or leaves (its session store expires entries then): a new visitor arrives.
            await asyncio.sleep(8)
            ctx, page = await new_page(browser)
            await page.goto(url, timeout=120_000)
            await page.get_by_text("Your timeline").first.wait_for(timeout=120_000)
            await ctx.close()
            await browser.close()
        t0 = time.perf_counter()
        trace = []
        while time.perf_counter() - t0 < 60:
            await asyncio.sleep(5)
            trace.append([round(time.perf_counter() - t0), round(rss_mb(pid), 1)])
        out["rss_after_sessions_closed_mb"] = trace[-1][1]
        out["rss_after_close_trace"] = trace
    out["load_average_end"] = os.getloadavg()
    out["memory_file"] = memory_file.name
    out["memory_file_mb"] = round(len(mem_data) / 1e6, 1)
    out["note"] = "one 2-core machine shared with other work (see load averages); browsers on the same machine"
    return out


def main() -> int:
    """Run and write the JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", type=Path, required=True)
    ap.add_argument("--uploads", type=int, default=8)
    ap.add_argument("--memory-file", type=Path, help="the file the --uploads sessions upload (default: --file)")
    ap.add_argument("--think", type=float, default=0.5)
    ap.add_argument("--idle-steps", type=int, default=20)
    ap.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "uploads.json")
    args = ap.parse_args()
    os.environ["STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL"] = "5"
    out = asyncio.run(run(args.file, args.uploads, args.think, args.idle_steps, args.memory_file or args.file))
    args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in out.items() if k != "rss_after_close_trace"}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
