"""Swiss-roll geometry model: what one turn of each roll is made of, the roll diameter and
windings, and the footprint of the rolled cell.

One turn of a roll is the stack the design declares as rolled (``Device.info["rolled_stack"]``:
for a single roll swelling + stiff + collector + electrode stripes + separator; for each roll
of a twin cell swelling + stiff + collector + its own electrode, the electrolyte between the
rolls lying flat). Diameter, in order of precedence:

1. ``estimate.roll.measured_diameter``: the measured OUTER diameter of the tube; turns and
   first-turn diameter follow from the strip length (:func:`winding_from_outer`);
2. the mechanics: ``moduli_gpa`` and ``strains`` (or ``mismatch_strain``) of the bending
   layers give the curvature (Timoshenko bilayer, multilayer beam for more layers); the
   natural diameter ``2/|kappa|`` is the first turn unless ``inner_diameter`` is stated;
3. ``inner_diameter`` alone: a stated first-turn diameter.
"""

from __future__ import annotations

from typing import Any

from mbfab.designs import Device
from mbfab.designs.swissroll import ROLLED_SINGLE
from mbfab.estimate.geometry import Geometry
from mbfab.estimate.measured import ELECTRODE_ROLES, Measured
from mbfab.estimate.roll import Winding, multilayer_curvature_per_um, winding, winding_from_outer
from mbfab.recipe import Recipe
from mbfab.recipe.estimate_spec import RollSpec

__all__ = ["roll_turns", "swiss_roll"]


def _r(value: float) -> float:
    return float(f"{value:.6g}")


def _words(value: str | list[str] | None, default: list[str]) -> list[str]:
    if value is None:
        return default
    return [value] if isinstance(value, str) else list(value)


def roll_turns(recipe: Recipe, device: Device) -> list[tuple[str, float]]:
    """(electrodes on the roll, thickness of one turn in um) for each roll of the device.

    Layers sharing a rolled role add up; the electrode stripes of one roll lie side by side,
    so the thickest of them counts.
    """
    rolled = _words(device.info.get("rolled_stack"), ROLLED_SINGLE)
    rolls = _words(device.info.get("roll_electrodes"), [" ".join(ELECTRODE_ROLES)])
    out = []
    for electrodes in rolls:
        roles = electrodes.split()
        turn = 0.0
        for role in rolled:
            if role == "electrode":
                turn += max((s.thickness for s in recipe.layers if s.role in roles), default=0.0)
            else:
                turn += sum(s.thickness for s in recipe.layers if s.role == role)
        out.append((electrodes, turn))
    return out


def _mechanics(recipe: Recipe, spec: RollSpec, roll: dict[str, Any]) -> tuple[float | None, str]:
    """Natural diameter from the bending layers' moduli and free strains (None: not given)."""
    bending = [s for s in recipe.layers if s.name in spec.moduli_gpa]
    if len(bending) < 2:
        return None, ""
    strains = [spec.strains.get(s.name, 0.0) for s in bending]
    if not spec.strains and spec.mismatch_strain is not None:
        strains[-1] = spec.mismatch_strain
    kappa = multilayer_curvature_per_um(
        [s.thickness for s in bending], [spec.moduli_gpa[s.name] for s in bending], strains
    )
    if kappa == 0:
        return None, ""
    roll["curvature_per_um"] = _r(kappa)
    roll["rolls_toward"] = "top face" if kappa < 0 else "substrate"
    roll["natural_diameter_um"] = _r(2.0 / abs(kappa))
    model = "Timoshenko bilayer" if len(bending) == 2 else "multilayer beam"
    names = ", ".join(s.name for s in bending)
    return 2.0 / abs(kappa), f"{model} ({names}): kappa = {kappa:.4g} /um"


def swiss_roll(recipe: Recipe, device: Device, measured: Measured) -> Geometry:
    """Capacity of the flat electrode stripes; footprint and height of the rolled tubes."""
    cf = device.closed_form
    spec = recipe.estimate.roll or RollSpec()
    volumes = {
        s.name: (measured.area_um2[s.name] * s.thickness, "film", measured.area_um2[s.name])
        for s in recipe.layers
        if s.role in ELECTRODE_ROLES
    }
    turns = roll_turns(recipe, device)
    length, width = cf["rolled_length_um"], cf["roll_width_um"]
    roll: dict[str, Any] = {
        "turn_thickness_um": _r(max(t for _, t in turns)),
        "rolled_length_um": _r(length),
        "roll_width_um": _r(width),
        "roll_count": len(turns),
    }
    notes: list[str] = []
    tubes: list[Winding | None] = []
    if spec.measured_diameter is not None:
        outer = spec.measured_diameter
        source = "measured outer diameter (recipe)"
        for electrodes, turn in turns:
            tube = winding_from_outer(length, width, outer, turn)
            if tube is None:
                least = turn + (4.0 * turn * length / 3.141592653589793) ** 0.5
                notes.append(
                    f"roll ({electrodes}): a {outer:g} um tube cannot hold {length:g} um of "
                    f"{turn:g} um turns (needs at least {least:.4g} um); footprint from the "
                    "stated diameter, turns unknown"
                )
            tubes.append(tube)
    else:
        natural, source = _mechanics(recipe, spec, roll)
        first = spec.inner_diameter or natural
        if first is None:
            notes.append(
                "no roll diameter: set estimate.roll.measured_diameter (outer), the bending "
                "layers' moduli_gpa and strains, or inner_diameter"
            )
            return Geometry(
                "Swiss roll (unrolled)", volumes, roll["turn_thickness_um"], roll=roll, notes=notes
            )
        if spec.inner_diameter is not None:
            source = "first turn from the recipe" + (f"; natural {source}" if source else "")
        tubes = [winding(length, width, first, turn) for _, turn in turns]
        outer = 0.0
    rolls: list[dict[str, Any]] = []
    diameters: list[float] = []
    footprint = cf.get("anchor_length_um", 0.0) * width * len(turns)
    footprint += cf.get("roll_gap_um", 0.0) * width
    for (electrodes, turn), tube in zip(turns, tubes, strict=True):
        diameter = tube.outer_diameter_um if tube is not None else outer
        footprint += diameter * width
        diameters.append(diameter)
        rolls.append(
            {
                "electrodes": electrodes,
                "turn_thickness_um": _r(turn),
                "inner_diameter_um": _r(tube.inner_diameter_um) if tube else None,
                "turns": _r(tube.turns) if tube else None,
                "outer_diameter_um": _r(diameter),
            }
        )
    widest = rolls[diameters.index(max(diameters))]
    roll.update(
        diameter_source=source,
        turns=widest["turns"],
        outer_diameter_um=widest["outer_diameter_um"],
        rolled_footprint_um2=_r(footprint),
        rolls=rolls,
    )
    return Geometry(
        "Swiss roll",
        volumes,
        max(diameters),
        footprints_um2={"rolled": footprint},
        roll=roll,
        notes=notes,
        preferred_basis="rolled",
    )
