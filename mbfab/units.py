"""Length units at the edge: the only place unit strings are parsed.

Everything below :mod:`mbfab.recipe` works in micrometres (floats).
"""

from __future__ import annotations

import math
import re

from mbfab.errors import UnitError

__all__ = ["LENGTH_UNITS_UM", "format_length", "parse_length"]

#: Micrometres per unit, for every length unit a recipe may use.
LENGTH_UNITS_UM: dict[str, float] = {
    "nm": 1e-3,
    "um": 1.0,
    "µm": 1.0,
    "μm": 1.0,  # Greek mu (U+03BC) as well as the micro sign (U+00B5)
    "mm": 1e3,
    "cm": 1e4,
}

_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([^\s\d.+-][^\s]*)?\s*$")


def parse_length(value: object, default_unit: str = "um") -> float:
    """Return ``value`` in micrometres.

    ``value`` is a number (taken in ``default_unit``) or a string such as ``"12 um"``,
    ``"500nm"`` or ``"0.2 mm"``. Booleans, NaN, infinities and unknown units are refused.
    """
    if default_unit not in LENGTH_UNITS_UM:
        raise UnitError(f"unknown length unit {default_unit!r}; use one of {_unit_list()}")
    if isinstance(value, bool) or value is None:
        raise UnitError(f"expected a length such as 10 or '10 um', got {value!r}")
    if isinstance(value, int | float):
        try:
            number, unit = float(value), default_unit
        except OverflowError:
            raise UnitError(f"length of {len(str(abs(value)))} digits is too large") from None
    elif isinstance(value, str):
        match = _QUANTITY.match(value)
        if not match:
            raise UnitError(f"cannot read {value!r} as a length such as '10 um'")
        number = float(match.group(1))
        unit = match.group(2) or default_unit
        if unit not in LENGTH_UNITS_UM:
            raise UnitError(f"unknown length unit {unit!r} in {value!r}; use one of {_unit_list()}")
    else:
        raise UnitError(f"expected a length such as 10 or '10 um', got {type(value).__name__}")
    if not math.isfinite(number):
        raise UnitError(f"length {value!r} is not finite")
    return number * LENGTH_UNITS_UM[unit]


def format_length(value_um: float) -> str:
    """Short human form of a length in micrometres, e.g. ``'2.5 um'`` or ``'1.2 mm'``."""
    if abs(value_um) >= 1000:
        return f"{value_um / 1000:g} mm"
    if 0 < abs(value_um) < 1:
        return f"{value_um * 1000:g} nm"
    return f"{value_um:g} um"


def _unit_list() -> str:
    return ", ".join(u for u in LENGTH_UNITS_UM if u != "μm")
