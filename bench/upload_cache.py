"""An uploaded timeline's cache bound (``settings.UPLOAD_CACHE_MB``): does a big upload still step dates fast?

For each bound, the file is read as the page reads it (``territory.uploads.load_upload``, in a worker), then
the map's base data is drawn once and the map frame and stats of 20 consecutive dates are computed twice: the
first pass fills the cache, the second should hit it. Reports each pass's time and the bytes the cache holds.

Usage: python bench/make_acled.py -o /tmp/a100k.csv
       python bench/upload_cache.py --file /tmp/a100k.csv --cache-mb 256 96 64 32 [--json bench/results/upload-cache.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import time
from pathlib import Path
from typing import Any

from territory import mapdata, memo, settings, stats, uploads
from territory.data import default_dataset

STEPS = 20


def _pass(ds: Any, dates: list[Any]) -> float:
    start = time.perf_counter()
    for date in dates:
        mapdata.frame_data(ds, date, settings.DEFAULT_DEPTHS_MILES, settings.DEFAULT_MAP_LAYERS, None)
        stats.stats(ds, date, settings.DEFAULT_DEPTHS_MILES)
    return time.perf_counter() - start


def measure(data: bytes, name: str, cache_mb: int) -> dict[str, Any]:
    """One bound: read the upload, draw its base data, step 20 dates twice."""
    os.environ["TERRITORY_UPLOAD_CACHE_MB"] = str(cache_mb)
    base = default_dataset()
    start = time.perf_counter()
    ds = uploads.load_upload(base, data, name)
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    base_map = mapdata.base_data(ds)
    base_s = time.perf_counter() - start
    mid = len(ds.dates) // 2
    dates = ds.dates[mid : mid + STEPS]
    first = _pass(ds, dates)
    first_bytes = ds.cache_bytes
    second = _pass(ds, dates)
    out = {
        "cache_mb": cache_mb,
        "dates": len(ds.dates),
        "events": len(ds.events),
        "read_s": round(read_s, 1),
        "base_data_s": round(base_s, 2),
        "base_data_mb": round(memo.sizeof(base_map) / 2**20, 1),
        "first_pass_s": round(first, 2),
        "second_pass_s": round(second, 3),
        "per_date_first_ms": round(1000 * first / STEPS, 1),
        "per_date_second_ms": round(1000 * second / STEPS, 2),
        "cache_mb_after_first": round(first_bytes / 2**20, 1),
        "cache_mb_after_second": round(ds.cache_bytes / 2**20, 1),
        "ledger_mb": round(uploads.LEDGER.total() / 2**20, 1),
    }
    del ds, base_map
    uploads._SHARED.clear()
    gc.collect()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, required=True)
    parser.add_argument("--cache-mb", type=int, nargs="+", default=[256, settings.UPLOAD_CACHE_MB])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    data = args.file.read_bytes()
    results = [measure(data, args.file.name, mb) for mb in args.cache_mb]
    out = {"file_mb": round(len(data) / 2**20, 1), "steps": STEPS, "load": os.getloadavg(), "runs": results}
    text = json.dumps(out, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
