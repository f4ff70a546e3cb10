"""Application fit: the cell's energy against the energy needs of the seed review's Table 2."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from mbfab.estimate.library import Application

__all__ = ["Fit", "application_fit"]

Verdict = Literal["powers", "partly", "too small"]


@dataclass(frozen=True)
class Fit:
    """How one application's need compares with the cell's energy."""

    device: str
    level: str
    min_uwh: float
    max_uwh: float
    verdict: Verdict
    source: str


def application_fit(energy_uwh: float, applications: Iterable[Application]) -> list[Fit]:
    """``powers`` when the energy covers the top of the need's range, ``partly`` when it lies
    inside the range, ``too small`` below it."""
    fits = []
    for app in applications:
        if energy_uwh >= app.max_uwh:
            verdict: Verdict = "powers"
        elif energy_uwh >= app.min_uwh:
            verdict = "partly"
        else:
            verdict = "too small"
        fits.append(Fit(app.device, app.level, app.min_uwh, app.max_uwh, verdict, app.source))
    return fits
