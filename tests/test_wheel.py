"""The wheel works anywhere: built from the checkout and from its sdist, installed in a fresh venv.

The venv is isolated (no system site-packages): the wheel's declared dependencies are installed from
the package index (through pip's cache), held to requirements.txt's pins so the outputs can be
compared byte for byte with the checkout's. Every command runs from an empty temporary folder, with
no PYTHONPATH and no TERRITORY_* override, so nothing of the checkout can be found by accident.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest

from territory import settings

from .conftest import ROOT, run_cli
from .harness import CHROMIUM, LAUNCH_ARGS, MAP_FRAME, streamlit_server

pytestmark = pytest.mark.slow

# What the package carries (settings.PROJECT_ROOT's layout, copied by setup.py's build hook).
DATA_FILES = ("dashboard.py", ".streamlit/config.toml", "vendor/osm/outlines.geojson")
DATA_DIRS = ("geodata", "seeds", "static")
# Not part of a build: caches, earlier builds, virtual environments, test output.
COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
    ".venv",
    "artifacts",
    "node_modules",
)


def _run(args: list[str | Path], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, timeout=900, check=False)
    assert proc.returncode == 0, f"{args} failed:\n{proc.stdout.decode()[-2000:]}\n{proc.stderr.decode()[-3000:]}"
    return proc


def _data_names(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as zf:
        return {n: zf.read(n) for n in zf.namelist() if not n.startswith("territory-")}


def _checkout_data() -> dict[str, bytes]:
    """``territory/_data/…`` names and bytes the wheel must hold: the checkout's own files."""
    files = [ROOT / f for f in DATA_FILES]
    for d in DATA_DIRS:
        files += [p for p in (ROOT / d).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return {f"territory/{settings.PACKAGE_DATA}/{p.relative_to(ROOT).as_posix()}": p.read_bytes() for p in files}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, Any]:
    """Build the wheel twice (checkout, sdist), install one in a fresh venv; its paths."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "checkout"  # a copy, so the build leaves nothing (build/, egg-info) in the checkout
    shutil.copytree(ROOT, source, ignore=COPY_IGNORE)
    pip = [sys.executable, "-m", "pip"]
    _run([*pip, "wheel", "--no-deps", ".", "-w", tmp / "from-checkout"], cwd=source)
    _run([sys.executable, "-m", "build", "--sdist", "--outdir", tmp / "sdist", "."], cwd=source)
    (sdist,) = (tmp / "sdist").glob("territory-*.tar.gz")
    _run([*pip, "wheel", "--no-deps", sdist, "-w", tmp / "from-sdist"], cwd=tmp)
    (wheel,) = (tmp / "from-checkout").glob("territory-*.whl")
    (wheel_sdist,) = (tmp / "from-sdist").glob("territory-*.whl")

    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", venv], cwd=tmp)
    constraints = tmp / "constraints.txt"  # requirements.txt's pins, without the editable checkout
    pins = [ln for ln in (ROOT / "requirements.txt").read_text().splitlines() if ln and ln[0] not in "#-"]
    constraints.write_text("\n".join(pins) + "\n")
    vpy = venv / "bin" / "python"
    _run([vpy, "-m", "pip", "install", "--quiet", wheel_sdist, "-c", constraints], cwd=tmp, env=_env(venv))
    check = _run([vpy, "-m", "pip", "check"], cwd=tmp, env=_env(venv))
    work = tmp / "elsewhere"
    work.mkdir()
    print(f"\nwheel {wheel.name}: {wheel.stat().st_size / 1e6:.2f} MB")  # shown with -s
    return {
        "wheel": wheel,
        "wheel_sdist": wheel_sdist,
        "venv": venv,
        "work": work,
        "pip_check": check.stdout.decode().strip(),
    }


def _env(venv: Path) -> dict[str, str]:
    """This environment with the venv first on PATH and no way back to the checkout's sources.

    PYTHONPATH and the TERRITORY_* overrides are set empty (Python and settings read an empty value
    as unset), not dropped: the server helper merges its env into this process's environment.
    """
    env = dict(os.environ)
    env.update({k: "" for k in os.environ if k == "PYTHONPATH" or k.startswith("TERRITORY_")})
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    return env


def _territory(installed: dict[str, Any], *args: str, ok: bool = True) -> subprocess.CompletedProcess[bytes]:
    cmd = [str(installed["venv"] / "bin" / "territory"), *args]
    if ok:
        return _run(cmd, cwd=installed["work"], env=_env(installed["venv"]))
    return subprocess.run(cmd, cwd=installed["work"], env=_env(installed["venv"]), capture_output=True, timeout=300)


def test_the_wheel_carries_the_checkouts_data_and_declares_its_dependencies(installed):
    data = _data_names(installed["wheel"])
    expected = _checkout_data()
    assert {n: data.get(n) for n in expected} == expected
    # The sdist's wheel is the same package, file for file.
    assert _data_names(installed["wheel_sdist"]) == data
    with zipfile.ZipFile(installed["wheel"]) as zf:
        (meta,) = (n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        requires = {
            ln.split(":", 1)[1].split(";")[0].strip()
            for ln in zf.read(meta).decode().splitlines()
            if ln.startswith("Requires-Dist:") and "extra ==" not in ln
        }
    names = {r.split(">")[0].split("=")[0].split("<")[0].strip().lower() for r in requires}
    assert {"streamlit", "streamlit-folium", "folium", "geopandas", "shapely", "pyproj", "pandas", "numpy"} <= names
    assert installed["pip_check"] == "No broken requirements found."


def test_installed_package_reads_its_own_copy(installed):
    out = (
        _run(
            [
                installed["venv"] / "bin" / "python",
                "-c",
                "import territory.settings as s; print(s.IN_CHECKOUT, s.PROJECT_ROOT)",
            ],
            cwd=installed["work"],
            env=_env(installed["venv"]),
        )
        .stdout.decode()
        .split()
    )
    assert out[0] == "False"
    assert Path(out[1]).is_relative_to(installed["venv"]), out


def test_commands_from_another_folder_match_the_checkout(installed):
    assert _territory(installed, "layers").stdout.decode().split() == list(settings.LAYERS)
    args = ("export", "control-zones", "--date", "2024-12-01", "-o", "-")
    ours = run_cli(*args)
    assert ours.returncode == 0, ours.stderr.decode()
    assert _territory(installed, *args).stdout == ours.stdout
    history = _territory(installed, "history", "kuweires").stdout.decode()
    assert history == run_cli("history", "kuweires").stdout.decode()
    assert "Kuweires Air Base" in history


def test_publish_from_the_installed_package(installed):
    _territory(installed, "publish", "-o", "site")
    site = installed["work"] / "site"
    assert (site / "index.html").is_file()
    (runtime,) = (site / "assets").glob("territory.*.js")
    assert runtime.read_bytes() == (ROOT / "static" / "territory" / "territory.js").read_bytes()
    (leaflet,) = (site / "assets").glob("leaflet.*.js")
    assert leaflet.read_bytes() == (ROOT / "static" / "vendor" / "leaflet" / "leaflet.js").read_bytes()


def test_build_never_writes_into_the_installed_package(installed):
    proc = _territory(installed, "build", ok=False)
    assert proc.returncode == 2
    assert proc.stderr.decode().strip().splitlines() == [proc.stderr.decode().strip()]
    assert "build --out DIR" in proc.stderr.decode()
    site = next((installed["venv"] / "lib").glob("python3*/site-packages"))
    inside = site / "territory" / settings.PACKAGE_DATA / "geodata"
    proc = _territory(installed, "build", "--out", str(inside), ok=False)
    assert proc.returncode == 2
    assert "in the installed package" in proc.stderr.decode()
    proc = _territory(installed, "outlines", ok=False)
    assert proc.returncode == 2
    assert "run it inside one" in proc.stderr.decode()


def test_serve_runs_the_installed_dashboard_with_its_static_files(installed, tmp_path):
    command = [str(installed["venv"] / "bin" / "territory"), "serve"]
    log = tmp_path / "serve.log"
    with streamlit_server(
        command=command, cwd=installed["work"], env=_env(installed["venv"]), log=log, timeout=180
    ) as (
        url,
        _pid,
    ):
        for name in ("territory/territory.js", "territory/basemap.js", "vendor/leaflet/leaflet.js"):
            with urllib.request.urlopen(f"{url}/app/static/{name}", timeout=30) as r:
                assert r.read() == (ROOT / "static" / name).read_bytes(), name
        if Path(CHROMIUM).exists() or os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            _map_draws(url)
    text = log.read_text()
    site = next((installed["venv"] / "lib").glob("python3*/site-packages"))
    assert f"{site / 'territory' / settings.PACKAGE_DATA / 'geodata'}" in text  # what serve says it loads
    assert "does not hold the base data" not in text  # the packaged basemap.js matches the packaged geodata/


def _map_draws(url: str) -> None:
    """The installed dashboard's map draws the zones of a date in Chromium (a missing browser fails)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{url}/?date=2024-12-01")
            frame = page.frame_locator(MAP_FRAME).first
            frame.locator("path.territory-date-2024-12-01").first.wait_for(state="attached", timeout=90_000)
        finally:
            browser.close()
