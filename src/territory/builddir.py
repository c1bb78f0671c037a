"""Where the build writes, and how: a directory it marked as its own, replaced whole by two renames."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from territory import settings
from territory._errors import UsageError

# Names a directory the build wrote: the only kind of existing, non-empty directory it replaces.
MARKER = ".territory-geodata"
MARKER_TEXT = "written by python -m territory build; the next build replaces this whole directory\n"


def output_dir(out_dir: Path | None = None) -> Path:
    """Where the build writes: ``out_dir``, else ``geodata/`` of the checkout (or ``TERRITORY_GEODATA``).

    Raises
    ------
    UsageError
        Outside a checkout with no folder named, or for a folder in the installed package: the
        build never writes into site-packages.
    """
    if out_dir is None:
        if not settings.IN_CHECKOUT and not os.environ.get("TERRITORY_GEODATA"):
            msg = (
                "build rewrites the geodata/ of a checkout; this territory is installed "
                f"({settings.PROJECT_ROOT.parent}), so name a folder: build --out DIR"
            )
            raise UsageError(msg)
        out_dir = settings.geodata_dir()
    if settings.in_installed_package(out_dir):
        msg = f"build --out {out_dir}: that is in the installed package; name a folder outside it"
        raise UsageError(msg)
    out_dir = Path(out_dir)
    if out_dir.resolve() != (settings.PROJECT_ROOT / "geodata").resolve():
        _check_target(out_dir)
    return out_dir


def _check_target(out_dir: Path) -> None:
    """Refuse to replace what the build did not write: ``--out docs`` must not wipe ``docs/``.

    The build replaces its output directory whole, so it only takes a new directory, an empty one,
    or one holding the marker file an earlier build wrote (the checkout's own ``geodata/`` is always
    the build's).
    """
    if out_dir.exists() and not out_dir.is_dir():
        msg = f"build --out {out_dir}: that is a file; expected a directory for the layers"
        raise UsageError(msg)
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER).is_file():
        msg = (
            f"build --out {out_dir}: that directory exists and was not written by build (it has no {MARKER}); "
            "the build replaces its output whole, so name a new or empty directory"
        )
        raise UsageError(msg)


def _replace_dir(new: Path, target: Path) -> None:
    """Swap ``new`` in for ``target`` with two renames; the old directory is removed afterwards."""
    old = target.with_name(f".{target.name}.old")
    if old.is_dir() and (old / MARKER).is_file():  # left by a killed build (anything else stays)
        shutil.rmtree(old, ignore_errors=True)
    if old.exists():
        msg = f"build --out {target}: {old} is in the way (the build sets the old layers aside there); move it"
        raise UsageError(msg)
    if target.exists():
        target.rename(old)
    try:
        new.rename(target)
    except BaseException:
        if old.exists() and not target.exists():
            old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def recover(target: Path | None = None) -> None:
    """Put back ``geodata/`` if a build was killed between its two renames."""
    target = Path(target or settings.geodata_dir())
    old = target.with_name(f".{target.name}.old")
    if not target.exists() and old.exists():
        old.rename(target)
