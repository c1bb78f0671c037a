"""Regenerate the README's screenshots: the page as a first-time reader opens it, wide and on a phone.

Usage: python docs/make_screenshot.py  (starts its own server on a free port; needs /usr/bin/chromium).
Writes docs/dashboard.png (1400×900) and docs/dashboard-phone.png (390×844), both of the opening view
(no query string: the page opens on 30 Nov 2024, the day Aleppo fell).
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the server and browser helpers are shared with the tests

from tests.harness import CHROMIUM, LAUNCH_ARGS, MAP_FRAME, streamlit_server  # noqa: E402

from territory import settings  # noqa: E402

SIZES = {"dashboard.png": (1400, 900), "dashboard-phone.png": (390, 844)}


def main() -> None:
    """Start the app, open it at each size and save the screenshots."""
    opening = settings.OPENING_DATE.isoformat()
    with streamlit_server() as (url, _pid), sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        for name, (width, height) in SIZES.items():
            pg = b.new_page(viewport={"width": width, "height": height})
            pg.goto(f"{url}/")
            frame = pg.frame_locator(MAP_FRAME).first
            frame.locator(f"path.territory-date-{opening}").first.wait_for(state="attached", timeout=60_000)
            frame.locator(".territory-label").first.wait_for(state="attached", timeout=30_000)
            pg.wait_for_timeout(1500)
            pg.screenshot(path=str(ROOT / "docs" / name))
            pg.close()
        b.close()


if __name__ == "__main__":
    main()
