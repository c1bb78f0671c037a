"""OpenStreetMap outlines: reading the package's line-per-feature file, the border, the Golan cut."""

import io
import json

import pytest
import shapely
from shapely.geometry import LineString, Polygon, mapping

from territory import geometry, outlines
from territory._errors import DataError


def _feature_line(code: str, geom) -> bytes:
    feature = {"type": "Feature", "geometry": mapping(geom), "properties": {"A3": code}}
    return json.dumps(feature, separators=(",", ":")).encode()  # compact, as the package writes it


def test_read_countries_parses_only_the_wanted_lines():
    a = Polygon([(36, 35), (37, 35), (37, 36), (36, 36)])
    b = Polygon([(36, 36), (37, 36), (37, 37), (36, 37)])
    text = b'{"type":"FeatureCollection","features":[\n' + b",\n".join(
        [_feature_line("SYR", a), _feature_line("TUR", b), b'{"type":"Feature","broken']
    )
    text += b"\n]}\n"
    got = outlines.read_countries(io.BytesIO(text), ["SYR", "TUR"])
    assert got["SYR"].equals(a) and got["TUR"].equals(b)
    with pytest.raises(DataError, match="no feature for IRQ"):
        outlines.read_countries(io.BytesIO(text), ["SYR", "IRQ"])


def test_shared_border_is_one_line_bridging_a_river_gap():
    """Two countries whose land stops at a river: the border bridges the water, and is one line."""
    south = Polygon(
        [
            (36.0, 35.0),
            (38.0, 35.0),
            (38.0, 36.0),
            (37.02, 36.0),
            (37.02, 35.99),
            (36.98, 35.99),
            (36.98, 36.0),
            (36.0, 36.0),
        ]
    )
    north = Polygon(
        [
            (36.0, 36.0),
            (36.98, 36.0),
            (36.98, 36.01),
            (37.02, 36.01),
            (37.02, 36.0),
            (38.0, 36.0),
            (38.0, 37.0),
            (36.0, 37.0),
        ]
    )
    line, part, ends = outlines.shared_border(south, north)
    assert isinstance(line, LineString) and line.coords[0][0] < line.coords[-1][0]  # west to east
    km = geometry.geodesic_length_km(line)
    assert km == pytest.approx(geometry.geodesic_length_km(LineString([(36, 36), (38, 36)])), rel=0.01)
    spliced = outlines.splice_border(south, line, part, ends)
    assert spliced.is_valid and spliced.area > south.area  # the notch of water became land
    assert spliced.boundary.buffer(1e-9).covers(line)


def test_shared_border_refuses_countries_apart():
    a = Polygon([(36, 35), (37, 35), (37, 36), (36, 36)])
    b = Polygon([(38, 35), (39, 35), (39, 36), (38, 36)])
    with pytest.raises(DataError, match="share no boundary"):
        outlines.shared_border(a, b)


def test_occupied_golan_is_israel_east_of_the_line():
    israel = Polygon([(35.0, 32.5), (36.0, 32.5), (36.0, 33.4), (35.0, 33.4)])
    line = [(35.6, 33.3), (35.62, 32.9), (35.66, 32.6)]
    golan = outlines.occupied_golan(israel, line)
    assert golan.contains(shapely.Point(35.77, 33.27))  # Majdal Shams
    assert not golan.contains(shapely.Point(35.57, 33.21))  # Kiryat Shmona
    with pytest.raises(DataError, match="at least two points"):
        outlines.occupied_golan(israel, line[:1])


def test_committed_cut_out_is_the_pinned_package(tmp_path):
    shapes, border = outlines.read_outlines()
    assert {"SYR", "TUR", "ISR", "LBN", "JOR", "IRQ"} <= set(shapes)
    assert 880 <= geometry.geodesic_length_km(border) <= 920
    doc = json.loads(outlines.OUTLINES_FILE.read_text(encoding="utf-8"))
    doc["metadata"]["sha256"] = "0" * 64
    other = tmp_path / "outlines.geojson"
    other.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(DataError, match="not the pinned"):
        outlines.read_outlines(other)
