"""Regenerate docs/dashboard.png: the dashboard on 1 December 2024, in headless Debian Chromium.

Usage: python docs/make_screenshot.py  (starts its own server on a free port; needs /usr/bin/chromium)
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
URL_QUERY = "?date=2024-12-01&depths=10,22,30&layers=zones,changes,points,events,villages,sites,buffers"


def main() -> None:
    """Start the app, open it on 1 December 2024 and save the screenshot."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"), "--server.port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
            pg = b.new_page(viewport={"width": 1400, "height": 1000})
            pg.goto(f"http://127.0.0.1:{port}/{URL_QUERY}")
            frame = pg.frame_locator('iframe[title="streamlit_folium.st_folium"]').first
            frame.locator("path.territory-date-2024-12-01").first.wait_for(state="attached", timeout=60_000)
            pg.wait_for_timeout(1500)
            pg.screenshot(path=str(ROOT / "docs" / "dashboard.png"))
            b.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
