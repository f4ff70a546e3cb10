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


def _paths(polygons: Sequence[np.ndarray], step: float) -> str:
    """``"".join(_path(p, step) for p in polygons)``, for thousands of polygons at once
    (numpy over all their points instead of a dozen small-array calls per polygon)."""
    if not polygons:
        return ""
    counts = np.array([len(p) for p in polygons])
    points = np.concatenate([np.asarray(p, dtype=np.float64) for p in polygons])
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    low = np.minimum.reduceat(points, starts, axis=0)
    high = np.maximum.reduceat(points, starts, axis=0)
    small = np.all(high - low < 2 * step, axis=1)
    if small.any():  # their bounding box instead, as _path draws them
        owner = np.repeat(np.arange(len(polygons)), counts)
        boxes = np.stack(
            (
                low,
                np.column_stack((high[:, 0], low[:, 1])),
                high,
                np.column_stack((low[:, 0], high[:, 1])),
            ),
            axis=1,
        )[small].reshape(-1, 2)
        owner = np.concatenate((owner[~small[owner]], np.repeat(np.flatnonzero(small), 4)))
        order = np.argsort(owner, kind="stable")
        points = np.concatenate(
            (points[~small[np.repeat(np.arange(len(polygons)), counts)]], boxes)
        )[order]
        counts = np.where(small, 4, counts)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    q = np.round(points / step).astype(np.int64)
    previous = np.arange(len(q)) - 1
    previous[starts] = starts + counts - 1  # each polygon's first point follows its last
    keep = np.any(q != q[previous], axis=1)
    kept = np.add.reduceat(keep.astype(np.int64), starts)
    keep[starts[kept == 0]] = True  # all points equal: keep the first
    q, counts = q[keep], np.where(kept == 0, 1, kept)
    digits = max(0, -int(np.floor(np.log10(step))))
    pair = f"%.{digits}f,%.{digits}f"
    template = "".join("M" + " ".join([pair] * int(n)) + "Z" for n in counts)
    values = np.column_stack((q[:, 0] * step, -q[:, 1] * step)).ravel()
    return template % tuple(values.tolist())


def _each_path(polygons: Sequence[np.ndarray], step: float) -> list[str]:
    """``[_path(p, step) for p in polygons]``, formatted together."""
    joined = _paths(polygons, step)
    return ["M" + d + "Z" for d in joined[1:-1].split("ZM")] if joined else []


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
        d = _paths(layer.polygons, step)
        parts.append(
            f'<path fill="{escape(layer.fill)}" fill-opacity="{layer.opacity:.2f}" '
            f'fill-rule="evenodd" d="{d}"><title>{escape(layer.name)}</title></path>'
        )
    for d in _each_path(outlines, step):
        parts.append(
            f'<path fill="none" stroke="#555" stroke-dasharray="4 3" stroke-width="1" '
            f'vector-effect="non-scaling-stroke" d="{d}"/>'
        )
    parts.append("</svg>")
    return "".join(parts)
