"""Every geometric rule: a pass and a fail fixture, each checked by KLayout as well.

KLayout (``klayout.db``) is the independent reference: same GDS, its own merged region,
its own width/space/separation/enclosing checks with default options.
"""

from __future__ import annotations

from pathlib import Path

import gdstk
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mbfab.rules import LayerRef, LayoutData, Rule, run_rule

db = pytest.importorskip("klayout.db")

A = LayerRef("a", 1, 0)
B = LayerRef("b", 2, 0)


def _write(path: Path, shapes: list[tuple[int, list[tuple[float, float]]]]) -> Path:
    lib = gdstk.Library(unit=1e-6, precision=1e-9)
    cell = lib.new_cell("TOP")
    for layer, points in shapes:
        cell.add(gdstk.Polygon(points, layer=layer))
    lib.write_gds(str(path))
    return path


def _box(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def _klayout(path: Path) -> tuple[object, object]:
    layout = db.Layout()
    layout.read(str(path))
    top = layout.top_cell()
    a = db.Region(top.begin_shapes_rec(layout.layer(1, 0))).merged()
    b = db.Region(top.begin_shapes_rec(layout.layer(2, 0))).merged()
    return a, b


def _klayout_count(kind: str, path: Path, value_um: float) -> int:
    a, b = _klayout(path)
    d = round(value_um * 1000)
    if kind == "width":
        return int(a.width_check(d).count())
    if kind == "space":
        return int(a.space_check(d).count())
    if kind == "separation":
        return int(a.separation_check(b, d).count())
    if kind == "enclosure":  # a encloses b; parts of b outside a count too
        return int(a.enclosing_check(b, d).count() + (b - a).count())
    if kind == "overlap":
        return int((a & b).count())
    if kind == "area":
        return int(a.with_area(None, round(value_um * 1e6), False).count())
    if kind == "hole":
        return int(a.holes().with_area(None, round(value_um * 1e6), False).count())
    raise AssertionError(kind)


# (kind, layers, value, passing shapes, failing shapes); lengths in um.
RING = [(1, _box(0, 0, 10, 10))]
FIXTURES = {
    "width": (1.0, [(1, _box(0, 0, 1.0, 5))], [(1, _box(0, 0, 0.9, 5))]),
    "space": (
        1.0,
        [(1, _box(0, 0, 2, 2)), (1, _box(3, 0, 5, 2))],
        [(1, _box(0, 0, 2, 2)), (1, _box(2.5, 0, 5, 2))],
    ),
    "separation": (
        2.0,
        [(1, _box(0, 0, 2, 2)), (2, _box(4, 0, 6, 2))],
        [(1, _box(0, 0, 2, 2)), (2, _box(3.5, 0, 6, 2))],
    ),
    "enclosure": (
        1.0,
        [(1, _box(0, 0, 10, 10)), (2, _box(1, 1, 9, 9))],
        [(1, _box(0, 0, 10, 10)), (2, _box(0.5, 1, 9, 9)), (2, _box(9.5, 4, 12, 5))],
    ),
    "overlap": (
        None,
        [(1, _box(0, 0, 2, 2)), (2, _box(2.5, 0, 4, 2))],
        [(1, _box(0, 0, 2, 2)), (2, _box(1.5, 0, 4, 2))],
    ),
    "area": (4.0, [(1, _box(0, 0, 2, 2))], [(1, _box(0, 0, 2, 1.9))]),
    "hole": (
        4.0,
        [(1, [(0, 0), (10, 0), (10, 10), (0, 10), (0, 3), (3, 3), (3, 6), (6, 6), (6, 3), (0, 3)])],
        [(1, [(0, 0), (10, 0), (10, 10), (0, 10), (0, 3), (3, 3), (3, 4), (4, 4), (4, 3), (0, 3)])],
    ),
}


@pytest.mark.parametrize("kind", sorted(FIXTURES))
@pytest.mark.parametrize("case", ["pass", "fail"])
def test_rule_fixture_agrees_with_klayout(tmp_path: Path, kind: str, case: str) -> None:
    value, good, bad = FIXTURES[kind]
    path = _write(tmp_path / f"{kind}_{case}.gds", good if case == "pass" else bad)
    layers = (A, B) if kind in ("separation", "enclosure", "overlap") else (A,)
    finding = run_rule(LayoutData(path=path), Rule(f"T.{kind.upper()}.1", kind, layers, value, ""))
    expected = _klayout_count(kind, path, value or 0.0)
    assert finding.count == expected
    assert (finding.count == 0) == (case == "pass")


def test_acute_angle_grid_vertices_and_validity(tmp_path: Path) -> None:
    # Hand-derived: a 10 x 1 um right triangle has angles 90, 84.29 and 5.71 degrees.
    path = _write(
        tmp_path / "misc.gds",
        [
            (1, [(0, 0), (10, 0), (0, 1)]),
            (1, _box(20, 0, 21, 1)),
            (2, [(0, 0), (4, 4), (4, 0), (0, 4)]),  # bow tie: self-intersecting
            (2, _box(10.0005, 0, 11, 1)),  # 0.5 nm... stored on 1 nm grid -> 10.001 or 10
        ],
    )
    data = LayoutData(path=path)
    angle = run_rule(data, Rule("T.ANGLE.1", "angle", (A,), 90.0, ""))
    assert angle.count == 2 and angle.worst == pytest.approx(5.711, abs=1e-3)
    assert run_rule(data, Rule("T.ANGLE.2", "angle", (A,), 5.0, "")).count == 0
    valid = run_rule(data, Rule("T.VALID.1", "valid", (B,), None, ""))
    assert valid.count == 1
    assert run_rule(data, Rule("T.VALID.2", "valid", (A,), None, "")).count == 0
    assert run_rule(data, Rule("T.VERT.1", "vertices", (A,), 3.0, "")).count == 1
    assert run_rule(data, Rule("T.VERT.2", "vertices", (A,), 4.0, "")).count == 0
    # The triangle and box sit on a 1 um grid; a 10 nm grid is met, a 3 um grid is not.
    assert run_rule(data, Rule("T.GRID.1", "grid", (A,), 0.01, "")).count == 0
    assert run_rule(data, Rule("T.GRID.2", "grid", (A,), 3.0, "")).count == 2


def test_faceted_circles_give_no_false_width_or_space(tmp_path: Path) -> None:
    lib = gdstk.Library(unit=1e-6, precision=1e-9)
    cell = lib.new_cell("TOP")
    for x in range(4):
        cell.add(gdstk.ellipse((x * 10.0, 0), 2.5, tolerance=0.001, layer=1))
    lib.write_gds(str(tmp_path / "c.gds"))
    data = LayoutData(path=tmp_path / "c.gds")
    a, _ = _klayout(tmp_path / "c.gds")
    # Facets whose directions differ by less than 90 deg are never paired, so a 5 um pillar
    # passes any width up to the chord of a quarter turn, D sin 45 = 3.53 um (KLayout's
    # Euclidian semantics: above that, chords between facets 90-180 deg apart are measured).
    assert run_rule(data, Rule("T.W.1", "width", (A,), 3.5, "")).count == 0
    assert a.width_check(3500).count() == 0
    # 5 um gaps at 10 um pitch: clean at 4.9 um space.
    assert run_rule(data, Rule("T.S.1", "space", (A,), 4.9, "")).count == 0
    assert a.space_check(4900).count() == 0
    # Where they fail, they fail with KLayout's count.
    for d in (3.6, 4.9, 5.1):
        ours = run_rule(data, Rule("T.W.2", "width", (A,), d, "")).count
        assert ours == a.width_check(round(d * 1000)).count() > 0
    assert (
        run_rule(data, Rule("T.S.2", "space", (A,), 5.1, "")).count == a.space_check(5100).count()
    )


def test_array_checked_once_matches_flat_klayout(tmp_path: Path) -> None:
    lib = gdstk.Library(unit=1e-6, precision=1e-9)
    pillar = lib.new_cell("PILLAR")
    pillar.add(gdstk.ellipse((0, 0), 1.0, tolerance=0.001, layer=1))
    top = lib.new_cell("TOP")
    top.add(gdstk.Reference(pillar, (0, 0), columns=30, rows=30, spacing=(3.0, 3.0)))
    top.add(gdstk.ellipse((89.6, 9.0), 1.0, tolerance=0.001, layer=1))  # 0.6 um off (87, 9)
    top.add(gdstk.ellipse((100.0, 100.0), 0.4, tolerance=0.001, layer=1))  # too narrow
    lib.write_gds(str(tmp_path / "array.gds"))
    data = LayoutData(path=tmp_path / "array.gds")
    a, _ = _klayout(tmp_path / "array.gds")
    for kind, value in (("width", 1.0), ("space", 0.9)):
        ours = run_rule(data, Rule("T.A.1", kind, (A,), value, "")).count
        theirs = a.width_check(1000).count() if kind == "width" else a.space_check(900).count()
        assert ours == theirs and ours > 0


boxes = st.lists(
    st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(1, 15), st.integers(1, 15)),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(a=boxes, b=boxes, d=st.integers(1, 12))
def test_random_layouts_agree_with_klayout(a: list, b: list, d: int) -> None:
    """Width, space and separation of random boxes (0.1 um units) agree with KLayout.

    Separation is compared where the two layers neither touch nor overlap (touching layers
    are the must-not-overlap rule's business; KLayout's zero-distance handling differs).
    """
    import tempfile

    import shapely

    shapes = [(1, _box(x / 10, y / 10, (x + w) / 10, (y + h) / 10)) for x, y, w, h in a]
    shapes += [(2, _box(x / 10, y / 10, (x + w) / 10, (y + h) / 10)) for x, y, w, h in b]
    union = {
        k: shapely.unary_union([shapely.Polygon(p) for n, p in shapes if n == k]) for k in (1, 2)
    }
    kinds = ["width", "space"] + ([] if union[1].intersects(union[2]) else ["separation"])
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp) / "r.gds", shapes)
        data = LayoutData(path=path)
        for kind in kinds:
            layers = (A, B) if kind == "separation" else (A,)
            ours = run_rule(data, Rule("T.R.1", kind, layers, d / 10, "")).count
            assert ours == _klayout_count(kind, path, d / 10), kind


@settings(max_examples=30, deadline=None, derandomize=True)
@given(outer=boxes, inner=boxes, d=st.integers(1, 12))
def test_random_enclosures_agree_with_klayout(outer: list, inner: list, d: int) -> None:
    """Enclosure of inner shapes lying inside the outer layer agrees with KLayout."""
    import tempfile

    import shapely

    outer_shapes = [
        _box(x / 10, y / 10, (x + w) / 10 + 1, (y + h) / 10 + 1) for x, y, w, h in outer
    ]
    region = shapely.unary_union([shapely.Polygon(s) for s in outer_shapes])
    kept = []
    for x, y, w, h in inner:
        box = _box(x / 10, y / 10, (x + w) / 10, (y + h) / 10)
        if region.contains(shapely.Polygon(box)):
            kept.append((2, box))
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp) / "e.gds", [(1, s) for s in outer_shapes] + kept)
        finding = run_rule(LayoutData(path=path), Rule("T.E.1", "enclosure", (A, B), d / 10, ""))
        assert finding.count == _klayout_count("enclosure", path, d / 10)


def test_marker_values_are_measured_distances(tmp_path: Path) -> None:
    path = _write(tmp_path / "m.gds", [(1, _box(0, 0, 2, 2)), (1, _box(2.6, 0, 5, 2))])
    finding = run_rule(LayoutData(path=path), Rule("T.M.1", "space", (A,), 1.0, ""))
    assert finding.count == 1
    assert finding.worst == pytest.approx(0.6)
    xs = sorted({p[0] for p in finding.markers[0].points})
    assert xs == [2.0, 2.6]
    assert np.isclose(finding.markers[0].measured or 0, 0.6)
