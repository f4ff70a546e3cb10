"""Merges and booleans of integer polygons with KLayout's semantics, to the grid point.

The pipeline is KLayout's edge processor: snap rounding (:mod:`mbfab.layout.snapround`),
then a sweep over horizontal bands that decides for every edge whether the result lies on
one side of it only (a boundary edge) and derives the horizontal boundary pieces, then the
boundary is joined into outlines and those into polygons:

* Filling is non-zero winding per input polygon: a point is inside a polygon when that
  polygon winds around it any number of times but zero (a doubly covered loop is filled; a
  bow tie has both lobes), and inside a layer when inside any of its polygons.
* Outlines are joined as KLayout's polygon generator joins them (its ``min_coherence``
  off): where outlines meet at a point, each incoming boundary edge continues along the
  outgoing edge that turns most to the left. Two shapes touching at one corner so become one
  polygon (a figure-eight hull); a hole touching the hull at a point stays a hole.
* A polygon is a connected piece of the result with its holes; straight runs are
  compressed into one edge; hulls run clockwise, holes counter-clockwise.

All arithmetic on coordinates is exact (or, for ordering inside a band, far from its
limits), so no input can make it raise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from mbfab.layout.polygons import Poly, normalized, ring_edges
from mbfab.layout.scanline import Evaluator, sweep
from mbfab.layout.snapround import snap_edges

__all__ = ["boolean_polygons", "merge_polygons", "strange_parts"]

# inside(counts): counts[layer] is how many of that layer's polygons wind around a point
# (for the strange check: the raw winding number); True where the result is.
Inside = Callable[[list[int]], bool]


def merge_polygons(polys: Sequence[Poly]) -> list[Poly]:
    """KLayout's ``Region.merged()``: the union of ``polys`` (each filled non-zero)."""
    return _evaluate([polys], lambda c: c[0] > 0)


_OPERATIONS: dict[str, Inside] = {
    "and": lambda c: c[0] > 0 and c[1] > 0,
    "not": lambda c: c[0] > 0 and c[1] == 0,
    "or": lambda c: c[0] > 0 or c[1] > 0,
    "xor": lambda c: (c[0] > 0) != (c[1] > 0),
}


def boolean_polygons(a: Sequence[Poly], b: Sequence[Poly], operation: str) -> list[Poly]:
    """KLayout's region booleans on the grid: ``a & b`` ("and"), ``a - b`` ("not"),
    ``a | b`` ("or"), ``a ^ b`` ("xor")."""
    return _evaluate([a, b], _OPERATIONS[operation])


def strange_parts(poly: Poly) -> list[Poly]:
    """KLayout's ``strange_polygon_check``: where the polygon's outline winds around a point
    other than once clockwise (self-overlapping loops, the reversed lobe of a bow tie).
    Self-touching outlines (keyholes) have none."""
    return _evaluate([[poly]], lambda c: c[0] < 0 or c[0] > 1, raw_winding=True)


def _evaluate(
    layers: Sequence[Sequence[Poly]], inside: Callable[[list[int]], bool], raw_winding: bool = False
) -> list[Poly]:
    starts, ends, props, layer_of = [], [], [], []
    offset = 0
    for index, polys in enumerate(layers):
        e0, e1, owner = ring_edges([normalized(poly, compress_points=False) for poly in polys])
        starts.append(e0)
        ends.append(e1)
        props.append(owner + offset)
        layer_of += [index] * len(polys)
        offset += len(polys)
    e0, e1, prop = np.concatenate(starts), np.concatenate(ends), np.concatenate(props)
    if len(e0) == 0:
        return []
    e0, e1, prop = snap_edges(e0, e1, prop)
    op = Evaluator(layer_of, len(layers), inside, raw_winding)
    return sweep(e0, e1, prop, op)
