"""Mask plates: one top cell per layer, made by the data-preparation pipeline

    extract -> bias -> tone (a complement keeps arrays) -> step-and-repeat -> mirror
            -> reduction -> snap -> (maskless: simple pieces) -> fracture
            -> (maskless: written flat, streamed from the hierarchy)

The tone decision (:mod:`mbfab.output.tone`) says whether the polygons are the drawn
features or their complement in the field; the geometry operations live in
:mod:`mbfab.layout.dataprep`. For a maskless writer the data are the *exposed* area, flat.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from dataclasses import field as dc_field

import gdstk

from mbfab.errors import SettingError
from mbfab.layout import (
    DBU_UM,
    GDS_MAX_POINTS,
    BBox,
    Layer,
    LayerStats,
    bounding_box,
    cell_name,
    extract_layer,
    layer_stats,
    uses_hierarchy,
)
from mbfab.layout.complement import complement
from mbfab.layout.critical import Narrowest, narrowest
from mbfab.layout.dataprep import (
    cells_below,
    fracture_in_place,
    mirror_x,
    simple_in_place,
    size_in_place,
    snap_in_place,
)
from mbfab.layout.marks import MarkPlacement
from mbfab.layout.plateframe import PlateFrame, StepRepeat, scaled
from mbfab.layout.sizing import sizing_change
from mbfab.output.platearea import complement_extent, plate_frame, stepped
from mbfab.output.tone import PlateTone, Polarity, ToneMode, decide_tone

__all__ = [
    "BiasRemovesFeatures",
    "Plate",
    "PlateRequest",
    "PrepError",
    "PrepSettings",
    "make_plate",
    "mask_field",
    "plate_cell_name",
]


@dataclass(frozen=True)
class PlateRequest:
    """What a plate needs to know about its layer."""

    layer: Layer
    process: str
    polarity: str
    top_name: str
    #: Alignment marks of the mask layout in which this layer takes part.
    marks: tuple[MarkPlacement, ...] = ()


@dataclass(frozen=True)
class PrepSettings:
    """Data preparation of one plate (all lengths in um)."""

    grid_um: float = DBU_UM
    max_points: int = GDS_MAX_POINTS
    #: Change of every line width: each edge moves by half of it (positive grows features).
    cd_bias_um: float = 0.0
    #: Mirror about ``x = mirror_axis_x`` (None: no mirroring).
    mirror_axis_x: float | None = None
    #: Maskless writer: flat, exposed area, simple polygons only.
    maskless: bool = False
    #: Extent of the written data on the wafer: the plate's usable area (None: the field).
    window: BBox | None = None
    #: Step-and-repeat of the die over the plate (None: one die).
    repeat: StepRepeat | None = None
    #: Written size / wafer size (5 for a 5x reticle).
    reduction: float = 1.0


@dataclass
class Plate:
    """One mask plate (or maskless data layer) ready to be written."""

    layer: Layer
    cell: gdstk.Cell
    tone: PlateTone
    field: BBox
    drawn: LayerStats
    written: LayerStats
    bbox: BBox | None
    prep: PrepSettings = dc_field(default_factory=PrepSettings)
    #: Narrowest line or space of the (biased) features, in written coordinates.
    critical: Narrowest | None = None
    #: Alignment marks this plate carries (wafer coordinates of the single die).
    marks: list[MarkPlacement] = dc_field(default_factory=list)
    #: What the data preparation changed or repaired.
    messages: list[str] = dc_field(default_factory=list)
    #: How the written data read: polygon tone, tone beyond the data, mirror, reduction.
    frame: PlateFrame | None = None


class PrepError(SettingError):
    """Data preparation cannot make a sound plate; ``key_path`` names the recipe setting."""


class BiasRemovesFeatures(PrepError):
    """A negative CD bias shrank every device feature of a layer away (a blank plate)."""


def mask_field(device_bbox: BBox, margin_um: float) -> BBox:
    """The plate window: the device's bounding box grown by ``margin_um`` on every side."""
    (x0, y0), (x1, y1) = device_bbox
    return ((x0 - margin_um, y0 - margin_um), (x1 + margin_um, y1 + margin_um))


def make_plate(
    device: gdstk.Cell,
    request: PlateRequest,
    field: BBox,
    mode: ToneMode,
    prep: PrepSettings | None = None,
    features: gdstk.Cell | None = None,
) -> Plate:
    """Extract ``request.layer`` from ``device`` and run the data-preparation pipeline.

    ``features`` is the cell whose polygons set the critical dimension (the device without
    marks and labels, whose fine lines are not what the shop should control); by default
    ``device`` itself.
    """
    prep = prep or PrepSettings()
    layer = request.layer
    spec = layer.spec
    cell = extract_layer(device, spec, request.top_name)
    drawn = layer_stats(cell, spec)
    polarity: Polarity = "negative" if request.polarity == "negative" else "positive"
    tone = decide_tone(request.process, polarity, mode, arrayed=uses_hierarchy(cell, spec))
    messages: list[str] = []
    measured = cell if features is None else extract_layer(features, spec, "CD_MEASURE")
    if prep.cd_bias_um:
        _check_bias(measured, layer, prep.cd_bias_um)
        had_features = layer_stats(measured, spec).polygons > 0
        for target in {id(cell): cell, id(measured): measured}.values():
            size_in_place(target, layer, prep.cd_bias_um / 2.0)
        if had_features and not layer_stats(measured, spec).polygons:
            raise BiasRemovesFeatures(
                f"a CD bias of {prep.cd_bias_um:g} um removes every feature of layer {layer.name}",
                ("output", "bias", layer.name),
            )
        messages.append(f"CD bias {prep.cd_bias_um:+g} um (each edge {prep.cd_bias_um / 2:+g} um)")
    critical = _critical(measured, prep)
    if critical is not None and prep.grid_um > critical.width_um / 2:  # both as written
        # Snapping moves a vertex by up to half a grid step: a feature narrower than two steps
        # can collapse or double in width.
        raise PrepError(
            f"grid {prep.grid_um:g} um is coarser than half the critical dimension "
            f"({critical.width_um:g} um {critical.kind}) of layer {layer.name}",
            ("output", "grid"),
        )
    if prep.maskless:
        # A writer exposes its polygons: they must be the exposed area (a mask's clear area).
        # The plate keeps its hierarchy here; the file is written flat (streamed).
        tone = replace(tone, data="clear", inverted=tone.chrome == "feature")
    if tone.inverted:
        # The complement keeps the lattice as an array of tile complements (plus a border).
        extent = complement_extent(field, prep.window, prep.repeat)
        cell = complement(cell, layer, extent, request.top_name)
    cell = stepped(cell, layer, tone, prep.window, prep.repeat)
    if prep.mirror_axis_x is not None and not prep.maskless:
        cell = mirror_x(cell, prep.mirror_axis_x, f"{request.top_name}_UNMIRRORED")
        messages.append(f"mirrored about x = {prep.mirror_axis_x:g} um")
    if prep.reduction != 1.0:
        cell = scaled(cell, prep.reduction)
        messages.append(f"scaled {prep.reduction:g}x for a {prep.reduction:g}:1 projection tool")
    snap_in_place(cell, prep.grid_um)
    if prep.maskless:
        messages += simple_in_place(cell, layer, prep.grid_um)
    fracture_in_place(cell, prep.max_points, prep.grid_um)
    bbox = bounding_box(cell) if cell.polygons or cell.references else None
    written = layer_stats(cell, spec)
    mirror = None if prep.maskless else prep.mirror_axis_x
    frame = plate_frame(
        tone, prep.window or field, mirror, prep.reduction, prep.repeat, prep.maskless
    )
    marks = list(request.marks)
    return Plate(
        layer, cell, tone, field, drawn, written, bbox, prep, critical, marks, messages, frame
    )


def _check_bias(features: gdstk.Cell, layer: Layer, bias_um: float) -> None:
    """A CD bias may move edges; it must not join features that were apart (a space that
    closes shorts two nets) nor cut or remove some of them."""
    change = sizing_change(features, layer.spec, bias_um / 2.0)
    if change is None or change.after == 0:  # nothing left: BiasRemovesFeatures says so
        return
    x, y = change.location
    what = {
        "joins": f"closes the {change.width_um:g} um space",
        "splits": f"cuts a line narrower than {change.width_um:g} um",
        "removes": "removes a feature",
    }[change.kind]
    raise PrepError(
        f"a CD bias of {bias_um:+g} um {what} at ({x:g}, {y:g}) um on layer {layer.name} "
        f"({change.before} separate pieces become {change.after})",
        ("output", "bias", layer.name),
    )


def _critical(cell: gdstk.Cell, prep: PrepSettings) -> Narrowest | None:
    """Narrowest line/space among each cell's own polygons (arrays: the unit cell)."""
    best: Narrowest | None = None
    # Small cells first: their narrow features bound the search in the big ones.
    for c in sorted(cells_below(cell), key=lambda c: sum(len(p.points) for p in c.polygons)):
        result = narrowest(c.polygons, DBU_UM, best.width_um if best else None)
        if result is not None and (best is None or result.width_um < best.width_um):
            best = result
    if best is None:
        return None
    x, y = best.location
    if prep.mirror_axis_x is not None and not prep.maskless:
        x = 2 * prep.mirror_axis_x - x
    r = prep.reduction
    return replace(best, width_um=best.width_um * r, location=(round(r * x, 3), round(r * y, 3)))


def plate_cell_name(recipe_name: str, layer_name: str) -> str:
    """Top cell name of a plate."""
    return cell_name(recipe_name, layer_name).upper()
