"""Who controls what on a date: control points, control zones and the changes between dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import Point

from territory import geometry, settings
from territory.data import Dataset
from territory.memo import per_dataset
from territory.rules import holder_after


@dataclass(frozen=True)
class PlaceState:
    """A place's state on a date."""

    controller: str  # shown controller ("contested" while entered/contested)
    since: dt.date
    source: str
    kind: str  # "baseline" or the event kind that set it
    by: str  # the event's controller (who entered / took it), or the baseline holder
    note: str
    scope: str = "baseline"  # events.PLACE (a place row), events.GOVERNORATE_WIDE (a collapse row) or "baseline"


def describe_event(kind: str, controller: str) -> str:
    """Plain-language phrase for an event: ``"captured by Kurdish-led SDF"``."""
    who = settings.CONTROLLER_LABELS.get(controller, controller)
    if kind == settings.REPORT_KIND:
        return f"report ({who})" if controller else "report"
    phrases = {
        "captured": f"captured by {who}",
        "withdrawn": f"the holder withdrew; {who} moved in",
        "handed_over": f"handed over to {who}",
        "entered": f"{who} entered (contested)",
        "contested": "contested" if controller == settings.CONTESTED else f"contested ({who} attacking)",
    }
    return phrases.get(kind, f"{kind.replace('_', ' ')} ({who})")


@dataclass(frozen=True)
class _StateIndex:
    """The timeline's control changes as arrays, for any date's states in one pass (no walk over dates)."""

    place_ids: list[str]
    baseline: list[PlaceState]  # by place index
    ordinals: np.ndarray  # date ordinal of each control-changing event, ascending
    places: np.ndarray  # place index of each event
    states: list[PlaceState]  # the state each event sets


@per_dataset
def _state_index(ds: Dataset) -> _StateIndex:
    pids = list(ds.baseline_controllers)
    index = {pid: i for i, pid in enumerate(pids)}
    baseline = [
        PlaceState(ctl, ds.baseline_date, ds.baseline_sources.get(pid, ""), "baseline", ctl, "")
        for pid, ctl in ds.baseline_controllers.items()
    ]
    # Events are in date order (file order within a day); report-only events change nothing.
    changing = sorted((e for e in ds.events if e.kind in settings.EVENT_KINDS), key=lambda e: e.date.toordinal())
    states = [
        PlaceState(
            holder_after(e),
            e.date,
            e.source,
            e.kind,
            e.controller,
            e.note,
            e.scope,
        )
        for e in changing
    ]
    return _StateIndex(
        pids,
        baseline,
        np.asarray([e.date.toordinal() for e in changing], dtype=np.int64),
        np.asarray([index[e.place_id] for e in changing], dtype=np.int64),
        states,
    )


@per_dataset
def place_states(ds: Dataset, date: dt.date) -> dict[str, PlaceState]:
    """Every place's state on ``date``: its latest event on or before the date, else its baseline.

    One pass over the events up to the date (vectorised), whatever the number of dates, so a
    timeline of thousands of days costs no more per date than a short one.
    """
    ix = _state_index(ds)
    k = int(np.searchsorted(ix.ordinals, date.toordinal(), side="right"))
    last = np.full(len(ix.place_ids), -1, dtype=np.int64)
    np.maximum.at(last, ix.places[:k], np.arange(k, dtype=np.int64))  # the day's last row wins
    return {
        pid: ix.states[j] if j >= 0 else ix.baseline[i]
        for i, (pid, j) in enumerate(zip(ix.place_ids, last.tolist(), strict=True))
    }


def place_changes(ds: Dataset, place_id: str) -> list[PlaceState]:
    """The states a place's own events set, in date order (the day's last one only): its spells' starts."""
    ix = _state_index(ds)
    i = ix.place_ids.index(place_id)
    by_day: dict[dt.date, PlaceState] = {}
    for j in np.flatnonzero(ix.places == i).tolist():
        by_day[ix.states[j].since] = ix.states[j]
    return list(by_day.values())


def controllers_on(ds: Dataset, date: dt.date) -> dict[str, str]:
    """Controller of every place on ``date``."""
    return {pid: s.controller for pid, s in place_states(ds, date).items()}


@per_dataset
def group_holders(ds: Dataset, date: dt.date) -> dict[str, str]:
    """Who holds the thinly-held ground of each group (zone part and governorate) on ``date``.

    The side holding most of the group's places (contested ones not counted); on a tie the
    baseline holder if it is among the tied, else the first of them in legend order. A group with
    no held place keeps its baseline holder.
    """
    ctl = controllers_on(ds, date)
    counts: dict[str, dict[str, int]] = {}
    baseline: dict[str, str] = {}
    for pid, group, base in zip(ds.cells["place_id"], cell_groups(ds), ds.cells["baseline"], strict=True):
        baseline.setdefault(group, base)
        if isinstance(pid, str) and ctl[pid] != settings.CONTESTED:
            tally = counts.setdefault(group, {})
            tally[ctl[pid]] = tally.get(ctl[pid], 0) + 1
    out = {}
    for group, base in baseline.items():
        tally = counts.get(group)
        if not tally:
            out[group] = base
            continue
        top = max(tally.values())
        tied = [c for c in settings.CONTROLLERS if tally.get(c) == top]
        out[group] = base if base in tied else tied[0]
    return out


def cell_groups(ds: Dataset) -> list[str]:
    """The group (zone part and governorate) of every control cell."""
    if "group" in ds.cells:
        return [g if isinstance(g, str) and g else f"cell-{i}" for i, g in enumerate(ds.cells["group"])]
    return [f"cell-{i}" for i in range(len(ds.cells))]


def thin_mask(ds: Dataset) -> np.ndarray:
    """True for the cells that are thinly held (beyond every place's reach)."""
    if "thin" not in ds.cells:
        return np.zeros(len(ds.cells), dtype=bool)
    return np.asarray([t is True or t == 1 for t in ds.cells["thin"]], dtype=bool)


@per_dataset
def cell_areas(ds: Dataset) -> np.ndarray:
    """Area of every control cell (km², equal-area projection)."""
    return np.asarray(geometry.areas_km2(list(ds.cell_geoms)), dtype=float)


@per_dataset
def area_ranges(ds: Dataset, date: dt.date) -> dict[str, tuple[float, float]]:
    """Each side's area on ``date`` as a range (km²): low and high.

    Low: the cells of the places it holds (ground within reach of them). High: that, plus the
    thinly-held ground of every group where it holds at least one place or holds the group.
    """
    ctl = controllers_on(ds, date)
    holders = group_holders(ds, date)
    areas, thin, groups = cell_areas(ds), thin_mask(ds), cell_groups(ds)
    present: dict[str, set[str]] = {}
    for pid, group in zip(ds.cells["place_id"], groups, strict=True):
        if isinstance(pid, str) and ctl[pid] != settings.CONTESTED:
            present.setdefault(group, set()).add(ctl[pid])
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    for i, (pid, group) in enumerate(zip(ds.cells["place_id"], groups, strict=True)):
        if thin[i] or not isinstance(pid, str):
            for c in present.get(group, set()) | {holders[group]}:
                high[c] = high.get(c, 0.0) + areas[i]
        else:
            c = ctl[pid]
            low[c] = low.get(c, 0.0) + areas[i]
            high[c] = high.get(c, 0.0) + areas[i]
    return {c: (round(low.get(c, 0.0), 1), round(high[c], 1)) for c in high}


@per_dataset
def cell_controllers(ds: Dataset, date: dt.date) -> np.ndarray:
    """Controller of every control cell on ``date``.

    A place's cell follows its place; a thinly-held piece follows its group (:func:`group_holders`).
    """
    ctl = controllers_on(ds, date)
    groups = group_holders(ds, date)
    return np.asarray(
        [
            ctl[pid] if isinstance(pid, str) else groups[group]
            for pid, group in zip(ds.cells["place_id"], cell_groups(ds), strict=True)
        ],
        dtype=object,
    )


@per_dataset
def control_points(ds: Dataset, date: dt.date) -> gpd.GeoDataFrame:
    """Layer ``control-points``: every place with its controller on ``date``."""
    states = place_states(ds, date)
    disputed = disputes_on(ds, date)
    places = ds.places
    rows = {
        "id": list(places["id"]),
        "name": list(places["name"]),
        "kind": list(places["kind"]),
        "population": list(places["population"]),
        "controller": [states[p].controller for p in places["id"]],
        "since": [states[p].since for p in places["id"]],
        "source": [states[p].source for p in places["id"]],
        "event": [states[p].kind for p in places["id"]],
        "by": [states[p].by for p in places["id"]],
        "date": [date] * len(places),
        "disputed": [p in disputed for p in places["id"]],
        "alternatives": [disputed.get(p, []) for p in places["id"]],
    }
    return gpd.GeoDataFrame(rows, geometry=list(places.geometry), crs=settings.CRS_WGS84)


def _dissolve(geoms: np.ndarray, keys: np.ndarray) -> dict[str, shapely.Geometry]:
    out = {}
    for key in sorted(set(keys), key=lambda k: settings.CONTROLLERS.index(k) if k in settings.CONTROLLERS else 99):
        out[key] = geometry.clean(shapely.coverage_union_all(geoms[keys == key]))
    return out


@per_dataset
def zone_totals(ds: Dataset, date: dt.date) -> dict[str, dict[str, float | int]]:
    """Each side's area (km²: the sum of its cells', equal-area), its range, population and places on ``date``.

    The figures of ``control-zones`` without dissolving the geometry: the cells tile Syria, so a zone's
    area is its cells' (the dissolved polygon's measured area differs by under 0.05 km²).
    """
    held = cell_controllers(ds, date)
    areas = cell_areas(ds)
    states = place_states(ds, date)
    names = [c for c in settings.CONTROLLERS if (held == c).any()]
    pop = dict.fromkeys(names, 0)
    count = dict.fromkeys(names, 0)
    for pid, popn in zip(ds.places["id"], ds.places["population"], strict=True):
        c = states[pid].controller
        pop[c] = pop.get(c, 0) + (int(popn) if popn == popn and popn is not None else 0)
        count[c] = count.get(c, 0) + 1
    ranges = area_ranges(ds, date)
    out: dict[str, dict[str, float | int]] = {}
    for n in names:
        area = round(float(areas[held == n].sum()), 1)
        low, high = ranges.get(n, (0.0, 0.0))
        out[n] = {
            "area_km2": area,
            "area_low_km2": min(low, area),
            "area_high_km2": max(high, area),
            "population": pop.get(n, 0),
            "places": count.get(n, 0),
        }
    return out


@per_dataset
def control_zones(ds: Dataset, date: dt.date) -> gpd.GeoDataFrame:
    """Layer ``control-zones``: one (multi)polygon per controller on ``date``; together they tile Syria."""
    zones = _dissolve(ds.cell_geoms, cell_controllers(ds, date))
    totals = zone_totals(ds, date)
    names = list(zones)
    return gpd.GeoDataFrame(
        {
            "controller": names,
            "label": [settings.CONTROLLER_LABELS[n] for n in names],
            "date": [date] * len(names),
            **{k: [totals[n][k] for n in names] for k in ("area_km2", "area_low_km2", "area_high_km2")},
            "population": [totals[n]["population"] for n in names],
            "places": [totals[n]["places"] for n in names],
        },
        geometry=[zones[n] for n in names],
        crs=settings.CRS_WGS84,
    )


@per_dataset
def changes(ds: Dataset, date_from: dt.date, date_to: dt.date) -> gpd.GeoDataFrame:
    """Layer ``changes``: the ground that changed hands between two dates, by (from, to)."""
    before = cell_controllers(ds, date_from)
    after = cell_controllers(ds, date_to)
    moved = before != after
    rows: dict[str, list[object]] = {k: [] for k in ("from", "to", "date_from", "date_to", "area_km2", "places")}
    geoms = []
    pairs = sorted({(a, b) for a, b in zip(before[moved], after[moved], strict=True)})
    cell_places = ds.cells["place_id"].to_numpy()
    for a, b in pairs:
        mask = moved & (before == a) & (after == b)
        geom = geometry.clean(shapely.coverage_union_all(ds.cell_geoms[mask]))
        rows["from"].append(a)
        rows["to"].append(b)
        rows["date_from"].append(date_from)
        rows["date_to"].append(date_to)
        rows["area_km2"].append(round(geometry.area_km2(geom), 1))
        rows["places"].append(sorted(p for p in cell_places[mask] if isinstance(p, str)))
        geoms.append(geom)
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=settings.CRS_WGS84)


@per_dataset
def events_until(ds: Dataset, date: dt.date, since: dt.date | None = None) -> gpd.GeoDataFrame:
    """Layer ``events``: the events on or before ``date`` (after ``since`` when given), as points."""
    chosen = [e for e in ds.events if e.date <= date and (since is None or e.date > since)]
    places = ds.places
    rows = {
        "date": [e.date for e in chosen],
        "place": [e.place_id for e in chosen],
        "name": [places.at[e.place_id, "name"] for e in chosen],
        "controller": [e.controller for e in chosen],
        "kind": [e.kind for e in chosen],
        "scope": [e.scope for e in chosen],
        "source": [e.source for e in chosen],
        "source_title": [ds.sources.get(e.source, {}).get("title", "") for e in chosen],
        "source_url": [ds.sources.get(e.source, {}).get("url", "") for e in chosen],
        "note": [e.note for e in chosen],
    }
    geoms = [Point(places.at[e.place_id, "geometry"].coords[0]) for e in chosen]
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=settings.CRS_WGS84)


@per_dataset
def disputes_on(ds: Dataset, date: dt.date) -> dict[str, list[dict[str, str]]]:
    """Places whose holder on ``date`` another source disputes: the other claims, with their sources."""
    ctl = controllers_on(ds, date)
    out: dict[str, list[dict[str, str]]] = {}
    for d in ds.timeline.get("disputes", []):
        if d["valid_from"] <= date.isoformat() < d["valid_to"] and ctl.get(d["place_id"]) != d["controller"]:
            out.setdefault(d["place_id"], []).append(
                {"controller": d["controller"], "source": d["source"], "note": d["note"]}
            )
    return out


@dataclass(frozen=True)
class DayCodes:
    """Who holds what on one date, as arrays (controller codes are indices into ``settings.CONTROLLERS``)."""

    index: int  # position of the date in ``ds.dates``
    places: np.ndarray  # shown controller code of every place, in ``ds.places`` order
    cells: np.ndarray  # controller code of every control cell
    states: list[PlaceState]  # every place's state, in ``ds.places`` order
    changed: np.ndarray  # indices of the places whose state the date's events set


def sweep(ds: Dataset) -> Iterator[DayCodes]:
    """Every date's holders, in date order, updated from the day's events alone.

    The same rules as :func:`place_states` and :func:`group_holders`, but O(events + dates × changes)
    in all: a timeline of thousands of days is swept in well under a second, and nothing per date is
    kept (the arrays yielded are the sweep's own; copy what you keep).
    """
    ix = _state_index(ds)
    codes = {c: i for i, c in enumerate(settings.CONTROLLERS)}
    contested = codes[settings.CONTESTED]
    pid_pos = {p: i for i, p in enumerate(ds.places["id"])}  # everything below is in ds.places order
    pos_of = np.asarray([pid_pos[p] for p in ix.place_ids], dtype=np.int64)  # the index's place -> position
    states: list[PlaceState] = [ix.baseline[0]] * len(pos_of)
    for i, p in enumerate(pos_of.tolist()):
        states[p] = ix.baseline[i]
    place_code = np.asarray([codes[s.controller] for s in states], dtype=np.int8)
    groups = cell_groups(ds)
    group_index = {g: k for k, g in enumerate(dict.fromkeys(groups))}
    cell_group = np.asarray([group_index[g] for g in groups], dtype=np.int64)
    cell_place = np.asarray([pid_pos[p] if isinstance(p, str) else -1 for p in ds.cells["place_id"]], dtype=np.int64)
    place_group = np.full(len(place_code), -1, dtype=np.int64)
    place_group[cell_place[cell_place >= 0]] = cell_group[cell_place >= 0]
    group_base = np.zeros(len(group_index), dtype=np.int8)
    for k in range(len(cell_group) - 1, -1, -1):  # the first cell of a group gives its baseline holder
        group_base[cell_group[k]] = codes[ds.cells["baseline"].iloc[k]]
    tally = np.zeros((len(group_index), len(settings.CONTROLLERS)), dtype=np.int64)
    held = (place_group >= 0) & (place_code != contested)
    np.add.at(tally, (place_group[held], place_code[held]), 1)

    def holder(g: int) -> int:
        row = tally[g]
        top = row.max()
        if top == 0:
            return int(group_base[g])
        if row[group_base[g]] == top:
            return int(group_base[g])
        return int(np.flatnonzero(row == top)[0])

    group_holder = np.asarray([holder(g) for g in range(len(group_index))], dtype=np.int8)
    k = 0
    n_events = len(ix.ordinals)
    for day, date in enumerate(ds.dates):
        limit = date.toordinal()
        touched: dict[int, None] = {}
        while k < n_events and ix.ordinals[k] <= limit:
            p = int(pos_of[ix.places[k]])
            states[p] = ix.states[k]
            touched[p] = None
            k += 1
        changed = np.fromiter(touched, dtype=np.int64, count=len(touched))
        regroup: set[int] = set()
        for p in changed.tolist():
            new = codes[states[p].controller]
            old = int(place_code[p])
            if new == old:
                continue
            g = int(place_group[p])
            if g >= 0:
                if old != contested:
                    tally[g, old] -= 1
                if new != contested:
                    tally[g, new] += 1
                regroup.add(g)
            place_code[p] = new
        for g in regroup:
            group_holder[g] = holder(g)
        cells = np.where(cell_place >= 0, place_code[np.maximum(cell_place, 0)], group_holder[cell_group])
        yield DayCodes(day, place_code, cells.astype(np.int8), states, changed)
