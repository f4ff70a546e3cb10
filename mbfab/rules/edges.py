"""Edge-pair relations with KLayout's semantics, vectorised over many edge pairs.

Coordinates are integer database units (1 nm) held in ``float64`` arrays of shape ``(n, 2)``.
Polygons are oriented as KLayout orients them: hulls clockwise, holes counter-clockwise, so
the inside of a polygon always lies on the *right* of its edges.

The semantics follow KLayout's ``Region.width_check`` / ``space_check`` /
``separation_check`` / ``enclosing_check`` with their defaults (Euclidian metric,
``ignore_angle`` 90 deg, no projection limits, shielding on):

* Two edges are compared only when the angle between them is below 90 deg (after orienting
  them for the relation), so the facets of a circle, whose neighbours differ by a few
  degrees, never pair up, and neither do the two edges at a right-angle corner. Acute
  corners (< 90 deg) do pair up and are reported, exactly as KLayout does.
* For each edge, the part of the other edge lying on its checked side and *closer than*
  ``d`` (Euclidean distance to the segment, strictly less) is kept; a pair is reported when
  both parts are non-empty. Touching at exactly ``d`` is not a violation.
* A pair is dropped ("shielded") when a third edge crosses both connecting lines of the pair.
"""

from __future__ import annotations

from enum import Enum

import numpy as np
from numpy.typing import NDArray

__all__ = ["Relation", "edge_pairs", "near_part", "round_half_away", "shielded"]

F = NDArray[np.float64]
B = NDArray[np.bool_]


class Relation(Enum):
    """How the two edges of a pair face each other (KLayout's ``edge_relation_type``)."""

    WIDTH = "width"  # same polygon, inside faces inside
    SPACE = "space"  # outsides face each other (space, notch, separation)
    OVERLAP = "overlap"  # first (outer) encloses second (inner): enclosing_check


def round_half_away(values: F) -> F:
    """KLayout's coordinate rounding: halves go away from zero."""
    return np.where(values > 0, np.floor(values + 0.5), np.ceil(values - 0.5))


def _cross(a: F, b: F) -> F:
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def _dot(a: F, b: F) -> F:
    return a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1]


def _side(p0: F, p1: F, q: F) -> F:
    """+1 when ``q`` is left of the edge ``p0 -> p1``, -1 right, 0 on its line."""
    return np.sign(_cross(p1 - p0, q - p0))


def _segments_touch(a0: F, a1: F, b0: F, b1: F) -> B:
    """True when the closed segments share at least one point."""
    d1, d2 = _side(a0, a1, b0), _side(a0, a1, b1)
    d3, d4 = _side(b0, b1, a0), _side(b0, b1, a1)
    proper = (d1 * d2 <= 0) & (d3 * d4 <= 0)
    collinear = (d1 == 0) & (d2 == 0)
    lo_a, hi_a = np.minimum(a0, a1), np.maximum(a0, a1)
    lo_b, hi_b = np.minimum(b0, b1), np.maximum(b0, b1)
    boxes = np.all((lo_a <= hi_b) & (lo_b <= hi_a), axis=-1)
    return np.where(collinear, boxes, proper & boxes)


def near_part(e0: F, e1: F, g0: F, g1: F, d: float) -> tuple[B, F, F]:
    """Part of edge ``g`` on the inside (right) of edge ``e`` and closer than ``d`` to it.

    Returns ``(found, out0, out1)``; ``out`` holds the rounded end points of the part.
    """
    n = len(e0)
    found = np.zeros(n, dtype=bool)
    out0, out1 = g0.copy(), g1.copy()
    ed = e1 - e0
    valid = np.any(ed != 0, axis=1)
    s1, s2 = _side(e0, e1, g0), _side(e0, e1, g1)
    # Zero distance counts only where the edges touch (KLayout's default zero-distance mode).
    thr = np.where(_segments_touch(e0, e1, g0, g1), 0.0, -1.0)
    valid &= ~((s1 > thr) & (s2 > thr))
    gd = g1 - g0
    den = _cross(gd, ed)
    t_cut = _cross(e0 - g0, ed) / np.where(den != 0, den, 1.0)
    cut = g0 + round_half_away(gd * t_cut[:, None])
    cut_end = valid & (s2 > thr) & ~(s1 > thr)
    cut_start = valid & (s1 > thr) & ~(s2 > thr)
    h0 = np.where(cut_start[:, None], cut, g0)
    h1 = np.where(cut_end[:, None], cut, g1)
    hd = h1 - h0
    point = valid & np.all(hd == 0, axis=1)
    a_e = _dot(ed, ed)
    safe_a_e = np.where(a_e > 0, a_e, 1.0)

    # A single point of g: inside e's d-neighbourhood and strictly on the inside.
    pb = _dot(e0 - h0, ed)
    pc = _dot(e0 - h0, e0 - h0) - d * d
    ps = pb * pb - a_e * pc
    root = np.sqrt(np.maximum(ps, 0.0))
    pl1 = np.maximum(0.0, (-pb - root) / safe_a_e)
    pl2 = np.minimum(1.0, (-pb + root) / safe_a_e)
    point_ok = point & (_side(e0, e1, h0) < 0) & (ps >= 0) & (pl1 <= pl2)
    found |= point_ok

    body = valid & ~point
    l1 = np.full(n, np.inf)
    l2 = np.full(n, -np.inf)
    a_h = _dot(hd, hd)
    safe_a_h = np.where(a_h > 0, a_h, 1.0)
    length = np.sqrt(safe_a_e)
    parallel = _cross(ed, hd) == 0
    # Parallel edges: g lies in e's strip when its (rounded) distance is below d; the body
    # part is then e projected onto g.
    dist = np.abs(round_half_away(_cross(h0 - e0, ed) / length))
    par = body & parallel & (dist < d)
    body &= ~(parallel & ~par)
    tp1 = _dot(e0 - h0, hd) / safe_a_h
    tp2 = _dot(e1 - h0, hd) / safe_a_h
    l1 = np.where(par, np.minimum(tp1, tp2), l1)
    l2 = np.where(par, np.maximum(tp1, tp2), l2)
    # Non-parallel: intersection of g with the rectangle e x [0, d] on the inside.
    en = np.stack([ed[:, 1], -ed[:, 0]], axis=1) / length[:, None]
    e1d = e0 + en * d
    det = _cross(hd, ed)
    safe_det = np.where(det != 0, det, 1.0)
    lp1 = _cross(e1d - h0, ed) / safe_det
    lp2 = _cross(e0 - h0, ed) / safe_det
    lp_lo, lp_hi = np.minimum(lp1, lp2), np.maximum(lp1, lp2)
    perpendicular = _dot(ed, hd) == 0
    straddles = _side(h0, h1, e0) * _side(h0, h1, e1) <= 0
    slanted = body & ~parallel
    use_perp = slanted & perpendicular & straddles
    l1 = np.where(use_perp, lp_lo, l1)
    l2 = np.where(use_perp, lp_hi, l2)
    det2 = _cross(hd, en)
    safe_det2 = np.where(det2 != 0, det2, 1.0)
    lt1 = _cross(e0 - h0, en) / safe_det2
    lt2 = _cross(e1 - h0, en) / safe_det2
    ll1 = np.maximum(lp_lo, np.minimum(lt1, lt2))
    ll2 = np.minimum(lp_hi, np.maximum(lt1, lt2))
    use_slab = slanted & ~perpendicular & (ll1 <= ll2)
    l1 = np.where(use_slab, ll1, l1)
    l2 = np.where(use_slab, ll2, l2)
    # Circles of radius d around e's end points.
    for o in (e0, e1):
        cb = _dot(h0 - o, hd)
        cc = _dot(h0 - o, h0 - o) - d * d
        cs = cb * cb - a_h * cc
        ok = body & (cs >= 0)
        r = np.sqrt(np.maximum(cs, 0.0))
        l1 = np.where(ok, np.minimum(l1, (-cb - r) / safe_a_h), l1)
        l2 = np.where(ok, np.maximum(l2, (-cb + r) / safe_a_h), l2)
    l1 = np.maximum(0.0, l1)
    l2 = np.minimum(1.0, l2)
    body_ok = body & (l1 < l2)
    found |= body_ok
    sel = body_ok[:, None]
    l1f = np.where(body_ok, l1, 0.0)[:, None]
    l2f = np.where(body_ok, l2, 1.0)[:, None]
    out0 = np.where(sel, h0 + round_half_away(hd * l1f), np.where(point_ok[:, None], h0, out0))
    out1 = np.where(sel, h0 + round_half_away(hd * l2f), np.where(point_ok[:, None], h0, out1))
    return found, out0, out1


def edge_pairs(a0: F, a1: F, b0: F, b1: F, d: float, relation: Relation) -> tuple[B, F]:
    """Check edge ``a[i]`` against edge ``b[i]``; return the violation mask and the pairs.

    The pairs come as an ``(n, 4, 2)`` array: first edge (p1, p2) then second edge (p1, p2),
    each the violating part of its input edge in the input orientation.
    """
    aa0, aa1 = (a1, a0) if relation is Relation.OVERLAP else (a0, a1)
    facing = _dot(aa1 - aa0, b1 - b0) < 0
    an0, an1 = (a1, a0) if relation is Relation.SPACE else (a0, a1)
    bn0, bn1 = (b1, b0) if relation in (Relation.SPACE, Relation.OVERLAP) else (b0, b1)
    in2, s0, s1 = near_part(an0, an1, bn0, bn1, d)
    in1, f0, f1 = near_part(bn0, bn1, an0, an1, d)
    hit = facing & in1 & in2
    if relation is Relation.SPACE:
        f0, f1 = f1, f0
    if relation in (Relation.SPACE, Relation.OVERLAP):
        s0, s1 = s1, s0
    return hit, np.stack([f0, f1, s0, s1], axis=1)


def shielded(pairs: F, q0: F, q1: F) -> B:
    """For each pair ``k`` and edge ``q[k]``: does ``q`` cross both connecting lines?

    ``pairs`` is ``(n, 4, 2)`` as returned by :func:`edge_pairs`. The pair is first
    normalised so that the two edges run against each other (KLayout's ``normalized``).
    """
    f0, f1, s0, s1 = pairs[:, 0], pairs[:, 1], pairs[:, 2], pairs[:, 3]
    same = _dot(f1 - f0, s1 - s0) > 0
    s0, s1 = np.where(same[:, None], s1, s0), np.where(same[:, None], s0, s1)
    # Connecting lines of the quadrangle f0 -> f1 -> s0 -> s1.
    c10, c11 = f0, s1
    c20, c21 = s0, f1
    hit1 = _segments_touch(c10, c11, q0, q1)
    hit2 = _segments_touch(c20, c21, q0, q1)
    both = hit1 & hit2
    # A single shared point does not shield unless q leaves both lines.
    p1 = _intersection(c10, c11, q0, q1)
    p2 = _intersection(c20, c21, q0, q1)
    distinct = np.any(p1 != p2, axis=1)
    off_lines = (_side(c10, c11, q0) != 0) & (_side(c20, c21, q1) != 0)
    return both & (distinct | off_lines)


def _intersection(a0: F, a1: F, b0: F, b1: F) -> F:
    ad, bd = a1 - a0, b1 - b0
    den = _cross(ad, bd)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(den != 0, _cross(b0 - a0, bd) / np.where(den != 0, den, 1.0), 0.0)
    # Collinear overlaps: take the first end point of q inside a (both lines see the same).
    point = a0 + round_half_away(ad * t[:, None])
    return np.where((den == 0)[:, None], b0, point)
