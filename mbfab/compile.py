"""Run the stages in order: recipe -> design -> plates -> files. The one place that knows all."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gdstk

from mbfab import __version__
from mbfab.designs import Device, RoleLayers, build_device
from mbfab.errors import OutputError
from mbfab.layout import Layer, bounding_box, layer_stats, read_layout, top_cell, write_gds
from mbfab.output import (
    REPORT_SCHEMA,
    Plate,
    PlateRequest,
    inside,
    make_plate,
    mask_field,
    plate_cell_name,
    plate_entry,
    staged_directory,
    write_json,
)
from mbfab.recipe import LoadedRecipe, Recipe, load_recipe
from mbfab.rules import Finding, check_file, to_json, to_lyrdb
from mbfab.rules.formats import to_dict
from mbfab.rules.from_recipe import check_device

__all__ = [
    "CompileResult",
    "build_plates",
    "check_target",
    "compile_recipe",
    "design_for",
    "recipe_layers",
]


@dataclass
class CompileResult:
    """What one compile produced."""

    recipe: LoadedRecipe
    device: Device
    plates: list[Plate]
    output_dir: Path
    report: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)


def recipe_layers(recipe: Recipe) -> dict[str, Layer]:
    """Layout layers of the recipe, by name."""
    return {spec.name: Layer(spec.gds[0], spec.gds[1], spec.name) for spec in recipe.layers}


def design_for(loaded: LoadedRecipe) -> Device:
    """Build the recipe's device."""
    recipe = loaded.recipe
    layers = recipe_layers(recipe)
    by_role: dict[str, list[Layer]] = {}
    for spec in recipe.layers:
        by_role.setdefault(spec.role, []).append(layers[spec.name])
    return build_device(recipe.design, RoleLayers(by_role))


def build_plates(loaded: LoadedRecipe, device: Device) -> list[Plate]:
    """One plate per recipe layer, in recipe order."""
    recipe = loaded.recipe
    layers = recipe_layers(recipe)
    field = mask_field(bounding_box(device.cell), recipe.output.field_margin)
    plates = []
    for spec in recipe.layers:
        request = PlateRequest(
            layer=layers[spec.name],
            process=spec.process,
            polarity=loaded.resist(spec.name).tone,
            top_name=plate_cell_name(recipe.name, spec.name),
        )
        plates.append(
            make_plate(device.cell, request, field, recipe.output.tone, recipe.output.max_points)
        )
    return plates


def compile_recipe(path: Path | str, output_root: Path | str = "masks") -> CompileResult:
    """Compile one recipe into ``output_root/<name>/``, atomically."""
    started = time.perf_counter()
    loaded = load_recipe(path)
    recipe = loaded.recipe
    device = design_for(loaded)
    plates = build_plates(loaded, device)
    findings = check_device(loaded, device.cell)
    output_root = Path(output_root)
    final = inside(output_root, recipe.name)
    entries = []
    with staged_directory(final) as staging:
        if recipe.output.combined:
            combined = device.cell.copy(plate_cell_name(recipe.name, "all"), deep_copy=False)
            write_gds(
                combined,
                staging / f"{recipe.name}.gds",
                library_name=recipe.name,
                max_points=recipe.output.max_points,
            )
        for plate in plates:
            file_name = f"{plate.layer.name}.gds"
            target = inside(staging, file_name)
            write_gds(
                plate.cell, target, library_name=recipe.name, max_points=recipe.output.max_points
            )
            _verify(target, plate)
            entries.append(plate_entry(plate, file_name))
        report: dict[str, Any] = {
            "schema": REPORT_SCHEMA,
            "mbfab_version": __version__,
            "name": recipe.name,
            "description": recipe.description,
            "recipe": {"file": loaded.path.name, "sha256": loaded.sha256},
            "design": recipe.design.model_dump(mode="json"),
            "device": {
                "footprint_um": [list(device.footprint[0]), list(device.footprint[1])],
                "footprint_area_um2": round(device.footprint_area_um2, 6),
                "closed_form": {k: round(v, 6) for k, v in sorted(device.closed_form.items())},
            },
            "plates": entries,
            "output_dir": str(final),
            "drc": to_dict(findings, f"{recipe.name}.gds")["summary"],
        }
        write_json(report, staging / "report.json")
        (staging / "drc.json").write_text(to_json(findings, f"{recipe.name}.gds"), "utf-8")
        top = plate_cell_name(recipe.name, "all")
        (staging / "drc.lyrdb").write_text(to_lyrdb(findings, f"{recipe.name}.gds", top), "utf-8")
    report["elapsed_s"] = round(time.perf_counter() - started, 3)
    return CompileResult(loaded, device, plates, final, report, findings)


def check_target(
    target: Path, deck: Path | None = None, max_markers: int = 1000
) -> tuple[list[Finding], str]:
    """Check a recipe (what compile would produce) or any GDSII/OASIS file."""
    if target.suffix.lower() in {".yaml", ".yml"} and deck is None:
        loaded = load_recipe(target)
        device = design_for(loaded)
        return check_device(loaded, device.cell, max_markers), str(target)
    return check_file(str(target), str(deck) if deck else None, max_markers), str(target)


def _verify(path: Path, plate: Plate) -> None:
    """Read a written plate back; its polygon count and area must match what was meant."""
    library = read_layout(path)
    cell: gdstk.Cell = top_cell(library)
    stats = layer_stats(cell, plate.layer.spec)
    expected = plate.written
    tolerance = 1e-6 * max(1.0, expected.area_um2) + 1e-3 * max(1, expected.polygons)
    if stats.polygons != expected.polygons or abs(stats.area_um2 - expected.area_um2) > tolerance:
        raise OutputError(
            f"{path}: read-back mismatch ({stats.polygons} polygons, {stats.area_um2:.3f} um2; "
            f"expected {expected.polygons}, {expected.area_um2:.3f} um2)"
        )
