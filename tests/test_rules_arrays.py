"""Arrays checked once (a few representative sites) give the flattened check's violations.

Each layout is checked three ways: by us on the hierarchical file (arrays compacted), by
KLayout in flat mode and in deep (hierarchical) mode on the same file; every edge pair
(both edges' end points, in dbu) must agree, not only the counts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import gdstk
import pytest

from mbfab.layout.placements import layer_placements
from mbfab.rules import LayerRef, LayoutData, Rule, run_rule
from mbfab.rules.tiling import tile_layer

from geometry_helpers import Pair
from geometry_helpers import same_pairs as _same_pairs

db = pytest.importorskip("klayout.db")

A = LayerRef("a", 1, 0)


def _ours(path: Path, kind: str, value: float) -> tuple[int, list[Pair]]:
    finding = run_rule(LayoutData(path=path), Rule("T.1", kind, (A,), value, ""), 10**6)
    pairs = []
    for marker in finding.markers:
        p = [tuple(round(c * 1000) for c in xy) for xy in marker.points]
        pairs.append(((*p[0], *p[1]), (*p[2], *p[3])))
    return finding.count, sorted(tuple(sorted(p)) for p in pairs)  # type: ignore[misc]


def _klayout(path: Path, kind: str, value: float, deep: bool) -> tuple[int, list[Pair]]:
    layout = db.Layout()
    layout.read(str(path))
    it = layout.top_cell().begin_shapes_rec(layout.layer(1, 0))
    store = db.DeepShapeStore()  # must outlive the region
    region = db.Region(it, store) if deep else db.Region(it)
    d = round(value * 1000)
    result = region.width_check(d) if kind == "width" else region.space_check(d)
    pairs = [
        (
            (e.first.p1.x, e.first.p1.y, e.first.p2.x, e.first.p2.y),
            (e.second.p1.x, e.second.p1.y, e.second.p2.x, e.second.p2.y),
        )
        for e in result.each()
    ]
    return int(result.count()), sorted(tuple(sorted(p)) for p in pairs)  # type: ignore[misc]


def _pillar_cell(lib: gdstk.Library, radius: float = 1.0) -> gdstk.Cell:
    cell = lib.new_cell(f"PILLAR_{radius}")
    cell.add(gdstk.ellipse((0, 0), radius, tolerance=0.01, layer=1))
    return cell


def _tight(lib: gdstk.Library, top: gdstk.Cell) -> None:
    """20 x 20 pillars 0.6 um apart: every neighbour pair violates space 0.9."""
    top.add(gdstk.Reference(_pillar_cell(lib), (0, 0), columns=20, rows=20, spacing=(2.6, 2.6)))


def _thin(lib: gdstk.Library, top: gdstk.Cell) -> None:
    """Narrow pillars (width 0.8 < 1.0) on a loose lattice, plus a stray wide one."""
    top.add(gdstk.Reference(_pillar_cell(lib, 0.4), (0, 0), columns=18, rows=16, spacing=(3, 3)))
    top.add(gdstk.ellipse((100, 0), 1.0, tolerance=0.01, layer=1))


def _neighbours(lib: gdstk.Library, top: gdstk.Cell) -> None:
    """An array with shapes beside it, inside it, touching one pillar and shielding others."""
    top.add(gdstk.Reference(_pillar_cell(lib), (0, 0), columns=20, rows=20, spacing=(3, 3)))
    top.add(gdstk.ellipse((31.5, 30.0), 0.2, tolerance=0.01, layer=1))  # 0.3 from two pillars
    top.add(gdstk.rectangle((-3.5, -1), (-1.5, 40), layer=1))  # along the left edge, 0.5 away
    top.add(gdstk.rectangle((57, 30), (62, 31), layer=1))  # touches the pillar at (57, 30)
    top.add(gdstk.rectangle((10, 57.5), (30, 57.7), layer=1))  # a bar between two rows


def _hexagonal(lib: gdstk.Library, top: gdstk.Cell) -> None:
    """An oblique (hexagonal) lattice, 0.5 um gaps (written by KLayout below: gdstk writes
    oblique arrays reference by reference)."""
    top.add(gdstk.rectangle((-10, -10), (-9, -9), layer=1))


def _hexagonal_aref(path: Path) -> None:
    layout = db.Layout()
    layout.read(str(path))
    top = layout.cell("TOP")
    pillar = layout.create_cell("PILLAR")
    circle = db.DPolygon.ellipse(db.DBox(-1, -1, 1, 1), 64)
    pillar.shapes(layout.layer(1, 0)).insert(circle)
    a, b = db.DVector(2.5, 0), db.DVector(1.25, 2.165)
    top.insert(db.DCellInstArray(pillar.cell_index(), db.DTrans(5, 5), a, b, 17, 16))
    layout.write(str(path))


def _two_members(lib: gdstk.Library, top: gdstk.Cell) -> None:
    """A cell of two polygons (a notched L and a square) arrayed, plus a polygon repetition."""
    cell = lib.new_cell("UNIT")
    cell.add(gdstk.Polygon([(0, 0), (3, 0), (3, 0.8), (0.6, 0.8), (0.6, 3), (0, 3)], layer=1))
    cell.add(gdstk.rectangle((1.2, 1.2), (2.4, 2.4), layer=1))  # 0.4 from the L's arms
    top.add(gdstk.Reference(cell, (0, 0), columns=16, rows=17, spacing=(3.5, 3.5)))
    square = gdstk.rectangle((0, -10), (0.7, -9.3), layer=1)
    square.repetition = gdstk.Repetition(columns=20, rows=15, spacing=(1.5, -1.1))
    top.add(square)


def _row_runs(lib: gdstk.Library, top: gdstk.Cell) -> None:
    """A hex lattice drawn as one single-row array per row (as a lattice clipped to a ragged
    region ends in row runs): single-row arrays are never compacted, and every row lies next
    to two others; the plain check must give KLayout's result."""
    pillar = _pillar_cell(lib)
    pitch = 2.6
    for r in range(8):
        x0, columns = (pitch / 2, 60) if r % 2 else (0.0, 61)
        top.add(
            gdstk.Reference(
                pillar, (x0, r * pitch * 0.866), columns=columns, rows=1, spacing=(pitch, 0)
            )
        )


def _interleaved(lib: gdstk.Library, top: gdstk.Cell) -> None:
    """Two 30 x 30 arrays on different lattices (y pitch 2.6 and 2.65 um) interleaved: every
    site of each lies next to the other array, so compacting either saves nothing and both
    are checked plainly."""
    pillar = _pillar_cell(lib, 0.5)
    top.add(gdstk.Reference(pillar, (0, 0), columns=30, rows=30, spacing=(2.6, 2.6)))
    top.add(gdstk.Reference(pillar, (1.3, 1.3), columns=30, rows=30, spacing=(2.6, 2.65)))


LAYOUTS: dict[str, tuple[Callable[[gdstk.Library, gdstk.Cell], None], float, float]] = {
    "tight": (_tight, 1.0, 0.9),
    "thin": (_thin, 1.0, 0.9),
    "neighbours": (_neighbours, 1.0, 0.9),
    "hexagonal": (_hexagonal, 1.0, 0.6),
    "two_members": (_two_members, 0.7, 0.5),
    "row_runs": (_row_runs, 1.0, 0.9),
    "interleaved": (_interleaved, 0.5, 0.9),
}


def _write(tmp_path: Path, name: str) -> Path:
    lib = gdstk.Library(unit=1e-6, precision=1e-9)
    top = lib.new_cell("TOP")
    LAYOUTS[name][0](lib, top)
    path = tmp_path / f"{name}.gds"
    lib.write_gds(str(path))
    if name == "hexagonal":
        _hexagonal_aref(path)
    return path


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_arrays_checked_once_agree_with_klayout_flat_and_deep(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name)
    _, width, space = LAYOUTS[name]
    found = 0
    for kind, value in (("width", width), ("space", space)):
        ours = _ours(path, kind, value)
        found += ours[0]
        for deep in (False, True):
            theirs = _klayout(path, kind, value, deep=deep)
            assert ours[0] == theirs[0], (kind, deep)
            assert _same_pairs(ours[1], theirs[1]), (kind, deep)
    assert found > 0  # every layout has violations to find


@pytest.mark.parametrize("name", sorted(set(LAYOUTS) - {"row_runs", "interleaved"}))
def test_arrays_are_really_compacted(tmp_path: Path, name: str) -> None:
    """The shortcut is taken: far fewer explicit instances than placements."""
    lib = gdstk.read_gds(str(_write(tmp_path, name)))
    placed = layer_placements(lib.top_level()[0], (1, 0), keep_arrays=True)
    total = sum(len(p.offsets) + sum(len(lat) for lat in p.lattices) for p in placed)
    tiled = tile_layer(placed, 900.0)
    assert tiled is not None
    layout = db.Layout()
    layout.read(str(tmp_path / f"{name}.gds"))
    merged = db.Region(layout.top_cell().begin_shapes_rec(layout.layer(1, 0))).merged()
    assert int(tiled.weight.sum()) == merged.count()  # every merged polygon counted once
    assert len(tiled.shapes) < total


def test_large_array_in_constant_time(tmp_path: Path) -> None:
    """10^6 placements with a tight pitch: every site violates; counted without expanding
    (the time is measured in bench/bench_drc.py, not here)."""
    lib = gdstk.Library(unit=1e-6, precision=1e-9)
    top = lib.new_cell("TOP")
    top.add(gdstk.Reference(_pillar_cell(lib), (0, 0), columns=1000, rows=1000, spacing=(2.6, 2.6)))
    path = tmp_path / "big.gds"
    lib.write_gds(str(path))
    finding = run_rule(LayoutData(path=path), Rule("T.S", "space", (A,), 0.9, ""), 100)
    # KLayout on n x n arrays, n = 20, 21, 22: the count is a quadratic in n (interior,
    # edge and corner sites), so three sizes fix it; extrapolate to n = 1000.
    counts = []
    for n in (20, 21, 22):
        small_lib = gdstk.Library(unit=1e-6, precision=1e-9)
        small_top = small_lib.new_cell("TOP")
        pillar = _pillar_cell(small_lib)
        small_top.add(gdstk.Reference(pillar, (0, 0), columns=n, rows=n, spacing=(2.6, 2.6)))
        small_lib.write_gds(str(tmp_path / f"n{n}.gds"))
        counts.append(_klayout(tmp_path / f"n{n}.gds", "space", 0.9, deep=False)[0])
    second = counts[2] - 2 * counts[1] + counts[0]  # 2a
    first = counts[1] - counts[0] - second * (2 * 20 + 1) // 2  # b
    const = counts[0] - second * 20 * 20 // 2 - first * 20
    assert finding.count == second * 1000 * 1000 // 2 + first * 1000 + const
    assert len(finding.markers) == 100
