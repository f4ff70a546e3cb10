"""Edge-pair checks over flat polygon sets (width, space, separation, enclosure).

A polygon is a list of rings, each an ``(k, 2)`` integer array in database units, the
hull clockwise and holes counter-clockwise (see :mod:`mbfab.rules.edges`). These functions
do the local work; :mod:`mbfab.rules.engine` decides which polygons meet.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from mbfab.rules.edges import Relation, edge_pairs, shielded
from mbfab.rules.model import Metric

__all__ = [
    "Poly",
    "candidate_pairs",
    "enclosure_pairs",
    "polygon_edges",
    "relation_pairs",
    "separation_pairs",
    "space_pairs",
    "width_pairs",
]

Poly = list[NDArray[np.int64]]
Ints = NDArray[np.int64]
F = NDArray[np.float64]


def polygon_edges(polys: Sequence[Poly]) -> tuple[F, F, Ints]:
    """Start points, end points and polygon index of every edge."""
    starts, ends, owner = [], [], []
    for index, rings in enumerate(polys):
        for ring in rings:
            if len(ring) < 2:
                continue
            pts = ring.astype(np.float64)
            starts.append(pts)
            ends.append(np.roll(pts, -1, axis=0))
            owner.append(np.full(len(pts), index, dtype=np.int64))
    if not starts:
        empty = np.zeros((0, 2))
        return empty, empty, np.zeros(0, dtype=np.int64)
    return np.concatenate(starts), np.concatenate(ends), np.concatenate(owner)


def candidate_pairs(
    box_a: F, box_b: F, reach: float, *, same: bool, strict: bool = False
) -> tuple[Ints, Ints]:
    """Index pairs whose boxes ``(xmin, ymin, xmax, ymax)`` come within ``reach`` (closer
    than ``reach`` on both axes with ``strict``, as KLayout's box scanner pairs edges).

    A sweep over x (sorted, searchsorted ranges) then a y filter; with ``same`` both sets are
    the same and each unordered pair is returned once (``i < j``). Pairs come ordered by
    ``a`` index, then by ``b``'s xmin.
    """
    empty = np.zeros(0, dtype=np.int64)
    if len(box_a) == 0 or len(box_b) == 0:
        return empty, empty
    order = np.argsort(box_b[:, 0], kind="stable")
    # The widest b box bounds how far left of a's xmin a b box may start and still reach:
    # boxes are swept in classes of similar width, so that one long edge (a bus, a frame)
    # does not stretch every search range over the whole layout (quadratic).
    width = box_b[order, 2] - box_b[order, 0]
    kind = np.floor(np.log2(np.maximum(width, 1.0)) / 2).astype(np.int64)
    found_a, found_b = [], []
    for k in np.unique(kind):
        ranks = np.flatnonzero(kind == k)  # positions in xmin order
        ia, local = _sweep(box_a, box_b[order[ranks]], reach, strict)
        found_a.append(ia)
        found_b.append(ranks[local])
    ia, rank = np.concatenate(found_a), np.concatenate(found_b)
    if len(found_a) > 1:
        sort = np.lexsort((rank, ia))
        ia, rank = ia[sort], rank[sort]
    jb = order[rank]
    if same:
        keep = ia < jb
        ia, jb = ia[keep], jb[keep]
    return ia, jb


def _sweep(box_a: F, box_b: F, reach: float, strict: bool) -> tuple[Ints, Ints]:
    """Pairs of ``a`` and ``b`` boxes (``b`` sorted by xmin) within ``reach``, as indices."""
    xmin_sorted = box_b[:, 0]
    widest = float(np.max(box_b[:, 2] - box_b[:, 0]))
    lo = np.searchsorted(xmin_sorted, box_a[:, 0] - reach - widest, side="left")
    hi = np.searchsorted(xmin_sorted, box_a[:, 2] + reach, side="right")
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    ia = np.repeat(np.arange(len(box_a), dtype=np.int64), counts)
    starts = np.repeat(lo - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    local = np.arange(total, dtype=np.int64) + starts
    a, b = box_a[ia], box_b[local]
    below = np.less if strict else np.less_equal
    near = (
        below(a[:, 0], b[:, 2] + reach)
        & below(b[:, 0], a[:, 2] + reach)
        & below(a[:, 1], b[:, 3] + reach)
        & below(b[:, 1], a[:, 3] + reach)
    )
    return ia[near], local[near]


def _edge_boxes(p0: F, p1: F) -> F:
    return np.concatenate([np.minimum(p0, p1), np.maximum(p0, p1)], axis=1)


def relation_pairs(
    first: Sequence[Poly],
    second: Sequence[Poly] | None,
    d: float,
    relation: Relation,
    *,
    intra: bool,
    inter: bool,
    shield: Sequence[Poly] = (),
    no_shielding: bool = False,
    metric: Metric = "euclidian",
) -> F:
    """All violating edge pairs under ``metric``, ``(n, 4, 2)`` float array in database units.

    ``second`` None means one layer (edges of ``first`` against each other); ``intra`` and
    ``inter`` select pairs within one polygon and between polygons. ``shield`` adds polygons
    whose edges only shield (neighbours of a local check).
    """
    a0, a1, ao = polygon_edges(first)
    if second is None:
        b0, b1 = a0, a1
    else:
        b0, b1, _ = polygon_edges(second)
    # KLayout's box scanner pairs edges whose boxes come closer than d on both axes, for
    # every metric: a square-metric region (stretched by d along a slanted edge) reaches
    # further, and what lies there is not reported -- by KLayout nor here.
    ia, jb = candidate_pairs(
        _edge_boxes(a0, a1), _edge_boxes(b0, b1), float(d), same=second is None, strict=True
    )
    if second is None:
        keep = np.zeros(len(ia), dtype=bool)
        if intra:
            keep |= ao[ia] == ao[jb]
        if inter:
            keep |= ao[ia] != ao[jb]
        ia, jb = ia[keep], jb[keep]
    if len(ia) == 0:
        return np.zeros((0, 4, 2))
    hit, pairs = edge_pairs(a0[ia], a1[ia], b0[jb], b1[jb], d, relation, metric)
    ia, jb, pairs = ia[hit], jb[hit], pairs[hit]
    if len(pairs) == 0 or no_shielding:
        return pairs
    # Shielding as KLayout measures it (0.30): on one layer every polygon shields; between
    # two layers KLayout checks each first-layer polygon with the second-layer polygons
    # around it, so those and the pair's own first-layer polygon shield, other first-layer
    # polygons do not (found by comparing with KLayout 0.30 on random layouts).
    # The pair's own two edges never shield it (by identity: a coincident edge of another
    # polygon does).
    group = None
    if second is None:
        s0, s1, _ = polygon_edges([*first, *shield])
        own_a, own_b = ia, jb
    else:
        s0, s1 = np.concatenate([a0, b0]), np.concatenate([a1, b1])
        own_a, own_b = ia, jb + len(a0)
        group = (np.concatenate([ao, np.full(len(b0), -1, dtype=np.int64)]), ao[ia])
    keep = _unshielded(pairs, own_a, own_b, s0, s1, group)
    return pairs[keep]


def _unshielded(
    pairs: F, own_a: Ints, own_b: Ints, s0: F, s1: F, group: tuple[Ints, Ints] | None = None
) -> NDArray[np.bool_]:
    """Mask of pairs that no third edge shields (``own_*``: indices of the pair's edges;
    ``group``: the polygon of each shielding edge (-1: any pair) and of each pair -- an
    edge of another polygon of the pair's group does not shield)."""
    boxes = np.concatenate([pairs.min(axis=1), pairs.max(axis=1)], axis=1)  # box of the quadrangle
    ip, jq = candidate_pairs(boxes, _edge_boxes(s0, s1), 0.0, same=False)
    if len(ip) == 0:
        return np.ones(len(pairs), dtype=bool)
    skip = (jq == own_a[ip]) | (jq == own_b[ip])
    if group is not None:
        edge_poly, pair_poly = group
        skip |= (edge_poly[jq] >= 0) & (edge_poly[jq] != pair_poly[ip])
    ip, q0, q1 = ip[~skip], s0[jq[~skip]], s1[jq[~skip]]
    hit = shielded(pairs[ip], q0, q1)
    keep = np.ones(len(pairs), dtype=bool)
    keep[ip[hit]] = False
    return keep


def width_pairs(polys: Sequence[Poly], d: float, metric: Metric = "euclidian") -> F:
    """KLayout ``width_check(d)``: inside distances within each polygon below ``d``."""
    return relation_pairs(polys, None, d, Relation.WIDTH, intra=True, inter=False, metric=metric)


def space_pairs(
    polys: Sequence[Poly], d: float, shield: Sequence[Poly] = (), metric: Metric = "euclidian"
) -> F:
    """KLayout ``space_check(d)``: gaps between and notches within polygons below ``d``."""
    return relation_pairs(
        polys, None, d, Relation.SPACE, intra=True, inter=True, shield=shield, metric=metric
    )


def separation_pairs(
    a: Sequence[Poly], b: Sequence[Poly], d: float, metric: Metric = "euclidian"
) -> F:
    """KLayout ``a.separation_check(b, d)``: gaps between the two layers below ``d``."""
    return relation_pairs(a, b, d, Relation.SPACE, intra=False, inter=True, metric=metric)


def enclosure_pairs(
    outer: Sequence[Poly], inner: Sequence[Poly], d: float, metric: Metric = "euclidian"
) -> F:
    """KLayout ``outer.enclosing_check(inner, d)``: ``inner`` enclosed by less than ``d``."""
    return relation_pairs(outer, inner, d, Relation.OVERLAP, intra=False, inter=True, metric=metric)
