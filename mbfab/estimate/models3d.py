"""Geometry models of the 3D kinds: pillars, holes (blind or through), trenches, and posts on
the fingers of an interdigital cell.

They read the generator's ``closed_form`` (size, pitch, depth, lattice, counts) and measure
the drawn polygons (outline length of the etched features through the hierarchy, electrode
window areas), then report the measured area gain next to the closed form.
"""

from __future__ import annotations

import math

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
from mbfab.estimate.measured import ELECTRODE_ROLES, Measured, electrode_role
from mbfab.layout import perimeter_inside_um
from mbfab.recipe import LayerSpec, Recipe

__all__ = ["CONFORMAL_ROLES", "in_plane_posts", "lattice_3d"]

#: Films deposited over the 3D surface, whose sum may close holes or merge pillars.
CONFORMAL_ROLES = (
    "collector",
    "cathode-collector",
    "anode-collector",
    *ELECTRODE_ROLES,
    "electrolyte",
    "separator",
)


def _r(value: float) -> float:
    return float(f"{value:.6g}")


def _fill(spec: LayerSpec) -> str:
    """The layer's fill; ``auto``: a conformal film, or the scaffold for the etch-mask layer."""
    chosen = spec.electrode.fill if spec.electrode else "auto"
    if chosen == "auto":
        return "scaffold" if spec.role == "etch-mask" else "conformal"
    return chosen


def _films_below(recipe: Recipe, spec: LayerSpec) -> float:
    """Conformal films deposited before ``spec`` (recipe order): they line the features."""
    below = 0.0
    for other in recipe.layers:
        if other is spec:
            return below
        if other.role in CONFORMAL_ROLES:
            below += other.thickness
    return below


def _grown_area(area: float, perimeter: float, t: float) -> float:
    """Area of a convex outline offset by ``t`` (Steiner: ``A + P t + pi t^2``; t < 0 shrinks,
    exact for circles)."""
    return max(0.0, area + perimeter * t + math.pi * t * t)


def _filled_volume(
    cf: dict[str, float], feature: str, depth: float, region: float, lined_um: float
) -> tuple[float, float]:
    """(space left open once ``lined_um`` of film coats the walls, volume of the scaffold).

    Pillars: the space between the coated pillars, the scaffold is the pillars. Holes and
    trenches: the coated features, the scaffold is the wall material between them.
    """
    if feature == "trench":
        etched = cf["trench_area_um2"]
        lined = max(0.0, cf["trench_size_um"] - 2 * lined_um) * cf["trench_length_um"]
        return lined * depth, (region - etched) * depth
    count, a, p = cf["feature_count"], cf["feature_area_um2"], cf["feature_perimeter_um"]
    etched = cf.get("features_area_um2", count * a)
    if feature == "pillar":
        return (region - count * _grown_area(a, p, lined_um)) * depth, etched * depth
    return count * _grown_area(a, p, -lined_um) * depth, (region - etched) * depth


def lattice_3d(recipe: Recipe, device: Device, measured: Measured) -> Geometry:
    """Pillars, blind or through holes, trenches etched ``depth`` into the substrate.

    Measured gain: ``1 + P h / A_region`` with ``P`` the drawn outline of the etch-mask layer
    (through holes, both faces: ``(2 (A_region - openings) + P h) / A_region``). Electrodes:
    ``conformal`` film on the window plus the walls (``window + P h``, through holes
    ``2 (window - openings) + P h``) x thickness; ``filled`` = the open volume left once the
    films deposited before it line the walls; ``scaffold`` = the etched structure itself
    (e.g. Si posts as the anode); ``film`` = planar window x thickness.
    """
    cf, info = device.closed_form, device.info
    trench = "trench_depth_um" in cf
    prefix = "trench" if trench else "feature"
    depth, pitch, size = cf[f"{prefix}_depth_um"], cf[f"{prefix}_pitch_um"], cf[f"{prefix}_size_um"]
    region = cf["region_area_um2"]
    mask = [s for s in recipe.layers if s.role == "etch-mask"]
    perimeter = sum(measured.perimeter_um[s.name] for s in mask)
    walls = perimeter * depth
    through = cf.get("through", 0.0) > 0
    openings = cf.get("features_area_um2", 0.0) if through else 0.0
    lattice = "hex" if cf.get("feature_lattice_hex", 0.0) > 0 else "square"
    if trench:
        closed = aef_trenches(depth, pitch)
        formula = "1 + 2h/p"
    elif through:
        closed = gain_through_holes(size, depth, pitch, lattice)  # type: ignore[arg-type]
        formula = "2 - pi d^2/(2 A_cell) + pi d h / A_cell (both faces)"
    elif info.get("shape", "circle") == "circle":
        closed = aef_lattice(size, depth, pitch, lattice)  # type: ignore[arg-type]
        formula = f"1 + pi d h / A_cell ({lattice} lattice, round features)"
    else:  # squares, hexagons: the outline of one feature instead of pi d
        closed = 1 + cf["feature_perimeter_um"] * depth / cf["feature_cell_area_um2"]
        formula = f"1 + P_feature h / A_cell ({lattice} lattice, {info.get('shape')} features)"
    measured_gain = aef_from_walls(perimeter, depth, region)
    if through:  # both faces: 2 x (region - openings) + walls, over one face
        measured_gain = (2 * (region - openings) + walls) / region
    # films that line the walls (an electrode that fills the space or is the scaffold does not)
    film = sum(
        s.thickness
        for s in recipe.layers
        if s.role in CONFORMAL_ROLES and (electrode_role(s) is None or _fill(s) == "conformal")
    )
    feature = str(info.get("feature", "trench" if trench else "hole"))
    if trench:
        closure = closure_trenches(size, film)
    elif feature == "pillar":
        closure = closure_posts(size, pitch, film)
    else:
        closure = closure_holes(size, film)
    volumes: dict[str, tuple[float, str, float]] = {}
    for spec in recipe.layers:
        if electrode_role(spec) is None:
            continue
        window = measured.area_um2[spec.name]
        # a window electrode covers its share of the region; the etched scaffold all of it
        share = 1.0 if spec.role == "etch-mask" else min(1.0, window / region)
        fill = _fill(spec)
        if fill == "conformal":
            flat = 2 * (window - openings) if through else window
            surface = flat + walls * share
            volumes[spec.name] = (surface * spec.thickness, fill, surface)
        elif fill in ("filled", "scaffold"):
            space, scaffold = _filled_volume(cf, feature, depth, region, _films_below(recipe, spec))
            volume = space if fill == "filled" else scaffold
            volumes[spec.name] = (volume * share, fill, window)
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
        "through": through,
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
        footprints_um2={"region": region},
        area_gain=gain,
        notes=notes,
    )


def in_plane_posts(recipe: Recipe, device: Device, measured: Measured) -> Geometry:
    """Interdigital cell with post arrays on its fingers (3D in-plane, carbon-MEMS style).

    Each electrode film coats its window and the walls of the posts standing on it: surface
    = window + P_on h, with P_on the drawn outline of the posts placed on that electrode's
    polygons (measured through the arrays). Gain = 1 + P h / electrode area.
    """
    cf = device.closed_form
    posts = device.layers.get(str(device.info.get("posts_role", "")))
    spec_of = {(s.gds[0], s.gds[1]): s for s in recipe.layers}
    post_spec = spec_of.get((posts.layer, posts.datatype)) if posts is not None else None
    height = cf["post_depth_um"]
    volumes: dict[str, tuple[float, str, float]] = {}
    total_perimeter = measured.perimeter_um[post_spec.name] if post_spec else 0.0
    electrode_area, walls_on = 0.0, 0.0
    for spec in recipe.layers:
        if spec.role not in ELECTRODE_ROLES:
            continue
        window = measured.area_um2[spec.name]
        gds = (spec.gds[0], spec.gds[1])
        on = 0.0
        if post_spec is not None:
            fingers = device.cell.get_polygons(layer=gds[0], datatype=gds[1])
            on = perimeter_inside_um(device.cell, (post_spec.gds[0], post_spec.gds[1]), fingers)
        fill = _fill(spec)
        surface = window + on * height if fill == "conformal" else window
        volumes[spec.name] = (surface * spec.thickness, fill, surface)
        electrode_area += window
        walls_on += on
    count = cf.get("post_count", 0.0)
    per_post = cf.get("post_perimeter_um", 0.0)
    gain = {
        "feature": "post",
        "lattice": str(device.info.get("lattice", "")),
        "through": False,
        "depth_um": _r(height),
        "pitch_um": _r(cf["post_pitch_um"]),
        "size_um": _r(cf["post_size_um"]),
        # posts on the electrodes: their drawn outline from the parameters x height
        "closed_form": _r(1 + count * per_post * height / electrode_area),
        "closed_form_formula": "1 + N P_post h / electrode area",
        "closed_form_drawn_outline": None,
        "measured": _r(1 + walls_on * height / electrode_area),
        "measured_perimeter_um": _r(total_perimeter),
        "region_area_um2": _r(electrode_area),
        "conformal_stack_um": None,
        "opening_left_um": None,
        "closes": False,
    }
    collector = max((s.thickness for s in recipe.layers if "collector" in s.role), default=0.0)
    return Geometry("3D in-plane posts", volumes, collector + height, area_gain=gain)
