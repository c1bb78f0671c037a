"""Deterministic generator of a synthetic ACLED-format CSV export, for benchmarks and tests.

The file looks like what ACLED's export tool writes for Syria: the same 31 columns in the same order,
newest events first, ``event_date`` as "27 November 2024" (or ISO with ``--date-format iso``),
coordinates with 4 decimals, free-text ``notes`` with commas and double quotes, written by Python's
``csv`` module (minimal quoting, UTF-8, "\\n" line endings). None of the content is real ACLED data:

* ``event_date`` covers exactly ``days`` consecutive days ending on ``end``, each day at least once
  (so ``rows >= days``), with a surge of events in the last two weeks;
* locations are ``locations`` distinct (location, latitude, longitude) triples strictly inside
  Syria's outline (``geodata/syria.geojson``): up to 100 real places from ``geodata/places.geojson``
  (their coordinates rounded to 4 decimals) and synthetic places such as "Tell Synth 1234", 60 % of
  them in the focus governorates; ``admin1`` is the governorate (``geodata/governorates.geojson``);
* the event and sub-event types follow the mix of ACLED's Syria data, and in territorial rows
  (Government regains territory, Non-state actor overtakes territory, Non-violent transfer of
  territory) ``actor1`` is always one of the ACLED-style names in :data:`ACTORS`.

The output depends only on the arguments and the geodata files: the same arguments give a
byte-identical file (everything random comes from ``numpy.random.default_rng(seed)``). 100,000 rows
take a couple of seconds.

Usage: python bench/make_acled.py -o OUT.csv [--rows 100000] [--days 2000] [--locations 5000]
       [--end 2024-12-12] [--seed 1] [--date-format iso|acled]
The summary (see :func:`write_acled`) is printed to stderr as one JSON line.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import shapely
from shapely.geometry import shape

GEODATA = Path(__file__).resolve().parents[1] / "geodata"

COLUMNS: tuple[str, ...] = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
    "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3",
    "location", "latitude", "longitude", "geo_precision", "source", "source_scale", "notes",
    "fatalities", "tags", "timestamp",
)  # fmt: skip

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

DateFormat = Literal["iso", "acled"]

# --- actors ------------------------------------------------------------------------------------

SYRIA = "Military Forces of Syria (2000-2024)"
NDF = "NDF: National Defense Forces"
HEZBOLLAH = "Hezbollah"
RUSSIA = "Military Forces of Russia (2000-)"
HTS = "Hayat Tahrir al Sham"
SNA = "Syrian National Army"
TURKEY = "Military Forces of Turkey (2016-)"
SDF = "SDF: Syrian Democratic Forces"
YPG = "YPG: People's Protection Units"
ISRAEL = "Military Forces of Israel (2022-)"
CIVILIANS = "Civilians (Syria)"
PROTESTERS = "Protesters (Syria)"
UNIDENTIFIED = "Unidentified Armed Group (Syria)"

ACTORS: tuple[str, ...] = (
    SYRIA, NDF, HEZBOLLAH, RUSSIA, HTS, SNA, TURKEY, SDF, YPG, ISRAEL, CIVILIANS, PROTESTERS, UNIDENTIFIED,
)  # fmt: skip
GOVERNMENT = (SYRIA, NDF, HEZBOLLAH, RUSSIA)
TERRITORIAL_ACTORS = (HTS, SNA, SDF, YPG)

#: ACLED's numeric actor-type codes: 1 state forces, 2 rebel groups, 3 political militias,
#: 6 protesters, 7 civilians, 8 external/other forces (foreign militaries).
INTER: dict[str, int] = {
    SYRIA: 1, NDF: 3, HEZBOLLAH: 3, RUSSIA: 8, HTS: 2, SNA: 2, TURKEY: 8, SDF: 2, YPG: 2,
    ISRAEL: 8, CIVILIANS: 7, PROTESTERS: 6, UNIDENTIFIED: 3,
}  # fmt: skip

#: Who fights whom: the candidates for ``actor2`` when ``actor1`` attacks an armed actor.
ENEMIES: dict[str, tuple[str, ...]] = {
    SYRIA: (HTS, HTS, SNA, SDF, UNIDENTIFIED, ISRAEL),
    NDF: (HTS, SNA, UNIDENTIFIED),
    HEZBOLLAH: (HTS, SNA, ISRAEL),
    RUSSIA: (HTS, HTS, SNA),
    HTS: (SYRIA, SYRIA, NDF, HEZBOLLAH, RUSSIA, SDF),
    SNA: (SYRIA, NDF, SDF, SDF, YPG, HTS),
    TURKEY: (SDF, SDF, YPG, SYRIA),
    SDF: (SNA, SNA, TURKEY, HTS, SYRIA, UNIDENTIFIED),
    YPG: (SNA, TURKEY, HTS),
    ISRAEL: (HEZBOLLAH, SYRIA),
    UNIDENTIFIED: (SYRIA, NDF, HTS, SNA, SDF),
}

ASSOCIATES: dict[str, tuple[str, ...]] = {
    SYRIA: ("Liwa al Quds", "Fatemiyoun Brigade"),
    RUSSIA: ("Wagner Group",),
    HTS: ("Ahrar al Sham", "Turkistan Islamic Party", "Jaysh al Izza", "National Front for Liberation"),
    SNA: ("Ahrar al Sham", "Faylaq al Sham", "Sultan Murad Division", "Hamza Division"),
    TURKEY: ("Syrian National Army",),
    SDF: ("YPJ: Women's Protection Units", "Manbij Military Council"),
    YPG: ("YPJ: Women's Protection Units",),
    PROTESTERS: ("Women (Syria)", "Refugees/IDPs (Syria)", "Students (Syria)"),
}

SOURCES = (
    "SOHR", "Enab Baladi", "Step News Agency", "North Press Agency", "SANA", "Syria Direct",
    "Halab Today TV", "Sham Network", "Orient News", "Hawar News Agency", "Baladi News",
)  # fmt: skip

OPERATIONS: dict[str, str] = {HTS: "Deterrence of Aggression", SNA: "Dawn of Freedom"}

SYNTH_PREFIXES = ("Tell", "Kafr", "Ain", "Deir", "Khirbet", "Maarrat", "Jabal", "Tall", "Qasr", "Bir")


@dataclass(frozen=True)
class SubEvent:
    """One ACLED sub-event type and how to fill a row of it."""

    disorder_type: str
    event_type: str
    sub_event_type: str
    share: float
    actor1: Mapping[str, float]  # weights of the candidates for actor1
    p_empty2: float  # chance that actor2 is empty
    p_civilians2: float  # chance that actor2 is Civilians (Syria) (else an enemy of actor1)
    p_killed: float  # chance of a nonzero fatality count
    notes: tuple[str, ...]  # templates: {date} {a1} {a2} {loc} {adm} {src} {op} {fat}


PV, DEM, SD = "Political violence", "Demonstrations", "Strategic developments"
BATTLES, EXPLOSIONS = "Battles", "Explosions/Remote violence"
VAC, PROTESTS = "Violence against civilians", "Protests"

SUB_EVENTS: tuple[SubEvent, ...] = (
    SubEvent(
        PV, BATTLES, "Armed clash", 0.35,
        {SYRIA: 25, HTS: 20, SNA: 15, SDF: 12, NDF: 5, HEZBOLLAH: 3, YPG: 5, TURKEY: 5, UNIDENTIFIED: 10},
        0.05, 0.0, 0.35,
        (
            "On {date}, {a1} clashed with {a2} on the frontline near {loc} ({adm}), using heavy machine guns, "
            "rocket-propelled grenades and sniper fire. {fat}",
            "On {date}, {a1} and {a2} exchanged fire near {loc}, in the countryside of {adm}, after an attempted "
            "infiltration towards their positions, according to {src}. {fat}",
        ),
    ),
    SubEvent(
        PV, BATTLES, "Government regains territory", 0.04,
        {SYRIA: 70, NDF: 10, HEZBOLLAH: 10, RUSSIA: 10},
        0.2, 0.0, 0.5,
        (
            "On {date}, {a1} regained control of {loc} ({adm}) from {a2}, after several days of intense clashes, "
            "shelling and airstrikes on the area. {fat}",
            "On {date}, {a1}, backed by allied militias, recaptured {loc}, {adm}, pushing {a2} back towards "
            'what state media called "terrorist strongholds". {fat}',
        ),
    ),
    SubEvent(
        PV, BATTLES, "Non-state actor overtakes territory", 0.04,
        {HTS: 45, SNA: 30, SDF: 15, YPG: 10},
        0.15, 0.0, 0.5,
        (
            "On {date}, {a1} fighters took control of {loc} ({adm}) from {a2}, as part of the "
            '"{op}" operation, according to {src}. {fat}',
            "On {date}, {a1} overran positions of {a2} in and around {loc}, {adm}, and seized weapons, "
            "ammunition and several vehicles left behind, according to local sources. {fat}",
        ),
    ),
    SubEvent(
        PV, EXPLOSIONS, "Shelling/artillery/missile attack", 0.20,
        {SYRIA: 40, HTS: 15, SNA: 10, TURKEY: 10, SDF: 10, NDF: 5, HEZBOLLAH: 5, UNIDENTIFIED: 5},
        0.1, 0.15, 0.2,
        (
            "On {date}, {a1} shelled {loc} ({adm}) with artillery and rocket launchers, targeting positions "
            "of {a2}, and damaging several houses and farmland. {fat}",
            "On {date}, {a1} fired mortar shells and guided missiles at {loc}, {adm}, where {a2} were stationed, "
            "according to {src}. {fat}",
        ),
    ),
    SubEvent(
        PV, EXPLOSIONS, "Air/drone strike", 0.15,
        {SYRIA: 35, RUSSIA: 30, TURKEY: 15, ISRAEL: 10, HTS: 5, UNIDENTIFIED: 5},
        0.3, 0.2, 0.4,
        (
            "On {date}, {a1} warplanes carried out several airstrikes on {loc} ({adm}), targeting {a2}, "
            "and destroying a building used as a headquarters, according to {src}. {fat}",
            'On {date}, a {a1} drone, described by residents as a "kamikaze" drone, struck a vehicle of {a2} '
            "on the road near {loc}, {adm}. {fat}",
        ),
    ),
    SubEvent(
        PV, EXPLOSIONS, "Remote explosive/landmine/IED", 0.03,
        {UNIDENTIFIED: 80, SYRIA: 10, HTS: 10},
        0.1, 0.5, 0.45,
        (
            "On {date}, an IED planted by {a1} exploded near {loc} ({adm}), targeting a car belonging to "
            "{a2}, and wounding passers-by, according to {src}. {fat}",
            "On {date}, a landmine left by {a1} exploded under a tractor in farmland near {loc}, {adm}, while "
            "{a2} were working the land during the harvest season. {fat}",
        ),
    ),
    SubEvent(
        PV, VAC, "Attack", 0.05,
        {UNIDENTIFIED: 40, SYRIA: 20, HTS: 10, SNA: 15, SDF: 10, NDF: 5},
        0.0, 1.0, 0.8,
        (
            "On {date}, {a1} shot and killed a civilian man in {loc} ({adm}), after accusing him of "
            '"collaborating" with the other side, according to {src}. {fat}',
            "On {date}, {a1} attacked a family, including a woman and two children, at their home in {loc}, "
            "{adm}, and fled the scene, according to {src}. {fat}",
        ),
    ),
    SubEvent(
        DEM, PROTESTS, "Peaceful protest", 0.06,
        {PROTESTERS: 1},
        1.0, 0.0, 0.0,
        (
            "On {date}, dozens of people demonstrated in {loc} ({adm}), against the deteriorating living "
            'conditions and the rising prices, chanting "the people want dignity". [size=no report]',
            "On {date}, residents and displaced people held a protest in the main square of {loc}, {adm}, "
            "demanding the release of detainees and the return of displaced families. [size=no report]",
        ),
    ),
    SubEvent(
        SD, "Strategic developments", "Non-violent transfer of territory", 0.01,
        {HTS: 40, SNA: 25, SDF: 20, YPG: 15},
        0.6, 0.0, 0.0,
        (
            "On {date}, {a1} took over positions in {loc} ({adm}) without a fight, after {a2} withdrew from "
            "the area under an agreement brokered by local notables. {fat}",
            'On {date}, {a1} entered {loc}, {adm}, and raised its flag over the town, in what {src} described '
            'as a "peaceful handover" after {a2} pulled out. {fat}',
        ),
    ),
    SubEvent(
        SD, "Strategic developments", "Looting/property destruction", 0.02,
        {SNA: 30, SYRIA: 20, HTS: 15, SDF: 10, UNIDENTIFIED: 15, NDF: 10},
        0.2, 0.8, 0.0,
        (
            "On {date}, {a1} looted and burned houses belonging to {a2} in {loc} ({adm}), and seized "
            "agricultural equipment and olive harvests, according to {src}. {fat}",
            "On {date}, {a1} demolished several homes in {loc}, {adm}, and confiscated the land of displaced "
            "families, according to {src}. {fat}",
        ),
    ),
    SubEvent(
        SD, "Strategic developments", "Other", 0.05,
        {SYRIA: 25, HTS: 20, SNA: 15, SDF: 15, TURKEY: 10, RUSSIA: 10, NDF: 5},
        0.7, 0.0, 0.0,
        (
            "On {date}, {a1} sent military reinforcements, including tanks and rocket launchers, to its "
            "positions in {loc} ({adm}), amid fears of an imminent offensive by {a2}. {fat}",
            'On {date}, {a1} set up a new checkpoint at the entrance of {loc}, {adm}, under a "reconciliation '
            'agreement", and arrested several young men wanted by {a2}. {fat}',
        ),
    ),
)  # fmt: skip

TERRITORIAL_SUB_EVENTS = frozenset(
    {"Government regains territory", "Non-state actor overtakes territory", "Non-violent transfer of territory"}
)
NO_FATALITIES = ("No fatalities were reported.", "Fatalities unknown.", "There were no reported casualties.")


# --- locations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Locations:
    """The location triples, their governorate and ACLED geo_precision base."""

    names: list[str]
    lat: list[str]  # formatted with 4 decimals
    lon: list[str]
    admin1: list[str]
    real: np.ndarray  # bool, True for places from places.geojson


def _load_features(name: str) -> list[dict[str, Any]]:
    with (GEODATA / name).open(encoding="utf-8") as f:
        features: list[dict[str, Any]] = json.load(f)["features"]
    return features


def _fmt4(values: np.ndarray) -> list[str]:
    return [f"{v:.4f}" for v in values.tolist()]


def _make_locations(n: int, rng: np.random.Generator) -> Locations:
    syria = shape(_load_features("syria.geojson")[0]["geometry"])
    shapely.prepare(syria)
    gov_features = _load_features("governorates.geojson")
    gov_names = [str(f["properties"]["name"]) for f in gov_features]
    gov_geoms = np.array([shape(f["geometry"]) for f in gov_features], dtype=object)
    shapely.prepare(gov_geoms)
    focus = shapely.union_all([g for g, f in zip(gov_geoms, gov_features, strict=True) if f["properties"].get("focus")])
    shapely.prepare(focus)

    # Real places: unique names whose rounded coordinates are strictly inside Syria.
    places = sorted(_load_features("places.geojson"), key=lambda f: str(f["properties"].get("id", "")))
    seen: set[str] = set()
    candidates: list[tuple[str, str, str, str]] = []
    for feat in places:
        name = str(feat["properties"]["name"])
        lon, lat = feat["geometry"]["coordinates"][:2]
        slon, slat = f"{lon:.4f}", f"{lat:.4f}"
        if name in seen or not shapely.contains_xy(syria, float(slon), float(slat)):
            continue
        seen.add(name)
        candidates.append((name, slat, slon, str(feat["properties"]["governorate"])))
    n_real = min(100, n // 2, len(candidates))
    chosen = [candidates[i] for i in sorted(rng.choice(len(candidates), size=n_real, replace=False).tolist())]

    # Synthetic places: 60 % in the focus governorates, the rest anywhere in Syria.
    n_synth = n - n_real
    n_focus = round(n_synth * 0.6)
    coords: set[tuple[str, str]] = {(lat, lon) for _, lat, lon, _ in chosen}
    xs: list[float] = []
    ys: list[float] = []
    for area, count in ((focus, n_focus), (syria, n_synth - n_focus)):
        minx, miny, maxx, maxy = area.bounds
        got = 0
        while got < count:
            batch = max(2 * (count - got), 256)
            x = np.round(rng.uniform(minx, maxx, batch), 4)
            y = np.round(rng.uniform(miny, maxy, batch), 4)
            inside = shapely.contains_xy(syria, x, y) & shapely.contains_xy(area, x, y)
            for xi, yi in zip(x[inside].tolist(), y[inside].tolist(), strict=True):
                key = (f"{yi:.4f}", f"{xi:.4f}")
                if key in coords:
                    continue
                coords.add(key)
                xs.append(xi)
                ys.append(yi)
                got += 1
                if got == count:
                    break
    x_arr, y_arr = np.array(xs), np.array(ys)
    gov_idx = np.full(n_synth, -1)
    for i in range(len(gov_geoms) - 1, -1, -1):  # first matching governorate wins
        gov_idx[shapely.contains_xy(gov_geoms[i], x_arr, y_arr)] = i
    lost = np.flatnonzero(gov_idx < 0)  # in gaps between governorate polygons: take the nearest
    if lost.size:
        dist = shapely.distance(gov_geoms[:, None], shapely.points(x_arr[lost], y_arr[lost])[None, :])
        gov_idx[lost] = dist.argmin(axis=0)

    numbers = rng.permutation(np.arange(1000, 1000 + max(9000, 2 * n_synth)))[:n_synth].tolist()
    prefixes = rng.integers(0, len(SYNTH_PREFIXES), n_synth).tolist()
    synth_names = [f"{SYNTH_PREFIXES[p]} Synth {k}" for p, k in zip(prefixes, numbers, strict=True)]
    return Locations(
        names=[c[0] for c in chosen] + synth_names,
        lat=[c[1] for c in chosen] + _fmt4(y_arr),
        lon=[c[2] for c in chosen] + _fmt4(x_arr),
        admin1=[c[3] for c in chosen] + [gov_names[i] for i in gov_idx.tolist()],
        real=np.arange(n) < n_real,
    )


# --- rows --------------------------------------------------------------------------------------


def _cover_then_draw(n_items: int, rows: int, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices 0..n_items-1, each at least once (as far as rows allow), the rest drawn by weight."""
    cover = np.arange(min(n_items, rows))
    extra = rng.choice(n_items, size=rows - cover.size, p=weights / weights.sum())
    return np.concatenate([cover, extra])


def _pick(options: Sequence[str], u: float) -> str:
    return options[min(int(u * len(options)), len(options) - 1)]


def _rows(
    rows: int, days: int, end: date, date_format: DateFormat, locs: Locations, rng: np.random.Generator
) -> Iterator[list[object]]:
    """Yield the rows, newest first; every random draw is made before the first row is yielded."""
    first = end - timedelta(days=days - 1)
    d = np.arange(days)
    day_w = 1.0 + 0.6 * np.sin(2 * np.pi * d / 365.25) ** 2
    day_w[-16:] *= 6.0  # the surge of the last two weeks
    day_idx = np.sort(_cover_then_draw(days, rows, day_w, rng))[::-1]

    n_loc = len(locs.names)
    loc_w = 1.0 / (rng.permutation(n_loc) + 10.0) ** 0.8 * np.where(locs.real, 3.0, 1.0)
    loc_idx = rng.permutation(_cover_then_draw(n_loc, rows, loc_w, rng))

    shares = np.array([s.share for s in SUB_EVENTS])
    sub_idx = rng.choice(len(SUB_EVENTS), size=rows, p=shares / shares.sum())
    actor1_idx = np.zeros(rows, dtype=np.int64)
    for k, sub in enumerate(SUB_EVENTS):
        mask = sub_idx == k
        w = np.array(list(sub.actor1.values()), dtype=float)
        actor1_idx[mask] = rng.choice(len(w), size=int(mask.sum()), p=w / w.sum())
    ids = (100_000 + np.cumsum(rng.integers(1, 4, rows)))[::-1]
    fatalities = np.minimum(rng.geometric(0.35, rows), 60)
    upload = rng.integers(2 * 86_400, 12 * 86_400, rows)
    u = rng.random((rows, 10))

    day_dates = [first + timedelta(days=i) for i in range(days)]
    if date_format == "acled":
        event_dates = [f"{x.day:02d} {MONTHS[x.month - 1]} {x.year}" for x in day_dates]
    else:
        event_dates = [x.isoformat() for x in day_dates]
    note_dates = [f"{x.day} {MONTHS[x.month - 1]} {x.year}" for x in day_dates]
    midnight = [int(datetime(x.year, x.month, x.day, tzinfo=UTC).timestamp()) for x in day_dates]
    actor1_names = [list(sub.actor1) for sub in SUB_EVENTS]

    for day, loc, k, a1i, eid, fat, up, r in zip(
        day_idx.tolist(), loc_idx.tolist(), sub_idx.tolist(), actor1_idx.tolist(), ids.tolist(),
        fatalities.tolist(), upload.tolist(), u.tolist(), strict=True,
    ):  # fmt: skip
        sub = SUB_EVENTS[k]
        a1 = actor1_names[k][a1i]
        if r[0] < sub.p_empty2:
            a2 = ""
        elif r[1] < sub.p_civilians2:
            a2 = CIVILIANS
        else:
            a2 = _pick(ENEMIES[a1], r[2])
        assoc1 = _pick(ASSOCIATES[a1], r[4]) if a1 in ASSOCIATES and r[3] < 0.15 else ""
        assoc2 = _pick(ASSOCIATES[a2], r[4]) if a2 in ASSOCIATES and a2 != PROTESTERS and r[3] > 0.9 else ""
        inter1, inter2 = INTER[a1], INTER.get(a2, 0)
        interaction = inter1 * 10 if inter2 == 0 else min(inter1, inter2) * 10 + max(inter1, inter2)
        n_dead = fat if r[5] < sub.p_killed else 0
        dead = "1 fatality." if n_dead == 1 else f"{n_dead} fatalities."
        fat_text = dead if n_dead else _pick(NO_FATALITIES, r[6])
        src1 = _pick(SOURCES, r[7])
        source = src1 if r[8] < 0.6 else f"{src1}; {_pick([s for s in SOURCES if s != src1], r[9])}"
        drone_only = sub.sub_event_type == "Air/drone strike" and a1 in (HTS, UNIDENTIFIED)
        template = sub.notes[-1] if drone_only else _pick(sub.notes, r[9])
        notes = template.format(
            date=note_dates[day],
            a1=a1,
            a2=a2 or ("local residents" if sub.p_civilians2 >= 0.5 else "opposing forces"),
            loc=locs.names[loc],
            adm=locs.admin1[loc],
            src=src1,
            op=OPERATIONS.get(a1, "Liberation of the North"),
            fat=fat_text,
        )
        precision_u = r[6]
        yield [
            f"SYR{eid}",
            event_dates[day],
            day_dates[day].year,
            1 if precision_u < 0.9 else (2 if precision_u < 0.98 else 3),
            sub.disorder_type,
            sub.event_type,
            sub.sub_event_type,
            a1,
            assoc1,
            inter1,
            a2,
            assoc2,
            inter2,
            interaction,
            "Civilian targeting" if a2 == CIVILIANS and sub.disorder_type == PV else "",
            760,
            "Middle East",
            "Syria",
            locs.admin1[loc],
            locs.admin1[loc],
            "",
            locs.names[loc],
            locs.lat[loc],
            locs.lon[loc],
            1 if locs.real[loc] or r[8] < 0.75 else (2 if r[8] < 0.95 else 3),
            source,
            "National",
            notes,
            n_dead,
            "crowd size=no report" if a1 == PROTESTERS else "",
            midnight[day] + up,
        ]


def write_acled(
    path: str | Path,
    rows: int = 100_000,
    days: int = 2000,
    locations: int = 5000,
    end: date = date(2024, 12, 12),
    seed: int = 1,
    date_format: DateFormat = "acled",
) -> dict[str, Any]:
    """Write a synthetic ACLED export to ``path`` and return a summary of it.

    Parameters
    ----------
    path
        The CSV file to write (overwritten).
    rows
        Number of events; at least ``days``, so that every day has an event.
    days
        Number of consecutive days covered, ending on ``end``.
    locations
        Number of distinct (location, latitude, longitude) triples to make; all of them appear when
        ``rows >= locations``.
    end
        The newest event date.
    seed
        Seed of ``numpy.random.default_rng``: the same arguments give a byte-identical file.
    date_format
        ``"acled"`` for "27 November 2024", ``"iso"`` for "2024-11-27".

    Returns
    -------
    dict
        ``path``, ``rows``, ``days``, ``locations`` (distinct triples written), ``bytes``,
        ``first_date`` and ``last_date`` (ISO), ``territorial_rows``.
    """
    if days < 1 or locations < 1 or rows < days:
        raise ValueError(f"need days >= 1, locations >= 1 and rows >= days (got {rows=}, {days=}, {locations=})")
    if date_format not in ("iso", "acled"):
        raise ValueError(f"date_format must be 'iso' or 'acled', not {date_format!r}")
    rng = np.random.default_rng(seed)
    locs = _make_locations(locations, rng)
    out = Path(path)
    used: set[int] = set()
    territorial = 0
    loc_key = {(n, a, o): i for i, (n, a, o) in enumerate(zip(locs.names, locs.lat, locs.lon, strict=True))}
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in _rows(rows, days, end, date_format, locs, rng):
            writer.writerow(row)
            used.add(loc_key[(row[21], row[22], row[23])])  # type: ignore[index]
            territorial += row[6] in TERRITORIAL_SUB_EVENTS
    return {
        "path": str(out),
        "rows": rows,
        "days": days,
        "locations": len(used),
        "bytes": out.stat().st_size,
        "first_date": (end - timedelta(days=days - 1)).isoformat(),
        "last_date": end.isoformat(),
        "territorial_rows": territorial,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write the file and print the summary as one JSON line to stderr."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-o", "--output", required=True, type=Path, help="CSV file to write")
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--days", type=int, default=2000)
    p.add_argument("--locations", type=int, default=5000)
    p.add_argument("--end", type=date.fromisoformat, default=date(2024, 12, 12), help="newest date, YYYY-MM-DD")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--date-format", choices=("iso", "acled"), default="acled")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    try:
        summary = write_acled(args.output, args.rows, args.days, args.locations, args.end, args.seed, args.date_format)
    except ValueError as exc:
        p.error(str(exc))
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    print(json.dumps(summary), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
