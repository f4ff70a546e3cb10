"""Lithography limits as pure functions of numbers (no recipe, no geometry)."""

from __future__ import annotations

import math

__all__ = ["contact_resolution_um", "projection_resolution_um", "resist_absorbs"]


def contact_resolution_um(
    wavelength_um: float, gap_um: float, resist_um: float, factor: float = 1.5
) -> float:
    """Smallest printable feature for contact/proximity printing.

    ``b_min = factor * sqrt(lambda * (s + d/2))`` with mask gap ``s`` and resist thickness
    ``d``: 365 nm, hard contact, 10 um resist -> 1.5 * sqrt(0.365 * 5) = 2.03 um.
    """
    return factor * math.sqrt(wavelength_um * (gap_um + resist_um / 2))


def projection_resolution_um(wavelength_um: float, na: float, k1: float) -> float:
    """Rayleigh resolution of a projection tool: ``k1 * lambda / NA``."""
    return k1 * wavelength_um / na


def resist_absorbs(sensitivity_nm: tuple[float, float], wavelength_um: float) -> bool:
    """True when the tool's wavelength lies in the resist's sensitive band."""
    low, high = sensitivity_nm
    return low <= wavelength_um * 1000 <= high
