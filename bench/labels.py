"""Place-name layout on the map: how long one layout takes and how many names it places.

The runtime lays the names out again after every move, zoom and date step (greedy, collision-free;
see ``placeLabels`` in static/territory/territory.js). For each screen size the page opens on its
default view, then the benchmark fires the map's ``moveend`` N times in the page and times each
layout there (``performance.now``, after 10 unmeasured warm-up layouts), at the opening frame and in the north-west view. Writes JSON
and prints a summary; the machine's load average is recorded (other work may share it).

Usage: python bench/labels.py [--json OUT] [--runs 40]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics

from _harness import CHROMIUM, LAUNCH_ARGS, MAP_FRAME, ROOT, block_outside, streamlit_server
from playwright.sync_api import sync_playwright

SIZES = {"wide": (1400, 900), "phone": (390, 844)}
TIME_LAYOUTS = """(runs) => {
  const map = window[Object.keys(window).find((k) => k.startsWith('map_') && window[k] && window[k].latLngToContainerPoint)];
  const times = [];
  for (let i = 0; i < 10; i++) map.fire('moveend'); // warm-up: the first layouts run cold code
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    map.fire('moveend');
    times.push(performance.now() - t0);
  }
  return {times, labels: document.querySelectorAll('.territory-label').length, zoom: map.getZoom()};
}"""


def measure(runs: int) -> dict:
    """Layout times (ms) and names placed, per screen size and view."""
    out: dict = {}
    with streamlit_server() as (url, _pid), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        for size, (width, height) in SIZES.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            block_outside(page)
            page.goto(f"{url}/")
            page.frame_locator(MAP_FRAME).first.locator(".territory-label").first.wait_for(
                state="attached", timeout=60_000
            )
            page.wait_for_timeout(1500)
            frame = next(f for f in page.frames if "st_folium" in (f.url or ""))
            for view in ("syria", "north-west"):
                if view == "north-west":
                    page.frame_locator(MAP_FRAME).first.get_by_role("button", name="North-west").click()
                    page.wait_for_timeout(800)
                r = frame.evaluate(TIME_LAYOUTS, runs)
                times = sorted(r["times"])
                out[f"{size}-{view}"] = {
                    "viewport": [width, height],
                    "zoom": r["zoom"],
                    "names_placed": r["labels"],
                    "p50_ms": round(statistics.median(times), 2),
                    "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
                    "max_ms": round(times[-1], 2),
                }
            page.close()
        browser.close()
    return out


def main() -> None:
    """Run the measurement and write/print the results."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=str(ROOT / "bench" / "results" / "labels.json"))
    ap.add_argument("--runs", type=int, default=40)
    args = ap.parse_args()
    results = {"runs": args.runs, "load_average": [round(x, 2) for x in os.getloadavg()], "views": measure(args.runs)}
    with open(args.json, "w", encoding="utf-8") as fh:
        json.dump(results, fh, indent=1)
        fh.write("\n")
    for name, v in results["views"].items():
        print(f"{name:18} zoom {v['zoom']:5}  names {v['names_placed']:3}  p50 {v['p50_ms']} ms  p95 {v['p95_ms']} ms")


if __name__ == "__main__":
    main()
