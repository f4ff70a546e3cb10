"""Every estimate formula against numbers derived by hand (written out), plus properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mbfab.estimate.aef import (
    aef_from_walls,
    aef_lattice,
    aef_trenches,
    closure_holes,
    closure_posts,
    closure_trenches,
    gain_through_holes,
)
from mbfab.estimate.cell import (
    areal_per_cm2,
    capacity_uah,
    cell_capacity,
    energy_uwh,
    per_volume_mwh_cm3,
    volumetric_capacity_uah_cm2_um,
)
from mbfab.estimate.fit import application_fit
from mbfab.estimate.library import library
from mbfab.estimate.roll import (
    multilayer_curvature_per_um,
    timoshenko_curvature_per_um,
    turns_for_length,
    winding,
)

# --- units and capacity ----------------------------------------------------------------


def test_one_mah_per_g_times_one_g_per_cm3_is_a_tenth_uah_per_cm2_um() -> None:
    # 1 mAh/g x 1 g/cm3 = 1 mAh/cm3 = 1000 uAh / (1 cm2 x 10^4 um) = 0.1 uAh cm-2 um-1
    assert volumetric_capacity_uah_cm2_um(1.0, 1.0) == pytest.approx(0.1)


def test_half_lithium_lco_gives_the_quoted_69() -> None:
    # domain-facts 1.2: 136.9 mAh/g x 5.05 g/cm3 x 0.1 = 69.13 uAh cm-2 um-1
    lco = library().material("LCO")
    assert lco is not None
    q = volumetric_capacity_uah_cm2_um(lco.practical_mah_g, lco.density_g_cm3)
    assert q == pytest.approx(69.13, abs=0.01)


def test_porosity_and_active_fraction_scale_the_solid() -> None:
    # LiMn2O4 120 mAh/g x 4.0 g/cm3 = 48; x (1 - 0.25) x 0.8 = 28.8
    assert volumetric_capacity_uah_cm2_um(120, 4.0, porosity=0.25, active_fraction=0.8) == (
        pytest.approx(28.8)
    )
    with pytest.raises(ValueError):
        volumetric_capacity_uah_cm2_um(120, 4.0, porosity=1.0)


def test_capacity_energy_and_normalisation() -> None:
    # 1 cm2 x 1 um = 1e8 um3 of a 48 uAh cm-2 um-1 film holds 48 uAh
    assert capacity_uah(1e8, 48.0) == pytest.approx(48.0)
    assert energy_uwh(4.5, 2.44) == pytest.approx(10.98)
    # 1 uAh on 1e6 um2 = 0.01 cm2 -> 100 uAh/cm2
    assert areal_per_cm2(1.0, 1e6) == pytest.approx(100.0)
    # 1000 uWh = 1 mWh in 1e12 um3 = 1 cm3 -> 1 mWh/cm3
    assert per_volume_mwh_cm3(1000.0, 1e12) == pytest.approx(1.0)


def test_limiting_electrode_and_np_ratio() -> None:
    cell = cell_capacity(cathode_uah=2.0, anode_uah=2.4)
    assert (cell.capacity_uah, cell.limiting, cell.np_ratio) == (2.0, "cathode", pytest.approx(1.2))
    cell = cell_capacity(cathode_uah=3.0, anode_uah=1.5)
    assert (cell.capacity_uah, cell.limiting, cell.np_ratio) == (1.5, "anode", pytest.approx(0.5))


@pytest.mark.parametrize(
    ("couple", "energy", "capacity"),
    [
        ("LTO-LMO", 11.0, 4.5),  # uWh/cm2, uAh/cm2 [seed, Refs 79/80]
        ("Si-NCA", 5.2, 1.8),  # mWh/cm2, mAh/cm2 [seed, Ref 77]
        ("Zn-MnO2", 181.0, 136.0),  # uWh/cm2, uAh/cm2 [seed, Ref 64]
        ("Zn-Ag2O", 0.3, 0.22),  # mWh/cm2, mAh/cm2 [seed, Ref 18]
    ],
)
def test_review_energy_over_capacity_matches_the_couple_voltage(
    couple: str, energy: float, capacity: float
) -> None:
    anode, cathode = couple.split("-")
    found = library().couple_named(f"{cathode}||{anode}")
    assert found is not None
    # 11/4.5 = 2.444 V vs 2.44; 5.2/1.8 = 2.889 vs 2.89; 181/136 = 1.331 vs 1.33; 0.3/0.22 = 1.364
    assert energy / capacity == pytest.approx(found.voltage_v, rel=0.005)


def test_library_finds_aliases_and_every_entry_has_a_source() -> None:
    lib = library()
    lmo = lib.material("lithium manganese oxide")
    assert lmo is not None and lmo.name == "LiMn2O4"
    assert lib.material("Li4/3Ti5/3O4") is lib.material("LTO")
    for material in lib.materials.values():
        assert material.source and material.practical_mah_g <= material.theoretical_mah_g
    assert all(c.source for c in lib.couples) and all(a.source for a in lib.applications)


# --- 3D area gain ----------------------------------------------------------------------


def test_lattice_closed_forms() -> None:
    # posts d = 2, h = 10, p = 4, square: 1 + pi*2*10/16 = 1 + 3.926991 = 4.926991
    assert aef_lattice(2, 10, 4, "square") == pytest.approx(4.926991, abs=1e-6)
    # hexagonal cell sqrt(3)/2 * 16 = 13.856406: 1 + 62.831853/13.856406 = 5.534499
    assert aef_lattice(2, 10, 4, "hex") == pytest.approx(5.534499, abs=1e-6)
    # trenches h = 10, p = 4: 1 + 20/4 = 6
    assert aef_trenches(10, 4) == pytest.approx(6.0)
    # through-holes d = 2, t = 10, p = 4: 2 - pi*4/32 + pi*20/16 = 2 - 0.392699 + 3.926991
    assert gain_through_holes(2, 10, 4) == pytest.approx(5.534292, abs=1e-6)
    # 100 holes of 10 um on 1 mm2, 20 um deep: 1 + 100*pi*10*20/1e6 = 1.0628319
    assert aef_from_walls(100 * math.pi * 10, 20, 1e6) == pytest.approx(1.0628319, abs=1e-7)


def test_conformal_closure() -> None:
    # 5 um holes with a 2 um stack: 5 - 4 = 1 um left; 3 um closes them
    assert closure_holes(5, 2).remaining_um == pytest.approx(1.0)
    assert not closure_holes(5, 2).closes and closure_holes(5, 3).closes
    # posts d = 6 at p = 10 with 2.5 um: 4 - 5 < 0, they merge
    assert closure_posts(6, 10, 2.5).closes
    assert closure_trenches(8, 3.9).remaining_um == pytest.approx(0.2)


positive = st.floats(min_value=0.1, max_value=100.0, allow_nan=False)


@given(d=positive, p=positive, h=positive, extra=positive)
def test_area_gain_grows_with_depth(d: float, p: float, h: float, extra: float) -> None:
    pitch = d + p  # the lattice needs d < p
    for lattice in ("square", "hex"):
        assert aef_lattice(d, h + extra, pitch, lattice) > aef_lattice(d, h, pitch, lattice)
    assert aef_trenches(h + extra, pitch) > aef_trenches(h, pitch)
    assert gain_through_holes(d, h + extra, pitch) > gain_through_holes(d, h, pitch)


# --- Swiss roll --------------------------------------------------------------------------


def test_timoshenko_equal_layers_is_three_halves_strain_over_thickness() -> None:
    # m = n = 1: 6*de*4 / (h*(12 + 2*2)) = 3 de / (2h); de = 1 %, h = 1 um -> 0.015 /um
    assert timoshenko_curvature_per_um(0.5, 0.5, 100, 100, 0.01) == pytest.approx(0.015)


def test_timoshenko_unequal_layers_by_hand() -> None:
    # h1 = 2, h2 = 1 (m = 2), E1 = 1, E2 = 2 (n = 0.5), de = 0.01, h = 3:
    # (1+m)^2 = 9, mn = 1, (1+mn)(m^2 + 1/mn) = 2*5 = 10, den = 3*(27 + 10) = 111
    # kappa = 6*0.01*9/111 = 0.0048649
    assert timoshenko_curvature_per_um(2, 1, 1, 2, 0.01) == pytest.approx(0.0048649, rel=1e-4)


def test_trilayer_by_hand() -> None:
    # three layers t = 1, E = 1, free strains (0, 0, e): A = 3, B = 4.5, D = 9, F = e,
    # M = e (9 - 4)/2 = 2.5 e -> kappa = (7.5 e - 4.5 e)/(27 - 20.25) = 0.444444 e
    assert multilayer_curvature_per_um([1, 1, 1], [1, 1, 1], [0, 0, 0.01]) == pytest.approx(
        0.00444444, rel=1e-5
    )


@given(
    h1=positive, h2=positive, e1=positive, e2=positive, de=st.floats(min_value=1e-4, max_value=0.05)
)
def test_multilayer_reduces_to_timoshenko_for_two_layers(
    h1: float, h2: float, e1: float, e2: float, de: float
) -> None:
    general = multilayer_curvature_per_um([h1, h2], [e1, e2], [0.0, de])
    assert general == pytest.approx(timoshenko_curvature_per_um(h1, h2, e1, e2, de), rel=1e-6)


def test_archimedean_windings() -> None:
    # D0 = 100, t = 10, N = 3: L = pi*3*(100 + 10*2) = 360 pi; outer = 100 + 2*10*3 = 160
    roll = winding(360 * math.pi, width_um=500, inner_diameter_um=100, turn_um=10)
    assert roll.turns == pytest.approx(3.0)
    assert roll.outer_diameter_um == pytest.approx(160.0)
    assert roll.footprint_um2 == pytest.approx(160.0 * 500)
    # t << D0: N ~ L / (pi D0)
    assert turns_for_length(1000 * math.pi, 1000, 1e-6) == pytest.approx(1.0, rel=1e-6)


# --- application fit -----------------------------------------------------------------------


def test_application_fit_against_table_2() -> None:
    fits = {f.device: f.verdict for f in application_fit(5.0, library().applications)}
    # 5 uWh covers tens and hundreds of nWh, sits inside the uWh level, short of tens of uWh
    assert fits["crystal oscillator"] == fits["RFID tag"] == "powers"
    assert fits["smart contact lens"] == fits["micro-robot"] == "partly"
    assert fits["smart card"] == fits["MEMS"] == fits["microsensor"] == "too small"
