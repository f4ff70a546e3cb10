"""A mask plate as an exposure tool sees it, and the operations that place data on it.

Written data are the drawn data (wafer coordinates, um) mirrored about ``x = mirror_axis_x``
when the data preparation mirrors, then scaled by the tool's ``reduction`` (a 5x reticle
carries everything five times larger)::

    written = reduction * mirror(wafer)        wafer = mirror(written / reduction)

Inside ``extent`` (written coordinates) the polygons are chrome when ``data`` is "chrome" and
glass when it is "clear", the rest of ``extent`` the other way round; beyond ``extent`` the
plate is ``outside`` to its edge. A projection lens also turns the image by 180 degrees about
the optical axis; every layer turns alike, so the mapping leaves it out.

Step-and-repeat places one die tile in an arrayed reference (arrays stay arrays); scaling
copies the hierarchy with every vertex, origin and array vector scaled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import gdstk
import numpy as np
from numpy.typing import ArrayLike

from mbfab.layout.boolean import boolean
from mbfab.layout.cells import BBox
from mbfab.layout.grid import snap_value
from mbfab.layout.layers import Layer
from mbfab.layout.shapes import rectangle

__all__ = [
    "PlateFrame",
    "StepRepeat",
    "chrome_region",
    "scaled",
    "step_and_repeat",
]

Tone = Literal["chrome", "clear"]


@dataclass(frozen=True)
class StepRepeat:
    """A die stepped ``count`` = (columns, rows) times at ``pitch`` (wafer um), centred on
    ``center``."""

    pitch: tuple[float, float]
    count: tuple[int, int]
    center: tuple[float, float]

    @property
    def origin(self) -> tuple[float, float]:
        """Offset of die (0, 0), the lower-left one, from the single die's place."""
        (px, py), (nx, ny) = self.pitch, self.count
        return (snap_value(-(nx - 1) * px / 2), snap_value(-(ny - 1) * py / 2))

    @property
    def central_offset(self) -> tuple[float, float]:
        """Offset of the die nearest the centre (column nx//2, row ny//2) from the single
        die's place; zero for odd counts."""
        (px, py), (nx, ny) = self.pitch, self.count
        ox, oy = self.origin
        return (ox + (nx // 2) * px, oy + (ny // 2) * py)

    def tile(self) -> BBox:
        """One pitch cell around the single die's place (wafer um)."""
        (cx, cy), (px, py) = self.center, self.pitch
        return ((cx - px / 2, cy - py / 2), (cx + px / 2, cy + py / 2))

    def span(self) -> BBox:
        """The area covered by all the tiles (wafer um)."""
        (x0, y0), _ = self.tile()
        ox, oy = self.origin
        (px, py), (nx, ny) = self.pitch, self.count
        return ((x0 + ox, y0 + oy), (x0 + ox + nx * px, y0 + oy + ny * py))


@dataclass(frozen=True)
class PlateFrame:
    """How a plate's written data map to the wafer and what the plate is around them."""

    #: What the written polygons are inside ``extent``.
    data: Tone
    #: The plate beyond ``extent``, to its edge.
    outside: Tone
    #: Area the written polygons describe, in written coordinates.
    extent: BBox
    #: Mirror axis in wafer coordinates (None: not mirrored).
    mirror_axis_x: float | None = None
    #: Written size / wafer size (1 for contact and proximity masks).
    reduction: float = 1.0
    #: The die's step-and-repeat on the plate, if any (already in the written data).
    repeat: StepRepeat | None = None

    def to_written(self, points: ArrayLike) -> np.ndarray:
        """Wafer coordinates -> written coordinates; ``points`` is (N, 2)."""
        out = np.array(points, dtype=np.float64).reshape(-1, 2)
        if self.mirror_axis_x is not None:
            out[:, 0] = 2.0 * self.mirror_axis_x - out[:, 0]
        return out * self.reduction

    def to_wafer(self, points: ArrayLike) -> np.ndarray:
        """Written coordinates -> wafer coordinates; ``points`` is (N, 2)."""
        out = np.array(points, dtype=np.float64).reshape(-1, 2) / self.reduction
        if self.mirror_axis_x is not None:
            out[:, 0] = 2.0 * self.mirror_axis_x - out[:, 0]
        return out


def chrome_region(
    written: list[gdstk.Polygon], frame: PlateFrame, view: BBox, layer: Layer
) -> list[gdstk.Polygon]:
    """Where the plate is chrome inside ``view`` (wafer coordinates), from the flat written
    polygons of its layer; the result is in wafer coordinates on ``layer``.

    This is the reference reading of a plate (it works on flat polygons: pass the polygons of
    a window, or of an array's unit cell, for large arrays).
    """
    on_wafer = [
        gdstk.Polygon(frame.to_wafer(p.points).tolist(), layer.layer, layer.datatype)
        for p in written
    ]
    (ex0, ey0), (ex1, ey1) = (tuple(c) for c in frame.to_wafer(np.array(frame.extent)))
    extent = rectangle(min(ex0, ex1), min(ey0, ey1), max(ex0, ex1), max(ey0, ey1), layer)
    (vx0, vy0), (vx1, vy1) = view
    window = rectangle(vx0, vy0, vx1, vy1, layer)
    inside = boolean(on_wafer, extent, "and", layer)
    if frame.data == "clear":
        inside = boolean(extent, inside, "not", layer)
    chrome = boolean(inside, window, "and", layer)
    if frame.outside == "chrome":
        chrome += boolean(window, extent, "not", layer)
    return chrome


def step_and_repeat(
    die: gdstk.Cell, repeat: StepRepeat, name: str, around: list[gdstk.Polygon] | None = None
) -> gdstk.Cell:
    """A new cell ``name`` placing ``die`` ``repeat.count`` times as one arrayed reference,
    plus the polygons ``around`` (e.g. chrome outside the array)."""
    top = gdstk.Cell(name)
    (px, py), (nx, ny) = repeat.pitch, repeat.count
    top.add(
        gdstk.Reference(die, repeat.origin, columns=nx, rows=ny, spacing=(px, py))
        if nx * ny > 1
        else gdstk.Reference(die, repeat.origin)
    )
    top.add(*(around or []))
    return top


def scaled(top: gdstk.Cell, factor: float) -> gdstk.Cell:
    """A copy of ``top``'s hierarchy with every coordinate multiplied by ``factor``; cells
    keep their names, arrays stay arrays."""
    if factor == 1.0:
        return top
    copies: dict[str, gdstk.Cell] = {}

    def visit(cell: gdstk.Cell) -> gdstk.Cell:
        if cell.name not in copies:
            copies[cell.name] = _scaled_cell(cell, factor, visit)
        return copies[cell.name]

    return visit(top)


def _scaled_cell(
    cell: gdstk.Cell, factor: float, visit: Callable[[gdstk.Cell], gdstk.Cell]
) -> gdstk.Cell:
    out = gdstk.Cell(cell.name)
    for poly in cell.polygons:
        points = (np.asarray(poly.points) * factor).tolist()
        new = gdstk.Polygon(points, poly.layer, poly.datatype)
        if poly.repetition.size:
            new.repetition = _scaled_repetition(poly.repetition, factor)
        out.add(new)
    for ref in cell.references:
        child = ref.cell
        target = visit(child) if isinstance(child, gdstk.Cell) else child
        x, y = ref.origin
        new_ref = gdstk.Reference(
            target, (x * factor, y * factor), ref.rotation, ref.magnification, ref.x_reflection
        )
        if ref.repetition.size:
            new_ref.repetition = _scaled_repetition(ref.repetition, factor)
        out.add(new_ref)
    return out


def _scaled_repetition(rep: gdstk.Repetition, factor: float) -> gdstk.Repetition:
    if rep.spacing is not None:
        sx, sy = rep.spacing
        return gdstk.Repetition(rep.columns, rep.rows, spacing=(sx * factor, sy * factor))
    if rep.v1 is not None and rep.v2 is not None:
        v1 = tuple(c * factor for c in rep.v1)
        v2 = tuple(c * factor for c in rep.v2)
        return gdstk.Repetition(rep.columns, rep.rows, v1=v1, v2=v2)  # type: ignore[arg-type]
    if rep.x_offsets is not None:
        return gdstk.Repetition(x_offsets=[x * factor for x in rep.x_offsets])
    if rep.y_offsets is not None:
        return gdstk.Repetition(y_offsets=[y * factor for y in rep.y_offsets])
    # ``offsets``, not ``get_offsets()``: the latter adds the element's own (0, 0) placement.
    return gdstk.Repetition(offsets=np.asarray(rep.offsets) * factor)  # type: ignore[arg-type]
