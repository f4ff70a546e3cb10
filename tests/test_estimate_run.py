"""The estimate step on real devices: measured areas, footprints, capacity, errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import gdstk
import klayout.db as kdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mbfab.compile import design_for
from mbfab.errors import RecipeError
from mbfab.estimate import estimate_device
from mbfab.layout import layer_perimeter_um, new_library
from mbfab.recipe import LoadedRecipe, load_recipe

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "interdigital.yaml"


@pytest.fixture(scope="module")
def loaded() -> LoadedRecipe:
    return load_recipe(RECIPE)


def _with(loaded: LoadedRecipe, **changes: Any) -> LoadedRecipe:
    """The same recipe with top-level fields replaced (already validated values)."""
    return dataclasses.replace(loaded, recipe=loaded.recipe.model_copy(update=changes))


def _layer(loaded: LoadedRecipe, name: str, **changes: Any) -> LoadedRecipe:
    layers = [
        spec.model_copy(update=changes) if spec.name == name else spec
        for spec in loaded.recipe.layers
    ]
    return _with(loaded, layers=layers)


def test_dokko_estimates_from_the_drawn_polygons(loaded: LoadedRecipe) -> None:
    est = estimate_device(loaded, design_for(loaded))
    # Cathode comb: bus (2380 - 2*5) x (100 - 2*5) + 10 fingers x (100 - 10) x 2500
    #             = 213 300 + 2 250 000 = 2 463 300 um2 (the anode comb is congruent).
    assert est["areas"]["layers_um2"]["cathode"] == pytest.approx(2_463_300, abs=1)
    assert est["areas"]["electrode_union_um2"] == pytest.approx(2 * 2_463_300, abs=2)
    # Electrode box: 2370 x 2710 um = 6 422 700 um2 -> ratio 4 926 600 / 6 422 700 = 0.76706
    assert est["footprint"]["area_um2"] == pytest.approx(6_422_700, abs=1)
    assert est["areas"]["active_area_ratio"]["electrodes"] == pytest.approx(0.76706, abs=1e-5)
    # LMO 1 um: 120 mAh/g x 4.0 g/cm3 x 0.1 = 48 uAh cm-2 um-1 x 0.024633 cm2 = 1.18238 uAh
    # LTO 1 um: 170 x 3.43 x 0.1 = 58.31 x 0.024633 = 1.43635 uAh -> cathode-limited, N/P 1.2148
    cell = est["cell"]
    assert cell["capacity_uah"] == pytest.approx(1.18238, rel=1e-5)
    assert cell["limiting"] == "cathode" and cell["np_ratio"] == pytest.approx(1.2148, abs=1e-4)
    # 1.18238 uAh / 0.064227 cm2 = 18.409 uAh/cm2; x 2.44 V = 2.8850 uWh = 44.919 uWh/cm2
    assert cell["areal_capacity_uah_cm2"] == pytest.approx(18.409, rel=1e-4)
    assert cell["energy_uwh"] == pytest.approx(2.8850, rel=1e-4)
    assert cell["areal_energy_uwh_cm2"] == pytest.approx(44.919, rel=1e-4)
    assert est["notes"] == []


def test_perimeter_agrees_with_klayout(tmp_path: Path, loaded: LoadedRecipe) -> None:
    device = design_for(loaded)
    lib = new_library("T")
    lib.add(device.cell, *device.cell.dependencies(True))
    path = tmp_path / "d.gds"
    lib.write_gds(path)
    layout = kdb.Layout()
    layout.read(str(path))
    top = layout.top_cell()
    for name, spec in (("cathode", (2, 0)), ("collector", (1, 0))):
        region = kdb.Region(top.begin_shapes_rec(layout.layer(*spec))).merged()
        ours = layer_perimeter_um(device.cell, spec)
        assert ours == pytest.approx(region.perimeter() * layout.dbu, rel=1e-6), name


def test_perimeter_counts_array_placements() -> None:
    unit = gdstk.Cell("UNIT")
    unit.add(gdstk.rectangle((0, 0), (2, 3), layer=5))
    top = gdstk.Cell("TOP")
    top.add(gdstk.Reference(unit, columns=4, rows=5, spacing=(10, 10)))
    # 20 rectangles of perimeter 2*(2 + 3) = 10 um -> 200 um
    assert layer_perimeter_um(top, (5, 0)) == pytest.approx(200.0)


def test_capacity_is_linear_in_thickness(loaded: LoadedRecipe) -> None:
    device = design_for(loaded)
    base = estimate_device(loaded, device)["electrodes"]
    for factor in (0.5, 3.0):
        changed = _layer(loaded, "cathode", thickness=1.0 * factor)
        cathode = estimate_device(changed, device)["electrodes"][0]
        assert cathode["capacity_uah"] == pytest.approx(factor * base[0]["capacity_uah"], rel=1e-5)


def test_recipe_overrides_porosity_and_capacity(loaded: LoadedRecipe) -> None:
    from mbfab.recipe.estimate_spec import ElectrodeSpec

    spec = ElectrodeSpec(porosity=0.5, active_fraction=0.8, specific_capacity_mah_g=100.0)
    est = estimate_device(_layer(loaded, "cathode", electrode=spec), design_for(loaded))
    # 100 mAh/g x 4.0 g/cm3 x 0.5 x 0.8 x 0.1 = 16 uAh cm-2 um-1
    assert est["electrodes"][0]["q_vol_uah_cm2_um"] == pytest.approx(16.0)
    assert "specific capacity from the recipe" in est["electrodes"][0]["sources"]


def test_unknown_material_is_a_note_with_a_suggestion(loaded: LoadedRecipe) -> None:
    est = estimate_device(_layer(loaded, "anode", material="Li4Ti5O13"), design_for(loaded))
    assert est["cell"]["capacity_uah"] is None and est["cell"]["energy_uwh"] is None
    assert any("'Li4Ti5O12'" in note for note in est["notes"])


def test_unknown_couple_and_missing_footprint_are_located_errors(loaded: LoadedRecipe) -> None:
    estimate = loaded.recipe.estimate
    device = design_for(loaded)
    with pytest.raises(RecipeError, match=r"estimate.couple: unknown couple"):
        estimate_device(
            _with(loaded, estimate=estimate.model_copy(update={"couple": "X||Y"})), device
        )
    with pytest.raises(RecipeError, match=r"footprint 'die' is not available"):
        bad = estimate.model_copy(update={"footprint": "die"})
        estimate_device(_with(loaded, estimate=bad), device)
    die = estimate.model_copy(update={"footprint": "die", "die": (5000.0, 5000.0)})
    est = estimate_device(_with(loaded, estimate=die), device)
    assert est["footprint"]["area_um2"] == pytest.approx(25e6)


def test_voltage_from_potentials_when_no_couple_is_listed(loaded: LoadedRecipe) -> None:
    est = estimate_device(_layer(loaded, "anode", material="graphite"), design_for(loaded))
    # LiMn2O4 4.1 V - graphite 0.17 V vs Li = 3.93 V
    assert est["cell"]["voltage_v"] == pytest.approx(3.93)
    assert est["cell"]["voltage_source"].startswith("derived")


@settings(max_examples=12, deadline=None)
@given(
    fingers=st.integers(1, 6),
    width=st.floats(20, 200),
    gap=st.floats(2, 100),
    length=st.floats(300, 2000),
)
def test_active_area_ratio_below_one(fingers: int, width: float, gap: float, length: float) -> None:
    loaded = load_recipe(RECIPE)
    design = loaded.recipe.design.model_copy(
        update={"fingers": fingers, "finger_width": width, "gap": gap, "finger_length": length}
    )
    changed = _with(loaded, design=design)
    ratios = estimate_device(changed, design_for(changed))["areas"]["active_area_ratio"]
    assert all(0 < r < 1 for r in ratios.values())
    assert ratios["device"] < ratios["electrodes"]
