"""The lithography steps of one layer: spin coat (speed from the spin curve), soft bake,
exposure (dose for the thickness and the tool's wavelength), post-exposure or image-reversal
bake + flood, development."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from mbfab.recipe.catalog import Resist
from mbfab.recipe.loader import LoadedRecipe
from mbfab.recipe.process_data import ParamValue, ProcessLibrary, SpinCurve

__all__ = ["SPIN_TIME_S", "SpinChoice", "Step", "choose_spin", "litho_steps"]

#: Spin time at full speed (typical, not from a datasheet).
SPIN_TIME_S = 30


@dataclass(frozen=True)
class Step:
    """One line of the traveler: what to do, with which numbers, and where they come from."""

    kind: str
    action: str
    params: dict[str, ParamValue] = field(default_factory=dict)
    source: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SpinChoice:
    """The spin recipe for a thickness: grade, speed, number of coats."""

    curve: SpinCurve
    rpm: float
    coats: int
    coat_thickness_um: float


def choose_spin(resist: Resist, thickness_um: float) -> SpinChoice | str:
    """Spin speed for ``thickness_um`` (interpolated on the spin curve), or why there is none.

    Among the grades (and, for thick films, 2..max_coats equal coats) that reach the
    thickness, the one spun nearest the resist's ``preferred_rpm`` (in log ratio) wins.
    """
    process = resist.process
    assert process is not None
    options: list[SpinChoice] = []
    for coats in range(1, process.max_coats + 1):
        per_coat = thickness_um / coats
        for curve in process.spin:
            rpm = curve.rpm_for(per_coat)
            if rpm is not None:
                options.append(SpinChoice(curve, rpm, coats, per_coat))
        if options:
            break
    if options:
        return min(options, key=lambda o: abs(math.log(o.rpm / process.preferred_rpm)))
    ranges = ", ".join(
        f"{c.grade + ' ' if c.grade else ''}{c.thickness_range()[0]:.2f}-"
        f"{c.thickness_range()[1]:.2f} um ({c.speed_range()[0]:.0f}-{c.speed_range()[1]:.0f} rpm)"
        for c in process.spin
    )
    more = f" per coat, up to {process.max_coats} coats" if process.max_coats > 1 else ""
    return f"{thickness_um:g} um of {resist.display} is outside its spin curve: {ranges}{more}"


def litho_steps(
    loaded: LoadedRecipe,
    resist: Resist,
    thickness: float,
    spin: SpinChoice,
    wavelength_nm: float,
    library: ProcessLibrary,
) -> list[Step]:
    """Spin coat, soft bake, exposure, post-exposure / image reversal, development."""
    process = resist.process
    assert process is not None
    tool = loaded.recipe.tool
    grade = f" ({spin.curve.grade})" if spin.curve.grade else ""
    spin_params: dict[str, ParamValue] = {
        "resist": resist.display + grade,
        "thickness_um": round(thickness, 4),
        "speed_rpm": round(spin.rpm),
        "time_s": SPIN_TIME_S,
    }
    spin_notes: list[str] = []
    if spin.coats > 1:
        spin_params["coats"] = spin.coats
        spin_params["coat_thickness_um"] = round(spin.coat_thickness_um, 4)
        spin_notes.append(f"{spin.coats} coats; soft bake after each coat")
    steps = [
        Step(
            "spin-coat",
            f"Spin coat {resist.display}{grade}",
            spin_params,
            spin.curve.source,
            (*spin_notes, f"spin time {SPIN_TIME_S} s is typical, not from a datasheet"),
        ),
    ]
    bake = process.soft_bake
    steps.append(
        Step(
            "soft-bake",
            "Soft bake on a hotplate",
            {
                "temperature_c": bake.temperature_c,
                "time_s": round(bake.duration_s(spin.coat_thickness_um)),
            },
            bake.source,
            tuple(process.notes),
        )
    )
    exposure = process.exposure
    dose = exposure.dose_mj_cm2(thickness)
    notes = []
    if abs(wavelength_nm - exposure.wavelength_nm) > 1.0:
        # Equal absorbed photon count: photons per mJ grow with the wavelength (E = hc/lambda).
        dose *= exposure.wavelength_nm / wavelength_nm
        notes.append(
            f"dose table measured at {exposure.wavelength_nm:.0f} nm, scaled to "
            f"{wavelength_nm:.0f} nm by photon count (derived): calibrate with a dose matrix"
        )
    notes.append("exposure time = dose / lamp intensity (measure the intensity first)")
    mode = {"contact": "vacuum/hard contact", "proximity": f"proximity gap {tool.gap:g} um"}.get(
        tool.kind, tool.kind
    )
    steps.append(
        Step(
            "exposure",
            f"Expose on {tool.name}",
            {"mode": mode, "wavelength_nm": round(wavelength_nm), "dose_mj_cm2": round(dose, 1)},
            exposure.source,
            tuple(notes),
        )
    )
    post = process.post_exposure
    if post is not None and post.kind == "peb":
        steps.append(
            Step(
                "post-exposure-bake",
                "Post-exposure bake on a hotplate",
                {"temperature_c": post.temperature_c, "time_s": round(post.duration_s(thickness))},
                post.source,
            )
        )
    elif post is not None:
        steps.append(
            Step(
                "image-reversal-bake",
                "Image-reversal bake on a hotplate",
                {"temperature_c": post.temperature_c, "time_s": round(post.duration_s(thickness))},
                post.source,
            )
        )
        steps.append(
            Step(
                "flood-exposure",
                "Flood exposure, no mask",
                {"dose_mj_cm2": post.flood_mj_cm2 or 0.0},
                post.source,
            )
        )
    develop = process.develop
    developer = library.developers[develop.developer]
    steps.append(
        Step(
            "develop",
            f"Develop in {developer.display}",
            {"time_s": round(develop.duration_s(thickness)), **developer.params},
            f"{develop.source}; developer: {developer.source}",
            ("inspect the pattern under the microscope before continuing",),
        )
    )
    return steps
