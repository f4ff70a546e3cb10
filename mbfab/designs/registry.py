"""The explicit registry of design kinds: parameters model, generator, required roles."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mbfab.designs import interdigital
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
        summary="in-plane interdigital electrodes on two collector combs",
    ),
}


def build_device(params: DesignParams, layers: RoleLayers) -> Device:
    """Run the generator of ``params.kind``."""
    kind: str = params.kind  # type: ignore[attr-defined]
    return DESIGNS[kind].build(params, layers)
