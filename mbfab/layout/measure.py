"""Measurements through a hierarchy: per-layer perimeter, bounding box and union area.

Arrays are not flattened for perimeters and boxes: a referenced cell is measured once and
multiplied by its placements. Only :func:`union_area_um2` flattens, and only below a limit.
"""

from __future__ import annotations

from collections.abc import Sequence

import gdstk
import numpy as np
import shapely

from mbfab.layout.boolean import merge, total_area
from mbfab.layout.cells import BBox, bounding_box, extract_layer, instance_count
from mbfab.layout.layers import Layer

__all__ = ["layer_bbox", "layer_perimeter_um", "perimeter_inside_um", "union_area_um2"]


def layer_perimeter_um(top: gdstk.Cell, spec: tuple[int, int]) -> float:
    """Total outline length of ``spec`` in ``top``, every placement counted (um).

    Each polygon contributes its whole outline, holes included, which is the sidewall
    length a conformal film sees when polygons do not touch one another.
    """
    memo: dict[str, float] = {}

    def visit(cell: gdstk.Cell) -> float:
        if cell.name in memo:
            return memo[cell.name]
        total = 0.0
        for poly in cell.polygons:
            if (poly.layer, poly.datatype) == spec:
                total += poly.perimeter()  # gdstk's perimeter() already covers the repetition
        for ref in cell.references:
            if isinstance(ref.cell, gdstk.Cell):
                total += instance_count(ref) * visit(ref.cell) * ref.magnification
        memo[cell.name] = total
        return total

    return visit(top)


def layer_bbox(top: gdstk.Cell, spec: tuple[int, int]) -> BBox | None:
    """Bounding box of ``spec`` alone in ``top`` (None when the layer is empty)."""
    extracted = extract_layer(top, spec, "MEASURE_BBOX")
    if not extracted.polygons and not extracted.references:
        return None
    return bounding_box(extracted)


def union_area_um2(
    top: gdstk.Cell, specs: Sequence[tuple[int, int]], max_polygons: int = 50_000
) -> float | None:
    """Area covered by any of ``specs`` (overlaps counted once), or None above ``max_polygons``.

    Flattens the layers, so it refuses big arrays rather than exploding them.
    """
    polygons: list[gdstk.Polygon] = []
    for layer, datatype in specs:
        polygons += top.get_polygons(layer=layer, datatype=datatype)
        if len(polygons) > max_polygons:
            return None
    if not polygons:
        return 0.0
    layer, datatype = specs[0]
    return total_area(merge(polygons, Layer(layer, datatype, "union")))


def perimeter_inside_um(
    top: gdstk.Cell, spec: tuple[int, int], within: Sequence[gdstk.Polygon]
) -> float:
    """Outline length of ``spec`` placed inside ``within`` (um), arrays kept as arrays.

    A placement counts when its origin (a reference's origin or repetition offset, a
    polygon's first vertex) lies inside one of ``within``: suited to small features placed
    on larger regions, such as posts on electrode fingers. Only ``top`` and the references it
    holds directly are looked at.
    """
    area = shapely.union_all([shapely.Polygon(p.points) for p in within])

    def inside(points: np.ndarray) -> int:
        return int(np.count_nonzero(shapely.contains_xy(area, points[:, 0], points[:, 1])))

    total = 0.0
    for poly in top.polygons:
        if (poly.layer, poly.datatype) == spec:
            copies = max(1, instance_count(poly))
            total += poly.perimeter() / copies * inside(_placements(poly.points[0], poly))
    for ref in top.references:
        if isinstance(ref.cell, gdstk.Cell):
            each = layer_perimeter_um(ref.cell, spec) * ref.magnification
            if each:
                total += each * inside(_placements(ref.origin, ref))
    return total


def _placements(origin: Sequence[float], element: gdstk.Polygon | gdstk.Reference) -> np.ndarray:
    """Origin of every copy of ``element`` (its repetition applied), shape (N, 2)."""
    base = np.asarray(origin, dtype=float).reshape(1, 2)
    repetition = element.repetition
    if repetition is None or repetition.size == 0:
        return base
    return base + np.asarray(repetition.get_offsets(), dtype=float)
