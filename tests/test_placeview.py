"""What a reader sees of a place's history and of the map's names: dates for people, one mark per spell."""

from __future__ import annotations

import datetime as dt
import json
import re

from territory import history, mapdata, placeview, seeds, settings, viewmodel


def test_the_strip_has_one_mark_per_spell_and_open_spells_read_still_held(ds):
    spells = history.place_history(ds, "kuweires-air-base")
    assert len(spells) >= 2
    strip = placeview.history_strip_html(ds, "kuweires-air-base", mapdata.palette(None))
    assert strip.count('class="territory-spell"') == len(spells)
    table = placeview.history_table(ds, "kuweires-air-base")
    assert len(table) == len(spells)
    # The last spell runs to the end: its exclusive valid_to is the day after the data, never shown.
    assert spells[-1].valid_to == "2024-12-13"
    assert table.iloc[-1]["to (last day)"] == "still held on Thu 12 Dec 2024"
    assert "2024-12-13" not in strip and "13 Dec" not in " ".join(map(str, table.to_numpy().ravel()))
    assert table.iloc[0]["from"] == "Tue 26 Nov 2024"


def test_dates_for_people():
    assert viewmodel.human_date(dt.date(2024, 11, 29)) == "Fri 29 Nov 2024"
    assert viewmodel.human_date("2024-12-01") == "Sun 1 Dec 2024"


def test_a_source_without_headline_is_cited_by_publisher_and_date():
    noted = {
        "title": "(no headline in the stored copy) SNA takes X",
        "publisher": "TRT World",
        "published": "2024-12-01",
    }
    assert seeds.citation(noted) == "TRT World, 2024-12-01"
    plain = {"title": "Rebels take Aleppo", "publisher": "Reuters", "published": "2024-11-30"}
    assert seeds.citation(plain) == "Rebels take Aleppo (Reuters, 2024-11-30)"


def test_no_citation_on_the_page_reads_like_a_note(ds):
    base = mapdata.base_data(ds)
    assert not [s["t"] for s in base["srcs"] if re.search(r"no headline|stored copy", s["t"], re.IGNORECASE)]
    assert not re.search(r"no headline|stored copy", viewmodel.sources_markdown(ds), re.IGNORECASE)


def test_the_map_labels_every_governorate_capital_first(ds):
    order = mapdata.label_order(ds)
    ids = list(ds.places["id"])
    capitals = [ids[p] for p, z in zip(order["p"], order["z"], strict=True) if z == 0]
    assert capitals == [c for c in settings.LABEL_CAPITALS if c in ids]
    names = {str(ds.places["name"].iloc[p]) for p in order["p"][: len(capitals)]}
    assert {"Aleppo", "Idlib", "Hama", "Homs", "Damascus", "Deir ez-Zor", "Latakia"} <= names
    zooms = order["z"][len(capitals) :]
    assert zooms == sorted(zooms)  # the most populous appear first


def test_exports_keep_the_exclusive_end_and_say_so(ds):
    from territory import layers

    data = json.loads(layers.layer_geojson(ds, settings.LAYER_TIMELINE))
    assert "exclusive" in data["metadata"]["valid_to"]
    ends = {f["properties"]["valid_to"] for f in data["features"]}
    assert (ds.end_date + dt.timedelta(days=1)).isoformat() in ends  # an open spell: the day after the data


def test_one_name_key_for_history_the_url_and_uploads():
    """History, ?place= and an upload's locations fold a name the same way (uploads also drop apostrophes)."""
    from territory.names import name_key

    assert name_key("Tell Rifa‘at") == name_key("  TELL-rifa`at ") == "tell rifaat"
    assert name_key("Ḩamāh") == "hamah"
    assert name_key("Ma'arrat al-Nu'man", apostrophes=False) == name_key("Maarrat al-Numan") == "maarrat al numan"
    assert name_key("Ma'arrat") == "ma'arrat"  # the page and the published site keep ASCII apostrophes
