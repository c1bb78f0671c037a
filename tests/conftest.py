"""Shared fixtures: the committed dataset, a CLI runner, and tiny seed trees built in code."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
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


def run_cli(
    *args: str, env: dict[str, str] | None = None, input_: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m territory ARGS`` and capture its output (bytes)."""
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
