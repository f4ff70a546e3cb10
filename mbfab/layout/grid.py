"""The database grid: every coordinate mbfab writes is an integer number of grid steps."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["DBU_UM", "USER_UNIT_M", "is_on_grid", "snap", "snap_value"]

#: User unit of every library mbfab makes: one micrometre.
USER_UNIT_M = 1e-6
#: Database unit (GDSII precision): 1 nm, the mask-shop default.
DBU_UM = 1e-3


def snap(points: ArrayLike, grid_um: float = DBU_UM) -> NDArray[np.float64]:
    """Round an ``(N, 2)`` array of micrometre coordinates to ``grid_um``."""
    array = np.asarray(points, dtype=np.float64)
    return np.round(array / grid_um) * grid_um


def snap_value(value_um: float, grid_um: float = DBU_UM) -> float:
    """Round one micrometre value to ``grid_um``."""
    return float(np.round(value_um / grid_um) * grid_um)


def is_on_grid(points: ArrayLike, grid_um: float = DBU_UM, tolerance: float = 1e-6) -> bool:
    """True when every coordinate is a multiple of ``grid_um`` (within ``tolerance`` steps)."""
    steps = np.asarray(points, dtype=np.float64) / grid_um
    return bool(np.all(np.abs(steps - np.round(steps)) <= tolerance))
