"""The sweep plot: active-area ratio, capacity and energy against the swept parameter (SVG)."""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["PANELS", "sweep_plot_svg"]

#: (estimate key, panel title) in the order the panels are drawn.
PANELS = (
    ("active_area_ratio", "active-area ratio"),
    ("capacity_uah", "capacity (uAh)"),
    ("energy_uwh", "energy (uWh)"),
)
_COLOURS = ("#2e6fb7", "#c0392b", "#27ae60", "#8e44ad", "#d4a017", "#16a085", "#7f8c8d")
_W, _H, _PAD_L, _PAD_R, _PAD_T, _PAD_B = 300, 230, 58, 14, 30, 44


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    return [lo + (hi - lo) * i / (count - 1) for i in range(count)]


def _panel(
    left: float, key: str, title: str, x_key: str, series: dict[str, list[tuple[float, Any]]]
) -> list[str]:
    points = {
        label: [(x, est[key]) for x, est in rows if est.get(key) is not None]
        for label, rows in series.items()
    }
    xs = [x for pts in points.values() for x, _ in pts]
    ys = [y for pts in points.values() for _, y in pts]
    out = [
        f'<g transform="translate({left:.0f},0)">',
        f'<text x="{_W / 2:.0f}" y="18" text-anchor="middle" font-weight="600">'
        f"{escape(title)}</text>",
    ]
    if not xs:
        out.append(f'<text x="{_W / 2:.0f}" y="{_H / 2:.0f}" text-anchor="middle">no data</text>')
        return [*out, "</g>"]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(0.0, min(ys)), max(ys) * 1.08 or 1.0
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    plot_w, plot_h = _W - _PAD_L - _PAD_R, _H - _PAD_T - _PAD_B

    def sx(x: float) -> float:
        return _PAD_L + (x - x0) / (x1 - x0) * plot_w

    def sy(y: float) -> float:
        return _PAD_T + plot_h - (y - y0) / (y1 - y0) * plot_h

    out.append(
        f'<rect x="{_PAD_L}" y="{_PAD_T}" width="{plot_w}" height="{plot_h}" '
        'fill="#fafbfc" stroke="#c8d1da"/>'
    )
    for t in _ticks(y0, y1):
        out.append(
            f'<line x1="{_PAD_L}" x2="{_PAD_L + plot_w}" y1="{sy(t):.1f}" y2="{sy(t):.1f}" '
            f'stroke="#e4e9ee"/><text x="{_PAD_L - 6}" y="{sy(t) + 4:.1f}" '
            f'text-anchor="end">{t:.3g}</text>'
        )
    for t in sorted(set(xs)):
        out.append(
            f'<text x="{sx(t):.1f}" y="{_PAD_T + plot_h + 16}" text-anchor="middle">{t:g}</text>'
        )
    out.append(
        f'<text x="{_PAD_L + plot_w / 2:.0f}" y="{_H - 8}" text-anchor="middle">'
        f"{escape(x_key)} (um)</text>"
    )
    for i, (label, pts) in enumerate(points.items()):
        colour = _COLOURS[i % len(_COLOURS)]
        pts = sorted(pts)
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
        out += [
            f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3.5" fill="{colour}">'
            f"<title>{escape(label)}: {x:g} -> {y:.4g}</title></circle>"
            for x, y in pts
        ]
    return [*out, "</g>"]


def sweep_plot_svg(x_key: str, series: dict[str, list[tuple[float, dict[str, Any]]]]) -> str:
    """Three panels side by side; one line per series (combination of the other swept keys)."""
    legend_h = 18 * len(series) + 10 if len(series) > 1 else 0
    width, height = _W * len(PANELS), _H + legend_h
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="system-ui, sans-serif" font-size="11">',
        f"<title>mbfab sweep of {escape(x_key)}</title>",
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
    ]
    for i, (key, title) in enumerate(PANELS):
        parts += _panel(i * _W, key, title, x_key, series)
    if legend_h:
        for i, label in enumerate(series):
            y = _H + 14 + 18 * i
            parts.append(
                f'<rect x="{_PAD_L}" y="{y - 9}" width="12" height="12" '
                f'fill="{_COLOURS[i % len(_COLOURS)]}"/>'
                f'<text x="{_PAD_L + 18}" y="{y + 1}">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
