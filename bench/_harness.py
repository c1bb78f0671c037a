"""Shared plumbing of the browser benchmarks (the server and browser helpers come from tests/harness.py)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the server and browser helpers are shared with the tests

from tests.harness import CHROMIUM, LAUNCH_ARGS, MAP_FRAME, block_outside, free_port, streamlit_server  # noqa: E402, F401

# True once the map's frame has a path with the CSS class given as argument (e.g. territory-date-2024-11-30).
MAP_HAS_CLASS = """(cls) => {
  const f = document.querySelector('%s');
  return !!(f && f.contentDocument && f.contentDocument.querySelector('path.' + cls));
}""" % MAP_FRAME.replace("'", "\\'")


# True once the day panel's heading names the date given as argument ("Sat 30 Nov 2024"); the slider's
# own label shows the same text at once, so the check reads the panel's bold heading only.
PANEL_SHOWS_DATE = """(text) => [...document.querySelectorAll('[data-testid="stMarkdownContainer"] strong')]
  .some((n) => n.textContent === text)"""


def page_date(day: dt.date) -> str:
    """A date as the page shows it (slider, day panel): ``"Sat 30 Nov 2024"``."""
    return f"{day:%a} {day.day} {day:%b %Y}"


# Timestamps taken in the page: when the key event reached it, and when a check first held (the
# driver's own round trip, slowed whenever the page's main thread or the machine is busy, is left out).
KEY_STAMP = """document.addEventListener('keydown', (e) => {
  window.__stamps = {key: e.timeStamp};
}, true);"""


def stamped(check: str, name: str) -> str:
    """``check`` that also records ``performance.now()`` of the poll where it first held."""
    return f"""(arg) => {{
  const ok = ({check})(arg);
  if (ok && window.__stamps && window.__stamps.{name} === undefined) window.__stamps.{name} = performance.now();
  return ok;
}}"""


def cpu_seconds_by_role(server_pid: int) -> dict[tuple[str, int], float]:
    """CPU time (user + system) used so far by each process of the run, keyed by (role, pid).

    Roles: ``server`` (the app and its children), ``renderer`` and ``browser`` (every other
    Chromium process), ``driver`` (Playwright's Node process). Take it twice and subtract.
    """
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[tuple[str, int], float] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(proc.name)
        if pid == server_pid or int(fields[1]) == server_pid:
            role = "server"
        elif "chromium" in cmd:
            role = "renderer" if "--type=renderer" in cmd else "browser"
        elif "playwright" in cmd and cmd.split(" ", 1)[0].endswith("node"):
            role = "driver"
        else:
            continue
        out[(role, pid)] = (int(fields[11]) + int(fields[12])) / tick
    return out


def cpu_used(before: dict[tuple[str, int], float], after: dict[tuple[str, int], float]) -> dict[str, float]:
    """CPU seconds per role between two :func:`cpu_seconds_by_role` readings."""
    used: dict[str, float] = {}
    for key, seconds in after.items():
        used[key[0]] = used.get(key[0], 0.0) + seconds - before.get(key, 0.0)
    return {role: round(s, 1) for role, s in sorted(used.items())}


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
