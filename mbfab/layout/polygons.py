"""Integer polygons and exact predicates on the database grid.

A polygon is a list of rings, each an ``(k, 2)`` int64 array of database units (the hull
first, then holes). Every predicate here is exact integer arithmetic (cross products in
int64, intersection points in Python integers), so no floating-point topology can fail:
the geometry kernels built on them cannot raise on any input.

Rounding follows KLayout's, which the checker reproduces: a crossing of two edges is
rounded to the nearest grid point with halves towards minus infinity (``div_exact``), a
transformed coordinate with halves away from zero.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Poly",
    "box_pairs",
    "come_close",
    "compress",
    "cross",
    "crossing_points",
    "edge_crossing",
    "normalized",
    "on_edge_exact",
    "on_edge_fuzzy",
    "ring_area2",
    "ring_edges",
    "round_half_away",
    "segments_touch",
    "self_contact",
    "start_low",
    "winding",
]

Poly = list[NDArray[np.int64]]
I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
B = NDArray[np.bool_]


def round_half_away(values: F64) -> F64:
    """KLayout's coordinate rounding: to the nearest integer, halves away from zero."""
    return np.where(values > 0, np.trunc(values + 0.5), np.trunc(values - 0.5))


def cross(ax: I64, ay: I64, bx: I64, by: I64) -> I64:
    """``a x b`` for integer vectors (exact for coordinates within +-2^30)."""
    return ax * by - ay * bx


def ring_edges(polys: Sequence[Poly]) -> tuple[I64, I64, I64]:
    """Start points, end points and polygon index of every edge, ``(n, 2)`` int64."""
    starts, ends, owner = [], [], []
    for index, rings in enumerate(polys):
        for ring in rings:
            if len(ring) < 2:
                continue
            pts = np.asarray(ring, dtype=np.int64)
            starts.append(pts)
            ends.append(np.roll(pts, -1, axis=0))
            owner.append(np.full(len(pts), index, dtype=np.int64))
    if not starts:
        empty = np.zeros((0, 2), dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.int64)
    return np.concatenate(starts), np.concatenate(ends), np.concatenate(owner)


def box_pairs(
    box_a: F64 | I64, box_b: F64 | I64, reach: float, *, same: bool, strict: bool = False
) -> tuple[I64, I64]:
    """Index pairs whose boxes ``(xmin, ymin, xmax, ymax)`` come within ``reach`` (closer
    than ``reach`` on both axes with ``strict``).

    A sweep along one axis (sorted, searchsorted ranges) then a filter on the other; the
    axis is the one that makes fewer candidates (a column of boxes is swept over y). The few
    boxes much wider than the rest (the long edges of a large plate) are swept apart, so
    they do not make every box a candidate of every other. With ``same`` both sets are the
    same and each unordered pair is returned once (``i < j``).
    """
    empty = np.zeros(0, dtype=np.int64)
    if len(box_a) == 0 or len(box_b) == 0:
        return empty, empty
    box_a = np.asarray(box_a, dtype=np.float64)
    box_b = np.asarray(box_b, dtype=np.float64)
    width = box_b[:, 2] - box_b[:, 0]
    limit = max(8.0 * float(np.percentile(width, 90)), 1.0)
    wide = width > limit
    if not wide.any():
        return _sweep(box_a, box_b, reach, same, strict)
    out_i, out_j = [], []
    for part in (~wide, wide):
        idx = np.flatnonzero(part)
        i, j = _sweep(box_a, box_b[idx], reach, False, strict)
        j = idx[j]
        if same:
            keep = i < j
            i, j = i[keep], j[keep]
        out_i.append(i)
        out_j.append(j)
    return np.concatenate(out_i), np.concatenate(out_j)


def _ranges(box_a: F64, box_b: F64, reach: float, axis: int) -> tuple[I64, I64, I64]:
    """``box_b``'s order along ``axis`` and, for each ``a`` box, the range of sorted ``b``
    boxes that may reach it (the longest ``b`` box bounds how far before ``a`` one may
    start)."""
    order = np.argsort(box_b[:, axis], kind="stable")
    start = box_b[order, axis]
    longest = float(np.max(box_b[:, axis + 2] - box_b[:, axis]))
    lo = np.searchsorted(start, box_a[:, axis] - reach - longest, side="left")
    hi = np.searchsorted(start, box_a[:, axis + 2] + reach, side="right")
    return order, lo, np.maximum(hi - lo, 0)


def _sweep(box_a: F64, box_b: F64, reach: float, same: bool, strict: bool) -> tuple[I64, I64]:
    """Candidate pairs by sorting ``box_b`` along the better axis, then the exact box test."""
    empty = np.zeros(0, dtype=np.int64)
    order, lo, counts = _ranges(box_a, box_b, reach, 0)
    if len(box_a) > 1:
        other = _ranges(box_a, box_b, reach, 1)
        if int(other[2].sum()) < int(counts.sum()):
            order, lo, counts = other
    total = int(counts.sum())
    if total == 0:
        return empty, empty
    ia = np.repeat(np.arange(len(box_a), dtype=np.int64), counts)
    starts = np.repeat(lo - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    jb = order[np.arange(total, dtype=np.int64) + starts]
    a, b = box_a[ia], box_b[jb]
    below = np.less if strict else np.less_equal
    near = (
        below(a[:, 0], b[:, 2] + reach)
        & below(b[:, 0], a[:, 2] + reach)
        & below(a[:, 1], b[:, 3] + reach)
        & below(b[:, 1], a[:, 3] + reach)
    )
    if same:
        near &= ia < jb
    return ia[near], jb[near]


def _in_box(e0: I64, e1: I64, p: I64) -> B:
    lo, hi = np.minimum(e0, e1), np.maximum(e0, e1)
    return np.all((p >= lo) & (p <= hi), axis=1)


def on_edge_exact(e0: I64, e1: I64, p: I64) -> B:
    """``p`` lies on the closed segment ``e0 e1`` (KLayout's ``is_point_on_exact``)."""
    d = e1 - e0
    ortho = (d[:, 0] == 0) | (d[:, 1] == 0)
    line = cross(p[:, 0] - e0[:, 0], p[:, 1] - e0[:, 1], d[:, 0], d[:, 1]) == 0
    return _in_box(e0, e1, p) & (ortho | line)


def on_edge_fuzzy(e0: I64, e1: I64, p: I64) -> B:
    """``p`` lies within half a grid step of the segment ``e0 e1``, end points excluded
    (KLayout's ``is_point_on_fuzzy``, which decides where its merge snaps edges).

    The distance is measured along the axis the edge is steeper against; a tie (exactly half
    a step) counts on one side of falling edges only.
    """
    d = e1 - e0
    ends = np.all(p == e0, axis=1) | np.all(p == e1, axis=1)
    ortho = (d[:, 0] == 0) | (d[:, 1] == 0)
    falling = ((d[:, 0] < 0) & (d[:, 1] > 0)) | ((d[:, 0] > 0) & (d[:, 1] < 0))
    off_x = np.where(falling, 1, -1)
    a1 = 2 * cross(p[:, 0] - e0[:, 0], p[:, 1] - e0[:, 1], d[:, 0], d[:, 1])
    a2 = cross(off_x, np.ones_like(off_x), d[:, 0], d[:, 1])
    with_equal = falling & ((a1 < 0) != (a2 < 0))
    near = (np.abs(a1) < np.abs(a2)) | ((np.abs(a1) == np.abs(a2)) & with_equal)
    return ~ends & _in_box(e0, e1, p) & (ortho | near)


def _sign(v: I64) -> I64:
    return np.sign(v).astype(np.int64)


def segments_touch(a0: I64, a1: I64, b0: I64, b1: I64) -> B:
    """The closed segments share at least one point (exact)."""
    da, db = a1 - a0, b1 - b0
    s1 = _sign(cross(da[:, 0], da[:, 1], b0[:, 0] - a0[:, 0], b0[:, 1] - a0[:, 1]))
    s2 = _sign(cross(da[:, 0], da[:, 1], b1[:, 0] - a0[:, 0], b1[:, 1] - a0[:, 1]))
    s3 = _sign(cross(db[:, 0], db[:, 1], a0[:, 0] - b0[:, 0], a0[:, 1] - b0[:, 1]))
    s4 = _sign(cross(db[:, 0], db[:, 1], a1[:, 0] - b0[:, 0], a1[:, 1] - b0[:, 1]))
    lo_a, hi_a = np.minimum(a0, a1), np.maximum(a0, a1)
    lo_b, hi_b = np.minimum(b0, b1), np.maximum(b0, b1)
    boxes = np.all((lo_a <= hi_b) & (lo_b <= hi_a), axis=1)
    proper = (s1 * s2 <= 0) & (s3 * s4 <= 0)
    return boxes & proper


def _round_half_down(num: int, den: int) -> int:
    """``num / den`` (den > 0) to the nearest integer, halves towards minus infinity."""
    return (2 * num + den - 1) // (2 * den)


def _contains_fuzzy(e0: tuple[int, int], e1: tuple[int, int], p: tuple[int, int]) -> bool:
    """KLayout's ``Edge::contains``: within half a grid step of the segment's line and
    projecting onto the segment."""
    dx, dy = e1[0] - e0[0], e1[1] - e0[1]
    if dx == 0 and dy == 0:
        return p == e0
    axb = dx * (p[1] - e0[1]) - dy * (p[0] - e0[0])
    length = float(np.sqrt(float(dx) * float(dx) + float(dy) * float(dy)))
    if not abs(float(axb)) / length + 0.5 < 1.0:
        return False
    along0 = (p[0] - e0[0]) * dx + (p[1] - e0[1]) * dy
    along1 = (p[0] - e1[0]) * -dx + (p[1] - e1[1]) * -dy
    return along0 >= 0 and along1 >= 0


def edge_crossing(
    e0: tuple[int, int], e1: tuple[int, int], f0: tuple[int, int], f1: tuple[int, int]
) -> tuple[int, int] | None:
    """Where edges ``e`` and ``f`` meet, on the grid as KLayout's ``intersect_point`` finds
    it (None: they do not meet). Exact: Python integers."""
    if min(e0[0], e1[0]) > max(f0[0], f1[0]) or min(f0[0], f1[0]) > max(e0[0], e1[0]):
        return None
    if min(e0[1], e1[1]) > max(f0[1], f1[1]) or min(f0[1], f1[1]) > max(e0[1], e1[1]):
        return None
    edx, edy = e1[0] - e0[0], e1[1] - e0[1]
    fdx, fdy = f1[0] - f0[0], f1[1] - f0[1]
    if (edx == 0 or edy == 0) and (fdx == 0 or fdy == 0):
        return (
            max(min(e0[0], e1[0]), min(f0[0], f1[0])),
            max(min(e0[1], e1[1]), min(f0[1], f1[1])),
        )
    # e's line must be crossed by f
    s1 = edx * (f0[1] - e0[1]) - edy * (f0[0] - e0[0])
    s2 = edx * (f1[1] - e0[1]) - edy * (f1[0] - e0[0])
    if s1 != 0 and s2 != 0 and (s1 > 0) == (s2 > 0):
        return None
    va = fdx * (e0[1] - f0[1]) - fdy * (e0[0] - f0[0])  # side of e0 against f
    vb = fdx * (e1[1] - f0[1]) - fdy * (e1[0] - f0[0])
    if va == 0 or vb == 0:
        for owner_a, owner_b, point in ((e0, e1, f0), (e0, e1, f1), (f0, f1, e0), (f0, f1, e1)):
            if _contains_fuzzy(owner_a, owner_b, point):
                return point
        return None
    if (va > 0) == (vb > 0):
        return None
    a, b = abs(va), abs(vb)
    den = a + b
    return (
        _round_half_down(e0[0] * den + edx * a, den),
        _round_half_down(e0[1] * den + edy * a, den),
    )


def ring_area2(ring: I64) -> int:
    """Twice the signed area of a ring (positive counter-clockwise), exact."""
    x, y = ring[:, 0], ring[:, 1]
    return int(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def compress(ring: I64) -> I64:
    """Drop repeated points and points where the outline runs straight on (KLayout's contour
    compression: spikes, where it turns back, stay)."""
    pts = np.asarray(ring, dtype=np.int64)
    while len(pts) >= 3:
        repeated = np.all(pts == np.roll(pts, 1, axis=0), axis=1)
        if repeated.any():
            pts = pts[~repeated]
            continue
        a = pts - np.roll(pts, 1, axis=0)
        b = np.roll(pts, -1, axis=0) - pts
        straight = (cross(a[:, 0], a[:, 1], b[:, 0], b[:, 1]) == 0) & (
            (a[:, 0] * b[:, 0] + a[:, 1] * b[:, 1]) > 0
        )
        if not straight.any():
            break
        pts = pts[~straight]
    return pts if len(pts) >= 3 else pts[:0]


def self_contact(poly: Poly) -> bool:
    """True when the polygon's outline meets itself anywhere but at the shared vertex of two
    neighbouring edges (a crossing, a touch, a repeated vertex, an overlap or a spike), i.e.
    when merging it would change more than its orientation and straight-run vertices."""
    e0, e1, _ = ring_edges([poly])
    if len(e0) < 3 or np.any(np.all(e0 == e1, axis=1)):
        return True
    # Index of the next edge along each ring.
    nxt = np.arange(1, len(e0) + 1)
    start = 0
    for ring in poly:
        if len(ring) >= 2:
            nxt[start + len(ring) - 1] = start
            start += len(ring)
    boxes = np.concatenate([np.minimum(e0, e1), np.maximum(e0, e1)], axis=1)
    i, j = box_pairs(boxes, boxes, 0.0, same=True)
    touch = segments_touch(e0[i], e1[i], e0[j], e1[j])
    i, j = i[touch], j[touch]
    if len(i) == 0:
        return False
    neighbours = (nxt[i] == j) | (nxt[j] == i)
    da, db = e1[i] - e0[i], e1[j] - e0[j]
    folded = (cross(da[:, 0], da[:, 1], db[:, 0], db[:, 1]) == 0) & (
        (da[:, 0] * db[:, 0] + da[:, 1] * db[:, 1]) < 0
    )
    return bool(np.any(~neighbours | folded))


def winding(points: I64, poly: Poly) -> I64:
    """How often ``poly``'s outline winds around each of ``points`` (exact; points on the
    outline count as inside the half-open crossing rule's way)."""
    e0, e1, _ = ring_edges([poly])
    p = np.asarray(points, dtype=np.int64).reshape(-1, 2)
    if len(e0) == 0 or len(p) == 0:
        return np.zeros(len(p), dtype=np.int64)
    px, py = p[:, 0][:, None], p[:, 1][:, None]
    ax, ay, bx, by = e0[:, 0][None], e0[:, 1][None], e1[:, 0][None], e1[:, 1][None]
    side = cross(bx - ax, by - ay, px - ax, py - ay)
    up = (ay <= py) & (by > py) & (side > 0)
    down = (ay > py) & (by <= py) & (side < 0)
    return (up.astype(np.int64) - down.astype(np.int64)).sum(axis=1)


def come_close(a: Poly, b: Poly, reach: float) -> bool:
    """True when the outlines of ``a`` and ``b`` come within ``reach`` of each other or one
    lies inside the other (non-zero winding) -- when merging them together can differ from
    merging them apart."""
    a0, a1, _ = ring_edges([a])
    b0, b1, _ = ring_edges([b])
    if len(a0) == 0 or len(b0) == 0:
        return False
    box_a = np.concatenate([np.minimum(a0, a1), np.maximum(a0, a1)], axis=1)
    box_b = np.concatenate([np.minimum(b0, b1), np.maximum(b0, b1)], axis=1)
    i, j = box_pairs(box_a, box_b, reach, same=False)
    if len(i):
        if np.any(segments_touch(a0[i], a1[i], b0[j], b1[j])):
            return True
        near = np.minimum.reduce(
            [
                _point_segment(a0[i], b0[j], b1[j]),
                _point_segment(a1[i], b0[j], b1[j]),
                _point_segment(b0[j], a0[i], a1[i]),
                _point_segment(b1[j], a0[i], a1[i]),
            ]
        )
        if np.any(near < reach):
            return True
    return bool(winding(a0[:1], b)[0] != 0 or winding(b0[:1], a)[0] != 0)


def _point_segment(p: I64, s0: I64, s1: I64) -> F64:
    d = (s1 - s0).astype(np.float64)
    q = (p - s0).astype(np.float64)
    dd = np.maximum((d * d).sum(axis=1), 1e-30)
    t = np.clip((q * d).sum(axis=1) / dd, 0.0, 1.0)
    return np.hypot(*(q - d * t[:, None]).T)


def crossing_points(e0: F64, e1: F64, f0: F64, f1: F64) -> tuple[B, F64]:
    """:func:`edge_crossing` for many edge pairs: ``(found, point)``, ``(n, 2)`` arrays."""
    a0, a1 = np.asarray(e0, dtype=np.int64), np.asarray(e1, dtype=np.int64)
    b0, b1 = np.asarray(f0, dtype=np.int64), np.asarray(f1, dtype=np.int64)
    found = np.zeros(len(a0), dtype=bool)
    points = np.zeros((len(a0), 2), dtype=np.float64)
    lo_a, hi_a = np.minimum(a0, a1), np.maximum(a0, a1)
    lo_b, hi_b = np.minimum(b0, b1), np.maximum(b0, b1)
    maybe = np.all((lo_a <= hi_b) & (lo_b <= hi_a), axis=1)
    # Beyond touching boxes a crossing needs each edge to reach the other's line (a
    # degenerate edge is a point: the exact test below decides).
    da, db = a1 - a0, b1 - b0
    s1 = np.sign(cross(da[:, 0], da[:, 1], b0[:, 0] - a0[:, 0], b0[:, 1] - a0[:, 1]))
    s2 = np.sign(cross(da[:, 0], da[:, 1], b1[:, 0] - a0[:, 0], b1[:, 1] - a0[:, 1]))
    s3 = np.sign(cross(db[:, 0], db[:, 1], a0[:, 0] - b0[:, 0], a0[:, 1] - b0[:, 1]))
    s4 = np.sign(cross(db[:, 0], db[:, 1], a1[:, 0] - b0[:, 0], a1[:, 1] - b0[:, 1]))
    maybe &= (s1 * s2 <= 0) & (s3 * s4 <= 0)
    for k in np.flatnonzero(maybe).tolist():
        p = edge_crossing(
            (int(a0[k, 0]), int(a0[k, 1])),
            (int(a1[k, 0]), int(a1[k, 1])),
            (int(b0[k, 0]), int(b0[k, 1])),
            (int(b1[k, 0]), int(b1[k, 1])),
        )
        if p is not None:
            found[k] = True
            points[k] = p
    return found, points


def normalized(poly: Poly, compress_points: bool = True) -> Poly:
    """A polygon as KLayout stores it: the hull clockwise and holes counter-clockwise (by
    their signed area; none: reversed), each ring from its lowest (then leftmost) point,
    holes sorted by size, then points; and, unless ``compress_points`` is off (polygons as
    read from a file, which KLayout merges uncompressed), repeated and straight-run points
    dropped. KLayout's checks meet the edges in this order."""
    out: Poly = []
    for index, ring in enumerate(poly):
        ring = compress(ring) if compress_points else np.asarray(ring, dtype=np.int64)
        if len(ring) < 3:
            if index == 0:
                return []
            continue
        if (index == 0) != (ring_area2(ring) < 0):
            ring = ring[::-1]
        out.append(start_low(ring))
    return [out[0], *sorted(out[1:], key=_ring_key)] if out else out


def start_low(ring: I64) -> I64:
    """The ring from its lowest, then leftmost point (where KLayout starts a contour)."""
    k = int(np.lexsort((ring[:, 0], ring[:, 1]))[0])
    return np.ascontiguousarray(np.roll(ring, -k, axis=0))


def _ring_key(ring: I64) -> tuple[int, tuple[tuple[int, int], ...]]:
    return (len(ring), tuple((int(y), int(x)) for x, y in ring.tolist()))
