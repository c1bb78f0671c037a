"""The published static site: size, first view, slider steps in Chromium, and nginx under 500 clients.

1. Publishes the built-in timeline and a 100k-row ACLED timeline (bench/make_acled.py) into a
   temporary directory (or takes sites published before: ``--site``, ``--acled-site``), and
   reports each site's size and what its first view transfers, raw and gzip-compressed.
2. Starts nginx (Debian's) on 127.0.0.1 with its own configuration and prefix in a temporary
   directory, serving one site at a time, with the cache headers of docs/deploy.md and gzip.
3. Headless Chromium: first map drawn (navigation start to the first frame painted with the zones,
   a fresh context each time), and slider steps timed in the page from the arrow key on the focused
   slider: ``redrawn`` when the page's input handler has restyled the map (the runtime's draw()),
   ``painted`` at the next frame painted after it (this waits for the frame, up to 16.7 ms at
   60 Hz); for the ACLED timeline also to the date's own events and changed ground, fetched on
   demand, drawn and painted.
4. Load: ``--clients`` concurrent asyncio clients (keep-alive, ``Accept-Encoding: gzip``) each
   fetching the first view's files over and over, bounded by ``--views`` first views in all and by
   ``--seconds``; requests/s, first views/s and latency percentiles. Client and server share the
   machine's cores, so this is a floor of what nginx does, not its ceiling.

Usage: python bench/publish_site.py [--json OUT] [--clients 500] [--views 20000] [--seconds 30]
       [--steps 60] [--site DIR] [--acled-site DIR] [--acled-csv FILE] [--no-acled] [--dashboard]
       [--server nginx|python]
Traffic goes only to the nginx this script starts on 127.0.0.1; every loop is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from _harness import CHROMIUM, LAUNCH_ARGS, ROOT, free_port, percentile
from tests.harness import wait_for_index

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

# Stamps in the page: the arrow key, the next painted frame after the map's redraw (the slider's
# input handler redraws synchronously; a timeout queued from the next animation frame runs after
# that frame is painted), and the same after the date's own file is drawn (event territory-day).
STAMPS = """
window.__steps = [];
document.addEventListener('keydown', (e) => { window.__key = e.timeStamp; window.__cur = {}; }, true);
function painted(name) {
  const cur = window.__cur;
  requestAnimationFrame(() => setTimeout(() => {
    if (cur && cur[name] === undefined) cur[name] = performance.now() - window.__key;
    if (cur && !cur.done && cur.map !== undefined && (cur.day !== undefined || !window.__needDay)) {
      cur.done = true; window.__steps.push(cur); window.__cur = null;  // once per step
    }
  }, 0));
}
window.addEventListener('input', () => {
  if (window.__cur) window.__cur.script = performance.now() - window.__key;  // the redraw has run
  painted('map');
});
document.addEventListener('territory-day', () => painted('day'));
(function first() {
  const look = () => {
    if (document.querySelector('path.territory-zone[class*="territory-date-"]')) {
      setTimeout(() => { window.__firstMap = performance.now(); }, 0);
    } else requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})();
"""


def first_view_files(site: Path) -> list[str]:
    """What the page loads before the reader does anything: index.html, its references, the last date's file."""
    page = (site / "index.html").read_text(encoding="utf-8")
    refs = [r for r in re.findall(r'(?:src|href)="([^"]+)"', page) if not r.startswith("data:")]
    cfg = json.loads(re.search(r'id="territory-site">(.*?)</script>', page, re.S).group(1))
    return ["index.html", *refs, f"data/days/{cfg['dates'][-1]}.{cfg['days'][-1]}.json"]


def sizes(site: Path) -> dict[str, float]:
    files = first_view_files(site)
    raw = sum((site / f).stat().st_size for f in files)
    # What gzip_static sends (publish writes FILE.gz beside the page's files), else gzip level 6.
    gz = sum(
        (site / f"{f}.gz").stat().st_size
        if (site / f"{f}.gz").is_file()
        else len(gzip.compress((site / f).read_bytes()))
        for f in files
    )
    every = [p for p in site.rglob("*") if p.is_file()]
    return {
        "site_mb": round(sum(p.stat().st_size for p in every) / 1e6, 2),
        "site_mb_without_gz_copies": round(sum(p.stat().st_size for p in every if p.suffix != ".gz") / 1e6, 2),
        "site_files": len(every),
        "first_view_files": len(files),
        "first_view_mb": round(raw / 1e6, 3),
        "first_view_gzip_mb": round(gz / 1e6, 3),
    }


def publish(out: Path, events: Path | None) -> float:
    args = [sys.executable, "-m", "territory", "publish", "-o", str(out)]
    if events:
        args[3:3] = ["--events", str(events)]
    started = time.perf_counter()
    subprocess.run(args, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return round(time.perf_counter() - started, 1)


NGINX_CONF = """
worker_processes 2;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
daemon off;
events {{ worker_connections 4096; }}
http {{
  include /etc/nginx/mime.types;
  types {{ application/geo+json geojson; }}
  default_type application/octet-stream;
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 60;
  keepalive_requests 100000;
  gzip_static on;
  gzip on;
  gzip_comp_level 6;
  gzip_types text/css application/javascript application/json application/geo+json;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  server {{
    listen 127.0.0.1:{port};
    root {root};
    location / {{ add_header Cache-Control "public, max-age=300"; }}
    location ~ ^/(assets|data|downloads)/ {{ add_header Cache-Control "public, max-age=31536000, immutable"; }}
  }}
}}
"""


@contextmanager
def python_server(root: Path):
    """Python's http.server instead of nginx (the smoke test's; no gzip, no cache headers)."""
    from tests.harness import static_server

    with static_server(root) as url:
        yield url, None


@contextmanager
def nginx(root: Path):
    """nginx on 127.0.0.1 and a free port, its configuration and prefix in a temporary directory."""
    tmp = Path(tempfile.mkdtemp(prefix="territory-nginx-"))
    port = free_port()
    (tmp / "nginx.conf").write_text(NGINX_CONF.format(tmp=tmp, port=port, root=root))
    proc = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-e", str(tmp / "error.log")])
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_index(url, proc, 20, lambda: f"nginx did not start on {url}: {(tmp / 'error.log').read_text()[-500:]}")
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


def chromium(site_url: str, steps: int, first_loads: int, need_day: bool, start: str | None) -> dict[str, float]:
    """First map drawn (cold, fresh contexts) and slider steps with the arrow keys."""
    from playwright.sync_api import sync_playwright

    out: dict[str, float] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        firsts = []
        for _ in range(first_loads):
            ctx = browser.new_context(viewport={"width": 1280, "height": 900})
            page = ctx.new_page()
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(site_url) else r.abort())
            page.add_init_script(STAMPS)
            page.goto(f"{site_url}/index.html")
            page.wait_for_function("window.__firstMap !== undefined", timeout=60_000)
            firsts.append(page.evaluate("window.__firstMap"))
            ctx.close()
        out["first_map_p50_ms"] = round(percentile(firsts, 0.5), 1)
        out["first_map_max_ms"] = round(max(firsts), 1)
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(site_url) else r.abort())
        page.add_init_script(STAMPS + f"window.__needDay = {json.dumps(need_day)};")
        page.goto(f"{site_url}/index.html" + (f"?date={start}" if start else ""))
        page.wait_for_function("window.__firstMap !== undefined", timeout=60_000)
        page.wait_for_timeout(1000)
        page.focus("#date")
        key, last = "ArrowLeft", int(page.get_attribute("#date", "max"))
        for done in range(steps + 5):  # the first 5 warm the code paths and are left out
            at = int(page.input_value("#date"))
            key = "ArrowRight" if at == 0 else "ArrowLeft" if at == last else key  # turn at either end
            page.keyboard.press(key)
            page.wait_for_function(f"window.__steps.length > {done}", timeout=60_000)
            page.wait_for_timeout(50)
        rows = page.evaluate("window.__steps")[5:]
        maps = [r["map"] for r in rows]
        out["steps"] = len(rows)
        scripts = [r["script"] for r in rows]
        out["step_redrawn_p50_ms"] = round(percentile(scripts, 0.5), 1)
        out["step_redrawn_p95_ms"] = round(percentile(scripts, 0.95), 1)
        out["step_painted_p50_ms"] = round(percentile(maps, 0.5), 1)
        out["step_painted_p95_ms"] = round(percentile(maps, 0.95), 1)
        if need_day:
            days = [r["day"] for r in rows if "day" in r]
            out["step_with_day_data_p50_ms"] = round(percentile(days, 0.5), 1)
            out["step_with_day_data_p95_ms"] = round(percentile(days, 0.95), 1)
        ctx.close()
        browser.close()
    return out


async def _fetch(reader, writer, host: str, path: str) -> tuple[int, bool]:
    """GET one file; its status and whether the connection stays open (HTTP/1.1 keep-alive)."""
    writer.write(f"GET /{path} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: gzip\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    version, status = head.split(b" ", 2)[:2]
    headers = {
        k.strip().lower(): v.strip() for k, _, v in (line.partition(b":") for line in head.split(b"\r\n")[1:] if line)
    }
    if headers.get(b"transfer-encoding") == b"chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(int(headers.get(b"content-length", b"0")))
    keep = version == b"HTTP/1.1" and headers.get(b"connection", b"").lower() != b"close"
    return int(status), keep


async def _load(url: str, files: list[str], clients: int, views: int, seconds: float) -> dict[str, float]:
    host = url.split("//", 1)[1]
    addr, port = host.split(":")
    budget = {"views": views}
    deadline = time.monotonic() + seconds
    req_ms: list[float] = []
    view_ms: list[float] = []
    errors: list[str] = []

    async def client() -> None:
        reader = writer = None
        try:
            while budget["views"] > 0 and time.monotonic() < deadline:
                budget["views"] -= 1
                t0 = time.perf_counter()
                for f in files:
                    t = time.perf_counter()
                    if writer is None:
                        reader, writer = await asyncio.open_connection(addr, int(port))
                    status, keep = await _fetch(reader, writer, host, f)
                    if not keep:  # (Python's http.server closes after each answer)
                        writer.close()
                        writer = None
                    req_ms.append((time.perf_counter() - t) * 1000)
                    if status != 200:
                        errors.append(f"{f}: {status}")
                view_ms.append((time.perf_counter() - t0) * 1000)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            errors.append(type(exc).__name__)
        finally:
            if writer is not None:
                writer.close()

    started = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(client() for _ in range(clients))), timeout=seconds + 60)
    wall = time.perf_counter() - started
    return {
        "clients": clients,
        "wall_s": round(wall, 1),
        "requests": len(req_ms),
        "first_views": len(view_ms),
        "requests_per_s": round(len(req_ms) / wall),
        "first_views_per_s": round(len(view_ms) / wall, 1),
        "request_p50_ms": round(percentile(req_ms, 0.5), 1),
        "request_p95_ms": round(percentile(req_ms, 0.95), 1),
        "first_view_p50_ms": round(percentile(view_ms, 0.5), 1),
        "first_view_p95_ms": round(percentile(view_ms, 0.95), 1),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:5],
    }


def cpu_s(pid: int) -> float:
    """CPU seconds of a process and its children (nginx's master and workers)."""
    total = 0.0
    for p in [pid, *map(int, subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split())]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--clients", type=int, default=500)
    ap.add_argument("--views", type=int, default=20000)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--first-loads", type=int, default=5)
    ap.add_argument("--site", type=Path, help="a site published before from the built-in timeline")
    ap.add_argument("--acled-site", type=Path, help="a site published before from the 100k-row ACLED file")
    ap.add_argument("--acled-csv", type=Path, help="the ACLED file (default: made by bench/make_acled.py)")
    ap.add_argument("--no-acled", action="store_true", help="the built-in timeline only")
    ap.add_argument("--server", choices=("nginx", "python"), default="nginx", help="python: http.server (smoke runs)")
    ap.add_argument("--dashboard", action="store_true", help="also run the dashboard's slider benchmark (one round)")
    args = ap.parse_args(argv)
    result: dict = {"machine": {"cores": os.cpu_count(), "load_average_at_start": os.getloadavg()}}
    with tempfile.TemporaryDirectory(prefix="territory-publish-bench-") as tmp_name:
        tmp = Path(tmp_name)
        tmp.chmod(0o755)  # nginx's workers read the site as another user
        site = args.site
        if site is None:
            site = tmp / "site"
            result["publish_builtin_s"] = publish(site, None)
        acled = args.acled_site
        if acled is None and not args.no_acled:
            csv = args.acled_csv
            if csv is None:
                csv = tmp / "acled.csv"
                subprocess.run(
                    [sys.executable, str(ROOT / "bench" / "make_acled.py"), "-o", str(csv)], check=True, cwd=ROOT
                )
            acled = tmp / "acled-site"
            result["publish_acled_s"] = publish(acled, csv)
        server = nginx if args.server == "nginx" else python_server
        result["server"] = args.server
        for name, root, need_day in (("builtin", site, False), ("acled_100k", acled, True)):
            if root is None:
                continue
            part: dict = {"sizes": sizes(root)}
            with server(root) as (url, pid):
                part["chromium"] = chromium(url, args.steps, args.first_loads, need_day, None)
                if name == "builtin":
                    cpu0 = cpu_s(pid) if pid else 0.0
                    part["load"] = asyncio.run(
                        _load(url, first_view_files(root), args.clients, args.views, args.seconds)
                    )
                    if pid:
                        part["load"]["nginx_cpu_s"] = round(cpu_s(pid) - cpu0, 1)
            result[name] = part
            print(json.dumps({name: part}, indent=1), file=sys.stderr)
    if args.dashboard:
        # The dashboard's slider in the same run (its own benchmark; the map in an iframe of the
        # Streamlit page, timed from the key to the frame where the new date's class is seen).
        with tempfile.TemporaryDirectory() as tmp_name:
            out = Path(tmp_name) / "slider.json"
            slider = [str(ROOT / "bench" / "slider_latency.py"), "--modes", "ours", "--rounds", "1", "--no-playback"]
            proc = subprocess.run(
                [sys.executable, *slider, "--json", str(out)],
                check=False,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            if proc.returncode == 0:
                d = json.loads(out.read_text())
                keys = ("p50_ms", "p95_ms", "page_settled_p50_ms", "page_settled_p95_ms", "first_map_s")
                result["dashboard_same_run"] = {k: d.get(k) for k in keys}
            else:  # the site's figures stand without it
                result["dashboard_same_run"] = {"error": proc.stderr.strip().splitlines()[-1][:300]}
    result["machine"]["load_average_at_end"] = os.getloadavg()
    dashboard = {}
    for f in ("slider", "load", "load-stress"):
        path = ROOT / "bench" / "results" / f"{f}.json"
        if path.is_file():
            d = json.loads(path.read_text())
            dashboard[f] = {k: d[k] for k in ("p50_ms", "p95_ms", "first_map_s", "sessions", "steps") if k in d}
    result["dashboard_committed"] = dashboard
    text = json.dumps(result, indent=1) + "\n"
    if args.json:
        args.json.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
