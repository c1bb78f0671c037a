"""Benchmark hooks (off unless the environment turns them on).

TERRITORY_RERUN_LOG : environment variable
    When set, every timed block appends its duration in milliseconds, one per line, to this file.
TERRITORY_MAP_MODE : environment variable
    ``naive`` makes the dashboard rebuild the whole folium map on every change (the benchmark's
    reference mode); anything else, or unset, updates the map's layers in place.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager


def naive_map_mode() -> bool:
    """True when the benchmark asks for the naive, full re-render map mode."""
    return os.environ.get("TERRITORY_MAP_MODE", "") == "naive"


@contextmanager
def rerun_timer() -> Iterator[None]:
    """Time the enclosed block into ``TERRITORY_RERUN_LOG`` when that is set."""
    path = os.environ.get("TERRITORY_RERUN_LOG")
    start = time.perf_counter()
    try:
        yield
    finally:
        if path:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(f"{(time.perf_counter() - start) * 1000:.2f}\n")


def preload() -> None:
    """Import the dashboard's libraries and load the default dataset now (``python -m territory serve``).

    Raises :class:`territory._errors.DataError` when geodata/ is missing or broken.
    """
    # Not Streamlit itself: loading its configuration before `streamlit run` parses the command line
    # would make it warn that the server options changed.
    import folium  # noqa: F401

    from territory import appstate, layers, mapview, mapview_folium, stats, viewmodel  # noqa: F401
    from territory.data import default_dataset

    mapview.base_uses_static_file(default_dataset())


_WARMED: set[int] = set()


def warm_caches(ds, depths, shown, palette_name=None, pause: float = 0.0) -> None:
    """Compute every date's zones, changes, statistics and map data for the default view.

    ``pause`` seconds are slept between dates, so a server warming up keeps answering its first
    visitor's requests (the page's scripts are served by the same process).
    """
    from territory import control, mapview, stats

    for date in ds.dates:
        time.sleep(pause)
        since = date - dt.timedelta(days=1) if date > ds.baseline_date else None
        control.control_zones(ds, date)
        if since is not None:
            control.changes(ds, since, date)
        stats.stats(ds, date, depths)
        mapview.frame_data(ds, date, depths, shown, palette_name)


WARM_DELAY_S = 3.0  # after the first page, long enough for its map to load
WARM_PAUSE_S = 0.05


def warm_in_background(ds, depths, shown) -> None:
    """Start :func:`warm_caches` once per dataset, a few seconds later, in a daemon thread.

    The delay and the pauses keep the first visitor's page quick: while its browser loads the
    page's scripts from this process, the warming would compete with them for the interpreter.
    """
    import threading

    if id(ds) in _WARMED:
        return
    _WARMED.add(id(ds))
    timer = threading.Timer(WARM_DELAY_S, warm_caches, args=(ds, depths, shown), kwargs={"pause": WARM_PAUSE_S})
    timer.name = "territory-warm"
    timer.daemon = True
    timer.start()
