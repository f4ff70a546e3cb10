"""Metrics (KLayout's ``db.Metrics``): round posts under projection, and every edge rule
under every metric against ``klayout.db`` on the same GDS (edge pairs, not only counts).

Hand-derived numbers: a regular n-gon of circumdiameter D (n divisible by 4) has facets
90 deg apart whose near ends are a quarter turn apart, a chord of D sin 45 deg = 0.7071 D;
under the Euclidian metric that is its width (6 um post: 4.243 um). Under projection only
facing facets count: opposite facets of an even n-gon lie D cos(pi / n) apart (64 points,
D = 6 um: 5.9928 um; 400 points: 5.9998 um), so the post passes any rule up to that and
fails a rule above its diameter.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import gdstk
import pytest
import shapely
import shapely.affinity
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mbfab.compile import design_for
from mbfab.layout.placements import layer_placements
from mbfab.recipe import load_recipe
from mbfab.rules import LayerRef, LayoutData, Rule, run_rule
from mbfab.rules.from_recipe import check_device
from mbfab.rules.tiling import tile_layer

from differential import klayout_check
from geometry_helpers import Pair, same_pairs

db = pytest.importorskip("klayout.db")

A = LayerRef("a", 1, 0)
B = LayerRef("b", 2, 0)
METRICS = {
    "euclidian": db.Metrics.Euclidian,
    "square": db.Metrics.Square,
    "projection": db.Metrics.Projection,
}
ROOT = Path(__file__).resolve().parents[1]


def _post(x: float, y: float, diameter: float, n: int) -> list[tuple[float, float]]:
    r = diameter / 2
    return [
        (x + r * math.cos(2 * math.pi * k / n), y + r * math.sin(2 * math.pi * k / n))
        for k in range(n)
    ]


def _write(path: Path, shapes: list[tuple[int, list[tuple[float, float]]]]) -> Path:
    lib = gdstk.Library(unit=1e-6, precision=1e-9)
    cell = lib.new_cell("TOP")
    for layer, points in shapes:
        cell.add(gdstk.Polygon(points, layer=layer))
    lib.write_gds(str(path), max_points=8190)
    return path


def _pairs_of(points: list[list[tuple[int, int]]]) -> list[Pair]:
    return sorted(tuple(sorted(((*p[0], *p[1]), (*p[2], *p[3])))) for p in points)  # type: ignore[misc]


def _ours(path: Path, kind: str, value_um: float, metric: str) -> tuple[int, list[Pair]]:
    layers = (A, B) if kind in ("separation", "enclosure") else (A,)
    rule = Rule("T.M.1", kind, layers, value_um, "", metric=metric)  # type: ignore[arg-type]
    finding = run_rule(LayoutData(path=path), rule, 10**6)
    quads = [
        [(round(x * 1000), round(y * 1000)) for x, y in m.points]
        for m in finding.markers
        if len(m.points) == 4
    ]
    return finding.count, _pairs_of(quads)


def _klayout(path: Path, kind: str, value_um: float, metric: str) -> tuple[int, list[Pair]]:
    layout = db.Layout()
    layout.read(str(path))
    top = layout.top_cell()
    a = db.Region(top.begin_shapes_rec(layout.layer(1, 0))).merged()
    b = db.Region(top.begin_shapes_rec(layout.layer(2, 0))).merged()
    count, quads = klayout_check(a, b, kind, round(value_um * 1000), metric)
    return count, _pairs_of(quads)


def _agree(path: Path, kind: str, value_um: float, metric: str) -> int:
    ours, theirs = _ours(path, kind, value_um, metric), _klayout(path, kind, value_um, metric)
    assert ours[0] == theirs[0], (kind, value_um, metric)
    assert same_pairs(ours[1], theirs[1]), (kind, value_um, metric)
    return ours[0]


@pytest.mark.parametrize("n", [16, 64, 400])
def test_round_post_width_under_projection(tmp_path: Path, n: int) -> None:
    """A 6 um post: no false width violation under projection below its diameter, a real
    one above it; the Euclidian chord (4.24 um) fails a 5 um rule. KLayout agrees on all."""
    path = _write(tmp_path / "post.gds", [(1, _post(0, 0, 6.0, n))])
    across = 6.0 * math.cos(math.pi / n)  # between opposite facets: 5.885, 5.993, 5.9998
    for value in (3.0, 5.0, round(across - 0.01, 3)):
        assert _agree(path, "width", value, "projection") == 0
    assert _agree(path, "width", round(across + 0.01, 3), "projection") > 0
    assert _agree(path, "width", 6.1, "projection") > 0
    euclidian = run_rule(LayoutData(path=path), Rule("T.W.1", "width", (A,), 5.0, ""))
    assert euclidian.count == _klayout(path, "width", 5.0, "euclidian")[0] > 0
    chord = 6.0 * math.sin(math.pi / 4)  # 4.243 um
    assert euclidian.worst is not None and euclidian.worst <= chord + 0.001
    if n <= 64:  # 400 facets of 47 nm: on the 1 nm grid some 89 deg pairs pass as 90+
        assert euclidian.worst == pytest.approx(chord, abs=0.01)


def test_round_hole_space_under_projection(tmp_path: Path) -> None:
    """A 6 um round hole in a plate: its chords are no false space violation under
    projection (the notch semantics of space), while the Euclidian metric reports them."""
    plate = [(-10.0, -10.0), (10.0, -10.0), (10.0, 10.0), (-10.0, 10.0)]
    hole = _post(0, 0, 6.0, 64)[::-1]
    lib = gdstk.Library(unit=1e-6, precision=1e-9)
    cell = lib.new_cell("TOP")
    cell.add(*gdstk.boolean(gdstk.Polygon(plate), gdstk.Polygon(hole), "not", layer=1))
    path = tmp_path / "hole.gds"
    lib.write_gds(str(path))
    assert _agree(path, "space", 5.0, "projection") == 0
    assert _agree(path, "space", 6.1, "projection") > 0
    assert _agree(path, "space", 5.0, "euclidian") > 0


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_post_array_checked_once_for_every_metric(tmp_path: Path, metric: str) -> None:
    """An arrayed field of 6 um 16-point posts takes the array shortcut under each metric and gives
    KLayout's flat edge pairs for width and space."""
    lib = gdstk.Library(unit=1e-6, precision=1e-9)
    post = lib.new_cell("POST")
    post.add(gdstk.Polygon(_post(0, 0, 6.0, 16), layer=1))
    top = lib.new_cell("TOP")
    top.add(gdstk.Reference(post, (0, 0), columns=16, rows=16, spacing=(7.0, 8.0)))
    path = tmp_path / "posts.gds"
    lib.write_gds(str(path))
    placed = layer_placements(gdstk.read_gds(str(path)).top_level()[0], (1, 0), keep_arrays=True)
    assert tile_layer(placed, 6100.0) is not None  # the shortcut is taken
    found = 0
    for kind, value in (("width", 5.0), ("width", 6.1), ("space", 1.5), ("space", 2.5)):
        found += _agree(path, kind, value, metric)
    assert found > 0


def test_six_um_post_against_recipe_derived_five_um_rule(tmp_path: Path) -> None:
    """Regression: 6 um carbon posts in 61 um of SU-8 on a 365 nm contact aligner, where the
    derived resolution is 1.5 sqrt(0.365 x 61 / 2) = 5.00 um. The derived RES width rule
    (projection) passes them; the same rule under KLayout's default metric reads the 4.24 um
    chord and fails."""
    data = yaml.safe_load((ROOT / "recipes" / "cmems_posts.yaml").read_text())
    data["layers"][1]["resist_thickness"] = "61 um"
    data["design"]["posts"].update({"size": "6 um", "pitch": "20 um", "vertices": 64})
    path = tmp_path / "posts.yaml"
    path.write_text(yaml.safe_dump(data))
    loaded = load_recipe(path)
    cell = design_for(loaded).cell
    findings = {f.rule.id: f for f in check_device(loaded, cell)}
    res = findings["RES.POSTS.1"]
    assert res.rule.value == pytest.approx(1.5 * math.sqrt(0.365 * 61 / 2))
    assert res.rule.metric == "projection"
    assert res.count == 0
    data["rules"] = [{"id": "RES.POSTS.1", "metric": "euclidian"}]
    path.write_text(yaml.safe_dump(data))
    loaded = load_recipe(path)
    euclidian = {f.rule.id: f for f in check_device(loaded, design_for(loaded).cell)}
    assert euclidian["RES.POSTS.1"].count > 0
    assert euclidian["RES.POSTS.1"].worst == pytest.approx(4.243, abs=0.01)


def test_deck_metric_key(tmp_path: Path) -> None:
    from mbfab.errors import RecipeError
    from mbfab.rules import load_deck

    deck = tmp_path / "deck.yaml"
    deck.write_text(
        "mbfab-rules: 1\nrules:\n"
        "  - {id: W.A.1, kind: width, layers: [[1, 0]], value: 5, metric: projection}\n"
        "  - {id: S.A.1, kind: space, layers: [[1, 0]], value: 5}\n"
    )
    rules = load_deck(deck).rules
    assert [r.metric for r in rules] == ["projection", "euclidian"]  # KLayout's default
    deck.write_text(
        "mbfab-rules: 1\nrules:\n"
        "  - {id: W.A.1, kind: width, layers: [[1, 0]], value: 5, metric: projected}\n"
        "  - {id: A.A.1, kind: area, layers: [[1, 0]], value: 5, metric: square}\n"
    )
    with pytest.raises(RecipeError) as err:
        load_deck(deck)
    text = str(err.value)
    assert "deck.yaml:3:" in text and "rules[0].metric" in text and "'projection'" in text
    assert "deck.yaml:4:" in text and "rules[1].metric" in text and "only" in text


def _shape(kind: str, x: int, y: int, w: int, h: int, n: int) -> list[tuple[float, float]]:
    """A shape in 0.1 um units: a w x h rectangle, an n-point circle of diameter w, or a
    convex polygon (the hull of a few points spread unevenly over a w x h ellipse)."""
    x0, y0, x1, y1 = x / 10, y / 10, (x + w) / 10, (y + h) / 10
    if kind == "rect":
        return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    if kind == "circle":
        return _post(x0, y0, w / 10, n)
    angles = sorted({(k * 2.39996 * n) % (2 * math.pi) for k in range(3 + (w + h) % 5)})
    points = [
        ((x0 + x1) / 2 + w / 20 * math.cos(t), (y0 + y1) / 2 + h / 20 * math.sin(t)) for t in angles
    ]
    return list(shapely.MultiPoint(points).convex_hull.exterior.coords)[:-1]


shapes = st.lists(
    st.tuples(
        st.sampled_from(["rect", "circle", "poly"]),
        st.integers(0, 50),
        st.integers(0, 50),
        st.integers(4, 25),
        st.integers(4, 25),
        st.sampled_from([8, 16, 64]),
    ),
    min_size=1,
    max_size=4,
)


def _layer(spec: list) -> list[list[tuple[float, float]]]:
    """The shapes of one layer, dropping any that would touch an earlier one (merging
    touching shapes is the merge's business, not the metric's)."""
    kept: list[list[tuple[float, float]]] = []
    for item in spec:
        points = _shape(*item)
        poly = shapely.Polygon(points)
        if poly.area > 0 and all(
            not poly.buffer(0.01).intersects(shapely.Polygon(k)) for k in kept
        ):
            kept.append(points)
    return kept


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    a=shapes,
    b=shapes,
    d=st.integers(1, 15),
    shrink=st.integers(3, 9),
    shift=st.tuples(st.integers(-5, 5), st.integers(-5, 5)),
)
def test_random_layouts_agree_with_klayout_under_each_metric(
    a: list, b: list, d: int, shrink: int, shift: tuple[int, int]
) -> None:
    """Width, space, separation (layers apart) and enclosure (each shape of the first layer
    shrunk by ``shrink`` / 10 about its centre and moved by ``shift`` / 10 um, kept where
    it stays inside) of random rectangles, convex polygons and circles: KLayout's edge
    pairs under each metric."""
    first, second = _layer(a), _layer(b)
    ua = shapely.unary_union([shapely.Polygon(p) for p in first])
    ub = shapely.unary_union([shapely.Polygon(p) for p in second])
    inner = []
    for p in first:
        poly = shapely.affinity.scale(shapely.Polygon(p), shrink / 10, shrink / 10)
        poly = shapely.affinity.translate(poly, shift[0] / 10, shift[1] / 10)
        if ua.buffer(-0.01).contains(poly):
            inner.append(list(poly.exterior.coords)[:-1])
    apart = not ua.buffer(0.01).intersects(ub)
    found = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp) / "r.gds", [(1, p) for p in first] + [(2, p) for p in second])
        enclosed = _write(Path(tmp) / "e.gds", [(1, p) for p in first] + [(2, p) for p in inner])
        for metric in METRICS:
            found += _agree(path, "width", d / 10, metric)
            found += _agree(path, "space", d / 10, metric)
            if apart:
                found += _agree(path, "separation", d / 10, metric)
            if inner:
                found += _agree(enclosed, "enclosure", d / 10, metric)
