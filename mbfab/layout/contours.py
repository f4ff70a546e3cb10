"""KLayout's polygon generator: boundary edges from the scan line joined into polygons.

The scan line hands over boundary edges left to right, scan line by scan line, each oriented
with the result on its right; the generator keeps the open ends of the outlines in scan line
order and joins ends that meet. Which ends it joins where several outlines touch at one
point decides whether two shapes touching at a corner become one polygon (they do) and
whether a hole touching its hull stays a hole (it does), so its bookkeeping is reproduced
step by step (holes kept as holes, maximum coherence).
"""

from __future__ import annotations

import numpy as np

from mbfab.layout.polygons import Poly, normalized

__all__ = ["Generator"]

Point = tuple[int, int]
Edge = tuple[Point, Point]
BIG = 2**62  # beyond every coordinate (see mbfab.layout.snapround.BIG)


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


class Generator:
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
