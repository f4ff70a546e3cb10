"""The scan line of KLayout's edge processor and its polygon generator.

After snap rounding, the edges are swept bottom-up. On each scan line (a vertex height)
the edges crossing it are ordered left to right; at each vertex the evaluator (merge or
boolean) tells whether the result changes across the edges north and south of the line,
which edges bound the result and where horizontal boundary runs. The generator joins these
boundary edges into outlines as they arrive, scan line by scan line -- the order in which
it meets them decides which outlines touching at a point become one polygon (two shapes
kissing at a corner) and which stay apart (a hole touching its hull), so it is reproduced
step by step. Outlines are compressed (straight runs joined); hulls run clockwise, holes
counter-clockwise.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from mbfab.layout.polygons import Poly, normalized

__all__ = ["Evaluator", "sweep"]

I64 = NDArray[np.int64]
Point = tuple[int, int]
Edge = tuple[Point, Point]
BIG = 2**31 - 1


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


class _Contours:
    """Open and finished outlines; a hull links the chain of its holes."""

    def __init__(self) -> None:
        self.points: list[list[Point]] = []
        self.hole: list[bool] = []
        self.next: list[int] = []
        self.last: list[int] = []
        self.free_list = -1

    def allocate(self) -> int:
        if self.free_list >= 0:
            index = self.free_list
            self.free_list = self.next[index]
            self.next[index] = -1
            return index
        self.points.append([])
        self.hole.append(False)
        self.next.append(-1)
        self.last.append(-1)
        return len(self.points) - 1

    def clear(self, n: int) -> None:
        self.points[n] = []
        self.next[n] = -1
        self.last[n] = -1

    def join(self, n1: int, n2: int) -> None:
        """Take over n2's holes into n1 and free n2."""
        if self.next[n1] < 0:
            self.next[n1], self.last[n1] = self.next[n2], self.last[n2]
        elif self.next[n2] >= 0:
            self.next[self.last[n1]] = self.next[n2]
            self.last[n1] = self.last[n2]
        self.free(n2)

    def free(self, n: int) -> None:
        self.clear(n)
        self.next[n] = self.free_list
        self.free_list = n

    def free_all(self, n: int) -> None:
        i = n
        while i >= 0:
            following = self.next[i]
            self.free(i)
            i = following

    def append(self, what: int, to: int) -> None:
        """Attach hole ``what`` (with its chain) to ``to``."""
        tail = to if self.next[to] < 0 else self.last[to]
        self.next[tail] = what
        chain_end = self.last[what]
        self.last[to] = what if chain_end < 0 else chain_end


class _Open:
    """An open end of an outline on the scan line."""

    __slots__ = ("contour", "first", "point")

    def __init__(self, point: Point, contour: int, first: bool) -> None:
        self.point, self.contour, self.first = point, contour, first


class _Generator:
    """KLayout's polygon generator (holes kept as holes, maximum coherence)."""

    def __init__(self) -> None:
        self.contours = _Contours()
        self.open: list[_Open] = []
        self.pos = 0
        self.y = -BIG
        self.polygons: list[Poly] = []

    def begin_scanline(self, y: int) -> None:
        self.pos = 0
        self.y = y

    def end_scanline(self) -> None:
        self._join(BIG)

    def crossing_edge(self) -> None:
        self._join(BIG)
        self.pos += 1

    def skip(self, n: int) -> None:
        """An unchanged stretch of the scan line with ``n`` boundary edges."""
        self._join(BIG)
        self.pos += n

    def put(self, e: Edge) -> None:
        (x1, y1), (x2, y2) = e
        if self.pos < len(self.open):
            if y1 == self.y and y2 == self.y:
                x = min(x1, x2)
            elif y1 == self.y:
                x = x1
            else:
                x = x2
            self._join(x)
        here = self.open[self.pos] if self.pos < len(self.open) else None
        if here is not None and y1 == self.y and here.point == e[0]:
            self.contours.points[here.contour].append(e[1])
            here.point = e[1]
            if y2 > self.y:
                self.pos += 1
        elif here is not None and y2 == self.y and here.point == e[1] and y1 == y2:
            self.contours.points[here.contour].insert(0, e[0])
            here.point = e[0]
            if y1 > self.y:
                self.pos += 1
        else:
            hole = y2 < y1
            new = self.contours.allocate()
            self.contours.hole[new] = hole
            self.contours.points[new] = [e[0], e[1]]
            self.open.insert(self.pos, _Open(e[0] if hole else e[1], new, True))
            self.open.insert(self.pos + 1, _Open(e[1] if hole else e[0], new, False))
            self.pos += 1

    def _join(self, x: int) -> None:
        open_, contours = self.open, self.contours
        while self.pos < len(open_):
            pos = self.pos
            n = pos + 1
            here = open_[pos]
            if (
                n == len(open_)
                or here.point[1] != self.y
                or here.point != open_[n].point
                or here.point[0] > x
            ):
                return
            nn = n + 1
            following = nn  # where to continue after the pair is removed
            minus0 = here.first == contours.hole[here.contour]
            minus1 = open_[n].first == contours.hole[open_[n].contour]
            if not (minus0 and not minus1):
                if nn < len(open_) and here.point == open_[nn].point:
                    following, pos, n, nn = pos, n, nn, nn + 1
                elif here.point[0] == x:
                    return
            a, b = open_[pos], open_[n]
            i1, i2 = a.contour, b.contour
            if i1 != i2:
                c1, c2 = contours.points[i1], contours.points[i2]
                if not a.first and not b.first:
                    if contours.hole[i2]:
                        contours.points[i2] = c2 + c1[1:]
                    else:
                        contours.points[i2] = c1[:-1] + c2
                    contours.join(i2, i1)
                    o = pos
                    while True:
                        o -= 1
                        if o == 0 or open_[o].contour == i1:
                            break
                    open_[o].contour = i2
                    open_[o].first = False
                else:
                    if contours.hole[i2]:
                        contours.points[i1] = c1 + c2[1:]
                    else:
                        contours.points[i1] = c2[:-1] + c1
                    contours.join(i1, i2)
                    o = n
                    while True:
                        o += 1
                        if o >= len(open_) or open_[o].contour == i2:
                            break
                    if o < len(open_):
                        open_[o].contour = i1
                        if a.first and b.first:
                            open_[o].first = True
            elif not contours.hole[i1]:
                self._produce(i1)
                contours.free_all(i1)
            elif nn < len(open_):
                contours.append(i1, open_[nn].contour)
            del open_[n]
            del open_[pos]
            self.pos = following if following < pos else following - 2

    def _produce(self, index: int) -> None:
        c = self.contours
        rings = [c.points[index][:-1]]
        k = c.next[index]
        while k >= 0:
            rings.append(c.points[k][:-1])
            k = c.next[k]
        raw: Poly = [np.array(pts, dtype=np.int64).reshape(-1, 2) for pts in rings]
        poly = normalized(raw)
        if poly:
            self.polygons.append(poly)


class _State:
    """Per scan line position state between the evaluator and the generator."""

    def __init__(self, op: Evaluator, gen: _Generator) -> None:
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
        (x1, y1), (x2, y2) = e
        if (self.pn > 0 and y2 < y1) or (self.pn < 0 and y2 > y1):
            e = (e[1], e[0])
        if min(y1, y2) == self.y:
            self.gen.put(e)
        else:
            self.gen.crossing_edge()
        return True


def sweep(e0: I64, e1: I64, prop: I64, op: Evaluator) -> list[Poly]:
    """The polygons of the result over the (snapped, non-horizontal) edges ``e0 -> e1``."""
    n = len(e0)
    if n == 0:
        return []
    p1 = [(int(a), int(b)) for a, b in e0.tolist()]
    p2 = [(int(a), int(b)) for a, b in e1.tolist()]
    props = prop.tolist()
    ymin = [min(a[1], b[1]) for a, b in zip(p1, p2, strict=True)]
    ymax = [max(a[1], b[1]) for a, b in zip(p1, p2, strict=True)]
    xmin = [min(a[0], b[0]) for a, b in zip(p1, p2, strict=True)]
    xmax = [max(a[0], b[0]) for a, b in zip(p1, p2, strict=True)]
    up = [(a, b) if a[1] <= b[1] else (b, a) for a, b in zip(p1, p2, strict=True)]

    def x_at(k: int, y: int) -> float:
        (ax, ay), (bx, by) = up[k]
        if y <= ay:
            return float(ax)
        if y >= by:
            return float(bx)
        return float(ax) + float(bx - ax) * float(y - ay) / float(by - ay)

    def cross_sign(a: int, b: int) -> int:
        (ax, ay), (bx, by) = up[a]
        (cx, cy), (dx, dy) = up[b]
        v = (bx - ax) * (dy - cy) - (by - ay) * (dx - cx)
        return (v > 0) - (v < 0)

    def less(a: int, b: int, y: int) -> bool:
        if p1[a][0] == p2[a][0] and p1[b][0] == p2[b][0]:
            return p1[a][0] < p1[b][0]
        if xmax[a] < xmin[b]:
            return True
        if xmin[a] > xmax[b]:
            return False
        xa, xb = x_at(a, y), x_at(b, y)
        if xa != xb:
            return xa < xb
        fa, fb = up[a][1][1] > y, up[b][1][1] > y
        if fa and fb:
            return cross_sign(a, b) < 0
        if fa or fb:
            return False
        return cross_sign(a, b) > 0

    def equal(a: int, b: int, y: int) -> bool:
        if p1[a][0] == p2[a][0] and p1[b][0] == p2[b][0]:
            return p1[a][0] == p1[b][0]
        if xmax[a] < xmin[b] or xmin[a] > xmax[b]:
            return False
        if x_at(a, y) != x_at(b, y):
            return False
        return cross_sign(a, b) == 0

    def key(k: int) -> tuple[int, int, int, int, int]:
        return (ymin[k], p1[k][1], p1[k][0], p2[k][1], p2[k][0])

    pending = sorted(range(n), key=key)
    gen = _Generator()
    state = _State(op, gen)
    op.reset()
    active: list[int] = []
    # Stretches of the scan line processed together (until every winding is back to zero)
    # are remembered at their first edge; on the next scan line an unchanged stretch is
    # skipped, which lets the generator join outlines there at once (KLayout does so, and
    # which outlines touching at a point become one polygon depends on it).
    head: dict[int, tuple[int, int]] = {}  # first edge -> (edges, boundary edges pushed)
    future = 0
    y = ymin[pending[0]]
    while active or future < n:
        start = future
        while future < n and ymin[pending[future]] <= y:
            future += 1
        fresh = sorted(
            pending[start:future],
            key=functools.cmp_to_key(
                lambda a, b: -1 if less(a, b, y) else (1 if less(b, a, y) else 0)
            ),
        )
        yy = ymin[pending[future]] if future < n else BIG
        for k in active + fresh:
            if ymax[k] > y:
                yy = min(yy, ymax[k])
        active = _merge(active, fresh, lambda a, b: less(a, b, y))
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
                x = x_at(active[c], y)
                j = c + 1
                while j < len(active) and x_at(active[j], y) == x:
                    head.pop(active[j], None)
                    j += 1
                pushed += _vertex(state, op, active, c, j, x, y, equal, props, p1, p2, ymin, ymax)
                c = j
                if c >= len(active) or op.is_reset():
                    break
            head[active[c0]] = (c - c0, pushed)
        y = yy
        active, head = _carry(active, head, ymax, y)
        gen.end_scanline()
    return gen.polygons


def _vertex(
    state: _State,
    op: Evaluator,
    active: list[int],
    c: int,
    j: int,
    x: float,
    y: int,
    equal: Callable[[int, int, int], bool],
    props: list[int],
    p1: list[Point],
    p2: list[Point],
    ymin: list[int],
    ymax: list[int],
) -> int:
    """The edges ``active[c:j]`` crossing the scan line at one point; returns how many
    boundary edges were handed to the generator."""
    state.next_vertex(x)
    pushed = 0
    g = c
    while g < j:
        state.pn = state.ps = 0
        h = g + 1
        while h < j and equal(active[h], active[g], y):
            h += 1
        group = sorted(active[g:h], key=lambda k: -props[k])
        active[g:h] = group
        first = next((k for k in group if ymax[k] > y), None)
        for k in group:
            if p2[k][1] < p1[k][1]:  # downward: leaves the winding
                if ymax[k] > y:
                    state.pn += op.edge(True, False, props[k])
                if ymin[k] < y:
                    state.ps += op.edge(False, False, props[k])
        for k in reversed(group):
            if p2[k][1] > p1[k][1]:
                if ymax[k] > y:
                    state.pn += op.edge(True, True, props[k])
                if ymin[k] < y:
                    state.ps += op.edge(False, True, props[k])
        state.end_coincident()
        if first is not None and state.push_edge((p1[first], p2[first])):
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


def _merge(old: list[int], new: list[int], less: Callable[[int, int], bool]) -> list[int]:
    """Stable merge of two sorted lists (``std::inplace_merge``)."""
    out: list[int] = []
    i = j = 0
    while i < len(old) and j < len(new):
        if less(new[j], old[i]):
            out.append(new[j])
            j += 1
        else:
            out.append(old[i])
            i += 1
    return out + old[i:] + new[j:]
