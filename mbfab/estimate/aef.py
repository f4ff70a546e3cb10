"""3D area gain: closed forms for lattices of posts/holes, trenches and through-holes, the
measured form (perimeter x depth over the footprint), and conformal-film closure.

Closed forms from domain-facts 5.1 (derived, geometry only). A lattice of pitch ``p`` has a
unit cell of ``p**2`` (square) or ``sqrt(3)/2 p**2`` (hexagonal); a post or hole of diameter
``d`` and height/depth ``h`` adds ``pi d h`` of wall. A blind hole's bottom replaces its
opening, so holes and posts share one expression. Lengths in um; gains are dimensionless.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Closure",
    "Lattice",
    "aef_from_walls",
    "aef_lattice",
    "aef_trenches",
    "closure_holes",
    "closure_posts",
    "closure_trenches",
    "gain_through_holes",
    "unit_cell_area_um2",
]

Lattice = Literal["square", "hex"]


def unit_cell_area_um2(pitch_um: float, lattice: Lattice) -> float:
    """Footprint of one lattice site."""
    if lattice == "square":
        return pitch_um**2
    if lattice == "hex":
        return math.sqrt(3.0) / 2.0 * pitch_um**2
    raise ValueError(f"unknown lattice {lattice!r}; use square or hex")


def aef_lattice(diameter_um: float, depth_um: float, pitch_um: float, lattice: Lattice) -> float:
    """Posts or blind holes: ``1 + pi d h / A_cell`` (square: ``1 + pi d h / p**2``)."""
    if diameter_um >= pitch_um:
        raise ValueError(f"diameter {diameter_um} um must be smaller than the pitch {pitch_um} um")
    return 1.0 + math.pi * diameter_um * depth_um / unit_cell_area_um2(pitch_um, lattice)


def aef_trenches(depth_um: float, pitch_um: float) -> float:
    """Long trenches or fins of pitch ``p``: two walls per period, ``1 + 2h/p``."""
    return 1.0 + 2.0 * depth_um / pitch_um


def gain_through_holes(
    diameter_um: float, thickness_um: float, pitch_um: float, lattice: Lattice = "square"
) -> float:
    """Perforated substrate used on both faces, relative to one planar face.

    ``(2 (A_cell - pi d^2/4) + pi d h) / A_cell``; square: ``2 - pi d^2/(2p^2) + pi d h/p^2``.
    """
    cell = unit_cell_area_um2(pitch_um, lattice)
    opening = math.pi * diameter_um**2 / 4.0
    return (2.0 * (cell - opening) + math.pi * diameter_um * thickness_um) / cell


def aef_from_walls(perimeter_um: float, depth_um: float, footprint_um2: float) -> float:
    """Measured gain: ``1 + P h / A`` for drawn outlines of total length ``P`` etched ``h`` deep."""
    if footprint_um2 <= 0:
        raise ValueError("footprint must be positive")
    return 1.0 + perimeter_um * depth_um / footprint_um2


@dataclass(frozen=True)
class Closure:
    """What is left open once a conformal stack of ``film_um`` coats every wall."""

    feature: str
    opening_um: float
    remaining_um: float

    @property
    def closes(self) -> bool:
        return self.remaining_um <= 0.0


def closure_holes(diameter_um: float, film_um: float) -> Closure:
    """Holes shrink by two films: ``d - 2 t`` must stay open."""
    return Closure("hole", diameter_um, diameter_um - 2.0 * film_um)


def closure_posts(diameter_um: float, pitch_um: float, film_um: float) -> Closure:
    """Posts grow by two films: ``p - d - 2 t`` must stay open (nearest neighbours)."""
    gap = pitch_um - diameter_um
    return Closure("post gap", gap, gap - 2.0 * film_um)


def closure_trenches(width_um: float, film_um: float) -> Closure:
    """Trenches narrow by two films: ``w - 2 t``."""
    return Closure("trench", width_um, width_um - 2.0 * film_um)
