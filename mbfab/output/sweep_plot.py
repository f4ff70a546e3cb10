"""The sweep plot: active-area ratio, capacity and energy against the swept parameter (SVG).

Variants that violate an error rule are drawn as red crosses: a design that fails its rules
is not the best design, however good its estimate.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

__all__ = ["PANELS", "nice_ticks", "sweep_plot_svg"]

#: (estimate key, panel title) in the order the panels are drawn.
PANELS = (
    ("active_area_ratio", "active-area ratio"),
    ("capacity_uah", "capacity (uAh)"),
    ("energy_uwh", "energy (uWh)"),
)
_COLOURS = ("#2e6fb7", "#c0392b", "#27ae60", "#8e44ad", "#d4a017", "#16a085", "#7f8c8d")
_FAIL = "#d62728"
_W, _H, _PAD_L, _PAD_R, _PAD_T, _PAD_B = 300, 230, 58, 14, 30, 44
#: One point of a series: x, the variant's estimates, and whether it fails an error rule.
Point = tuple[float, dict[str, Any], bool]


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values (1, 2, 2.5 or 5 times a power of ten) from at or
    below ``lo`` to at or above ``hi``."""
    if not hi > lo:
        return [lo]
    raw = (hi - lo) / max(count - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * (1 - 1e-9))
    first = math.floor(lo / step + 1e-9) * step
    last = math.ceil(hi / step - 1e-9) * step
    n = round((last - first) / step)
    return [_clean(first + k * step, step) for k in range(n + 1)]


def _clean(value: float, step: float) -> float:
    """``value`` rounded to the step's decimals (no 0.30000000000000004)."""
    decimals = max(0, -math.floor(math.log10(step)) + 1)
    return round(value, decimals) + 0.0


def _label(value: float) -> str:
    return f"{value:.6g}"


def _panel(
    left: float, key: str, title: str, x_label: str, series: dict[str, list[Point]]
) -> list[str]:
    points = {
        label: [(x, est[key], fails) for x, est, fails in rows if est.get(key) is not None]
        for label, rows in series.items()
    }
    xs = [x for pts in points.values() for x, _, _ in pts]
    ys = [y for pts in points.values() for _, y, _ in pts]
    out = [
        f'<g transform="translate({left:.0f},0)">',
        f'<text x="{_W / 2:.0f}" y="18" text-anchor="middle" font-weight="600">'
        f"{escape(title)}</text>",
    ]
    if not xs:
        out.append(f'<text x="{_W / 2:.0f}" y="{_H / 2:.0f}" text-anchor="middle">no data</text>')
        return [*out, "</g>"]
    y_ticks = nice_ticks(min(0.0, min(ys)), max(ys) or 1.0)
    y0, y1 = y_ticks[0], y_ticks[-1]
    if y1 == y0:
        y1 = y0 + 1.0
    x0, x1 = min(xs), max(xs)
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
    for t in y_ticks:
        out.append(
            f'<line x1="{_PAD_L}" x2="{_PAD_L + plot_w}" y1="{sy(t):.1f}" y2="{sy(t):.1f}" '
            f'stroke="#e4e9ee"/><text x="{_PAD_L - 6}" y="{sy(t) + 4:.1f}" '
            f'text-anchor="end">{_label(t)}</text>'
        )
    x_ticks = sorted(set(xs))
    if len(x_ticks) > 6:  # many variants: round ticks inside the range instead
        x_ticks = [t for t in nice_ticks(x0, x1) if x0 <= t <= x1]
    for t in x_ticks:
        out.append(
            f'<text x="{sx(t):.1f}" y="{_PAD_T + plot_h + 16}" text-anchor="middle">'
            f"{_label(t)}</text>"
        )
    out.append(
        f'<text x="{_PAD_L + plot_w / 2:.0f}" y="{_H - 8}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
    )
    for i, (label, pts) in enumerate(points.items()):
        colour = _COLOURS[i % len(_COLOURS)]
        pts = sorted(pts)
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y, _ in pts)
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
        for x, y, fails in pts:
            tip = f"{escape(label)}: {x:g} -> {y:.4g}" + (" (fails rules)" if fails else "")
            if fails:
                cx, cy = sx(x), sy(y)
                out.append(
                    f'<path class="fails-rules" d="M{cx - 5:.1f},{cy - 5:.1f}L{cx + 5:.1f},'
                    f'{cy + 5:.1f}M{cx - 5:.1f},{cy + 5:.1f}L{cx + 5:.1f},{cy - 5:.1f}" '
                    f'stroke="{_FAIL}" stroke-width="2.5"><title>{tip}</title></path>'
                )
            else:
                out.append(
                    f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3.5" fill="{colour}">'
                    f"<title>{tip}</title></circle>"
                )
    return [*out, "</g>"]


def sweep_plot_svg(x_key: str, series: dict[str, list[Point]], x_unit: str = "um") -> str:
    """Three panels side by side; one line per series (combination of the other swept
    keys); variants that fail an error rule are red crosses, named in the legend."""
    failing = any(fails for rows in series.values() for _, _, fails in rows)
    entries = list(series) if len(series) > 1 else []
    legend = len(entries) + (1 if failing else 0)
    legend_h = 18 * legend + 10 if legend else 0
    width, height = _W * len(PANELS), _H + legend_h
    x_label = f"{x_key} ({x_unit})" if x_unit else x_key
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="system-ui, sans-serif" font-size="11">',
        f"<title>mbfab sweep of {escape(x_key)}</title>",
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
    ]
    for i, (key, title) in enumerate(PANELS):
        parts += _panel(i * _W, key, title, x_label, series)
    for i, label in enumerate(entries):
        y = _H + 14 + 18 * i
        parts.append(
            f'<rect x="{_PAD_L}" y="{y - 9}" width="12" height="12" '
            f'fill="{_COLOURS[i % len(_COLOURS)]}"/>'
            f'<text x="{_PAD_L + 18}" y="{y + 1}">{escape(label)}</text>'
        )
    if failing:
        y = _H + 14 + 18 * len(entries)
        parts.append(
            f'<path d="M{_PAD_L},{y - 9}L{_PAD_L + 12},{y + 3}M{_PAD_L},{y + 3}'
            f'L{_PAD_L + 12},{y - 9}" stroke="{_FAIL}" stroke-width="2.5"/>'
            f'<text x="{_PAD_L + 18}" y="{y + 1}">fails a rule (error): not a valid design</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
