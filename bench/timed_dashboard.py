"""The dashboard as the benchmarks run it: its timeline fragment timed, and optionally the naive map.

Benchmarks only; the app itself has no such hooks. This script wraps ``st.fragment`` so every run of
the timeline fragment appends its duration (ms) to ``TERRITORY_RERUN_LOG``, and with
``TERRITORY_BENCH_MAP=naive`` swaps the map for the naive reference of ``bench/naive_map.py`` (a
whole folium map rebuilt and remounted on every change); then it runs ``dashboard.py`` unchanged.
"""

import functools
import os
import runpy
import sys
import time
from pathlib import Path

import streamlit as st
import streamlit_folium

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from naive_map import naive_folium_map  # noqa: E402

from territory import viewmodel  # noqa: E402
from territory.data import default_dataset  # noqa: E402

# The originals, kept once per process (this script runs again on every rerun).
REAL = st.__dict__.setdefault("_bench_real", {"fragment": st.fragment, "st_folium": streamlit_folium.st_folium})


def _timed_fragment(func=None, *, run_every=None):
    log = os.environ.get("TERRITORY_RERUN_LOG")

    def wrap(f):
        @functools.wraps(f)
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return f(*args, **kwargs)
            finally:
                if log:
                    with open(log, "a", encoding="utf-8") as fh:
                        fh.write(f"{(time.perf_counter() - start) * 1000:.2f}\n")

        return REAL["fragment"](timed, run_every=run_every)

    return wrap(func) if func is not None else wrap


def _naive_st_folium(fig, key=None, feature_group_to_add=None, **kwargs):
    """The naive reference: a new folium map of every layer, rebuilt and remounted on each change."""
    ds = default_dataset()
    date = feature_group_to_add[0].date
    ss = st.session_state
    depths = tuple(sorted({*ss.depths_picked, *ss.get("custom_kept", [])}))
    m = naive_folium_map(ds, date, depths, ss.map_layers, ss.palette, viewmodel.previous_date(ds, date))
    return REAL["st_folium"](m, returned_objects=[], height=600, use_container_width=True)


st.fragment = _timed_fragment
streamlit_folium.st_folium = _naive_st_folium if os.environ.get("TERRITORY_BENCH_MAP") == "naive" else REAL["st_folium"]
runpy.run_path(str(ROOT / "dashboard.py"), run_name="__main__")
