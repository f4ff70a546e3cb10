"""Process data the traveler needs: spin curves, bakes, doses, developers, layer processes.

Models of the tables in ``mbfab/data/resists.yaml`` (each resist's ``process:`` block) and
``mbfab/data/process_steps.yaml``. Pure data plus the small interpolations that belong to it
(thickness <-> spin speed, dose for a thickness). Thicknesses in um, speeds in rpm, times in
s, temperatures in degrees C, doses in mJ/cm², wavelengths in nm.
"""

from __future__ import annotations

import itertools
import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "Bake",
    "Develop",
    "Exposure",
    "PostExposure",
    "ProcessLibrary",
    "ProcessTemplate",
    "ResistProcess",
    "SpinCurve",
    "StepTemplate",
    "TableEntry",
]

_DATA = ConfigDict(extra="forbid", frozen=True)

ParamValue = str | float | int | bool


class SpinCurve(BaseModel):
    """Film thickness against spin speed for one resist grade (single coat).

    Either measured ``points`` ``[[rpm, um], ...]`` (interpolated piecewise in log-log
    space, i.e. a power law between neighbours; valid between the first and last point) or a
    fitted power law ``T = a * rpm**b`` valid over ``rpm_range``.
    """

    model_config = _DATA

    grade: str = ""
    points: list[tuple[float, float]] | None = None
    power_law: tuple[float, float] | None = Field(None, description="(a, b): T_um = a * rpm**b")
    rpm_range: tuple[float, float] | None = None
    source: str

    @model_validator(mode="after")
    def _one_form(self) -> SpinCurve:
        if (self.points is None) == (self.power_law is None):
            raise ValueError("give either points or power_law")
        if self.power_law is not None and self.rpm_range is None:
            raise ValueError("a power law needs its rpm_range")
        if self.points is not None:
            rpms = [p[0] for p in self.points]
            thick = [p[1] for p in self.points]
            if len(rpms) < 2 or rpms != sorted(set(rpms)):
                raise ValueError("points need two or more strictly increasing speeds")
            if any(b >= a for a, b in itertools.pairwise(thick)):
                raise ValueError("thickness must fall as the speed rises")
        return self

    def thickness_at(self, rpm: float) -> float:
        """Film thickness in um at ``rpm`` (no range check)."""
        if self.power_law is not None:
            a, b = self.power_law
            return a * rpm**b
        assert self.points is not None
        pts = self.points
        i = _segment([p[0] for p in pts], rpm)
        (w0, t0), (w1, t1) = pts[i], pts[i + 1]
        b = math.log(t1 / t0) / math.log(w1 / w0)
        return t0 * (rpm / w0) ** b

    def speed_range(self) -> tuple[float, float]:
        """Lowest and highest valid spin speed, rpm."""
        if self.points is not None:
            return self.points[0][0], self.points[-1][0]
        assert self.rpm_range is not None
        return self.rpm_range

    def thickness_range(self) -> tuple[float, float]:
        """Thinnest and thickest film this curve covers, um."""
        lo_rpm, hi_rpm = self.speed_range()
        return self.thickness_at(hi_rpm), self.thickness_at(lo_rpm)

    def rpm_for(self, thickness_um: float) -> float | None:
        """Spin speed giving ``thickness_um``, or None outside the curve's range."""
        lo, hi = self.thickness_range()
        if not lo - 1e-9 <= thickness_um <= hi + 1e-9:
            return None
        if self.power_law is not None:
            a, b = self.power_law
            return float((thickness_um / a) ** (1.0 / b))
        assert self.points is not None
        pts = self.points
        # Thickness falls with speed: find the segment bracketing the thickness.
        for (w0, t0), (w1, t1) in itertools.pairwise(pts):
            if t1 - 1e-9 <= thickness_um <= t0 + 1e-9:
                b = math.log(t1 / t0) / math.log(w1 / w0)
                return float(w0 * (thickness_um / t0) ** (1.0 / b))
        return None  # pragma: no cover - the range check above brackets every value


def _segment(xs: list[float], x: float) -> int:
    """Index ``i`` of the segment ``xs[i]..xs[i+1]`` holding ``x`` (end segments extend)."""
    for i in range(len(xs) - 2):
        if x <= xs[i + 1]:
            return i
    return len(xs) - 2


class _Timed(BaseModel):
    """A step whose time grows with resist thickness by ``time_s_per_um``."""

    model_config = _DATA

    time_s: float = Field(gt=0)
    time_s_per_um: float = Field(0.0, ge=0)
    source: str

    def duration_s(self, thickness_um: float) -> float:
        return self.time_s + self.time_s_per_um * thickness_um


class Bake(_Timed):
    """A hotplate bake; thick films add ``time_s_per_um`` of resist."""

    temperature_c: float


class Exposure(BaseModel):
    """Exposure dose against resist thickness, at the wavelength the doses were measured."""

    model_config = _DATA

    dose_points: list[tuple[float, float]] = Field(
        min_length=1, description="[[thickness_um, dose_mj_cm2], ...] by rising thickness"
    )
    wavelength_nm: float
    source: str

    def dose_mj_cm2(self, thickness_um: float) -> float:
        """Dose at ``thickness_um``: linear between points, proportional to thickness outside.

        Proportional scaling outside the table is a first-order rule (the dose to clear the
        bottom of the film grows with the absorbing thickness), not a datasheet value.
        """
        pts = self.dose_points
        if thickness_um <= pts[0][0]:
            return pts[0][1] * thickness_um / pts[0][0]
        if thickness_um >= pts[-1][0]:
            return pts[-1][1] * thickness_um / pts[-1][0]
        i = _segment([p[0] for p in pts], thickness_um)
        (t0, d0), (t1, d1) = pts[i], pts[i + 1]
        return d0 + (d1 - d0) * (thickness_um - t0) / (t1 - t0)


class PostExposure(BaseModel):
    """Post-exposure bake (chemically amplified / negative resists) or image-reversal bake."""

    model_config = _DATA

    kind: Literal["peb", "image-reversal"]
    temperature_c: float
    time_s: float = Field(gt=0)
    time_s_per_um: float = Field(0.0, ge=0)
    flood_mj_cm2: float | None = Field(None, description="flood exposure after an IR bake")
    source: str

    def duration_s(self, thickness_um: float) -> float:
        return self.time_s + self.time_s_per_um * thickness_um


class Develop(_Timed):
    """Developer (a key of the developers table) and immersion time."""

    developer: str


class ResistProcess(BaseModel):
    """Everything needed to coat, expose, develop and remove one resist."""

    model_config = _DATA

    typical_thickness: float = Field(gt=0, description="um, used when a layer gives none")
    spin: list[SpinCurve] = Field(min_length=1)
    preferred_rpm: float = Field(3000.0, gt=0, description="grade choice: speed nearest this")
    max_coats: int = Field(1, ge=1, le=4)
    soft_bake: Bake
    exposure: Exposure
    post_exposure: PostExposure | None = None
    develop: Develop
    cure: Bake | None = None
    remover: str | None = Field(None, description="a key of the removers table; None: none")
    notes: list[str] = Field(default_factory=list)


class TableEntry(BaseModel):
    """A named chemical or treatment: what it is, how it is used, where the numbers come from."""

    model_config = _DATA

    display: str
    params: dict[str, ParamValue] = Field(default_factory=dict)
    source: str


class StepTemplate(BaseModel):
    """One step of a layer process; ``{material}`` etc. in texts are filled from the layer."""

    model_config = _DATA

    kind: str
    action: str
    params: dict[str, ParamValue] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
    source: str


class ProcessTemplate(BaseModel):
    """Steps of one layer process around its lithography."""

    model_config = _DATA

    summary: str
    pretreatment: list[str] = Field(min_length=1)
    before: list[StepTemplate] = Field(default_factory=list)
    after: list[StepTemplate] = Field(default_factory=list)
    #: Minimum resist-to-film thickness ratio (lift-off), keyed by deposition method.
    min_resist_ratio: dict[str, float] = Field(default_factory=dict)


class ProcessLibrary(BaseModel):
    """``process_steps.yaml``: pretreatments, developers, removers, processes, release."""

    model_config = _DATA

    version: Literal[1]
    pretreatments: dict[str, TableEntry]
    developers: dict[str, TableEntry]
    removers: dict[str, TableEntry]
    processes: dict[str, ProcessTemplate]
    release: StepTemplate
