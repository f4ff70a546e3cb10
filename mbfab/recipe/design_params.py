"""Parameters of each design kind, as a recipe states them (lengths already in um).

Each model lists its fields with defaults that build a valid device, and
``problems()`` returns geometry that cannot be built, as (key path, message) pairs.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from mbfab.recipe.fields import STRICT, NonNegativeLength, PositiveLength

__all__ = ["DESIGN_PARAMS", "DesignParams", "InterdigitalParams", "Problem"]

Problem = tuple[tuple[str | int, ...], str]


class DesignParams(BaseModel):
    """Base of every design kind's parameters."""

    model_config = STRICT

    #: Layer roles the recipe must provide for this kind (one layer each).
    required_roles: ClassVar[tuple[str, ...]] = ()

    def problems(self) -> list[Problem]:
        """Geometry that cannot be built from these parameters."""
        return []


class InterdigitalParams(DesignParams):
    """In-plane interdigital cell: two combs of fingers on current collectors.

    ::

        +--------------------------------+   anode bus (bus_width)
        |   |‾|     |‾|     |‾|     |‾|  |
        |   | |     | |     | |     | |  |   finger_length
        |‾| | | |‾| | | |‾| | | |‾| | |  |
        | | |_| | | |_| | | |_| | | |_|  |   <- tip_gap to the other bus
        | |  gap| |     | |     | |      |
        +--------------------------------+   cathode bus
    """

    required_roles: ClassVar[tuple[str, ...]] = ("collector", "cathode", "anode")

    kind: Literal["interdigital"] = "interdigital"
    fingers: int = Field(10, ge=1, le=100_000, description="finger pairs (cathode + anode)")
    finger_width: PositiveLength = Field(50.0, description="width of every finger")
    finger_length: PositiveLength = Field(1000.0, description="finger length from its bus bar")
    gap: PositiveLength = Field(20.0, description="collector gap between neighbouring fingers")
    tip_gap: PositiveLength | None = Field(
        None, description="finger tip to the opposite bus bar (default: gap)"
    )
    bus_width: PositiveLength = Field(100.0, description="width of each bus bar")
    pad: tuple[PositiveLength, PositiveLength] = Field(
        (300.0, 300.0), description="contact pad [width, height]"
    )
    inset: NonNegativeLength = Field(5.0, description="electrode edge inside its collector edge")
    electrolyte_margin: NonNegativeLength = Field(
        50.0, description="electrolyte window beyond the electrode field"
    )
    corner_radius: NonNegativeLength = Field(0.0, description="radius of rounded convex corners")

    @property
    def effective_tip_gap(self) -> float:
        return self.tip_gap if self.tip_gap is not None else self.gap

    def problems(self) -> list[Problem]:
        found: list[Problem] = []
        if 2 * self.inset >= self.finger_width:
            found.append(
                (
                    (("inset",)),
                    f"inset {self.inset:g} um leaves no electrode on a "
                    f"{self.finger_width:g} um finger (must be < half the finger width)",
                )
            )
        if 2 * self.inset >= self.bus_width:
            found.append(
                (
                    ("inset",),
                    f"inset {self.inset:g} um must be < half the bus width {self.bus_width:g} um",
                )
            )
        if self.effective_tip_gap >= self.finger_length:
            found.append(
                (
                    ("tip_gap" if self.tip_gap is not None else "gap",),
                    f"tip gap {self.effective_tip_gap:g} um must be shorter than the "
                    f"finger length {self.finger_length:g} um (fingers would not overlap)",
                )
            )
        narrowest = min(self.finger_width, self.bus_width) - 2 * self.inset
        if self.corner_radius > 0 and 2 * self.corner_radius > narrowest:
            found.append(
                (
                    ("corner_radius",),
                    f"corner radius {self.corner_radius:g} um must be "
                    "at most half the narrowest electrode",
                )
            )
        return found


#: Every design kind and its parameter model, in the order `mbfab designs` lists them.
DESIGN_PARAMS: dict[str, type[DesignParams]] = {
    "interdigital": InterdigitalParams,
}
