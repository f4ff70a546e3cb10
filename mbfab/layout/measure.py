"""Measurements through a hierarchy: per-layer perimeter, bounding box and union area.

Arrays are not flattened for perimeters and boxes: a referenced cell is measured once and
multiplied by its placements. Only :func:`union_area_um2` flattens, and only below a limit.
"""

from __future__ import annotations

from collections.abc import Sequence

import gdstk

from mbfab.layout.boolean import merge, total_area
from mbfab.layout.cells import BBox, bounding_box, extract_layer, instance_count
from mbfab.layout.layers import Layer

__all__ = ["layer_bbox", "layer_perimeter_um", "union_area_um2"]


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
                total += instance_count(poly) * poly.perimeter()
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
