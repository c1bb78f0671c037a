"""The seeds' places and map: places.csv, baseline.geojson, baseline_points.csv, golan_line.csv."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape

from territory import geometry, settings
from territory._errors import Problems, SeedValidationError
from territory.eventrows import place_hint
from territory.seedfiles import (
    BASELINE_BBOX,
    BASELINE_FILE,
    BASELINE_POINT_FIELDS,
    BASELINE_POINTS_FILE,
    BASELINE_PROPERTIES,
    GOLAN_LINE_FIELDS,
    GOLAN_LINE_FILE,
    PLACE_FIELDS,
    PLACES_FILE,
    SEPARATION_ORDER,
    SLUG_RE,
    SYRIA_BBOX,
    BaselinePoint,
    BaselineZone,
    Place,
    Source,
    _check_choice,
    _check_source,
    _read_csv,
)


def _in_box(lon: float, lat: float, box: tuple[float, float, float, float]) -> bool:
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def _load_places(
    root: Path,
    sources: dict[str, Source],
    known_ids: set[str],
    problems: Problems,
    syria: Any = None,
) -> list[Place]:
    rel = f"seeds/{PLACES_FILE}"
    places: list[Place] = []
    seen: dict[str, int] = {}
    for line, row in _read_csv(root / PLACES_FILE, PLACE_FIELDS, problems, rel):
        where = f"{rel}:{line}"
        pid = row["id"]
        override = pid in known_ids
        if not SLUG_RE.match(pid):
            problems.add(where, f"id {pid!r} is not a slug; expected lowercase words joined by '-'")
            continue
        if pid in seen:
            problems.add(where, f"id {pid!r} duplicates line {seen[pid]}; ids must be unique")
            continue
        seen[pid] = line
        if not override and not row["name"]:
            problems.add(where, "name is empty; expected the place's usual English name")
        lat = lon = None
        if row["lat"] or row["lon"] or not override:
            lat, lon = _place_coordinates(row, where, problems, syria)
        kind = row["kind"] or None
        if kind is not None and not _check_choice(kind, "kind", settings.PLACE_KINDS, where, problems):
            kind = None
        if kind is None and not override:
            problems.add(where, f"kind is empty; expected one of {', '.join(settings.PLACE_KINDS)}")
        governorate = row["governorate"] or None
        if governorate is not None and not _check_choice(
            governorate, "governorate", settings.GOVERNORATES, where, problems
        ):
            governorate = None
        population = None
        if row["population"]:
            try:
                population = int(row["population"])
                if population < 0:
                    raise ValueError
            except ValueError:
                problems.add(
                    where,
                    f"population {row['population']!r} is not a whole number ≥ 0; expected e.g. 4520",
                )
                population = None
        _check_source(row["source_id"], where, sources, problems)
        alt = tuple(a.strip() for a in row["alt_names"].split("|") if a.strip())
        operator = row["operator"].strip()
        if kind == "foreign_base" and not operator:
            problems.add(where, "operator is empty on a foreign_base; expected the state that runs it, e.g. Russia")
        places.append(
            Place(pid, row["name"], alt, lat, lon, kind, governorate, population, row["source_id"], line, operator)
        )
    _check_same_spot(places, rel, problems)
    return places


def _place_coordinates(
    row: dict[str, str], where: str, problems: Problems, syria: Any
) -> tuple[float | None, float | None]:
    """A row's lat/lon, or (None, None) with the problem noted: not numbers, or outside Syria."""
    try:
        lat, lon = float(row["lat"]), float(row["lon"])
    except ValueError:
        problems.add(
            where,
            f"lat/lon {row['lat']!r},{row['lon']!r} are not numbers; expected decimal degrees",
        )
        return None, None
    if not (math.isfinite(lat) and math.isfinite(lon)) or not _in_box(lon, lat, SYRIA_BBOX):
        problems.add(
            where,
            f"lat/lon {lat},{lon} lie outside Syria; expected about 32.3–37.3 N, 35.7–42.4 E (swapped lat and lon?)",
        )
        return None, None
    km = float(geometry.km_outside(syria, [lon], [lat])[0]) if syria is not None else 0.0
    if km > settings.MAX_OUTSIDE_KM:
        problems.add(
            where,
            f"lat/lon {lat},{lon} lie outside Syria ({km:.1f} km beyond its outline); "
            "expected a point inside Syria (swapped lat and lon?)",
        )
        return None, None
    return lat, lon


def _check_same_spot(places: list[Place], rel: str, problems: Problems) -> None:
    """Two places on the same spot would share one control cell."""
    by_coord: dict[tuple[float, float], str] = {}
    for p in places:
        if p.lat is None or p.lon is None:
            continue
        key = (round(p.lat, 4), round(p.lon, 4))
        if key in by_coord:
            problems.add(
                f"{rel}:{p.line}",
                f"lat/lon {p.lat},{p.lon} of {p.id!r} repeat those of {by_coord[key]!r}; "
                "expected distinct coordinates (merge the two, or give alt_names)",
            )
        else:
            by_coord[key] = p.id


def _rest_zone(data: dict[str, Any], rel: str, sources: dict[str, Source], problems: Problems) -> BaselineZone | None:
    """The top-level 'rest': who holds the ground outside every zone (no geometry of its own)."""
    rest = data.get("rest")
    if not isinstance(rest, dict) or any(k not in rest for k in BASELINE_PROPERTIES):
        problems.add(
            rel,
            "top-level 'rest' is missing or incomplete; expected an object with id, controller, source_id and "
            "note for the ground outside every zone (the government on 2024-11-26)",
        )
    else:
        where = f"{rel}: rest"
        ok = _check_choice(str(rest["controller"]), "controller", settings.CONTROLLERS, where, problems)
        _check_source(str(rest["source_id"]), where, sources, problems)
        if ok:
            return BaselineZone(
                id=str(rest["id"]),
                controller=str(rest["controller"]),
                source_id=str(rest["source_id"]),
                note=str(rest["note"]),
                geometry=shapely.Polygon(),  # the rest has no drawn geometry: it is what the zones leave
                order=0,
            )
    return None


def _zones_drawn_by_build(
    data: dict[str, Any], rel: str, sources: dict[str, Source], problems: Problems
) -> list[BaselineZone]:
    """The zones the build draws from open data ('separation', 'golan'), without geometry here."""
    zones_golan: list[BaselineZone] = []
    # Zones the build draws from open data (no geometry here): the occupied Golan along the
    # pre-1967 line, and the 1974 area of separation (Natural Earth's UNDOF strip).
    drawn_by_build = (
        ("separation", SEPARATION_ORDER, "the 1974 area of separation"),
        ("golan", -1, "the occupied Golan"),
    )
    for key, order, what in drawn_by_build:
        member = data.get(key)
        if member is None:
            continue
        where = f"{rel}: {key}"
        if not isinstance(member, dict) or any(k not in member for k in BASELINE_PROPERTIES):
            problems.add(where, f"is incomplete; expected id, controller, source_id and note ({what})")
        elif _check_choice(str(member["controller"]), "controller", settings.CONTROLLERS, where, problems):
            _check_source(str(member["source_id"]), where, sources, problems)
            zones_golan.append(
                BaselineZone(
                    str(member["id"]),
                    str(member["controller"]),
                    str(member["source_id"]),
                    str(member["note"]),
                    shapely.Polygon(),
                    order,
                )
            )
    return zones_golan


def _load_baseline(root: Path, sources: dict[str, Source], problems: Problems) -> list[BaselineZone]:
    rel = f"seeds/{BASELINE_FILE}"
    path = root / BASELINE_FILE
    if not path.exists():
        problems.add(rel, "file is missing; expected a GeoJSON FeatureCollection of zone polygons")
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        problems.add(rel, f"is not valid JSON ({exc}); expected a GeoJSON FeatureCollection")
        return []
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        problems.add(rel, "is not a GeoJSON FeatureCollection")
        return []
    zones: list[BaselineZone] = []
    seen: set[str] = set()
    rest_zone = _rest_zone(data, rel, sources, problems)
    if rest_zone is not None:
        seen.add(rest_zone.id)
    zones_golan = _zones_drawn_by_build(data, rel, sources, problems)
    for i, feature in enumerate(data.get("features") or [], start=1):
        props = (feature or {}).get("properties") or {}
        zid = str(props.get("id", ""))
        where = f"{rel}: feature {i} ({zid or 'no id'})"
        missing = [k for k in BASELINE_PROPERTIES if k not in props]
        if missing:
            problems.add(where, f"lacks properties {', '.join(missing)}")
            continue
        if not SLUG_RE.match(zid) or zid in seen:
            problems.add(where, f"id {zid!r} is not a unique slug")
            continue
        seen.add(zid)
        controller = str(props["controller"])
        ok = _check_choice(controller, "controller", settings.CONTROLLERS, where, problems)
        _check_source(str(props["source_id"]), where, sources, problems)
        try:
            geom = shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            problems.add(where, f"geometry is not valid GeoJSON ({exc})")
            continue
        if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
            problems.add(where, f"geometry is a {geom.geom_type}; expected a Polygon or MultiPolygon")
            continue
        if not geom.is_valid:
            problems.add(where, f"geometry is invalid: {shapely.is_valid_reason(geom)}")
            continue
        minx, miny, maxx, maxy = geom.bounds
        if not (_in_box(minx, miny, BASELINE_BBOX) and _in_box(maxx, maxy, BASELINE_BBOX)):
            problems.add(where, f"geometry bounds {geom.bounds} reach far outside Syria")
            continue
        if ok:
            zones.append(BaselineZone(zid, controller, str(props["source_id"]), str(props["note"]), geom, i))
    if rest_zone is not None:
        zones.append(rest_zone)
    return zones + zones_golan  # the zones drawn by the build (no geometry yet) come after the rest


def load_golan_line(root: Path | None = None) -> list[tuple[float, float]]:
    """``seeds/golan_line.csv`` alone (the base outline needs it before the other seeds are read).

    Raises
    ------
    SeedValidationError
        When a row is malformed.
    """
    root = Path(root or settings.seeds_dir())
    problems = Problems()
    line = _load_golan_line(root, None, problems)
    if problems:
        raise SeedValidationError(problems.lines())
    return line


def _load_golan_line(root: Path, sources: dict[str, Source] | None, problems: Problems) -> list[tuple[float, float]]:
    """The pre-1967 line, north to south, as ``(lon, lat)``; empty when the file is absent."""
    rel = f"seeds/{GOLAN_LINE_FILE}"
    if not (root / GOLAN_LINE_FILE).exists():
        return []
    points: list[tuple[int, float, float]] = []
    for line, row in _read_csv(root / GOLAN_LINE_FILE, GOLAN_LINE_FIELDS, problems, rel):
        where = f"{rel}:{line}"
        try:
            order, lat, lon = int(row["order"]), float(row["lat"]), float(row["lon"])
        except ValueError:
            problems.add(where, f"order/lat/lon {row['order']!r},{row['lat']!r},{row['lon']!r} are not numbers")
            continue
        if not (32.0 <= lat <= 33.6 and 35.4 <= lon <= 36.0):
            problems.add(
                where, f"lat/lon {lat},{lon} lie outside the Golan's area; expected about 32–33.6 N, 35.4–36 E"
            )
            continue
        if sources is not None:
            _check_source(row["source_id"], where, sources, problems)
        points.append((order, lon, lat))
    points.sort()
    if any(b[2] >= a[2] for a, b in itertools.pairwise(points)):
        problems.add(rel, "points are not ordered north to south by 'order'")
    return [(lon, lat) for _, lon, lat in points]


def _load_baseline_points(
    root: Path, sources: dict[str, Source], place_ids: dict[str, str], problems: Problems
) -> list[BaselinePoint]:
    rel = f"seeds/{BASELINE_POINTS_FILE}"
    points: list[BaselinePoint] = []
    seen: dict[str, int] = {}
    for line, row in _read_csv(root / BASELINE_POINTS_FILE, BASELINE_POINT_FIELDS, problems, rel):
        where = f"{rel}:{line}"
        ok = _check_place(row["place_id"], place_ids, where, problems)
        if ok and row["place_id"] in seen:
            problems.add(where, f"place_id {row['place_id']!r} repeats line {seen[row['place_id']]}")
            ok = False
        seen.setdefault(row["place_id"], line)
        ok &= _check_choice(row["controller"], "controller", settings.CONTROLLERS, where, problems)
        _check_source(row["source_id"], where, sources, problems)
        if ok:
            points.append(BaselinePoint(row["place_id"], row["controller"], row["source_id"], row["note"], line))
    return points


def _check_place(value: str, place_ids: set[str] | dict[str, str], where: str, problems: Problems) -> bool:
    if value in place_ids and (not isinstance(place_ids, dict) or place_ids[value] == value):
        return True
    aliases = place_ids if isinstance(place_ids, dict) else {p: p for p in place_ids}
    problems.add(where, f"place_id {value!r} is unknown{place_hint(value, aliases)}")
    return False
