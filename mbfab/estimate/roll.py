"""Swiss-roll mechanics: strained-film curvature, windings and the rolled footprint.

Lengths in um, moduli in any one consistent unit (GPa in recipes), strains dimensionless.
Sources: domain-facts 6.1 (Timoshenko 1925 bilayer; the multilayer form is the same beam
balance with one free strain per layer, as in Nikishkov 2003; Archimedean windings derived).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "Winding",
    "multilayer_curvature_per_um",
    "timoshenko_curvature_per_um",
    "turns_for_length",
    "winding",
    "winding_from_outer",
]


def timoshenko_curvature_per_um(
    h1_um: float, h2_um: float, e1: float, e2: float, mismatch_strain: float
) -> float:
    """Bilayer curvature ``kappa = 6 de (1+m)^2 / (h [3(1+m)^2 + (1+mn)(m^2 + 1/(mn))])``.

    ``m = h1/h2``, ``n = E1/E2``, ``h = h1 + h2``, ``de`` the mismatch strain. Equal layers
    (m = n = 1) give ``3 de / (2 h)``: the denominator terms ADD (one published code
    multiplies them; it is wrong).
    """
    m, n, h = h1_um / h2_um, e1 / e2, h1_um + h2_um
    denominator = h * (3.0 * (1.0 + m) ** 2 + (1.0 + m * n) * (m**2 + 1.0 / (m * n)))
    return 6.0 * mismatch_strain * (1.0 + m) ** 2 / denominator


def multilayer_curvature_per_um(
    thicknesses_um: Sequence[float], moduli: Sequence[float], strains: Sequence[float]
) -> float:
    """Curvature of a free stack of layers (bottom first), each with its own free strain.

    The strain through the stack is ``c + kappa z``; force and moment balance
    ``sum E_i int (c + kappa z - eps_i) dz = 0`` and ``sum E_i int (...) z dz = 0`` give
    ``kappa = (A M - B F) / (A D - B^2)``. Positive ``kappa``: the top is longer (the stack
    bends away from its top face); negative: it curls toward its top face (rolls up).
    For two layers this is Timoshenko's formula with ``de = eps_top - eps_bottom``.
    """
    if not (len(thicknesses_um) == len(moduli) == len(strains)) or not thicknesses_um:
        raise ValueError("need one thickness, modulus and strain per layer")
    a = b = d = f = m = 0.0
    z = 0.0
    for t, e, eps in zip(thicknesses_um, moduli, strains, strict=True):
        z0, z1 = z, z + t
        a += e * t
        b += e * (z1**2 - z0**2) / 2.0
        d += e * (z1**3 - z0**3) / 3.0
        f += e * eps * t
        m += e * eps * (z1**2 - z0**2) / 2.0
        z = z1
    return (a * m - b * f) / (a * d - b * b)


def turns_for_length(length_um: float, inner_diameter_um: float, turn_um: float) -> float:
    """Turns ``N`` of an Archimedean roll: ``L = pi N (D0 + t (N - 1))`` solved for ``N``."""
    if turn_um <= 0:
        return length_um / (math.pi * inner_diameter_um)
    shifted = inner_diameter_um - turn_um
    root = math.sqrt(shifted**2 + 4.0 * turn_um * length_um / math.pi)
    return (-shifted + root) / (2.0 * turn_um)


@dataclass(frozen=True)
class Winding:
    """A rolled stack: turns, diameters and the footprint of the tube lying on the chip."""

    turns: float
    inner_diameter_um: float
    outer_diameter_um: float
    footprint_um2: float


def winding(length_um: float, width_um: float, inner_diameter_um: float, turn_um: float) -> Winding:
    """Roll ``length_um`` of a stack ``turn_um`` thick and ``width_um`` wide (the tube axis)."""
    turns = turns_for_length(length_um, inner_diameter_um, turn_um)
    outer = inner_diameter_um + 2.0 * turn_um * turns
    return Winding(turns, inner_diameter_um, outer, outer * width_um)


def winding_from_outer(
    length_um: float, width_um: float, outer_diameter_um: float, turn_um: float
) -> Winding | None:
    """The roll whose measured outer diameter is ``outer_diameter_um``, or None if impossible.

    With ``D = D0 + 2 t N`` the spiral length ``L = pi N (D0 + t (N - 1))`` becomes
    ``L = pi N (D - t (N + 1))``, i.e. ``t N^2 - (D - t) N + L/pi = 0``; the smaller root is
    the roll (the larger one would need a negative inner diameter). None when
    ``(D - t)^2 < 4 t L / pi``: that diameter cannot hold the strip.
    """
    if turn_um <= 0:
        return Winding(
            length_um / (math.pi * outer_diameter_um),
            outer_diameter_um,
            outer_diameter_um,
            outer_diameter_um * width_um,
        )
    b = outer_diameter_um - turn_um
    disc = b * b - 4.0 * turn_um * length_um / math.pi
    if disc < 0:
        return None
    turns = (b - math.sqrt(disc)) / (2.0 * turn_um)
    inner = outer_diameter_um - 2.0 * turn_um * turns
    return Winding(turns, inner, outer_diameter_um, outer_diameter_um * width_um)
