"""Shared fixtures: the committed dataset, a CLI runner, and tiny seed trees built in code."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import pytest

from territory import settings
from territory.data import Dataset, default_dataset

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def ds() -> Dataset:
    """The dataset of the committed geodata/."""
    return default_dataset(settings.PROJECT_ROOT / "geodata")


@pytest.fixture(scope="session")
def fresh_geodata(tmp_path_factory) -> Path:
    """geodata/ rebuilt once per run from seeds/ and the pinned packages (tests copy it before changing it)."""
    from territory import build

    out = tmp_path_factory.mktemp("fresh") / "geodata"
    build.build(out_dir=out)
    return out


def run_cli_process(
    *args: str, env: dict[str, str] | None = None, input_: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m territory ARGS`` in a new process and capture its output (bytes).

    For what only a process shows (``serve``, the interpreter's exit status); other tests use ``run_cli``.
    """
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "territory", *args],
        capture_output=True,
        env=full_env,
        cwd=ROOT,
        input=input_,
        timeout=300,
        check=False,
    )


@contextlib.contextmanager
def _environment(env: dict[str, str]):
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_cli(
    *args: str, env: dict[str, str] | None = None, input_: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run the command line ``territory ARGS`` in this process, as ``python -m territory`` would.

    Same result as ``run_cli_process`` (exit status, stdout and stderr bytes, run from the checkout) without a
    new interpreter importing geopandas and reading geodata/ each time; ``serve`` still gets its own process.
    """
    if "serve" in args:
        return run_cli_process(*args, env=env, input_=input_)
    from territory import cli

    out, err = io.BytesIO(), io.BytesIO()
    streams = [io.TextIOWrapper(b, encoding="utf-8", write_through=True) for b in (out, err)]
    stdin = io.TextIOWrapper(io.BytesIO(input_ or b""), encoding="utf-8")
    saved = sys.stdin, sys.stdout, sys.stderr
    cwd = Path.cwd()
    try:
        sys.stdin, sys.stdout, sys.stderr = stdin, *streams
        os.chdir(ROOT)
        with _environment(env or {}):
            try:
                code = cli.main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except Exception:  # what the interpreter would print and exit 1 with
                traceback.print_exc(file=sys.stderr)
                code = 1
        for stream in streams:
            stream.flush()
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
        os.chdir(cwd)
    return subprocess.CompletedProcess(["territory", *args], code or 0, out.getvalue(), err.getvalue())


@pytest.fixture
def cli():
    return run_cli


def export_json(*args: str) -> dict:
    proc = run_cli("export", *args, "-o", "-")
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout)


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A writable copy of the real seeds/ to break in a test."""
    dest = tmp_path / "seeds"
    shutil.copytree(ROOT / "seeds", dest)
    return dest


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# --- order: the long files first, so parallel workers finish together ------------------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that drives Chromium ``browser``; run the files with slow tests first, then browser tests.

    pytest-xdist (``--dist loadfile``, see pyproject.toml) hands whole files to its workers in this order:
    the longest start first, so no long file is left running alone at the end. Within a file the order
    stays as written.
    """
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
    rank: dict[Path, int] = {}
    for item in items:
        here = 0 if item.get_closest_marker("slow") else 1 if item.get_closest_marker("browser") else 2
        rank[item.path] = min(rank.get(item.path, 2), here)
    items.sort(key=lambda item: rank[item.path])


# --- progress: a test running long says so while it runs, so the run never looks stuck ------------------------

SLOW_NOTICE_S = 20.0  # first notice after this long, then one every SLOW_NOTICE_S


class _SlowTestNotice:
    """Prints "… NODE still running (N s)" while a test (its setup included) runs past SLOW_NOTICE_S.

    Under pytest-xdist the workers' tests start and finish here, in the controller, several at a time.
    """

    def __init__(self, reporter: Any, terminal_fd: int | None) -> None:
        self.reporter = reporter
        self.terminal_fd = terminal_fd  # the terminal itself while a test's output is captured, else None
        self.lock = threading.Lock()
        self.running: dict[str, float] = {}  # node id -> when it started
        self.done = threading.Event()
        threading.Thread(target=self._watch, name="slow-test-notice", daemon=True).start()

    def start(self, nodeid: str) -> None:
        with self.lock:
            self.running[nodeid] = time.monotonic()

    def stop(self, nodeid: str) -> None:
        with self.lock:
            self.running.pop(nodeid, None)

    def _watch(self) -> None:
        told: dict[str, int] = {}
        while not self.done.wait(1.0):
            with self.lock:
                running = list(self.running.items())
            for nodeid, began in running:
                ran = time.monotonic() - began
                notices = int(ran // SLOW_NOTICE_S)
                if notices > told.get(nodeid, 0):
                    told[nodeid] = notices
                    self._say(f"  … {nodeid} still running ({ran:.0f} s)")

    def _say(self, line: str) -> None:
        if self.terminal_fd is None:
            self.reporter.write_line(line)
        else:
            os.write(self.terminal_fd, f"\n{line}\n".encode())


_NOTICE: list[_SlowTestNotice] = []  # the run's notice, once configured


@pytest.hookimpl(trylast=True)  # after the terminal reporter is registered
def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the controller reports its tests
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and config.get_verbosity() >= 0 and not config.getoption("collectonly"):
        _NOTICE.append(_SlowTestNotice(reporter, _terminal_fd(config)))


def _terminal_fd(config: pytest.Config) -> int | None:
    """A copy of the terminal's descriptor as it was before pytest captured fd 1 (None without fd capture)."""
    capman = config.pluginmanager.get_plugin("capturemanager")
    out = getattr(getattr(capman, "_global_capturing", None), "out", None)
    saved = getattr(out, "targetfd_save", None)
    return os.dup(saved) if isinstance(saved, int) else None


def pytest_unconfigure(config: pytest.Config) -> None:
    while _NOTICE:
        _NOTICE.pop().done.set()


def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
    for notice in _NOTICE:
        notice.start(nodeid)


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    for notice in _NOTICE:
        notice.stop(nodeid)
