"""Violation regions for people: the markers of one rule that touch or overlap, grouped.

A faceted round post placed too close to its neighbour violates a space rule on dozens of
facet pairs; KLayout (and the JSON, JUnit and .lyrdb reports) list every edge pair, but a
person wants one place to look at. Markers -- edge-pair quadrangles or polygons -- that
touch or overlap form one region with its number of violations and its worst value; the
markers keep the region's id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from mbfab.layout.grid import DBU_UM
from mbfab.layout.polygons import come_close, cross, segments_touch
from mbfab.rules.index import components, near_box_pairs
from mbfab.rules.model import Cluster, Finding, Marker

__all__ = ["CLUSTER_LIMIT", "cluster_shapes", "place", "place_markers", "worse"]

I64 = NDArray[np.int64]
#: At most this many violations of one rule are grouped (the rest are counted, not placed).
CLUSTER_LIMIT = 5_000


def worse(kind: str, a: float | None, b: float | None) -> float | None:
    """The worse of two measured values of a rule kind (more vertices or overlap area is
    worse; for every other kind, less)."""
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b) if kind in ("vertices", "overlap") else min(a, b)


def _quads_meet(q: I64, i: I64, j: I64) -> NDArray[np.bool_]:
    """For quadrangles ``q`` (``(n, 4, 2)``) and candidate pairs ``(i, j)``: do they touch or
    overlap (an edge of one meets an edge of the other, or one lies inside the other)?"""
    meet = np.zeros(len(i), dtype=bool)
    for s in range(4):
        for t in range(4):
            meet |= segments_touch(q[i, s], q[i, (s + 1) % 4], q[j, t], q[j, (t + 1) % 4])
    rest = np.flatnonzero(~meet)
    if len(rest):
        a, b = i[rest], j[rest]
        meet[rest] = (_winds(q[a, 0], q[b]) != 0) | (_winds(q[b, 0], q[a]) != 0)
    return meet


def _winds(p: I64, q: I64) -> I64:
    """How often quadrangle ``q[k]`` winds around point ``p[k]`` (the half-open crossing
    rule of :func:`mbfab.layout.polygons.winding`, pair by pair)."""
    total = np.zeros(len(p), dtype=np.int64)
    px, py = p[:, 0], p[:, 1]
    for s in range(4):
        a, b = q[:, s], q[:, (s + 1) % 4]
        side = cross(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1], px - a[:, 0], py - a[:, 1])
        up = (a[:, 1] <= py) & (b[:, 1] > py) & (side > 0)
        down = (a[:, 1] > py) & (b[:, 1] <= py) & (side < 0)
        total += up.astype(np.int64) - down.astype(np.int64)
    return total


def _shared_vertex_labels(shapes: Sequence[I64]) -> I64:
    """Per shape, the lowest index of the shapes it is joined to by shared vertices."""
    n = len(shapes)
    owner = np.repeat(np.arange(n, dtype=np.int64), [len(s) for s in shapes])
    _, vertex = np.unique(np.concatenate(shapes), axis=0, return_inverse=True)
    # A bipartite graph: shape k -- vertex v (node n + v).
    return components(n + int(vertex.max()) + 1, owner, n + vertex.ravel())[:n]


def _exposed(boxes: I64, label: I64) -> I64:
    """Indices of the shapes whose group (``label``) has a box touching another group's."""
    groups, inverse = np.unique(label, return_inverse=True)
    inverse = inverse.ravel()
    lo = np.full((len(groups), 2), np.iinfo(np.int64).max, dtype=np.int64)
    hi = np.full((len(groups), 2), np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(lo, inverse, boxes[:, :2])
    np.maximum.at(hi, inverse, boxes[:, 2:])
    gi, gj = near_box_pairs(np.concatenate([lo, hi], axis=1).astype(np.float64), None, 0.0)
    touching = np.zeros(len(groups), dtype=bool)
    touching[gi] = touching[gj] = True
    return np.flatnonzero(touching[inverse])


def cluster_shapes(
    shapes: Sequence[I64], values: Sequence[float | None], kind: str, dbu_um: float
) -> tuple[list[Cluster], I64]:
    """Group ``shapes`` (each an ``(k, 2)`` point array in dbu: a quadrangle or a polygon)
    that touch or overlap. Returns the regions (numbered in order of their first shape) and
    each shape's region id."""
    n = len(shapes)
    if n == 0:
        return [], np.zeros(0, dtype=np.int64)
    if all(len(s) == 4 for s in shapes):  # edge pairs: one stacked array
        stacked = np.stack(shapes)
        boxes = np.concatenate([stacked.min(axis=1), stacked.max(axis=1)], axis=1)
    else:
        boxes = np.array([[*s.min(axis=0), *s.max(axis=0)] for s in shapes], dtype=np.int64)
    # Shapes that share a vertex touch: joined first, in linear time (the pairs of one post
    # that fails a width rule all share edges, and would otherwise all be tested pairwise).
    shared = _shared_vertex_labels(shapes)
    # Then only shapes whose group's box meets another group's box are tested pairwise.
    exposed = _exposed(boxes, shared)
    i, j = near_box_pairs(boxes[exposed].astype(np.float64), None, 0.0)
    i, j = exposed[i], exposed[j]
    apart = shared[i] != shared[j]
    i, j = i[apart], j[apart]
    if len(i):
        quads = np.array([len(s) == 4 for s in shapes], dtype=bool)
        both = quads[i] & quads[j]
        meet = np.zeros(len(i), dtype=bool)
        if both.any():
            stacked = np.stack([s if len(s) == 4 else np.zeros((4, 2), np.int64) for s in shapes])
            meet[both] = _quads_meet(stacked, i[both], j[both])
        for k in np.flatnonzero(~both).tolist():
            meet[k] = come_close([shapes[int(i[k])]], [shapes[int(j[k])]], 0.0)
        i, j = i[meet], j[meet]
    i, j = np.concatenate([i, shared]), np.concatenate([j, np.arange(n, dtype=np.int64)])
    # Regions numbered in order of their first shape: a region's label is its lowest index.
    roots = components(n, i, j)
    firsts, ids = np.unique(roots, return_inverse=True)
    ids = ids.ravel().astype(np.int64) + 1
    order = np.argsort(ids, kind="stable")
    bounds = np.searchsorted(ids[order], np.arange(1, len(firsts) + 2))
    clusters = []
    for cid in range(1, len(firsts) + 1):
        members = order[bounds[cid - 1] : bounds[cid]]
        worst: float | None = None
        for m in members.tolist():
            worst = worse(kind, worst, values[m])
        box = boxes[members]
        clusters.append(
            Cluster(
                cid,
                len(members),
                worst,
                tuple(
                    round(float(v) * dbu_um, 6)
                    for v in (*box[:, :2].min(axis=0), *box[:, 2:].max(axis=0))
                ),  # type: ignore[arg-type]
            )
        )
    return clusters, ids


def place(
    finding: Finding,
    shapes: Sequence[I64],
    values: Sequence[float | None],
    shape: str,
    max_markers: int,
) -> None:
    """Group ``shapes`` (dbu, the finding's violations or the first of them) into regions and
    keep the first ``max_markers`` as markers that name their region."""
    clusters, ids = cluster_shapes(shapes, values, finding.rule.kind, DBU_UM)
    finding.clusters = clusters
    finding.clustered = len(shapes)
    finding.markers = [
        Marker(
            tuple((round(float(x) * DBU_UM, 6), round(float(y) * DBU_UM, 6)) for x, y in points),
            values[k],
            shape,  # type: ignore[arg-type]
            int(ids[k]),
        )
        for k, points in enumerate(shapes[:max_markers])
    ]


def place_markers(finding: Finding) -> None:
    """Group a finding's markers (its only record of where the violations are) into regions."""
    if not finding.markers or finding.clusters:
        return
    shapes = [np.rint(np.array(m.points) / DBU_UM).astype(np.int64) for m in finding.markers]
    clusters, ids = cluster_shapes(
        shapes, [m.measured for m in finding.markers], finding.rule.kind, DBU_UM
    )
    finding.clusters = clusters
    finding.clustered = len(shapes)
    finding.markers = [
        replace(m, cluster=int(k)) for m, k in zip(finding.markers, ids, strict=True)
    ]
