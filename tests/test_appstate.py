"""URL state: parse never raises; bad values warn and fall back; state round-trips."""

import datetime as dt

import pytest

from territory import appstate, settings
from territory.settings import DEFAULT_MAP_LAYERS


def test_defaults(ds):
    view = appstate.parse_query(ds, {})
    # The page opens on the day Aleppo fell (a date with a story), not the last date.
    assert view.date == settings.OPENING_DATE == dt.date(2024, 11, 30) and view.depths == settings.DEFAULT_DEPTHS_MILES
    assert view.layers == DEFAULT_MAP_LAYERS and not view.warnings


def test_round_trip(ds):
    view = appstate.ViewState(dt.date(2024, 12, 1), (10.0, 22.5), ("zones", "buffers"), "colour-blind safe")
    again = appstate.parse_query(ds, appstate.to_query(view))
    assert (again.date, again.depths, again.layers, again.palette) == (
        view.date,
        view.depths,
        view.layers,
        view.palette,
    )
    assert not again.warnings


@pytest.mark.parametrize(
    ("params", "field", "needle"),
    [
        ({"date": "2024-02-30"}, "date", "not a date"),
        ({"date": "1999-01-01"}, "date", "outside the timeline"),
        ({"depths": "abc"}, "depths", "depth 'abc'"),
        ({"depths": "1e9"}, "depths", "depth '1e9'"),
        ({"depths": "3,,6"}, "depths", "comma-separated"),
        ({"layers": "zones,<b>x</b>"}, "layers", "unknown layer"),
        ({"palette": "neon"}, "palette", "unknown"),
        ({"utm_source": "x"}, None, "not used"),
    ],
)
def test_bad_values_warn_and_fall_back(ds, params, field, needle):
    view = appstate.parse_query(ds, params)
    assert any(needle in w for w in view.warnings), view.warnings
    default = appstate.parse_query(ds, {})
    if field == "date":
        assert view.date == default.date
    if field == "depths":
        assert view.depths == default.depths
    if field == "layers":
        assert view.layers == ("zones",)


def test_long_values_are_cut_in_warnings(ds):
    view = appstate.parse_query(ds, {"layers": "x" * 10_000, "date": "9" * 10_000})
    assert all(len(w) < 400 for w in view.warnings)


def test_empty_depths_means_no_bands(ds):
    assert appstate.parse_query(ds, {"depths": ""}).depths == ()


def test_url_depths_are_rounded_with_a_warning(ds):
    view = appstate.parse_query(ds, {"depths": "3.1,15.3"})
    assert view.depths == (3.1, 15.5)  # 3.1 is a proposal's own depth (the US 5 km strip); 15.3 is not
    assert any("15.3 rounded" in w for w in view.warnings)


def test_place_and_since_parameters(ds):
    view = appstate.parse_query(ds, {"place": "aleppo", "since": "2024-11-28", "date": "2024-12-02"})
    assert view.place == "aleppo" and view.since.isoformat() == "2024-11-28" and not view.warnings
    assert appstate.to_query(view)["since"] == "2024-11-28" and appstate.to_query(view)["place"] == "aleppo"
    bad = appstate.parse_query(ds, {"place": "<b>x</b>", "since": "2024-12-05", "date": "2024-12-02"})
    assert bad.place is None and bad.since is None and len(bad.warnings) == 2


def test_place_parameter_takes_names_like_the_cli(ds):
    """?place= resolves an id, a name or an alternative name, as `history PLACE` does."""
    for asked, expected in (
        ("kuweires", "kuweires-air-base"),
        ("Ḩamāh", "hamah"),
        ("Hama", "hamah"),
        ("idlib", "idlib"),
    ):
        view = appstate.parse_query(ds, {"place": asked})
        assert view.place == expected and not view.warnings, (asked, view)
    miss = appstate.parse_query(ds, {"place": "Kuweiress Air Bse"})
    assert miss.place is None and "did you mean" in miss.warnings[0] and "kuweires-air-base" in miss.warnings[0]
