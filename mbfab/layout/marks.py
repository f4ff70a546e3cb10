"""Alignment marks, text labels, resolution bars and rings, as plain polygons on the grid.

Alignment marks pair a *reference* layer (patterned first, carries the cross or the main
vernier scale) with an *aligning* layer (carries the box or the vernier scale). Sizes follow
the tool's overlay accuracy ``ov`` (um):

- fine cross-in-box: arm ``a = max(2, 2 ov)``, cross ``10 a`` long, ``2 ov`` clear on each side
  of the cross inside the box (an error up to twice the overlay stays visible and inside),
  box frame ``a`` wide;
- coarse cross-in-box: every size of the fine mark times ``COARSE_SCALE`` (found at low
  magnification before the fine alignment);
- vernier: bars ``w = max(1, ov)`` wide at pitch ``4 w`` on the reference layer and
  ``4 w + ov/2`` on the aligning layer, so a misalignment is read to half the overlay.
"""

from __future__ import annotations

from dataclasses import dataclass

import gdstk

from mbfab.layout.boolean import merge
from mbfab.layout.grid import snap_value
from mbfab.layout.layers import Layer
from mbfab.layout.shapes import polygon, rectangle

__all__ = [
    "COARSE_SCALE",
    "MarkSizes",
    "alignment_group",
    "cross",
    "cross_in_box",
    "frame",
    "mark_sizes",
    "resolution_bars",
    "text",
    "vernier",
]

COARSE_SCALE = 5.0
Polygons = list[gdstk.Polygon]


@dataclass(frozen=True)
class MarkSizes:
    """Dimensions of one cross-in-box mark and of the vernier, in um."""

    arm: float
    cross: float
    clearance: float
    frame: float
    bar: float
    pitch: float
    step: float

    @property
    def box(self) -> float:
        """Outer side of the box."""
        return self.cross + 2 * self.clearance + 2 * self.frame

    def scaled(self, factor: float) -> MarkSizes:
        arm, length, clearance, width = (
            snap_value(v * factor) for v in (self.arm, self.cross, self.clearance, self.frame)
        )
        return MarkSizes(arm, length, clearance, width, self.bar, self.pitch, self.step)


def mark_sizes(overlay_um: float) -> MarkSizes:
    """Fine mark dimensions for a tool of ``overlay_um`` alignment accuracy (module doc)."""
    arm = snap_value(max(2.0, 2 * overlay_um))
    bar = snap_value(max(1.0, overlay_um))
    return MarkSizes(
        arm=arm,
        cross=10 * arm,
        clearance=snap_value(2 * overlay_um),
        frame=arm,
        bar=bar,
        pitch=4 * bar,
        step=max(snap_value(overlay_um / 2), 0.001),
    )


def cross(center: tuple[float, float], length: float, arm: float, layer: Layer) -> Polygons:
    """A plus sign as one 12-vertex polygon (overlapping bars would double-count on a mask)."""
    x, y = center
    h, a = length / 2, arm / 2
    outline = [
        (-a, -h), (a, -h), (a, -a), (h, -a), (h, a), (a, a),
        (a, h), (-a, h), (-a, a), (-h, a), (-h, -a), (-a, -a),
    ]  # fmt: skip
    return [polygon([(x + dx, y + dy) for dx, dy in outline], layer)]


def frame(center: tuple[float, float], inner: float, width: float, layer: Layer) -> Polygons:
    """A square ring of ``width`` around a square opening of side ``inner`` (four bars)."""
    x, y = center
    i, o = inner / 2, inner / 2 + width
    return [
        rectangle(x - o, y - o, x + o, y - i, layer),
        rectangle(x - o, y + i, x + o, y + o, layer),
        rectangle(x - o, y - i, x - i, y + i, layer),
        rectangle(x + i, y - i, x + o, y + i, layer),
    ]


def cross_in_box(
    center: tuple[float, float], sizes: MarkSizes, reference: Layer, aligning: Layer
) -> Polygons:
    """Cross on the reference layer, box around it on the aligning layer."""
    return [
        *cross(center, sizes.cross, sizes.arm, reference),
        *frame(center, sizes.cross + 2 * sizes.clearance, sizes.frame, aligning),
    ]


def vernier(
    center: tuple[float, float],
    sizes: MarkSizes,
    reference: Layer,
    aligning: Layer,
    count: int = 5,
    vertical: bool = False,
) -> Polygons:
    """Vernier pair reading x misalignment (``vertical``: y): ``2 count + 1`` bars a side.

    Reference bars stand below the centre line, aligning bars above it; bar ``k`` of the two
    scales lines up when the layers are off by ``k * step``. The centre bars are longer.
    """
    x, y = center
    w, length = sizes.bar, 4 * sizes.bar
    out: Polygons = []
    for k in range(-count, count + 1):
        extra = length / 2 if k == 0 else 0.0
        for layer, pitch, sign in (
            (reference, sizes.pitch, -1),
            (aligning, sizes.pitch + sizes.step, 1),
        ):
            cx = k * pitch
            y0, y1 = sorted((0.0, sign * (length + extra)))
            pts = [(cx - w / 2, y0), (cx + w / 2, y0), (cx + w / 2, y1), (cx - w / 2, y1)]
            if vertical:
                pts = [(-py, px) for px, py in pts]
            out.append(polygon([(x + px, y + py) for px, py in pts], layer))
    return out


def alignment_group(
    origin: tuple[float, float], sizes: MarkSizes, reference: Layer, aligning: Layer
) -> tuple[Polygons, float]:
    """Coarse and fine cross-in-box and two verniers in a row from ``origin`` (lower left).

    Returns the polygons and the width of the row in um (its height is the coarse box).
    """
    coarse = sizes.scaled(COARSE_SCALE)
    gap = coarse.arm
    x, y = origin
    h = coarse.box
    cy = y + h / 2
    out = cross_in_box((x + h / 2, cy), coarse, reference, aligning)
    x += h + gap
    out += cross_in_box((x + sizes.box / 2, cy), sizes, reference, aligning)
    x += sizes.box + gap
    span = 10 * (sizes.pitch + sizes.step) + sizes.bar
    out += vernier((x + span / 2, cy), sizes, reference, aligning)
    x += span + gap
    reach = 6 * sizes.bar  # centre bar length plus half a bar
    out += vernier((x + reach, cy), sizes, reference, aligning, vertical=True)
    x += 2 * reach
    return out, x - origin[0]


def text(content: str, origin: tuple[float, float], height: float, layer: Layer) -> Polygons:
    """``content`` as polygons (gdstk's built-in font), lower left at ``origin``."""
    glyphs = gdstk.text(content, height, origin, layer=layer.layer, datatype=layer.datatype)
    return merge([polygon(g.points, layer) for g in glyphs], layer)  # strokes may overlap


def resolution_bars(
    origin: tuple[float, float], widths: list[float], layer: Layer, lines: int = 5
) -> tuple[Polygons, float]:
    """Line/space groups (``lines`` lines of width w at space w) for each width, in a row.

    Each group is ``max(10 w, 20)`` um tall with its width written below it. Returns the
    polygons and the row's width in um.
    """
    x, y = origin
    out: Polygons = []
    label = 8.0
    for w in widths:
        tall = max(10 * w, 20.0)
        for k in range(lines):
            out.append(
                rectangle(
                    x + 2 * k * w, y + label * 1.5, x + 2 * k * w + w, y + label * 1.5 + tall, layer
                )
            )
        out += text(f"{w:g}", (x, y), label, layer)
        x += max((2 * lines - 1) * w, 3 * label) + 2 * label
    return out, x - origin[0]
