"""Interdigital geometry against closed forms, measured with shapely and with klayout.db."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mbfab.designs import RoleLayers
from mbfab.designs.interdigital import build_interdigital
from mbfab.layout import Layer, is_on_grid, write_gds
from mbfab.recipe import InterdigitalParams

from geometry_helpers import klayout_region, shapely_layer

CC, CAT, AN, EL = Layer(1, 0, "cc"), Layer(2, 0, "cat"), Layer(3, 0, "an"), Layer(4, 0, "el")
ROLES = RoleLayers({"collector": [CC], "cathode": [CAT], "anode": [AN], "electrolyte": [EL]})


def _electrode_area_by_hand(p: InterdigitalParams) -> float:
    """Bus bar strip plus `fingers` finger strips, each shrunk by the inset on every side."""
    n, w, g, b, length, i = p.fingers, p.finger_width, p.gap, p.bus_width, p.finger_length, p.inset
    field_width = 2 * n * w + (2 * n - 1) * g
    return (field_width - 2 * i) * (b - 2 * i) + n * (w - 2 * i) * length


def test_default_device_matches_hand_numbers() -> None:
    p = InterdigitalParams()  # 10 pairs, w 50, g 20, L 1000, b 100, inset 5
    device = build_interdigital(p, ROLES)
    cathode = shapely_layer(device.cell, *CAT.spec)
    anode = shapely_layer(device.cell, *AN.spec)
    # 20 fingers: 20*50 + 19*20 = 1380 um wide; electrode = 1370*90 + 10*40*1000 = 523300 um2
    assert cathode.area == pytest.approx(523_300.0)
    assert anode.area == pytest.approx(523_300.0)
    assert cathode.distance(anode) == pytest.approx(30.0)  # gap + 2 * inset
    combs = list(shapely_layer(device.cell, *CC.spec).geoms)
    assert len(combs) == 2
    assert combs[0].distance(combs[1]) == pytest.approx(20.0)


def test_electrodes_sit_inside_their_own_comb_and_never_touch() -> None:
    device = build_interdigital(InterdigitalParams(fingers=3), ROLES)
    cathode = shapely_layer(device.cell, *CAT.spec)
    anode = shapely_layer(device.cell, *AN.spec)
    combs = sorted(shapely_layer(device.cell, *CC.spec).geoms, key=lambda g: g.bounds[1])
    cathode_comb, anode_comb = combs  # the cathode comb has the lower bus bar
    assert cathode_comb.buffer(-4.999).contains(cathode)  # inset 5 um on every side
    assert anode_comb.buffer(-4.999).contains(anode)
    assert not cathode.intersects(anode_comb) and not anode.intersects(cathode_comb)


def test_electrolyte_covers_the_electrode_field_but_not_the_pads() -> None:
    p = InterdigitalParams()
    device = build_interdigital(p, ROLES)
    electrolyte = shapely_layer(device.cell, *EL.spec)
    electrodes = shapely_layer(device.cell, *CAT.spec).union(shapely_layer(device.cell, *AN.spec))
    assert electrolyte.buffer(1e-6).contains(electrodes)
    # Field 1380 x 1220 um (2*100 + 1000 + 20); pads hang outside the bus bars:
    # 0..300 x -300..0 and 1080..1380 x 1220..1520.
    pads = shapely.box(0, -300, 300, 0).union(shapely.box(1080, 1220, 1380, 1520))
    assert shapely_layer(device.cell, *CC.spec).contains(pads)
    assert electrolyte.intersection(pads).area == 0.0


def test_klayout_measures_the_same_gaps_and_areas(tmp_path: Path) -> None:
    p = InterdigitalParams(fingers=4, gap=12.5, inset=2.5)
    device = build_interdigital(p, ROLES)
    path = tmp_path / "idt.gds"
    write_gds(device.cell, path)
    cathode, dbu = klayout_region(path, *CAT.spec)
    anode, _ = klayout_region(path, *AN.spec)
    collector, _ = klayout_region(path, *CC.spec)
    assert cathode.area() * dbu**2 == pytest.approx(_electrode_area_by_hand(p))
    spacing = p.gap + 2 * p.inset  # 17.5 um
    # separation_check reports pairs closer than the value: none at the exact spacing ...
    assert cathode.separation_check(anode, round(spacing / dbu)).count() == 0
    # ... and violations as soon as the requirement is one grid step larger.
    assert cathode.separation_check(anode, round(spacing / dbu) + 1).count() > 0
    assert collector.space_check(round(p.gap / dbu)).count() == 0
    assert collector.space_check(round(p.gap / dbu) + 1).count() > 0
    assert collector.count() == 2  # two combs, each one piece


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fingers=st.integers(1, 6),
    width=st.integers(4, 200),
    gap=st.integers(1, 100),
    length=st.integers(50, 2000),
    bus=st.integers(10, 300),
    inset_fraction=st.floats(0.0, 0.45),
    grid_steps=st.integers(0, 999),
)
def test_random_devices_keep_the_closed_form(
    fingers: int,
    width: int,
    gap: int,
    length: int,
    bus: int,
    inset_fraction: float,
    grid_steps: int,
) -> None:
    inset = round(inset_fraction * min(width, bus)) + grid_steps * 0.001 * (inset_fraction > 0)
    p = InterdigitalParams(
        fingers=fingers,
        finger_width=width + 0.25,
        gap=gap,
        finger_length=length + gap,
        bus_width=bus,
        inset=min(inset, 0.45 * min(width, bus)),
        pad=(40, 40),
    )
    assert not p.problems()
    device = build_interdigital(p, ROLES)
    cathode = shapely_layer(device.cell, *CAT.spec)
    anode = shapely_layer(device.cell, *AN.spec)
    expected = _electrode_area_by_hand(p)
    assert cathode.area == pytest.approx(expected, rel=1e-9, abs=1e-3)
    assert anode.area == pytest.approx(expected, rel=1e-9, abs=1e-3)
    assert cathode.distance(anode) == pytest.approx(p.gap + 2 * p.inset, abs=1.5e-3)
    assert device.closed_form["electrode_area_um2"] == pytest.approx(expected)
    for poly in device.cell.polygons:
        assert is_on_grid(poly.points)


def test_rounded_corners_only_remove_material() -> None:
    sharp = build_interdigital(InterdigitalParams(fingers=2, pad=(100, 100)), ROLES)
    round_ = build_interdigital(
        InterdigitalParams(fingers=2, pad=(100, 100), corner_radius=10), ROLES
    )
    sharp_cc = shapely_layer(sharp.cell, *CC.spec)
    round_cc = shapely_layer(round_.cell, *CC.spec)
    assert sharp_cc.buffer(1e-3).contains(round_cc)
    # Each comb has 8 convex corners: 2 finger tips x 2, 2 at the free end of its bus bar,
    # 2 at the outer end of its pad. Each loses r^2 (1 - pi/4) = 21.46 um2 for r = 10 um
    # (slightly more for the faceted arc, at most 0.2 um2 with 10 nm facet deviation).
    lost = sharp_cc.area - round_cc.area
    assert lost == pytest.approx(16 * 100 * (1 - math.pi / 4), abs=16 * 0.2)
    cat = shapely_layer(round_.cell, *CAT.spec)
    an = shapely_layer(round_.cell, *AN.spec)
    assert cat.distance(an) >= 30.0 - 1e-3
