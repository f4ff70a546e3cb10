"""Marks, labels, seal ring, wafer map and sweeps; every example recipe compiles."""

from __future__ import annotations

import math
from pathlib import Path

import klayout.db as kdb
import pytest
import shapely

from mbfab.compile import compile_recipe
from mbfab.errors import RecipeError
from mbfab.layout import Layer
from mbfab.layout.marks import (
    alignment_group,
    cross_in_box,
    mark_sizes,
    resolution_bars,
    text,
    vernier,
)
from mbfab.recipe.layout_spec import WaferSpec, alignment_pairs
from mbfab.recipe.loader import load_recipe

ROOT = Path(__file__).resolve().parents[1]
RECIPES = sorted((ROOT / "recipes").glob("*.yaml"))
REF, ALIGN = Layer(1, 0, "ref"), Layer(2, 0, "align")


def union(polys: list, layer: Layer) -> shapely.Geometry:  # type: ignore[type-arg]
    return shapely.unary_union([shapely.Polygon(p.points) for p in polys if p.layer == layer.layer])


def test_cross_in_box_clearance_follows_the_overlay() -> None:
    sizes = mark_sizes(1.5)  # arm max(2, 3) = 3, cross 30, clearance 3, frame 3
    polys = cross_in_box((100, 50), sizes, REF, ALIGN)
    cross, box = union(polys, REF), union(polys, ALIGN)
    assert cross.bounds == (85, 35, 115, 65)
    assert box.bounds == (79, 29, 121, 71)
    assert math.isclose(cross.distance(box), 2 * 1.5)
    assert cross.centroid.equals(shapely.Point(100, 50))


def test_window_style_opens_the_aligning_layer_over_the_reference_marks() -> None:
    """Dark-field style: the aligning layer is a filled square of the box's outer size (the
    cross lies wholly inside it), and a window over the vernier's reference scale that meets
    its own bars, so the reference bars lie wholly inside the aligning layer."""
    sizes = mark_sizes(1.5)
    polys = cross_in_box((100, 50), sizes, REF, ALIGN, style="window")
    cross, window = union(polys, REF), union(polys, ALIGN)
    assert window.bounds == (79, 29, 121, 71) and window.area == 42 * 42
    assert window.contains(cross)
    polys = vernier((0, 0), sizes, REF, ALIGN, count=5, style="window")
    ref, aligning = union(polys, REF), union(polys, ALIGN)
    assert aligning.contains(ref)
    assert len([p for p in polys if p.layer == ALIGN.layer]) == 1  # bars and window: one piece
    frame_style = union(vernier((0, 0), sizes, REF, ALIGN, count=5), ALIGN)
    assert aligning.contains(frame_style)  # the aligning bars are kept


def test_alignment_group_records_each_mark_where_it_is_drawn() -> None:
    shapes, width, placed = alignment_group((0, 0), mark_sizes(1.0), REF, ALIGN, "window")
    assert [m.kind for m in placed] == [
        "coarse cross-in-box",
        "fine cross-in-box",
        "vernier x",
        "vernier y",
    ]
    ref = union(shapes, REF)
    for mark in placed:
        (x0, y0), (x1, y1) = mark.target
        assert ref.intersection(shapely.box(x0, y0, x1, y1)).area > 0
        assert (mark.reference, mark.aligning, mark.style) == ("ref", "align", "window")
    assert max(m.extent[1][0] for m in placed) == pytest.approx(width)


def test_vernier_bar_k_lines_up_at_k_steps() -> None:
    sizes = mark_sizes(1.0)  # bars 1 um at 4 um; vernier 4.5 um: step 0.5 um
    polys = vernier((0, 0), sizes, REF, ALIGN, count=5)
    ref = sorted(p.bounding_box()[0][0] for p in polys if p.layer == 1)
    ali = sorted(p.bounding_box()[0][0] for p in polys if p.layer == 2)
    assert len(ref) == len(ali) == 11
    offsets = [round(a - r, 6) for a, r in zip(ali, ref, strict=True)]
    assert offsets == [0.5 * k for k in range(-5, 6)]


def test_text_and_resolution_bars() -> None:
    assert len(text("REV A", (0, 0), 20, REF)) >= 4
    bars, width = resolution_bars((0, 0), [1.0, 2.0], REF, lines=5)
    assert len([b for b in bars if b.area() in (1 * 20, 2 * 20)]) == 10
    assert width > 0


def test_alignment_pairs_default_to_the_first_layer() -> None:
    pairs = alignment_pairs(["a", "b", "c", "d"], [None, None, "b", None])
    assert pairs == [("b", "a"), ("c", "b"), ("d", "a")]


def test_align_to_a_later_layer_is_refused(tmp_path: Path) -> None:
    text_ = (ROOT / "recipes" / "stacked_lco_li.yaml").read_text()
    bad = text_.replace("align_to: electrolyte", "align_to: anode_cc")
    path = tmp_path / "bad.yaml"
    path.write_text(bad)
    with pytest.raises(RecipeError, match="not patterned before it"):
        load_recipe(path)


def test_wafer_sites_hand_count() -> None:
    # 100 mm wafer, no flat, no exclusion, 10 mm dies, no street: dies span 10i +- 5.
    # Row j needs (10|i| + 5)^2 + (10|j| + 5)^2 <= 50^2: |j| = 0, 1 -> |i| <= 4 (9 dies);
    # |j| = 2, 3 -> |i| <= 3 (7); |j| = 4 -> |i| <= 1 (3): 9 + 2 (9 + 7 + 7 + 3) = 61.
    from mbfab.designs.finish import wafer_sites

    spec = WaferSpec(diameter=100_000, flat=0, edge_exclusion=0, street=0)
    assert len(wafer_sites(spec, (10_000, 10_000))) == 9 + 2 * (9 + 7 + 7 + 3) == 61

    # A 32.5 mm flat sits at y = -sqrt(50^2 - 16.25^2) = -47.3 mm, below the lowest row
    # (-45 .. -35 mm): nothing lost. A 60 mm flat sits at -sqrt(50^2 - 30^2) = -40 mm: the
    # bottom row loses its 3 dies. A 1 mm edge exclusion on top of that also trims the
    # |j| = 3 rows to (10|i| + 5)^2 <= 49^2 - 35^2 -> |i| <= 2: 2 x 2 dies fewer.
    def count(flat: float, exclusion: float) -> int:
        spec = WaferSpec(diameter=100_000, flat=flat, edge_exclusion=exclusion, street=0)
        return len(wafer_sites(spec, (10_000, 10_000)))

    assert count(32_500, 0) == 61
    assert count(60_000, 0) == 58
    assert count(60_000, 1_000) == 54


def test_sweep_variants_are_cells_of_their_own(tmp_path: Path) -> None:
    result = compile_recipe(ROOT / "recipes" / "cmems_posts.yaml", tmp_path)
    cf = result.report["device"]["closed_form"]
    assert cf["variant_count"] == 3
    layout = kdb.Layout()
    layout.read(str(result.output_dir / "cmems_posts.gds"))
    names = {layout.cell(i).name for i in range(layout.cells())}
    assert {"DIE_V0", "DIE_V1", "DIE_V2"} <= names
    # Hierarchy kept: the wafer top holds references only, no polygons of its own.
    top = layout.top_cell()
    assert all(top.shapes(li).is_empty() for li in layout.layer_indexes())
    dies = sum(inst.size() for inst in top.each_inst())
    assert dies == cf["die_count"]
    # Each variant's posts (20 um round posts: area pi 10^2 = 314 um2 less the facets, which
    # tells them from the marks and labels on the same layer): pitch 40 / 50 / 70 um -> fewer
    # posts as the pitch grows.
    posts_layer = layout.find_layer(2, 0)

    def posts(k: int) -> int:
        shapes = layout.cell(f"DIE_V{k}").begin_shapes_rec(posts_layer).each()
        return sum(1 for s in shapes if 300 < s.shape().polygon.area() * layout.dbu**2 < 315)

    counts = [posts(k) for k in range(3)]
    assert counts[0] > counts[1] > counts[2] > 0, counts
    assert result.report["device"]["info"]["variants"] == ["pitch=40um", "pitch=50um", "pitch=70um"]


def test_seal_ring_and_package_area(tmp_path: Path) -> None:
    result = compile_recipe(ROOT / "recipes" / "stacked_lco_li.yaml", tmp_path)
    cf = result.device.closed_form
    (x0, y0), (x1, y1) = result.device.footprint
    ring = 2 * (200 + 800)  # gap + width on both sides, um
    assert math.isclose(cf["package_area_um2"], (x1 - x0 + ring) * (y1 - y0 + ring))
