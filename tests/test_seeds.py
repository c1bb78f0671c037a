"""The validator: one message listing every problem, with file, line, field, value, expectation."""

import csv
import json
from pathlib import Path

import pytest

from territory import basedata
from territory._errors import SeedValidationError
from territory.seeds import load_seeds, mirror_host

from .conftest import run_cli

CORPUS = Path(__file__).parent / "data" / "bad_seeds"


@pytest.fixture(scope="module")
def base():
    return basedata.load_base()


@pytest.fixture(scope="module")
def geonames_ids(base):
    return {g["id"] for g in base.geonames}


def _append(path: Path, row: list[str]) -> None:
    with path.open("a", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerow(row)


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_real_seeds_are_valid(geonames_ids, base):
    seeds = load_seeds(None, geonames_ids, syria=base.syria)
    assert len(seeds.events) >= 80
    assert len({e.date for e in seeds.events}) >= 10
    assert {3, 6, 10, 22, 30} <= {round(p.depth_miles) for p in seeds.proposals if p.depth_miles in (3, 6, 10, 22, 30)}
    for e in seeds.events:
        assert e.source in seeds.sources


def _place(pid: str, lat: str = "36.1", lon: str = "37.1", kind: str = "village", population: str = "") -> list[str]:
    """A row of places.csv (id, name, alt_names, lat, lon, kind, governorate, population, source_id, operator)."""
    return [pid, pid.title(), "", lat, lon, kind, "Aleppo", population, "base-newlines-aleppo-never-meant-to-fall", ""]


# One case per kind of error: (file, row to append, text the message must hold)
CASES = {
    "unknown-place": (
        "events.csv",
        ["2024-11-30", "kweires", "sna", "captured", "base-newlines-aleppo-never-meant-to-fall", "x"],
        "place_id 'kweires' is unknown (did you mean 'kuweires-air-base'?)",
    ),
    "bad-date": (
        "events.csv",
        ["2024-11-31", "aleppo", "hts", "captured", "base-newlines-aleppo-never-meant-to-fall", "x"],
        "date '2024-11-31' is not a real calendar date",
    ),
    "malformed-date": (
        "events.csv",
        ["30/11/2024", "aleppo", "hts", "captured", "base-newlines-aleppo-never-meant-to-fall", "x"],
        "date '30/11/2024' is not a date; expected YYYY-MM-DD",
    ),
    "outside-timeline": (
        "events.csv",
        ["2025-03-01", "aleppo", "hts", "captured", "base-newlines-aleppo-never-meant-to-fall", "x"],
        "date '2025-03-01' is outside the timeline",
    ),
    "unknown-controller": (
        "events.csv",
        ["2024-11-30", "aleppo", "isis", "captured", "base-newlines-aleppo-never-meant-to-fall", "x"],
        "controller 'isis' is unknown",
    ),
    "unknown-kind": (
        "events.csv",
        ["2024-11-30", "aleppo", "hts", "liberated", "base-newlines-aleppo-never-meant-to-fall", "x"],
        "kind 'liberated' is unknown",
    ),
    "entered-by-nobody": (
        "events.csv",
        ["2024-11-30", "aleppo", "contested", "entered", "base-newlines-aleppo-never-meant-to-fall", "x"],
        "controller 'contested' on an 'entered' row; expected the side that entered",
    ),
    "missing-source": ("events.csv", ["2024-11-30", "aleppo", "hts", "captured", "", "x"], "source_id is empty"),
    "unknown-source": (
        "events.csv",
        ["2024-11-30", "aleppo", "hts", "captured", "newlines", "x"],
        "source_id 'newlines' is not in seeds/sources.csv",
    ),
    "short-row": ("events.csv", ["2024-11-30", "aleppo", "hts"], "has 3 fields; expected 6"),
    "outside-syria": ("places.csv", _place("atlantis", lat="36.2", lon="30.1"), "lie outside Syria"),
    "swapped-latlon": ("places.csv", _place("swapped", lat="37.1", lon="36.2"), "lie outside Syria"),
    "duplicate-place": (
        "places.csv",
        _place("kuweires-air-base", lat="36.19", lon="37.59", kind="air_base"),
        "id 'kuweires-air-base' duplicates line",
    ),
    "bad-kind": ("places.csv", _place("new-place", kind="fortress"), "kind 'fortress' is unknown"),
    "bad-population": ("places.csv", _place("new-place", population="many"), "population 'many' is not a whole number"),
    "foreign-base-without-operator": (
        "places.csv",
        _place("new-base", kind="foreign_base"),
        "operator is empty on a foreign_base; expected the state that runs it",
    ),
    "duplicate-source": (
        "sources.csv",
        ["base-newlines-aleppo-never-meant-to-fall", "Again", "X", "2024-12-02", "https://example.org/a", ""],
        "is a duplicate",
    ),
    "bad-url": ("sources.csv", ["new-src", "T", "P", "2024-12-02", "javascript:alert(1)", ""], "is not an http(s) URL"),
    "future-source": (
        "sources.csv",
        ["new-src", "T", "P", "2999-01-01", "https://example.org/a", ""],
        "is in the future",
    ),
    "mirror-in-url": (
        "sources.csv",
        ["new-src", "T", "P", "2024-12-02", "https://wikimili.com/en/Aleppo", ""],
        "url 'https://wikimili.com/en/Aleppo' is a copy on wikimili.com",
    ),
    "bad-retrieved-from": (
        "sources.csv",
        ["new-src", "T", "P", "2024-12-02", "https://example.org/a", "ftp://copy"],
        "retrieved_from 'ftp://copy' is not an http(s) URL",
    ),
    "retrieved-from-repeats-url": (
        "sources.csv",
        ["new-src", "T", "P", "2024-12-02", "https://example.org/a", "https://example.org/a"],
        "retrieved_from 'https://example.org/a' repeats url",
    ),
    "bad-depth": (
        "proposals.csv",
        ["p-x", "X", "abc", "someone", "2020-01-01", "proposed", "base-newlines-aleppo-never-meant-to-fall", ""],
        "depth_miles 'abc' is not a number",
    ),
    "bad-status": (
        "proposals.csv",
        ["p-y", "Y", "5", "someone", "2020-01-01", "maybe", "base-newlines-aleppo-never-meant-to-fall", ""],
        "status 'maybe' is unknown",
    ),
    "unknown-baseline-place": (
        "baseline_points.csv",
        ["alepo", "government", "base-newlines-aleppo-never-meant-to-fall", ""],
        "place_id 'alepo' is unknown (did you mean 'aleppo'?)",
    ),
}


@pytest.mark.parametrize(
    ("url", "copy"),
    [
        ("https://it.qaz.wiki/wiki/Aleppo", "it.qaz.wiki"),  # a machine translation (subdomain of a listed host)
        ("http://5.180.24.3/info/operation-dawn-of-freedom", "5.180.24.3"),  # a raw IPv4 address
        ("http://[2001:db8::1]/wiki/Aleppo", "2001:db8::1"),  # a raw IPv6 address
        ("https://bafybeia.ipfs.dweb.link/wiki/Aleppo", "bafybeia.ipfs.dweb.link"),  # an IPFS gateway
        ("https://en-wikipedia--on--ipfs-org.ipns.example.net/wiki/A", "en-wikipedia--on--ipfs-org.ipns.example.net"),
        (
            "https://summer-heart-0930.chufeiyun1688.workers.dev/https/en.wikipedia.org/wiki/A",
            "summer-heart-0930.chufeiyun1688.workers.dev",
        ),
        ("https://ukraine.news-pravda.com/en/world/2024/12/04/2854.html", "ukraine.news-pravda.com"),  # an aggregate
        ("https://usmuslims.com/service/amp/armed-anti-regime-groups-advance.htm", "usmuslims.com"),  # a repost
        ("https://en.wikipedia.org/wiki/Aleppo", None),
        ("https://www.understandingwar.org/backgrounder/iran-update-november-30-2024", None),
        ("https://notqaz.wiki/wiki/Aleppo", None),  # only the host and its subdomains match, not a suffix
    ],
)
def test_mirror_hosts_are_recognised(url, copy):
    assert mirror_host(url) == copy


def test_real_sources_cite_the_publisher_and_keep_the_copy_read(geonames_ids, base):
    """No real source cites a known copy; the copies read are kept in retrieved_from; titles hold no notes."""
    seeds = load_seeds(None, geonames_ids, syria=base.syria)
    copies = [s for s in seeds.sources.values() if s.retrieved_from]
    assert len(copies) >= 60
    assert all(mirror_host(s.url) is None and s.retrieved_from != s.url for s in seeds.sources.values())
    assert sum(mirror_host(s.retrieved_from) is not None for s in copies) >= 50
    notes = ("title from the URL", "no headline", "Wikipedia copy", "copy of the Wikipedia", "revision of")
    assert not [s.id for s in seeds.sources.values() if any(n in s.title for n in notes)]


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_kind_of_error_is_reported_with_file_and_line(case, seeds_copy, geonames_ids, base):
    filename, row, needle = CASES[case]
    path = seeds_copy / filename
    _append(path, row)
    line = _lines(path)
    with pytest.raises(SeedValidationError) as exc:
        load_seeds(seeds_copy, geonames_ids, syria=base.syria)
    text = str(exc.value)
    assert needle in text, text
    assert f"seeds/{filename}:{line}:" in text, text


def test_every_problem_reported_at_once(seeds_copy, geonames_ids, base):
    for case in ("unknown-place", "bad-date", "outside-syria", "bad-url", "bad-depth"):
        filename, row, _ = CASES[case]
        _append(seeds_copy / filename, row)
    with pytest.raises(SeedValidationError) as exc:
        load_seeds(seeds_copy, geonames_ids, syria=base.syria)
    assert len(exc.value.problems) == 5
    for case in ("unknown-place", "bad-date", "outside-syria", "bad-url", "bad-depth"):
        assert CASES[case][2] in str(exc.value)


def test_a_contested_spell_needs_a_sourced_end(seeds_copy, geonames_ids, base):
    """A place left contested to the end of the timeline for more than 3 days is reported."""
    _append(
        seeds_copy / "events.csv",
        ["2024-12-05", "khan-al-asal", "contested", "contested", "base-newlines-aleppo-never-meant-to-fall", "x"],
    )
    line = _lines(seeds_copy / "events.csv")
    with pytest.raises(SeedValidationError) as exc:
        load_seeds(seeds_copy, geonames_ids, syria=base.syria)
    assert f"seeds/events.csv:{line}: 'khan-al-asal' is contested from 2024-12-05 to the end of the timeline" in str(
        exc.value
    )
    # A later row (whose source says it is still contested) within 3 days of the end settles it.
    _append(
        seeds_copy / "events.csv",
        ["2024-12-10", "khan-al-asal", "contested", "contested", "base-newlines-aleppo-never-meant-to-fall", "y"],
    )
    load_seeds(seeds_copy, geonames_ids, syria=base.syria)


def test_bad_header_and_missing_file(seeds_copy, geonames_ids, base):
    (seeds_copy / "events.csv").write_text("when,where\n2024-11-30,aleppo\n", encoding="utf-8")
    (seeds_copy / "proposals.csv").unlink()
    with pytest.raises(SeedValidationError) as exc:
        load_seeds(seeds_copy, geonames_ids, syria=base.syria)
    text = str(exc.value)
    assert "seeds/events.csv:1: header is 'when,where'" in text
    assert "seeds/proposals.csv: file is missing" in text


def test_baseline_geojson_errors(seeds_copy, geonames_ids, base):
    path = seeds_copy / "baseline.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"][0]["properties"]["controller"] = "russia"
    bow = [[36, 36], [37, 37], [37, 36], [36, 37], [36, 36]]
    data["features"][1]["geometry"] = {"type": "Polygon", "coordinates": [bow]}
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SeedValidationError) as exc:
        load_seeds(seeds_copy, geonames_ids, syria=base.syria)
    text = str(exc.value)
    assert "controller 'russia' is unknown" in text
    assert "geometry is invalid: Self-intersection" in text


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.csv")), ids=lambda p: p.stem)
def test_corpus_files(path, seeds_copy, geonames_ids, base):
    """Each corpus file replaces the seed file named in its first comment-free header."""
    target = path.name.split("__", 1)[0] + ".csv"
    (seeds_copy / target).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    expected = (path.with_suffix(".expected")).read_text(encoding="utf-8").strip().splitlines()
    with pytest.raises(SeedValidationError) as exc:
        load_seeds(seeds_copy, geonames_ids, syria=base.syria)
    for needle in expected:
        assert needle in str(exc.value), (needle, str(exc.value))


def test_build_refuses_bad_seeds_and_leaves_geodata(seeds_copy, tmp_path):
    _append(seeds_copy / "events.csv", CASES["unknown-place"][1])
    out = tmp_path / "geodata"
    out.mkdir()
    (out / ".territory-geodata").write_text("old", encoding="utf-8")  # an earlier build's output
    proc = run_cli("build", "--seeds", str(seeds_copy), "--out", str(out), "--quiet")
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert "kweires" in err and "nothing was written" in err and "Traceback" not in err
    assert [p.name for p in out.iterdir()] == [".territory-geodata"]


def test_baseline_rest_zone_is_required(seeds_copy, geonames_ids, base):
    path = seeds_copy / "baseline.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["rest"]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SeedValidationError) as exc:
        load_seeds(seeds_copy, geonames_ids, syria=base.syria)
    assert "top-level 'rest' is missing" in str(exc.value)


def test_the_area_of_separation_member_is_checked(seeds_copy, geonames_ids, base):
    path = seeds_copy / "baseline.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert load_seeds(seeds_copy, geonames_ids, syria=base.syria).separation.controller == "government"
    del data["separation"]["source_id"]
    del data["golan"]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SeedValidationError) as exc:
        load_seeds(seeds_copy, geonames_ids, syria=base.syria)
    assert "seeds/baseline.geojson: separation: is incomplete" in str(exc.value)
    data["separation"]["source_id"] = "fa-jvl-disengagement-19740531"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SeedValidationError) as exc:
        load_seeds(seeds_copy, geonames_ids, syria=base.syria)
    assert "has a 'separation' zone but no 'golan'" in str(exc.value)


def test_one_checker_for_the_seeds_and_uploads_in_their_format():
    # seeds/events.csv and an upload in its format flag the same cells of a row, each in its own words.
    import datetime as dt

    from territory.eventrows import RowRules, check_event_row

    places = {"aleppo": "aleppo"}
    seeds_rules = RowRules(places, {"src": object()}, (dt.date(2024, 11, 27), dt.date(2024, 12, 12)))
    upload_rules = RowRules(places, upload=True)
    bad = {"date": "2024-02-30", "place_id": "alepo", "controller": "htss", "kind": "captured", "source_id": "src"}
    seeds_check, upload_check = check_event_row(bad, seeds_rules), check_event_row(bad, upload_rules)
    assert (
        [c for c, _ in seeds_check.problems]
        == [c for c, _ in upload_check.problems]
        == [
            "date",
            "place_id",
            "controller",
        ]
    )
    assert not seeds_check.ok and not upload_check.ok
    assert seeds_check.problems[1][1] == "'alepo' is unknown (did you mean 'aleppo'?)"
    assert upload_check.problems[1][1] == "'alepo' is unknown (did you mean 'aleppo'?); expected a place id"
    good = {**bad, "date": "2024-12-01", "place_id": "aleppo", "controller": "hts", "source_id": "own"}
    assert check_event_row(good, upload_rules) == (dt.date(2024, 12, 1), [], True)  # an upload cites its own sources
    assert check_event_row(good, seeds_rules).problems == [("source_id", "'own' is not in seeds/sources.csv")]
