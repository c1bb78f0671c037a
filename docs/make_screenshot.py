"""Regenerate docs/dashboard.png: the dashboard on 1 December 2024, in headless Debian Chromium.

Usage: python docs/make_screenshot.py  (starts its own server on a free port; needs /usr/bin/chromium)
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the server and browser helpers are shared with the tests

from tests.harness import CHROMIUM, LAUNCH_ARGS, MAP_FRAME, streamlit_server  # noqa: E402

URL_QUERY = "?date=2024-12-01&depths=10,22,30&layers=zones,changes,points,events,villages,sites,buffers"


def main() -> None:
    """Start the app, open it on 1 December 2024 and save the screenshot."""
    with streamlit_server() as (url, _pid), sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        pg = b.new_page(viewport={"width": 1400, "height": 1000})
        pg.goto(f"{url}/{URL_QUERY}")
        frame = pg.frame_locator(MAP_FRAME).first
        frame.locator("path.territory-date-2024-12-01").first.wait_for(state="attached", timeout=60_000)
        pg.wait_for_timeout(1500)
        pg.screenshot(path=str(ROOT / "docs" / "dashboard.png"))
        b.close()


if __name__ == "__main__":
    main()
