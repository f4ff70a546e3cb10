"""Each way the checker once disagreed with KLayout (issue 11), as a layout small enough to
draw by hand, checked by mbfab and by ``klayout.db`` with identical rules (through
:mod:`differential`): the edge pairs must agree to the database unit, the outside parts of
enclosure polygon for polygon, and the VALID rule with ``strange_polygon_check``.

Every case here gave a different answer (or a crash) before KLayout's merge, placement
rounding and edge relations moved into the layout core.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mbfab.cli import main

from differential import (
    Layout,
    Ref,
    _bow_tie,
    _box,
    _double_loop,
    _keyhole,
    _sliver,
    _star,
    differences,
    write_gds,
)

CASES: dict[str, Layout] = {
    # 1. A rectangle placed at 270 degrees and 0.5x lands on half database units; KLayout
    # rounds each transformed vertex (halves away from zero), not the placed rectangle.
    "magnified_rotated_reference": Layout(
        shapes=((1, _box(0, 0, 30, 30)),),
        cells=((((1, _box(1, 1, 201, 101)), (1, _box(1, 151, 201, 51))), ()),),
        refs=(
            Ref(0, (-501, -301), 270.0, False, 0.5),
            Ref(0, (333, -77), 270.0, True, 0.5),
            Ref(0, (1001, 1001), 90.0, False, 0.75),
        ),
        distance=50,
        kinds=("width", "space"),
    ),
    # 2. An outline that goes round twice: KLayout fills the doubly covered band (non-zero
    # winding), even-odd would punch a hole into it.
    "self_overlapping_outline": Layout(
        shapes=((1, _double_loop(0, 0, 1000, 800, 200)), (1, _box(1100, 0, 300, 300))),
        distance=300,
        kinds=("width", "space"),
    ),
    # 3. Two boxes that touch at one corner are one polygon to KLayout, with two zero-width
    # pairs at the kiss.
    "corner_touching_shapes": Layout(
        shapes=((1, _box(0, 0, 500, 500)), (1, _box(500, 500, 500, 500))),
        distance=100,
        kinds=("width", "space"),
    ),
    # 4. Layers that share a vertex are at distance zero: KLayout reports the contact in
    # separation (and the inner layer's vertex on the outer's boundary in enclosure).
    "shared_vertex_separation": Layout(
        shapes=((1, _box(0, 0, 500, 500)), (2, ((500, 500), (800, 600), (600, 800)))),
        distance=100,
        kinds=("separation", "enclosure"),
    ),
    "shared_vertex_and_edge": Layout(
        shapes=((1, _box(0, 0, 500, 500)), (2, ((500, 500), (800, 400), (900, 700)))),
        distance=100,
        kinds=("separation", "enclosure"),
    ),
    "inner_vertex_on_the_boundary": Layout(
        shapes=(
            (1, _box(0, 0, 1000, 1000)),
            (2, ((0, 0), (300, 100), (100, 300))),
            (2, ((500, 0), (600, 300), (400, 300))),
        ),
        distance=100,
        kinds=("enclosure",),
    ),
    # 5. Merge points of slanted edges rounded to KLayout's grid point, and a sliver of no
    # area that still splits the edges it crosses while merging.
    "slanted_merge_points": Layout(
        shapes=(
            (1, ((0, 0), (997, 331), (1000, 400), (0, 67))),
            (1, ((0, 301), (1003, 0), (1000, 77), (0, 377))),
            (2, _box(0, 0, 1000, 400)),
        ),
        distance=120,
        kinds=("width", "space", "enclosure"),
        metrics=("euclidian",),
    ),
    "sliver_crossing_a_triangle": Layout(
        shapes=((1, _sliver(0, 0, 50, 0)), (1, ((50, 1), (-25, 44), (-25, -42)))),
        distance=50,
        kinds=("width", "space"),
    ),
    # KLayout drops a vertex less than half a unit off the line of its neighbours.
    "nearly_collinear_vertices": Layout(
        shapes=(
            (1, ((0, 0), (1001, 1), (2001, 1), (2000, 300), (0, 300))),
            (1, ((0, 350), (2000, 350), (2000, 600), (0, 600))),
        ),
        distance=100,
        kinds=("width", "space"),
    ),
    # 6. The square metric at its extreme reach: a sliver of a parallelogram on both layers,
    # where pieces of one unit KLayout does not report used to appear.
    "square_metric_reach": Layout(
        shapes=(
            (1, ((0, 0), (50, 0), (51, 1), (1, 1))),
            (2, ((0, 0), (50, 0), (51, 1), (1, 1))),
        ),
        distance=50,
        kinds=("separation", "enclosure"),
        metrics=("square",),
    ),
    "square_metric_slanted_edges": Layout(
        shapes=(
            (1, _star(0, 0, [300, 120, 340, 150, 280], 0.4)),
            (2, _star(520, 130, [260, 300, 110, 330], 0.0)),
            (1, ((900, 0), (1300, 100), (1200, 380))),
        ),
        distance=300,
        kinds=("space", "separation", "enclosure"),
        metrics=("square",),
    ),
    # 7. Enclosure with self-crossing outlines on both layers (shapely's difference raised
    # a TopologyException here).
    "self_crossing_enclosure": Layout(
        shapes=(
            (1, _bow_tie(0, 0, 1000, 1000)),
            (2, _double_loop(200, 100, 900, 700, 300)),
            (2, _bow_tie(100, 100, 500, 800)),
        ),
        distance=100,
        kinds=("enclosure",),
    ),
    # VALID: KLayout's strange_polygon_check -- self-overlapping loops and bow ties are
    # strange, keyholes and outlines touching themselves at a point are not.
    "valid_as_strange_polygon_check": Layout(
        shapes=(
            (1, _double_loop(0, 0, 1000, 800, 200)),
            (1, _bow_tie(2000, 0, 500, 700)),
            (1, _keyhole(0, 2000, 800, 800, 100, 100, 300, 300)),
            (1, _star(3000, 3000, [500, 100, 600, 200, 700], 0.0)),
            (1, ((0, 0), (100, 0), (100, 100), (0, 100), (0, 0), (50, 50))),
        ),
        cells=((((1, _bow_tie(0, 0, 301, 501)),), ()),),
        refs=(Ref(0, (5000, 5000), 90.0, True, 0.5, 2, 1, (1000, 1000)),),
        kinds=("valid",),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_agrees_with_klayout(name: str, tmp_path: Path) -> None:
    assert differences(CASES[name], tmp_path / f"{name}.gds") == []


@pytest.mark.parametrize("name", ["self_crossing_enclosure", "sliver_crossing_a_triangle"])
def test_check_command_reports_instead_of_crashing(name: str, tmp_path: Path) -> None:
    """The command line on the same layouts: a report and exit 1 (violations), never the
    internal-error exit 3 or a traceback."""
    path = write_gds(CASES[name], tmp_path / f"{name}.gds")
    deck = tmp_path / "deck.yaml"
    deck.write_text(
        "mbfab-rules: 1\nunits: nm\nlayers: {a: [1, 0], b: [2, 0]}\nrules:\n"
        "  - {id: ENC.B.1, kind: enclosure, layers: [a, b], value: 100}\n"
        "  - {id: WIDTH.A.1, kind: width, layers: [a], value: 50}\n"
        "  - {id: SPACE.A.1, kind: space, layers: [a], value: 50}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", str(path), "--rules", str(deck)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
