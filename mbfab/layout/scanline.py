"""The scan line of KLayout's edge processor.

After snap rounding, the edges are swept bottom-up. On each scan line (a vertex height)
the edges crossing it are ordered left to right; at each vertex the evaluator (merge or
boolean) tells whether the result changes across the edges north and south of the line,
which edges bound the result and where horizontal boundary runs, and those boundary edges
go to the polygon generator (:mod:`mbfab.layout.contours`) in that order. Stretches of a
scan line where nothing changes are skipped as KLayout skips them -- the generator joins
outlines at such a skip, which decides which outlines touching at a point become one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from mbfab.layout.contours import Generator
from mbfab.layout.polygons import Poly

__all__ = ["Evaluator", "sweep"]

I64 = NDArray[np.int64]
Point = tuple[int, int]
Edge = tuple[Point, Point]
BIG = 2**62  # beyond every coordinate (see mbfab.layout.snapround.BIG)


def _rounded(x: float) -> int:
    """KLayout's coordinate rounding: halves away from zero."""
    return int(x + 0.5) if x > 0 else int(x - 0.5)


class Evaluator:
    """Winding counts north and south of the scan line position; ``inside(counts)`` (counts
    per layer of polygons winding non-zero, or the raw winding) says where the result is."""

    def __init__(
        self, layer_of: list[int], n_layers: int, inside: Callable[[list[int]], bool], raw: bool
    ) -> None:
        self.layer_of, self.inside, self.raw = layer_of, inside, raw
        self.n_layers = n_layers
        self.reset()

    def reset(self) -> None:
        self.wind: dict[tuple[bool, int], int] = {}
        self.count = {True: [0] * self.n_layers, False: [0] * self.n_layers}

    def edge(self, north: bool, enter: bool, prop: int) -> int:
        counts = self.count[north]
        before = self.inside(counts)
        if self.raw:
            counts[0] += 1 if enter else -1
        else:
            key = (north, prop)
            w0 = self.wind.get(key, 0)
            w1 = w0 + (1 if enter else -1)
            self.wind[key] = w1
            counts[self.layer_of[prop]] += (w1 != 0) - (w0 != 0)
        return int(self.inside(counts)) - int(before)

    def compare_ns(self) -> int:
        return int(self.inside(self.count[True])) - int(self.inside(self.count[False]))

    def is_reset(self) -> bool:
        """Every winding count back to zero (outside all input)."""
        if self.raw:
            return self.count[True][0] == 0 and self.count[False][0] == 0
        return not any(self.wind.values())


class _State:
    """Per scan line position state between the evaluator and the generator."""

    def __init__(self, op: Evaluator, gen: Generator) -> None:
        self.op, self.gen = op, gen
        self.y = 0
        self.x = self.hx = self.ho = self.pn = self.ps = 0
        self.vertex = False

    def begin_scanline(self, y: int) -> None:
        self.y, self.x, self.hx, self.ho, self.vertex = y, 0, 0, 0, False
        self.gen.begin_scanline(y)

    def next_vertex(self, x: float) -> None:
        self.x = _rounded(x)
        self.vertex = False

    def end_vertex(self) -> None:
        if self.vertex:
            self.hx = self.x
            self.ho = self.op.compare_ns()

    def end_coincident(self) -> None:
        if not self.vertex and (self.ps != 0 or self.pn != 0):
            if self.ho != 0:
                a, b = (self.hx, self.y), (self.x, self.y)
                self.gen.put((b, a) if self.ho > 0 else (a, b))
            self.vertex = True

    def push_edge(self, e: Edge) -> bool:
        if self.pn == 0:
            return False
        y1, y2 = e[0][1], e[1][1]
        if (self.pn > 0 and y2 < y1) or (self.pn < 0 and y2 > y1):
            e = (e[1], e[0])
        if min(y1, y2) == self.y:
            self.gen.put(e)
        else:
            self.gen.crossing_edge()
        return True


class _ScanEdges:
    """The edges of a sweep with KLayout's order along a scan line (``EdgeXAtYCompare2``)."""

    def __init__(self, e0: I64, e1: I64, prop: I64) -> None:
        self.p1 = [(int(a), int(b)) for a, b in e0.tolist()]
        self.p2 = [(int(a), int(b)) for a, b in e1.tolist()]
        self.prop = prop.tolist()
        pairs = list(zip(self.p1, self.p2, strict=True))
        self.ymin = [min(a[1], b[1]) for a, b in pairs]
        self.ymax = [max(a[1], b[1]) for a, b in pairs]
        self.xmin = [min(a[0], b[0]) for a, b in pairs]
        self.xmax = [max(a[0], b[0]) for a, b in pairs]
        self.up = [(a, b) if a[1] <= b[1] else (b, a) for a, b in pairs]
        self.vertical = [a[0] == b[0] for a, b in pairs]

    def x_at(self, k: int, y: int) -> float:
        (ax, ay), (bx, by) = self.up[k]
        if y <= ay:
            return float(ax)
        if y >= by:
            return float(bx)
        return float(ax) + float(bx - ax) * float(y - ay) / float(by - ay)

    def _turn(self, a: int, b: int) -> int:
        (ax, ay), (bx, by) = self.up[a]
        (cx, cy), (dx, dy) = self.up[b]
        v = (bx - ax) * (dy - cy) - (by - ay) * (dx - cx)
        return (v > 0) - (v < 0)

    def less(self, a: int, b: int, y: int) -> bool:
        if self.vertical[a] and self.vertical[b]:
            return self.p1[a][0] < self.p1[b][0]
        if self.xmax[a] < self.xmin[b]:
            return True
        if self.xmin[a] > self.xmax[b]:
            return False
        xa, xb = self.x_at(a, y), self.x_at(b, y)
        if xa != xb:
            return xa < xb
        fa, fb = self.up[a][1][1] > y, self.up[b][1][1] > y
        if fa and fb:
            return self._turn(a, b) < 0
        if fa or fb:
            return False
        return self._turn(a, b) > 0

    def equal(self, a: int, b: int, y: int) -> bool:
        if self.vertical[a] and self.vertical[b]:
            return self.p1[a][0] == self.p1[b][0]
        if self.xmax[a] < self.xmin[b] or self.xmin[a] > self.xmax[b]:
            return False
        if self.x_at(a, y) != self.x_at(b, y):
            return False
        return self._turn(a, b) == 0

    def sorted_at(self, edges: list[int], y: int) -> list[int]:
        def compare(a: int, b: int) -> int:
            return -1 if self.less(a, b, y) else (1 if self.less(b, a, y) else 0)

        return sorted(edges, key=functools.cmp_to_key(compare))

    def merged_at(self, old: list[int], new: list[int], y: int) -> list[int]:
        """Stable merge of two sorted lists (``std::inplace_merge``)."""
        out: list[int] = []
        i = j = 0
        while i < len(old) and j < len(new):
            if self.less(new[j], old[i], y):
                out.append(new[j])
                j += 1
            else:
                out.append(old[i])
                i += 1
        return out + old[i:] + new[j:]


def sweep(e0: I64, e1: I64, prop: I64, op: Evaluator) -> list[Poly]:
    """The polygons of the result over the (snapped, non-horizontal) edges ``e0 -> e1``."""
    n = len(e0)
    if n == 0:
        return []
    edges = _ScanEdges(e0, e1, prop)
    pending = sorted(
        range(n),
        key=lambda k: (
            edges.ymin[k],
            edges.p1[k][1],
            edges.p1[k][0],
            edges.p2[k][1],
            edges.p2[k][0],
        ),
    )
    gen = Generator()
    state = _State(op, gen)
    op.reset()
    active: list[int] = []
    # Stretches of the scan line processed together (until every winding is back to zero)
    # are remembered at their first edge; on the next scan line an unchanged stretch is
    # skipped, which lets the generator join outlines there at once (KLayout does so, and
    # which outlines touching at a point become one polygon depends on it).
    head: dict[int, tuple[int, int]] = {}  # first edge -> (edges, boundary edges pushed)
    future = 0
    y = edges.ymin[pending[0]]
    while active or future < n:
        start = future
        while future < n and edges.ymin[pending[future]] <= y:
            future += 1
        fresh = edges.sorted_at(pending[start:future], y)
        yy = edges.ymin[pending[future]] if future < n else BIG
        for k in active + fresh:
            if edges.ymax[k] > y:
                yy = min(yy, edges.ymax[k])
        active = edges.merged_at(active, fresh, y)
        state.begin_scanline(y)
        c = 0
        while c < len(active):
            known = head.get(active[c])
            if known is not None and (c + known[0] >= len(active) or active[c + known[0]] in head):
                gen.skip(known[1])
                c += known[0]
                continue
            c0, pushed = c, 0
            while True:
                head.pop(active[c], None)
                x = edges.x_at(active[c], y)
                j = c + 1
                while j < len(active) and edges.x_at(active[j], y) == x:
                    head.pop(active[j], None)
                    j += 1
                pushed += _vertex(state, edges, active, c, j, x, y)
                c = j
                if c >= len(active) or op.is_reset():
                    break
            head[active[c0]] = (c - c0, pushed)
        y = yy
        active, head = _carry(active, head, edges.ymax, y)
        gen.end_scanline()
    return gen.polygons


def _vertex(
    state: _State, edges: _ScanEdges, active: list[int], c: int, j: int, x: float, y: int
) -> int:
    """The edges ``active[c:j]`` crossing the scan line at one point; returns how many
    boundary edges were handed to the generator."""
    state.next_vertex(x)
    op = state.op
    pushed = 0
    g = c
    while g < j:
        state.pn = state.ps = 0
        h = g + 1
        while h < j and edges.equal(active[h], active[g], y):
            h += 1
        group = sorted(active[g:h], key=lambda k: -edges.prop[k])
        active[g:h] = group
        first = next((k for k in group if edges.ymax[k] > y), None)
        for k in group:
            if edges.p2[k][1] < edges.p1[k][1]:  # downward: leaves the winding
                if edges.ymax[k] > y:
                    state.pn += op.edge(True, False, edges.prop[k])
                if edges.ymin[k] < y:
                    state.ps += op.edge(False, False, edges.prop[k])
        for k in reversed(group):
            if edges.p2[k][1] > edges.p1[k][1]:
                if edges.ymax[k] > y:
                    state.pn += op.edge(True, True, edges.prop[k])
                if edges.ymin[k] < y:
                    state.ps += op.edge(False, True, edges.prop[k])
        state.end_coincident()
        if first is not None and state.push_edge((edges.p1[first], edges.p2[first])):
            pushed += 1
        g = h
    state.end_vertex()
    return pushed


def _carry(
    active: list[int], head: dict[int, tuple[int, int]], ymax: list[int], y: int
) -> tuple[list[int], dict[int, tuple[int, int]]]:
    """The edges reaching the next scan line ``y`` (in order) and the stretches still
    skippable there: those none of whose edges ends at or below ``y``."""
    kept: list[int] = []
    carried: dict[int, tuple[int, int]] = {}
    valid = True
    for k in reversed(active):
        info = head.get(k)
        if ymax[k] >= y:
            kept.append(k)
        if ymax[k] <= y:
            valid = False
        if info is not None and kept:
            if valid:
                carried[kept[-1]] = info
            else:
                carried.pop(kept[-1], None)
            valid = True
    kept.reverse()
    return kept, carried
