"""Bring your own timeline: ACLED exports and seeds-format events files, from the command line.

The ACLED-format fixture is written here, row by row: one row of each territorial sub-event type
(a name match, a distance match and a new place), reports that change nothing, both date formats.
Each bad-file case is the good file broken one way.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely

from territory import control, geometry, mapdata, settings, uploads, usertimeline
from territory.data import Dataset

from .conftest import ROOT, run_cli

ACLED_COLUMNS = [
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
]


def _far_point(ds: Dataset) -> tuple[float, float]:
    """A point in government-held desert with no known place within 20 km (a new place)."""
    metric = np.asarray([geometry.to_metric(p).coords[0] for p in ds.places.geometry])
    for lon in np.arange(37.6, 38.8, 0.05):
        for lat in np.arange(34.2, 34.9, 0.05):
            xy = np.asarray(geometry.to_metric(shapely.Point(lon, lat)).coords[0])
            inside = ds.cells[ds.cells.contains(shapely.Point(lon, lat))]
            if np.hypot(*(metric - xy).T).min() > 20_000 and len(inside) and inside["baseline"].iloc[0] == "government":
                return round(float(lon), 4), round(float(lat), 4)
    raise AssertionError("no far point found")


def acled_rows(ds: Dataset) -> list[dict[str, str]]:
    far_lon, far_lat = _far_point(ds)
    aleppo = ds.places.loc["aleppo"].geometry
    raqqa = ds.places.loc["ar-raqqah"].geometry

    def row(event_id, date, etype, sub, actor, location, lat, lon, notes, **extra):
        r = dict.fromkeys(ACLED_COLUMNS, "")
        r.update(
            event_id_cnty=event_id,
            event_date=date,
            year=date[-4:] if " " in date else date[:4],
            event_type=etype,
            sub_event_type=sub,
            actor1=actor,
            location=location,
            latitude=str(lat),
            longitude=str(lon),
            country="Syria",
            iso="760",
            notes=notes,
            source="Test wire; Second source",
            fatalities="0",
        )
        r.update(extra)
        return r

    return (
        [
            # Newest first, as ACLED exports are.
            row(
                "SYR9005",
                "3 December 2024",
                "Strategic developments",
                "Non-violent transfer of territory",
                "SDF: Syrian Democratic Forces",
                "Bir Testfar",
                far_lat,
                far_lon,
                'Handed over without a fight, "by agreement", the report says.',
            ),
            row(
                "SYR9004",
                "2024-12-01",
                "Battles",
                "Government regains territory",
                "Military Forces of Syria (2000-2024)",
                "Raqqa - Eastern Outskirts",
                round(raqqa.y, 4),
                round(raqqa.x + 0.02, 4),
                "Army units entered the eastern outskirts.",
            ),
            row(
                "SYR9003",
                "30 November 2024",
                "Explosions/Remote violence",
                "Air/drone strike",
                "Military Forces of Russia (2000-)",
                "Aleppo",
                36.2021,
                37.1343,
                "Strikes on the city.",
            ),
            row(
                "SYR9002",
                "29 November 2024",
                "Battles",
                "Armed clash",
                "Islamic State (Syria)",
                "Aleppo",
                36.2021,
                37.1343,
                "A clash with an actor no mapping knows: a report, not a change.",
            ),
            row(
                "SYR9001",
                "28 November 2024",
                "Battles",
                "Non-state actor overtakes territory",
                "Hayat Tahrir al Sham",
                "Aleppo",
                36.2021,
                37.1343,
                "HTS-led fighters took the city.",
            ),
        ]
        if aleppo is not None
        else []
    )


def write_acled(path: Path, rows: list[dict[str, str]], columns=ACLED_COLUMNS) -> Path:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def acled_file(tmp_path_factory, ds) -> Path:
    return write_acled(tmp_path_factory.mktemp("acled") / "acled-fixture.csv", acled_rows(ds))


@pytest.fixture(scope="module")
def user(ds, acled_file) -> Dataset:
    timeline = usertimeline.read_timeline(acled_file.read_bytes(), acled_file.name, ds)
    return usertimeline.with_timeline(ds, timeline)


def _json(proc: subprocess.CompletedProcess[bytes]) -> dict:
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout)


def _holder(user: Dataset, place: str, date: str) -> str:
    return control.place_states(user, user.parse_date(date))[place].controller


# --- what a good file does -----------------------------------------------------------------------


def test_territorial_rows_change_control_and_reports_do_not(user):
    # Overtaken by HTS (matched by name: ACLED's Aleppo lies 2.4 km from ours).
    assert _holder(user, "aleppo", "2024-11-27") == "government"
    assert _holder(user, "aleppo", "2024-11-28") == "hts"
    # The clash (an unmapped actor) and the air strike are reports: Aleppo stays with HTS, sourced by SYR9001.
    state = control.place_states(user, user.parse_date("2024-11-30"))["aleppo"]
    assert (state.controller, state.source, state.kind) == ("hts", "SYR9001", "captured")
    reports = [e for e in user.events if e.kind == settings.REPORT_KIND]
    assert sorted(e.source for e in reports) == ["SYR9002", "SYR9003"]
    assert {e.place_id for e in reports} == {"aleppo"}
    # Regained by the government (matched by distance: 1.8 km from Raqqa).
    assert _holder(user, "ar-raqqah", "2024-11-30") == "sdf"
    assert _holder(user, "ar-raqqah", "2024-12-01") == "government"


def test_a_new_location_is_a_new_place_with_its_own_cell(user, ds):
    new = [p for p in user.places["id"] if p not in set(ds.places["id"])]
    assert new == ["acled-bir-testfar"]
    place = user.places.loc["acled-bir-testfar"]
    assert (place["name"], place["kind"], place["source"]) == ("Bir Testfar", "location", "SYR9005")
    cells = user.cells[user.cells["place_id"] == "acled-bir-testfar"]
    assert len(cells) == 1 and cells.geometry.iloc[0].contains(place.geometry)
    assert _holder(user, "acled-bir-testfar", "2024-12-02") == "government"  # its zone's baseline holder
    assert _holder(user, "acled-bir-testfar", "2024-12-03") == "sdf"  # the transfer
    # Its cell goes with it: the SDF's area grows by the cell's area on that day.
    before = control.control_zones(user, user.parse_date("2024-12-02")).set_index("controller")["area_km2"]
    after = control.control_zones(user, user.parse_date("2024-12-03")).set_index("controller")["area_km2"]
    cell_km2 = geometry.area_km2(cells.geometry.iloc[0])
    assert after["sdf"] - before["sdf"] == pytest.approx(cell_km2, rel=0.02)
    # The cells still tile Syria exactly.
    assert geometry.area_km2(shapely.union_all(list(user.cells.geometry))) == pytest.approx(
        geometry.area_km2(ds.syria), rel=1e-4
    )


def test_timeline_spans_the_file(user, ds):
    assert user.baseline_date == ds.baseline_date  # the file starts after the built-in baseline
    assert user.end_date == ds.end_date  # and ends before its end
    assert user.origin["format"] == "acled" and user.origin["rows"] == 5
    assert (user.origin["snapped_name"], user.origin["snapped_near"], user.origin["new_places"]) == (1, 1, 1)


def test_an_earlier_file_starts_the_timeline_the_day_before_it(ds, tmp_path):
    rows = acled_rows(ds)
    rows[-1]["event_date"] = "15 June 2023"
    path = write_acled(tmp_path / "early.csv", rows)
    user = usertimeline.with_timeline(ds, usertimeline.read_timeline(path.read_bytes(), path.name, ds))
    assert user.baseline_date.isoformat() == "2023-06-14"
    assert _holder(user, "aleppo", "2023-06-15") == "hts"


def test_cli_every_command_takes_the_file(acled_file):
    stats = _json(run_cli("--events", str(acled_file), "stats", "--date", "2024-12-03"))
    assert stats["timeline"]["file"] == acled_file.name and stats["timeline"]["format"] == "acled"
    # The option may also follow the command.
    points = _json(run_cli("export", "control-points", "--date", "2024-11-28", "--events", str(acled_file)))
    aleppo = next(f["properties"] for f in points["features"] if f["properties"]["id"] == "aleppo")
    assert (aleppo["controller"], aleppo["sources"]) == ("hts", ["SYR9001"])
    history = _json(run_cli("--events", str(acled_file), "history", "Bir Testfar", "--format", "json"))
    assert [(s["controller"], s["valid_from"], s["source"]) for s in history["spells"]] == [
        ("government", "2024-11-26", history["spells"][0]["source"]),
        ("sdf", "2024-12-03", "SYR9005"),
    ]
    proc = run_cli("--events", str(acled_file), "history", "acled-bir-testfar")
    assert proc.returncode == 0 and b"SYR9005" in proc.stdout


def test_exports_carry_the_files_provenance(acled_file):
    data = _json(run_cli("--events", str(acled_file), "export", "events", "--date", "2024-12-03"))
    meta = data["metadata"]
    assert meta["timeline"]["file"] == acled_file.name  # the name only: no local directories in an export
    assert meta["timeline"]["sha256"] == __import__("hashlib").sha256(acled_file.read_bytes()).hexdigest()
    assert acled_file.name in meta["attribution"]
    cited = {s["id"]: s for s in meta["sources"]}
    assert [f["properties"]["sources"] for f in data["features"]] == [
        ["SYR9001"],
        ["SYR9002"],
        ["SYR9003"],
        ["SYR9004"],
        ["SYR9005"],
    ]
    row = cited["SYR9004"]
    assert acled_file.name in row["title"] and row["published"] == "2024-12-01" and "Test wire" in row["publisher"]
    kinds = {f["properties"]["source"]: f["properties"]["kind"] for f in data["features"]}
    assert kinds == {
        "SYR9001": "captured",
        "SYR9002": "report",
        "SYR9003": "report",
        "SYR9004": "captured",
        "SYR9005": "handed_over",
    }


def test_seeds_events_file_gives_the_built_in_results():
    """``--events seeds/events.csv`` is the built-in timeline: the same layers, stats and histories."""
    for args in (
        ("export", "control-zones", "--date", "2024-12-01"),
        ("export", "control-points", "--date", "2024-11-30"),
        ("export", "events", "--date", "2024-12-12"),
        ("export", "timeline"),
        ("export", "hama-villages"),
        ("stats", "--date", "2024-12-04"),
    ):
        built_in = _json(run_cli(*args))
        mine = _json(run_cli("--events", "seeds/events.csv", *args))
        if "metadata" in mine:
            assert mine["metadata"].pop("timeline")["format"] == "seeds"
            mine["metadata"]["attribution"] = built_in["metadata"]["attribution"]
        else:
            assert mine.pop("timeline")["format"] == "seeds"
        assert mine == built_in, args
    assert (
        run_cli("--events", "seeds/events.csv", "history", "Kuweires").stdout == run_cli("history", "Kuweires").stdout
    )


def test_custom_actor_mapping(ds, tmp_path):
    rows = acled_rows(ds)
    rows[-1]["actor1"] = "Brigade of the Test"
    path = write_acled(tmp_path / "custom.csv", rows)
    proc = run_cli("--events", str(path), "--strict", "stats")
    assert proc.returncode == 2 and b"'Brigade of the Test' is not mapped to a side" in proc.stderr
    actors = tmp_path / "actors.csv"
    actors.write_text("pattern,controller\n^brigade of the test$,sna\n", encoding="utf-8")
    points = _json(
        run_cli("--events", str(path), "--actors", str(actors), "export", "control-points", "--date", "2024-11-28")
    )
    assert next(f["properties"]["controller"] for f in points["features"] if f["properties"]["id"] == "aleppo") == "sna"


# --- bad files: one line, row and column named, exit 2, nothing written --------------------------


def _break(case: str, good: bytes, ds: Dataset, tmp: Path) -> Path:
    text = good.decode("utf-8")
    lines = text.splitlines()
    path = tmp / f"{case}.csv"
    if case == "latin-1":
        path.write_bytes(
            text.replace("Bir Testfar", "Bi'r Ḥamā").encode("utf-8").replace("Ḥamā".encode(), b"H\xe2m\xe2")
        )
    elif case == "utf-16":
        path.write_bytes(text.encode("utf-16"))
    elif case == "missing-column":
        rows = list(csv.DictReader(io.StringIO(text)))
        write_acled(path, rows, [c for c in ACLED_COLUMNS if c != "latitude"])
    elif case in (
        "bad-date",
        "future-date",
        "outside-syria",
        "swapped",
        "not-a-number",
        "unknown-actor",
        "duplicate-id",
    ):
        rows = list(csv.DictReader(io.StringIO(text)))
        r = rows[2]  # the third data row: line 4
        if case == "bad-date":
            r["event_date"] = "31 Febuary 2024"
        elif case == "future-date":
            r["event_date"] = "2 December 2099"
        elif case == "outside-syria":
            r["latitude"], r["longitude"] = "48.8566", "2.3522"
        elif case == "swapped":
            r["latitude"], r["longitude"] = r["longitude"], r["latitude"]
        elif case == "not-a-number":
            r["latitude"] = "thirty-six"
        elif case == "unknown-actor":
            r["sub_event_type"], r["actor1"] = "Non-state actor overtakes territory", "Brigade of the Test"
        elif case == "duplicate-id":
            r["event_id_cnty"] = rows[0]["event_id_cnty"]
        write_acled(path, rows)
    elif case == "empty":
        path.write_bytes(b"")
    elif case == "header-only":
        path.write_text(lines[0] + "\n", encoding="utf-8")
    elif case == "ragged":
        path.write_text("\n".join([*lines[:3], lines[3] + ",extra", *lines[4:]]) + "\n", encoding="utf-8")
    elif case == "xlsx":
        path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + bytes(100))
    elif case == "semicolons":
        path.write_text(text.replace(",", ";"), encoding="utf-8")
    elif case == "not-csv":
        path.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(200))
    elif case == "200mb":
        with path.open("wb") as fh:  # sparse: 200 MB on paper, nothing to read
            fh.truncate(200 * 1024 * 1024)
    return path


BAD_FILES = {
    # case: what the one-line error must say
    "latin-1": ("row 1 (line 2), column 'location'", "byte 0xe2 is not UTF-8"),
    "utf-16": ("not UTF-8",),
    "missing-column": ("line 1", "lacks column 'latitude'"),
    "bad-date": ("row 3 (line 4)", "column 'event_date'", "'31 Febuary 2024' is not a date"),
    "future-date": ("row 3 (line 4)", "column 'event_date'", "is in the future"),
    "outside-syria": ("row 3 (line 4)", "'latitude','longitude'", "outside Syria"),
    "swapped": ("row 3 (line 4)", "swapped?"),
    "not-a-number": ("row 3 (line 4)", "column 'latitude'", "'thirty-six' is not a number"),
    "unknown-actor": ("row 3 (line 4)", "column 'actor1'", "'Brigade of the Test' is not mapped"),
    "duplicate-id": ("row 3 (line 4)", "column 'event_id_cnty'", "repeats"),
    "empty": ("is empty",),
    "header-only": ("no rows after its header",),
    "ragged": ("line 4", "Expected 31 fields"),
    "not-csv": ("not UTF-8",),
    "xlsx": ("zip or Excel file", "choose CSV"),
    "semicolons": ("line 1", "separated by semicolons"),
    "200mb": ("200.0 MB", "the limit is 100 MB"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_is_one_clear_line(case, acled_file, ds, tmp_path):
    from territory.mapdata import geodata_digest

    before = geodata_digest(ROOT / "geodata")
    path = _break(case, acled_file.read_bytes(), ds, tmp_path)
    strict = ("--strict",) if case == "unknown-actor" else ()  # without it the row is a report (test_acled_actors)
    proc = run_cli("--events", str(path), *strict, "stats")
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert proc.stdout == b""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"error: {path}: "), err
    for needle in BAD_FILES[case]:
        assert needle in lines[0], (needle, lines[0])
    assert geodata_digest(ROOT / "geodata") == before


def test_bad_seeds_format_rows(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(
        "date,place_id,controller,kind,source_id,note\n"
        "2024-11-29,aleppo,hts,captured,my-own-source,fine\n"
        "2024-11-30,alepo,hts,captured,x,typo\n"
        "2024-11-31,aleppo,hts,taken,x,two problems\n",
        encoding="utf-8",
    )
    err = run_cli("--events", str(path), "stats").stderr.decode().strip()
    assert err == (
        f"error: {path}: row 2 (line 3), column 'place_id': 'alepo' is unknown (did you mean 'aleppo'?); "
        "expected a place id (and 2 more problems)"
    )


def test_a_seeds_format_file_may_cite_its_own_sources(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(
        "date,place_id,controller,kind,source_id,note\n2024-11-29,aleppo,sna,captured,my-own-source,fine\n",
        encoding="utf-8",
    )
    data = _json(run_cli("--events", str(path), "export", "control-points", "--date", "2024-11-29"))
    aleppo = next(f["properties"] for f in data["features"] if f["properties"]["id"] == "aleppo")
    assert (aleppo["controller"], aleppo["sources"]) == ("sna", ["my-own-source"])
    cited = {s["id"]: s for s in data["metadata"]["sources"]}
    assert cited["my-own-source"]["title"] == "my-own-source (cited by mine.csv line 2)"


def test_option_misuse_is_one_line(acled_file, tmp_path):
    for args, needle in (
        (("--actors", "seeds/actors.csv", "stats"), b"give the export with --events FILE"),
        (
            ("--events", str(acled_file), "build"),
            b"--events applies to export, stats, history, publish, check and serve",
        ),
        (("--strict", "stats"), b"give the file with --events FILE"),
        (("check", "--template", str(tmp_path / "t.csv")), b"give the file with --events FILE"),
        (("--events", str(tmp_path / "missing.csv"), "stats"), b"does not exist"),
        (("--events", str(tmp_path), "stats"), b"is a directory"),
        (("--events", str(acled_file), "stats", "--date", "2024-11-20"), b"outside the timeline"),
    ):
        proc = run_cli(*args)
        assert proc.returncode == 2 and needle in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc


def test_bad_actor_mapping(acled_file, tmp_path):
    actors = tmp_path / "actors.csv"
    actors.write_text("pattern,controller\nHayat,rebels\n", encoding="utf-8")
    proc = run_cli("--events", str(acled_file), "--actors", str(actors), "stats")
    assert proc.returncode == 2
    assert proc.stderr.decode().strip() == (
        f"error: {actors}: line 2: column 'controller': 'rebels' is unknown; expected one of "
        "government, hts, sna, sdf, israel, ambiguous, none (or empty: no rule)"
    )


# --- long timelines --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def long_user(ds, tmp_path_factory) -> Dataset:
    sys.path.insert(0, str(ROOT / "bench"))
    from make_acled import write_acled as synth

    path = tmp_path_factory.mktemp("synth") / "synthetic.csv"
    synth(path, rows=6000, days=400, locations=300, seed=3)
    return usertimeline.with_timeline(ds, usertimeline.read_timeline(path.read_bytes(), path.name, ds))


def test_long_timeline_map_data_is_deltas(long_user):
    """400 days: the base data holds the first date's codes and each date's changes, not every date's codes;
    replayed, they are the engine's; events and each day's changed ground come with the date's frame."""
    base = mapdata.base_data(long_user)
    assert len(base["dates"]) == len(long_user.dates) == 400 + 1
    assert base["events"] is None and "changes" not in base
    changed = sum(len(d.get("c", [])) // 2 for d in base["deltas"])
    assert changed < len(long_user.cells) * len(long_user.dates) / 20
    for k in (0, 1, 57, 200, 400):
        date = long_user.dates[k]
        day = mapdata.replay(base, k)
        assert [settings.CONTROLLERS[c] for c in day["cells"]] == list(control.cell_controllers(long_user, date))
        states = control.place_states(long_user, date)
        assert [settings.CONTROLLERS[c] for c in day["pc"]] == [states[p].controller for p in long_user.places["id"]]
    date = long_user.end_date
    frame = json.loads(mapdata.frame_data(long_user, date, (), ("zones", "events", "changes")))
    todays = list(long_user.events_by_date[date])
    assert len(frame["events"]["what"]) == min(len(todays), mapdata.FRAME_EVENTS_MAX)
    assert frame["events"]["total"] == len(todays)
    assert all(isinstance(s, dict) and "t" in s for s in frame["events"]["s"])  # sources inline
    assert "changes" in frame


def test_sweep_is_the_engine_on_every_date(long_user):
    for dc in control.sweep(long_user):
        if dc.index % 7 and dc.index != len(long_user.dates) - 1:
            continue
        date = long_user.dates[dc.index]
        assert [settings.CONTROLLERS[c] for c in dc.cells] == list(control.cell_controllers(long_user, date))
        states = control.place_states(long_user, date)
        assert dc.states == [states[p] for p in long_user.places["id"]]


def test_long_timeline_series_and_timeline_layer(long_user):
    from territory import stats, timeline

    series = stats.series(long_user)
    assert series["date"].nunique() == len(long_user.dates)
    last = series[series["date"] == long_user.end_date].set_index("controller")["area_km2"]
    zones = control.control_zones(long_user, long_user.end_date).set_index("controller")["area_km2"]
    for ctl, area in zones.items():
        assert last[ctl] == pytest.approx(area, rel=1e-3, abs=1.0)
    layer = timeline.timeline_layer(long_user)
    for date in (long_user.dates[10], long_user.dates[333]):
        iso = date.isoformat()
        live = layer[(layer["valid_from"] <= iso) & (layer["valid_to"] > iso)].sort_values("cell")
        assert list(live["cell"]) == list(range(len(long_user.cells)))
        assert list(live["controller"]) == list(control.cell_controllers(long_user, date))


def test_the_same_upload_is_read_once_per_process(ds, acled_file):
    data = acled_file.read_bytes()
    first = uploads.load_upload(ds, data, "a.csv")
    assert uploads.load_upload(ds, data, "a.csv") is first  # a reload or another tab: no second read
    # Uploaded: the map's places point to the page's own history tab (a new tab would not have the upload).
    assert first.origin["uploaded"] is True and mapdata.base_data(first)["historyInPage"] is True
    assert mapdata.base_data(usertimeline.load_bytes(ds, data, "a.csv"))["historyInPage"] is False
    assert uploads.load_upload(ds, data, "b.csv").origin["file"] == "b.csv"  # the name is the file's own
    actors = b"pattern,controller\n^Hayat,sna\n"
    mapped = uploads.load_upload(ds, data, "a.csv", actors, "mine.csv")
    assert mapped is not first and control.place_states(mapped, mapped.parse_date("2024-11-28"))["aleppo"].by == "sna"


def test_serve_refuses_a_bad_file_before_starting(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("date,place,who\n", encoding="utf-8")
    proc = run_cli("--events", str(bad), "serve", "--server.port", "1")
    assert proc.returncode == 2
    assert proc.stderr.decode().strip().splitlines()[-1].startswith(f"error: {bad}: line 1: header")


def test_check_validates_the_default_actor_mapping(seeds_copy):
    proc = run_cli("check", "--seeds", str(seeds_copy))
    assert proc.returncode == 0 and b"actor patterns" in proc.stdout
    (seeds_copy / "actors.csv").write_text("pattern,controller\n[unclosed,hts\n", encoding="utf-8")
    proc = run_cli("check", "--seeds", str(seeds_copy))
    assert proc.returncode == 2
    assert b"column 'pattern': '[unclosed' is not a pattern RE2 accepts (missing ]" in proc.stderr


def test_a_new_format_is_one_more_reader(ds, monkeypatch):
    # A third format: one Reader more in READERS is tried on the header, and named wherever the formats are listed.
    from territory.usertimeline.common import Reader, UserTimeline

    place = ds.places["id"].iloc[0]

    def read(text, header, rows, file, ds, actors, strict):
        day = ds.end_date
        event = {"date": day.isoformat(), "place_id": place, "controller": "hts", "kind": "captured", "source": "r1"}
        event |= {"note": "", "scope": "place"}
        return UserTimeline(file, "", "third", len(list(rows)), ds.baseline_date, day, [event], [], [], False)

    third = Reader(
        "third",
        lambda header: header == ["when", "where"],
        read,
        description="a third kind of file",
        header="a third kind of file (when,where)",
        upload_help="a third kind of file",
    )
    monkeypatch.setattr(usertimeline, "READERS", (*usertimeline.READERS, third))
    got = usertimeline.read_timeline(b"when,where\n2024-12-01,x\n", "third.csv", ds)
    assert got.format == "third" and got.rows == 1 and got.events[0]["place_id"] == place
    with pytest.raises(usertimeline.TimelineFileError) as info:
        usertimeline.read_timeline(b"a,b\n1,2\n", "none.csv", ds)
    assert str(info.value).endswith(
        "nor an ACLED export (event_id_cnty, event_date, event_type, sub_event_type, "
        "actor1, location, latitude, longitude, …) nor a third kind of file (when,where)"
    )
    assert usertimeline.formats_said().startswith("a third kind of file or an ACLED export or ")
