"""Helpers for driving the real app: a Streamlit server on a free port, Debian Chromium settings.

Used by the browser tests, the benchmarks in ``bench/`` and ``docs/make_screenshot.py``; not part of
the ``territory`` package (nothing here can change how a deployed app behaves).
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from territory import settings

CHROMIUM = "/usr/bin/chromium"
# Headless Chromium here: no sandbox as root, no GPU, no background traffic, and no throttling of
# background timers or renderers (so timings are not inflated).
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-renderer-backgrounding",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
]
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
DASHBOARD = settings.PROJECT_ROOT / "dashboard.py"


# Ports handed out by this process (a server may not have bound its port yet when the next is asked for).
_GIVEN: set[int] = set()
PORTS_PER_WORKER = 1000
FIRST_WORKER_PORT = 20_000  # below Linux's ephemeral range (32768-60999): the kernel never hands these out


def free_port() -> int:
    """A free TCP port on 127.0.0.1, never one this process gave before.

    Under pytest-xdist each worker (``PYTEST_XDIST_WORKER`` ``gw0``, ``gw1``…) draws from its own block of
    ports, so two workers starting servers at once can never pick the same port and then talk to each
    other's server. Alone, the kernel picks.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw") and worker[2:].isdigit():
        first = FIRST_WORKER_PORT + PORTS_PER_WORKER * int(worker[2:])
        candidates = random.sample(range(first, first + PORTS_PER_WORKER), PORTS_PER_WORKER)
    else:
        candidates = [0] * 100
    for candidate in candidates:
        if candidate in _GIVEN:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            port = s.getsockname()[1]
        if port not in _GIVEN:
            _GIVEN.add(port)
            return port
    msg = f"no free port on 127.0.0.1 for worker {worker or '(none)'}"
    raise RuntimeError(msg)


@contextmanager
def streamlit_server(
    script: Path = DASHBOARD,
    env: dict[str, str] | None = None,
    log: Path | None = None,
    timeout: float = 60.0,
    serve: bool = False,
    command: Sequence[str] = (),
    cwd: Path = settings.PROJECT_ROOT,
) -> Iterator[tuple[str, int]]:
    """Run ``streamlit run script`` (or ``python -m territory serve``) on 127.0.0.1 and a free port.

    ``command``: run this instead (e.g. an installed ``territory serve``), with the port options added.
    Yields the base URL and the server's pid once ``/_stcore/health`` answers ``ok``; stops the
    server when the block ends.
    """
    port = free_port()
    out = log.open("wb") if log else subprocess.DEVNULL
    if command:
        args = [*command, "--server.port", str(port)]
    elif serve and script == DASHBOARD:
        args = [sys.executable, "-m", "territory", "serve", "--server.port", str(port)]
    elif serve:  # another script (a benchmark's wrapper of the dashboard), preloaded the same way
        run = "import sys; from pathlib import Path; from territory import serve; "
        run += "sys.exit(serve.run(sys.argv[2:], script=Path(sys.argv[1])))"
        args = [sys.executable, "-c", run, str(script), "--server.port", str(port)]
    else:
        args = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port)]
    args += ["--server.headless", "true", "--server.address", "127.0.0.1"]
    proc = subprocess.Popen(args, cwd=cwd, env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    msg = f"{command or script} did not start on {url} within {timeout:.0f} s"
                    raise RuntimeError(msg) from None
                time.sleep(0.2)
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log:
            out.close()


def block_outside(page) -> None:
    """Abort every request of ``page`` that does not go to this machine."""
    page.route(
        "**/*",
        lambda r: r.continue_() if r.request.url.startswith(("http://127.0.0.1", "http://localhost")) else r.abort(),
    )


def wait_for_index(url: str, proc: subprocess.Popen, timeout: float, failure: Callable[[], str]) -> None:
    """Wait until ``url``'s index.html answers; ``RuntimeError(failure())`` past ``timeout`` or if ``proc`` ends."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/index.html", timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(failure()) from None
            time.sleep(0.1)


@contextmanager
def static_server(directory: Path, timeout: float = 20.0) -> Iterator[str]:
    """Serve ``directory`` with Python's plain static file server on 127.0.0.1 and a free port.

    Yields the base URL; what a published site needs from its host is no more than this.
    """
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(directory)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_index(url, proc, timeout, lambda: f"no static server for {directory} on {url} within {timeout:.0f} s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
