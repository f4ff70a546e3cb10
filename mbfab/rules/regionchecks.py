"""Rules that are booleans of regions: parts outside an enclosing layer, overlaps between
layers and strange (self-overlapping) polygons -- on the layout core's integer booleans, so
they agree with KLayout's ``b - a``, ``a & b`` and ``strange_polygon_check`` and cannot raise
on any outline.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from mbfab.layout import DBU_UM
from mbfab.layout.polygons import Poly, ring_area2, self_contact
from mbfab.layout.regions import boolean_polygons, strange_parts
from mbfab.rules.index import SNAP_REACH, Shapes, near_pairs
from mbfab.rules.model import Finding, Marker, Rule

__all__ = ["outside_parts", "overlap_finding", "strange_finding"]

I64 = NDArray[np.int64]


def _um(points: NDArray[np.float64] | I64) -> tuple[tuple[float, float], ...]:
    return tuple((round(float(x) * DBU_UM, 6), round(float(y) * DBU_UM, 6)) for x, y in points)


def _neighbours(a: Shapes, b: Shapes) -> dict[int, list[int]]:
    """For each instance of ``a``, the instances of ``b`` that come near it."""
    i, j = near_pairs(a, b, SNAP_REACH)
    found: dict[int, list[int]] = {}
    for x, y in zip(i.tolist(), j.tolist(), strict=True):
        found.setdefault(x, []).append(y)
    return found


def outside_parts(finding: Finding, outer: Shapes, inner: Shapes, max_markers: int) -> None:
    """Add the parts of ``inner`` not covered by ``outer`` (KLayout: ``inner - outer``), one
    violation each, to ``finding``; each distinct neighbourhood is computed once."""
    cover = _neighbours(inner, outer)
    cache: dict[bytes, list[Poly]] = {}
    for a in range(len(inner)):
        outs = sorted(cover.get(a, []))
        base = inner.offset[a]
        key = np.array(
            [int(inner.proto[a])]
            + [v for b in outs for v in (int(outer.proto[b]), *(outer.offset[b] - base))],
            dtype=np.int64,
        ).tobytes()
        if key not in cache:
            shape = inner.protos[int(inner.proto[a])]
            if outs:
                covering = [
                    [r + (outer.offset[b] - base) for r in outer.protos[int(outer.proto[b])]]
                    for b in outs
                ]
                cache[key] = boolean_polygons([shape], covering, "not")
            else:
                cache[key] = [shape]
        for piece in cache[key]:
            finding.count += 1
            if len(finding.markers) < max_markers:
                finding.markers.append(Marker(_um(piece[0] + base)))


def overlap_finding(rule: Rule, a: Shapes, b: Shapes, max_markers: int) -> Finding:
    """Must-not-overlap: every piece of ``a & b`` is a violation (measured: its area)."""
    finding = Finding(rule)
    near = _neighbours(a, b)
    # Instances of a and b that come near each other form groups, each intersected once.
    parent = list(range(len(a) + len(b)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, ys in near.items():
        for y in ys:
            parent[find(len(a) + y)] = find(x)
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for x in near:
        groups.setdefault(find(x), ([], []))[0].append(x)
    for y in {y for ys in near.values() for y in ys}:
        groups.setdefault(find(len(a) + y), ([], []))[1].append(y)
    pieces: list[Poly] = []
    for xs, ys in groups.values():
        pieces += boolean_polygons([a.polygon(x) for x in xs], [b.polygon(y) for y in ys], "and")
    for poly in sorted(pieces, key=lambda p: (int(p[0][0, 1]), int(p[0][0, 0]))):
        area = (-ring_area2(poly[0]) - sum(ring_area2(h) for h in poly[1:])) / 2 * DBU_UM**2
        finding.count += 1
        finding.worst = area if finding.worst is None else max(finding.worst, area)
        if len(finding.markers) < max_markers:
            finding.markers.append(Marker(_um(poly[0]), round(area, 6)))
    return finding


def strange_finding(rule: Rule, raw: Shapes, max_markers: int) -> Finding:
    """KLayout's ``strange_polygon_check`` on the polygons as drawn: where an outline winds
    around a point other than once (self-overlapping loops, a bow tie's reversed lobe); one
    violation per such part. Self-touching outlines (keyholes) are valid."""
    finding = Finding(rule)
    for k, poly in enumerate(raw.protos):
        if not self_contact(poly):
            continue
        parts = strange_parts(poly)
        if not parts:
            continue
        offsets = raw.offset[raw.proto == k]
        finding.count += len(parts) * len(offsets)
        for offset in offsets:
            for part in parts:
                if len(finding.markers) < max_markers:
                    finding.markers.append(Marker(_um(part[0] + offset)))
    return finding
