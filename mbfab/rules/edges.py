"""Edge-pair relations with KLayout's semantics, vectorised over many edge pairs.

Coordinates are integer database units (1 nm) held in ``float64`` arrays of shape ``(n, 2)``.
Polygons are oriented as KLayout orients them: hulls clockwise, holes counter-clockwise, so
the inside of a polygon always lies on the *right* of its edges.

The semantics are KLayout's ``EdgeRelationFilter`` (``Region.width_check`` /
``space_check`` / ``separation_check`` / ``enclosing_check``) with its defaults
(``ignore_angle`` 90 deg, no projection limits, ``whole_edges`` off, shielding on, zero
distance counted where the edges touch) under any of its three ``metrics``, computed step for
step in the same floating-point operations, so the parts reported agree to the grid point:

* Two edges are compared only when the angle between them is below 90 deg (after orienting
  them for the relation), so the facets of a circle never pair up, and neither do the two
  edges at a right-angle corner. Acute corners do pair up, as in KLayout.
* For each edge ``e``, the part of the other edge ``g`` on ``e``'s checked side (cut at
  ``e``'s line, the cut rounded to the grid) that lies closer than ``d`` is kept; a pair is
  reported when both parts exist -- possibly a single point, where the edges touch. "Closer"
  depends on the metric:

  - ``euclidian`` (KLayout's default): Euclidean distance to the segment ``e`` -- ``e``'s
    rectangle of depth ``d`` plus half discs at its end points. Facets of a circle 90-180
    deg apart face each other at a chord, so a faceted round post of diameter ``D`` reads
    narrower than ``D`` for rules above ``D sin 45 deg = 0.71 D``.
  - ``projection``: the perpendicular distance, only where the parts project onto each
    other -- ``e``'s rectangle of depth ``d`` alone. A round post is measured across its
    diameter; corner-to-corner distances are not measured.
  - ``square``: the rectangle extended by ``d`` beyond both end points of ``e``.
* Zero distance counts when ``g`` lies on ``e``'s line and touches ``e``, or has one end on
  it and touches ``e`` without continuing it (sharing an end the other way round).
* A pair is dropped ("shielded") when a third edge crosses both connecting lines of the pair.
"""

from __future__ import annotations

from enum import Enum

import numpy as np
from numpy.typing import NDArray

from mbfab.layout.polygons import crossing_points
from mbfab.rules.model import Metric

__all__ = ["Relation", "edge_pairs", "near_part", "round_half_away", "shielded"]

F = NDArray[np.float64]
B = NDArray[np.bool_]
EPS = 1e-10  # KLayout's epsilon
BIG = np.finfo(np.float64).max


class Relation(Enum):
    """How the two edges of a pair face each other (KLayout's ``edge_relation_type``)."""

    WIDTH = "width"  # same polygon, inside faces inside
    SPACE = "space"  # outsides face each other (space, notch, separation)
    OVERLAP = "overlap"  # first (outer) encloses second (inner): enclosing_check


def round_half_away(values: F) -> F:
    """KLayout's coordinate rounding: halves away from zero."""
    return np.where(values > 0, np.trunc(values + 0.5), np.trunc(values - 0.5))


def _cmin(a: F, b: F) -> F:
    """``std::min(a, b)``: ``b`` only where it is smaller (a NaN ``b`` is ignored)."""
    return np.where(b < a, b, a)


def _cmax(a: F, b: F) -> F:
    """``std::max(a, b)``: ``b`` only where ``a`` is smaller (a NaN ``b`` is ignored)."""
    return np.where(a < b, b, a)


def _cross(a: F, b: F) -> F:
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def _dot(a: F, b: F) -> F:
    return a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1]


def _sign(v: F) -> F:
    return np.sign(v)


def _side(p0: F, p1: F, q: F) -> F:
    """+1 when ``q`` is left of the edge ``p0 -> p1``, -1 right, 0 on its line (0 for a
    degenerate edge); exact for integer coordinates."""
    i0, i1, iq = p0.astype(np.int64), p1.astype(np.int64), q.astype(np.int64)
    d, w = i1 - i0, iq - i0
    return np.sign(d[:, 0] * w[:, 1] - d[:, 1] * w[:, 0]).astype(np.float64)


def _length(d: F) -> F:
    return np.sqrt(d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1])


def _degenerate(p0: F, p1: F) -> B:
    return np.all(p0 == p1, axis=1)


def _contains(e0: F, e1: F, p: F) -> B:
    """KLayout's ``Edge::contains``: within half a unit of the segment (a point: equal)."""
    d = e1 - e0
    axb = _cross(d, p - e0)
    length = _length(d)
    with np.errstate(divide="ignore", invalid="ignore"):
        near = np.trunc(np.abs(axb) / length + 0.5) < 1.0
    inside = (_dot(p - e0, d) >= 0) & (_dot(p - e1, -d) >= 0)
    return np.where(_degenerate(e0, e1), np.all(e0 == p, axis=1), near & inside)


def _intersect(a0: F, a1: F, b0: F, b1: F) -> B:
    """KLayout's ``Edge::intersect``: the edges share a point (degenerate ones: contained)."""
    lo_a, hi_a = np.minimum(a0, a1), np.maximum(a0, a1)
    lo_b, hi_b = np.minimum(b0, b1), np.maximum(b0, b1)
    boxes = np.all((lo_a <= hi_b) & (lo_b <= hi_a), axis=1)
    da, db = a1 - a0, b1 - b0
    ortho = ((da[:, 0] == 0) | (da[:, 1] == 0)) & ((db[:, 0] == 0) | (db[:, 1] == 0))
    # crossed_by: the other edge's ends on both sides of (or on) the line.
    cross_a = _side(a0, a1, b0) * _side(a0, a1, b1) <= 0
    cross_b = _side(b0, b1, a0) * _side(b0, b1, a1) <= 0
    general = boxes & (ortho | (cross_a & cross_b))
    deg_a, deg_b = _degenerate(a0, a1), _degenerate(b0, b1)
    return np.where(deg_a, _contains(b0, b1, a0), np.where(deg_b, _contains(a0, a1, b0), general))


def _include_zero(e0: F, e1: F, g0: F, g1: F) -> B:
    """KLayout's zero distance mode "when touching": on ``e``'s line and touching it, or with
    one end on it, touching, and not continuing it end to end."""
    s1, s2 = _side(e0, e1, g0), _side(e0, e1, g1)
    touch = _intersect(e0, e1, g0, g1)
    collinear = (s1 == 0) & (s2 == 0)
    chained = np.all(e0 == g1, axis=1) | np.all(e1 == g0, axis=1)
    one_end = ((s1 == 0) | (s2 == 0)) & ~chained
    return touch & (collinear | one_end)


def _distance(e0: F, e1: F, p: F) -> F:
    """KLayout's ``Edge::distance``: signed distance of ``p`` from ``e``'s line (negative on
    the right), rounded to the grid; 0 for a degenerate edge."""
    d = e1 - e0
    with np.errstate(divide="ignore", invalid="ignore"):
        value = round_half_away(_cross(d, p - e0) / _length(d))
    return np.where(_degenerate(e0, e1), 0.0, value)


def _clip(e0: F, e1: F, g0: F, g1: F) -> tuple[B, F, F, F]:
    """Keep the part of ``g`` on the inside (right) of ``e``'s line -- or on it, where zero
    distance counts. Returns ``(valid, thr, h0, h1)``."""
    deg_e = _degenerate(e0, e1)
    on_point = np.where(_contains(g0, g1, e0), 0.0, -1.0)
    s1 = np.where(deg_e, on_point, _side(e0, e1, g0))
    s2 = np.where(deg_e, on_point, _side(e0, e1, g1))
    thr = np.where(_include_zero(e0, e1, g0, g1), 0.0, -1.0)
    valid = ~((s1 > thr) & (s2 > thr))
    # KLayout's cut point: where g's line crosses e's line, found along e and rounded.
    ed, gd = e1 - e0, g1 - g0
    vps = _cross(ed, gd)
    pr1 = _cross(e0 - g0, gd)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(vps != 0, pr1 / np.where(vps != 0, vps, 1.0), 0.0)
    cut = np.where((vps != 0)[:, None], e0 - round_half_away(ed * t[:, None]), 0.0)
    cut_end = valid & (s2 > thr)
    cut_start = valid & ~cut_end & (s1 > thr)
    h0 = np.where(cut_start[:, None], cut, g0)
    h1 = np.where(cut_end[:, None], cut, g1)
    return valid, thr, h0, h1


def _output(h0: F, h1: F, l1: F, l2: F) -> tuple[F, F]:
    hd = h1 - h0
    return h0 + round_half_away(hd * l1[:, None]), h0 + round_half_away(hd * l2[:, None])


def _circle(o: F, h0: F, hd: F, d: float) -> tuple[F, F, B]:
    """Where ``h0 + l hd`` lies within ``d`` of ``o``: ``(-b - sqrt s, -b + sqrt s, s ok)``."""
    a = _dot(hd, hd)
    with np.errstate(divide="ignore", invalid="ignore"):
        b = _dot(h0 - o, hd) / a
        c = (_dot(h0 - o, h0 - o) - float(d) * float(d)) / a
        s = b * b - c
        root = np.sqrt(np.where(s >= 0, s, np.nan))
    return -b - root, -b + root, s >= -EPS


def near_part(e0: F, e1: F, g0: F, g1: F, d: float, metric: Metric = "euclidian") -> tuple[B, F, F]:
    """Part of edge ``g`` on the inside (right) of edge ``e`` and closer than ``d`` to it
    under ``metric`` (KLayout's ``*_near_part_of_edge``).

    Returns ``(found, out0, out1)``; ``out`` holds the rounded end points of the part.
    """
    if metric == "euclidian":
        return _euclidian_part(e0, e1, g0, g1, d)
    return _boxed_part(e0, e1, g0, g1, d, d if metric == "square" else 0.0)


def _euclidian_part(e0: F, e1: F, g0: F, g1: F, d: float) -> tuple[B, F, F]:
    valid, thr, h0, h1 = _clip(e0, e1, g0, g1)
    hd, ed = h1 - h0, e1 - e0
    deg_e = _degenerate(e0, e1)
    point = _degenerate(h0, h1)
    with np.errstate(divide="ignore", invalid="ignore"):
        # A point of g: within d of e (a circle test along e) and on its inside.
        a = _dot(ed, ed)
        pb = _dot(e0 - h0, ed) / a
        pc = (_dot(e0 - h0, e0 - h0) - float(d) * float(d)) / a
        ps = pb * pb - pc
        root = np.sqrt(np.where(ps >= 0, ps, np.nan))
        pl1 = _cmax(np.zeros_like(pb), -pb - root)
        pl2 = _cmin(np.ones_like(pb), -pb + root)
    point_to_point = np.hypot(*(e0 - h0).T) < float(d)
    point_ok = np.where(
        deg_e, point_to_point, (_side(e0, e1, h0) <= thr) & (ps >= -EPS) & ~(pl1 > pl2)
    )
    point_ok &= valid & point
    # Body interactions (projected), then the circles around e's ends.
    body = valid & ~point
    l1 = np.full(len(e0), BIG)
    l2 = np.full(len(e0), -BIG)
    parallel = _cross(ed, hd) == 0
    body &= ~(parallel & (np.abs(_distance(e0, e1, h0)) >= float(d)))
    with np.errstate(divide="ignore", invalid="ignore"):
        ef = 1.0 / _length(ed)
        en = np.stack([ef * ed[:, 1], -ef * ed[:, 0]], axis=1)
        e1d = e0 + en * float(d)
        det = _cross(hd, ed)
        lp1 = _cross(e1d - h0, ed) / det
        lp2 = _cross(e0 - h0, ed) / det
        lp1, lp2 = np.minimum(lp1, lp2), np.maximum(lp1, lp2)
        perpendicular = _dot(ed, hd) == 0
        straddles = _side(h0, h1, e0) * _side(h0, h1, e1) <= 0
        det2 = _cross(hd, en)
        lt1 = _cross(e0 - h0, en) / det2
        lt2 = _cross(e1 - h0, en) / det2
        lt1, lt2 = np.minimum(lt1, lt2), np.maximum(lt1, lt2)
    ll1, ll2 = _cmax(lp1, lt1), _cmin(lp2, lt2)
    slanted = ~parallel
    use_perp = slanted & perpendicular & straddles
    use_slab = slanted & ~perpendicular & ~(ll1 > ll2)
    l1 = np.where(use_perp, lp1, np.where(use_slab, ll1, l1))
    l2 = np.where(use_perp, lp2, np.where(use_slab, ll2, l2))
    for o in (e0, e1):
        c1, c2, ok = _circle(o, h0, hd, d)
        l1 = np.where(ok, _cmin(l1, c1), l1)
        l2 = np.where(ok, _cmax(l2, c2), l2)
    l1 = _cmax(np.zeros_like(l1), l1)
    l2 = _cmin(np.ones_like(l2), l2)
    body &= ~(l1 > l2 - EPS)
    return _parts(h0, h1, g0, g1, point_ok, body, l1, l2)


def _boxed_part(e0: F, e1: F, g0: F, g1: F, d: float, dd: float) -> tuple[B, F, F]:
    """Projection (``dd`` 0) and square (``dd`` = ``d``) metrics."""
    valid, thr, h0, h1 = _clip(e0, e1, g0, g1)
    hd, ed = h1 - h0, e1 - e0
    deg_e = _degenerate(e0, e1)
    point = _degenerate(h0, h1)
    length = _length(ed)
    reach = dd * length
    before = _dot(h0 - e0, ed) < -reach
    after = _dot(e1 - h0, ed) < -reach
    point_ok = np.where(
        deg_e,
        np.hypot(*(e0 - h0).T) < float(d),
        (_side(e0, e1, h0) <= thr) & ~before & ~after & ~(_distance(e0, e1, h0) <= -float(d)),
    )
    point_ok &= valid & point
    body = valid & ~point
    l1 = np.full(len(e0), np.finfo(np.float64).min)
    l2 = np.full(len(e0), BIG)
    parallel = _cross(ed, hd) == 0
    body &= ~(parallel & (np.abs(_distance(e0, e1, h0)) >= float(d)))
    with np.errstate(divide="ignore", invalid="ignore"):
        ef = np.where(deg_e, 0.0, 1.0 / length)
        ep = np.stack([ef * ed[:, 0], ef * ed[:, 1]], axis=1)
        en = np.stack([ef * ed[:, 1], -ef * ed[:, 0]], axis=1)
        e1d = e0 + en * float(d)
        det = _cross(hd, ed)
        lp1 = _cross(e1d - h0, ed) / det
        lp2 = _cross(e0 - h0, ed) / det
    l1 = np.where(parallel, l1, np.minimum(lp1, lp2))
    l2 = np.where(parallel, l2, np.maximum(lp1, lp2))
    perpendicular = _dot(ed, hd) == 0
    body &= ~(perpendicular & (before | after))
    with np.errstate(divide="ignore", invalid="ignore"):
        lc = _dot(e0 - h0, hd) / _dot(hd, hd)
        dl = dd / _length(hd)
        det2 = _cross(hd, en)
        lt1 = _cross(e0 - h0 - ep * dd, en) / det2
        lt2 = _cross(e1 - h0 + ep * dd, en) / det2
    lt1, lt2 = np.minimum(lt1, lt2), np.maximum(lt1, lt2)
    l1 = np.where(perpendicular, lc - dl, _cmax(l1, lt1))
    l2 = np.where(perpendicular, lc + dl, _cmin(l2, lt2))
    l1 = _cmax(np.zeros_like(l1), l1)
    l2 = _cmin(np.ones_like(l2), l2)
    empty = np.where(perpendicular, l1 > l2 + EPS, l1 > l2 - EPS)
    body &= ~empty
    return _parts(h0, h1, g0, g1, point_ok, body, l1, l2)


def _parts(h0: F, h1: F, g0: F, g1: F, point_ok: B, body_ok: B, l1: F, l2: F) -> tuple[B, F, F]:
    """End points of the found parts; points stay points."""
    l1f = np.where(body_ok, l1, 0.0)
    l2f = np.where(body_ok, l2, 1.0)
    b0, b1 = _output(h0, h1, l1f, l2f)
    sel, pt = body_ok[:, None], point_ok[:, None]
    out0 = np.where(sel, b0, np.where(pt, h0, g0))
    out1 = np.where(sel, b1, np.where(pt, h0, g1))
    return point_ok | body_ok, out0, out1


def edge_pairs(
    a0: F, a1: F, b0: F, b1: F, d: float, relation: Relation, metric: Metric = "euclidian"
) -> tuple[B, F]:
    """Check edge ``a[i]`` against edge ``b[i]`` under ``metric``; return the violation mask
    and the pairs.

    The pairs come as an ``(n, 4, 2)`` array: first edge (p1, p2) then second edge (p1, p2),
    each the violating part of its input edge in the input orientation.
    """
    aa0, aa1 = (a1, a0) if relation is Relation.OVERLAP else (a0, a1)
    dots = _degenerate(a0, a1) | _degenerate(b0, b1)
    facing = dots | (_dot(aa1 - aa0, b1 - b0) < 0)
    an0, an1 = (a1, a0) if relation is Relation.SPACE else (a0, a1)
    bn0, bn1 = (b1, b0) if relation in (Relation.SPACE, Relation.OVERLAP) else (b0, b1)
    in2, s0, s1 = near_part(an0, an1, bn0, bn1, d, metric)
    in1, f0, f1 = near_part(bn0, bn1, an0, an1, d, metric)
    hit = facing & in1 & in2
    if relation is Relation.SPACE:
        f0, f1 = f1, f0
    if relation in (Relation.SPACE, Relation.OVERLAP):
        s0, s1 = s1, s0
    return hit, np.stack([f0, f1, s0, s1], axis=1)


def _normalized(pairs: F) -> tuple[F, F, F, F]:
    """KLayout's ``EdgePair::normalized``: the two edges oriented to run against each other
    around the pair's quadrangle."""
    f0, f1, s0, s1 = (pairs[:, k].astype(np.int64) for k in range(4))

    def vp(a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.int64]:
        return a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]

    a1 = vp(f1 - s1, f0 - s0)
    a2 = vp(f0 - s1, f1 - s0)
    flip = np.abs(a2) > np.abs(a1)
    f0, f1 = np.where(flip[:, None], f1, f0), np.where(flip[:, None], f0, f1)
    a1 = np.where(flip, a2, a1)
    negative = a1 < 0
    zero = a1 == 0
    fd, sd = f1 - f0, s1 - s0
    same = zero & ((fd[:, 0] * sd[:, 0] + fd[:, 1] * sd[:, 1]) > 0)
    f0, f1 = np.where(same[:, None], f1, f0), np.where(same[:, None], f0, f1)
    left = zero & ((vp(f1 - f0, s0 - f0) > 0) | (vp(s1 - s0, f0 - s0) > 0))
    both = negative | left
    f0, f1 = np.where(both[:, None], f1, f0), np.where(both[:, None], f0, f1)
    s0, s1 = np.where(both[:, None], s1, s0), np.where(both[:, None], s0, s1)
    return (x.astype(np.float64) for x in (f0, f1, s0, s1))  # type: ignore[return-value]


def shielded(pairs: F, q0: F, q1: F) -> B:
    """For each pair ``k`` and edge ``q[k]``: does ``q`` shield the pair (KLayout: it meets
    both connecting lines of the normalised pair, at different points or leaving both)?"""
    f0, f1, s0, s1 = _normalized(pairs)
    c10, c11 = f0, s1  # first.p1 -> second.p2
    c20, c21 = s0, f1  # second.p1 -> first.p2
    hit1, p1 = crossing_points(c10, c11, q0, q1)
    hit2, p2 = crossing_points(c20, c21, q0, q1)
    distinct = np.any(p1 != p2, axis=1)
    off_lines = (_side(c10, c11, q0) != 0) & (_side(c20, c21, q1) != 0)
    return hit1 & hit2 & (distinct | off_lines)
