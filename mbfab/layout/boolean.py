"""The one boolean module: booleans, offsets and merges on the database grid.

All operations return new polygons snapped to the grid, cleaned of slivers (pieces with
an area below one grid cell) and of repeated vertices.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import gdstk
import numpy as np

from mbfab.layout.grid import DBU_UM, snap
from mbfab.layout.layers import Layer

#: Maximum deviation of round joins from the true arc (um); matches shapes.py.
DEFAULT_ARC_TOLERANCE_UM = 0.01

__all__ = [
    "BooleanOp",
    "boolean",
    "clean",
    "merge",
    "offset",
    "total_area",
]

BooleanOp = Literal["or", "and", "not", "xor"]
Shapes = gdstk.Polygon | Sequence[gdstk.Polygon]


def _as_list(shapes: Shapes | None) -> list[gdstk.Polygon]:
    if shapes is None:
        return []
    if isinstance(shapes, gdstk.Polygon):
        return [shapes]
    return list(shapes)


def clean(polygons: Iterable[gdstk.Polygon], layer: Layer | None = None) -> list[gdstk.Polygon]:
    """Snap to the grid, drop repeated and collinear vertices, and drop slivers."""
    result = []
    for poly in polygons:
        points = _simplify(snap(poly.points))
        if len(points) < 3:
            continue
        candidate = gdstk.Polygon(
            points,  # type: ignore[arg-type]
            layer=layer.layer if layer else poly.layer,
            datatype=layer.datatype if layer else poly.datatype,
        )
        if candidate.area() < DBU_UM * DBU_UM:
            continue
        result.append(candidate)
    return result


def _simplify(points: np.ndarray) -> np.ndarray:
    """Remove consecutive duplicate vertices and vertices on a straight line."""
    if len(points) < 3:
        return points
    keep = np.any(points != np.roll(points, 1, axis=0), axis=1)
    points = points[keep]
    if len(points) < 3:
        return points
    prev = np.roll(points, 1, axis=0)
    nxt = np.roll(points, -1, axis=0)
    cross = (points[:, 0] - prev[:, 0]) * (nxt[:, 1] - points[:, 1]) - (
        points[:, 1] - prev[:, 1]
    ) * (nxt[:, 0] - points[:, 0])
    return points[np.abs(cross) > 1e-12]


def boolean(
    a: Shapes,
    b: Shapes | None,
    operation: BooleanOp,
    layer: Layer,
) -> list[gdstk.Polygon]:
    """``a <operation> b`` on ``layer``, exact on the grid (gdstk's integer clipper)."""
    out = gdstk.boolean(
        _as_list(a),
        _as_list(b),
        operation,
        precision=DBU_UM,
        layer=layer.layer,
        datatype=layer.datatype,
    )
    return clean(out, layer)


def merge(shapes: Shapes, layer: Layer) -> list[gdstk.Polygon]:
    """Union of ``shapes`` on ``layer``; overlapping and touching polygons become one."""
    return boolean(shapes, None, "or", layer)


def offset(
    shapes: Shapes,
    distance_um: float,
    layer: Layer,
    join: Literal["miter", "bevel", "round"] = "miter",
) -> list[gdstk.Polygon]:
    """Grow (``distance > 0``) or shrink (``< 0``) shapes by ``distance_um``."""
    out = gdstk.offset(
        _as_list(shapes),
        distance_um,
        join=join,
        tolerance=DEFAULT_ARC_TOLERANCE_UM,  # type: ignore[arg-type]  # stubs say int
        precision=DBU_UM,
        use_union=True,
        layer=layer.layer,
        datatype=layer.datatype,
    )
    return clean(out, layer)


def total_area(polygons: Iterable[gdstk.Polygon]) -> float:
    """Sum of polygon areas in um² (assumes the polygons do not overlap)."""
    return float(sum(p.area() for p in polygons))
