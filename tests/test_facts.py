"""Dated facts from the sources, checked against the map: who held a place on a date.

``tests/data/dated_facts.csv`` holds statements of the form "on DATE, PLACE was held by SIDE", each
citing a source of ``seeds/sources.csv``, in before/after pairs around each change of control and
a day or more away from it (so a one-day disagreement between sources does not decide a fact).
The facts were researched from the sources, not read off the map; the map must agree with at
least 97% of them.
"""

import csv
import datetime as dt

import pytest

from territory import control

from .conftest import ROOT

FACTS = ROOT / "tests" / "data" / "dated_facts.csv"
MIN_FACTS = 60
MIN_AGREEMENT = 0.97


@pytest.fixture(scope="module")
def facts():
    with FACTS.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_facts_are_sourced_and_paired(ds, facts):
    assert len(facts) >= MIN_FACTS
    unknown = [f["source_id"] for f in facts if f["source_id"] not in ds.sources]
    assert not unknown, unknown[:5]
    missing = [f["place_id"] for f in facts if f["place_id"] not in ds.places.index]
    assert not missing, missing[:5]
    by_place: dict[str, set[str]] = {}
    for f in facts:
        assert ds.baseline_date <= dt.date.fromisoformat(f["date"]) <= ds.end_date, f
        by_place.setdefault(f["place_id"], set()).add(f["controller"])
    changes = [p for p, sides in by_place.items() if len(sides) > 1]
    assert len(changes) >= 30  # before/after pairs around changes of control
    assert all(sum(f["place_id"] == p for f in facts) >= 2 for p in by_place)  # every place has a pair


def test_the_map_agrees_with_the_dated_facts(ds, facts):
    wrong = []
    for f in facts:
        date = dt.date.fromisoformat(f["date"])
        got = control.controllers_on(ds, date)[f["place_id"]]
        if got != f["controller"]:
            wrong.append(f"{f['place_id']} on {f['date']}: map {got}, source {f['source_id']} {f['controller']}")
    agreement = 1 - len(wrong) / len(facts)
    assert agreement >= MIN_AGREEMENT, f"{agreement:.1%} agree; wrong:\n" + "\n".join(wrong)
