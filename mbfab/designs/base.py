"""What every design generator returns, and how it finds its layers by role."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import gdstk

from mbfab.layout import Layer
from mbfab.layout.marks import MarkPlacement

__all__ = ["Device", "RoleLayers"]


class RoleLayers:
    """The recipe's layers indexed by role (``cathode`` -> Layer)."""

    def __init__(self, by_role: Mapping[str, list[Layer]]) -> None:
        self._by_role = {role: list(layers) for role, layers in by_role.items()}

    def one(self, role: str) -> Layer:
        """The single layer playing ``role``; a design asks only for roles it was checked for."""
        layers = self._by_role.get(role, [])
        if len(layers) != 1:
            raise KeyError(f"expected one layer with role {role!r}, found {len(layers)}")
        return layers[0]

    def optional(self, role: str) -> Layer | None:
        layers = self._by_role.get(role, [])
        return layers[0] if layers else None

    def all(self, role: str) -> list[Layer]:
        return list(self._by_role.get(role, []))


@dataclass
class Device:
    """A generated device: its top cell (hierarchy below it) and what the design knows.

    ``nets`` names the layers of each electrode net (``cathode``/``anode``) so that rules and
    estimates can follow connectivity; ``closed_form`` holds quantities the generator derives
    from its parameters (areas in um², counts), which tests and estimates compare with the
    polygons actually drawn; ``info`` holds the facts that are words, not numbers.
    """

    cell: gdstk.Cell
    layers: dict[str, Layer]
    footprint: tuple[tuple[float, float], tuple[float, float]]
    nets: dict[str, list[str]] = field(default_factory=dict)
    closed_form: dict[str, float] = field(default_factory=dict)
    #: Non-numeric facts for estimates and reports (lattice, feature shape, layer stack order).
    info: dict[str, str | list[str]] = field(default_factory=dict)
    #: Alignment marks of the mask layout, in the top cell's coordinates (for a wafer map:
    #: those of one die per variant, ``info["marks_repeat"]`` says how they repeat).
    marks: list[MarkPlacement] = field(default_factory=list)

    @property
    def footprint_area_um2(self) -> float:
        (x0, y0), (x1, y1) = self.footprint
        return (x1 - x0) * (y1 - y0)
