"""Real ACLED exports of Syria: actor names as ACLED writes them, actors left without a side, every problem at once.

The fixture is written here, row by row: territorial rows of actors the shipped mapping gives a side
(named as ACLED names them for Syria in late 2024), of actors it lists as ambiguous or of no side,
and of an actor no pattern matches. None of them refuses the file; ``--strict`` does.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
import re2

from territory import control, uploads, usertimeline
from territory.data import Dataset

from .conftest import ROOT, run_cli
from .test_usertimeline import acled_rows, write_acled

# actor1 as ACLED writes it -> its side in seeds/actors.csv (None: no pattern matches).
REAL_ACTORS = {
    "HTS: Hayat Tahrir al Sham": "hts",
    "Southern Operations Room": "hts",
    "Jaish al-Izza": "hts",
    "Men of Dignity": "hts",
    "Military Forces of Syria (2024-)": "hts",
    "Military Forces of Syria (2000-2024) Fourth Armoured Division": "government",
    "Police Forces of Syria (2000-2024)": "government",
    "Liwa al Quds": "government",
    "Hezbollah": "government",
    "Military Forces of Russia (2000-)": "government",
    "QSD: Syrian Democratic Forces": "sdf",
    "YPG: Peoples Protection Units": "sdf",
    "SNA: Syrian National Army - Sultan Murad Division": "sna",
    "Ahrar al-Sharqiya": "sna",  # not Ahrar al-Sham
    "Military Forces of Syria (2000-2024) 25th Special Mission Forces Division": "government",
    "Suqour al-Sham": "hts",
    "Military Forces of Turkey (2016-)": "sna",
    "Military Forces of Israel (2022-)": "israel",
    "Ahrar al-Sham": "ambiguous",  # in the HTS-led room and in the SNA
    "Eighth Brigade": "ambiguous",  # the army's 5th Corps until it switched on 6 Dec
    "Unidentified Armed Group (Syria)": "ambiguous",
    "Islamic State (Syria)": "none",
    "Brigade of the Test": None,
}

# (id, date, actor, place id): territorial rows ("Non-state actor overtakes territory") at known places.
TERRITORIAL = [
    ("SYR9101", "2024-12-05", "Jaish al-Izza", "hamah"),
    ("SYR9102", "2024-12-07", "Southern Operations Room", "dara"),
    ("SYR9103", "2024-12-07", "Men of Dignity", "as-suwayda"),
    ("SYR9104", "2024-12-02", "QSD: Syrian Democratic Forces", "tall-rifat"),
    ("SYR9105", "2024-12-01", "SNA: Syrian National Army - Sultan Murad Division", "tall-rifat"),
    ("SYR9106", "2024-12-06", "Eighth Brigade", "busra-ash-sham"),
    ("SYR9107", "2024-12-03", "Ahrar al-Sham", "sarmin"),
    ("SYR9108", "2024-12-04", "Ahrar al-Sham", "saraqib"),
    ("SYR9109", "2024-12-02", "Unidentified Armed Group (Syria)", "khan-shaykhun"),
    ("SYR9110", "2024-12-03", "Islamic State (Syria)", "as-sukhnah"),
    ("SYR9111", "2024-12-02", "Brigade of the Test", "al-bab"),
    ("SYR9112", "2024-12-03", "Brigade of the Test", "al-bab"),
    ("SYR9113", "2024-12-04", "Brigade of the Test", "jarabulus"),
]
LEFT_OUT = [  # most rows first, then by name
    {"actor": "Brigade of the Test", "rows": 3, "mapping": "unmapped"},
    {"actor": "Ahrar al-Sham", "rows": 2, "mapping": "ambiguous"},
    {"actor": "Eighth Brigade", "rows": 1, "mapping": "ambiguous"},
    {"actor": "Islamic State (Syria)", "rows": 1, "mapping": "none"},
    {"actor": "Unidentified Armed Group (Syria)", "rows": 1, "mapping": "ambiguous"},
]


def real_rows(ds: Dataset) -> list[dict[str, str]]:
    base = acled_rows(ds)[-1]  # a well-formed row to copy
    rows = []
    for event_id, date, actor, place in TERRITORIAL:
        p = ds.places.loc[place].geometry
        rows.append(
            {
                **base,
                "event_id_cnty": event_id,
                "event_date": date,
                "year": date[:4],
                "event_type": "Battles",
                "sub_event_type": "Non-state actor overtakes territory",
                "actor1": actor,
                "location": ds.places.loc[place, "name"],
                "latitude": f"{p.y:.5f}",
                "longitude": f"{p.x:.5f}",
                "notes": f"Test row: {actor} took the place.",
            }
        )
    return rows


@pytest.fixture(scope="module")
def real_file(tmp_path_factory, ds) -> Path:
    return write_acled(tmp_path_factory.mktemp("real") / "real-acled.csv", real_rows(ds))


@pytest.fixture(scope="module")
def real_user(ds, real_file) -> Dataset:
    return usertimeline.load_bytes(ds, real_file.read_bytes(), str(real_file))


def _holder(user: Dataset, place: str, date: str) -> str:
    return control.place_states(user, user.parse_date(date))[place].controller


# --- the shipped mapping ---------------------------------------------------------------------------


def test_shipped_mapping_gives_acled_names_their_side():
    mapping = usertimeline.read_actors()
    assert {a: mapping.controller(a) for a in REAL_ACTORS} == REAL_ACTORS


def test_every_shipped_actor_row_is_sourced_and_runs_under_re2():
    sources = {r["id"] for r in csv.DictReader(io.StringIO((ROOT / "seeds/sources.csv").read_text(encoding="utf-8")))}
    rows = list(csv.DictReader(io.StringIO((ROOT / "seeds/actors.csv").read_text(encoding="utf-8"))))
    assert rows
    for r in rows:
        assert r["note"].strip(), r
        assert r["source"] and set(r["source"].split("|")) <= sources, r
        re2.compile(r["pattern"])  # no look-around, no backreferences: the RE2 engine takes it


@pytest.mark.parametrize("name", ["Liwa al-Quds (Syria)", "a.b*c+d?(e)[f]{g}|h^$\\", "Brigade of the Test", ""])
def test_literal_pattern_matches_the_name_only(name):
    pattern = usertimeline.literal_pattern(name)
    for engine in (re, re2):
        rx = engine.compile(pattern, re.IGNORECASE) if engine is re else engine.compile("(?i)" + pattern)
        assert rx.search(name) and rx.search(name.upper())
        assert not rx.search(name + " x") and not rx.search("x" + name)


# --- a file with actors left without a side loads -------------------------------------------------


def test_left_out_actors_are_reports_and_listed(real_user, ds):
    assert usertimeline.left_out_of(real_user) == LEFT_OUT
    assert real_user.origin["left_out_rows"] == 8 and real_user.origin["changes"] == len(TERRITORIAL) - 8
    # Mapped actors change holders; the others' rows are reports that change nothing.
    assert _holder(real_user, "dara", "2024-12-07") == "hts"
    assert _holder(real_user, "hamah", "2024-12-05") == "hts"
    for place in ("busra-ash-sham", "al-bab", "jarabulus", "khan-shaykhun"):
        assert _holder(real_user, place, real_user.end_date.isoformat()) == ds.baseline_controllers[place], place
    eighth = next(e for e in real_user.timeline["events"] if e["source"] == "SYR9106")
    assert eighth["kind"] == "report" and eighth["controller"] == ""
    assert "by Eighth Brigade (no side in the actor mapping: a report)" in eighth["note"]
    assert "8 territorial rows of actors with no side kept as reports" in usertimeline.summary_of(real_user)


def test_cli_says_it_in_one_line_and_strict_refuses(real_file):
    proc = run_cli("--events", str(real_file), "stats")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.decode().splitlines() == [
        "territory: real-acled.csv: 8 territorial rows of 5 actors with no side (4 of them ambiguous or of no side "
        "in the mapping) kept as reports: they change no holder; --strict refuses them; "
        f"'--events {real_file} check' lists them, --template FILE writes them as a mapping to fill in"
    ]
    strict = run_cli("--events", str(real_file), "--strict", "stats")
    assert strict.returncode == 2 and strict.stdout == b""
    assert strict.stderr.decode().splitlines() == [
        f"error: {real_file}: row 6 (line 7), column 'actor1': 'Eighth Brigade' has no side in seeds/actors.csv "
        "(ambiguous); expected an actor with a side (give it one with --actors) (and 7 more problems)"
    ]


def test_template_maps_the_left_out_actors_in_one_step(real_file, real_user, tmp_path):
    template = tmp_path / "to-map.csv"
    proc = run_cli("--events", str(real_file), "check", "--template", str(template))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode().splitlines()
    assert out[0].startswith("real-acled.csv: 13 rows (acled)") and out[0].endswith(": OK")
    assert out[2:] == [f"  {a['rows']:>7,}  {a['actor']}  ({a['mapping']})" for a in LEFT_OUT]
    text = template.read_text(encoding="utf-8")
    assert text == usertimeline.mapping_template(real_user)  # the page offers the same file
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["pattern"] for r in rows] == [usertimeline.literal_pattern(a["actor"]) for a in LEFT_OUT]
    assert all(r["controller"] == "" for r in rows)
    # Filled in for one actor, given back with --actors: its rows now change holders; the rest stay out.
    rows[0]["controller"] = "sna"
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["pattern", "controller", "note"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    template.write_text(buf.getvalue(), encoding="utf-8")
    proc = run_cli("--events", str(real_file), "--actors", str(template), "check")
    assert proc.returncode == 0, proc.stderr
    assert "5 territorial rows of 4 actors with no side" in proc.stdout.decode()
    assert "Brigade of the Test" not in proc.stdout.decode()
    mapped = usertimeline.load_file(real_user, real_file, template)
    assert _holder(mapped, "al-bab", "2024-12-02") == "sna"


# --- every problem at once ------------------------------------------------------------------------


def test_check_lists_every_problem_of_a_refused_file(real_file, tmp_path):
    rows = list(csv.DictReader(io.StringIO(real_file.read_text(encoding="utf-8"))))
    rows[1]["event_date"] = "31 Febuary 2024"
    rows[3]["event_id_cnty"] = rows[0]["event_id_cnty"]
    rows[4]["latitude"], rows[4]["longitude"] = "48.8566", "2.3522"
    rows[6]["event_date"] = "2099-01-01"
    bad = write_acled(tmp_path / "bad.csv", rows)
    proc = run_cli("--events", str(bad), "check")
    assert proc.returncode == 2 and proc.stdout == b""
    assert proc.stderr.decode().splitlines() == [
        f"{bad}: row 2 (line 3), column 'event_date': '31 Febuary 2024' is not a date; expected YYYY-MM-DD or e.g. "
        "27 November 2024",
        f"{bad}: row 4 (line 5), column 'event_id_cnty': 'SYR9101' repeats an earlier row; expected unique ids",
        f"{bad}: row 5 (line 6), columns 'latitude','longitude': 48.8566, 2.3522 lies 3,167 km outside Syria; "
        "expected a location in Syria",
        f"{bad}: row 7 (line 8), column 'event_date': '2099-01-01' is in the future; expected the day the event "
        "happened",
        f"{bad} is refused: 4 lines above; nothing was read",
    ]
    # Any other command names the first and counts the rest, in one line.
    one = run_cli("--events", str(bad), "stats").stderr.decode().splitlines()
    assert one == [
        f"error: {bad}: row 2 (line 3), column 'event_date': '31 Febuary 2024' is not a date; "
        "expected YYYY-MM-DD or e.g. 27 November 2024 (and 3 more problems)"
    ]


def test_check_lists_every_problem_of_an_actor_mapping(real_file, tmp_path):
    actors = tmp_path / "actors.csv"
    actors.write_text("pattern,controller\nHayat,rebels\n[unclosed,hts\n^ok$,sna\n", encoding="utf-8")
    proc = run_cli("--events", str(real_file), "--actors", str(actors), "check")
    assert proc.returncode == 2
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == 3, lines
    assert lines[0].startswith(f"{actors}: line 2: column 'controller': 'rebels' is unknown")
    assert lines[1].startswith(f"{actors}: line 3: column 'pattern': '[unclosed'")
    assert lines[2] == f"{real_file} is refused: 2 lines above; nothing was read"


def test_check_wants_each_shipped_actor_row_sourced(seeds_copy):
    path = seeds_copy / "actors.csv"
    path.write_text(
        path.read_text(encoding="utf-8") + "^Brigade of the Test$,sna,,\n^Other Test$,sna,A note.,no-such-source\n",
        encoding="utf-8",
    )
    proc = run_cli("check", "--seeds", str(seeds_copy))
    assert proc.returncode == 2
    err = proc.stderr.decode()
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert f"actors.csv line {n - 1}: column 'note' is empty" in err
    assert f"actors.csv line {n - 1}: column 'source' is empty" in err
    assert f"actors.csv line {n}: source 'no-such-source' is not in sources.csv" in err


# --- the page -------------------------------------------------------------------------------------


def test_page_lists_the_left_out_actors_and_offers_the_mapping(monkeypatch, real_file, real_user):
    """Served with the file (``--events FILE serve``): it loads, the banner lists the actors as text, the
    mapping to fill in downloads (the same bytes as ``check --template``)."""
    from streamlit.testing.v1 import AppTest, app_test

    from .test_app import APP, _RecordingMediaFiles

    monkeypatch.setenv(uploads.ENV_EVENTS, str(real_file))
    monkeypatch.setattr(app_test, "MediaFileManager", _RecordingMediaFiles)
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception and not at.error
    warning = next(w.value for w in at.warning if "with no side" in w.value)
    assert "8 territorial rows of 5 actors with no side" in warning
    listed = "\n".join(t.value for t in at.text)
    assert [line.strip() for line in listed.splitlines()] == [
        f"{a['rows']:,}  {a['actor']}  ({a['mapping']})" for a in LEFT_OUT
    ]
    button = next(b.proto for b in at.get("download_button") if b.proto.label == "Actor mapping to fill in (CSV)")
    assert button.url
    offered = _RecordingMediaFiles.last.bytes_of(button.url).decode()
    assert offered == usertimeline.mapping_template(real_user)
    assert offered.startswith(
        'pattern,controller,note\n^Brigade of the Test$,,"3 territorial rows; no pattern matched;'
    )


def test_problem_listing_is_bounded(monkeypatch, ds, real_file):
    """A file with more problems than ``MAX_LISTED`` lists that many, then one line counting the rest."""
    monkeypatch.setattr(usertimeline.common, "MAX_LISTED", 3)
    rows = list(csv.DictReader(io.StringIO(real_file.read_text(encoding="utf-8"))))
    for r in rows:
        r["event_date"] = "someday"
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    with pytest.raises(usertimeline.TimelineFileError) as info:
        usertimeline.read_timeline(buf.getvalue().encode(), "many.csv", ds)
    assert str(info.value).endswith(f"(and {len(rows) - 1} more problems)")
    lines = list(info.value.problems())
    assert len(lines) == 4 and lines[-1] == f"… and {len(rows) - 3:,} more problems"
    assert [line.split(",")[0] for line in lines[:3]] == [
        "many.csv: row 1 (line 2)",
        "many.csv: row 2 (line 3)",
        "many.csv: row 3 (line 4)",
    ]
    # The same bound for the seeds' format, whose problems are kept as they are found.
    text = "date,place_id,controller,kind,source_id,note\n" + "".join(
        f"2024-11-{d},nowhere,hts,captured,x,\n" for d in range(27, 31)
    )
    with pytest.raises(usertimeline.TimelineFileError) as info:
        usertimeline.read_timeline(text.encode(), "seeds-like.csv", ds)
    lines = list(info.value.problems())
    assert len(lines) == 4 and lines[-1] == "… and 1 more problem"


def test_a_name_too_long_for_one_pattern_gets_a_pattern_of_its_beginning():
    from territory import actormatch, settings

    name = "Brigade (" + "x" * 400 + ")"
    pattern = usertimeline.template_pattern(name)
    assert len(pattern) <= settings.ACTOR_PATTERN_MAX_CHARS and pattern.startswith("^Brigade \\(")
    assert actormatch.compile_pattern(pattern).search(name)
