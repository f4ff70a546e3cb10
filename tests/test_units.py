from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mbfab.errors import UnitError
from mbfab.units import format_length, parse_length


@pytest.mark.parametrize(
    ("text", "expected_um"),
    [
        ("12 um", 12.0),
        ("12um", 12.0),
        ("500 nm", 0.5),
        ("0.2 mm", 200.0),
        ("1.5 µm", 1.5),  # micro sign
        ("1.5 μm", 1.5),  # Greek mu
        ("1e3 nm", 1.0),
        ("-3 um", -3.0),
        ("2 cm", 20000.0),
        (7, 7.0),
        (0.25, 0.25),
    ],
)
def test_parse_length(text: object, expected_um: float) -> None:
    assert parse_length(text) == pytest.approx(expected_um)


def test_bare_numbers_take_the_default_unit() -> None:
    assert parse_length(3, "mm") == 3000.0
    assert parse_length("3", "nm") == pytest.approx(0.003)
    assert parse_length("3 um", "mm") == 3.0  # an explicit unit wins


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("12 uu", "unknown length unit 'uu'"),
        ("twelve", "cannot read 'twelve'"),
        ("12 um um", "cannot read"),
        (True, "expected a length"),
        (None, "expected a length"),
        ([1, 2], "expected a length"),
        ("nan um", "cannot read"),
        (math.inf, "not finite"),
        # YAML reads a long digit string as an exact int, too large for a float
        pytest.param(10**400, "too large", id="huge-int"),
    ],
)
def test_bad_lengths_are_refused(value: object, fragment: str) -> None:
    with pytest.raises(UnitError, match=fragment):
        parse_length(value)


def test_unknown_default_unit() -> None:
    with pytest.raises(UnitError, match="unknown length unit 'inch'"):
        parse_length(1, "inch")


@given(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.sampled_from(["nm", "um", "mm"])
)
def test_units_scale_consistently(value: float, unit: str) -> None:
    factor = {"nm": 1e-3, "um": 1.0, "mm": 1e3}[unit]
    assert parse_length(f"{value!r} {unit}") == pytest.approx(value * factor, rel=1e-12, abs=1e-12)


def test_format_length() -> None:
    assert format_length(2500) == "2.5 mm"
    assert format_length(0.5) == "500 nm"
    assert format_length(12) == "12 um"
