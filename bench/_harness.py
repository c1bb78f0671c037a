"""Shared plumbing of the browser benchmarks (the server and browser helpers come from territory.testing)."""

from __future__ import annotations

from pathlib import Path

from territory.testing import CHROMIUM, LAUNCH_ARGS, MAP_FRAME, block_outside, free_port, streamlit_server  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]

# True once the map's frame has a path with the CSS class given as argument (e.g. territory-date-2024-11-30).
MAP_HAS_CLASS = """(cls) => {
  const f = document.querySelector('%s');
  return !!(f && f.contentDocument && f.contentDocument.querySelector('path.' + cls));
}""" % MAP_FRAME.replace("'", "\\'")


def peak_rss_mb(pid: int) -> float:
    """Peak resident set size (VmHWM) of a process and its children, in MB."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)
