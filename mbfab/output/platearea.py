"""The whole plate: its usable area, the chrome beyond the die field, step-and-repeat and the
reduction of a reticle. The data are centred on the plate.

A dark-field plate must be dark everywhere the wafer would otherwise see light, not only
inside the die's field: where mbfab computes the complement it writes the chrome over the
plate's whole usable area (or over each pitch tile and around the stepped array), and the
order sheet declares the plate beyond the written data as chrome to its edge.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Literal

import gdstk
import numpy as np

from mbfab.errors import SettingError
from mbfab.layout import BBox, Layer, boolean, rectangle, snap_value
from mbfab.layout.plateframe import PlateFrame, StepRepeat, step_and_repeat
from mbfab.output.tone import PlateTone
from mbfab.recipe.schema import Recipe

__all__ = [
    "PLATE_BORDER_MM",
    "PLATE_MM",
    "RepeatError",
    "complement_extent",
    "plate_frame",
    "plate_problems",
    "plate_window",
    "repeat_plan",
    "stepped",
    "usable_side_um",
    "written_view",
]

PLATE_MM = {"3in": 76.2, "4in": 101.6, "5in": 127.0, "6in": 152.4, "7in": 177.8, "9in": 228.6}
#: Border of a plate kept free of pattern (clamping, quality area): typical, not from a source.
PLATE_BORDER_MM = 10.0


class RepeatError(SettingError):
    """A step-and-repeat that does not fit; ``key_path`` names the recipe setting."""


def plate_problems(recipe: Recipe) -> list[tuple[tuple[str, ...], str]]:
    """Recipe settings of the whole plate that contradict each other, as (key path, message)."""
    found: list[tuple[tuple[str, ...], str]] = []
    if recipe.tool.reduction != 1 and recipe.tool.kind != "projection":
        found.append(
            (
                ("tool", "reduction"),
                f"a reduction of {recipe.tool.reduction:g} needs a projection tool "
                f"(tool.kind is {recipe.tool.kind}: its plates print 1:1)",
            )
        )
    if recipe.output.repeat is not None and recipe.wafer is not None:
        found.append(
            (
                ("output", "repeat"),
                "the wafer map already steps the die across the wafer; drop wafer or repeat",
            )
        )
    return found


def usable_side_um(plate_size: str) -> float:
    """Side of the plate's usable square (the plate less its border), in um on the plate."""
    return (PLATE_MM[plate_size] - 2 * PLATE_BORDER_MM) * 1000.0


def _centre(box: BBox) -> tuple[float, float]:
    (x0, y0), (x1, y1) = box
    return (snap_value((x0 + x1) / 2), snap_value((y0 + y1) / 2))


def plate_window(field: BBox, plate_size: str, reduction: float = 1.0) -> BBox:
    """The plate's usable square seen on the wafer (divided by ``reduction``), centred on the
    die field's centre and never smaller than the field: the extent of the written data (a
    field beyond the usable area is warned about on the order sheet, not cut)."""
    cx, cy = _centre(field)
    half = snap_value(usable_side_um(plate_size) / reduction / 2)
    (x0, y0), (x1, y1) = field
    return ((min(cx - half, x0), min(cy - half, y0)), (max(cx + half, x1), max(cy + half, y1)))


def repeat_plan(recipe: Recipe, field: BBox) -> StepRepeat | None:
    """The die's step-and-repeat from ``output.repeat`` (None when not asked)."""
    spec = recipe.output.repeat
    if spec is None:
        return None
    (x0, y0), (x1, y1) = field
    size = (x1 - x0, y1 - y0)
    pitch = spec.pitch or size
    if pitch[0] < size[0] - 1e-9 or pitch[1] < size[1] - 1e-9:
        raise RepeatError(
            f"pitch {pitch[0]:g} x {pitch[1]:g} um is smaller than the die's field "
            f"{size[0]:g} x {size[1]:g} um (dies would overlap)",
            ("output", "repeat", "pitch"),
        )
    usable = usable_side_um(recipe.output.plate_size) / recipe.tool.reduction
    most = (math.floor(usable / pitch[0] + 1e-9), math.floor(usable / pitch[1] + 1e-9))
    count = spec.count or most
    if count[0] > most[0] or count[1] > most[1] or min(count) < 1:
        raise RepeatError(
            f"{count[0]} x {count[1]} dies at {pitch[0]:g} x {pitch[1]:g} um do not fit the "
            f"usable {usable / 1000:g} mm of a {recipe.output.plate_size} plate "
            f"(at most {most[0]} x {most[1]})",
            ("output", "repeat", "count" if spec.count else "pitch"),
        )
    return StepRepeat(
        (snap_value(pitch[0]), snap_value(pitch[1])), (int(count[0]), int(count[1])), _centre(field)
    )


def complement_extent(field: BBox, window: BBox | None, repeat: StepRepeat | None) -> BBox:
    """Where a computed complement is written: one pitch tile of a stepped die, else the
    plate's usable area (``window``), else the die's field."""
    if repeat is not None:
        return repeat.tile()
    return window or field


def stepped(
    cell: gdstk.Cell, layer: Layer, tone: PlateTone, window: BBox | None, repeat: StepRepeat | None
) -> gdstk.Cell:
    """Step the die over the plate, with chrome written around the array when mbfab computes
    the complement; the plate's top cell keeps ``cell``'s name (the die cell gets ``_DIE``)."""
    if repeat is None:
        return cell
    name = cell.name
    cell.name = f"{name}_DIE"
    around: list[gdstk.Polygon] = []
    if tone.inverted and window is not None:
        (wx0, wy0), (wx1, wy1) = window
        (sx0, sy0), (sx1, sy1) = repeat.span()
        outer = rectangle(wx0, wy0, wx1, wy1, layer)
        around = boolean(outer, rectangle(sx0, sy0, sx1, sy1, layer), "not", layer)
    return step_and_repeat(cell, repeat, name, around)


def written_view(frame: PlateFrame, field: BBox) -> BBox:
    """The die field (or the whole stepped array) in written coordinates: what a preview of
    the plate shows."""
    box = frame.repeat.span() if frame.repeat is not None else field
    corners = frame.to_written(np.array(box))
    (x0, y0), (x1, y1) = corners.min(axis=0).tolist(), corners.max(axis=0).tolist()
    return ((x0, y0), (x1, y1))


def plate_frame(
    tone: PlateTone,
    extent: BBox,
    mirror_axis_x: float | None,
    reduction: float,
    repeat: StepRepeat | None,
    maskless: bool = False,
) -> PlateFrame:
    """How the written plate reads: polygon tone, the tone beyond ``extent`` (wafer
    coordinates; beyond it a dark-field plate is chrome to its edge, a writer exposes
    nothing), mirroring and reduction."""
    outside: Literal["chrome", "clear"] = "chrome" if maskless or tone.field == "dark" else "clear"
    frame = PlateFrame(tone.data, outside, extent, mirror_axis_x, reduction, repeat)
    (a, b), (c, d) = frame.to_written(np.array(extent)).tolist()
    return replace(frame, extent=((min(a, c), min(b, d)), (max(a, c), max(b, d))))
