"""Field types shared by the recipe schema: lengths with units, positive lengths, names."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ConfigDict, ValidationInfo
from pydantic_core import PydanticCustomError

from mbfab.errors import UnitError
from mbfab.units import parse_length

__all__ = [
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


def to_micrometres(value: Any, info: ValidationInfo) -> float:
    """Pydantic validator: a length in the recipe's units (or with its own) -> um."""
    try:
        return parse_length(value, units_of(info))
    except UnitError as exc:
        raise PydanticCustomError("length", str(exc)) from None


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


#: A length: a number in the recipe's ``units`` or a string such as ``"500 nm"``; stored in um.
Length = Annotated[float, BeforeValidator(to_micrometres)]
PositiveLength = Annotated[float, BeforeValidator(to_micrometres), AfterValidator(_positive)]
NonNegativeLength = Annotated[float, BeforeValidator(to_micrometres), AfterValidator(_non_negative)]
