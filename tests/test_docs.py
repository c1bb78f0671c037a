"""Figures the README states are the data's (a rebuild that moves them fails here, not silently)."""

import re

import pytest

from territory import buffers, settings, stats, viewmodel

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("depth", settings.DEFAULT_DEPTHS_MILES)
def test_readme_band_figures_are_the_data(ds, depth):
    row = re.search(rf"^\s*\| {buffers.format_depth(depth)} mi \| ([\d,]+) \| (\d+) \| ([\d,]+) \|", README, re.M)
    assert row, f"no README row for {depth} mi"
    band = stats.band_summary(ds, depth)
    assert row.group(1) == f"{band['area_km2']:,.0f}"
    assert int(row.group(2)) == band["places"]
    assert int(row.group(3).replace(",", "")) == band["population"]


def test_readme_shares_and_border_are_the_data(ds):
    shares = viewmodel.baseline_shares(ds)
    text = " ".join(README.split())
    assert (
        f"the government {shares['government']:.1f}%, the SDF {shares['sdf']:.1f}% and the opposition "
        f"{shares['opposition']:.1f}%" in text
    )
    assert f"OpenStreetMap's ({ds.border_info['length_km']:,.0f} km measured geodesically" in text


def test_about_tab_is_filled_from_the_data(ds):
    about = viewmodel.about_markdown(ds)
    assert "{" not in about and "}" not in about  # every placeholder filled
    shares = viewmodel.baseline_shares(ds)
    assert f"the government\n  {shares['government']:.1f}%" in about or f"{shares['government']:.1f}%" in about
    assert "63.38%, 25.64% and 10.98%" in about and "15 km" in about
