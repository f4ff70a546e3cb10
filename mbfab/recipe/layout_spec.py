"""Recipe blocks around the device: marks and labels, seal ring, wafer map, parameter sweep."""

from __future__ import annotations

import itertools
from typing import Any

from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator

from mbfab.recipe.describe import is_length_field
from mbfab.recipe.design_params import DesignParams, Problem
from mbfab.recipe.fields import STRICT, NonNegativeLength, PositiveLength
from mbfab.units import parse_length

__all__ = [
    "MarksSpec",
    "SealSpec",
    "SweepSpec",
    "Variant",
    "WaferSpec",
    "alignment_pairs",
    "design_variants",
    "layout_problems",
]


class MarksSpec(BaseModel):
    """Alignment marks, plate labels and litho test structures added around the device."""

    model_config = STRICT

    alignment: bool = Field(True, description="cross-in-box and vernier marks per layer pair")
    labels: bool = Field(True, description="text label per plate: recipe, layer, GDS, revision")
    test_structures: bool = Field(False, description="line/space resolution bars per layer")
    bar_widths: list[PositiveLength] = Field(
        default_factory=lambda: [1.0, 2.0, 5.0, 10.0, 20.0],
        description="line widths of the resolution bars",
    )
    margin: NonNegativeLength = Field(200.0, description="marks and labels beyond the device")
    label_height: PositiveLength = Field(50.0, description="text height of the plate labels")


class SealSpec(BaseModel):
    """A seal ring or encapsulation frame around each device (roles seal / passivation)."""

    model_config = STRICT

    width: PositiveLength = Field(800.0, description="ring width (e.g. a 0.8 mm gasket)")
    gap: NonNegativeLength = Field(100.0, description="ring inner edge beyond the device")


class SweepSpec(BaseModel):
    """One design parameter varied across dies (several sweeps combine as a product)."""

    model_config = STRICT

    parameter: str = Field(description="design parameter, dotted for nested (posts.pitch)")
    values: list[Any] = Field(min_length=1, description="values in the recipe's units")


class WaferSpec(BaseModel):
    """Step the device across a wafer as references."""

    model_config = STRICT

    diameter: PositiveLength = Field(100_000.0, description="substrate diameter")
    flat: NonNegativeLength = Field(
        32_500.0, validate_default=True, description="primary flat length (0: none)"
    )
    edge_exclusion: NonNegativeLength = Field(
        3_000.0, validate_default=True, description="unusable rim"
    )
    die: tuple[PositiveLength, PositiveLength] | None = Field(
        None, description="die [width, height] (default: the marked device, rounded up)"
    )
    street: NonNegativeLength = Field(100.0, description="dicing street between dies")
    sweep: list[SweepSpec] = Field(default_factory=list, description="parameters varied by die")

    @field_validator("flat")
    @classmethod
    def _flat_fits(cls, flat: float, info: ValidationInfo) -> float:
        diameter = info.data.get("diameter")
        if diameter is not None and flat >= diameter:
            raise ValueError(f"a flat of {flat:g} um does not fit a {diameter:g} um wafer")
        return flat

    @field_validator("edge_exclusion")
    @classmethod
    def _rim_leaves_room(cls, rim: float, info: ValidationInfo) -> float:
        diameter = info.data.get("diameter")
        if diameter is not None and 2 * rim >= diameter:
            raise ValueError(
                f"an edge exclusion of {rim:g} um leaves nothing of a {diameter:g} um wafer"
            )
        return rim


Variant = tuple[str, DesignParams]


def _is_length(model: type[BaseModel], path: list[str]) -> bool:
    field = model.model_fields[path[0]]
    if len(path) == 1:
        return is_length_field(field)
    annotation = field.annotation
    for arg in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return _is_length(arg, path[1:])
    raise KeyError(path[1])


def _in_um(value: Any, units: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | str | list):
        return value
    if isinstance(value, list):
        return [_in_um(v, units) for v in value]
    return parse_length(value, units)


def _set(data: dict[str, Any], path: list[str], value: Any) -> None:
    for key in path[:-1]:
        if not isinstance(data.get(key), dict):
            raise KeyError(key)
        data = data[key]
    data[path[-1]] = value


def design_variants(
    design: DesignParams, sweeps: list[SweepSpec], units: str
) -> tuple[list[Variant], list[Problem]]:
    """Every combination of the sweep values as a validated design, with its label.

    Problems are returned with paths relative to ``wafer.sweep``.
    """
    model = type(design)
    base = design.model_dump()
    problems: list[Problem] = []
    axes: list[list[tuple[str, list[str], Any]]] = []
    for index, sweep in enumerate(sweeps):
        path = sweep.parameter.split(".")
        try:
            length = _is_length(model, path)
        except KeyError:
            problems.append(
                ((index, "parameter"), f"{sweep.parameter!r} is not a design parameter")
            )
            continue
        axis = []
        for position, raw in enumerate(sweep.values):
            try:
                value = _in_um(raw, units) if length else raw
            except Exception as exc:
                problems.append(((index, "values", position), str(exc)))
                continue
            shown = f"{value:g}um" if length and isinstance(value, float) else str(raw)
            axis.append((f"{path[-1]}={shown}", path, value))
        axes.append(axis)
    variants: list[Variant] = []
    for combo in itertools.product(*axes) if axes and not problems else []:
        data = {**base}
        data = _deep_copy(data)
        for _, path, value in combo:
            _set(data, path, value)
        label = " ".join(part for part, _, _ in combo)
        try:
            variant = model.model_validate(data, context={"units": "um"})
        except ValidationError as exc:
            problems.append(((), f"variant {label}: {exc.errors()[0]['msg']}"))
            continue
        problems += [((), f"variant {label}: {message}") for _, message in variant.problems()]
        variants.append((label, variant))
    return variants, problems


def _deep_copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _deep_copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_deep_copy(v) for v in data]
    return data


def alignment_pairs(names: list[str], align_to: list[str | None]) -> list[tuple[str, str]]:
    """``(layer, reference)`` for every layer but the first; the default reference is layer 0."""
    return [
        (name, target or names[0])
        for name, target in zip(names[1:], align_to[1:], strict=True)
        if (target or names[0]) != name
    ]


def layout_problems(
    names: list[str], align_to: list[str | None], roles: list[str], seal: SealSpec | None
) -> list[tuple[tuple[str | int, ...], str]]:
    """``align_to`` names a layer patterned earlier; a seal needs a seal/passivation layer.

    Paths are relative to the recipe.
    """
    found: list[tuple[tuple[str | int, ...], str]] = []
    if seal is not None and not {"seal", "passivation"} & set(roles):
        found.append((("seal",), "a seal ring needs a layer with role 'seal' or 'passivation'"))
    for index, target in enumerate(align_to):
        if target is None:
            continue
        if target not in names:
            found.append((("layers", index, "align_to"), f"unknown layer {target!r}"))
        elif names.index(target) >= index:
            found.append(
                (
                    ("layers", index, "align_to"),
                    f"layer {names[index]!r} cannot align to {target!r}, which is not "
                    "patterned before it",
                )
            )
    return found
