"""Broken or missing geodata/: a clear error naming the file (CLI exit 2, app error), never a traceback."""

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from territory import settings

from .conftest import ROOT, run_cli

GEODATA = settings.PROJECT_ROOT / "geodata"


def _broken_copy(tmp_path: Path, name: str, mode: str) -> Path:
    out = tmp_path / "geodata"
    shutil.copytree(GEODATA, out)
    path = out / name
    if mode == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif mode == "not-json":
        path.write_text("<html>proxy error</html>", encoding="utf-8")
    elif mode == "wrong-type":
        path.write_text("[1, 2, 3]", encoding="utf-8")
    elif mode == "empty":
        path.write_bytes(b"")
    elif mode == "missing":
        path.unlink()
    return out


CASES = [
    ("syria.geojson", "truncated"),
    ("places.geojson", "truncated"),
    ("cells.geojson", "not-json"),
    ("timeline.json", "truncated"),
    ("timeline.json", "wrong-type"),
    ("governorates.geojson", "empty"),
    ("hama-villages.geojson", "wrong-type"),
    ("events.geojson", "missing"),
    ("neighbours.geojson", "truncated"),
    ("border.geojson", "missing"),
]


@pytest.mark.parametrize(("name", "mode"), CASES)
def test_cli_names_the_broken_file(tmp_path, name, mode):
    broken = _broken_copy(tmp_path, name, mode)
    proc = run_cli("export", "control-zones", "-o", "-", env={"TERRITORY_GEODATA": str(broken)})
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert name in err and "python -m territory build" in err
    assert proc.stdout == b""


@pytest.mark.parametrize(("name", "mode"), CASES[:4])
def test_app_names_the_broken_file(tmp_path, monkeypatch, name, mode):
    broken = _broken_copy(tmp_path, name, mode)
    monkeypatch.setenv("TERRITORY_GEODATA", str(broken))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert name in errors.replace("\\", "") and "territory build" in errors.replace("\\", "")


def test_missing_geodata_dir(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere"
    for verb in ("stats", "serve"):  # serve refuses to start a server on data it cannot read
        proc = run_cli(verb, env={"TERRITORY_GEODATA": str(missing)})
        assert proc.returncode == 2
        assert "does not exist" in proc.stderr.decode() and "Traceback" not in proc.stderr.decode()
    monkeypatch.setenv("TERRITORY_GEODATA", str(missing))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    assert not at.exception
    assert "does not exist" in " ".join(e.value for e in at.error)


def test_bad_input_never_touches_geodata(tmp_path):
    """Bad CLI input must not write anything into geodata/."""
    before = {p.name: p.stat().st_mtime_ns for p in GEODATA.iterdir()}
    for args in (["export", "nope"], ["export", "buffers", "--depths", "abc"], ["stats", "--date", "1999-01-01"]):
        assert run_cli(*args).returncode == 2
    assert {p.name: p.stat().st_mtime_ns for p in GEODATA.iterdir()} == before
