"""Buffer bands along the Turkey–Syria border: what a security zone of a given depth covers.

A band of depth *d* is the part of Syria within *d* miles of the border line, computed in the metric
CRS (UTM 37N) and clipped to Syria; bands of growing depth are nested. A test checks the outer edges
geodesically with ``pyproj.Geod``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from territory import geometry, settings
from territory._errors import UsageError

# Enough segments per quarter circle that round caps stay within 0.1% of the radius.
QUAD_SEGS = 32


def parse_depths(text: str | Iterable[float] | None) -> tuple[float, ...]:
    """Depths in miles from ``"3,6,10"`` (or numbers), sorted and unique.

    Raises
    ------
    UsageError
        Naming the bad value, when a depth is not a number from 0.5 to 60 miles or the list is empty.
    """
    if text is None:
        return settings.DEFAULT_DEPTHS_MILES
    if isinstance(text, str):
        raw = [t.strip() for t in text.split(",")]
        if not text.strip() or any(t == "" for t in raw):
            msg = f"depths {text!r} is not a comma-separated list of miles; expected e.g. 3,6,10,22,30"
            raise UsageError(msg)
    else:
        raw = list(text)
    depths = []
    for item in raw:
        try:
            value = float(item)
        except (TypeError, ValueError):
            value = math.nan
        if isinstance(item, str) and not re.fullmatch(r"\d+(\.\d+)?", item):
            value = math.nan
        if not (settings.MIN_DEPTH_MILES <= value <= settings.MAX_DEPTH_MILES):
            msg = (
                f"depth {item!r} is not a number of miles from {settings.MIN_DEPTH_MILES:g} to "
                f"{settings.MAX_DEPTH_MILES:g}; expected e.g. 3,6,10,22,30"
            )
            raise UsageError(msg)
        depths.append(float(value))
    if len(set(depths)) > settings.MAX_BANDS:
        msg = f"{len(set(depths))} depths given; at most {settings.MAX_BANDS} bands can be compared at once"
        raise UsageError(msg)
    return tuple(sorted(set(depths)))


def round_depth(depth: float, keep: Iterable[float] = ()) -> float:
    """``depth`` on the 0.5-mile grid, unless it is one of ``keep`` (e.g. a proposal's own depth).

    The app rounds every depth a visitor types or puts in a URL, so the bands it computes and
    caches come from a small, fixed set.
    """
    for k in keep:
        if abs(depth - float(k)) < 1e-9:
            return float(k)
    step = settings.DEPTH_STEP_MILES
    rounded = math.floor(depth / step + 0.5) * step
    return float(min(max(rounded, settings.MIN_DEPTH_MILES), settings.MAX_DEPTH_MILES))


def format_depth(depth: float) -> str:
    """``3.0`` -> ``"3"``, ``2.5`` -> ``"2.5"``."""
    return f"{depth:g}"


def band_geometry(border: LineString, syria: BaseGeometry, depth_miles: float) -> BaseGeometry:
    """The part of ``syria`` within ``depth_miles`` of ``border`` (WGS84 in, WGS84 out)."""
    border_m = geometry.to_metric(border)
    syria_m = geometry.to_metric(syria)
    zone = border_m.buffer(depth_miles * settings.METRES_PER_MILE, quad_segs=QUAD_SEGS)
    band = geometry.polygonal(zone.intersection(syria_m))
    return geometry.clean(geometry.from_metric(band))
