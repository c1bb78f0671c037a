"""Build hook: the wheel carries the checkout's data files as ``territory/_data``.

The repository keeps ``dashboard.py``, ``geodata/``, ``seeds/``, ``static/`` and the OSM outlines at
its top level (the README's commands and the tests use them there). A wheel built from the checkout
or from its sdist (``MANIFEST.in`` lists the same files) copies them into the package, where
:mod:`territory.settings` finds them through ``importlib.resources``. An editable install copies
nothing: it reads the checkout itself. The project's metadata is in ``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# Relative to the checkout, and the same inside territory/_data (settings.PROJECT_ROOT).
DATA = ("dashboard.py", ".streamlit/config.toml", "geodata", "seeds", "static", "vendor/osm/outlines.geojson")
# Left out: Python's caches and a build's leftovers. Dot files stay: geodata/.territory-geodata is
# the build's marker, and the map's basemap.js header hashes every file of geodata/.
IGNORE = shutil.ignore_patterns("__pycache__", "*.py[co]", ".*.building", ".*.old")


class BuildPyWithData(build_py):
    """``build_py`` that also copies :data:`DATA` into the built package."""

    def run(self) -> None:
        """Build the modules, then copy the data files (not for an editable install)."""
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "territory" / "_data"
        shutil.rmtree(target, ignore_errors=True)  # no file of an earlier build lingers
        for name in DATA:
            source = ROOT / name
            if not source.exists():
                msg = f"{source} is missing: the wheel is built from a checkout or its sdist"
                raise SystemExit(msg)
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=IGNORE)
            else:
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)


setup(cmdclass={"build_py": BuildPyWithData})
