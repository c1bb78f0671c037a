"""The generated data a running territory reads: ``geodata/`` loaded once into a :class:`Dataset`."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
from cachetools import LRUCache
from shapely.geometry.base import BaseGeometry

from territory import geometry, settings
from territory._errors import DataError, UsageError
from territory.events import Event
from territory.memo import sizeof

TIMELINE_FILE = "timeline.json"
CELLS_FILE = "cells.geojson"
NEIGHBOURS_FILE = "neighbours.geojson"
REBUILD_HINT = "run `python -m territory build` to regenerate geodata/"


def read_layer(directory: Path, name: str) -> gpd.GeoDataFrame:
    """A GeoJSON layer of ``directory``; a :class:`DataError` naming the file if it is broken."""
    path = directory / name
    if not path.exists():
        msg = f"{path} is missing; {REBUILD_HINT}"
        raise DataError(msg)
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
        if data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
            msg = "not a GeoJSON FeatureCollection"
            raise ValueError(msg)
        gdf = gpd.GeoDataFrame.from_features(data["features"], crs=settings.CRS_WGS84)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        msg = f"{path} is truncated or invalid ({reason}); {REBUILD_HINT}"
        raise DataError(msg) from exc
    return gdf


def _read_json(directory: Path, name: str) -> dict[str, Any]:
    path = directory / name
    if not path.exists():
        msg = f"{path} is missing; {REBUILD_HINT}"
        raise DataError(msg)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            msg = "expected a JSON object"
            raise ValueError(msg)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = str(exc).splitlines()[0][:120]
        msg = f"{path} is truncated or invalid ({reason}); {REBUILD_HINT}"
        raise DataError(msg) from exc
    return data


@dataclass
class Dataset:
    """Everything a date query needs, loaded from ``geodata/`` (or handed over by the build)."""

    syria: BaseGeometry
    border: BaseGeometry
    places: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    timeline: dict[str, Any]
    governorates: gpd.GeoDataFrame
    directory: Path | None = None
    extra_layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)  # other static layers
    origin: dict[str, Any] | None = None  # the events file drawn instead of the built-in events, if any
    # Names this dataset in keys that outlive a call (uploads, warmed caches): unlike id(), never reused.
    identity: str = field(default_factory=lambda: uuid.uuid4().hex, repr=False, compare=False)
    # Bytes of memoised results kept at most (None: ``settings.CACHE_MAX_BYTES``; an upload's is smaller).
    cache_max_bytes: int | None = field(default=None, repr=False, compare=False)
    _cache: LRUCache[Any, Any] = field(init=False, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.cache_max_bytes is None:
            self.cache_max_bytes = settings.CACHE_MAX_BYTES
        self._cache = LRUCache(self.cache_max_bytes, sizeof)

    @classmethod
    def from_parts(cls, **parts: Any) -> Dataset:
        """A dataset from in-memory parts (used by the build and by tests)."""
        places = parts.pop("places")
        if "id" in places.columns:
            places = places.set_index("id", drop=False)
        return cls(places=places, **parts)

    @classmethod
    def load(cls, directory: Path | None = None) -> Dataset:
        """Read ``geodata/`` with clear errors for missing or broken files.

        Raises
        ------
        DataError
            Naming the file, when a layer is missing, truncated or invalid.
        """
        directory = Path(directory or settings.geodata_dir())
        if not directory.is_dir():
            msg = f"{directory} does not exist; {REBUILD_HINT}"
            raise DataError(msg)
        syria = read_layer(directory, f"{settings.LAYER_SYRIA}.geojson")
        border = read_layer(directory, f"{settings.LAYER_BORDER}.geojson")
        places = read_layer(directory, f"{settings.LAYER_PLACES}.geojson")
        cells = read_layer(directory, CELLS_FILE)
        governorates = read_layer(directory, f"{settings.LAYER_GOVERNORATES}.geojson")
        timeline = _read_json(directory, TIMELINE_FILE)
        for key in ("baseline_date", "end_date", "events", "sources", "proposals", "baseline_controllers"):
            if key not in timeline:
                msg = f"{directory / TIMELINE_FILE} lacks {key!r}; {REBUILD_HINT}"
                raise DataError(msg)
        if syria.empty or border.empty or places.empty or cells.empty:
            msg = f"{directory} has an empty layer; {REBUILD_HINT}"
            raise DataError(msg)
        # Read every other static layer now, so a broken file is reported at start, not mid-page.
        extra = {
            name: read_layer(directory, f"{name}.geojson")
            for name in (
                settings.LAYER_HAMA_VILLAGES,
                settings.LAYER_SITES,
                settings.LAYER_EVENTS,
                settings.LAYER_BUFFERS,
            )
        }
        extra["neighbours"] = read_layer(directory, NEIGHBOURS_FILE)
        extra[settings.LAYER_BORDER] = border
        return cls.from_parts(
            syria=syria.geometry.iloc[0],
            border=border.geometry.iloc[0],
            places=places,
            cells=cells,
            timeline=timeline,
            governorates=governorates,
            directory=directory,
            extra_layers=extra,
        )

    # --- timeline -------------------------------------------------------------------------------

    @cached_property
    def baseline_date(self) -> dt.date:
        """The day before the offensives."""
        return dt.date.fromisoformat(self.timeline["baseline_date"])

    @cached_property
    def end_date(self) -> dt.date:
        """Last date of the timeline."""
        return dt.date.fromisoformat(self.timeline["end_date"])

    @cached_property
    def dates(self) -> list[dt.date]:
        """Every day of the timeline, baseline first."""
        n = (self.end_date - self.baseline_date).days
        return [self.baseline_date + dt.timedelta(days=i) for i in range(n + 1)]

    @cached_property
    def events(self) -> list[Event]:
        """All events, in date order (file order within a day)."""
        return [Event.from_record(e) for e in self.timeline["events"]]

    @cached_property
    def events_by_date(self) -> dict[dt.date, list[Event]]:
        """Events grouped by date, in timeline order."""
        out: dict[dt.date, list[Event]] = {}
        for e in self.events:
            out.setdefault(e.date, []).append(e)
        return out

    @cached_property
    def border_info(self) -> dict[str, Any]:
        """The border layer's properties (``length_km``, ``source``, ``note``) as the build wrote them."""
        layer = self.extra_layers.get(settings.LAYER_BORDER)
        props = {} if layer is None or layer.empty else dict(layer.drop(columns="geometry").iloc[0])
        if "length_km" not in props:
            props["length_km"] = round(geometry.geodesic_length_km(self.border), 1)
        props.setdefault("source", "border line")
        return props

    @cached_property
    def sources(self) -> dict[str, dict[str, str]]:
        """Sources by id."""
        return {s["id"]: s for s in self.timeline["sources"]}

    @cached_property
    def proposals(self) -> list[dict[str, Any]]:
        """Buffer-zone proposals, in file order."""
        return list(self.timeline["proposals"])

    @cached_property
    def baseline_controllers(self) -> dict[str, str]:
        """Controller of every place on the baseline date."""
        return dict(self.timeline["baseline_controllers"])

    @cached_property
    def baseline_sources(self) -> dict[str, str]:
        """Source id of the baseline zone each place lies in."""
        zone_source = {z["id"]: z["source"] for z in self.timeline.get("baseline", [])}
        out = {}
        for pid, zone in zip(self.cells["place_id"], self.cells["zone"], strict=True):
            if isinstance(pid, str):
                out[pid] = zone_source.get(zone, "")
        return out

    def parse_date(self, value: str | dt.date | None) -> dt.date:
        """A timeline date from ``YYYY-MM-DD`` (default: the last date).

        Raises
        ------
        UsageError
            When the value is not a date or lies outside the timeline.
        """
        if value is None or value == "":
            return self.end_date
        if isinstance(value, dt.date):
            date = value
        else:
            text = str(value).strip()
            try:
                if len(text) != 10:
                    raise ValueError
                date = dt.date.fromisoformat(text)
            except ValueError:
                msg = f"date {str(value)[:40]!r} is not a date; expected YYYY-MM-DD"
                raise UsageError(msg) from None
        if not self.baseline_date <= date <= self.end_date:
            msg = (
                f"date {date.isoformat()} is outside the timeline; expected "
                f"{self.baseline_date.isoformat()} to {self.end_date.isoformat()}"
            )
            raise UsageError(msg)
        return date

    # --- caching --------------------------------------------------------------------------------

    def cached(self, key: Any, make: Any) -> Any:
        """Memoise ``make()`` under ``key`` (thread-safe; results must be treated as read-only).

        The results kept hold at most ``cache_max_bytes`` (as :func:`territory.memo.sizeof`
        measures them); the least recently used go first, so options a visitor can vary (depths,
        layers, palette) cannot grow memory without bound. Most callers use :func:`territory.memo.per_dataset`.
        """
        with self._lock:
            if key in self._cache:
                return self._cache[key]  # a hit moves the key to the recent end
        value = make()
        with self._lock:
            if key in self._cache:
                return self._cache[key]
            with contextlib.suppress(ValueError):  # larger than the whole cache: returned, not kept
                self._cache[key] = value
            return value

    @property
    def cache_size(self) -> int:
        """Number of memoised results held now."""
        return len(self._cache)

    @property
    def cache_bytes(self) -> int:
        """Bytes the memoised results hold now (estimated)."""
        return int(self._cache.currsize)

    @cached_property
    def cell_geoms(self) -> Any:
        """Cell geometries as a numpy array (for fast coverage unions)."""
        return np.asarray(self.cells.geometry.values, dtype=object)


_DEFAULT: dict[Path, tuple[float, Dataset]] = {}
_DEFAULT_LOCK = threading.Lock()


def default_dataset(directory: Path | None = None) -> Dataset:
    """The dataset of ``geodata/``, loaded once per process (reloaded when timeline.json changes)."""
    directory = Path(directory or settings.geodata_dir()).resolve()
    stamp_path = directory / TIMELINE_FILE
    stamp = stamp_path.stat().st_mtime if stamp_path.exists() else -1.0
    with _DEFAULT_LOCK:
        hit = _DEFAULT.get(directory)
        if hit and hit[0] == stamp:
            return hit[1]
    ds = Dataset.load(directory)
    with _DEFAULT_LOCK:
        _DEFAULT[directory] = (stamp, ds)
    return ds
