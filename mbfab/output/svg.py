"""Small self-contained SVG pictures of plates and of the layer stack (for report.html)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

from mbfab.layout import BBox

__all__ = ["ROLE_COLOURS", "SvgLayer", "svg_picture"]

#: Fill colour per layer role; other roles take a grey.
ROLE_COLOURS = {
    "collector": "#d4a017",
    "cathode-collector": "#d4a017",
    "anode-collector": "#b8860b",
    "cathode": "#c0392b",
    "anode": "#2e6fb7",
    "electrolyte": "#27ae60",
    "separator": "#16a085",
    "sacrificial": "#8e44ad",
    "swelling": "#9b59b6",
    "stiff": "#7f8c8d",
    "seal": "#34495e",
}


@dataclass(frozen=True)
class SvgLayer:
    """One layer to draw: its polygons (um) and how."""

    name: str
    polygons: Sequence[np.ndarray]
    fill: str
    opacity: float = 0.6


def _path(points: np.ndarray, step: float = 0.001) -> str:
    """SVG path of a polygon with coordinates rounded to ``step`` (about half a pixel).

    Polygons smaller than two steps become their bounding box, and repeated points are
    dropped, so a wafer of a million features stays a picture, not megabytes of digits.
    """
    points = np.asarray(points, dtype=np.float64)
    low, high = points.min(axis=0), points.max(axis=0)
    if np.all(high - low < 2 * step):
        points = np.array([low, (high[0], low[1]), high, (low[0], high[1])])
    q = np.round(points / step).astype(np.int64)
    keep = np.any(q != np.roll(q, 1, axis=0), axis=1)
    q = q[keep] if keep.any() else q[:1]
    digits = max(0, -int(np.floor(np.log10(step))))
    values = np.column_stack((q[:, 0] * step, -q[:, 1] * step)).ravel()
    # One format string for the whole path: a dozen times faster than a join of f-strings.
    coords = " ".join([f"%.{digits}f,%.{digits}f"] * len(q)) % tuple(values.tolist())
    return f"M{coords}Z"


def svg_picture(
    layers: Sequence[SvgLayer],
    view: BBox,
    *,
    background: str | None = None,
    outlines: Sequence[np.ndarray] = (),
    width_px: int = 560,
    title: str = "",
) -> str:
    """An SVG of ``layers`` (first drawn first) inside ``view``; y points up as in the layout.

    Each layer is one ``<path>`` (even-odd fill, so holes stay holes); ``outlines`` are dashed
    rectangles (arrays drawn only in part). Sizes are in um in the viewBox.
    """
    (x0, y0), (x1, y1) = view
    w, h = max(x1 - x0, 1e-3), max(y1 - y0, 1e-3)
    height_px = max(40, min(int(width_px * h / w), 2 * width_px))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width_px}" '
        f'height="{height_px}" viewBox="{x0:.3f} {-y1:.3f} {w:.3f} {h:.3f}" '
        'preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(title)}</title>",
    ]
    if background:
        parts.append(
            f'<rect x="{x0:.3f}" y="{-y1:.3f}" width="{w:.3f}" height="{h:.3f}" '
            f'fill="{escape(background)}"/>'
        )
    step = max(w, h) / (2.0 * width_px)  # half a pixel
    for layer in layers:
        if not layer.polygons:
            continue
        d = "".join(_path(p, step) for p in layer.polygons)
        parts.append(
            f'<path fill="{escape(layer.fill)}" fill-opacity="{layer.opacity:.2f}" '
            f'fill-rule="evenodd" d="{d}"><title>{escape(layer.name)}</title></path>'
        )
    for outline in outlines:
        parts.append(
            f'<path fill="none" stroke="#555" stroke-dasharray="4 3" stroke-width="1" '
            f'vector-effect="non-scaling-stroke" d="{_path(outline, step)}"/>'
        )
    parts.append("</svg>")
    return "".join(parts)
