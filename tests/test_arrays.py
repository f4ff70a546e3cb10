"""Lattices in regions: counts against hand-derived numbers, whole features, hierarchy."""

from __future__ import annotations

import math
from pathlib import Path

import gdstk
import klayout.db as kdb
import numpy as np
import pytest
import shapely

from mbfab.layout import Layer, arrays, layer_stats, write_gds
from mbfab.layout.arrays import (
    circle_region,
    feature_array,
    feature_outline,
    lattice_references,
    lattice_sites,
    line_array,
    polygon_region,
    rectangle_region,
)

LAYER = Layer(1, 0, "features")


def test_hex_count_in_a_rectangle_matches_hand_count() -> None:
    # 5 um squares, hex pitch 10 um, 100 um x 100 um region: centres live in the eroded
    # 95 x 95 square. Even rows: floor(95/10)+1 = 10 sites, centred (first at 2.5 um);
    # odd rows shifted by 5 um: 7.5 .. 97.5 -> the last falls outside -> 9 sites.
    # Rows are 10*sqrt(3)/2 = 8.660 um apart: floor(95/8.660)+1 = 11 rows (6 even, 5 odd).
    array = feature_array(
        "U", feature_outline("square", 5), LAYER, rectangle_region(0, 0, 100, 100), "hex", 10
    )
    assert array.count == 6 * 10 + 5 * 9 == 105
    # Two arrayed references: one for the even rows, one for the odd rows.
    assert len(array.references) == 2


def test_square_lattice_in_a_rectangle() -> None:
    # 1 mm x 0.5 mm, 4 um circles at 10 um pitch: (1000-4)//10+1 = 100 by (500-4)//10+1 = 50.
    array = feature_array(
        "U",
        feature_outline("circle", 4, vertices=32),
        LAYER,
        rectangle_region(0, 0, 1000, 500),
        "square",
        10,
    )
    assert array.count == 100 * 50
    assert len(array.references) == 1
    # A 32-gon inscribed in r = 2: area (n/2) r^2 sin(2 pi/n).
    assert math.isclose(array.feature_area_um2, 16 * 4 * math.sin(2 * math.pi / 32), rel_tol=1e-3)


def test_every_kept_feature_lies_whole_inside_and_every_dropped_one_would_not() -> None:
    region = polygon_region([(0, 0), (300, 0), (300, 80), (120, 200), (0, 200)])
    feature = feature_outline("hexagon", 12)
    clearance = 3.0
    sites = lattice_sites(region, feature, "hex", 20, clearance)
    shrunk = shapely.Polygon(region[0]).buffer(-clearance + 1e-3)
    placed = [shapely.Polygon(feature + site) for site in sites]
    assert len(placed) > 50
    assert all(shrunk.contains(p) for p in placed)
    # An independent brute force over a fine candidate grid cannot fit more features on the
    # same lattice (same origin): check the sites one pitch beyond the kept ones.
    kept = {tuple(np.round(s, 3)) for s in sites}
    dy = round(20 * math.sqrt(3) / 2, 3)
    for x, y in list(kept):
        for nx, ny in ((x + 20, y), (x - 20, y), (x + 10, y + dy), (x - 10, y - dy)):
            candidate = shapely.Polygon(feature + np.array((nx, ny)))
            if (round(nx, 3), round(ny, 3)) not in kept:
                assert not shrunk.buffer(-2e-3).contains(candidate)


def test_circle_region_counts_like_a_brute_force() -> None:
    region = circle_region((0, 0), 200)
    feature = feature_outline("circle", 6, vertices=16)
    sites = lattice_sites(region, feature, "square", 10)
    disc = shapely.Polygon(region[0]).buffer(1e-3)
    # Independent: try every lattice site of the same grid and keep those whose polygon fits.
    origin = sites[0]
    xs = origin[0] + 10 * np.arange(-50, 51)
    ys = origin[1] + 10 * np.arange(-50, 51)
    fits = sum(disc.contains(shapely.Polygon(feature + np.array((x, y)))) for x in xs for y in ys)
    assert len(sites) == fits


def test_arrays_are_written_as_references(tmp_path: Path) -> None:
    array = feature_array(
        "PILLAR", feature_outline("circle", 5), LAYER, circle_region((0, 0), 500), "hex", 10
    )
    top = gdstk.Cell("TOP")
    top.add(*array.references)
    path = tmp_path / "array.gds"
    write_gds(top, path)
    layout = kdb.Layout()
    layout.read(str(path))
    unit = layout.cell("PILLAR")
    li = layout.layer(1, 0)
    assert unit.shapes(li).size() == 1  # one unit cell holds the only polygon
    assert layout.top_cell().shapes(li).size() == 0
    placed = sum(1 for _ in layout.top_cell().begin_shapes_rec(li))
    assert placed == array.count > 7000
    assert path.stat().st_size < 100 * array.count / 10  # far below one record per pillar
    assert layer_stats(top, (1, 0)).polygons == array.count


def test_trenches_area_and_count() -> None:
    # 1000 x 400 region, 5 um lines at 20 um pitch along y: (1000-5)//20+1 = 50 lines,
    # each 400 um long -> 50 * 5 * 400 um2; all identical -> one cell, one arrayed reference.
    lines = line_array("T", LAYER, rectangle_region(0, 0, 1000, 400), 5, 20)
    assert lines.count == 50
    assert math.isclose(lines.area_um2, 50 * 5 * 400)
    assert len(lines.cells) == 1 and len(lines.references) == 1


def test_trenches_clipped_to_a_circle_keep_area() -> None:
    region = circle_region((0, 0), 100, tolerance=0.01)
    lines = line_array("T", LAYER, region, 4, 10, direction="x")
    disc = shapely.Polygon(region[0])
    # Centred: (200 - 4)//10 + 1 = 20 lines starting at -100 + (200 - 4 - 190)/2 = -97.
    assert lines.count == 20
    stripes = shapely.unary_union(
        [shapely.box(-200, -97 + 10 * k, 200, -93 + 10 * k) for k in range(20)]
    )
    assert math.isclose(lines.area_um2, disc.intersection(stripes).area, rel_tol=1e-6)


def test_lattice_references_merge_rows() -> None:
    cell = gdstk.Cell("D")
    cell.add(gdstk.rectangle((0, 0), (1, 1)))
    refs = lattice_references(cell, (0, 0), (10, 10), [(i, j) for j in range(3) for i in range(4)])
    assert len(refs) == 1 and refs[0].repetition.size == 12


def _indices_by_points(eroded: shapely.Geometry, grid: arrays._Grid) -> np.ndarray:
    """Every point of the bounding box tested for containment (the old way, as an oracle)."""
    _, _, x1, y1 = eroded.bounds
    cols = np.arange(math.floor((x1 - grid.x0) / grid.dx + 1e-9) + 1)
    rows = np.arange(math.floor((y1 - grid.y0) / grid.dy + 1e-9) + 1)
    row_grid, col_grid = np.meshgrid(rows, cols, indexing="ij")
    ii, jj = col_grid.ravel(), row_grid.ravel()
    xs = grid.x0 + ii * grid.dx + (jj % 2) * grid.shift
    ys = grid.y0 + jj * grid.dy
    keep = shapely.contains_xy(eroded, xs, ys)
    return np.column_stack((ii[keep], jj[keep]))


@pytest.mark.parametrize("seed", range(6))
def test_scanline_sites_equal_a_point_in_polygon_test(seed: int) -> None:
    """Sites are found row by row (cut intervals); testing every point of the bounding box
    for containment must keep exactly the same sites, in the same order."""
    rng = np.random.default_rng(seed)
    regions = [
        rectangle_region(0, 0, rng.uniform(30, 400), rng.uniform(30, 400)),
        circle_region((rng.uniform(-5, 5), rng.uniform(-5, 5)), rng.uniform(20, 300)),
        polygon_region([(0, 0), (300, 0), (300, 100), (100, 100), (100, 300), (0, 300)]),
    ]
    for region in regions:
        for shape in ("circle", "square", "hexagon"):
            for lattice in ("square", "hex"):
                feature = feature_outline(shape, rng.uniform(2, 12))  # type: ignore[arg-type]
                dx, dy, shift = arrays._lattice_steps(lattice, rng.uniform(8, 25))  # type: ignore[arg-type]
                eroded = arrays._eroded(region[0], feature, float(rng.choice([0.0, 2.0, 7.3])))
                if eroded.is_empty:
                    continue
                grid = arrays._grid_for(eroded, dx, dy, shift)
                expected = _indices_by_points(eroded, grid)
                assert np.array_equal(arrays._indices(eroded, grid), expected)
