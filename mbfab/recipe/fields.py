"""Field types shared by the recipe schema: lengths with units, positive lengths, names."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ConfigDict, StringConstraints, ValidationInfo
from pydantic_core import PydanticCustomError

from mbfab.errors import UnitError
from mbfab.layout.grid import DBU_UM
from mbfab.units import LENGTH_UNITS_UM, parse_length

__all__ = [
    "LENGTH_PATTERN",
    "STRICT",
    "Length",
    "NonNegativeLength",
    "PositiveLength",
    "to_micrometres",
    "units_of",
]

#: Model configuration for every recipe section: unknown keys are errors.
STRICT = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def units_of(info: ValidationInfo) -> str:
    """The recipe's default length unit, passed down as validation context."""
    context = info.context if isinstance(info.context, dict) else {}
    return str(context.get("units", "um"))


#: GDSII stores coordinates as 32-bit integers of the database unit: beyond this no layout
#: can hold the length (and float geometry breaks down long before 1e30 um).
MAX_LENGTH_UM = (2**31 - 1) * DBU_UM


def to_micrometres(value: Any, info: ValidationInfo) -> float:
    """Pydantic validator: a length in the recipe's units (or with its own) -> um."""
    try:
        length = parse_length(value, units_of(info))
    except UnitError as exc:
        raise PydanticCustomError("length", str(exc)) from None
    if abs(length) > MAX_LENGTH_UM:
        raise PydanticCustomError(
            "length_range",
            "length {value} um is beyond the {limit} a GDSII file holds on the 1 nm grid",
            {"value": f"{length:g}", "limit": f"{MAX_LENGTH_UM / 1e6:.1f} m"},
        )
    return length


def _positive(value: float) -> float:
    if value <= 0:
        raise PydanticCustomError(
            "length_positive", "must be greater than zero, got {value} um", {"value": f"{value:g}"}
        )
    return value


def _non_negative(value: float) -> float:
    if value < 0:
        raise PydanticCustomError(
            "length_negative", "must not be negative, got {value} um", {"value": f"{value:g}"}
        )
    return value


#: What a recipe may write for a length (JSON Schema of the input): a number in the recipe's
#: ``units``, or a number with its unit.
LENGTH_PATTERN = (
    r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*(" + "|".join(LENGTH_UNITS_UM) + r")?\s*$"
)
LengthInput = float | Annotated[str, StringConstraints(pattern=LENGTH_PATTERN)]
_LENGTH = BeforeValidator(to_micrometres, json_schema_input_type=LengthInput)

#: A length: a number in the recipe's ``units`` or a string such as ``"500 nm"``; stored in um.
Length = Annotated[float, _LENGTH]
PositiveLength = Annotated[float, _LENGTH, AfterValidator(_positive)]
NonNegativeLength = Annotated[float, _LENGTH, AfterValidator(_non_negative)]
