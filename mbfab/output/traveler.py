"""Render the traveler (Markdown and HTML) from the process model; templates do the layout."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from mbfab.output.process import Film, Step, Traveler
from mbfab.output.render import render_template
from mbfab.recipe.process_data import ParamValue

__all__ = ["CrossSection", "cross_section", "format_param", "render_traveler"]

#: Parameter-name suffix -> unit shown (longest suffixes first).
_UNITS = (
    ("_mj_cm2", "mJ/cm²"),
    ("_rpm", "rpm"),
    ("_um", "µm"),
    ("_nm", "nm"),
    ("_c", "°C"),
    ("_w", "W"),
    ("_s", "s"),
)


def format_param(key: str, value: ParamValue) -> str:
    """``speed_rpm=2750`` -> ``speed 2750 rpm``; long times also in minutes."""
    for suffix, unit in _UNITS:
        if key.endswith(suffix) and isinstance(value, int | float) and not isinstance(value, bool):
            label = key[: -len(suffix)].replace("_", " ")
            text = f"{value:g} {unit}"
            if unit == "s" and value >= 120:
                text += f" ({value / 60:.3g} min)"
            return f"{label} {text}"
    return f"{key.replace('_', ' ')}: {value}"


@dataclass(frozen=True)
class CrossSection:
    """A schematic stack: rectangles (x, y, w, h, css class) and labels (x, y, text)."""

    width: int
    height: int
    rects: list[tuple[float, float, float, float, str]]
    labels: list[tuple[float, float, str]]


def _band_height(thickness_um: float) -> float:
    """Log-scaled band height in px so 0.1 um and 20 um films both show."""
    return min(36.0, 5.0 + 9.0 * math.log10(1.0 + 10.0 * thickness_um))


def cross_section(stack: list[Film]) -> CrossSection:
    """Schematic cross-section: substrate at the bottom, films in order, patterned as blocks."""
    width, left, span = 420, 10, 250
    bands = [(_band_height(f.thickness_um), f) for f in stack if f.kind != "etched-substrate"]
    etched = any(f.kind == "etched-substrate" for f in stack)
    height = int(40 + sum(h for h, _ in bands) + 10)
    rects: list[tuple[float, float, float, float, str]] = []
    labels: list[tuple[float, float, str]] = []
    base = height - 30.0
    rects.append((left, base, span, 24, "substrate"))
    if etched:
        for i in range(4):
            rects.append((left + 20 + 60 * i, base, 25, 14, "trench"))
    labels.append((left + span + 8, base + 16, "substrate" + (" (etched)" if etched else "")))
    y = base
    for i, (h, film) in enumerate(bands):
        y -= h
        css = "resist" if film.kind == "resist" else f"film{i % 4}"
        if film.patterned:
            for j in range(3):
                offset = (i % 2) * 30
                rects.append((left + 15 + offset + 80 * j, y, 45, h, css))
        else:
            rects.append((left, y, span, h, css))
        labels.append(
            (
                left + span + 8,
                y + h / 2 + 4,
                f"{film.name}: {film.material} {film.thickness_um:g} µm",
            )
        )
    return CrossSection(width, height, rects, labels)


def _stack_text(stack: list[Film]) -> str:
    parts = ["substrate"]
    for film in stack:
        if film.kind == "etched-substrate":
            parts[0] = f"substrate etched {film.thickness_um:g} µm ({film.name})"
        else:
            parts.append(f"{film.name} {film.material} {film.thickness_um:g} µm")
    return " / ".join(parts)


def _rows(prefix: str, steps: list[Step], sources: dict[str, int]) -> list[dict[str, Any]]:
    rows = []
    for n, step in enumerate(steps, start=1):
        ref = sources.setdefault(step.source, len(sources) + 1)
        rows.append(
            {
                "number": f"{prefix}.{n}",
                "kind": step.kind,
                "action": step.action,
                "params": [format_param(k, v) for k, v in step.params.items()],
                "notes": list(step.notes),
                "source": ref,
            }
        )
    return rows


def render_traveler(traveler: Traveler, fmt: Literal["md", "html"] = "md") -> str:
    """The traveler as Markdown or (autoescaped) HTML."""
    sources: dict[str, int] = {}
    sections = []
    for section in traveler.sections:
        layer = section.layer
        sections.append(
            {
                "number": section.number,
                "name": layer.name,
                "role": layer.role,
                "material": layer.material or layer.role,
                "thickness_um": layer.thickness,
                "process": layer.process,
                "resist": section.resist.display,
                "polarity": section.resist.tone,
                "resist_thickness_um": section.resist_thickness_um,
                "plate": section.plate.statement if section.plate else "plate not written yet",
                "rows": _rows(str(section.number), section.steps, sources),
                "warnings": section.warnings,
                "stack": _stack_text(section.stack),
                "svg": cross_section(section.stack),
            }
        )
    final_number = len(traveler.sections) + 1
    context = {
        "t": traveler,
        "sections": sections,
        "final_number": final_number,
        "final_rows": _rows(str(final_number), traveler.final, sources),
        "final_stack": _stack_text(traveler.final_stack),
        "sources": sorted((n, text) for text, n in sources.items()),
    }
    return render_template(f"traveler.{fmt}", **context)
