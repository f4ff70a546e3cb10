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
from mbfab.layout.polygons import box_pairs, come_close, segments_touch, winding
from mbfab.rules.model import Cluster, Finding, Marker

__all__ = ["CLUSTER_LIMIT", "cluster_shapes", "place", "place_markers", "worse"]

I64 = NDArray[np.int64]
#: At most this many violations of one rule are grouped (the rest are counted, not placed).
CLUSTER_LIMIT = 20_000


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
    for k in rest.tolist():
        a, b = int(i[k]), int(j[k])
        meet[k] = bool(winding(q[a, :1], [q[b]])[0] != 0 or winding(q[b, :1], [q[a]])[0] != 0)
    return meet


def cluster_shapes(
    shapes: Sequence[I64], values: Sequence[float | None], kind: str, dbu_um: float
) -> tuple[list[Cluster], I64]:
    """Group ``shapes`` (each an ``(k, 2)`` point array in dbu: a quadrangle or a polygon)
    that touch or overlap. Returns the regions (numbered in order of their first shape) and
    each shape's region id."""
    n = len(shapes)
    if n == 0:
        return [], np.zeros(0, dtype=np.int64)
    boxes = np.array([[*s.min(axis=0), *s.max(axis=0)] for s in shapes], dtype=np.int64)
    i, j = box_pairs(boxes, boxes, 0.0, same=True)
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
    parent = np.arange(n)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = int(parent[x])
        return x

    for a, b in zip(i.tolist(), j.tolist(), strict=True):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots = [find(k) for k in range(n)]
    number: dict[int, int] = {}
    ids = np.array([number.setdefault(r, len(number) + 1) for r in roots], dtype=np.int64)
    clusters = []
    for cid in number.values():
        members = np.flatnonzero(ids == cid)
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
