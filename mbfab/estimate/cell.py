"""Capacity and energy: unit bridges, electrode capacity, the limiting electrode, normalisation.

Units: lengths um, areas um2, volumes um3, specific capacity mAh/g, density g/cm3,
capacity uAh, energy uWh, voltage V. The one bridge between them:
1 mAh/g x 1 g/cm3 = 1 mAh/cm3 = 0.1 uAh cm-2 um-1 (1 cm3 = 1 cm2 x 1e4 um).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "UAH_CM2_UM_PER_MAH_CM3",
    "UM2_PER_CM2",
    "UM3_PER_CM3",
    "CellCapacity",
    "areal_per_cm2",
    "capacity_uah",
    "cell_capacity",
    "energy_uwh",
    "per_volume_mwh_cm3",
    "volumetric_capacity_uah_cm2_um",
]

#: 1 mAh/cm3 = 1000 uAh / (1 cm2 x 1e4 um) = 0.1 uAh cm-2 um-1.
UAH_CM2_UM_PER_MAH_CM3 = 0.1
UM2_PER_CM2 = 1e8
UM3_PER_CM3 = 1e12


def volumetric_capacity_uah_cm2_um(
    specific_mah_g: float,
    density_g_cm3: float,
    porosity: float = 0.0,
    active_fraction: float = 1.0,
) -> float:
    """Film capacity per footprint area and thickness, uAh cm-2 um-1.

    ``density x (1 - porosity) x active_fraction`` is the active mass per film volume.
    """
    if not 0.0 <= porosity < 1.0:
        raise ValueError(f"porosity must be in [0, 1), got {porosity}")
    if not 0.0 < active_fraction <= 1.0:
        raise ValueError(f"active fraction must be in (0, 1], got {active_fraction}")
    mah_cm3 = specific_mah_g * density_g_cm3 * (1.0 - porosity) * active_fraction
    return UAH_CM2_UM_PER_MAH_CM3 * mah_cm3


def capacity_uah(volume_um3: float, q_uah_cm2_um: float) -> float:
    """Capacity of ``volume_um3`` of electrode: 1 cm2 x 1 um = 1e8 um3."""
    return volume_um3 / UM2_PER_CM2 * q_uah_cm2_um


def energy_uwh(capacity: float, voltage_v: float) -> float:
    """Energy in uWh of a capacity in uAh delivered at an average ``voltage_v``."""
    return capacity * voltage_v


def areal_per_cm2(quantity: float, area_um2: float) -> float:
    """``quantity`` per cm2 of ``area_um2`` (uAh -> uAh/cm2, uWh -> uWh/cm2)."""
    if area_um2 <= 0:
        raise ValueError("area must be positive")
    return quantity / (area_um2 / UM2_PER_CM2)


def per_volume_mwh_cm3(energy: float, volume_um3: float) -> float:
    """Energy density in mWh/cm3 (= Wh/L) of ``energy`` uWh in ``volume_um3``."""
    if volume_um3 <= 0:
        raise ValueError("volume must be positive")
    return energy / 1000.0 / (volume_um3 / UM3_PER_CM3)


@dataclass(frozen=True)
class CellCapacity:
    """A full cell: the smaller electrode limits; N/P = anode / cathode capacity."""

    cathode_uah: float
    anode_uah: float
    capacity_uah: float
    limiting: str
    np_ratio: float


def cell_capacity(cathode_uah: float, anode_uah: float) -> CellCapacity:
    """The limiting electrode of a cell and its N/P ratio."""
    if cathode_uah <= 0 or anode_uah <= 0:
        raise ValueError("both electrode capacities must be positive")
    limiting = "cathode" if cathode_uah <= anode_uah else "anode"
    return CellCapacity(
        cathode_uah=cathode_uah,
        anode_uah=anode_uah,
        capacity_uah=min(cathode_uah, anode_uah),
        limiting=limiting,
        np_ratio=anode_uah / cathode_uah,
    )
