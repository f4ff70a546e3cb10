"""Merges and booleans of integer polygons with KLayout's semantics, to the grid point.

The pipeline is KLayout's edge processor: snap rounding (:mod:`mbfab.layout.snapround`),
the scan line with an evaluator that says where the result is
(:mod:`mbfab.layout.scanline`), and the polygon generator (:mod:`mbfab.layout.contours`):

* Filling is non-zero winding per input polygon: a point is inside a polygon when that
  polygon winds around it any number of times but zero (a doubly covered loop is filled; a
  bow tie has both lobes), and inside a layer when inside any of its polygons.
* Shapes touching at one corner become one polygon (its hull passes the corner twice); a
  hole touching its hull at a point stays a hole.
* Crossings are rounded to the grid and edges passing within half a unit of them bent
  through them, exactly as KLayout does.
* Polygons come out as KLayout stores them (:func:`mbfab.layout.polygons.normalized`).

All arithmetic on coordinates is exact (or, for ordering along a scan line, the very
floating-point operations KLayout uses), so no input can make it raise.
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
