"""Publish the map as a static site: ``python -m territory publish -o DIR``.

The site is files only (no server-side code), so any static host (nginx, object storage, a CDN,
GitHub Pages) serves it to any number of readers. It draws with the dashboard's own map runtime
(``static/territory/territory.js``, copied in), from the same base data, and the page's controls
(``static/site/``) call the runtime's host-neutral ``draw``. Every figure and download comes from the
functions the CLI uses (``stats.stats``, ``layers.layer_geojson``, ``layers.all_layers_zip``).

Layout of DIR (every name but ``index.html`` carries a hash of its content, so the files can be
cached for ever and ``index.html`` decides what a reader gets)::

    index.html                            the page; its configuration inline
    *.gz                                  the page's files gzip-compressed (nginx gzip_static)
    assets/leaflet.H.js|css, images/      vendored Leaflet
    assets/territory.H.js                 the map runtime, byte for byte
    assets/site.H.js|css                  the page's controls
    data/base.H.js                        the base data (every date's codes, as the dashboard's)
    data/site.H.js                        bands, palettes, labels
    data/days/DATE.H.json                 one date: figures, downloads, (long timelines) events, changes
    data/history.H.json                   each place's spells (loaded when a history is opened)
    downloads/LAYER.H.geojson, territory-all-DATE.H.zip

Publishing twice from the same inputs gives byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import html
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from territory import appstate, buffers, history, layers, mapdata, settings, stats, viewmodel
from territory._errors import UsageError
from territory.data import Dataset

SITE_SOURCE = settings.STATIC_DIR / "site"
LEAFLET_DIR = settings.STATIC_DIR / "vendor" / "leaflet"
MARKER = ".territory-site"  # names a directory publish wrote (the only kind it replaces)
HASH_CHARS = 12
# Dated layers stored as their own file for every date (the others of a date are in its zip, from
# which the page extracts them): every layer of 17 dates as files would be about 21 MB, and with the
# zips the site is kept under 15 MB.
PER_DATE_FILES = (settings.LAYER_CONTROL_ZONES,)
# Per-date downloads for every date of a timeline up to this long; a longer one (an analyst's
# ACLED file over years) gets them for its last date only (the CLI makes any other).
DOWNLOAD_DATES_MAX = mapdata.CHANGES_IN_BASE_MAX_DATES
# What the page loads gets a gzip-compressed copy beside it (FILE.gz); downloads do not (the
# GeoJSON would add about 3.5 MB, and a reader fetches one of them, not every one).
PRECOMPRESSED = (".html", ".js", ".css", ".json")


@dataclass
class SiteReport:
    """What was written: file count, bytes, and the dates with downloads."""

    out: Path
    files: int = 0
    bytes: int = 0
    download_dates: list[str] = field(default_factory=list)


def content_name(stem: str, data: bytes, suffix: str) -> str:
    """``stem.HASH.suffix`` with the first characters of the data's SHA-256."""
    return f"{stem}.{hashlib.sha256(data).hexdigest()[:HASH_CHARS]}{suffix}"


class _Writer:
    """Files of the site under a root; content-named files written once whatever asks for them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: dict[str, int] = {}

    def put(self, rel: str, data: bytes) -> str:
        if rel not in self.written:
            self._write(rel, data)
            if rel.endswith(PRECOMPRESSED):
                # Served as is by nginx's gzip_static (and object storage with Content-Encoding:
                # gzip): compressing the 0.5 MB base data on every request would cap a server at
                # a few readers a second per core. mtime 0: the same bytes on every publish.
                self._write(rel + ".gz", gzip.compress(data, compresslevel=9, mtime=0))
        return rel

    def _write(self, rel: str, data: bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.chmod(path, 0o644)
        self.written[rel] = len(data)

    def hashed(self, folder: str, stem: str, data: bytes, suffix: str) -> str:
        return self.put(f"{folder}/{content_name(stem, data, suffix)}", data)


def _json(data: Any) -> bytes:
    return mapdata.js_json(data).encode("utf-8")


def _check_target(out: Path) -> None:
    """Refuse to replace a directory publish did not write (a typo must not wipe someone's files)."""
    if out.exists() and not out.is_dir():
        msg = f"-o {str(out)!r} is a file; expected a directory for the site"
        raise UsageError(msg)
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        msg = f"-o {str(out)!r} is a non-empty directory publish did not write; give a new or empty directory"
        raise UsageError(msg)
    if not out.parent.exists():
        msg = f"-o {str(out)!r}: directory {str(out.parent)!r} does not exist"
        raise UsageError(msg)


def _bands(ds: Dataset) -> dict[str, Any]:
    """Every proposal's band as the runtime draws it: label anchors for each slot, drawn feature."""
    defaults = {buffers.format_depth(d) for d in settings.DEFAULT_DEPTHS_MILES}
    out = []
    for option in viewmodel.proposal_options(ds):
        depth = option["depth"]
        key = buffers.format_depth(depth)
        geom = stats.band_geometry(ds, depth)
        entry: dict[str, Any] = {
            "depth": key,
            "label": option["label"],
            # The dashboard labels the i-th band (widest first) on meridian 38.0 + 0.45 * (i % 6).
            "at": [mapdata.label_point(geom, lon=38.0 + 0.45 * k) for k in range(6)],
        }
        if key in defaults:
            entry["ref"] = key
        else:
            entry["feature"] = mapdata.band_feature(ds, depth)
        out.append(entry)
    return {"bands": out, "colours": list(settings.BAND_COLOURS)}


def _day_extras(ds: Dataset, date: dt.date) -> dict[str, Any]:
    """A long timeline's events and changed ground of the date, as the dashboard's frame brings them."""
    frame = json.loads(mapdata.frame_data(ds, date, (), ("changes", "events")))
    return {k: frame[k] for k in ("events", "changes") if k in frame}


def _downloads(ds: Dataset, w: _Writer, date: dt.date) -> dict[str, Any]:
    """The date's downloads: each layer's file (or its member of the zip) and the zip."""
    iso = date.isoformat()
    zipped = layers.all_layers_zip(ds, date, settings.DEFAULT_DEPTHS_MILES, None)
    out: dict[str, Any] = {
        "zip": {
            "href": w.hashed("downloads", f"territory-all-{iso}", zipped, ".zip"),
            "name": f"territory-all-{iso}.zip",
        },
        "layers": [],
    }
    for name in settings.LAYERS:
        entry: dict[str, Any] = {"layer": name, "name": f"territory-{name}-{iso}.geojson"}
        if name not in layers.DATED_LAYERS or name in PER_DATE_FILES:
            text = layers.layer_geojson(ds, name, date, settings.DEFAULT_DEPTHS_MILES, None).encode("utf-8")
            entry["href"] = w.hashed("downloads", name, text, ".geojson")
        else:
            entry["member"] = f"territory-{iso}/{name}.geojson"
        out["layers"].append(entry)
    return out


def _history(ds: Dataset) -> dict[str, Any]:
    """Each place's history as ``history PLACE --format json`` gives it, and the names ``?place=`` takes."""
    return {
        "places": {
            pid: json.loads(history.render(ds, pid, history.place_history(ds, pid), "json")) for pid in ds.places.index
        },
        "names": history.place_names(ds),
    }


def _page(config: dict[str, Any], assets: dict[str, str], title: str) -> bytes:
    template = (SITE_SOURCE / "index.html").read_text(encoding="utf-8")
    page = (
        template.replace("{{title}}", html.escape(title))
        .replace("{{config}}", mapdata.js_json(config))
        .replace("{{leaflet_css}}", assets["leaflet_css"])
        .replace("{{site_css}}", assets["site_css"])
        .replace("{{leaflet_js}}", assets["leaflet_js"])
        .replace("{{runtime_js}}", assets["runtime_js"])
        .replace("{{base_js}}", assets["base_js"])
        .replace("{{site_data_js}}", assets["site_data_js"])
        .replace("{{site_js}}", assets["site_js"])
    )
    return page.encode("utf-8")


def default_title(ds: Dataset) -> str:
    """The page's title: what it shows, and over which dates."""
    return (
        "Who controlled what in north-western Syria, "
        f"{ds.baseline_date.day} {ds.baseline_date:%b %Y} – {ds.end_date.day} {ds.end_date:%b %Y}"
    )


def _write_site(
    ds: Dataset, w: _Writer, title: str, dashboard_url: str | None, progress: Callable[[str], None]
) -> list[str]:
    assets = {
        "leaflet_js": w.hashed("assets", "leaflet", (LEAFLET_DIR / "leaflet.js").read_bytes(), ".js"),
        "leaflet_css": w.hashed("assets", "leaflet", (LEAFLET_DIR / "leaflet.css").read_bytes(), ".css"),
        "runtime_js": w.hashed("assets", "territory", (mapdata.STATIC_DIR / "territory.js").read_bytes(), ".js"),
        "site_js": w.hashed("assets", "site", (SITE_SOURCE / "site.js").read_bytes(), ".js"),
        "site_css": w.hashed("assets", "site", (SITE_SOURCE / "site.css").read_bytes(), ".css"),
    }
    # leaflet.css names its images relative to itself.
    for image in sorted((LEAFLET_DIR / "images").iterdir()):
        w.put(f"assets/images/{image.name}", image.read_bytes())
    w.put("assets/LEAFLET-LICENSE", (LEAFLET_DIR / "LICENSE").read_bytes())
    progress("base data")
    base = b"window.TERRITORY_BASE = " + _json(mapdata.base_data(ds)) + b";\n"
    assets["base_js"] = w.hashed("data", "base", base, ".js")
    site_data = {
        **_bands(ds),
        "palettes": {name: [p[c] for c in settings.CONTROLLERS] for name, p in settings.PALETTES.items()},
        "controllers": list(settings.CONTROLLERS),
        "short": [settings.CONTROLLER_SHORT[c] for c in settings.CONTROLLERS],
        "mapLayers": settings.MAP_LAYERS,
    }
    assets["site_data_js"] = w.hashed("data", "site", b"window.TERRITORY_SITE = " + _json(site_data) + b";\n", ".js")

    with_downloads = ds.dates if len(ds.dates) <= DOWNLOAD_DATES_MAX else [ds.end_date]
    all_depths = [o["depth"] for o in viewmodel.proposal_options(ds)]
    days = []
    for k, date in enumerate(ds.dates):
        if k % 100 == 0:
            progress(f"dates {k + 1}-{min(k + 100, len(ds.dates))} of {len(ds.dates)}")
        day: dict[str, Any] = {"date": date.isoformat(), "stats": stats.stats(ds, date, all_depths)}
        day.update(_day_extras(ds, date))
        if date in with_downloads:
            day["downloads"] = _downloads(ds, w, date)
        days.append(w.hashed("data/days", date.isoformat(), _json(day), ".json").rsplit(".", 2)[1])
    progress("place histories")
    hist = w.hashed("data", "history", _json(_history(ds)), ".json")
    config = {
        "title": title,
        "dates": [d.isoformat() for d in ds.dates],
        "days": days,
        "history": hist,
        "defaults": {
            "date": appstate.default_date(ds).isoformat(),  # the dashboard's opening date
            "depths": [buffers.format_depth(d) for d in settings.DEFAULT_DEPTHS_MILES],
            "layers": list(settings.DEFAULT_MAP_LAYERS),
            "palette": settings.PALETTE_DEFAULT,
        },
        "dashboard": dashboard_url or "",
        "timeline": ds.origin.get("file") if ds.origin else "",
        "downloadDates": [d.isoformat() for d in with_downloads],
    }
    w.put("index.html", _page(config, assets, title))
    w.put(MARKER, b"written by python -m territory publish; publishing again replaces this directory\n")
    return config["downloadDates"]


def publish(
    ds: Dataset,
    out: Path,
    title: str | None = None,
    dashboard_url: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> SiteReport:
    """Write the static site of ``ds`` into ``out`` (replaced as a whole, through a new directory)."""
    out = Path(out)
    _check_target(out)
    if dashboard_url and not _is_web_url(dashboard_url):
        msg = f"--dashboard-url {dashboard_url!r} is not an http(s) URL"
        raise UsageError(msg)
    title = title or default_title(ds)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        w = _Writer(tmp)
        dates = _write_site(ds, w, title, dashboard_url, progress or (lambda _m: None))
        tmp.chmod(0o755)
        for sub in tmp.rglob("*"):
            if sub.is_dir():
                sub.chmod(0o755)
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.old"
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return SiteReport(out, len(w.written), sum(w.written.values()), dates)


def _is_web_url(url: str) -> bool:
    """True for an absolute http(s) URL (what the page may link to)."""
    return url.startswith(("https://", "http://")) and not any(c.isspace() or c in "\"'<>" for c in url)
