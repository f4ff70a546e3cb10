"""What a design kind's geometry model returns to the estimate step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Geometry"]


@dataclass
class Geometry:
    """What a design kind's model says about the cell in 3D."""

    model: str
    #: electrode layer name -> (volume um3, fill mode, surface the film covers um2)
    volumes: dict[str, tuple[float, str, float]]
    height_um: float
    #: footprint bases the model replaces or adds (e.g. a rolled footprint), um2
    footprints_um2: dict[str, float] = field(default_factory=dict)
    area_gain: dict[str, Any] | None = None
    roll: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    #: footprint basis used when the recipe names none
    preferred_basis: str = "electrodes"
