"""Stacked thin-film cell: cathode collector, cathode, electrolyte, anode, anode collector.

Coordinates (um): the cathode is centred on the origin. The cathode collector leaves to the
left through its tab to its pad; the anode collector leaves to the right. The electrolyte
(and the anode inside it) reaches far enough to the right that the anode collector touches
the anode only beyond the cathode collector plus ``collector_gap``: in plan view the two
collectors never overlap, so a pinhole in the electrolyte cannot short them.
"""

from __future__ import annotations

import math

import gdstk

from mbfab.designs.base import Device, RoleLayers
from mbfab.layout import (
    Layer,
    boolean,
    bounding_box,
    cell_name,
    circle,
    merge,
    rectangle,
    rounded_rectangle,
)
from mbfab.recipe.design_params import StackedParams

__all__ = ["build_stacked", "stacked_closed_form"]

_FAR = 1e7  # um: half-plane stand-in, far beyond any die


def _outline(p: StackedParams, grow: float, extension: float, layer: Layer) -> list[gdstk.Polygon]:
    """The cathode outline grown by ``grow`` and swept ``extension`` along +x, drawn anew.

    Growing a faceted arc with a polygon offset fans out new facets at every vertex, and the
    shrink that follows snaps some of them into 1 nm back-steps that width and space checks
    rightly flag. Drawing each outline from its parameters avoids them and is exact: a circle
    grows into a circle of radius + grow, a rounded corner into an arc of radius + grow
    (sharp once that reaches zero), and a circle swept along x is a stadium.
    """
    w, h = p.cathode
    if p.shape == "circle":
        r = w / 2 + grow
        if extension <= 0:
            return [circle((0.0, 0.0), r, layer)]
        return merge([rounded_rectangle(-r, -r, r + extension, r, r, layer)], layer)
    radius = max(p.corner_radius + grow, 0.0) if p.corner_radius > 0 else 0.0
    x0, y0, x1, y1 = -w / 2 - grow, -h / 2 - grow, w / 2 + grow + extension, h / 2 + grow
    return merge([rounded_rectangle(x0, y0, x1, y1, radius, layer)], layer)


def _bbox(shapes: list[gdstk.Polygon]) -> tuple[tuple[float, float], tuple[float, float]]:
    cell = gdstk.Cell("BBOX")
    cell.add(*shapes)
    return bounding_box(cell)


def build_stacked(p: StackedParams, layers: RoleLayers) -> Device:
    """Generate the stacked cell; see the module docstring for the layout."""
    cc = layers.one("cathode-collector")
    ca, el = layers.one("cathode"), layers.one("electrolyte")
    an, ac = layers.one("anode"), layers.one("anode-collector")
    cathode = _outline(p, 0.0, 0.0, ca)
    body = _outline(p, p.collector_enclosure, 0.0, cc)
    (bx0, _), (bx1, _) = _bbox(body)
    pad_w, pad_h = p.pad
    tw = p.tab_width / 2
    cc_pad_x = bx0 - p.tab_length - pad_w
    cathode_cc = merge(
        [
            *body,
            rectangle(cc_pad_x + pad_w / 2, -tw, 0, tw, cc),
            rectangle(cc_pad_x, -pad_h / 2, cc_pad_x + pad_w, pad_h / 2, cc),
        ],
        cc,
    )
    e, i = p.electrolyte_enclosure, p.anode_inset
    extension = max(0.0, p.anode_contact + p.collector_gap + p.collector_enclosure + i - e)
    electrolyte = _outline(p, e, extension, el)
    anode = _outline(p, e - i, extension, an)
    (_, _), (ax1, _) = _bbox(anode)
    contact_x = bx1 + p.collector_gap
    contact = boolean(anode, rectangle(contact_x, -_FAR, _FAR, _FAR, ac), "and", ac)
    ac_pad_x = ax1 + p.tab_length
    anode_cc = merge(
        [
            *contact,
            rectangle(contact_x, -tw, ac_pad_x + pad_w / 2, tw, ac),
            rectangle(ac_pad_x, -pad_h / 2, ac_pad_x + pad_w, pad_h / 2, ac),
        ],
        ac,
    )
    cell = gdstk.Cell(cell_name("STACKED"))
    cell.add(*cathode_cc, *cathode, *electrolyte, *anode, *anode_cc)
    used = {
        "cathode-collector": cc,
        "cathode": ca,
        "electrolyte": el,
        "anode": an,
        "anode-collector": ac,
    }
    return Device(
        cell=cell,
        layers=used,
        footprint=bounding_box(cell),
        nets={"cathode": ["cathode-collector", "cathode"], "anode": ["anode", "anode-collector"]},
        closed_form=stacked_closed_form(p) | {"electrolyte_extension_um": extension},
        info={"stack": list(p.stack)},
    )


def stacked_closed_form(p: StackedParams) -> dict[str, float]:
    """Areas and margins from the parameters (true circles and arcs, not facets)."""
    w, h = p.cathode
    if p.shape == "circle":
        area = math.pi * w * w / 4
    else:
        area = w * h - (4 - math.pi) * p.corner_radius**2
    return {
        "cathode_area_um2": area,
        # The anode covers the whole cathode, so the overlap (active area) is the cathode.
        "active_area_um2": area,
        "electrolyte_enclosure_um": p.electrolyte_enclosure,
        "collector_enclosure_um": p.collector_enclosure,
        "anode_over_cathode_um": p.electrolyte_enclosure - p.anode_inset,
        "collector_gap_um": p.collector_gap,
    }
