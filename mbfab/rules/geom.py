"""Polygon helpers for the checks: shapely conversion, merging, KLayout ring orientation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import shapely
from numpy.typing import NDArray

from mbfab.rules.pairs import Poly

__all__ = ["from_shapely", "merge", "orient", "strip_collinear", "to_shapely"]


def strip_collinear(ring: NDArray[np.int64]) -> NDArray[np.int64]:
    """Drop repeated points, a closing point and vertices on a straight line."""
    pts = np.asarray(ring, dtype=np.int64)
    if len(pts) > 1 and np.array_equal(pts[0], pts[-1]):
        pts = pts[:-1]
    while len(pts) >= 3:
        prev, nxt = np.roll(pts, 1, axis=0), np.roll(pts, -1, axis=0)
        a, b = pts - prev, nxt - pts
        cross = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
        dot = a[:, 0] * b[:, 0] + a[:, 1] * b[:, 1]
        # Straight continuation (cross 0, same direction) or a repeated point.
        drop = (cross == 0) & ((dot > 0) | np.all(a == 0, axis=1))
        if not drop.any():
            break
        pts = pts[~drop]
    return pts


def _area2(ring: NDArray[np.int64]) -> float:
    x, y = ring[:, 0].astype(np.float64), ring[:, 1].astype(np.float64)
    return float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def orient(rings: Sequence[NDArray[np.int64]]) -> Poly:
    """Hull clockwise, holes counter-clockwise (KLayout's convention)."""
    out: Poly = []
    for index, ring in enumerate(rings):
        ring = strip_collinear(ring)
        if len(ring) < 3:
            continue
        clockwise = _area2(ring) < 0
        if (index == 0) != clockwise:
            ring = ring[::-1]
        out.append(np.ascontiguousarray(ring))
    return out


def to_shapely(poly: Poly) -> shapely.Polygon:
    """A polygon given as hull then holes as a shapely polygon."""
    return shapely.Polygon(poly[0], [r for r in poly[1:]])


def from_shapely(geometry: shapely.Geometry) -> list[Poly]:
    """Polygons of a (multi)polygon geometry, snapped to integers and oriented."""
    parts: Iterable[shapely.Geometry]
    if isinstance(geometry, shapely.Polygon):
        parts = [geometry]
    elif hasattr(geometry, "geoms"):
        parts = [g for g in geometry.geoms if isinstance(g, shapely.Polygon)]
    else:
        parts = []
    out = []
    for part in parts:
        if part.is_empty:
            continue
        rings = [part.exterior, *part.interiors]
        arrays = [np.rint(np.asarray(r.coords)).astype(np.int64) for r in rings]
        poly = orient(arrays)
        if poly:
            out.append(poly)
    return out


def merge(polys: Sequence[Poly]) -> list[Poly]:
    """Union of ``polys`` (KLayout's merged semantics), holes kept, sorted deterministically."""
    if not polys:
        return []
    shapes = [shapely.make_valid(to_shapely(p)) for p in polys]
    merged = from_shapely(shapely.unary_union(shapes))
    return sorted(merged, key=lambda p: (int(p[0][:, 0].min()), int(p[0][:, 1].min())))
