"""3D lattice and Swiss-roll models on small hand-made devices (numbers derived by hand)."""

from __future__ import annotations

import math
from typing import Any

import gdstk
import pytest

from mbfab.designs import Device
from mbfab.estimate.measured import measure
from mbfab.estimate.models3d import lattice_3d
from mbfab.estimate.rollmodel import swiss_roll
from mbfab.layout import Layer
from mbfab.recipe import LayerSpec, Recipe
from mbfab.recipe.estimate_spec import EstimateSpec, RollSpec


def _recipe(layers: list[tuple[str, str, float]], estimate: EstimateSpec | None = None) -> Recipe:
    specs = [
        LayerSpec.model_validate(
            {
                "name": name,
                "gds": [i + 1, 0],
                "role": role,
                "material": "",
                "thickness": thickness,
                "process": "etch",
                "resist": "AZ-4562",
            }
        )
        for i, (name, role, thickness) in enumerate(layers)
    ]
    data: dict[str, Any] = {
        "mbfab": 1,
        "name": "t",
        "layers": specs,
        "design": {"kind": "interdigital"},
        "estimate": estimate or EstimateSpec(),
    }
    return Recipe.model_validate(data)


def _hole_field(stack_um: float) -> tuple[Recipe, Device]:
    recipe = _recipe(
        [
            ("mask", "etch-mask", 1.0),
            ("cathode", "cathode", 1.0),
            ("electrolyte", "electrolyte", stack_um - 2.0),
            ("anode", "anode", 1.0),
        ]
    )
    unit = gdstk.Cell("HOLE")
    unit.add(gdstk.ellipse((10, 10), 5, tolerance=1e-4, layer=1))
    cell = gdstk.Cell("FIELD")
    cell.add(gdstk.Reference(unit, columns=10, rows=10, spacing=(20, 20)))
    for layer in (2, 4):
        cell.add(gdstk.rectangle((0, 0), (200, 200), layer=layer))
    closed_form = {
        "feature_count": 100.0,
        "feature_size_um": 10.0,
        "feature_pitch_um": 20.0,
        "feature_depth_um": 50.0,
        "feature_lattice_hex": 0.0,
        "feature_perimeter_um": math.pi * 10,
        "feature_cell_area_um2": 400.0,
        "features_area_um2": 100 * math.pi * 25,
        "region_area_um2": 40_000.0,
    }
    layers = {"etch-mask": Layer(1, 0, "mask"), "cathode": Layer(2, 0, "cathode")}
    device = Device(cell, layers, ((0, 0), (200, 200)), closed_form=closed_form)
    return recipe, device


def test_hole_field_gain_measured_against_closed_form() -> None:
    recipe, device = _hole_field(stack_um=4.0)
    geometry = lattice_3d(recipe, device, measure(recipe, device))
    gain = geometry.area_gain
    assert gain is not None
    # closed form, square lattice: 1 + pi*10*50/400 = 1 + 3.926991 = 4.926991
    assert gain["closed_form"] == pytest.approx(4.926991, rel=1e-5)
    # drawn: 100 near-circles of outline ~31.4159 um, 50 um deep, over 40 000 um2
    assert gain["measured"] == pytest.approx(4.926991, rel=1e-4)
    # stack 1 + 2 + 1 = 4 um: 10 - 2*4 = 2 um stays open
    assert gain["opening_left_um"] == pytest.approx(2.0) and not gain["closes"]
    # conformal cathode: 40 000 um2 window x 4.92699 x 1 um = 197 080 um3
    volume, fill, _ = geometry.volumes["cathode"]
    assert fill == "conformal" and volume == pytest.approx(197_080, rel=1e-4)


def test_thick_conformal_stack_closes_the_holes() -> None:
    recipe, device = _hole_field(stack_um=6.0)
    geometry = lattice_3d(recipe, device, measure(recipe, device))
    assert geometry.area_gain is not None and geometry.area_gain["closes"]
    assert any("closes the holes" in note for note in geometry.notes)


@pytest.mark.parametrize("depth", [5.0, 50.0, 200.0])
def test_measured_gain_grows_with_depth(depth: float) -> None:
    recipe, device = _hole_field(stack_um=4.0)
    device.closed_form["feature_depth_um"] = depth
    shallower = lattice_3d(recipe, device, measure(recipe, device)).area_gain
    device.closed_form["feature_depth_um"] = depth * 2
    deeper = lattice_3d(recipe, device, measure(recipe, device)).area_gain
    assert shallower is not None and deeper is not None
    assert deeper["measured"] > shallower["measured"]


def _strip(roll: RollSpec) -> tuple[Recipe, Device]:
    recipe = _recipe(
        [
            ("sacrificial", "sacrificial", 0.1),
            ("swelling", "swelling", 1.0),
            ("stiff", "stiff", 1.0),
            ("collector", "collector", 0.1),
            ("cathode", "cathode", 1.0),
            ("anode", "anode", 1.0),
            ("separator", "separator", 1.0),
        ],
        EstimateSpec(roll=roll),
    )
    cell = gdstk.Cell("STRIP")
    cell.add(gdstk.rectangle((100, 0), (2100, 200), layer=5))
    cell.add(gdstk.rectangle((100, 300), (2100, 500), layer=6))
    closed_form = {
        "rolled_length_um": 2000.0,
        "roll_width_um": 500.0,
        "roll_count": 1.0,
        "anchor_length_um": 100.0,
    }
    device = Device(cell, {}, ((0, 0), (2100, 500)), closed_form=closed_form)
    return recipe, device


def test_swiss_roll_with_a_stated_first_turn() -> None:
    recipe, device = _strip(RollSpec(inner_diameter=100.0))
    geometry = swiss_roll(recipe, device, measure(recipe, device))
    roll = geometry.roll
    assert roll is not None
    # one turn: swelling 1 + stiff 1 + collector 0.1 + electrode 1 (side by side) + separator 1
    t = 4.1
    assert roll["turn_thickness_um"] == pytest.approx(t)
    # N = (-(100 - 4.1) + sqrt(95.9^2 + 4*4.1*2000/pi)) / (2*4.1) = (-95.9 + 140.1334)/8.2
    turns = (-95.9 + math.sqrt(95.9**2 + 4 * 4.1 * 2000 / math.pi)) / 8.2
    assert turns == pytest.approx(5.3943, abs=1e-4)
    assert roll["turns"] == pytest.approx(turns, rel=1e-5)
    outer = 100 + 2 * t * turns  # 144.23 um
    assert roll["outer_diameter_um"] == pytest.approx(outer, rel=1e-5)
    # footprint: tube 144.23 x 500 + anchor 100 x 500
    assert geometry.footprints_um2["rolled"] == pytest.approx(outer * 500 + 100 * 500, rel=1e-5)
    assert geometry.preferred_basis == "rolled"
    # capacity comes from the flat electrodes: 2000 x 200 um2 x 1 um each
    assert geometry.volumes["cathode"][0] == pytest.approx(400_000)


def test_swiss_roll_with_a_measured_outer_diameter() -> None:
    # the roll above, seen from outside: D = 100 + 2 * 4.1 * 5.3943 = 144.233 um
    turns = (-95.9 + math.sqrt(95.9**2 + 4 * 4.1 * 2000 / math.pi)) / 8.2
    outer = 100 + 2 * 4.1 * turns
    recipe, device = _strip(RollSpec(measured_diameter=outer))
    geometry = swiss_roll(recipe, device, measure(recipe, device))
    assert geometry.roll is not None
    (tube,) = geometry.roll["rolls"]
    assert tube["turns"] == pytest.approx(turns, rel=1e-5)
    assert tube["inner_diameter_um"] == pytest.approx(100.0, rel=1e-5)
    assert geometry.footprints_um2["rolled"] == pytest.approx(outer * 500 + 100 * 500, rel=1e-5)


def test_measured_diameter_too_small_for_the_strip_is_a_note() -> None:
    # 2000 um of 4.1 um turns need D >= 4.1 + sqrt(4 * 4.1 * 2000 / pi) = 106.3 um
    recipe, device = _strip(RollSpec(measured_diameter=100.0))
    geometry = swiss_roll(recipe, device, measure(recipe, device))
    assert any("needs at least 106.3 um" in note for note in geometry.notes)
    assert geometry.footprints_um2["rolled"] == pytest.approx(100 * 500 + 100 * 500)


def test_swiss_roll_diameter_from_strain() -> None:
    roll_spec = RollSpec(moduli_gpa={"swelling": 1.0, "stiff": 1.0}, strains={"swelling": 0.01})
    recipe, device = _strip(roll_spec)
    roll = swiss_roll(recipe, device, measure(recipe, device)).roll
    assert roll is not None
    # equal layers, h = 2 um, eps_top - eps_bottom = 0 - 0.01: kappa = 3*(-0.01)/(2*2) = -0.0075
    assert roll["curvature_per_um"] == pytest.approx(-0.0075)
    assert roll["natural_diameter_um"] == pytest.approx(2 / 0.0075, rel=1e-5)  # 266.67 um
    assert roll["rolls_toward"] == "top face"


def test_swiss_roll_without_mechanics_says_so() -> None:
    recipe, device = _strip(RollSpec())
    geometry = swiss_roll(recipe, device, measure(recipe, device))
    assert "rolled" not in geometry.footprints_um2
    assert any("no roll diameter" in note for note in geometry.notes)
