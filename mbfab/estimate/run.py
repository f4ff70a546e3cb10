"""recipe + device -> the ``estimates`` section of report.json.

The drawn polygons give areas, outlines and footprints (:mod:`mbfab.estimate.measured`); the
design kind picks a geometry model (planar in-plane, planar stacked, 3D lattice, Swiss roll)
that turns them into electrode volumes; the materials library turns volumes into capacity
and energy. Every number carries the inputs and sources it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mbfab.designs import Device
from mbfab.errors import RecipeError
from mbfab.estimate.cell import (
    areal_per_cm2,
    capacity_uah,
    cell_capacity,
    energy_uwh,
    per_volume_mwh_cm3,
    volumetric_capacity_uah_cm2_um,
)
from mbfab.estimate.fit import application_fit
from mbfab.estimate.geometry import Geometry
from mbfab.estimate.library import Library, Material, library
from mbfab.estimate.measured import Measured, electrode_role, measure
from mbfab.estimate.models3d import in_plane_posts, lattice_3d
from mbfab.estimate.rollmodel import swiss_roll
from mbfab.recipe import LayerSpec, LoadedRecipe, Recipe, did_you_mean, normalise_name

__all__ = ["ESTIMATES_SCHEMA", "KIND_MODELS", "Geometry", "estimate_device", "headline"]

#: Version of the ``estimates`` section; bump on any incompatible change.
ESTIMATES_SCHEMA = "mbfab-estimates/1"


ModelFn = Callable[[Recipe, Device, Measured], Geometry]


def planar_in_plane(recipe: Recipe, device: Device, measured: Measured) -> Geometry:
    """Electrodes side by side on the substrate: volume = drawn area x film thickness.

    Height: the thicker of the electrolyte and collector + thickest electrode.
    """
    volumes = _film_volumes(recipe, measured)
    collector = max((s.thickness for s in recipe.layers if "collector" in s.role), default=0.0)
    electrode = max((s.thickness for s in _electrodes(recipe)), default=0.0)
    electrolyte = max((s.thickness for s in recipe.layers if s.role == "electrolyte"), default=0.0)
    return Geometry("planar in-plane", volumes, max(electrolyte, collector + electrode))


def planar_stacked(recipe: Recipe, device: Device, measured: Measured) -> Geometry:
    """Layers on top of one another: volume = drawn area x thickness, height = sum of films.

    A seal or passivation frame stands around the stack, not on it: the cell is as high as
    the taller of the stack and the frame.
    """
    skip = ("sacrificial", "etch-mask", "mold", "seal", "passivation")
    stack = sum(s.thickness for s in recipe.layers if s.role not in skip)
    frame = max((s.thickness for s in recipe.layers if s.role in skip[3:]), default=0.0)
    height = max(stack, frame)
    return Geometry("planar stacked", _film_volumes(recipe, measured), height)


def interdigital(recipe: Recipe, device: Device, measured: Measured) -> Geometry:
    """In-plane fingers, with post arrays on them when the design drew posts."""
    if "post_count" in device.closed_form:
        return in_plane_posts(recipe, device, measured)
    return planar_in_plane(recipe, device, measured)


#: Geometry model of each design kind; kinds not listed are estimated as planar stacks.
KIND_MODELS: dict[str, ModelFn] = {
    "interdigital": interdigital,
    "stacked": planar_stacked,
    "pillars": lattice_3d,
    "holes": lattice_3d,
    "trenches": lattice_3d,
    "swiss-roll": swiss_roll,
}


def _default_basis(geometry: Geometry, footprints: dict[str, float], notes: list[str]) -> str:
    """The model's preferred basis, else the 3D array region, else the whole device."""
    for basis in (geometry.preferred_basis, "region", "device"):
        if basis in footprints:
            if basis != geometry.preferred_basis:
                notes.append(
                    f"footprint: no {geometry.preferred_basis!r} basis (no electrode layer "
                    f"drawn), per-area figures use {basis!r}"
                )
            return basis
    raise AssertionError("the device footprint is always measured")


def _electrodes(recipe: Recipe) -> list[LayerSpec]:
    return [s for s in recipe.layers if electrode_role(s) is not None]


def _film_volumes(recipe: Recipe, measured: Measured) -> dict[str, tuple[float, str, float]]:
    return {
        s.name: (measured.area_um2[s.name] * s.thickness, "film", measured.area_um2[s.name])
        for s in _electrodes(recipe)
    }


def _r(value: float | None, digits: int = 6) -> float | None:
    """Round to ``digits`` significant figures (stable JSON)."""
    if value is None:
        return None
    return float(f"{value:.{digits}g}")


def _electrode_entry(
    spec: LayerSpec, geometry: Geometry, lib: Library, notes: list[str]
) -> dict[str, Any]:
    """Capacity of one electrode layer with its inputs and their sources."""
    over = spec.electrode
    name = (over.material if over and over.material else spec.material) or ""
    material: Material | None = lib.material(name) if name else None
    basis = over.capacity_basis if over else "practical"
    specific, density, sources = None, None, []
    if material is not None:
        density = material.density_g_cm3
        sources.append(f"{material.name} ({material.reaction}): {material.source}")
        film = material.thin_film_q_vol_uah_cm2_um
        if basis == "thin-film" and film is None:
            notes.append(
                f"{spec.name}: no measured thin-film capacity for {material.name}; "
                "practical capacity used"
            )
            basis = "practical"
        if basis == "thin-film" and film is not None:
            specific = film / (0.1 * density)  # q_vol = 0.1 Q rho at the dense density
            sources.append(f"thin film {film} uAh cm-2 um-1: {material.thin_film_source}")
        elif basis == "practical":
            specific = material.practical_mah_g
        else:
            specific = material.theoretical_mah_g
    if over and over.specific_capacity_mah_g is not None:
        specific = over.specific_capacity_mah_g
        sources.append("specific capacity from the recipe")
    if over and over.density_g_cm3 is not None:
        density = over.density_g_cm3
        sources.append("density from the recipe")
    porosity = over.porosity if over else 0.0
    active = over.active_fraction if over else 1.0
    volume, fill, surface = geometry.volumes.get(spec.name, (0.0, "film", 0.0))
    entry: dict[str, Any] = {
        "layer": spec.name,
        "role": electrode_role(spec),
        "material": spec.material,
        "library_material": material.name if material else None,
        "capacity_basis": basis,
        "specific_capacity_mah_g": _r(specific),
        "density_g_cm3": _r(density),
        "porosity": porosity,
        "active_fraction": active,
        "thickness_um": _r(spec.thickness),
        "fill": fill,
        "surface_um2": _r(surface),
        "volume_um3": _r(volume),
        "q_vol_uah_cm2_um": None,
        "capacity_uah": None,
        "sources": sources,
    }
    if specific is None or density is None:
        hint = did_you_mean(name, lib.material_names()) if name else ""
        notes.append(
            f"{spec.name}: no capacity: material {name!r} is not in the materials library{hint}; "
            "set layers[].electrode.specific_capacity_mah_g and density_g_cm3"
        )
        return entry
    q_vol = volumetric_capacity_uah_cm2_um(specific, density, porosity, active)
    entry["q_vol_uah_cm2_um"] = _r(q_vol)
    entry["capacity_uah"] = _r(capacity_uah(volume, q_vol))
    return entry


def _voltage(
    loaded: LoadedRecipe, electrodes: dict[str, dict[str, Any]], lib: Library
) -> tuple[float | None, str]:
    """Cell voltage and where it came from: recipe, named couple, library couple, potentials."""
    spec = loaded.recipe.estimate
    if spec.voltage_v is not None:
        return spec.voltage_v, "estimate.voltage_v in the recipe"
    if spec.couple is not None:
        couple = lib.couple_named(spec.couple)
        if couple is None:
            names = [c.name for c in lib.couples]
            raise RecipeError(
                [
                    loaded.source.error(
                        ("estimate", "couple"),
                        f"unknown couple {spec.couple!r}{did_you_mean(spec.couple, names)}",
                    )
                ]
            )
        return couple.voltage_v, f"couple {couple.name}: {couple.source}"
    cathode = electrodes.get("cathode", {}).get("library_material")
    anode = electrodes.get("anode", {}).get("library_material")
    if cathode is None or anode is None:
        return None, "no voltage: cathode or anode material unknown"
    couple = lib.couple(cathode, anode)
    if couple is not None:
        return couple.voltage_v, f"couple {couple.name}: {couple.source}"
    c, a = lib.materials[normalise_name(cathode)], lib.materials[normalise_name(anode)]
    if c.potential_v is not None and a.potential_v is not None and c.reference == a.reference:
        return (
            c.potential_v - a.potential_v,
            f"derived: {c.name} {c.potential_v} V - {a.name} {a.potential_v} V vs {c.reference}",
        )
    return None, f"no voltage known for {cathode}||{anode}; set estimate.voltage_v"


def estimate_device(loaded: LoadedRecipe, device: Device) -> dict[str, Any]:
    """The ``estimates`` section of report.json (schema :data:`ESTIMATES_SCHEMA`)."""
    recipe = loaded.recipe
    lib = library()
    measured = measure(recipe, device)
    kind = str(getattr(recipe.design, "kind", ""))
    model = KIND_MODELS.get(kind, planar_stacked)
    geometry = model(recipe, device, measured)
    notes = list(geometry.notes)
    if kind not in KIND_MODELS:
        notes.append(f"no 3D model for design kind {kind!r}: estimated as a planar stack")
    footprints = {**measured.footprints_um2, **geometry.footprints_um2}
    basis = recipe.estimate.footprint or _default_basis(geometry, footprints, notes)
    if basis not in footprints:
        hint = {"die": "set estimate.die", "package": "set estimate.seal_ring"}.get(basis, "")
        message = f"footprint {basis!r} is not available ({hint}); available: "
        raise RecipeError(
            [loaded.source.error(("estimate", "footprint"), message + ", ".join(footprints))]
        )
    footprint = footprints[basis]
    entries = [_electrode_entry(s, geometry, lib, notes) for s in _electrodes(recipe)]
    by_role: dict[str, dict[str, Any]] = {}
    for entry in entries:
        by_role.setdefault(entry["role"], entry)
    voltage, voltage_source = _voltage(loaded, by_role, lib)
    cell = _cell_section(by_role, voltage, voltage_source, footprint, geometry.height_um, notes)
    energy = cell.get("energy_uwh")
    fits = application_fit(energy, lib.applications) if energy is not None else []
    return {
        "schema": ESTIMATES_SCHEMA,
        "design_kind": kind,
        "model": geometry.model,
        "footprint": {
            "basis": basis,
            "area_um2": _r(footprint),
            "area_mm2": _r(footprint / 1e6),
            "bases_um2": {k: _r(v) for k, v in sorted(footprints.items())},
        },
        "areas": {
            "layers_um2": {k: _r(v) for k, v in measured.area_um2.items()},
            "electrode_union_um2": _r(measured.electrode_union_um2),
            "union_method": measured.union_method,
            "active_area_ratio": {
                k: _r(measured.electrode_union_um2 / v) for k, v in sorted(footprints.items())
            },
        },
        "electrodes": entries,
        "cell": cell,
        "area_gain": geometry.area_gain,
        "roll": geometry.roll,
        "application_fit": [fit.__dict__ for fit in fits],
        "notes": notes,
    }


def _cell_section(
    by_role: dict[str, dict[str, Any]],
    voltage: float | None,
    voltage_source: str,
    footprint_um2: float,
    height_um: float,
    notes: list[str],
) -> dict[str, Any]:
    cathode = by_role.get("cathode", {}).get("capacity_uah")
    anode = by_role.get("anode", {}).get("capacity_uah")
    section: dict[str, Any] = {
        "voltage_v": _r(voltage),
        "voltage_source": voltage_source,
        "height_um": _r(height_um),
        "volume_um3": _r(footprint_um2 * height_um),
        # every key is always present (None when not estimated): a stable schema
        **dict.fromkeys(
            (
                "capacity_uah",
                "limiting",
                "np_ratio",
                "areal_capacity_uah_cm2",
                "energy_uwh",
                "areal_energy_uwh_cm2",
                "volumetric_energy_mwh_cm3",
            )
        ),
    }
    if cathode is None or anode is None or cathode <= 0 or anode <= 0:
        notes.append("no cell capacity: both a cathode and an anode capacity are needed")
        return section
    cap = cell_capacity(cathode, anode)
    section.update(
        capacity_uah=_r(cap.capacity_uah),
        limiting=cap.limiting,
        np_ratio=_r(cap.np_ratio),
        areal_capacity_uah_cm2=_r(areal_per_cm2(cap.capacity_uah, footprint_um2)),
    )
    if voltage is None:
        notes.append(voltage_source)
        return section
    energy = energy_uwh(cap.capacity_uah, voltage)
    section.update(
        energy_uwh=_r(energy),
        areal_energy_uwh_cm2=_r(areal_per_cm2(energy, footprint_um2)),
        volumetric_energy_mwh_cm3=(
            _r(per_volume_mwh_cm3(energy, footprint_um2 * height_um)) if height_um > 0 else None
        ),
    )
    return section


def ratio_label(basis: str) -> str:
    """What the electrode-area ratio means on ``basis``: below 1 for a flat footprint; a rolled
    cell's electrodes, wound up, cover many times the footprint they stand on."""
    return "electrode area per rolled footprint" if basis == "rolled" else "active-area ratio"


def headline(estimates: dict[str, Any]) -> list[str]:
    """Terminal lines: ratio, capacity, energy, per footprint, what it can power."""
    cell, fp = estimates["cell"], estimates["footprint"]
    ratio = estimates["areas"]["active_area_ratio"].get(fp["basis"])
    lines = [
        f"  estimate ({estimates['model']}): footprint {fp['area_mm2']:.4g} mm2 ({fp['basis']}), "
        f"{ratio_label(fp['basis'])} {ratio:.3f}"
    ]
    if cell["capacity_uah"] is not None:
        text = (
            f"  capacity {cell['capacity_uah']:.4g} uAh ({cell['limiting']}-limited, "
            f"N/P {cell['np_ratio']:.3g}) = {cell['areal_capacity_uah_cm2']:.4g} uAh/cm2"
        )
        if cell["energy_uwh"] is not None:
            text += (
                f"; energy {cell['energy_uwh']:.4g} uWh at {cell['voltage_v']:.3g} V "
                f"= {cell['areal_energy_uwh_cm2']:.4g} uWh/cm2"
            )
        lines.append(text)
    powers = [f["device"] for f in estimates["application_fit"] if f["verdict"] == "powers"]
    if estimates["application_fit"]:
        lines.append(f"  can power: {', '.join(powers) if powers else 'none of Table 2'}")
    if estimates["area_gain"]:
        gain = estimates["area_gain"]
        lines.append(
            f"  3D area gain {gain['measured']:.3g} measured, {gain['closed_form']:.3g} "
            f"closed form ({gain['closed_form_formula']})"
        )
    roll = estimates["roll"]
    for tube in (roll or {}).get("rolls", []):
        turns = "?" if tube["turns"] is None else f"{tube['turns']:.3g}"
        lines.append(
            f"  rolled ({tube['electrodes']}): {turns} turns of {tube['turn_thickness_um']:.3g} "
            f"um, outer diameter {tube['outer_diameter_um']:.4g} um ({roll['diameter_source']})"
        )
    for note in estimates["notes"]:
        lines.append(f"  note: {note}")
    return lines
