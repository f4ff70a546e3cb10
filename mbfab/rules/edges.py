"""Edge-pair relations with KLayout's semantics, vectorised over many edge pairs.

Coordinates are integer database units (1 nm) held in ``float64`` arrays of shape ``(n, 2)``.
Polygons are oriented as KLayout orients them: hulls clockwise, holes counter-clockwise, so
the inside of a polygon always lies on the *right* of its edges.

The semantics follow KLayout's ``Region.width_check`` / ``space_check`` /
``separation_check`` / ``enclosing_check`` with its defaults (``ignore_angle`` 90 deg, no
projection limits, ``whole_edges`` off, shielding on, zero distance counted where edges
touch) and any of its three ``metrics``:

* Two edges are compared only when the angle between them is below 90 deg (after orienting
  them for the relation), so the facets of a circle, whose neighbours differ by a few
  degrees, never pair up, and neither do the two edges at a right-angle corner. Acute
  corners (< 90 deg) do pair up and are reported, exactly as KLayout does.
* For each edge ``e``, the part of the other edge lying on its checked side and *closer
  than* ``d`` is kept; a pair is reported when both parts are non-empty. Touching at exactly
  ``d`` is not a violation. "Closer" depends on the metric:

  - ``euclidian`` (KLayout's default): Euclidean distance to the segment ``e`` -- the
    region is ``e``'s rectangle of depth ``d`` plus half discs at its end points. Facets of
    a circle 90-180 deg apart face each other at a chord, so a faceted round post of
    diameter ``D`` reads narrower than ``D`` for rules above ``D sin 45 deg = 0.71 D``.
  - ``projection``: the perpendicular distance, only where the parts project onto each
    other -- the region is ``e``'s rectangle of depth ``d`` alone. A round post is measured
    across its diameter; corner-to-corner distances (no facing parts) are not measured.
  - ``square``: the rectangle extended by ``d`` beyond both end points of ``e``.
* A pair is dropped ("shielded") when a third edge crosses both connecting lines of the pair.
"""

from __future__ import annotations

from enum import Enum

import numpy as np
from numpy.typing import NDArray

from mbfab.rules.model import Metric

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


def _zero_counts(e0: F, e1: F, g0: F, g1: F, s1: F, s2: F) -> B:
    """KLayout's default zero-distance mode (include zero distance when touching): a
    distance of zero counts when ``g`` lies on ``e``'s line and touches ``e``, or has one
    end on it and touches ``e`` without being its neighbour in a chain (sharing an end)."""
    touch = _segments_touch(e0, e1, g0, g1)
    on_line = (s1 == 0) & (s2 == 0)
    chained = np.all(e0 == g1, axis=1) | np.all(e1 == g0, axis=1)
    one_end = ((s1 == 0) | (s2 == 0)) & ~chained
    return touch & (on_line | one_end)


def _inside(e0: F, e1: F, g0: F, g1: F) -> tuple[B, F, F, F, F]:
    """Clip ``g`` to the inside (right) of ``e``'s line (the first step of every metric).

    Returns ``(valid, thr, h0, h1, ed)``: ``valid`` where a part remains, ``thr`` the side
    threshold (0 where zero distance counts, else -1), ``h`` the clipped part, ``ed = e1 - e0``.
    """
    ed = e1 - e0
    valid = np.any(ed != 0, axis=1)
    s1, s2 = _side(e0, e1, g0), _side(e0, e1, g1)
    thr = np.where(_zero_counts(e0, e1, g0, g1, s1, s2), 0.0, -1.0)
    valid &= ~((s1 > thr) & (s2 > thr))
    gd = g1 - g0
    den = _cross(gd, ed)
    t_cut = _cross(e0 - g0, ed) / np.where(den != 0, den, 1.0)
    cut = g0 + round_half_away(gd * t_cut[:, None])
    cut_end = valid & (s2 > thr) & ~(s1 > thr)
    cut_start = valid & (s1 > thr) & ~(s2 > thr)
    h0 = np.where(cut_start[:, None], cut, g0)
    h1 = np.where(cut_end[:, None], cut, g1)
    return valid, thr, h0, h1, ed


def near_part(e0: F, e1: F, g0: F, g1: F, d: float, metric: Metric = "euclidian") -> tuple[B, F, F]:
    """Part of edge ``g`` on the inside (right) of edge ``e`` and closer than ``d`` to it
    under ``metric`` (see the module docstring).

    Returns ``(found, out0, out1)``; ``out`` holds the rounded end points of the part.
    """
    if metric == "projection":
        return _boxed_part(e0, e1, g0, g1, d, 0.0)
    if metric == "square":
        return _boxed_part(e0, e1, g0, g1, d, d)
    return _euclidian_part(e0, e1, g0, g1, d)


def _boxed_part(e0: F, e1: F, g0: F, g1: F, d: float, ext: float) -> tuple[B, F, F]:
    """Projection (``ext`` 0) and square (``ext`` = ``d``) metrics: the part of ``g`` inside
    the rectangle over ``e`` of depth ``d`` (open at that far side), stretched by ``ext``
    beyond both end points of ``e`` along its direction."""
    valid, thr, h0, h1, ed = _inside(e0, e1, g0, g1)
    hd = h1 - h0
    point = valid & np.all(hd == 0, axis=1)
    length = np.sqrt(np.maximum(_dot(ed, ed), 1e-300))
    reach = ext * length  # in units of |ed|^2 for the projections below
    # Signed (rounded) distance of a point from e's line: negative on the inside.
    signed = round_half_away(_cross(ed, h0 - e0) / length)
    along0 = _dot(h0 - e0, ed)  # where h0 projects onto e (times |ed|)
    along1 = _dot(e1 - h0, ed)
    within = (along0 >= -reach) & (along1 >= -reach)
    point_ok = point & (_side(e0, e1, h0) <= thr) & (signed > -d) & within

    body = valid & ~point
    parallel = _cross(ed, hd) == 0
    body &= ~(parallel & (np.abs(signed) >= d))
    # Non-parallel: g's parameters where it crosses e's line and the line at depth d.
    # Unit vectors as KLayout forms them (times 1/length: the rounding decides ties).
    inv = (1.0 / length)[:, None]
    en = np.stack([ed[:, 1], -ed[:, 0]], axis=1) * inv
    det = _cross(hd, ed)
    safe_det = np.where(det != 0, det, 1.0)
    lp1 = _cross(e0 + en * d - h0, ed) / safe_det
    lp2 = _cross(e0 - h0, ed) / safe_det
    tiny = np.finfo(np.float64).tiny  # as KLayout starts: the smallest positive double
    l1 = np.where(parallel, tiny, np.minimum(lp1, lp2))
    l2 = np.where(parallel, np.finfo(np.float64).max, np.maximum(lp1, lp2))
    # Along e: perpendicular g projects to one point, else clip to the end lines (+- ext).
    perpendicular = _dot(ed, hd) == 0
    body &= ~(perpendicular & ~within)
    ep = ed * inv
    det2 = _cross(hd, en)
    safe_det2 = np.where(det2 != 0, det2, 1.0)
    lt1 = _cross(e0 - h0 - ep * ext, en) / safe_det2
    lt2 = _cross(e1 - h0 + ep * ext, en) / safe_det2
    l1 = np.where(perpendicular, l1, np.maximum(l1, np.minimum(lt1, lt2)))
    l2 = np.where(perpendicular, l2, np.minimum(l2, np.maximum(lt1, lt2)))
    l1 = np.maximum(0.0, l1)
    l2 = np.minimum(1.0, l2)
    body_ok = body & (l1 < l2 - 1e-10)
    return _parts(h0, hd, g0, g1, point_ok, body_ok, l1, l2)


def _parts(h0: F, hd: F, g0: F, g1: F, point_ok: B, body_ok: B, l1: F, l2: F) -> tuple[B, F, F]:
    """End points ``h0 + hd * l`` (rounded) of the found parts; points stay points."""
    sel = body_ok[:, None]
    l1f = np.where(body_ok, l1, 0.0)[:, None]
    l2f = np.where(body_ok, l2, 1.0)[:, None]
    pt = point_ok[:, None]
    out0 = np.where(sel, h0 + round_half_away(hd * l1f), np.where(pt, h0, g0))
    out1 = np.where(sel, h0 + round_half_away(hd * l2f), np.where(pt, h0, g1))
    return point_ok | body_ok, out0, out1


def _euclidian_part(e0: F, e1: F, g0: F, g1: F, d: float) -> tuple[B, F, F]:
    """Euclidian metric: the part of ``g`` within ``d`` of the segment ``e``."""
    n = len(e0)
    valid, _, h0, h1, ed = _inside(e0, e1, g0, g1)
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
    return _parts(h0, hd, g0, g1, point_ok, body_ok, l1, l2)


def edge_pairs(
    a0: F, a1: F, b0: F, b1: F, d: float, relation: Relation, metric: Metric = "euclidian"
) -> tuple[B, F]:
    """Check edge ``a[i]`` against edge ``b[i]`` under ``metric``; return the violation mask
    and the pairs.

    The pairs come as an ``(n, 4, 2)`` array: first edge (p1, p2) then second edge (p1, p2),
    each the violating part of its input edge in the input orientation.
    """
    aa0, aa1 = (a1, a0) if relation is Relation.OVERLAP else (a0, a1)
    facing = _dot(aa1 - aa0, b1 - b0) < 0
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
