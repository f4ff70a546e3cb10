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


DESIGNS: dict[str, DesignKind] = {
    "interdigital": DesignKind(
        kind="interdigital",
        params=DESIGN_PARAMS["interdigital"],
        build=interdigital.build_interdigital,
        summary="in-plane interdigital electrodes on two collector combs "
        "(optional 3D posts inside the fingers)",
    ),
    "stacked": DesignKind(
        kind="stacked",
        params=DESIGN_PARAMS["stacked"],
        build=stacked.build_stacked,
        summary="stacked thin-film cell: collector, cathode, electrolyte, anode, collector",
    ),
    "pillars": DesignKind(
        kind="pillars",
        params=DESIGN_PARAMS["pillars"],
        build=arrays3d.build_pillars,
        summary="3D pillar array etched into the substrate (mask on the features)",
    ),
    "holes": DesignKind(
        kind="holes",
        params=DESIGN_PARAMS["holes"],
        build=arrays3d.build_holes,
        summary="3D blind or through-hole array (mask open over the features)",
    ),
    "trenches": DesignKind(
        kind="trenches",
        params=DESIGN_PARAMS["trenches"],
        build=arrays3d.build_trenches,
        summary="3D trench array: parallel lines clipped to a region",
    ),
    "swiss-roll": DesignKind(
        kind="swiss-roll",
        params=DESIGN_PARAMS["swiss-roll"],
        build=swissroll.build_swiss_roll,
        summary="flat Swiss-roll multilayer before release (single or twin roll)",
    ),
}


def build_device(params: DesignParams, layers: RoleLayers) -> Device:
    """Run the generator of ``params.kind``."""
    kind: str = params.kind  # type: ignore[attr-defined]
    return DESIGNS[kind].build(params, layers)
