"""Shared fixtures: the committed dataset, a CLI runner, and tiny seed trees built in code."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

from territory import settings
from territory.data import Dataset, default_dataset

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def ds() -> Dataset:
    """The dataset of the committed geodata/."""
    return default_dataset(settings.PROJECT_ROOT / "geodata")


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
