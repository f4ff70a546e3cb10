"""Swiss-roll cells: the flat multilayer before release (polymer micro-origami platform).

Layers bottom-up: ``sacrificial`` (dissolved to release), ``swelling`` (hydrogel that
swells), ``stiff`` (polyimide that resists; the strain gradient rolls the strip),
``collector``, the electrode stripes (``cathode``/``anode``) and the ``separator``.

One strip in local coordinates (um)::

    y=W  +--------------------------------------------------+
         | anchor |       released (rolled_length)          |   sacrificial only under the
         | x=0..A |  x = A .. A + rolled_length              |   released part, release_margin
    y=0  +--------------------------------------------------+   beyond it on three sides
           <- the free end at the right rolls toward the anchor (-x)

A single roll carries both electrodes as two stripes along x (cathode below, anode above,
``collector_gap`` apart) and covers them with the separator, so every turn is insulated from
the next; its collectors leave through the anchor end (-x) to two pads. A twin cell places
two strips mirrored about x = 0 with their anchors facing across ``roll_gap``: the cathode
roll on the left rolls toward +x, the anode roll on the right toward -x, each with one full
width collector whose tab leaves the anchor upward (+y) to a pad; a window on the optional
``electrolyte`` layer (else ``separator``) spans the gap between the anchors, where the
electrolyte joins the two rolls.
"""

from __future__ import annotations

import gdstk

from mbfab.designs.base import Device, RoleLayers
from mbfab.layout import Layer, bounding_box, cell_name, merge, rectangle
from mbfab.recipe.design_params import SwissRollParams

__all__ = ["ROLLED_SINGLE", "ROLLED_TWIN", "STACK", "build_swiss_roll", "electrode_length"]

#: Roles of the strip, bottom-up (the electrode role is the cathode or anode stripe).
STACK = ["sacrificial", "swelling", "stiff", "collector", "electrode", "separator"]
#: Roles in one turn of a single roll: both stripes under the separator that insulates turns.
ROLLED_SINGLE = ["swelling", "stiff", "collector", "electrode", "separator"]
#: Roles in one turn of a twin roll: one electrode per roll, no separator drawn on the strip.
ROLLED_TWIN = ["swelling", "stiff", "collector", "electrode"]


def electrode_length(p: SwissRollParams) -> float:
    """Length of each electrode stripe along the rolling direction (released part only)."""
    return p.rolled_length - p.stiff_inset - p.collector_inset - 2 * p.electrode_inset


def _strip(p: SwissRollParams, layers: RoleLayers) -> list[gdstk.Polygon]:
    """Sacrificial, swelling and stiff layers of one strip (local coordinates)."""
    a, length, w, m, s = p.anchor_length, p.rolled_length, p.width, p.release_margin, p.stiff_inset
    end = a + length
    return [
        rectangle(a, -m, end + m, w + m, layers.one("sacrificial")),
        rectangle(0, 0, end, w, layers.one("swelling")),
        rectangle(s, s, end - s, w - s, layers.one("stiff")),
    ]


def _stripe(
    p: SwissRollParams, y0: float, y1: float, collector: Layer, electrode: Layer
) -> tuple[gdstk.Polygon, gdstk.Polygon]:
    """A collector stripe over the whole strip and its electrode on the released part."""
    x0 = p.stiff_inset + p.collector_inset
    x1 = p.anchor_length + p.rolled_length - x0
    e = p.electrode_inset
    return (
        rectangle(x0, y0, x1, y1, collector),
        rectangle(p.anchor_length + e, y0 + e, x1 - e, y1 - e, electrode),
    )


def _single(p: SwissRollParams, layers: RoleLayers) -> list[gdstk.Polygon]:
    cl, ca, an = layers.one("collector"), layers.one("cathode"), layers.one("anode")
    inner = p.stiff_inset + p.collector_inset
    cw, tw, (pw, ph), t = p.collector_width, p.tab_width / 2, p.pad, p.tab_length
    c_cc, c_el = _stripe(p, inner, inner + cw, cl, ca)
    a_cc, a_el = _stripe(p, p.width - inner - cw, p.width - inner, cl, an)
    yc, ya = inner + cw / 2, p.width - inner - cw / 2
    # Pads grow away from each other, so they never meet however narrow the strip.
    cathode_cc = merge(
        [
            c_cc,
            rectangle(-t, yc - tw, inner + 1, yc + tw, cl),
            rectangle(-t - pw, yc + tw - ph, -t, yc + tw, cl),
        ],
        cl,
    )
    anode_cc = merge(
        [
            a_cc,
            rectangle(-t, ya - tw, inner + 1, ya + tw, cl),
            rectangle(-t - pw, ya - tw, -t, ya - tw + ph, cl),
        ],
        cl,
    )
    se = p.separator_enclosure
    (x0, y0), (x1, y1) = bounding_box(_cell_of([c_el, a_el]))
    separator = rectangle(x0 - se, y0 - se, x1 + se, y1 + se, layers.one("separator"))
    return [*_strip(p, layers), *cathode_cc, *anode_cc, c_el, a_el, separator]


def _twin_half(p: SwissRollParams, layers: RoleLayers, electrode: Layer) -> list[gdstk.Polygon]:
    """One roll of a twin cell, local coordinates, tab and pad above its anchor."""
    cl = layers.one("collector")
    inner = p.stiff_inset + p.collector_inset
    cc, el = _stripe(p, inner, p.width - inner, cl, electrode)
    tw, (pw, ph) = p.tab_width, p.pad
    tx = (p.anchor_length - tw) / 2
    top = p.width + p.tab_length
    collector = merge(
        [
            cc,
            rectangle(tx, p.width - inner - 1, tx + tw, top + 1, cl),
            rectangle(tx, top, tx + pw, top + ph, cl),
        ],
        cl,
    )
    return [*_strip(p, layers), *collector, el]


def _placed(shapes: list[gdstk.Polygon], dx: float, mirror: bool) -> list[gdstk.Polygon]:
    out = []
    for shape in shapes:
        moved = shape.copy()
        if mirror:
            moved.mirror((0, 0), (0, 1))
        out.append(moved.translate(dx, 0))
    return out


def _twin(p: SwissRollParams, layers: RoleLayers) -> list[gdstk.Polygon]:
    half = p.roll_gap / 2
    left = _placed(_twin_half(p, layers, layers.one("cathode")), -half, mirror=True)
    right = _placed(_twin_half(p, layers, layers.one("anode")), half, mirror=False)
    gap = layers.optional("electrolyte") or layers.optional("separator")
    window = [rectangle(-half, 0, half, p.width, gap)] if gap is not None else []
    return [*left, *right, *window]


def _cell_of(shapes: list[gdstk.Polygon]) -> gdstk.Cell:
    cell = gdstk.Cell("SHAPES")
    cell.add(*shapes)
    return cell


def build_swiss_roll(p: SwissRollParams, layers: RoleLayers) -> Device:
    """Generate the flat single or twin Swiss-roll layout; see the module docstring."""
    cell = gdstk.Cell(cell_name("SWISS_ROLL", "TWIN" if p.twin else ""))
    cell.add(*(_twin(p, layers) if p.twin else _single(p, layers)))
    roles = ["sacrificial", "swelling", "stiff", "collector", "cathode", "anode"]
    roles += [r for r in ("separator", "electrolyte") if layers.optional(r) is not None]
    if not p.twin:
        roles = [r for r in roles if r != "electrolyte"]
    electrode_w = p.collector_width - 2 * p.electrode_inset
    length = electrode_length(p)
    rolls = 2.0 if p.twin else 1.0
    return Device(
        cell=cell,
        layers={role: layers.one(role) for role in roles},
        footprint=bounding_box(cell),
        nets={"cathode": ["collector", "cathode"], "anode": ["collector", "anode"]},
        closed_form={
            "rolled_length_um": p.rolled_length,
            "roll_width_um": p.width,
            "roll_count": rolls,
            "anchor_length_um": p.anchor_length,
            "roll_gap_um": p.roll_gap if p.twin else 0.0,
            "electrode_length_um": length,
            "electrode_width_um": electrode_w,
            "electrode_area_um2": electrode_w * length,  # each of cathode and anode
            "strip_area_um2": rolls * p.width * (p.anchor_length + p.rolled_length),
        },
        info={
            "stack": STACK,
            # What one turn of each roll is made of, bottom-up ("electrode": the roll's own
            # electrode stripes, side by side). The sacrificial layer is dissolved; a twin
            # cell's electrolyte window lies flat between the anchors and is not rolled.
            "rolled_stack": ROLLED_TWIN if p.twin else ROLLED_SINGLE,
            # One entry per roll: the electrode roles it carries.
            "roll_electrodes": ["cathode", "anode"] if p.twin else ["cathode anode"],
            "rolling_direction": "+x (left roll), -x (right roll)" if p.twin else "-x",
            "electrodes": "one per roll" if p.twin else "side by side on one roll",
        },
    )
