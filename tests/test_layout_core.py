"""The layout core: shapes, grid, booleans, hierarchy statistics, reading foreign files."""

from __future__ import annotations

import math
from pathlib import Path

import gdstk
import numpy as np
import pytest

from mbfab.errors import GdsReadError
from mbfab.layout import (
    DBU_UM,
    Layer,
    LayerMap,
    boolean,
    circle,
    circle_vertex_count,
    extract_layer,
    is_on_grid,
    layer_stats,
    merge,
    offset,
    read_layout,
    rectangle,
    rounded_rectangle,
    uses_hierarchy,
    write_gds,
    write_oas,
)

from conftest import SHARED_GDS

L1, L2 = Layer(1, 0, "one"), Layer(2, 0, "two")


def test_layer_map_refuses_duplicates() -> None:
    layers = LayerMap([L1, L2])
    assert layers["one"] == L1 and layers.by_spec((2, 0)) == L2
    with pytest.raises(ValueError, match="used twice"):
        layers.add(Layer(5, 0, "one"))
    with pytest.raises(ValueError, match="share GDS 1/0"):
        layers.add(Layer(1, 0, "three"))
    with pytest.raises(ValueError, match=r"outside 0\.\.32767"):
        LayerMap([Layer(40000, 0, "big")])


@pytest.mark.parametrize(("radius", "tolerance"), [(2.5, 0.01), (50.0, 0.01), (1000.0, 0.001)])
def test_circle_facets_stay_within_the_tolerance(radius: float, tolerance: float) -> None:
    poly = circle((0, 0), radius, L1, tolerance=tolerance)
    n = len(poly.points)
    assert n == circle_vertex_count(radius, tolerance) and n % 4 == 0
    # Vertices on the circle (to the grid); the chord midpoints fall short by the sagitta.
    assert np.allclose(np.hypot(*poly.points.T), radius, atol=DBU_UM)
    sagitta = radius * (1 - math.cos(math.pi / n))
    assert sagitta <= tolerance + DBU_UM
    assert poly.area() == pytest.approx(0.5 * n * radius**2 * math.sin(2 * math.pi / n), rel=1e-4)


def test_shapes_are_on_the_grid() -> None:
    rect = rectangle(0.0001, 0.0004, 10.00049, 3.3333333, L1)
    assert is_on_grid(rect.points)
    assert rect.area() == pytest.approx(10.0 * 3.333)
    rounded = rounded_rectangle(0, 0, 100, 50, 10, L1)
    assert is_on_grid(rounded.points)
    assert rounded.area() == pytest.approx(100 * 50 - 4 * 100 * (1 - math.pi / 4), abs=0.5)
    with pytest.raises(ValueError, match="degenerate"):
        rectangle(0, 0, 0, 5, L1)


def test_booleans_are_exact_on_the_grid() -> None:
    a = rectangle(0, 0, 10, 10, L1)
    b = rectangle(5, 5, 15, 15, L1)
    assert sum(p.area() for p in boolean(a, b, "or", L1)) == pytest.approx(175)
    assert sum(p.area() for p in boolean(a, b, "and", L1)) == pytest.approx(25)
    assert sum(p.area() for p in boolean(a, b, "not", L1)) == pytest.approx(75)
    assert sum(p.area() for p in boolean(a, b, "xor", L1)) == pytest.approx(150)
    assert len(merge([a, b], L1)) == 1
    grown = offset([a], 1.0, L1)
    assert grown[0].area() == pytest.approx(144)
    assert offset([a], -5.0, L1) == []  # shrinks to nothing: no slivers left


def _array_cell() -> gdstk.Cell:
    unit = gdstk.Cell("UNIT")
    unit.add(rectangle(0, 0, 2, 3, L1), rectangle(0, 0, 1, 1, L2))
    top = gdstk.Cell("TOP")
    top.add(gdstk.Reference(unit, columns=100, rows=50, spacing=(5, 5)))
    top.add(rectangle(-10, -10, -5, -5, L2))
    return top


def test_layer_stats_multiply_through_arrays() -> None:
    top = _array_cell()
    assert layer_stats(top, L1.spec).polygons == 5000
    assert layer_stats(top, L1.spec).area_um2 == pytest.approx(5000 * 6)
    flat = top.copy("FLAT").flatten()
    assert sum(p.area() for p in flat.polygons if p.layer == 2) == pytest.approx(
        layer_stats(top, L2.spec).area_um2
    )


def test_extract_layer_keeps_the_array_as_a_reference(tmp_path: Path) -> None:
    top = _array_cell()
    plate = extract_layer(top, L1.spec, "PLATE")
    assert uses_hierarchy(plate, L1.spec)
    assert len(plate.references) == 1 and plate.references[0].repetition.size == 5000
    path = tmp_path / "plate.gds"
    write_gds(plate, path)
    assert path.stat().st_size < 1000  # one unit cell and one AREF, not 5000 boundaries
    library = read_layout(path)
    assert sorted(c.name for c in library.cells) == ["PLATE", "UNIT"]
    assert {(p.layer, p.datatype) for c in library.cells for p in c.polygons} == {(1, 0)}


def test_corrupt_and_truncated_files_get_clear_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.gds"
    write_gds(_array_cell(), good)
    data = good.read_bytes()
    cases = {
        "truncated.gds": (data[: len(data) // 2], "truncated GDSII file"),
        "text.gds": (b"hello world, not a layout\n", "not a GDSII file"),
        "empty.gds": (b"", "not a GDSII file"),
        "zeros.gds": (data[:40] + b"\0" * 40 + data[80:], "corrupt GDSII file"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(GdsReadError, match=message):
            read_layout(path)
    with pytest.raises(GdsReadError, match="no such file"):
        read_layout(tmp_path / "missing.gds")
    with pytest.raises(GdsReadError, match="is a folder"):
        read_layout(tmp_path)


def test_truncated_oasis_is_refused_before_gdstk_reads_it(tmp_path: Path) -> None:
    """gdstk crashes (SIGSEGV) on some truncated OASIS files and silently reads a partial
    layout from others; the OASIS END record is the file's last 256 bytes."""
    good = tmp_path / "good.oas"
    write_oas(_array_cell(), good)
    data = good.read_bytes()
    assert data[-256] == 2  # END record id
    for cut in (20, len(data) // 2, len(data) - 1):
        path = tmp_path / f"cut{cut}.oas"
        path.write_bytes(data[:cut])
        with pytest.raises(GdsReadError, match="truncated OASIS file"):
            read_layout(path)
    (tmp_path / "text.oas").write_bytes(b"hello world, not a layout\n" * 20)
    with pytest.raises(GdsReadError, match="not an OASIS file"):
        read_layout(tmp_path / "text.oas")


FOREIGN = sorted(SHARED_GDS.rglob("*.gds")) + sorted(SHARED_GDS.rglob("*.oas"))


@pytest.mark.skipif(not FOREIGN, reason="../shared/gds is absent")
@pytest.mark.parametrize("path", FOREIGN, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_foreign_files_read(path: Path) -> None:
    library = read_layout(path)
    assert library.cells


def test_corrupt_oasis_is_an_error_not_a_crash(tmp_path: Path) -> None:
    """gdstk can segfault on a flipped byte inside an OASIS file; reading must survive it."""
    from mbfab.layout.gdsio import write_oas

    good = tmp_path / "good.oas"
    write_oas(_array_cell(), good)
    data = good.read_bytes()
    assert read_layout(good).cells
    # Flipping byte 27, 46 or 53 of this 352-byte file made gdstk 1.0.2 crash with SIGSEGV in
    # process; 14 and 20 make it fail or pass cleanly.
    assert len(data) == 352
    for position in (14, 20, 27, 46, 53):
        bad = tmp_path / f"flip{position}.oas"
        bad.write_bytes(data[:position] + bytes([data[position] ^ 0xFF]) + data[position + 1 :])
        try:
            read_layout(bad)
        except GdsReadError as exc:
            assert "OASIS" in str(exc)


def test_merge_of_a_polygon_spanning_more_than_int32_ends() -> None:
    """A vertex near -2^31 (a corrupt file's) makes a shape relative to it reach past
    KLayout's int32 "no more edges" sentinel; the scan lines still end, and agree with the
    same polygon placed within range."""
    from mbfab.layout.regions import merge_polygons, strange_parts

    far = np.array([[1380, -2147483563], [395, 85], [395, 885], [85, 885], [85, 85], [0, 85]])
    relative = far - far[0]  # the y of the others is beyond 2^31 - 1
    assert relative[:, 1].max() > 2**31 - 1
    merged = merge_polygons([[relative]])
    assert len(merged) == 1
    shifted = merge_polygons([[relative - np.array([0, 2**30])]])
    assert (shifted[0][0] + np.array([0, 2**30])).tolist() == merged[0][0].tolist()
    strange_parts([relative])
