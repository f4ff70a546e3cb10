"""Cells and hierarchy: deterministic names, per-layer extraction, hierarchical statistics."""

from __future__ import annotations

import re
from dataclasses import dataclass

import gdstk

from mbfab.layout.grid import DBU_UM, USER_UNIT_M

__all__ = [
    "BBox",
    "LayerStats",
    "bounding_box",
    "cell_name",
    "extract_layer",
    "instance_count",
    "layer_stats",
    "layers_in",
    "new_library",
    "uses_hierarchy",
]

_UNSAFE = re.compile(r"[^A-Za-z0-9_]+")


def new_library(name: str = "MBFAB") -> gdstk.Library:
    """An empty library in micrometres with a 1 nm database unit."""
    return gdstk.Library(cell_name(name), unit=USER_UNIT_M, precision=DBU_UM * USER_UNIT_M)


def cell_name(*parts: object) -> str:
    """A cell name safe for every mask writer: letters, digits and underscores only."""
    text = "_".join(str(p) for p in parts if str(p))
    text = _UNSAFE.sub("_", text).strip("_") or "CELL"
    return text if not text[0].isdigit() else f"C_{text}"


def instance_count(element: gdstk.Polygon | gdstk.Reference) -> int:
    """How many placements an element stands for once its repetition is applied."""
    repetition = element.repetition
    if repetition is None or repetition.size == 0:
        return 1
    return int(repetition.size)


def layers_in(cell: gdstk.Cell) -> set[tuple[int, int]]:
    """Every (layer, datatype) with a polygon or path in ``cell`` or below it."""
    specs: set[tuple[int, int]] = set()
    for c in [cell, *cell.dependencies(True)]:
        if isinstance(c, gdstk.RawCell):
            continue
        specs.update((p.layer, p.datatype) for p in c.polygons)
        for path in c.paths:
            specs.update(zip(path.layers, path.datatypes, strict=True))
    return specs


def extract_layer(top: gdstk.Cell, spec: tuple[int, int], name: str) -> gdstk.Cell:
    """Copy of ``top``'s hierarchy holding only ``spec``; empty branches are dropped.

    Arrays stay arrays: referenced cells are copied once and referenced again.
    """
    copies: dict[str, gdstk.Cell | None] = {}

    def visit(cell: gdstk.Cell, new_name: str) -> gdstk.Cell | None:
        if cell.name in copies:
            return copies[cell.name]
        out = gdstk.Cell(new_name)
        for poly in cell.polygons:
            if (poly.layer, poly.datatype) == spec:
                out.add(poly.copy())
        for path in cell.paths:
            for poly in path.to_polygons():
                if (poly.layer, poly.datatype) == spec:
                    out.add(poly)
        for ref in cell.references:
            child = ref.cell
            if not isinstance(child, gdstk.Cell):
                continue
            sub = visit(child, child.name)
            if sub is None:
                continue
            copy = ref.copy()
            copy.cell = sub
            out.add(copy)
        result = out if (out.polygons or out.references) else None
        copies[cell.name] = result
        return result

    extracted = visit(top, name)
    return extracted if extracted is not None else gdstk.Cell(name)


BBox = tuple[tuple[float, float], tuple[float, float]]


def bounding_box(cell: gdstk.Cell) -> BBox:
    """``((x0, y0), (x1, y1))`` of everything in ``cell``; an empty cell is an error."""
    box = cell.bounding_box()
    if box is None:
        raise ValueError(f"cell {cell.name!r} is empty")
    return ((float(box[0][0]), float(box[0][1])), (float(box[1][0]), float(box[1][1])))


@dataclass(frozen=True)
class LayerStats:
    """Polygon count and area of one layer over a whole hierarchy (repetitions applied)."""

    polygons: int
    area_um2: float


def layer_stats(top: gdstk.Cell, spec: tuple[int, int]) -> LayerStats:
    """Count and area of ``spec`` in ``top``, multiplying through references.

    Each placement counts once; overlaps between polygons are not removed, which is
    exact for the non-overlapping output of mbfab's generators.
    """
    memo: dict[str, tuple[int, float]] = {}

    def visit(cell: gdstk.Cell) -> tuple[int, float]:
        if cell.name in memo:
            return memo[cell.name]
        count, area = 0, 0.0
        for poly in cell.polygons:
            if (poly.layer, poly.datatype) == spec:
                n = instance_count(poly)
                count += n
                area += poly.area()  # gdstk's area() already covers the repetition
        for ref in cell.references:
            if not isinstance(ref.cell, gdstk.Cell):
                continue
            sub_count, sub_area = visit(ref.cell)
            n = instance_count(ref)  # arrayed references are repetitions in gdstk
            count += n * sub_count
            area += n * sub_area * ref.magnification**2
        memo[cell.name] = (count, area)
        return count, area

    count, area = visit(top)
    return LayerStats(polygons=count, area_um2=area)


def uses_hierarchy(top: gdstk.Cell, spec: tuple[int, int]) -> bool:
    """True when ``spec`` is placed through references or repetitions (an array)."""
    for cell in [top, *top.dependencies(True)]:
        if isinstance(cell, gdstk.RawCell):
            continue
        if any((p.layer, p.datatype) == spec and p.repetition.size > 0 for p in cell.polygons):
            return True
    return any(
        isinstance(ref.cell, gdstk.Cell) and spec in layers_in(ref.cell) for ref in top.references
    )
