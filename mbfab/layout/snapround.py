"""Snap rounding as KLayout's edge processor does it, before any merge or boolean.

Edges that cross are cut at their crossing, rounded to the grid (halves towards minus
infinity); a rounded crossing bends the edges passing within half a grid step of it
("strong" cut points; "weak" ones where the point lies exactly on the edge). A vertex lying
within half a step of another edge, but not on it, only attracts that edge: the edge is
bent through the vertex if, and only if, it is bent anyway; the edges one vertex attracts
are bent together. Collinear overlapping edges are cut at each other's ends. Horizontal
edges are dropped (the sweep that follows derives them).

Which edges see which points depends on how KLayout partitions the plane: edges are taken
in bands of rising y (each band fetching about 50 % more edges than it starts with) and,
within a band, in cells of rising x formed the same way; a point only acts on edges of its
own cell. The partition is reproduced here, so the snapped edges -- and every merged outline
after them -- agree with KLayout's to the grid point.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from mbfab.layout.polygons import (
    cross,
    edge_crossing,
    on_edge_exact,
    on_edge_fuzzy,
    segments_touch,
)

__all__ = ["snap_edges"]

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
Point = tuple[int, int]
FILL = 1.5  # KLayout's fill factor for bands and cells
# KLayout's "no more edges" coordinate is the largest int32; shapes made relative to a
# vertex (or read from a corrupt file) may lie beyond it, so the sentinel lies further out.
BIG = 2**62


class _Cuts:
    """Cut points per edge, which edges are bent ("strong"), and pending attractions."""

    def __init__(self, n: int) -> None:
        self.points: dict[int, list[Point]] = {}
        self.strong = np.zeros(n, dtype=bool)
        self.groups: list[tuple[Point, list[int]]] = []  # a vertex and the edges it attracts
        self.member_of: dict[int, list[int]] = {}

    def add(self, edge: int, point: Point, strong: bool) -> None:
        found = self.points.setdefault(edge, [])
        if point not in found:
            found.append(point)
        if strong:
            self.strong[edge] = True

    def attract(self, point: Point, edges: Sequence[int]) -> None:
        group = len(self.groups)
        self.groups.append((point, list(edges)))
        for edge in set(edges):
            self.member_of.setdefault(edge, []).append(group)

    def settle(self) -> None:
        """Bend every attraction group one of whose edges is bent (transitively)."""
        fired = np.zeros(len(self.groups), dtype=bool)
        queue = [int(e) for e in np.flatnonzero(self.strong)]
        queued = set(queue)
        while queue:
            edge = queue.pop()
            for group in self.member_of.get(edge, []):
                if fired[group]:
                    continue
                fired[group] = True
                point, members = self.groups[group]
                for member in members:
                    self.add(member, point, True)
                    if member not in queued:
                        queued.add(member)
                        queue.append(member)


class _Edges:
    """The work edges with the derived quantities the partition needs."""

    def __init__(self, e0: I64, e1: I64) -> None:
        self.e0, self.e1 = e0, e1
        self.d = e1 - e0
        self.ymin = np.minimum(e0[:, 1], e1[:, 1])
        self.ymax = np.maximum(e0[:, 1], e1[:, 1])
        self.xmin = np.minimum(e0[:, 0], e1[:, 0])
        self.xmax = np.maximum(e0[:, 0], e1[:, 0])
        self.horizontal = self.d[:, 1] == 0
        self.ortho = (self.d[:, 0] == 0) | self.horizontal
        # KLayout's edge order: by start point, then end point; points by y, then x.
        self.rank = np.empty(len(e0), dtype=np.int64)
        self.rank[np.lexsort((e1[:, 0], e1[:, 1], e0[:, 0], e0[:, 1]))] = np.arange(len(e0))

    def key(self, k: int) -> tuple[int, int, int, int]:
        return (int(self.e0[k, 1]), int(self.e0[k, 0]), int(self.e1[k, 1]), int(self.e1[k, 0]))

    def x_at(self, edges: I64, y: float) -> F64:
        """KLayout's ``edge_xaty_double``: x on the edge at ``y``, clamped to its ends."""
        low = np.where(
            (self.e0[edges, 1] <= self.e1[edges, 1])[:, None], self.e0[edges], self.e1[edges]
        )
        high = np.where(
            (self.e0[edges, 1] <= self.e1[edges, 1])[:, None], self.e1[edges], self.e0[edges]
        )
        lx, ly = low[:, 0].astype(np.float64), low[:, 1].astype(np.float64)
        hx, hy = high[:, 0].astype(np.float64), high[:, 1].astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            inner = lx + (hx - lx) * (y - ly) / (hy - ly)
        return np.where(y <= ly, lx, np.where(y >= hy, hx, inner))

    def x_bounds(self, edges: I64, y1: float, y2: float) -> tuple[I64, I64]:
        """Left and right bound of each edge over the band ``[y1, y2]`` (KLayout's
        ``edge_x{min,max}_at_yinterval_double``)."""
        d = self.d[edges]
        rising = (d[:, 1] < 0) == (d[:, 0] < 0)
        at_min = np.where(rising, self.x_at(edges, y1), self.x_at(edges, y2))
        at_max = np.where(rising, self.x_at(edges, y2), self.x_at(edges, y1))
        vertical, flat = d[:, 0] == 0, d[:, 1] == 0
        lo = np.where(
            vertical, self.e0[edges, 0], np.where(flat, self.xmin[edges], np.floor(at_min))
        )
        hi = np.where(
            vertical, self.e0[edges, 0], np.where(flat, self.xmax[edges], np.ceil(at_max))
        )
        return lo.astype(np.int64), hi.astype(np.int64)


def snap_edges(e0: I64, e1: I64, prop: I64) -> tuple[I64, I64, I64]:
    """Cut and bend edges ``e0[k] -> e1[k]`` (property ``prop[k]``) as KLayout's edge
    processor does before it evaluates a merge or boolean; horizontal and degenerate edges
    are dropped."""
    keep = np.any(e0 != e1, axis=1)
    e0, e1, prop = e0[keep], e1[keep], prop[keep]
    if len(e0) == 0:
        return e0, e1, prop
    edges = _Edges(e0, e1)
    cuts = _Cuts(len(e0))
    cells: tuple[list[I64], list[tuple[int, int, int, int]]] = ([], [])
    cells90: tuple[list[I64], list[tuple[int, int, int, int]]] = ([], [])
    for active, y, yy, is90 in _bands(edges):
        if len(active) > 1:
            for members, box in _cells(edges, active, y, yy, is90):
                target = cells90 if is90 else cells
                target[0].append(members)
                target[1].append(box)
    # Each cell's findings depend only on its own edges (and the final strong/weak state
    # only ever grows), so all cells are evaluated together.
    if cells90[0]:
        _cells90(edges, _Pairs(*cells90), cuts)
    if cells[0]:
        _cells_any(edges, _Pairs(*cells), cuts)
    cuts.settle()
    return _split(edges, prop, cuts)


class _Pairs:
    """Every ordered pair of distinct edges within each of many cells."""

    def __init__(self, members: list[I64], boxes: list[tuple[int, int, int, int]]) -> None:
        self.members = members
        self.boxes = np.array(boxes, dtype=np.int64).reshape(-1, 4)
        a, b, ordered, cell = [], [], [], []
        for c, m in enumerate(members):
            k = len(m)
            ia, ib = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
            sel = ia != ib
            a.append(m[ia[sel]])
            b.append(m[ib[sel]])
            ordered.append(ia[sel] < ib[sel])
            cell.append(np.full(int(sel.sum()), c, dtype=np.int64))
        self.a, self.b = np.concatenate(a), np.concatenate(b)
        self.ordered = np.concatenate(ordered)
        self.cell = np.concatenate(cell)

    def in_box(self, p: I64, cell: I64 | None = None) -> NDArray[np.bool_]:
        box = self.boxes[self.cell if cell is None else cell]
        return (
            (p[:, 0] >= box[:, 0])
            & (p[:, 0] <= box[:, 2])
            & (p[:, 1] >= box[:, 1])
            & (p[:, 1] <= box[:, 3])
        )


def _add_all(cuts: _Cuts, edge: I64, points: I64, strong: NDArray[np.bool_]) -> None:
    for e, p, s in zip(edge.tolist(), points.tolist(), strong.tolist(), strict=True):
        cuts.add(e, (p[0], p[1]), s)


def _bands(edges: _Edges):  # type: ignore[no-untyped-def]
    """Bands of edges in KLayout's order: (edge indices, y, yy, all Manhattan)."""
    order = np.lexsort((edges.rank, edges.ymin))
    n = len(order)
    current: list[int] = []
    future = 0
    y = int(edges.ymin[order[0]])
    while current or future < n:
        fetch, yy = 0, y
        while True:
            while future < n and edges.ymin[order[future]] <= yy:
                current.append(int(order[future]))
                future += 1
            yy = int(edges.ymin[order[future]]) if future < n else BIG
            if fetch == 0:
                fetch = len(current)
            if not (future < n and len(current) < int(fetch * FILL)):
                break
        active = np.array(current, dtype=np.int64)
        is90 = bool(np.all(edges.ortho[active])) if len(active) else True
        yield active, y, yy, is90
        y = yy
        ends = edges.ymax[active]
        gone = (ends <= y) if is90 else (ends < y)
        current = [e for e, g in zip(current, gone.tolist(), strict=True) if not g]


def _cells(edges: _Edges, active: I64, y: int, yy: int, is90: bool):  # type: ignore[no-untyped-def]
    """Cells of one band in KLayout's order: (edge indices, (x, y, xx, yy))."""
    if is90:
        lo, hi = edges.xmin[active], edges.xmax[active]
        hi_band = hi
    else:
        lo, hi_band = edges.x_bounds(active, y - 0.5, yy + 0.5)
        hi = edges.xmax[active]
    order = np.lexsort((edges.rank[active], lo))
    srt, lo_s = active[order], lo[order]
    hi_of = dict(zip(active.tolist(), np.minimum(hi, hi_band).tolist(), strict=True))
    n = len(srt)
    members: list[int] = []
    f = 0
    x = int(lo_s[0])
    while members or f < n:
        fetch, xx = 0, x
        while True:
            while f < n and lo_s[f] <= xx:
                members.append(int(srt[f]))
                f += 1
            xx = int(lo_s[f]) if f < n else BIG
            if fetch == 0:
                fetch = len(members)
            if not (f < n and len(members) < int(fetch * FILL)):
                break
        if len(members) > 1:
            yield np.array(members, dtype=np.int64), (x, y, xx, yy)
        x = xx
        members = [e for e in members if not hi_of[e] < x]


def _shared(edges: _Edges, a: I64, b: I64) -> NDArray[np.bool_]:
    e0, e1 = edges.e0, edges.e1
    return (
        np.all(e0[a] == e0[b], axis=1)
        | np.all(e0[a] == e1[b], axis=1)
        | np.all(e1[a] == e0[b], axis=1)
        | np.all(e1[a] == e1[b], axis=1)
    )


def _pt(points: I64, k: int) -> Point:
    return (int(points[k, 0]), int(points[k, 1]))


def _cells90(edges: _Edges, pairs: _Pairs, cuts: _Cuts) -> None:
    """Manhattan cells: crossings of vertical with horizontal edges, and the ends of
    overlapping vertical edges, cut the vertical edges."""
    a, b = pairs.a, pairs.b
    h = edges.horizontal
    cross_pair = (h[a] != h[b]) & pairs.ordered & ~_shared(edges, a, b)
    lo_a, hi_a = np.minimum(edges.e0[a], edges.e1[a]), np.maximum(edges.e0[a], edges.e1[a])
    lo_b, hi_b = np.minimum(edges.e0[b], edges.e1[b]), np.maximum(edges.e0[b], edges.e1[b])
    touch = np.all((lo_a <= hi_b) & (lo_b <= hi_a), axis=1)
    point = np.maximum(lo_a, lo_b)
    hit = cross_pair & touch & pairs.in_box(point)
    target = np.where(h[a], b, a)
    _add_all(cuts, target[hit], point[hit], np.ones(int(hit.sum()), dtype=bool))
    same_x = ~h[a] & ~h[b] & (edges.e0[a, 0] == edges.e0[b, 0])
    for end in (edges.e0, edges.e1):
        p = end[a]
        inside = same_x & pairs.in_box(p) & (p[:, 1] > edges.ymin[b]) & (p[:, 1] < edges.ymax[b])
        _add_all(cuts, b[inside], p[inside], np.ones(int(inside.sum()), dtype=bool))


def _cells_any(edges: _Edges, pairs: _Pairs, cuts: _Cuts) -> None:
    """Cells with slanted edges: KLayout's crossings, overlaps and near vertices."""
    a, b = pairs.a, pairs.b  # c1, c2
    e0, e1, d, h = edges.e0, edges.e1, edges.d, edges.horizontal
    shared = _shared(edges, a, b)
    parallel = cross(d[a, 0], d[a, 1], d[b, 0], d[b, 1]) == 0
    on_line = cross(d[a, 0], d[a, 1], e0[b, 0] - e0[a, 0], e0[b, 1] - e0[a, 1]) == 0
    branch_h = h[b]
    branch_col = ~branch_h & parallel & on_line
    branch_gen = ~branch_h & ~branch_col
    # Crossings (each unordered pair once), kept where they fall in the cell.
    crossing = pairs.ordered & ~shared & ((branch_h & ~h[a]) | branch_gen)
    crossing &= segments_touch(e0[a], e1[a], e0[b], e1[b])
    weak: set[tuple[int, Point]] = set()
    for c1, c2, cell in zip(
        a[crossing].tolist(), b[crossing].tolist(), pairs.cell[crossing].tolist(), strict=True
    ):
        if edges.key(c2) < edges.key(c1):  # KLayout asks the lesser edge
            c1, c2 = c2, c1
        point = edge_crossing(_pt(e0, c1), _pt(e1, c1), _pt(e0, c2), _pt(e1, c2))
        box = pairs.boxes[cell]
        if point is not None and box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]:
            weak.add((cell, point))
    # Collinear overlaps: the ends of one edge inside the other cut it (weakly).
    for end in (e0, e1):
        p = end[a]
        inside = branch_col & pairs.in_box(p) & on_edge_exact(e0[b], e1[b], p)
        inside &= ~(np.all(p == e0[b], axis=1) | np.all(p == e1[b], axis=1))
        _add_all(cuts, b[inside], p[inside], np.zeros(int(inside.sum()), dtype=bool))
    # Rounded crossings cut every non-horizontal edge of their cell they lie (nearly) on.
    if weak:
        found = sorted(weak)
        cell_of = np.array([c for c, _ in found], dtype=np.int64)
        pts = np.array([q for _, q in found], dtype=np.int64)
        members = [pairs.members[c][~h[pairs.members[c]]] for c in cell_of.tolist()]
        pi = np.repeat(np.arange(len(pts)), [len(m) for m in members])
        mi = np.concatenate(members)
        near = on_edge_fuzzy(e0[mi], e1[mi], pts[pi])
        exact = on_edge_exact(e0[mi], e1[mi], pts[pi])
        _add_all(cuts, mi[near], pts[pi[near]], ~exact[near])
    # Start points near other edges: on them a cut, within half a step an attraction.
    p = e0[a]
    near = branch_gen & pairs.in_box(p) & on_edge_fuzzy(e0[b], e1[b], p)
    exact = near & on_edge_exact(e0[b], e1[b], p)
    _add_all(cuts, b[exact], p[exact], np.ones(int(exact.sum()), dtype=bool))
    attract = near & ~exact
    groups: dict[tuple[int, int], list[int]] = {}
    for cell, src, dst in zip(
        pairs.cell[attract].tolist(), a[attract].tolist(), b[attract].tolist(), strict=True
    ):
        groups.setdefault((cell, src), []).append(dst)
    for (_, src), targets in groups.items():
        cuts.attract(_pt(e0, src), targets)


def _split(edges: _Edges, prop: I64, cuts: _Cuts) -> tuple[I64, I64, I64]:
    """Each cut edge becomes the chain through its cut points, ordered along the edge; a
    step that would double back across a grid cell ("z") is taken straight. Horizontal
    edges are dropped."""
    e0, e1 = edges.e0, edges.e1
    starts: list[Point] = []
    ends: list[Point] = []
    props: list[int] = []
    untouched = ~edges.horizontal
    for edge, points in sorted(cuts.points.items()):
        if edges.horizontal[edge]:
            continue
        untouched[edge] = False
        p1, p2 = _pt(e0, edge), _pt(e1, edge)
        dx, dy = p2[0] - p1[0], p2[1] - p1[1]
        order = sorted(
            points, key=lambda q: ((q[0] - p1[0]) * dx + (q[1] - p1[1]) * dy, q[1], q[0])
        )
        chain = [*order] if order[-1] == p2 else [*order, p2]
        pll = pl = p1
        for cp in chain:
            if cp == pl:
                continue
            a, b = pl, cp
            if pl[1] == pll[1] and b[0] != pl[0] and b[0] == pll[0]:
                a = pll
            elif pl[0] == pll[0] and b[1] != pl[1] and b[1] == pll[1]:
                b = pll
            else:
                pll = pl
            pl = cp
            if a[1] != b[1]:
                starts.append(a)
                ends.append(b)
                props.append(int(prop[edge]))
    new0 = np.array(starts, dtype=np.int64).reshape(-1, 2)
    new1 = np.array(ends, dtype=np.int64).reshape(-1, 2)
    return (
        np.concatenate([e0[untouched], new0]),
        np.concatenate([e1[untouched], new1]),
        np.concatenate([prop[untouched], np.array(props, dtype=np.int64)]),
    )
