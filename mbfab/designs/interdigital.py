"""In-plane interdigital cell: two collector combs, electrodes inset on each comb, an
electrolyte window over the electrode field.

Coordinates (um): finger ``i`` (0-based, ``2*fingers`` in all) spans
``x = i*(w + g) .. i*(w + g) + w``; even fingers belong to the cathode comb, whose bus bar
lies at ``y = 0 .. b``; odd fingers belong to the anode comb, whose bus bar lies on top.
Each finger is ``finger_length`` long from its bus bar; its tip stands ``tip_gap`` from the
other comb's bus bar. The cathode pad hangs below the cathode bus at the left end, the anode
pad above the anode bus at the right end.
"""

from __future__ import annotations

import gdstk

from mbfab.designs.arrays3d import feature_of, lattice_facts
from mbfab.designs.base import Device, RoleLayers
from mbfab.layout import Layer, boolean, bounding_box, cell_name, merge, offset, rectangle
from mbfab.layout.arrays import Region, feature_array, rectangle_region
from mbfab.recipe.design_params import InterdigitalParams

__all__ = ["build_interdigital", "comb_outlines", "finger_regions"]


def comb_outlines(
    p: InterdigitalParams, layer: Layer
) -> tuple[list[gdstk.Polygon], list[gdstk.Polygon], list[gdstk.Polygon]]:
    """Cathode comb, anode comb (bus + fingers + pad stem) and the two pads, before rounding."""
    w, g, b, length = p.finger_width, p.gap, p.bus_width, p.finger_length
    tip = p.effective_tip_gap
    count = 2 * p.fingers
    width = count * w + (count - 1) * g
    top = 2 * b + length + tip
    cathode = [rectangle(0, 0, width, b, layer)]
    anode = [rectangle(0, top - b, width, top, layer)]
    # Fingers reach halfway into their bus bar: shapes that overlap merge reliably, while
    # shapes that merely share an edge may stay separate in the polygon clipper.
    for i in range(count):
        x0 = i * (w + g)
        if i % 2 == 0:
            cathode.append(rectangle(x0, b / 2, x0 + w, b + length, layer))
        else:
            anode.append(rectangle(x0, top - b - length, x0 + w, top - b / 2, layer))
    pad_w, pad_h = p.pad
    # Each pad joins its bus through a stem that overlaps both, but never sticks out of either.
    stem_w = min(pad_w, width)
    pads = [
        rectangle(0, -pad_h, pad_w, 0, layer),
        rectangle(width - pad_w, top, width, top + pad_h, layer),
    ]
    cathode.append(rectangle(0, -pad_h / 2, stem_w, b / 2, layer))
    anode.append(rectangle(width - stem_w, top - b / 2, width, top + pad_h / 2, layer))
    return cathode, anode, pads


def _round_convex(shapes: list[gdstk.Polygon], radius: float, layer: Layer) -> list[gdstk.Polygon]:
    """Round convex corners by an opening (shrink then grow): material only ever goes away."""
    if radius <= 0:
        return merge(shapes, layer)
    return offset(offset(shapes, -radius, layer), radius, layer, join="round")


def _electrode(
    comb: list[gdstk.Polygon], p: InterdigitalParams, layer: Layer
) -> list[gdstk.Polygon]:
    return _round_convex(offset(comb, -p.inset, layer), p.corner_radius, layer)


def build_interdigital(p: InterdigitalParams, layers: RoleLayers) -> Device:
    """Generate the interdigital cell (collector, cathode, anode, optional electrolyte)."""
    collector = layers.one("collector")
    cathode_layer, anode_layer = layers.one("cathode"), layers.one("anode")
    electrolyte_layer = layers.optional("electrolyte")

    cathode_comb, anode_comb, pads = comb_outlines(p, collector)
    cathode_cc = _round_convex([*cathode_comb, pads[0]], p.corner_radius, collector)
    anode_cc = _round_convex([*anode_comb, pads[1]], p.corner_radius, collector)
    # Electrodes cover bus and fingers, inset from the collector edge; pads stay bare.
    cathode = _electrode(cathode_comb[:-1], p, cathode_layer)
    anode = _electrode(anode_comb[:-1], p, anode_layer)

    cell = gdstk.Cell(cell_name("INTERDIGITAL"))
    cell.add(*cathode_cc, *anode_cc, *cathode, *anode)
    used = {"collector": collector, "cathode": cathode_layer, "anode": anode_layer}
    if electrolyte_layer is not None:
        field = gdstk.Polygon(_bbox_points([*cathode, *anode]))
        window = offset([field], p.electrolyte_margin, electrolyte_layer)
        # Pads stay bare for probing; the window reaches over the collectors everywhere else.
        cell.add(*boolean(window, pads, "not", electrolyte_layer))
        used["electrolyte"] = electrolyte_layer

    count = 2 * p.fingers
    width = count * p.finger_width + (count - 1) * p.gap
    height = 2 * p.bus_width + p.finger_length + p.effective_tip_gap
    closed_form = _closed_form(p, width, height)
    info: dict[str, str | list[str]] = {}
    if p.posts is not None:
        posts_layer = layers.one(p.posts.role)
        array = feature_array(
            cell_name("POST", "UNIT"),
            feature_of(p.posts),
            posts_layer,
            finger_regions(p),
            p.posts.lattice,
            p.posts.pitch,
            p.posts.clearance,
        )
        cell.add(*array.references)
        used[p.posts.role] = posts_layer
        closed_form |= lattice_facts(p.posts, array.count, "post")
        closed_form["posts_area_um2"] = array.area_um2
        info = {
            "posts_on_electrodes": p.posts.electrodes,
            "posts_role": p.posts.role,
            "lattice": p.posts.lattice,
            "shape": p.posts.shape,
        }
    return Device(
        cell=cell,
        layers=used,
        footprint=bounding_box(cell),
        nets={"cathode": ["collector", "cathode"], "anode": ["collector", "anode"]},
        closed_form=closed_form,
        info=info,
    )


def finger_regions(p: InterdigitalParams) -> Region:
    """The electrode fingers that carry posts, beyond their bus bar (electrode edges)."""
    w, g, b, length, i = p.finger_width, p.gap, p.bus_width, p.finger_length, p.inset
    top = 2 * b + length + p.effective_tip_gap
    on = p.posts.electrodes if p.posts is not None else "both"
    region: Region = []
    for k in range(2 * p.fingers):
        x0 = k * (w + g)
        if k % 2 == 0 and on in ("cathode", "both"):
            region += rectangle_region(x0 + i, b, x0 + w - i, b + length - i)
        elif k % 2 == 1 and on in ("anode", "both"):
            region += rectangle_region(x0 + i, top - b - length + i, x0 + w - i, top - b)
    return region


def _closed_form(p: InterdigitalParams, width: float, height: float) -> dict[str, float]:
    """Areas from the parameters alone (sharp corners), for tests and estimates."""
    i, w, b, length = p.inset, p.finger_width, p.bus_width, p.finger_length
    electrode = (width - 2 * i) * (b - 2 * i) + p.fingers * (w - 2 * i) * length
    return {
        "field_width_um": width,
        "field_height_um": height,
        "field_area_um2": width * height,
        "electrode_area_um2": electrode,  # per electrode (cathode and anode are congruent)
        "collector_gap_um": p.gap,
        "electrode_gap_um": p.gap + 2 * i,
        "finger_count": float(2 * p.fingers),
    }


def _bbox_points(polygons: list[gdstk.Polygon]) -> list[tuple[float, float]]:
    xs = [x for poly in polygons for x, _ in poly.points]
    ys = [y for poly in polygons for _, y in poly.points]
    return [(min(xs), min(ys)), (max(xs), min(ys)), (max(xs), max(ys)), (min(xs), max(ys))]
