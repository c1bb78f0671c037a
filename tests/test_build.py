"""The build: fresh, deterministic, atomic; and its pieces on small data made in code."""

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from territory import build, geometry, rules, settings, tessellation
from territory.events import GOVERNORATE_WIDE, Event
from territory.seeds import Collapse

from .conftest import run_cli

GEODATA = settings.PROJECT_ROOT / "geodata"


def _digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def rebuilt(fresh_geodata) -> Path:
    return fresh_geodata


def test_committed_geodata_is_fresh(rebuilt):
    """Rebuilding from seeds/ and the pinned packages gives what is committed."""
    basemap = settings.PROJECT_ROOT / "static" / "territory" / "basemap.js"
    assert (rebuilt / "basemap.js").read_text(encoding="utf-8") == basemap.read_text(encoding="utf-8")
    committed = sorted(p.name for p in GEODATA.iterdir() if p.is_file())
    assert committed == sorted(p.name for p in rebuilt.iterdir() if p.is_file() and p.name != "basemap.js")
    for name in committed:
        new = (rebuilt / name).read_text(encoding="utf-8")
        old = (GEODATA / name).read_text(encoding="utf-8")
        if name.endswith((".geojson", ".json")):
            assert json.loads(new) == json.loads(old), f"{name} is stale: run python -m territory build"
        else:
            assert new == old, f"{name} is stale: run python -m territory build"


def test_build_is_deterministic(rebuilt, tmp_path):
    again = tmp_path / "geodata"
    again.mkdir()  # an empty directory holds nothing to lose: the build takes it
    build.build(out_dir=again)
    assert _digest(again) == _digest(rebuilt)
    assert (again / build.MARKER).is_file()


def test_failed_build_leaves_previous_geodata_intact(rebuilt, tmp_path, monkeypatch):
    target = tmp_path / "geodata"
    shutil.copytree(rebuilt, target)  # a previous build's output
    before = _digest(target)

    def boom(*_args, **_kwargs):
        raise RuntimeError("injected failure halfway through the build")

    # Fail after the base layers are written into the temporary directory.
    monkeypatch.setattr(build.stats, "buffer_layer", boom)
    with pytest.raises(RuntimeError, match="injected"):
        build.build(out_dir=target)
    assert _digest(target) == before
    assert not list(tmp_path.glob(".geodata.*"))  # no leftovers


def test_recover_puts_back_geodata_after_a_kill_between_renames(tmp_path):
    target = tmp_path / "geodata"
    old = tmp_path / ".geodata.old"
    old.mkdir()
    (old / "syria.geojson").write_text("{}", encoding="utf-8")
    build.recover(target)
    assert (target / "syria.geojson").exists() and not old.exists()


# --- pieces on small data made in code ------------------------------------------------------------


def _square(x0, y0, x1, y1):
    return Polygon([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])


def test_resolve_zones_later_wins_government_rest():
    country = _square(36, 35, 38, 36)
    zones = tessellation.resolve_zones(
        country,
        [("a", "sdf", _square(37, 35, 39, 37)), ("b", "hts", _square(36.5, 35, 37.5, 36))],
    )
    by_id = {z.id: z for z in zones}
    assert by_id["government-rest"].controller == settings.GOVERNMENT
    assert by_id["b"].geometry.area == pytest.approx(1.0 * 1.0)
    assert by_id["a"].geometry.area == pytest.approx(0.5 * 1.0)
    assert sum(z.geometry.area for z in zones) == pytest.approx(country.area)


def test_cells_follow_zones_and_places():
    country = _square(36, 35, 38, 36)
    zones = tessellation.resolve_zones(country, [("z", "hts", _square(36, 35, 36.8, 36))])
    ids = ["p1", "p2", "p3"]
    pts = np.array([[36.2, 35.5], [36.6, 35.5], [37.5, 35.5]])
    cells = tessellation.build_cells(zones, ids, pts)
    assert sorted(c.place_id for c in cells if not c.thin) == ids
    union = shapely.union_all([c.geometry for c in cells])
    assert union.area == pytest.approx(country.area, rel=1e-5)  # cells are snapped to the 1e-6 grid
    owner = {c.place_id: c for c in cells if not c.thin}
    for pid, (x, y) in zip(ids, pts, strict=True):  # a place's cell reaches no farther than REACH_KM
        ring = shapely.get_coordinates(owner[pid].geometry.exterior)
        _, _, metres = geometry.GEOD.inv(np.full(len(ring), x), np.full(len(ring), y), ring[:, 0], ring[:, 1])
        assert metres.max() <= tessellation.REACH_KM * 1000 * 1.01
    thin = [c for c in cells if c.thin]
    assert thin and all(c.place_id is None and c.group for c in thin)
    assert {c.controller for c in thin} == {"hts", settings.GOVERNMENT}  # each zone part keeps its own
    assert owner["p1"].controller == owner["p2"].controller == "hts"
    assert owner["p3"].controller == settings.GOVERNMENT
    for pid, (x, y) in zip(ids, pts, strict=True):
        assert owner[pid].geometry.covers(shapely.Point(x, y))
    assert shapely.coverage_is_valid(np.asarray([c.geometry for c in cells], dtype=object))


def test_expand_collapses_only_flips_government_places():
    d = dt.date(2024, 12, 8)
    events = [Event(d, "b", "hts", "captured", "s", "", line=2)]
    collapses = [Collapse(d, "Homs", "hts", "s", "end", ("c",), 2)]
    gov = {"a": "Homs", "b": "Homs", "c": "Homs", "d": "Homs", "e": "Hama"}
    base = {"a": "government", "b": "government", "c": "government", "d": "sdf", "e": "government"}
    out = rules.expand_collapses(events, collapses, gov, base)
    assert [(e.place_id, e.controller, e.kind) for e in out] == [("a", "hts", "withdrawn")]
    assert all(e.scope == GOVERNORATE_WIDE for e in out)


def test_a_place_level_date_wins_over_a_collapse():
    """A place with its own sourced change after the collapse keeps its holder until that date."""
    d = dt.date(2024, 12, 8)
    later = Event(d + dt.timedelta(days=2), "b", "hts", "withdrawn", "s", "", line=2)
    collapses = [Collapse(d, "Latakia", "hts", "s", "end", (), 2)]
    gov = {"a": "Latakia", "b": "Latakia"}
    out = rules.expand_collapses([later], collapses, gov, {"a": "government", "b": "government"})
    assert [e.place_id for e in out] == ["a"]


def test_a_place_on_another_places_spot_is_one_clear_line(seeds_copy, tmp_path):
    """Two places on one spot cannot both have a control cell: the build says which, and where."""
    with (seeds_copy / "places.csv").open("a", encoding="utf-8") as fh:
        fh.write("twin-saraqib,Twin of Saraqib,,35.86447,36.80591,village,Idlib,,hc-geonames-sy-raw,\n")
    proc = run_cli("build", "--seeds", str(seeds_copy), "--out", str(tmp_path / "geodata"), "--quiet")
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "Traceback" not in err
    assert "'twin-saraqib' lies on the same spot as 'saraqib'" in err
    assert not (tmp_path / "geodata").exists()


def test_the_library_imports_no_ui():
    """One-way house: the build and the library never import Streamlit or folium (only dashboard.py does)."""
    import subprocess
    import sys

    code = (
        "import sys; import territory.build, territory.cli, territory.layers, territory.mapdata, territory.appstate, "
        "territory.serve, territory.history; print(sorted(m for m in ('folium', 'streamlit', 'branca') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
