"""The explicit registry of design kinds: parameters model, generator, required roles."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mbfab.designs import arrays3d, interdigital, stacked, swissroll
from mbfab.designs.base import Device, RoleLayers
from mbfab.recipe.design_params import DESIGN_PARAMS, DesignParams

__all__ = ["DESIGNS", "DesignKind", "build_device"]


@dataclass(frozen=True)
class DesignKind:
    """A design kind: how to build it and which layer roles it needs."""

    kind: str
    params: type[DesignParams]
    build: Callable[[Any, RoleLayers], Device]
    summary: str


# kind -> (generator, one-line summary); parameters come from the recipe's DESIGN_PARAMS.
_GENERATORS: dict[str, tuple[Callable[[Any, RoleLayers], Device], str]] = {
    "interdigital": (
        interdigital.build_interdigital,
        "in-plane interdigital electrodes on two collector combs "
        "(optional 3D posts inside the fingers)",
    ),
    "stacked": (
        stacked.build_stacked,
        "stacked thin-film cell: collector, cathode, electrolyte, anode, collector",
    ),
    "pillars": (
        arrays3d.build_pillars,
        "3D pillar array etched into the substrate (mask on the features)",
    ),
    "holes": (
        arrays3d.build_holes,
        "3D blind or through-hole array (mask open over the features)",
    ),
    "trenches": (
        arrays3d.build_trenches,
        "3D trench array: parallel lines clipped to a region",
    ),
    "swiss-roll": (
        swissroll.build_swiss_roll,
        "flat Swiss-roll multilayer before release (single or twin roll)",
    ),
}

DESIGNS: dict[str, DesignKind] = {
    kind: DesignKind(kind, DESIGN_PARAMS[kind], build, summary)
    for kind, (build, summary) in _GENERATORS.items()
}


def build_device(params: DesignParams, layers: RoleLayers) -> Device:
    """Run the generator of ``params.kind``."""
    kind: str = params.kind  # type: ignore[attr-defined]
    return DESIGNS[kind].build(params, layers)
