"""Lattices as bands: large 2D arrays plus ragged ends, exactly the kept sites, and a rule
check that takes the arrays as arrays and still finds what KLayout finds flat."""

from __future__ import annotations

from pathlib import Path

import gdstk
import numpy as np
import pytest
from test_rules_arrays import _klayout, _ours

from mbfab.layout import Layer, bands, write_gds
from mbfab.layout.arrays import (
    Region,
    circle_region,
    feature_array,
    feature_outline,
    lattice_sites,
    polygon_region,
    rectangle_region,
)
from mbfab.layout.bands import Block, lattice_blocks
from mbfab.layout.placements import layer_placements
from mbfab.rules.tiling import tile_layer

from geometry_helpers import same_pairs

LAYER = Layer(1, 0, "features")

REGIONS: dict[str, Region] = {
    "disc": circle_region((0, 0), 400),
    # A concave polygon (an L with a notch): rows with two runs and rows with one.
    "polygon": polygon_region(
        [(0, 0), (700, 0), (700, 200), (300, 200), (300, 260), (250, 260), (250, 600), (0, 600)]
    ),
    # Comb fingers of an interdigital design: several rectangles.
    "fingers": [rectangle_region(120 * k, 0, 120 * k + 80, 900)[0] for k in range(4)],
}


def _placed(refs: list[gdstk.Reference]) -> np.ndarray:
    """Every placement of the references, expanded by gdstk (um, rounded to 1 nm)."""
    spots = []
    for ref in refs:
        origin = np.asarray(ref.origin)
        reps = ref.repetition
        offsets = np.asarray(reps.get_offsets()) if reps.size else np.zeros((1, 2))
        spots.append(origin + offsets)
    return np.round(np.concatenate(spots) * 1000).astype(np.int64)


@pytest.mark.parametrize("lattice", ["square", "hex"])
@pytest.mark.parametrize("name", sorted(REGIONS))
def test_references_place_exactly_the_kept_sites_once(name: str, lattice: str) -> None:
    region = REGIONS[name]
    feature = feature_outline("circle", 5)
    array = feature_array("U", feature, LAYER, region, lattice, 10, clearance=2)  # type: ignore[arg-type]
    expected = np.round(lattice_sites(region, feature, lattice, 10, 2) * 1000).astype(np.int64)  # type: ignore[arg-type]
    placed = _placed(array.references)
    assert len(placed) == len(expected) == array.count > 1000
    assert len({tuple(p) for p in placed.tolist()}) == len(placed)  # no site twice
    assert {tuple(p) for p in placed.tolist()} == {tuple(p) for p in expected.tolist()}


def test_a_disc_becomes_a_few_large_2d_arrays() -> None:
    """Before: one single-row reference per row run (rows of a disc differ in length)."""
    array = feature_array(
        "U", feature_outline("circle", 5), LAYER, circle_region((0, 0), 3000), "hex", 10
    )
    arrays = [(r.repetition, r.origin) for r in array.references if r.repetition.size]
    big = [rep for rep, _ in arrays if rep.rows >= 8 and rep.columns >= 8]
    assert sum(r.size for r in big) > 0.5 * array.count  # most pillars in large 2D arrays
    # The largest has a twin of the same size on the other row parity, half a pitch
    # across and a row up: the rule check takes the two as one unit of two pillars.
    (first, a), (second, b) = sorted(arrays, key=lambda ra: -ra[0].size)[:2]
    assert (first.columns, first.rows) == (second.columns, second.rows)
    shift = np.abs(np.subtract(b, a))
    assert np.allclose(shift, (5.0, 8.66), atol=1e-3)


def test_ragged_end_is_left_over_beside_the_common_columns() -> None:
    """A 40 x 20 block with one more column on its lower 10 rows: the shared 40 columns
    make one 40 x 20 array, the extra column one 1 x 10 array (cost: 2 blocks and 10 sites
    outside a core, against 2 one-per-row-group blocks with every site outside a core)."""
    idx = [(c, r) for r in range(20) for c in range(40)] + [(40, r) for r in range(10)]
    assert lattice_blocks(np.array(idx), 1) == [Block(0, 0, 40, 20), Block(0, 40, 1, 10)]


def test_hex_rows_pair_up_into_even_and_odd_bands() -> None:
    """Even rows 0..30 hold columns 0..29, odd rows 1..31 columns 0..28, plus a ragged
    end (column 30) on rows 0..14: per parity a 29 x 16 core (the columns every row of the
    band shares), and the leftovers grouped as identical row runs: columns 29..30 on even
    rows 0..14 (2 x 8) and column 29 on even rows 16..30 (1 x 8)."""
    idx = [(c, r) for r in range(0, 32, 2) for c in range(30)]
    idx += [(c, r) for r in range(1, 32, 2) for c in range(29)]
    idx += [(30, r) for r in range(0, 15, 2)]
    assert lattice_blocks(np.array(idx), 2) == [
        Block(0, 0, 29, 16),
        Block(0, 29, 2, 8),
        Block(1, 0, 29, 16),
        Block(16, 29, 1, 8),
    ]


def test_output_is_byte_identical(tmp_path: Path) -> None:
    paths = []
    for k in range(2):
        array = feature_array(
            "U", feature_outline("circle", 5), LAYER, circle_region((0, 0), 600), "hex", 10
        )
        top = gdstk.Cell("TOP")
        top.add(*array.references)
        paths.append(tmp_path / f"{k}.gds")
        write_gds(top, paths[-1])
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_bands_are_checked_as_arrays_and_agree_with_klayout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2 um pillars (16-gons) at 2.6 um hex pitch in a disc: the rule check compacts the
    band's arrays and finds the same width and space edge pairs as KLayout in flat mode.
    A disc this small (KLayout checks it flat in a moment) is worth bands only when a block
    costs little, hence the lower weight."""
    monkeypatch.setattr(bands, "SITES_PER_BLOCK", 32)
    feature = feature_outline("circle", 2.0, vertices=16)
    array = feature_array("U", feature, Layer(1, 0, "a"), circle_region((0, 0), 80), "hex", 2.6)
    top = gdstk.Cell("TOP")
    top.add(*array.references)
    path = tmp_path / "disc.gds"
    write_gds(top, path)
    lib = gdstk.read_gds(str(path))
    placed = layer_placements(lib.top_level()[0], (1, 0), keep_arrays=True)
    tiled = tile_layer(placed, 900.0)
    assert tiled is not None
    assert int(tiled.weight.sum()) == array.count > 3000
    assert int(tiled.weight.max()) > 100  # a class representative stands for a band
    assert len(tiled.shapes) < array.count
    # Facets 0.6 um apart face each other across the gap: space 0.62 flags every pair.
    for kind, value in (("width", 1.0), ("space", 0.62)):
        ours = _ours(path, kind, value)
        theirs = _klayout(path, kind, value, deep=False)
        assert ours[0] == theirs[0], kind
        assert same_pairs(ours[1], theirs[1]), kind
    assert ours[0] > 1000
