"""Primitive shapes as gdstk polygons, in micrometres, snapped to the database grid."""

from __future__ import annotations

import math

import gdstk
import numpy as np
from numpy.typing import ArrayLike

from mbfab.layout.boolean import DEFAULT_ARC_TOLERANCE_UM
from mbfab.layout.grid import DBU_UM, snap
from mbfab.layout.layers import Layer

__all__ = [
    "DEFAULT_ARC_TOLERANCE_UM",
    "circle",
    "circle_vertex_count",
    "polygon",
    "rectangle",
    "regular_polygon",
    "rounded_rectangle",
]


def polygon(points: ArrayLike, layer: Layer) -> gdstk.Polygon:
    """A polygon on ``layer`` with its vertices snapped to the grid."""
    # gdstk's stubs say Sequence, but it takes (N, 2) arrays natively (and faster).
    return gdstk.Polygon(snap(points), layer=layer.layer, datatype=layer.datatype)  # type: ignore[arg-type]


def rectangle(x0: float, y0: float, x1: float, y1: float, layer: Layer) -> gdstk.Polygon:
    """Axis-aligned rectangle between two corners, counter-clockwise from the lower left."""
    xa, xb = sorted((x0, x1))
    ya, yb = sorted((y0, y1))
    if xb - xa <= 0 or yb - ya <= 0:
        raise ValueError(f"degenerate rectangle ({x0}, {y0})-({x1}, {y1})")
    return polygon([(xa, ya), (xb, ya), (xb, yb), (xa, yb)], layer)


def circle_vertex_count(radius: float, tolerance: float = DEFAULT_ARC_TOLERANCE_UM) -> int:
    """Vertices for a full circle whose chords deviate at most ``tolerance`` from the arc.

    The sagitta of a chord spanning angle ``a`` is ``r(1 - cos(a/2))``; the count is rounded
    up to a multiple of 4 so that circles stay symmetric about both axes.
    """
    if radius <= tolerance:
        return 8
    half_angle = math.acos(1.0 - tolerance / radius)
    count = math.ceil(math.pi / half_angle)
    return max(8, 4 * math.ceil(count / 4))


def regular_polygon(
    center: tuple[float, float],
    circumradius: float,
    sides: int,
    layer: Layer,
    rotation_rad: float = 0.0,
) -> gdstk.Polygon:
    """Regular polygon with ``sides`` vertices on a circle of ``circumradius``."""
    if sides < 3:
        raise ValueError("a polygon needs at least 3 sides")
    angles = rotation_rad + 2.0 * np.pi * np.arange(sides) / sides
    points = np.column_stack(
        (center[0] + circumradius * np.cos(angles), center[1] + circumradius * np.sin(angles))
    )
    return polygon(points, layer)


def circle(
    center: tuple[float, float],
    radius: float,
    layer: Layer,
    *,
    vertices: int | None = None,
    tolerance: float = DEFAULT_ARC_TOLERANCE_UM,
) -> gdstk.Polygon:
    """Circle as a polygon inscribed in the true circle (stated vertex count or max deviation)."""
    count = vertices or circle_vertex_count(radius, tolerance)
    # Rotate by half a step so that, for multiples of 4, edges (not vertices) face the axes.
    return regular_polygon(center, radius, count, layer, rotation_rad=math.pi / count)


def rounded_rectangle(
    x0: float,
    y0: float,
    x1: float,
    y1: float,
    radius: float,
    layer: Layer,
    tolerance: float = DEFAULT_ARC_TOLERANCE_UM,
) -> gdstk.Polygon:
    """Rectangle whose corners are arcs of ``radius`` (0 gives sharp corners)."""
    xa, xb = sorted((x0, x1))
    ya, yb = sorted((y0, y1))
    if radius <= DBU_UM:
        return rectangle(xa, ya, xb, yb, layer)
    if 2 * radius > min(xb - xa, yb - ya) + 1e-9:
        raise ValueError(f"corner radius {radius} exceeds half the rectangle's short side")
    per_quarter = max(2, circle_vertex_count(radius, tolerance) // 4)
    corners = [
        (xb - radius, ya + radius),
        (xb - radius, yb - radius),
        (xa + radius, yb - radius),
        (xa + radius, ya + radius),
    ]
    points = []
    for quarter, (cx, cy) in enumerate(corners):
        start = -math.pi / 2 + quarter * math.pi / 2
        angles = start + np.linspace(0.0, math.pi / 2, per_quarter + 1)
        points.append(np.column_stack((cx + radius * np.cos(angles), cy + radius * np.sin(angles))))
    return polygon(np.vstack(points), layer)
