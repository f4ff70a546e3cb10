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

The aligning layer's part comes in two styles, so that the reference mark is always seen
through the aligning plate. ``frame``: a box frame and vernier bars, for a plate that is clear
around its features (the frame and bars are chrome, the cross shows through the glass).
``window``: a filled square the size of the box's outer edge, whose edges serve as the box,
and a filled window over the reference scale of each vernier, for a plate that is dark around
its features (the drawn shapes are the plate's only clear glass). Each mark is also returned
as a :class:`MarkPlacement`, so that what the plates carry can be listed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import gdstk

from mbfab.layout.boolean import merge
from mbfab.layout.cells import BBox
from mbfab.layout.grid import snap_value
from mbfab.layout.layers import Layer
from mbfab.layout.shapes import polygon, rectangle

__all__ = [
    "COARSE_SCALE",
    "MarkPlacement",
    "MarkSizes",
    "MarkStyle",
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
#: What the aligning layer draws: a box frame and bars, or clear windows (module doc).
MarkStyle = Literal["frame", "window"]


@dataclass(frozen=True)
class MarkPlacement:
    """One alignment mark of a layer pair: where it stands and what each layer carries."""

    #: "coarse cross-in-box", "fine cross-in-box", "vernier x" or "vernier y".
    kind: str
    #: Layer name carrying the cross or the reference scale (patterned first).
    reference: str
    #: Layer name carrying the box, window or aligning scale.
    aligning: str
    style: MarkStyle
    center: tuple[float, float]
    #: Extent of the reference layer's part: the cross, or the reference scale's bars.
    target: BBox
    #: Extent of the whole mark on both layers.
    extent: BBox

    def moved(self, dx: float, dy: float) -> MarkPlacement:
        """The same mark translated by ``(dx, dy)``."""

        def shift(box: BBox) -> BBox:
            (x0, y0), (x1, y1) = box
            return ((x0 + dx, y0 + dy), (x1 + dx, y1 + dy))

        x, y = self.center
        return MarkPlacement(
            self.kind,
            self.reference,
            self.aligning,
            self.style,
            (x + dx, y + dy),
            shift(self.target),
            shift(self.extent),
        )


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
    center: tuple[float, float],
    sizes: MarkSizes,
    reference: Layer,
    aligning: Layer,
    style: MarkStyle = "frame",
) -> Polygons:
    """Cross on the reference layer; on the aligning layer a box frame around it, or (style
    ``window``) a filled square of the box's outer size over it."""
    if style == "window":
        x, y = center
        h = sizes.box / 2
        box = [rectangle(x - h, y - h, x + h, y + h, aligning)]
    else:
        box = frame(center, sizes.cross + 2 * sizes.clearance, sizes.frame, aligning)
    return [*cross(center, sizes.cross, sizes.arm, reference), *box]


def vernier(
    center: tuple[float, float],
    sizes: MarkSizes,
    reference: Layer,
    aligning: Layer,
    count: int = 5,
    vertical: bool = False,
    style: MarkStyle = "frame",
) -> Polygons:
    """Vernier pair reading x misalignment (``vertical``: y): ``2 count + 1`` bars a side.

    Reference bars stand below the centre line, aligning bars above it; bar ``k`` of the two
    scales lines up when the layers are off by ``k * step``. The centre bars are longer.
    Style ``window`` adds to the aligning layer a window over the reference scale, one bar
    wider on every free side (it meets the aligning bars at the centre line).
    """
    w, length = sizes.bar, 4 * sizes.bar
    place = _placer(center, vertical)
    out: Polygons = []
    aligning_bars: Polygons = []
    for k in range(-count, count + 1):
        extra = length / 2 if k == 0 else 0.0
        for layer, pitch, sign in (
            (reference, sizes.pitch, -1),
            (aligning, sizes.pitch + sizes.step, 1),
        ):
            cx = k * pitch
            y0, y1 = sorted((0.0, sign * (length + extra)))
            bar = place([(cx - w / 2, y0), (cx + w / 2, y0), (cx + w / 2, y1), (cx - w / 2, y1)])
            (out if layer is reference else aligning_bars).append(polygon(bar, layer))
    if style == "window":
        reach = count * (sizes.pitch + sizes.step) + w / 2 + w
        depth = 1.5 * length + w
        window = place([(-reach, -depth), (reach, -depth), (reach, 0.0), (-reach, 0.0)])
        aligning_bars = merge([*aligning_bars, polygon(window, aligning)], aligning)
    return out + aligning_bars


def _placer(
    center: tuple[float, float], vertical: bool
) -> Callable[[list[tuple[float, float]]], list[tuple[float, float]]]:
    """Map points of a vernier drawn along x at the origin to ``center`` (turned 90 degrees
    counter-clockwise when ``vertical``)."""
    x, y = center

    def place(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        if vertical:
            points = [(-py, px) for px, py in points]
        return [(x + px, y + py) for px, py in points]

    return place


def alignment_group(
    origin: tuple[float, float],
    sizes: MarkSizes,
    reference: Layer,
    aligning: Layer,
    style: MarkStyle = "frame",
) -> tuple[Polygons, float, list[MarkPlacement]]:
    """Coarse and fine cross-in-box and two verniers in a row from ``origin`` (lower left).

    Returns the polygons, the width of the row in um (its height is the coarse box) and the
    placement of each mark.
    """
    coarse = sizes.scaled(COARSE_SCALE)
    gap = coarse.arm
    x, y = origin
    h = coarse.box
    cy = y + h / 2
    out: Polygons = []
    placed: list[MarkPlacement] = []

    def add(kind: str, center: tuple[float, float], shapes: Polygons) -> None:
        out.extend(shapes)
        target = _extent([p for p in shapes if p.layer == reference.layer])
        placed.append(
            MarkPlacement(
                kind, reference.name, aligning.name, style, center, target, _extent(shapes)
            )
        )

    for kind, mark in (("coarse", coarse), ("fine", sizes)):
        center = (x + mark.box / 2, cy)
        add(f"{kind} cross-in-box", center, cross_in_box(center, mark, reference, aligning, style))
        x += mark.box + gap
    # The vernier's extent along its scale: the aligning scale plus the window's margin.
    half_span = 5 * (sizes.pitch + sizes.step) + 1.5 * sizes.bar
    center = (x + half_span, cy)
    add("vernier x", center, vernier(center, sizes, reference, aligning, style=style))
    x += 2 * half_span + gap
    reach = 1.5 * 4 * sizes.bar + sizes.bar  # centre bar or window depth plus a bar
    center = (x + reach, cy)
    add(
        "vernier y",
        center,
        vernier(center, sizes, reference, aligning, vertical=True, style=style),
    )
    x += 2 * reach
    return out, x - origin[0], placed


def _extent(shapes: Polygons) -> BBox:
    boxes = [p.bounding_box() for p in shapes]
    return (
        (min(b[0][0] for b in boxes), min(b[0][1] for b in boxes)),
        (max(b[1][0] for b in boxes), max(b[1][1] for b in boxes)),
    )


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
