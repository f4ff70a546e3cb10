"""Polygons for a picture of a cell, without exploding arrays.

Every repetition (of a polygon or a reference) is cut down to its first ``keep`` x ``keep``
placements, and the outline of the full repetition is returned as well, so a million-pillar
field previews as a corner of pillars inside the outline of the whole array.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import gdstk
import numpy as np

__all__ = ["Preview", "preview"]

_Element = gdstk.Polygon | gdstk.Reference
#: Layer that carries the outlines of cut-down arrays inside the temporary copy.
_OUTLINE = (0xFFFF, 0xFFFF)


@dataclass(frozen=True)
class Preview:
    """Points of each layer's polygons (um), outlines of arrays, and what was left out."""

    polygons: dict[tuple[int, int], list[np.ndarray]]
    outlines: list[np.ndarray]
    placements_total: int
    placements_drawn: int


def _trim(repetition: gdstk.Repetition, keep: int) -> gdstk.Repetition:
    columns, rows = repetition.columns, repetition.rows
    if columns is not None and rows is not None:
        if repetition.spacing is not None:
            return gdstk.Repetition(
                columns=min(columns, keep), rows=min(rows, keep), spacing=repetition.spacing
            )
        return gdstk.Repetition(
            columns=min(columns, keep), rows=min(rows, keep), v1=repetition.v1, v2=repetition.v2
        )
    offsets = repetition.get_offsets()[: keep * keep]
    return gdstk.Repetition(offsets=[tuple(o) for o in offsets])


def _outline(element: _Element) -> gdstk.Polygon | None:
    box = element.bounding_box()
    if box is None:
        return None
    return gdstk.rectangle(box[0], box[1], layer=_OUTLINE[0], datatype=_OUTLINE[1])


def preview(
    top: gdstk.Cell, specs: Iterable[tuple[int, int]], keep: int = 3, max_polygons: int = 3_000
) -> Preview:
    """Polygons of ``specs`` in ``top`` with arrays cut to ``keep`` x ``keep`` placements.

    At most ``max_polygons`` per layer are returned (the largest ones first).
    """
    wanted = set(specs)
    copies: dict[str, gdstk.Cell] = {}
    counts = {"total": 0, "drawn": 0}

    def place(out: gdstk.Cell, original: _Element, copy: _Element) -> None:
        """Add ``copy`` with the repetition of ``original`` cut down, and its outline."""
        if original.repetition.size > 0:
            copy.repetition = _trim(original.repetition, keep)
            counts["total"] += original.repetition.size
            counts["drawn"] += copy.repetition.size
            if copy.repetition.size < original.repetition.size and (box := _outline(original)):
                out.add(box)
        out.add(copy)

    def visit(cell: gdstk.Cell) -> gdstk.Cell:
        if cell.name in copies:
            return copies[cell.name]
        out = gdstk.Cell(f"PREVIEW_{cell.name}")
        for poly in cell.polygons:
            if (poly.layer, poly.datatype) not in wanted:
                continue
            place(out, poly, poly.copy())
        for ref in cell.references:
            if not isinstance(ref.cell, gdstk.Cell):
                continue
            child = visit(ref.cell)
            placed = gdstk.Reference(
                child, ref.origin, ref.rotation, ref.magnification, ref.x_reflection
            )
            place(out, ref, placed)
        copies[cell.name] = out
        return out

    trimmed = visit(top)
    polygons: dict[tuple[int, int], list[np.ndarray]] = {}
    for layer, datatype in sorted(wanted):
        found = trimmed.get_polygons(layer=layer, datatype=datatype)
        found.sort(key=lambda p: -p.area())
        polygons[(layer, datatype)] = [np.asarray(p.points) for p in found[:max_polygons]]
    boxes = trimmed.get_polygons(layer=_OUTLINE[0], datatype=_OUTLINE[1])
    outlines = [np.asarray(p.points) for p in boxes]
    return Preview(polygons, outlines, counts["total"], counts["drawn"])
