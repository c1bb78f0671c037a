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


_WARMED: set[int] = set()


def warm_caches(ds, depths, shown, palette_name=None) -> None:
    """Compute every date's zones, changes, statistics and map data for the default view."""
    from territory import control, mapview, stats

    for date in ds.dates:
        since = date - dt.timedelta(days=1) if date > ds.baseline_date else None
        control.control_zones(ds, date)
        if since is not None:
            control.changes(ds, since, date)
        stats.stats(ds, date, depths)
        mapview.frame_data(ds, date, depths, shown, palette_name, since)


def warm_in_background(ds, depths, shown) -> None:
    """Start :func:`warm_caches` once per dataset in a daemon thread (the first page stays quick)."""
    import threading

    if id(ds) in _WARMED:
        return
    _WARMED.add(id(ds))
    threading.Thread(target=warm_caches, args=(ds, depths, shown), name="territory-warm", daemon=True).start()
