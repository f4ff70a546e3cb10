"""Unit-slip warnings: a bare number far outside the usual range of its field.

``thickness: 200`` in a recipe of ``units: um`` is 200 um of gold, which nobody deposits;
200 nm is what was meant. A bare number (no unit written) outside the usual range of its
field (``mbfab/data/ranges.yaml``, by layer role for thicknesses) that lands inside the
range in the neighbouring unit (1000 times smaller or larger) gets a warning naming that
unit; one 100 times outside the range with no such reading gets a warning too. Warnings
never refuse a recipe: the value may be meant.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from pydantic import BaseModel

from mbfab.errors import InputError
from mbfab.recipe.catalog import load_data_file
from mbfab.recipe.describe import block_model, is_length_field
from mbfab.recipe.schema import Recipe
from mbfab.recipe.yamlsource import SourceMap
from mbfab.units import LENGTH_UNITS_UM, format_length

__all__ = ["FAR_OUTSIDE", "unit_slips"]

#: A bare number this many times outside its range is worth a word even without a slip.
FAR_OUTSIDE = 100.0

KeyPath = tuple[str | int, ...]
Range = tuple[float, float]


@cache
def _ranges() -> tuple[dict[str, Range], dict[str, Range]]:
    table = load_data_file("ranges.yaml")
    fields = {k: (float(v["low"]), float(v["high"])) for k, v in table["fields"].items()}
    roles = {k: (float(v["low"]), float(v["high"])) for k, v in table["thickness"].items()}
    return fields, roles


def _bare(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _design_lengths(
    model: BaseModel, raw: Any, path: KeyPath
) -> Iterator[tuple[KeyPath, Any, Any]]:
    """``(path, raw value, um value)`` of every length the design states as a bare number."""
    if not isinstance(raw, dict):
        return
    for name, field in type(model).model_fields.items():
        if name not in raw:
            continue
        value, given = getattr(model, name), raw[name]
        nested = block_model(field.annotation)
        if nested is not None and isinstance(value, BaseModel):
            yield from _design_lengths(value, given, (*path, name))
        elif is_length_field(field):
            pairs = zip(value, given, strict=False) if isinstance(value, tuple | list) else None
            if pairs is None:
                yield (*path, name), given, value
            elif isinstance(given, list):
                for index, (um, item) in enumerate(pairs):
                    if isinstance(um, int | float):
                        yield (*path, name, index), item, um


def _message(um: float, usual: Range, units: str, what: str) -> str | None:
    """The warning for ``um`` (written as a bare number in ``units``), or None."""
    low, high = usual
    if low <= um <= high:
        return None
    number = um / LENGTH_UNITS_UM[units]
    for other in ("nm", "um", "mm"):  # the units next to one another, 1000 apart
        step = LENGTH_UNITS_UM[other] / LENGTH_UNITS_UM[units]
        if step in (1e-3, 1e3) and low <= number * LENGTH_UNITS_UM[other] <= high:
            return (
                f"{format_length(um)} {what} is outside the usual {format_length(low)} to "
                f"{format_length(high)}: did you mean {number:g} {other}?"
            )
    if um > high * FAR_OUTSIDE or um < low / FAR_OUTSIDE:
        return (
            f"{format_length(um)} {what} is far outside the usual {format_length(low)} to "
            f"{format_length(high)}; write the unit to confirm it"
        )
    return None


def unit_slips(recipe: Recipe, raw: Any, source: SourceMap) -> list[InputError]:
    """Warnings for bare numbers that look like a unit slip, located like errors."""
    if not isinstance(raw, dict):
        return []
    fields, roles = _ranges()
    units = recipe.units
    found: list[tuple[KeyPath, str | None]] = []
    tool = raw.get("tool")
    tool = tool if isinstance(tool, dict) else {}
    for name in ("overlay", "wavelength"):
        if _bare(tool.get(name)):
            value = getattr(recipe.tool, name)
            found.append((("tool", name), _message(value, fields[f"tool.{name}"], units, name)))
    layers = raw.get("layers")
    layers = layers if isinstance(layers, list) else []
    for index, (spec, given) in enumerate(zip(recipe.layers, layers, strict=False)):
        if not isinstance(given, dict):
            continue
        what = f"of {spec.material or spec.name} ({spec.role})"
        if _bare(given.get("thickness")):
            message = _message(spec.thickness, roles[spec.role], units, what)
            found.append((("layers", index, "thickness"), message))
        if _bare(given.get("resist_thickness")) and spec.resist_thickness is not None:
            usual = fields["layers.resist_thickness"]
            message = _message(spec.resist_thickness, usual, units, f"of {spec.resist}")
            found.append((("layers", index, "resist_thickness"), message))
    for path, given, um in _design_lengths(recipe.design, raw.get("design"), ("design",)):
        if _bare(given) and um != 0:
            message = _message(abs(um), fields["design"], units, f"for {path[-1]}")
            found.append((path, message))
    return [source.error(path, message) for path, message in found if message is not None]
