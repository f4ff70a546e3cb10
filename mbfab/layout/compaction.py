"""Polygon edges as KLayout's checks see them next to other polygons.

Before a space, separation or enclosure check, KLayout merges a polygon locally with the
polygons near it and takes the edges that merge leaves through an edge boolean, which joins
edges that touch end to end and turn by less than one database unit: a vertex lying within
about half a unit of the straight line through its neighbours disappears. Width checks and
polygons without neighbours keep their edges as they are.
"""

from __future__ import annotations

import numpy as np

from mbfab.layout.polygons import F64, I64, Poly, box_pairs, cross, ring_edges, round_half_away

__all__ = ["compact_edges"]


def _interval_signs(spans: list[tuple[int, int, int]], total: int) -> list[tuple[int, int, int]]:
    """Sum ``+-1`` over integer intervals (``(lo, hi, value)``, lo < hi) on ``[0, total]`` and
    return the maximal runs of equal non-zero sign as ``(lo, hi, sign)``."""
    if not spans:
        return []
    cuts = sorted({0, total, *(s[0] for s in spans), *(s[1] for s in spans)})
    value = np.zeros(len(cuts), dtype=np.int64)
    index = {c: k for k, c in enumerate(cuts)}
    for lo, hi, v in spans:
        value[index[lo]] += v
        value[index[hi]] -= v
    level = np.cumsum(value)[:-1]
    runs: list[tuple[int, int, int]] = []
    for k, sign in enumerate(np.sign(level).tolist()):
        lo, hi = cuts[k], cuts[k + 1]
        if lo >= hi:
            continue
        if runs and runs[-1][2] == sign and runs[-1][1] == lo:
            runs[-1] = (runs[-1][0], hi, sign)
        else:
            runs.append((lo, hi, sign))
    return [r for r in runs if r[2] != 0]


def compact_edges(poly: Poly) -> tuple[I64, I64]:
    """A polygon's edges with nearly collinear neighbours joined, as KLayout's checks see a
    polygon that has other polygons within the check distance.

    Edges that touch end to end and turn by less than one database unit over the shorter
    one (``|d1 x d2| < min(|d1|, |d2|)``: the vertex between them lies within about half a
    unit of the straight line) form a cluster; each cluster becomes the runs of its edges
    projected onto the line through its two extreme points (KLayout's edge boolean "and" of
    the polygon's edges with themselves). Returns start and end points, ``(n, 2)``.
    """
    e0, e1, _ = ring_edges([poly])
    n = len(e0)
    if n == 0:
        return e0, e1
    d = e1 - e0
    length = np.sqrt((d * d).sum(axis=1).astype(np.float64))
    boxes = np.concatenate([np.minimum(e0, e1), np.maximum(e0, e1)], axis=1)
    i, j = box_pairs(boxes, boxes, 0.0, same=True)
    near = np.abs(cross(d[i, 0], d[i, 1], d[j, 0], d[j, 1]).astype(np.float64)) < np.minimum(
        length[i], length[j]
    )
    linked = (
        np.all(e0[i] == e0[j], axis=1)
        | np.all(e0[i] == e1[j], axis=1)
        | np.all(e1[i] == e0[j], axis=1)
        | np.all(e1[i] == e1[j], axis=1)
    )
    i, j = i[near & linked], j[near & linked]
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(i.tolist(), j.tolist(), strict=True):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    clusters: dict[int, list[int]] = {}
    for k in range(n):
        clusters.setdefault(find(k), []).append(k)
    out: set[tuple[int, int, int, int]] = set()
    for members in clusters.values():
        if len(members) == 1:
            k = members[0]
            out.add((int(e0[k, 0]), int(e0[k, 1]), int(e1[k, 0]), int(e1[k, 1])))
            continue
        out.update(_joined(e0[members], e1[members], length[members]))
    edges = np.array(sorted(out), dtype=np.int64).reshape(-1, 4)
    return edges[:, :2], edges[:, 2:]


def _joined(e0: I64, e1: I64, length: F64) -> list[tuple[int, int, int, int]]:
    """One cluster of nearly collinear edges as KLayout's edge boolean joins it.

    KLayout projects the cluster onto its longest edge -- by rounded length, the first one
    its box scan meets on a tie (approximated here by the lowest, then leftmost box)."""
    lo = np.minimum(e0, e1)
    order = np.lexsort((lo[:, 0], lo[:, 1]))
    e0, e1, length = e0[order], e1[order], length[order]
    rounded = np.trunc(length + 0.5)
    main = int(np.argmax(rounded))  # the first of the longest
    r0, rd = e0[main], e1[main] - e0[main]
    scale = 1.0 / float(length[main])
    p1, p2 = e0[main].copy(), e1[main].copy()
    l1, l2 = 0.0, float(length[main])
    for a, b in zip(e0.tolist(), e1.tolist(), strict=True):
        la = float((a[0] - r0[0]) * rd[0] + (a[1] - r0[1]) * rd[1]) * scale
        lb = float((b[0] - r0[0]) * rd[0] + (b[1] - r0[1]) * rd[1]) * scale
        if la < l1:
            p1, l1 = np.array(a), la
        if lb < l1:
            p1, l1 = np.array(b), lb
        if la > l2:
            p2, l2 = np.array(a), la
        if lb > l2:
            p2, l2 = np.array(b), lb
    d = p2 - p1
    n = 1.0 / float(np.sqrt(float(d[0]) * float(d[0]) + float(d[1]) * float(d[1])))
    total = int(round_half_away(np.array([np.sqrt(float(d @ d))]))[0])

    def param(p: list[int]) -> int:
        v = float((p[0] - p1[0]) * d[0] + (p[1] - p1[1]) * d[1]) * n
        return int(round_half_away(np.array([v]))[0])

    spans = []
    for a, b in zip(e0.tolist(), e1.tolist(), strict=True):
        la, lb = param(a), param(b)
        if la < lb:
            spans.append((la, lb, 1))
        elif la > lb:
            spans.append((lb, la, -1))
    out = []
    for first, last, sign in _interval_signs(spans, total):
        qa = p1 + round_half_away(d * (first * n)).astype(np.int64)
        qb = p1 + round_half_away(d * (last * n)).astype(np.int64)
        if sign < 0:
            qa, qb = qb, qa
        out.append((int(qa[0]), int(qa[1]), int(qb[0]), int(qb[1])))
    return out
