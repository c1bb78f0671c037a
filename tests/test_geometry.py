import numpy as np
import shapely
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from shapely.geometry import Polygon

from territory import geometry


def test_clean_orients_ccw_and_snaps():
    cw = Polygon([(0, 0), (0, 1.0000004), (1, 1), (1, 0)])
    out = geometry.clean(cw)
    assert shapely.is_ccw(out.exterior)
    assert all(abs(round(x, 6) - x) < 1e-12 for x, _ in out.exterior.coords)


def test_geodesic_distance_matches_geod():
    # A meridian is a geodesic: the nearest point to (36.3, 35.5) lies on it near 35.5 N.
    line = shapely.LineString([(36.0, 35.0), (36.0, 36.0)])
    d = geometry.geodesic_distance_to_line_km(36.3, 35.5, line, step_km=0.1)
    lats = np.linspace(35.0, 36.0, 20001)
    _, _, dist = geometry.GEOD.inv(np.full_like(lats, 36.3), np.full_like(lats, 35.5), np.full_like(lats, 36.0), lats)
    assert abs(d - dist.min() / 1000) < 0.01
    # Beyond the end of the line the nearest point is the end point.
    _, _, ref = geometry.GEOD.inv(36.0, 34.9, 36.0, 35.0)
    assert abs(geometry.geodesic_distance_to_line_km(36.0, 34.9, line) - ref / 1000) < 1e-6


@hsettings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(1, 99, allow_nan=False), st.floats(1, 99, allow_nan=False)),
        min_size=2,
        max_size=60,
        unique_by=(lambda p: round(p[0], 3), lambda p: round(p[1], 3)),
    )
)
def test_voronoi_cells_tile_boundary_and_hold_their_seed(points):
    pts = np.asarray(points)
    # Distinct after rounding in both coordinates keeps GEOS from merging near-duplicates.
    boundary = Polygon([(0, 0), (100, 0), (100, 100), (50, 120), (0, 100)])
    cells = geometry.voronoi_cells(pts, boundary)
    assert len(cells) == len(pts)
    total = sum(c.area for c in cells)
    assert abs(total - boundary.area) < 1e-6 * boundary.area
    union = shapely.union_all(cells)
    assert abs(union.area - boundary.area) < 1e-6 * boundary.area
    for (x, y), cell in zip(pts, cells, strict=True):
        assert cell.buffer(1e-9).contains(shapely.Point(x, y))
    assert shapely.coverage_is_valid(np.asarray(cells, dtype=object), gap_width=0.0)


def test_km_outside_is_zero_inside_geodesic_outside_and_nan_without_coordinates():
    # A box around Aleppo; points inside, due east of its edge, and without coordinates.
    box = shapely.box(37.0, 36.0, 37.4, 36.4)
    lon = np.array([37.2, 37.7, np.nan, 37.2])
    lat = np.array([36.2, 36.2, 36.2, np.inf])
    km = geometry.km_outside(box, lon, lat)
    assert km[0] == 0.0
    assert np.isnan(km[2]) and np.isnan(km[3])
    # UTM 37N's scale error here is about 0.02 %: the metric distance matches the geodesic one.
    _, _, ref = geometry.GEOD.inv(37.4, 36.2, 37.7, 36.2)
    assert abs(km[1] - ref / 1000) < 0.001 * ref / 1000
    assert geometry.km_outside(box, [], []).shape == (0,)
