"""3D arrays etched into the substrate: pillars, holes (blind or through) and trenches.

The features are drawn on the ``etch-mask`` layer, centred on the origin, kept as one unit
cell plus arrayed references (see :mod:`mbfab.layout.arrays` for the whole-feature rule at
the region edge). Pillars keep the mask on the drawn features, holes and trenches open them;
the plate tone follows from the layer's process (``etch`` for pillars, ``substrate-etch`` for
holes and trenches). Optional layers with the roles ``collector``, ``anode``, ``electrolyte``
and ``cathode`` receive a window over the region for the conformal films deposited on the
3D scaffold: the collector and electrolyte ``window_margin`` beyond it, the electrodes
``electrode_inset`` less, so that each electrode lies inside its collector and inside the
electrolyte that keeps it from the other electrode (the films are stacked, not side by side)::

    +--------------------------------+  collector / electrolyte: region + window_margin
    |  +--------------------------+  |  anode / cathode: region + window_margin
    |  |   o o o o o o o o o o o  |  |                         - electrode_inset
    |  |   o o o  region  o o o   |  |
"""

from __future__ import annotations

import math

import gdstk
import numpy as np
import shapely
from numpy.typing import NDArray

from mbfab.designs.base import Device, RoleLayers
from mbfab.errors import SettingError
from mbfab.layout import Layer, bounding_box, cell_name, offset, polygon
from mbfab.layout.arrays import (
    Region,
    circle_region,
    feature_array,
    feature_outline,
    line_array,
    polygon_region,
    rectangle_region,
    region_area,
)
from mbfab.recipe.design_params import (
    HolesParams,
    LatticeSpec,
    PillarsParams,
    RegionSpec,
    TrenchesParams,
)

__all__ = ["build_holes", "build_pillars", "build_trenches", "lattice_facts", "region_of"]

#: Roles that get a window over the array, bottom-up as the films are deposited.
WINDOW_ROLES = ("collector", "anode", "electrolyte", "cathode")


def region_of(spec: RegionSpec) -> Region:
    """The layout region a recipe describes, centred on the origin."""
    w, h = spec.size
    if spec.shape == "circle":
        return circle_region((0.0, 0.0), w / 2)
    if spec.shape == "polygon":
        return polygon_region(spec.points)
    return rectangle_region(-w / 2, -h / 2, w / 2, h / 2)


def feature_of(spec: LatticeSpec) -> NDArray[np.float64]:
    """Outline of one feature of the lattice, as points centred on the origin."""
    return feature_outline(
        spec.shape, spec.size, vertices=spec.vertices, tolerance=spec.arc_tolerance
    )


def lattice_facts(spec: LatticeSpec, count: int, prefix: str) -> dict[str, float]:
    """Closed-form numbers of a lattice for the estimates (drawn outline, not the ideal)."""
    outline = shapely.Polygon(feature_of(spec))
    return {
        f"{prefix}_count": float(count),
        f"{prefix}_size_um": spec.size,
        f"{prefix}_pitch_um": spec.pitch,
        f"{prefix}_depth_um": spec.depth,
        f"{prefix}_lattice_hex": 1.0 if spec.lattice == "hex" else 0.0,
        f"{prefix}_area_um2": outline.area,
        f"{prefix}_perimeter_um": outline.length,
        # Unit-cell area of the lattice: p² (square) or √3/2 p² (hex).
        f"{prefix}_cell_area_um2": spec.pitch**2
        * (math.sqrt(3) / 2 if spec.lattice == "hex" else 1),
    }


#: Window roles that are electrodes: they sit ``electrode_inset`` inside the other windows.
ELECTRODE_ROLES = ("anode", "cathode")


def _windows(
    cell: gdstk.Cell,
    region: Region,
    p: PillarsParams | HolesParams | TrenchesParams,
    layers: RoleLayers,
) -> dict[str, Layer]:
    used = {}
    for role in WINDOW_ROLES:
        layer = layers.optional(role)
        if layer is None:
            continue
        margin = p.window_margin - (p.electrode_inset if role in ELECTRODE_ROLES else 0.0)
        shapes = [polygon(points, layer) for points in region]
        cell.add(*(offset(shapes, margin, layer, join="round") if margin else shapes))
        used[role] = layer
    return used


def _lattice_device(p: PillarsParams | HolesParams, layers: RoleLayers, what: str) -> Device:
    mask = layers.one("etch-mask")
    region = region_of(p.region)
    array = feature_array(
        cell_name(what.upper(), "UNIT"),
        feature_of(p),
        mask,
        region,
        p.lattice,
        p.pitch,
        p.clearance,
    )
    if array.count == 0:
        raise _empty(p, what)
    cell = gdstk.Cell(cell_name(what.upper(), "ARRAY"))
    cell.add(*array.references)
    used = {"etch-mask": mask, **_windows(cell, region, p, layers)}
    facts = lattice_facts(p, array.count, "feature")
    facts |= {
        "features_area_um2": array.area_um2,
        "region_area_um2": region_area(region),
        "mask_on_features": 1.0 if what == "pillar" else 0.0,
        "sidewall_area_um2": array.count * facts["feature_perimeter_um"] * p.depth,
    }
    return Device(
        cell=cell,
        layers=used,
        footprint=bounding_box(cell),
        closed_form=facts,
        info={"feature": what, "lattice": p.lattice, "shape": p.shape},
    )


def _empty(p: PillarsParams | HolesParams | TrenchesParams, what: str) -> SettingError:
    """The region holds no whole feature: an etch mask with nothing on it."""
    w, h = p.region.size
    return SettingError(
        f"the region ({p.region.shape}, {w:g} x {h:g} um) holds no whole {what} of "
        f"{p.size:g} um with {p.clearance:g} um clearance: the etch mask would be empty",
        ("design", "region"),
    )


def build_pillars(p: PillarsParams, layers: RoleLayers) -> Device:
    """Pillar field: the etch mask stays on every drawn feature."""
    return _lattice_device(p, layers, "pillar")


def build_holes(p: HolesParams, layers: RoleLayers) -> Device:
    """Hole field: the etch mask opens every drawn feature."""
    device = _lattice_device(p, layers, "hole")
    device.closed_form["through"] = 1.0 if p.through else 0.0
    return device


def build_trenches(p: TrenchesParams, layers: RoleLayers) -> Device:
    """Parallel trenches of width ``size`` at ``pitch`` clipped to the region."""
    mask = layers.one("etch-mask")
    region = region_of(p.region)
    lines = line_array(cell_name("TRENCH"), mask, region, p.size, p.pitch, p.clearance, p.direction)
    if lines.count == 0:
        raise _empty(p, "trench")
    cell = gdstk.Cell(cell_name("TRENCH", "ARRAY"))
    cell.add(*lines.references)
    used = {"etch-mask": mask, **_windows(cell, region, p, layers)}
    length = lines.area_um2 / p.size
    return Device(
        cell=cell,
        layers=used,
        footprint=bounding_box(cell),
        closed_form={
            "trench_count": float(lines.count),
            "trench_width_um": p.size,
            "trench_size_um": p.size,  # same key pattern as feature_size_um
            "trench_pitch_um": p.pitch,
            "trench_depth_um": p.depth,
            "trench_area_um2": lines.area_um2,
            "trench_length_um": length,
            "sidewall_area_um2": 2 * length * p.depth,
            "region_area_um2": region_area(region),
            "mask_on_features": 0.0,
        },
        info={"feature": "trench", "direction": p.direction},
    )
