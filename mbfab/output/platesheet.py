"""What the order sheet says about the whole plate and the marks it carries: plate or
reticle, reduction, the tone beyond the data, step-and-repeat, and every alignment mark with
its role and its place on the plate (written coordinates)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mbfab.layout.marks import MarkPlacement
from mbfab.output.platearea import PLATE_MM, usable_side_um
from mbfab.output.plates import Plate
from mbfab.recipe.schema import Recipe

__all__ = ["mark_rows", "marks_note", "plate_sheet"]

_KIND_ORDER = ("coarse cross-in-box", "fine cross-in-box", "vernier x", "vernier y")


def _mm(box: Any) -> list[float]:
    (x0, y0), (x1, y1) = box
    return [round((x1 - x0) / 1000.0, 3), round((y1 - y0) / 1000.0, 3)]


def plate_sheet(recipe: Recipe, plate: Plate) -> tuple[dict[str, Any], list[str]]:
    """The ``plate`` record of a mask plate (size, reticle or mask, reduction, the written
    extent and the tone beyond it, step-and-repeat) and the warnings about it."""
    out, frame = recipe.output, plate.frame
    assert frame is not None  # every plate made by make_plate has one
    reduction = frame.reduction
    side = PLATE_MM[out.plate_size]
    usable = usable_side_um(out.plate_size) / 1000.0
    field = frame.to_written(np.array(plate.field))
    field_mm = np.abs(field[1] - field[0]) / 1000.0
    warnings = []
    if max(field_mm) > usable:
        warnings.append(
            f"field {field_mm[0]:.1f} x {field_mm[1]:.1f} mm exceeds the usable "
            f"{usable:.0f} mm of a {out.plate_size} plate"
        )
    outside = (
        "chrome to the plate edge (dark field): the shop leaves chrome everywhere beyond the data"
        if frame.outside == "chrome"
        else "clear glass to the plate edge (clear field)"
    )
    sheet: dict[str, Any] = {
        "size": out.plate_size,
        "side_mm": side,
        "material": out.plate_material,
        "absorber": "chrome",
        "kind": f"{reduction:g}x reticle" if reduction != 1 else "1x mask",
        "reduction": reduction,
        "usable_mm": usable,
        "placement": "data centred on the plate",
        "data_extent_mm": _mm(frame.extent),
        "outside_data": frame.outside,
        "outside_data_note": outside,
        "repeat": None,
        "projection_note": None,
    }
    if recipe.tool.kind == "projection":
        sheet["projection_note"] = (
            "the projection lens forms an inverted image (turned 180 degrees, not mirrored), "
            "so the reading sense is the same as for a contact mask"
        )
    if frame.repeat is not None:
        (px, py), (nx, ny) = frame.repeat.pitch, frame.repeat.count
        sheet["repeat"] = {
            "count": [nx, ny],
            "dies": nx * ny,
            "pitch_on_wafer_um": [px, py],
            "pitch_written_um": [px * reduction, py * reduction],
        }
    return sheet, warnings


def _role(plate: Plate, mark: MarkPlacement) -> str:
    cross = "cross-in-box" in mark.kind
    if plate.layer.name == mark.reference:
        return "reference cross" if cross else "reference scale"
    if mark.style == "window":
        return "aligning window" if cross else "aligning scale with a window over the reference"
    return "aligning box" if cross else "aligning scale"


def mark_rows(plate: Plate) -> list[dict[str, Any]]:
    """Each alignment mark the plate carries: kind, role, layer pair and its centre and
    extent on the plate (written um; for stepped dies, those of the die nearest the centre)."""
    frame = plate.frame
    assert frame is not None
    dx, dy = frame.repeat.central_offset if frame.repeat is not None else (0.0, 0.0)
    rows = []
    for mark in plate.marks:
        moved = mark.moved(dx, dy)
        center = frame.to_written(np.array([moved.center]))[0]
        corners = frame.to_written(np.array(moved.extent))
        low, high = corners.min(axis=0), corners.max(axis=0)
        rows.append(
            {
                "kind": mark.kind,
                "role": _role(plate, mark),
                "pair": f"{mark.aligning}>{mark.reference}",
                "label": f"{mark.aligning}>{mark.reference}, {mark.kind}, {_role(plate, mark)}",
                "reference": mark.reference,
                "aligning": mark.aligning,
                "center_um": [round(float(c), 3) for c in center],
                "extent_um": [
                    [round(float(low[0]), 3), round(float(low[1]), 3)],
                    [round(float(high[0]), 3), round(float(high[1]), 3)],
                ],
            }
        )
    rows.sort(key=lambda r: (r["pair"], _KIND_ORDER.index(r["kind"]), r["center_um"]))
    return rows


def marks_note(recipe: Recipe, plate: Plate) -> str:
    """Where the listed marks stand among the dies of the plate."""
    frame = plate.frame
    if frame is not None and frame.repeat is not None:
        nx, ny = frame.repeat.count
        return (
            f"listed for the die nearest the plate centre; each of the {nx} x {ny} dies "
            "carries them at the same place"
        )
    if recipe.wafer is not None:
        return (
            "listed for the die nearest the wafer centre (of each variant); every die carries "
            "them at the same place relative to its centre"
        )
    return "positions on the plate as written (um)"
