"""Quantities measured on the generated layout: areas, boxes, footprints, drawn outlines."""

from __future__ import annotations

from dataclasses import dataclass

from mbfab.designs import Device
from mbfab.layout import BBox, layer_bbox, layer_perimeter_um, layer_stats, union_area_um2
from mbfab.recipe import LayerSpec, Recipe

__all__ = ["Measured", "bbox_area_um2", "electrode_role", "measure", "union_bbox"]

ELECTRODE_ROLES = ("cathode", "anode")


def electrode_role(spec: LayerSpec) -> str | None:
    """``cathode``/``anode`` for an electrode layer (its role, or ``electrode.role``), else None."""
    if spec.role in ELECTRODE_ROLES:
        return spec.role
    return spec.electrode.role if spec.electrode is not None else None


def bbox_area_um2(box: BBox) -> float:
    """Area of an axis-aligned box ``((x0, y0), (x1, y1))`` in um2."""
    (x0, y0), (x1, y1) = box
    return (x1 - x0) * (y1 - y0)


def union_bbox(boxes: list[BBox]) -> BBox | None:
    """The box around ``boxes``; None for none."""
    if not boxes:
        return None
    return (
        (min(b[0][0] for b in boxes), min(b[0][1] for b in boxes)),
        (max(b[1][0] for b in boxes), max(b[1][1] for b in boxes)),
    )


@dataclass(frozen=True)
class Measured:
    """Per-layer drawn area, polygon count, outline and box; footprints by basis."""

    area_um2: dict[str, float]
    polygons: dict[str, int]
    perimeter_um: dict[str, float]
    bbox: dict[str, BBox | None]
    electrode_union_um2: float
    union_method: str
    footprints_um2: dict[str, float]
    footprint_boxes: dict[str, BBox]


def measure(recipe: Recipe, device: Device) -> Measured:
    """Measure every recipe layer the device draws, and the footprint bases.

    Footprints: ``electrodes`` = bounding box of the cathode and anode layers; ``device`` =
    bounding box of everything drawn; ``die`` = the recipe's die; ``package`` = the device box
    grown by the seal ring (or the seal layer's box when one is drawn).
    """
    area, count, perimeter, boxes = {}, {}, {}, {}
    for spec in recipe.layers:
        gds = (spec.gds[0], spec.gds[1])
        stats = layer_stats(device.cell, gds)
        area[spec.name], count[spec.name] = stats.area_um2, stats.polygons
        perimeter[spec.name] = layer_perimeter_um(device.cell, gds) if stats.polygons else 0.0
        boxes[spec.name] = layer_bbox(device.cell, gds) if stats.polygons else None
    electrodes = [s for s in recipe.layers if s.role in ELECTRODE_ROLES]
    union = union_area_um2(device.cell, [(s.gds[0], s.gds[1]) for s in electrodes])
    if union is None:  # too many polygons to flatten: in-plane layers do not overlap
        union, method = sum(area[s.name] for s in electrodes), "sum (array not flattened)"
    else:
        method = "boolean union"
    footprint_boxes: dict[str, BBox] = {"device": device.footprint}
    electrode_box = union_bbox([b for s in electrodes if (b := boxes[s.name]) is not None])
    if electrode_box is not None:
        footprint_boxes["electrodes"] = electrode_box
    estimate = recipe.estimate
    if estimate.die is not None:
        (x0, y0), (x1, y1) = device.footprint
        cx, cy, (w, h) = (x0 + x1) / 2, (y0 + y1) / 2, estimate.die
        footprint_boxes["die"] = ((cx - w / 2, cy - h / 2), (cx + w / 2, cy + h / 2))
    seal = union_bbox([b for s in recipe.layers if s.role == "seal" and (b := boxes[s.name])])
    if seal is not None:
        footprint_boxes["package"] = union_bbox([seal, device.footprint]) or seal
    elif estimate.seal_ring > 0:
        (x0, y0), (x1, y1), ring = *device.footprint, estimate.seal_ring
        footprint_boxes["package"] = ((x0 - ring, y0 - ring), (x1 + ring, y1 + ring))
    return Measured(
        area_um2=area,
        polygons=count,
        perimeter_um=perimeter,
        bbox=boxes,
        electrode_union_um2=union,
        union_method=method,
        footprints_um2={k: bbox_area_um2(b) for k, b in footprint_boxes.items()},
        footprint_boxes=footprint_boxes,
    )
