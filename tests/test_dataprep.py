"""Mask data preparation: mirror, CD bias, grid snap, fracture, maskless simple polygons."""

from __future__ import annotations

from pathlib import Path

import gdstk
import numpy as np
import pytest
import shapely
from shapely import affinity
from shapely.geometry import Polygon as ShapelyPolygon

from mbfab.layout import Layer, boolean, layer_stats, rectangle
from mbfab.layout.critical import narrowest
from mbfab.layout.dataprep import (
    fracture_in_place,
    mirror_x,
    simple_pieces,
    size_in_place,
    snap_in_place,
    writer_problems,
)
from mbfab.output.handoff import write_plate
from mbfab.output.plates import Plate, PlateRequest, PrepSettings, make_plate

L1 = Layer(1, 0, "one")
#: A chiral "F": no rotation maps it onto its mirror image.
F_POINTS = [(0, 0), (2, 0), (2, 6), (5, 6), (5, 8), (2, 8), (2, 10), (7, 10), (7, 12), (0, 12)]


def _union(polygons: list[gdstk.Polygon]) -> shapely.Geometry:
    return shapely.unary_union([ShapelyPolygon(p.points) for p in polygons])


def test_chiral_pattern_comes_out_mirrored() -> None:
    cell = gdstk.Cell("F")
    cell.add(gdstk.Polygon(F_POINTS, layer=1))
    out = mirror_x(cell, 10.0, "F_DATA")
    expected = affinity.scale(ShapelyPolygon(F_POINTS), xfact=-1, yfact=1, origin=(10.0, 0.0))
    got = _union(out.get_polygons())
    assert got.symmetric_difference(expected).area == pytest.approx(0.0, abs=1e-9)
    # ... and it is not the original F, nor the original turned by 180 degrees.
    original = ShapelyPolygon(F_POINTS)
    for candidate in (original, affinity.rotate(original, 180, origin="centroid")):
        moved = affinity.translate(
            candidate, got.centroid.x - candidate.centroid.x, got.centroid.y - candidate.centroid.y
        )
        assert got.symmetric_difference(moved).area > 10.0


def test_mirroring_a_hierarchy_keeps_the_array() -> None:
    unit = gdstk.Cell("UNIT")
    unit.add(gdstk.Polygon(F_POINTS, layer=1))
    top = gdstk.Cell("TOP")
    top.add(gdstk.Reference(unit, (0, 0), columns=4, rows=3, spacing=(20, 20)))
    out = mirror_x(top, 0.0, "TOP_DATA")
    assert out.name == "TOP" and len(out.references) == 1
    assert top.references[0].repetition.size == 12  # the array is still one reference
    expected = affinity.scale(
        shapely.unary_union([ShapelyPolygon(p.points) for p in top.get_polygons()]),
        xfact=-1,
        origin=(0, 0),
    )
    assert _union(out.get_polygons()).symmetric_difference(expected).area < 1e-9


def test_cd_bias_changes_widths_and_areas_by_hand_numbers() -> None:
    cell = gdstk.Cell("B")
    cell.add(rectangle(0, 0, 10, 4, L1))
    size_in_place(cell, L1, +1.0 / 2)  # CD bias +1 um: each edge 0.5 um out
    (x0, y0), (x1, y1) = cell.bounding_box()
    assert (x1 - x0, y1 - y0) == pytest.approx((11.0, 5.0))
    assert layer_stats(cell, L1.spec).area_um2 == pytest.approx(11 * 5)
    shrink = gdstk.Cell("S")
    shrink.add(rectangle(0, 0, 10, 4, L1))
    size_in_place(shrink, L1, -1.0 / 2)
    assert layer_stats(shrink, L1.spec).area_um2 == pytest.approx(9 * 3)
    # A repeated square keeps its repetition: 6 squares of 2 um grow to 2.5 um.
    arrayed = gdstk.Cell("A")
    square = rectangle(0, 0, 2, 2, L1)
    square.repetition = gdstk.Repetition(3, 2, spacing=(10, 10))
    arrayed.add(square)
    size_in_place(arrayed, L1, 0.25)
    assert len(arrayed.polygons) == 1 and arrayed.polygons[0].repetition.size == 6
    assert layer_stats(arrayed, L1.spec).area_um2 == pytest.approx(6 * 2.5 * 2.5)


def test_bias_through_make_plate_and_the_measured_cd() -> None:
    device = gdstk.Cell("DEV")
    device.add(rectangle(0, 0, 3, 50, L1), rectangle(10, 0, 20, 50, L1))
    request = PlateRequest(L1, "etch", "positive", "P")
    field = ((-100.0, -100.0), (120.0, 150.0))
    plain = make_plate(device, request, field, "auto", PrepSettings())
    biased = make_plate(device, request, field, "auto", PrepSettings(cd_bias_um=0.4))
    # Widths 3 and 10 um, 50 um long: +0.4 um on each line width and on each length.
    assert plain.written.area_um2 == pytest.approx(3 * 50 + 10 * 50)
    assert biased.written.area_um2 == pytest.approx(3.4 * 50.4 + 10.4 * 50.4)
    assert plain.critical is not None and biased.critical is not None
    assert plain.critical.width_um == pytest.approx(3.0) and plain.critical.kind == "line"
    assert biased.critical.width_um == pytest.approx(3.4)
    assert biased.critical.location[0] == pytest.approx(1.5, abs=0.3)


def test_narrowest_space() -> None:
    found = narrowest([rectangle(0, 0, 30, 50, L1), rectangle(32.5, 0, 60, 50, L1)])
    assert found is not None
    assert (found.width_um, found.kind) == (pytest.approx(2.5), "space")
    assert found.location == pytest.approx((31.25, 25.0), abs=0.5)


@pytest.mark.parametrize("grid", [0.005, 0.1])
def test_every_vertex_lands_on_the_grid(grid: float) -> None:
    rng = np.random.default_rng(7)
    cell = gdstk.Cell("G")
    for _ in range(30):
        x, y = rng.uniform(0, 100, 2)
        cell.add(gdstk.regular_polygon((x, y), rng.uniform(1, 5), 7, layer=1))
    ref_cell = gdstk.Cell("R")
    ref_cell.add(gdstk.Polygon([(0.0013, 0.0027), (3.3333, 0.0), (1.7771, 2.9)], layer=1))
    cell.add(gdstk.Reference(ref_cell, (0.0071, 1.2345), columns=3, rows=1, spacing=(7.777, 0)))
    snap_in_place(cell, grid)
    flat = cell.get_polygons()
    assert len(flat) == 33
    steps = np.concatenate([p.points for p in flat]) / grid
    assert np.abs(steps - np.round(steps)).max() < 1e-6
    assert all(len(p.points) == len(np.unique(p.points, axis=0)) for p in flat)


def test_fracture_keeps_area_and_respects_the_limit() -> None:
    cell = gdstk.Cell("C")
    cell.add(gdstk.ellipse((0, 0), 1000, tolerance=1e-4, layer=1))
    before = layer_stats(cell, L1.spec).area_um2
    vertices = len(cell.polygons[0].points)
    assert vertices > 5000
    fracture_in_place(cell, 200)
    assert max(len(p.points) for p in cell.polygons) <= 200
    assert len(cell.polygons) >= vertices // 200
    assert layer_stats(cell, L1.spec).area_um2 == pytest.approx(before, rel=1e-6)


def test_self_intersecting_input_is_repaired_with_a_message() -> None:
    bow_tie = gdstk.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)], layer=1)
    assert any("not simple" in p for p in writer_problems([bow_tie], 8190))
    pieces, messages = simple_pieces([bow_tie], L1)
    assert len(messages) == 1 and "Self-intersection" in messages[0]
    assert "replaced by 2 simple piece(s)" in messages[0]
    assert writer_problems(pieces, 8190) == []
    # Two triangles of base 10 and height 5: 2 * 25 um2.
    assert sum(p.area() for p in pieces) == pytest.approx(50.0)


def test_keyhole_complement_becomes_simple_pieces() -> None:
    window = rectangle(0, 0, 100, 100, L1)
    holes = [rectangle(20, 20, 40, 40, L1), rectangle(60, 50, 80, 90, L1)]
    keyholed = boolean(window, holes, "not", L1)
    assert writer_problems(keyholed, 8190)  # GDS keyholes touch themselves
    pieces, messages = simple_pieces(keyholed, L1)
    assert messages and writer_problems(pieces, 8190) == []
    assert sum(p.area() for p in pieces) == pytest.approx(100 * 100 - 400 - 800)
    union = _union(pieces)
    assert union.symmetric_difference(_union(keyholed)).area < 1e-6


def _written_flat(plate: Plate, folder: Path) -> list[gdstk.Polygon]:
    """The polygons of the file a maskless writer gets (one flat structure)."""
    folder.mkdir(exist_ok=True)
    name = write_plate(plate, folder, "LIB", "gds")
    library = gdstk.read_gds(str(folder / name))
    assert len(library.cells) == 1 and not library.cells[0].references
    return library.cells[0].polygons


def test_maskless_plate_is_flat_simple_and_exposes_the_right_area(tmp_path: Path) -> None:
    unit = gdstk.Cell("U")
    unit.add(rectangle(0, 0, 4, 4, L1))
    device = gdstk.Cell("D")
    device.add(gdstk.Reference(unit, (0, 0), columns=5, rows=5, spacing=(10, 10)))
    field = ((-10.0, -10.0), (54.0, 54.0))
    # Etch in a positive resist: chrome on the squares, so a writer exposes the complement.
    etch = make_plate(
        device,
        PlateRequest(L1, "etch", "positive", "P"),
        field,
        "auto",
        PrepSettings(maskless=True),
    )
    assert etch.tone.inverted
    assert etch.written.area_um2 == pytest.approx(64 * 64 - 25 * 16)
    written = _written_flat(etch, tmp_path)
    assert sum(p.area() for p in written) == pytest.approx(64 * 64 - 25 * 16)
    assert writer_problems(written, 8190) == []
    # Lift-off in a positive resist: the squares themselves are exposed, 25 flat squares.
    lift = make_plate(
        device,
        PlateRequest(L1, "lift-off", "positive", "P"),
        field,
        "auto",
        PrepSettings(maskless=True),
    )
    assert not lift.tone.inverted and len(_written_flat(lift, tmp_path / "lift")) == 25


def test_a_pinched_polygon_with_a_hole_keeps_its_area() -> None:
    """A field minus a U whose tips touch the field's edge: gdstk gives one polygon pinched
    at the two tips, with a hole elsewhere; shapely reads it as a collection holding a
    multipolygon, which must be taken apart, not dropped (it lost the whole 9,500 um2)."""
    box = rectangle(0, 0, 100, 100, L1)
    outside = [(0, 40), (10, 30), (30, 30), (30, 70), (10, 70), (0, 60)]
    inside = [(10, 65), (25, 65), (25, 35), (10, 35)]
    u_shape = gdstk.Polygon([*outside, *inside])
    hole = rectangle(60, 60, 70, 70, L1)
    pinched = boolean(box, [u_shape, hole], "not", L1)
    assert len(pinched) == 1
    pieces, messages = simple_pieces(pinched, L1)
    # 100 x 100 - the U (400 um2 by the shoelace formula) - the 10 x 10 hole
    assert pinched[0].area() == pytest.approx(9500.0)
    assert sum(p.area() for p in pieces) == pytest.approx(9500.0)
    assert messages and writer_problems(pieces, 8190) == []
