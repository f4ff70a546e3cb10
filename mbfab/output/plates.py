"""Mask plates: one top cell per layer, polygons as the tone decision says."""

from __future__ import annotations

from dataclasses import dataclass

import gdstk

from mbfab.layout import (
    BBox,
    Layer,
    LayerStats,
    boolean,
    bounding_box,
    cell_name,
    extract_layer,
    layer_stats,
    rectangle,
    uses_hierarchy,
)
from mbfab.output.tone import PlateTone, Polarity, ToneMode, decide_tone

__all__ = ["Plate", "PlateRequest", "fracture_cell", "make_plate", "mask_field", "plate_cell_name"]


@dataclass(frozen=True)
class PlateRequest:
    """What a plate needs to know about its layer."""

    layer: Layer
    process: str
    polarity: str
    top_name: str


@dataclass
class Plate:
    """One mask plate ready to be written."""

    layer: Layer
    cell: gdstk.Cell
    tone: PlateTone
    field: BBox
    drawn: LayerStats
    written: LayerStats
    bbox: BBox | None


def mask_field(device_bbox: BBox, margin_um: float) -> BBox:
    """The plate window: the device's bounding box grown by ``margin_um`` on every side."""
    (x0, y0), (x1, y1) = device_bbox
    return ((x0 - margin_um, y0 - margin_um), (x1 + margin_um, y1 + margin_um))


def make_plate(
    device: gdstk.Cell,
    request: PlateRequest,
    field: BBox,
    mode: ToneMode,
    max_points: int,
) -> Plate:
    """Extract ``request.layer`` from ``device`` and apply its tone inside ``field``."""
    spec = request.layer.spec
    drawn_cell = extract_layer(device, spec, request.top_name)
    drawn = layer_stats(drawn_cell, spec)
    polarity: Polarity = "negative" if request.polarity == "negative" else "positive"
    tone = decide_tone(request.process, polarity, mode, arrayed=uses_hierarchy(drawn_cell, spec))
    if tone.inverted:
        features = drawn_cell.get_polygons(layer=spec[0], datatype=spec[1])
        (fx0, fy0), (fx1, fy1) = field
        window = rectangle(fx0, fy0, fx1, fy1, request.layer)
        cell = gdstk.Cell(request.top_name)
        cell.add(*boolean(window, features, "not", request.layer))
    else:
        cell = drawn_cell
    fracture_cell(cell, max_points)
    bbox = bounding_box(cell) if cell.polygons or cell.references else None
    return Plate(request.layer, cell, tone, field, drawn, layer_stats(cell, spec), bbox)


def fracture_cell(top: gdstk.Cell, max_points: int) -> None:
    """Split every polygon above ``max_points`` vertices, in place, through the hierarchy."""
    for cell in [top, *top.dependencies(True)]:
        if not isinstance(cell, gdstk.Cell):
            continue
        big = [p for p in cell.polygons if len(p.points) > max_points]
        for poly in big:
            pieces = poly.fracture(max_points=max_points, precision=1e-3)
            for piece in pieces:
                piece.repetition = poly.repetition
            cell.remove(poly)
            cell.add(*pieces)


def plate_cell_name(recipe_name: str, layer_name: str) -> str:
    """Top cell name of a plate."""
    return cell_name(recipe_name, layer_name).upper()
