"""The map runtime's unit tests (tests/js/, node's built-in test runner), run as part of pytest."""

import os
import shutil
import subprocess

import pytest

from .conftest import ROOT


def test_runtime_unit_tests_pass():
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("node is missing under CI=true: the map runtime's unit tests need Node.js")
        pytest.skip("node not installed")
    proc = subprocess.run(
        [node, "--test", str(ROOT / "tests" / "js")], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "# fail 0" in proc.stdout and "# pass 0" not in proc.stdout
