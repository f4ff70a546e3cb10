"""Differential testing of the rule checker: random small layouts checked by mbfab and by
KLayout (``klayout.db``) with identical rules, compared edge pair for edge pair (in dbu).

A layout is plain data (:class:`Layout`): shapes on layers 1 and 2 of a top cell, and cells
placed by references that may be rotated, mirrored, magnified and arrayed (arrays may
overlap themselves). Shapes are Manhattan boxes, 45-degree polygons, faceted circles and
rings, random star polygons (which may cross themselves), keyholes, double loops, bow ties,
slivers of no area and outlines of paths that turn back on themselves -- the kinds real GDS
files carry.

Both sides read the same GDS file. KLayout checks flat, on merged input::

    a = Region(top.begin_shapes_rec(layer 1)).merged()    # b likewise on layer 2
    a.width_check(d, False, metric)     a.space_check(d, False, metric)
    a.separation_check(b, d, False, metric)
    a.enclosing_check(b, d, False, metric) and the parts of b outside a (b - a)

and the VALID rule against ``strange_polygon_check`` of layer 1's polygons as drawn (flat,
unmerged).

:func:`differences` lists every disagreement (empty: identical results). The hypothesis
strategy :func:`layouts` feeds the test suite (a few hundred cases) and
``bench/bench_drc_agreement.py`` (thousands, with the mismatch rate).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import gdstk
from hypothesis import strategies as st

from mbfab.rules import LayerRef, LayoutData, Rule, run_rule

A = LayerRef("a", 1, 0)
B = LayerRef("b", 2, 0)
KINDS = ("width", "space", "separation", "enclosure", "valid")
METRICS = ("euclidian", "square", "projection")

Points = tuple[tuple[int, int], ...]  # dbu


@dataclass(frozen=True)
class Ref:
    """A placement of child cell ``cell`` (index into :attr:`Layout.cells`)."""

    cell: int
    origin: tuple[int, int]
    rotation_deg: float
    mirror: bool
    magnification: float
    columns: int = 1
    rows: int = 1
    spacing: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class Layout:
    """Shapes ``(layer, points)`` of the top cell, child cells (each a tuple of shapes and
    of references to cells with a higher index) and the top cell's references."""

    shapes: tuple[tuple[int, Points], ...]
    cells: tuple[tuple[tuple[tuple[int, Points], ...], tuple[Ref, ...]], ...] = ()
    refs: tuple[Ref, ...] = ()
    distance: int = 100  # rule value, dbu
    kinds: tuple[str, ...] = KINDS
    metrics: tuple[str, ...] = METRICS
    notes: tuple[str, ...] = field(default=(), compare=False)


# --- shapes ---------------------------------------------------------------------------------


def _box(x: int, y: int, w: int, h: int) -> Points:
    return ((x, y), (x + w, y), (x + w, y + h), (x, y + h))


def _octagon(x: int, y: int, w: int, h: int, c: int) -> Points:
    c = max(1, min(c, w // 2, h // 2))
    return (
        (x + c, y),
        (x + w - c, y),
        (x + w, y + c),
        (x + w, y + h - c),
        (x + w - c, y + h),
        (x + c, y + h),
        (x, y + h - c),
        (x, y + c),
    )


def _parallelogram(x: int, y: int, w: int, h: int) -> Points:
    return ((x, y), (x + w, y), (x + w + h, y + h), (x + h, y + h))


def _dbu(points: Sequence[Sequence[float]]) -> Points:
    out: list[tuple[int, int]] = []
    for px, py in points:
        p = (round(px), round(py))
        if not out or out[-1] != p:
            out.append(p)
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    return tuple(out)


def _circle(x: int, y: int, r: int, n: int, phase: float) -> Points:
    return _dbu(
        [
            (
                x + r * math.cos(phase + 2 * math.pi * k / n),
                y + r * math.sin(phase + 2 * math.pi * k / n),
            )
            for k in range(n)
        ]
    )


def _ring(x: int, y: int, r: int, inner: int, n: int, start: float, sweep: float) -> Points:
    outer = [
        (x + r * math.cos(start + sweep * k / n), y + r * math.sin(start + sweep * k / n))
        for k in range(n + 1)
    ]
    hole = [
        (x + inner * math.cos(start + sweep * k / n), y + inner * math.sin(start + sweep * k / n))
        for k in range(n, -1, -1)
    ]
    return _dbu(outer + hole)


def _star(x: int, y: int, radii: Sequence[int], phase: float) -> Points:
    n = len(radii)
    return _dbu(
        [
            (
                x + r * math.cos(phase + 2 * math.pi * k / n),
                y + r * math.sin(phase + 2 * math.pi * k / n),
            )
            for k, r in enumerate(radii)
        ]
    )


def _keyhole(x: int, y: int, w: int, h: int, hx: int, hy: int, hw: int, hh: int) -> Points:
    """A box with a hole drawn as one outline: in along a cut to the hole and back out."""
    hx = x + 1 + hx % max(1, w - 2)
    hy = y + 1 + hy % max(1, h - 2)
    hw = max(1, min(hw, x + w - 1 - hx))
    hh = max(1, min(hh, y + h - 1 - hy))
    return (
        (x, y),
        (hx, y),
        (hx, hy),
        (hx, hy + hh),
        (hx + hw, hy + hh),
        (hx + hw, hy),
        (hx, hy),
        (hx, y),
        (x + w, y),
        (x + w, y + h),
        (x, y + h),
    )


def _double_loop(x: int, y: int, w: int, h: int, inset: int) -> Points:
    """An outline going round twice (the inner loop overlaps the outer one)."""
    i = max(1, min(inset, w // 3, h // 3))
    return (
        (x, y),
        (x + w, y),
        (x + w, y + h),
        (x, y + h),
        (x, y + i),
        (x + w - i, y + i),
        (x + w - i, y + h - i),
        (x + i, y + h - i),
        (x + i, y),
    )


def _bow_tie(x: int, y: int, w: int, h: int) -> Points:
    return ((x, y), (x + w, y + h), (x + w, y), (x, y + h))


def _sliver(x: int, y: int, dx: int, dy: int) -> Points:
    """A polygon of no area (there and back along a line): nothing after merging, but its
    edges still cross others while they are merged."""
    return ((x, y), (x + dx, y + dy), (x + dx, y + dy), (x, y))


def _turning_path(x: int, y: int, steps: Sequence[tuple[int, int]], width: int) -> Points:
    """The outline gdstk makes of a path that may turn back on itself."""
    pts = [(x * 1e-3, y * 1e-3)]
    for dx, dy in steps:
        px, py = pts[-1]
        pts.append((px + dx * 1e-3, py + dy * 1e-3))
    path = gdstk.FlexPath(pts, width * 1e-3, joins="natural", ends="flush")
    polys = path.to_polygons()
    if not polys:
        return ()
    return _dbu([(px * 1e3, py * 1e3) for px, py in polys[0].points])


coord = st.integers(0, 3000)
size = st.integers(20, 1500)


@st.composite
def shape_points(draw: st.DrawFn) -> Points:
    """One random shape (dbu)."""
    kind = draw(
        st.sampled_from(
            [
                "box",
                "box",
                "octagon",
                "parallelogram",
                "circle",
                "ring",
                "star",
                "keyhole",
                "double_loop",
                "bow_tie",
                "sliver",
                "path",
            ]
        )
    )
    x, y = draw(coord), draw(coord)
    if kind == "box":
        return _box(x, y, draw(size), draw(size))
    if kind == "octagon":
        return _octagon(x, y, draw(size), draw(size), draw(st.integers(1, 600)))
    if kind == "parallelogram":
        return _parallelogram(x, y, draw(size), draw(st.integers(-800, 800)))
    if kind == "circle":
        return _circle(
            x,
            y,
            draw(st.integers(30, 900)),
            draw(st.sampled_from([8, 12, 16, 32, 64])),
            draw(st.sampled_from([0.0, 0.1, math.pi / 8])),
        )
    if kind == "ring":
        r = draw(st.integers(60, 900))
        return _ring(
            x,
            y,
            r,
            draw(st.integers(10, r - 20)),
            draw(st.sampled_from([4, 8, 16, 32])),
            draw(st.sampled_from([0.0, 0.3, 1.0])),
            draw(st.sampled_from([math.pi / 2, math.pi, 4.5])),
        )
    if kind == "star":
        radii = draw(st.lists(st.integers(20, 900), min_size=3, max_size=9))
        return _star(x, y, radii, draw(st.sampled_from([0.0, 0.4])))
    if kind == "keyhole":
        return _keyhole(
            x,
            y,
            draw(size),
            draw(size),
            draw(st.integers(0, 1000)),
            draw(st.integers(0, 1000)),
            draw(size),
            draw(size),
        )
    if kind == "double_loop":
        return _double_loop(x, y, draw(size), draw(size), draw(st.integers(1, 500)))
    if kind == "bow_tie":
        return _bow_tie(x, y, draw(size), draw(size))
    if kind == "sliver":
        return _sliver(x, y, draw(st.integers(-800, 800)), draw(st.integers(-800, 800)))
    steps = draw(
        st.lists(
            st.sampled_from(
                [(600, 0), (-600, 0), (0, 600), (0, -600), (400, 400), (-400, 300), (300, -500)]
            ),
            min_size=1,
            max_size=5,
        )
    )
    return _turning_path(x, y, steps, draw(st.integers(40, 500)))


layered = st.tuples(st.sampled_from([1, 1, 2]), shape_points())


@st.composite
def references(draw: st.DrawFn, cell: int) -> Ref:
    """A placement of ``cell``: rotated, mirrored, magnified, arrayed."""
    rotation = draw(st.sampled_from([0.0, 90.0, 180.0, 270.0, 0.0, 90.0, 45.0, 30.0]))
    magnification = draw(st.sampled_from([1.0, 1.0, 1.0, 0.5, 2.0, 1.5, 0.25, 0.75]))
    # gdstk turns an array's lattice with the reference; at 30 or 45 degrees its vectors leave
    # the grid and KLayout splits such arrays with its own rounding: arrays are kept square.
    arrayed = rotation % 90 == 0 and draw(st.booleans())
    columns = draw(st.integers(1, 3)) if arrayed else 1
    rows = draw(st.integers(1, 3)) if arrayed else 1
    spacing = (draw(st.integers(100, 2500)), draw(st.integers(100, 2500))) if arrayed else (0, 0)
    return Ref(
        cell,
        (draw(st.integers(-2000, 3000)), draw(st.integers(-2000, 3000))),
        rotation,
        draw(st.booleans()),
        magnification,
        columns,
        rows,
        spacing,
    )


@st.composite
def layouts(draw: st.DrawFn) -> Layout:
    """A random small layout with a rule distance."""
    n_cells = draw(st.integers(0, 2))
    cells = []
    for k in range(n_cells):
        inner = tuple(draw(st.lists(layered, min_size=1, max_size=3)))
        sub = tuple(draw(st.lists(references(k + 1), max_size=1))) if k + 1 < n_cells else ()
        cells.append((inner, sub))
    top = tuple(draw(st.lists(layered, min_size=0 if n_cells else 1, max_size=5)))
    refs = tuple(
        draw(references(k)) for k in range(n_cells) for _ in range(draw(st.integers(1, 2)))
    )
    distance = draw(st.sampled_from([1, 5, 50, 120, 300, 700, 1500]))
    return Layout(top, tuple(cells), refs, distance)


# --- writing --------------------------------------------------------------------------------


def write_gds(layout: Layout, path: Path) -> Path:
    """The layout as a GDS file (1 um user unit, 1 nm database unit)."""
    lib = gdstk.Library(unit=1e-6, precision=1e-9)
    cells = [lib.new_cell(f"C{k}") for k in range(len(layout.cells))]

    def fill(cell: gdstk.Cell, shapes: Sequence[tuple[int, Points]], refs: Sequence[Ref]) -> None:
        for layer, points in shapes:
            if len(points) >= 3:
                cell.add(gdstk.Polygon([(x * 1e-3, y * 1e-3) for x, y in points], layer=layer))
        for ref in refs:
            cell.add(
                gdstk.Reference(
                    cells[ref.cell],
                    (ref.origin[0] * 1e-3, ref.origin[1] * 1e-3),
                    rotation=math.radians(ref.rotation_deg),
                    magnification=ref.magnification,
                    x_reflection=ref.mirror,
                    columns=ref.columns,
                    rows=ref.rows,
                    spacing=(ref.spacing[0] * 1e-3, ref.spacing[1] * 1e-3),
                )
            )

    for cell, (shapes, refs) in zip(cells, layout.cells, strict=True):
        fill(cell, shapes, refs)
    top = lib.new_cell("TOP")
    fill(top, layout.shapes, layout.refs)
    lib.write_gds(str(path), max_points=8190)
    return path


# --- comparing ------------------------------------------------------------------------------

Pair = tuple[tuple[int, int, int, int], tuple[int, int, int, int]]


def _norm(pairs: Sequence[Sequence[tuple[int, int]]]) -> list[Pair]:
    out = []
    for p in pairs:
        first = (p[0][0], p[0][1], p[1][0], p[1][1])
        second = (p[2][0], p[2][1], p[3][0], p[3][1])
        out.append((min(first, second), max(first, second)))
    return sorted(out)


def _klayout_regions(path: Path, merged: bool = True):  # type: ignore[no-untyped-def]
    """KLayout's regions of layers 1 and 2 (flat; merged unless ``merged`` is off)."""
    import klayout.db as db

    layout = db.Layout()
    layout.read(str(path))
    top = layout.top_cell()
    regions = []
    for layer in (1, 2):
        index = layout.find_layer(layer, 0)
        region = db.Region() if index is None else db.Region(top.begin_shapes_rec(index))
        # A region over the layout's shapes reads them lazily: copied before the layout goes.
        regions.append(region.merged() if merged else db.Region(list(region.each())))
    return regions[0], regions[1]


def _polygon_texts(polygons):  # type: ignore[no-untyped-def]
    """KLayout's text of each polygon (hull points, dbu), sorted: equal polygons compare
    equal whatever point they start from."""
    import klayout.db as db

    return sorted(
        str(db.Polygon([db.Point(x, y) for x, y in pts]) if isinstance(pts, list) else pts)
        for pts in polygons
    )


def valid_differences(path: Path, data: LayoutData) -> list[str]:
    """mbfab's VALID rule against KLayout's ``strange_polygon_check`` on layer 1 as drawn."""
    import klayout.db as db

    raw, _ = _klayout_regions(path, merged=False)
    theirs = _polygon_texts(
        db.Polygon(list(p.each_point_hull())) for p in raw.strange_polygon_check().each()
    )
    finding = run_rule(data, Rule("T.DIFF.V", "valid", (A,), None, ""), 10**7)
    ours = _polygon_texts(
        [(round(x * 1000), round(y * 1000)) for x, y in m.points] for m in finding.markers
    )
    if ours != theirs or finding.count != len(theirs):
        return [f"valid: {finding.count} parts {ours[:3]} vs KLayout {len(theirs)} {theirs[:3]}"]
    return []


def klayout_check(a, b, kind: str, distance: int, metric: str):  # type: ignore[no-untyped-def]
    """KLayout's edge pairs of one rule on regions ``a`` (and ``b``): ``(count, points)``,
    each edge pair as the first edge's two ends, then the second's (dbu)."""
    import klayout.db as db

    m = {
        "euclidian": db.Metrics.Euclidian,
        "square": db.Metrics.Square,
        "projection": db.Metrics.Projection,
    }[metric]
    if kind == "width":
        result = a.width_check(distance, False, m)
    elif kind == "space":
        result = a.space_check(distance, False, m)
    elif kind == "separation":
        result = a.separation_check(b, distance, False, m)
    else:
        result = a.enclosing_check(b, distance, False, m)
    pairs = [
        [(p.x, p.y) for p in (e.first.p1, e.first.p2, e.second.p1, e.second.p2)]
        for e in result.each()
    ]
    return int(result.count()), pairs


def klayout_result(a, b, kind: str, distance: int, metric: str):  # type: ignore[no-untyped-def]
    """KLayout's edge pairs (normalised) and, for enclosure, the region of b outside a."""
    _, pairs = klayout_check(a, b, kind, distance, metric)
    outside = (b - a) if kind == "enclosure" else None
    return _norm(pairs), outside


def mbfab_result(data: LayoutData, kind: str, distance: int, metric: str):  # type: ignore[no-untyped-def]
    """mbfab's edge pairs (normalised), its outside-part marker polygons (dbu) and count."""
    layers = (A, B) if kind in ("separation", "enclosure") else (A,)
    rule = Rule("T.DIFF.1", kind, layers, distance / 1000, "", metric=metric)  # type: ignore[arg-type]
    finding = run_rule(data, rule, 10**7)
    pairs, polygons = [], []
    for marker in finding.markers:
        pts = [(round(x * 1000), round(y * 1000)) for x, y in marker.points]
        if marker.shape == "edge-pair":
            pairs.append(pts)
        else:
            polygons.append(pts)
    return _norm(pairs), polygons, finding.count


def differences(layout: Layout, path: Path) -> list[str]:
    """Every disagreement between mbfab and KLayout on ``layout`` (written to ``path``)."""
    import klayout.db as db

    write_gds(layout, path)
    a, b = _klayout_regions(path)
    data = LayoutData(path=path)
    found = valid_differences(path, data) if "valid" in layout.kinds else []
    for kind in layout.kinds:
        if kind == "valid":
            continue
        for metric in layout.metrics:
            theirs, outside = klayout_result(a, b, kind, layout.distance, metric)
            ours, polygons, count = mbfab_result(data, kind, layout.distance, metric)
            expected = len(theirs) + (outside.count() if outside is not None else 0)
            if ours != theirs:
                missing = [p for p in theirs if p not in ours][:3]
                extra = [p for p in ours if p not in theirs][:3]
                found.append(
                    f"{kind}/{metric}: {len(ours)} pairs vs KLayout {len(theirs)}; "
                    f"missing {missing} extra {extra}"
                )
            if outside is not None:
                theirs_out = _polygon_texts(
                    db.Polygon(list(p.each_point_hull())) for p in outside.each()
                )
                ours_out = _polygon_texts(polygons)
                if ours_out != theirs_out:
                    found.append(
                        f"{kind}/{metric}: outside parts {ours_out[:3]} vs KLayout {theirs_out[:3]}"
                    )
            if count != expected:
                found.append(f"{kind}/{metric}: count {count} vs KLayout {expected}")
    return found
