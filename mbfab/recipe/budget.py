"""What a recipe asks of the machine, estimated from its numbers before anything is drawn.

A recipe of a few lines can ask for 10^8 trenches, 10^10 wafer dies or rule checks that
compare every pillar with thousands of neighbours. :func:`budget_problems` estimates the
shapes (placed polygons, every array instance counted), the dies, and the shape pairs the
clearance rules compare, and refuses a recipe beyond the limits of its ``output`` section
(``max_shapes``, ``max_dies``, ``max_pairs``; a user raises them there) with the estimate
and the setting that drives it. The estimates are upper bounds within a small factor:
whole-feature and clearance rules only remove features.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from mbfab.files import format_bytes
from mbfab.recipe.catalog import load_data_file
from mbfab.recipe.design_params import (
    DesignParams,
    HolesParams,
    InterdigitalParams,
    LatticeSpec,
    PillarsParams,
    Problem,
    RegionSpec,
    TrenchesParams,
)
from mbfab.recipe.layout_spec import WaferSpec

__all__ = ["Demand", "budget_problems", "design_demand", "die_count", "variant_count"]

KeyPath = tuple[str | int, ...]
#: Shapes of a device besides its features: buses, pads, windows, seal, marks, labels.
_FIXED_SHAPES = 200
#: The wafer code rounds a die up to whole 0.5 mm, so no die is smaller than this (um).
_SMALLEST_DIE_UM = 500.0


@dataclass(frozen=True)
class Demand:
    """Shapes one device asks for, what they are, and the setting that drives their count."""

    shapes: float
    what: str
    key_path: KeyPath
    #: Features of the largest array, its lattice cell area (um2) and feature size (um),
    #: for the clearance-pair estimate (0 when the design has no array).
    array_features: float = 0.0
    cell_area_um2: float = 0.0
    feature_um: float = 0.0


@cache
def _costs() -> dict[str, float]:
    table = load_data_file("limits.yaml")["costs"]
    return {name: float(entry["value"]) for name, entry in table.items()}


def _region_area(region: RegionSpec) -> float:
    w, h = region.size
    if region.shape == "circle":
        return math.pi * w * w / 4
    if region.shape == "polygon" and len(region.points) >= 3:
        xs = [x for x, _ in region.points]
        ys = [y for _, y in region.points]
        twice = sum(
            xs[i] * ys[i - 1] - xs[i - 1] * ys[i] for i in range(len(xs))
        )  # shoelace; a self-crossing outline only makes this smaller
        return abs(twice) / 2
    return w * h


def _region_extent(region: RegionSpec, across_x: bool) -> float:
    if region.shape == "polygon" and region.points:
        values = [p[0] if across_x else p[1] for p in region.points]
        return max(values) - min(values)
    return region.size[0] if across_x else region.size[1]


def _cell_area(spec: LatticeSpec) -> float:
    return spec.pitch**2 * (math.sqrt(3) / 2 if spec.lattice == "hex" else 1.0)


def design_demand(design: DesignParams) -> Demand:
    """The shapes one device of ``design`` asks for (an upper bound within a small factor)."""
    if isinstance(design, PillarsParams | HolesParams):
        features = _region_area(design.region) / _cell_area(design)
        what = "pillars" if isinstance(design, PillarsParams) else "holes"
        return Demand(
            features + _FIXED_SHAPES,
            what,
            ("design", "pitch"),
            features,
            _cell_area(design),
            design.size,
        )
    if isinstance(design, TrenchesParams):
        across = _region_extent(design.region, across_x=design.direction == "y")
        lines = across / design.pitch + 1
        return Demand(lines + _FIXED_SHAPES, "trenches", ("design", "pitch"))
    if isinstance(design, InterdigitalParams):
        fingers = 4.0 * design.fingers  # a collector and an electrode finger per comb
        posts = design.posts
        if posts is None:
            return Demand(fingers + _FIXED_SHAPES, "finger polygons", ("design", "fingers"))
        combs = 2 if posts.electrodes == "both" else 1
        per_finger = design.finger_length * design.finger_width / _cell_area(posts)
        count = combs * design.fingers * per_finger
        return Demand(
            fingers + count + _FIXED_SHAPES,
            "posts",
            ("design", "posts", "pitch"),
            count,
            _cell_area(posts),
            posts.size,
        )
    return Demand(float(_FIXED_SHAPES), "shapes", ("design",))


def variant_count(wafer: WaferSpec | None) -> int:
    """Design variants a wafer sweep builds (the product of its value lists; 1 without)."""
    if wafer is None:
        return 1
    return math.prod(len(sweep.values) for sweep in wafer.sweep)


def die_count(wafer: WaferSpec) -> float:
    """Dies on the usable wafer at most (the smallest die the wafer code makes when the
    recipe gives none)."""
    if wafer.die is not None:
        w, h = wafer.die
    else:
        w = h = _SMALLEST_DIE_UM
    usable = max(0.0, wafer.diameter / 2 - wafer.edge_exclusion)
    return math.pi * usable**2 / ((w + wafer.street) * (h + wafer.street))


def _pairs(demand: Demand, reach_um: float) -> float:
    """Feature pairs within ``reach_um`` of each other: what a clearance rule compares."""
    if demand.array_features <= 0:
        return 0.0
    around = math.pi * (reach_um + demand.feature_um) ** 2 / demand.cell_area_um2
    return demand.array_features * min(demand.array_features, max(1.0, around))


def _number(value: float) -> str:
    return f"{value:.2g}".replace("e+0", "e").replace("e+", "e")


def _duration(seconds: float) -> str:
    if seconds < 100:
        return f"{seconds:.2g} s"
    if seconds < 6000:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.2g} h"


def budget_problems(
    design: DesignParams,
    wafer: WaferSpec | None,
    reach: tuple[float, KeyPath],
    max_shapes: int,
    max_dies: int,
    max_pairs: int,
) -> list[Problem]:
    """Refusals of a recipe whose estimated size exceeds its limits, with the estimates.

    ``reach`` is the largest distance a clearance rule (separation, enclosure) measures and
    the setting it comes from. Paths are relative to the recipe.
    """
    reach_um, reach_path = reach
    found: list[Problem] = []
    demand = design_demand(design)
    variants = variant_count(wafer)
    shapes = demand.shapes * variants
    if shapes > max_shapes:
        costs = _costs()
        memory = format_bytes(shapes * costs["bytes_per_shape"])
        time = _duration(shapes * costs["seconds_per_shape"])
        per = f" in {variants} variants" if variants > 1 else ""
        found.append(
            (
                demand.key_path,
                f"the design asks for about {_number(demand.shapes)} {demand.what}{per} "
                f"(about {memory} of memory and {time}), more than output.max_shapes "
                f"= {_number(max_shapes)}; raise that limit or ask for fewer shapes",
            )
        )
    if wafer is not None:
        dies = die_count(wafer)
        if dies > max_dies or variants > max_dies:
            many = max(dies, variants)
            what = "dies on the wafer" if dies >= variants else "sweep variants"
            found.append(
                (
                    ("wafer", "die" if wafer.die is not None and dies >= variants else "sweep"),
                    f"about {_number(many)} {what}, more than output.max_dies = "
                    f"{_number(max_dies)}; raise that limit or use larger dies",
                )
            )
    pairs = _pairs(demand, reach_um)
    if pairs > max_pairs:
        found.append(
            (
                reach_path,
                f"the clearance rules would compare about {_number(pairs)} pairs of "
                f"{demand.what} within {reach_um:g} um of each other, more than "
                f"output.max_pairs = {_number(max_pairs)}; is the value in the right unit? "
                "If it is, raise that limit",
            )
        )
    return found
