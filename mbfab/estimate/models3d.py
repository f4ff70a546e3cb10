"""Geometry models of the 3D kinds (pillars, holes, trenches) and of Swiss rolls.

They read the generator's ``closed_form`` (parameters: size, pitch, depth, lattice, rolled
length, roll width) and measure the drawn polygons (outline length of the etched features,
electrode window areas), then report the measured area gain next to the closed form.
"""

from __future__ import annotations

from typing import Any

from mbfab.designs import Device
from mbfab.estimate.aef import (
    aef_from_walls,
    aef_lattice,
    aef_trenches,
    closure_holes,
    closure_posts,
    closure_trenches,
    gain_through_holes,
)
from mbfab.estimate.geometry import Geometry
from mbfab.estimate.measured import ELECTRODE_ROLES, Measured
from mbfab.estimate.roll import multilayer_curvature_per_um, winding
from mbfab.recipe import LayerSpec, Recipe

__all__ = ["lattice_3d", "swiss_roll"]

#: Films deposited over the 3D surface, whose sum may close holes or merge pillars.
CONFORMAL_ROLES = (
    "collector",
    "cathode-collector",
    "anode-collector",
    *ELECTRODE_ROLES,
    "electrolyte",
    "separator",
)
_ROLL_SKIP = ("sacrificial", "etch-mask", "mold", "seal", "passivation", "other")


def _r(value: float) -> float:
    return float(f"{value:.6g}")


def _fill(spec: LayerSpec) -> str:
    chosen = spec.electrode.fill if spec.electrode else "auto"
    return "conformal" if chosen == "auto" else chosen


def lattice_3d(recipe: Recipe, device: Device, measured: Measured) -> Geometry:
    """Pillars, blind or through holes, trenches etched ``depth`` into the substrate.

    Measured gain: ``1 + P h / A_region`` with ``P`` the drawn outline of the etch-mask layer.
    Electrodes: ``conformal`` film = window area x gain x thickness; ``filled`` = the etched
    volume (holes, trenches) or the space between pillars; ``film`` = planar.
    """
    cf, info = device.closed_form, getattr(device, "info", {})
    trench = "trench_depth_um" in cf
    prefix = "trench" if trench else "feature"
    depth, pitch, size = cf[f"{prefix}_depth_um"], cf[f"{prefix}_pitch_um"], cf[f"{prefix}_size_um"]
    region = cf["region_area_um2"]
    mask = [s for s in recipe.layers if s.role == "etch-mask"]
    perimeter = sum(measured.perimeter_um[s.name] for s in mask)
    through = cf.get("through", 0.0) > 0
    lattice = "hex" if cf.get("feature_lattice_hex", 0.0) > 0 else "square"
    if trench:
        closed = aef_trenches(depth, pitch)
        formula = "1 + 2h/p"
    elif through:
        closed = gain_through_holes(size, depth, pitch, lattice)  # type: ignore[arg-type]
        formula = "2 - pi d^2/(2 A_cell) + pi d h / A_cell (both faces)"
    else:
        closed = aef_lattice(size, depth, pitch, lattice)  # type: ignore[arg-type]
        formula = f"1 + pi d h / A_cell ({lattice} lattice, round features)"
    measured_gain = aef_from_walls(perimeter, depth, region)
    if through:  # both faces: 2 x (region - openings) + walls, over one face
        openings = cf.get("features_area_um2", 0.0)
        measured_gain = (2 * (region - openings) + perimeter * depth) / region
    film = sum(s.thickness for s in recipe.layers if s.role in CONFORMAL_ROLES)
    feature = str(info.get("feature", "trench" if trench else "hole"))
    if trench:
        closure = closure_trenches(size, film)
    elif feature == "pillar":
        closure = closure_posts(size, pitch, film)
    else:
        closure = closure_holes(size, film)
    volumes: dict[str, tuple[float, str, float]] = {}
    etched = cf.get("features_area_um2", cf.get("trench_area_um2", 0.0)) * depth
    for spec in recipe.layers:
        if spec.role not in ELECTRODE_ROLES:
            continue
        window = measured.area_um2[spec.name]
        fill = _fill(spec)
        if fill == "conformal":
            surface = window * measured_gain
            volumes[spec.name] = (surface * spec.thickness, fill, surface)
        elif fill == "filled":
            space = (region * depth - etched) if feature == "pillar" else etched
            volumes[spec.name] = (space * min(1.0, window / region), fill, window)
        else:
            volumes[spec.name] = (window * spec.thickness, fill, window)
    notes = []
    if closure.closes:
        notes.append(
            f"conformal stack of {film:g} um closes the {closure.feature}s "
            f"({closure.opening_um:g} um opening): the 3D surface is lost"
        )
    gain = {
        "feature": feature,
        "lattice": "lines" if trench else lattice,
        "depth_um": _r(depth),
        "pitch_um": _r(pitch),
        "size_um": _r(size),
        "closed_form": _r(closed),
        "closed_form_formula": formula,
        "closed_form_drawn_outline": (
            _r(1 + cf["feature_perimeter_um"] * depth / cf["feature_cell_area_um2"])
            if "feature_perimeter_um" in cf and not through
            else None
        ),
        "measured": _r(measured_gain),
        "measured_perimeter_um": _r(perimeter),
        "region_area_um2": _r(region),
        "conformal_stack_um": _r(film),
        "opening_left_um": _r(closure.remaining_um),
        "closes": closure.closes,
    }
    height = depth + film
    return Geometry(
        "3D conformal" if not trench else "3D trenches",
        volumes,
        height,
        area_gain=gain,
        notes=notes,
    )


def swiss_roll(recipe: Recipe, device: Device, measured: Measured) -> Geometry:
    """A strained strip rolled into a tube: capacity of the flat electrodes, footprint of the
    rolls. Diameter: measured (recipe) or ``2/|kappa|`` from the layer moduli and strains."""
    cf = device.closed_form
    spec = recipe.estimate.roll
    volumes = {
        s.name: (measured.area_um2[s.name] * s.thickness, "film", measured.area_um2[s.name])
        for s in recipe.layers
        if s.role in ELECTRODE_ROLES
    }
    rolled = [s for s in recipe.layers if s.role not in _ROLL_SKIP]
    electrodes = [s.thickness for s in rolled if s.role in ELECTRODE_ROLES]
    turn = sum(s.thickness for s in rolled if s.role not in ELECTRODE_ROLES) + max(
        electrodes, default=0.0
    )
    notes: list[str] = []
    roll: dict[str, Any] = {"turn_thickness_um": _r(turn)}
    diameter = None
    if spec is not None and spec.measured_diameter is not None:
        diameter, source = spec.measured_diameter, "measured (recipe)"
    elif spec is not None and spec.moduli_gpa:
        bending = [s for s in recipe.layers if s.name in spec.moduli_gpa]
        strains = [spec.strains.get(s.name, 0.0) for s in bending]
        if not spec.strains and spec.mismatch_strain is not None:
            strains[-1] = spec.mismatch_strain
        kappa = multilayer_curvature_per_um(
            [s.thickness for s in bending], [spec.moduli_gpa[s.name] for s in bending], strains
        )
        if kappa != 0:
            diameter = 2.0 / abs(kappa)
            source = (
                f"{'Timoshenko bilayer' if len(bending) == 2 else 'multilayer beam'} "
                f"({', '.join(s.name for s in bending)}): kappa = {kappa:.4g} /um"
            )
            roll["curvature_per_um"] = _r(kappa)
            roll["rolls_toward"] = "top face" if kappa < 0 else "substrate"
    if diameter is None:
        notes.append("no roll diameter: set estimate.roll.measured_diameter or moduli and strains")
        return Geometry("Swiss roll (unrolled)", volumes, turn, roll=roll, notes=notes)
    inner = spec.inner_diameter if spec is not None and spec.inner_diameter else diameter
    rolls = max(1, int(cf.get("roll_count", 1)))
    tube = winding(cf["rolled_length_um"], cf["roll_width_um"], inner, turn)
    anchors = rolls * cf.get("anchor_length_um", 0.0) * cf["roll_width_um"]
    footprint = (
        rolls * tube.footprint_um2 + anchors + cf.get("roll_gap_um", 0.0) * cf["roll_width_um"]
    )
    roll.update(
        diameter_source=source,
        natural_diameter_um=_r(diameter),
        inner_diameter_um=_r(inner),
        turns=_r(tube.turns),
        outer_diameter_um=_r(tube.outer_diameter_um),
        rolled_length_um=_r(cf["rolled_length_um"]),
        roll_width_um=_r(cf["roll_width_um"]),
        roll_count=rolls,
        rolled_footprint_um2=_r(footprint),
    )
    return Geometry(
        "Swiss roll",
        volumes,
        tube.outer_diameter_um,
        footprints_um2={"rolled": footprint},
        roll=roll,
        notes=notes,
        preferred_basis="rolled",
    )
