"""Width, space, separation and enclosure over :class:`~mbfab.rules.index.Shapes`.

Each distinct local situation is checked once: a prototype for width and notches, a
(prototype, prototype, displacement) triple for gaps between instances, and -- only where a
violation was found -- each distinct neighbourhood for KLayout's shielding. Results are
groups ``(pairs, anchors)``: edge pairs relative to an anchor instance, and the indices of
every anchor instance where they occur.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from mbfab.layout.compaction import compact_edges
from mbfab.layout.polygons import Poly
from mbfab.rules.edges import Relation
from mbfab.rules.index import Shapes, near_pairs
from mbfab.rules.model import Metric
from mbfab.rules.pairs import relation_pairs

__all__ = ["Group", "as_checked", "edge_rule_groups"]

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
Group = tuple[F64, I64]


def _shift(poly: Poly, dx: float, dy: float = 0.0) -> Poly:
    return [ring + np.array([dx, dy], dtype=np.int64) for ring in poly]


def _span(polys: Sequence[Poly]) -> int:
    """How far from the origin the polygons reach (a polygon merged away has no rings)."""
    reach = [int(np.abs(ring).max()) for poly in polys for ring in poly if len(ring)]
    return max(reach, default=0) + 1


def _batched(
    items: Sequence[tuple[Poly, Poly | None]],
    d: float,
    relation: Relation,
    *,
    intra: bool,
    inter: bool,
    metric: Metric,
) -> list[F64]:
    """Run a one-layer relation on many small independent cases in one vectorised call.

    Case ``k`` is moved to x = k * stride so that cases never meet; pairs are split back by
    their x position. ``(a, None)`` checks ``a`` alone (width, notch); ``(a, b)`` checks the
    two polygons against each other.
    """
    if not items:
        return []
    flat = [p for a, b in items for p in (a, b) if p is not None]
    stride = 2 * _span(flat) + 4 * int(np.ceil(d)) + 8
    firsts: list[Poly] = []
    for k, (a, b) in enumerate(items):
        firsts.append(_shift(a, k * stride))
        if b is not None:
            firsts.append(_shift(b, k * stride))
    pairs = relation_pairs(firsts, None, d, relation, intra=intra, inter=inter, metric=metric)
    return _split(pairs, stride, len(items))


def _split(pairs: F64, stride: int, n: int) -> list[F64]:
    out: list[F64] = [np.zeros((0, 4, 2)) for _ in range(n)]
    if len(pairs):
        case = np.floor((pairs[:, 0, 0] + stride / 2) / stride).astype(np.int64)
        for k in np.unique(case):
            sel = pairs[case == k].copy()
            sel[:, :, 0] -= k * stride
            out[int(k)] = sel
    return out


def edge_rule_groups(
    kind: str,
    first: Shapes,
    second: Shapes | None,
    d_dbu: float,
    anchors: NDArray[np.bool_] | None = None,
    metric: Metric = "euclidian",
) -> list[Group]:
    """Violating edge pairs of one rule under ``metric``, grouped by anchor instances (all
    in dbu).

    ``anchors`` (one layer rules) limits the result to pairs anchored at those instances;
    the others are present as neighbours only.
    """
    keep = np.ones(len(first), dtype=bool) if anchors is None else anchors
    if kind == "width":  # KLayout checks widths polygon by polygon, edges as they are
        return _width(first, d_dbu, keep, metric)
    # KLayout merges a polygon locally with the others near it (within the distance for
    # space; overlapping boxes for two layers) and checks the edges that merge leaves.
    first = as_checked(first, d_dbu if kind == "space" else 0.0)
    if kind == "space":
        return _space(first, d_dbu, keep, metric)
    assert second is not None
    relation = Relation.OVERLAP if kind == "enclosure" else Relation.SPACE
    return _two_layers(first, second, d_dbu, relation, metric)


def _nearly_collinear(poly: Poly) -> bool:
    """Some two edges that meet turn by less than a unit over the shorter one (screened
    cheaply: neighbours along a ring, or any outline passing a vertex twice)."""
    if not poly:  # a prototype merged away
        return False
    points = np.concatenate(poly)
    if len(np.unique(points, axis=0)) < len(points):
        return True
    for ring in poly:
        d = np.roll(ring, -1, axis=0) - ring
        nxt = np.roll(d, -1, axis=0)
        turn = np.abs((d[:, 0] * nxt[:, 1] - d[:, 1] * nxt[:, 0]).astype(np.float64))
        lengths = np.hypot(d[:, 0], d[:, 1])
        if np.any(turn < np.minimum(lengths, np.roll(lengths, -1))):
            return True
    return False


def as_checked(sh: Shapes, reach: float) -> Shapes:
    """The layer as KLayout's checks see it: a polygon whose box comes closer than ``reach``
    to another one's (both axes; a negative reach: boxes overlapping by more than that) is
    checked with its nearly collinear edges joined
    (:func:`mbfab.layout.polygons.compact_edges`); the others as they are."""
    joined: dict[int, Poly] = {}
    for k, poly in enumerate(sh.protos):
        if _nearly_collinear(poly):
            a, b = compact_edges(poly)
            joined[k] = [np.stack([p, q]) for p, q in zip(a, b, strict=True)]
    if not joined or len(sh) < 2:
        return sh
    i, j = near_pairs(sh, None, float(reach) - 1.0)
    crowded = np.zeros(len(sh), dtype=bool)
    crowded[i] = crowded[j] = True
    protos = list(sh.protos)
    remap = np.arange(len(protos), dtype=np.int64)
    for k, edges in joined.items():
        remap_k = len(protos)
        protos.append(edges)
        remap[k] = remap_k
    use = crowded & np.isin(sh.proto, list(joined))
    proto = np.where(use, remap[sh.proto], sh.proto)
    return Shapes(protos, proto, sh.offset)


def _width(sh: Shapes, d: float, keep: NDArray[np.bool_], metric: Metric) -> list[Group]:
    protos: list[tuple[Poly, Poly | None]] = [(p, None) for p in sh.protos]
    results = _batched(protos, d, Relation.WIDTH, intra=True, inter=False, metric=metric)
    groups = []
    for k, pairs in enumerate(results):
        anchors = np.flatnonzero((sh.proto == k) & keep)
        if len(pairs) and len(anchors):
            groups.append((pairs, anchors))
    return groups


def _canonical(sh: Shapes, i: I64, j: I64) -> tuple[I64, I64]:
    """Order each pair so that equal situations get equal keys (lower prototype first)."""
    delta = sh.offset[j] - sh.offset[i]
    swap = (sh.proto[i] > sh.proto[j]) | (
        (sh.proto[i] == sh.proto[j])
        & ((delta[:, 0] < 0) | ((delta[:, 0] == 0) & (delta[:, 1] < 0)))
    )
    return np.where(swap, j, i), np.where(swap, i, j)


def _space(sh: Shapes, d: float, keep: NDArray[np.bool_], metric: Metric) -> list[Group]:
    groups: list[Group] = []
    i, j = near_pairs(sh, None, d)
    neighbours = _neighbour_lists(len(sh), i, j)
    # Notches: each prototype once, then per distinct neighbourhood where it fails.
    protos: list[tuple[Poly, Poly | None]] = [(p, None) for p in sh.protos]
    notches = _batched(protos, d, Relation.SPACE, intra=True, inter=False, metric=metric)
    for k, pairs in enumerate(notches):
        if not len(pairs):
            continue
        anchors = np.flatnonzero((sh.proto == k) & keep)
        groups += _with_shielding(
            sh,
            anchors,
            None,
            pairs,
            neighbours,
            lambda a, _b, shield: _notch(sh, a, shield, d, metric),
        )
    if len(i) == 0:
        return groups
    a, b = _canonical(sh, i, j)
    a, b = a[keep[a]], b[keep[a]]
    if len(a) == 0:
        return groups
    keys = np.stack([sh.proto[a], sh.proto[b], *(sh.offset[b] - sh.offset[a]).T], axis=1)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    cases: list[tuple[Poly, Poly | None]] = [
        (sh.protos[p], _shift(sh.protos[q], dx, dy)) for p, q, dx, dy in uniq
    ]
    results = _batched(cases, d, Relation.SPACE, intra=False, inter=True, metric=metric)
    for k, pairs in enumerate(results):
        if not len(pairs):
            continue
        members = np.flatnonzero(inverse == k)
        groups += _with_shielding(
            sh,
            a[members],
            b[members],
            pairs,
            neighbours,
            lambda x, y, shield: _gap(sh, x, y, shield, d, metric),
        )
    return groups


def _notch(sh: Shapes, anchor: int, shield: list[Poly], d: float, metric: Metric) -> F64:
    base = sh.offset[anchor]
    poly = sh.protos[int(sh.proto[anchor])]
    shifted = [_shift(s, *(-base)) for s in shield]
    return relation_pairs(
        [poly], None, d, Relation.SPACE, intra=True, inter=False, shield=shifted, metric=metric
    )


def _gap(sh: Shapes, a: int, b: int, shield: list[Poly], d: float, metric: Metric) -> F64:
    base = sh.offset[a]
    pa = sh.protos[int(sh.proto[a])]
    pb = _shift(sh.protos[int(sh.proto[b])], *(sh.offset[b] - base))
    shifted = [_shift(s, *(-base)) for s in shield]
    return relation_pairs(
        [pa, pb], None, d, Relation.SPACE, intra=False, inter=True, shield=shifted, metric=metric
    )


def _neighbour_lists(n: int, i: I64, j: I64) -> tuple[I64, I64]:
    """CSR adjacency (both directions) of the near-pair graph."""
    src = np.concatenate([i, j])
    dst = np.concatenate([j, i])
    order = np.argsort(src, kind="stable")
    src, dst = src[order], dst[order]
    start = np.searchsorted(src, np.arange(n + 1))
    return start, dst


Recheck = Callable[[int, int, list[Poly]], F64]


def _with_shielding(
    sh: Shapes,
    anchors: I64,
    partners: I64 | None,
    pairs: F64,
    neighbours: tuple[I64, I64],
    recheck: Recheck,
) -> list[Group]:
    """Split the members of a failing situation by their neighbourhood and re-check those
    with third shapes nearby (shielding); the others keep ``pairs`` as they are."""
    start, dst = neighbours
    counts = start[anchors + 1] - start[anchors]
    expected = 1 if partners is not None else 0
    lonely = counts <= expected
    groups: list[Group] = []
    if lonely.any():
        groups.append((pairs, anchors[lonely]))
    members: dict[bytes, list[int]] = {}
    context: dict[bytes, tuple[int, int, list[int]]] = {}
    for m in np.flatnonzero(~lonely).tolist():
        a = int(anchors[m])
        b = int(partners[m]) if partners is not None else -1
        others = [int(k) for k in dst[start[a] : start[a + 1]] if k != b]
        rel = sorted((int(sh.proto[k]), *(sh.offset[k] - sh.offset[a]).tolist()) for k in others)
        part = [int(sh.proto[b]), *(sh.offset[b] - sh.offset[a]).tolist()] if b >= 0 else []
        key = np.array(rel, dtype=np.int64).tobytes() + np.array(part, dtype=np.int64).tobytes()
        members.setdefault(key, []).append(m)
        context.setdefault(key, (a, b, others))
    for key, group in members.items():
        a, b, others = context[key]
        result = recheck(a, b, [sh.polygon(k) for k in others])
        if len(result):
            groups.append((result, anchors[np.array(group)]))
    return groups


def _two_layers(
    first: Shapes, second: Shapes, d: float, relation: Relation, metric: Metric
) -> list[Group]:
    """Separation (``first`` vs ``second``) or enclosure (``first`` encloses ``second``)."""
    i, j = near_pairs(first, second, d)
    if len(i) == 0:
        return []
    keys = np.stack([first.proto[i], second.proto[j], *(second.offset[j] - first.offset[i]).T], 1)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    groups: list[Group] = []
    cases = [(first.protos[p], _shift(second.protos[q], dx, dy)) for p, q, dx, dy in uniq]
    computed = _batched_two(cases, d, relation, metric)
    for k, pairs in enumerate(computed):
        if not len(pairs):
            continue
        members = np.flatnonzero(inverse == k)
        if len(members) == 0:
            continue
        # Shielding by other second-layer shapes near the anchor (and, for enclosures, by
        # other first-layer shapes): re-check per distinct neighbourhood.
        groups += _two_layer_members(
            first, second, i[members], j[members], pairs, d, relation, metric
        )
    return groups


def _batched_two(
    cases: list[tuple[Poly, Poly]], d: float, relation: Relation, metric: Metric
) -> list[F64]:
    if not cases:
        return []
    flat = [p for c in cases for p in c]
    stride = 2 * _span(flat) + 4 * int(np.ceil(d)) + 8
    firsts = [_shift(a, k * stride) for k, (a, _) in enumerate(cases)]
    seconds = [_shift(b, k * stride) for k, (_, b) in enumerate(cases)]
    pairs = relation_pairs(firsts, seconds, d, relation, intra=False, inter=True, metric=metric)
    return _split(pairs, stride, len(cases))


def _two_layer_members(
    first: Shapes,
    second: Shapes,
    ia: I64,
    jb: I64,
    pairs: F64,
    d: float,
    relation: Relation,
    metric: Metric,
) -> list[Group]:
    """Group the anchors of one failing two-layer situation by what else lies near."""
    key_to_members: dict[bytes, list[int]] = {}
    context: dict[bytes, tuple[int, list[int], list[int]]] = {}
    box_a = first.boxes[ia]
    for m in range(len(ia)):
        a, b = int(ia[m]), int(jb[m])
        near_b = _within(second, box_a[m], d, exclude=b)
        near_a = _within(first, box_a[m], d, exclude=a) if relation is Relation.OVERLAP else []
        base = first.offset[a]
        sig = np.array(
            [(1, int(second.proto[k]), *(second.offset[k] - base)) for k in near_b]
            + [(0, int(first.proto[k]), *(first.offset[k] - base)) for k in near_a],
            dtype=np.int64,
        )
        sig = sig[np.lexsort(sig.T[::-1])] if len(sig) else sig
        key = sig.tobytes()
        key_to_members.setdefault(key, []).append(m)
        context.setdefault(key, (m, near_a, near_b))
    groups: list[Group] = []
    for key, members in key_to_members.items():
        m, near_a, near_b = context[key]
        anchors = ia[np.array(members)]
        if not near_a and not near_b:
            groups.append((pairs, anchors))
            continue
        a, b = int(ia[m]), int(jb[m])
        base = first.offset[a]
        pa = [_shift(first.polygon(a), *(-base))] + [
            _shift(first.polygon(k), *(-base)) for k in near_a
        ]
        pb = [_shift(second.polygon(b), *(-base))] + [
            _shift(second.polygon(k), *(-base)) for k in near_b
        ]
        result = relation_pairs(pa, pb, d, relation, intra=False, inter=True, metric=metric)
        # Keep only pairs between the anchor and its partner (others belong to other members).
        result = _restrict(result, pa[0], pb[0])
        if len(result):
            groups.append((result, anchors))
    return groups


def _within(sh: Shapes, box: F64, d: float, exclude: int) -> list[int]:
    boxes = sh.boxes
    near = (
        (boxes[:, 0] <= box[2] + d)
        & (box[0] <= boxes[:, 2] + d)
        & (boxes[:, 1] <= box[3] + d)
        & (box[1] <= boxes[:, 3] + d)
    )
    near[exclude] = False
    return [int(k) for k in np.flatnonzero(near)]


def _restrict(pairs: F64, pa: Poly, pb: Poly) -> F64:
    """Pairs whose first edge lies on ``pa`` and second edge on ``pb``."""
    if not len(pairs):
        return pairs
    return pairs[
        _on_polygon(pairs[:, 0], pairs[:, 1], pa) & _on_polygon(pairs[:, 2], pairs[:, 3], pb)
    ]


def _on_polygon(p0: F64, p1: F64, poly: Poly) -> NDArray[np.bool_]:
    mid = (p0 + p1) / 2
    hit = np.zeros(len(p0), dtype=bool)
    for ring in poly:
        s = ring.astype(np.float64)
        e = np.roll(s, -1, axis=0)
        for k in range(len(s)):
            d = e[k] - s[k]
            cross = d[0] * (mid[:, 1] - s[k, 1]) - d[1] * (mid[:, 0] - s[k, 0])
            t = ((mid - s[k]) @ d) / max(float(d @ d), 1.0)
            hit |= (np.abs(cross) <= np.sqrt(d @ d)) & (t >= -1e-9) & (t <= 1 + 1e-9)
    return hit
