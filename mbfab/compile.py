"""Run the stages in order: recipe -> design -> plates -> files. The one place that knows all."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

from mbfab import __version__
from mbfab.designs import Device, RoleLayers, build_device
from mbfab.designs.finish import mask_layout, with_seal
from mbfab.errors import GdsReadError, InputError, RecipeError, SettingError
from mbfab.estimate import estimate_device
from mbfab.files import MAX_LAYOUT_SHAPES
from mbfab.layout import Layer, bounding_box, inspect_layout, write_gds
from mbfab.output import (
    REPORT_SCHEMA,
    Plate,
    PlateRequest,
    inside,
    make_plate,
    mask_field,
    plate_cell_name,
    plate_entry,
    recover,
    staged_directory,
    write_json,
)
from mbfab.output.handoff import (
    ORDER_SCHEMA,
    Target,
    check_output_spec,
    order_entry,
    plate_file_name,
    prep_settings,
    render_order,
    resolve_target,
    write_plate,
)
from mbfab.output.html_report import render_report_html
from mbfab.output.process import PlateRef, Traveler, build_traveler
from mbfab.output.records import OrderSheet, Report
from mbfab.output.traveler import render_traveler
from mbfab.recipe import LoadedRecipe, Recipe, load_recipe
from mbfab.rules import (
    Finding,
    LayoutData,
    check_file,
    check_layout,
    load_deck,
    to_json,
    to_lyrdb,
)
from mbfab.rules.formats import to_dict
from mbfab.rules.from_recipe import check_device

__all__ = [
    "Checked",
    "CompileResult",
    "Prepared",
    "Progress",
    "build_plates",
    "check_target",
    "compile_recipe",
    "design_for",
    "located",
    "plate_refs",
    "prepare",
    "recipe_layers",
    "traveler_text",
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
    """Build the recipe's device (with its seal ring, without marks)."""
    recipe = loaded.recipe
    return with_seal(recipe, build_device(recipe.design, _roles(recipe)))


def _roles(recipe: Recipe) -> RoleLayers:
    layers = recipe_layers(recipe)
    by_role: dict[str, list[Layer]] = {}
    for spec in recipe.layers:
        by_role.setdefault(spec.role, []).append(layers[spec.name])
    return RoleLayers(by_role)


def build_plates(
    loaded: LoadedRecipe, masks: Device, target: Target = "mask", device: Device | None = None
) -> list[Plate]:
    """One plate per recipe layer, in recipe order, through the data-preparation pipeline.

    ``masks`` is the mask layout (device plus marks, labels, wafer map); ``device`` the bare
    device whose features set each plate's critical dimension (default: ``masks``).
    """
    recipe = loaded.recipe
    layers = recipe_layers(recipe)
    features = (device or masks).cell
    field = mask_field(bounding_box(masks.cell), recipe.output.field_margin)
    plates = []
    for spec in recipe.layers:
        request = PlateRequest(
            layer=layers[spec.name],
            process=spec.process,
            polarity=loaded.resist(spec.name).tone,
            top_name=plate_cell_name(recipe.name, spec.name),
            marks=tuple(m for m in masks.marks if spec.name in (m.reference, m.aligning)),
        )
        prep = prep_settings(recipe, spec.name, field, target)
        plates.append(make_plate(masks.cell, request, field, recipe.output.tone, prep, features))
    return plates


def plate_refs(plates: list[Plate], files: dict[str, str]) -> dict[str, PlateRef]:
    """What the traveler says about each layer's plate (file names by layer)."""
    return {
        p.layer.name: PlateRef(
            files[p.layer.name], p.cell.name, p.tone.data, p.tone.field, p.prep.maskless
        )
        for p in plates
    }


@dataclass
class Prepared:
    """Everything compile makes before it writes a byte: device, mask layout, plates."""

    loaded: LoadedRecipe
    target: Target
    device: Device
    masks: Device
    plates: list[Plate]
    files: dict[str, str]
    traveler: Traveler


@contextmanager
def located(loaded: LoadedRecipe) -> Iterator[None]:
    """Settings found unbuildable while building become errors at their place in the file."""
    try:
        yield
    except SettingError as exc:
        raise RecipeError([loaded.source.error(exc.key_path, exc.message)]) from None


#: Told the phase a compile enters ("building the design", ...), e.g. to show progress.
Progress = Callable[[str], None]


def _silent(phase: str) -> None:
    """The default :data:`Progress`: says nothing."""


def prepare(path: Path | str, target: str | None = None, progress: Progress = _silent) -> Prepared:
    """Load, build and prepare every plate of a recipe; input errors surface here."""
    progress("reading the recipe")
    loaded = load_recipe(path)
    recipe = loaded.recipe
    check_output_spec(loaded)
    chosen = resolve_target(recipe, target)
    with located(loaded):
        progress("building the design")
        device = design_for(loaded)
        # Marks, labels and the wafer map go on the plates, not into the measured device.
        masks = mask_layout(recipe, device, _roles(recipe))
        progress("preparing the plates")
        plates = build_plates(loaded, masks, chosen, device)
    files = {p.layer.name: plate_file_name(p, recipe.output.format) for p in plates}
    traveler = build_traveler(loaded, plate_refs(plates, files))
    return Prepared(loaded, chosen, device, masks, plates, files, traveler)


def traveler_text(path: Path | str, target: str | None = None) -> str:
    """The traveler of one recipe as Markdown (plates are built, not written)."""
    return render_traveler(prepare(path, target).traveler, "md")


def compile_recipe(
    path: Path | str,
    output_root: Path | str = "masks",
    target: str | None = None,
    progress: Progress = _silent,
) -> CompileResult:
    """Compile one recipe into ``output_root/<name>/``, atomically.

    ``target`` ("mask" or "maskless") overrides ``output.target`` and the tool's default;
    ``progress`` is told each phase as it starts.
    """
    started = time.perf_counter()
    prepared = prepare(path, target, progress)
    loaded, device = prepared.loaded, prepared.device
    final = inside(Path(output_root), loaded.recipe.name)
    recover(final)  # a run killed between the two renames of a swap left its outputs aside
    progress("estimating the cell")
    estimates = estimate_device(loaded, device)
    progress("checking the rules")
    findings = check_device(loaded, device.cell)
    progress("writing the outputs")
    with staged_directory(final) as staging:
        report = _write_outputs(staging, prepared, estimates, findings)
    # Run-specific facts stay out of the file, which must be identical run after run.
    report["output_dir"] = str(final)
    report["elapsed_s"] = round(time.perf_counter() - started, 3)
    return CompileResult(loaded, device, prepared.plates, final, report, findings)


def _write_outputs(
    staging: Path, prepared: Prepared, estimates: dict[str, Any], findings: list[Finding]
) -> dict[str, Any]:
    """Write every output file into ``staging``; return the report."""
    loaded, recipe = prepared.loaded, prepared.loaded.recipe
    fmt, layout_name = recipe.output.format, f"{recipe.name}.gds"
    if recipe.output.combined:
        combined = prepared.masks.cell.copy(plate_cell_name(recipe.name, "all"), deep_copy=False)
        write_gds(
            combined,
            staging / layout_name,
            library_name=recipe.name,
            max_points=recipe.output.max_points,
        )
    entries, orders = [], []
    for plate in prepared.plates:
        file_name = write_plate(plate, staging, recipe.name, fmt)
        entries.append(plate_entry(plate, file_name))
        orders.append(order_entry(recipe, plate, file_name, fmt))
    for kind in ("md", "html"):
        text = render_traveler(prepared.traveler, kind)
        (staging / f"traveler.{kind}").write_text(text, "utf-8")
    (staging / "order.md").write_text(render_order(recipe, orders, prepared.target), "utf-8")
    order: OrderSheet = {
        "schema": ORDER_SCHEMA,
        "name": recipe.name,
        "revision": recipe.output.revision,
        "target": prepared.target,
        "plates": orders,
    }
    write_json(order, staging / "order.json")
    device, masks = prepared.device, prepared.masks
    drc = to_dict(findings, layout_name, timings=False)  # byte-identical reruns
    report: Report = {
        "schema": REPORT_SCHEMA,
        "mbfab_version": __version__,
        "name": recipe.name,
        "description": recipe.description,
        "recipe": {
            "file": loaded.path.name,
            "sha256": loaded.sha256,
            # Located by file name only: the report is the same from any working folder.
            "warnings": [
                replace(w.location, file=loaded.path.name).render() + f": {w.message}"
                for w in loaded.warnings
            ],
        },
        "design": recipe.design.model_dump(mode="json"),
        "device": {
            "footprint_um": [list(device.footprint[0]), list(device.footprint[1])],
            "footprint_area_um2": round(device.footprint_area_um2, 6),
            "closed_form": {k: round(v, 6) for k, v in sorted(masks.closed_form.items())},
            "info": dict(sorted(masks.info.items())),
        },
        "plates": entries,
        "estimates": estimates,
        "drc": drc["summary"],
    }
    write_json(report, staging / "report.json")
    html = render_report_html(report, device.cell, recipe, prepared.plates, drc)
    (staging / "report.html").write_text(html, encoding="utf-8")
    (staging / "drc.json").write_text(to_json(findings, layout_name, timings=False), "utf-8")
    top = plate_cell_name(recipe.name, "all")
    (staging / "drc.lyrdb").write_text(to_lyrdb(findings, layout_name, top), "utf-8")
    return dict(report)


class Checked(NamedTuple):
    """What ``mbfab check`` found: the findings, the name of what was checked, the top cell
    the markers belong to, and the recipe's warnings (none for a layout file)."""

    findings: list[Finding]
    name: str
    top_cell: str
    warnings: tuple[InputError, ...] = ()


def check_target(
    target: Path,
    deck: Path | None = None,
    max_markers: int = 1000,
    max_shapes: int = MAX_LAYOUT_SHAPES,
) -> Checked:
    """Check a recipe (the device compile would produce) or any GDSII/OASIS file, with the
    recipe's own rules or with the rule deck ``deck``. A layout that places more than
    ``max_shapes`` shapes (every array copy counted) is refused before it is read."""
    if target.suffix.lower() in {".yaml", ".yml"}:
        loaded = load_recipe(target)
        with located(loaded):
            device = design_for(loaded)
        if deck is None:
            findings = check_device(loaded, device.cell, max_markers)
        else:
            data = LayoutData(cell=device.cell)
            findings = check_layout(data, load_deck(deck).rules, max_markers)
        top = plate_cell_name(loaded.recipe.name, "all")
        return Checked(findings, str(target), top, loaded.warnings)
    summary = inspect_layout(target)
    if summary.placed > max_shapes:
        raise GdsReadError(
            f"{target}: the layout places {summary.placed:,} shapes (every array copy "
            f"counted), more than --max-shapes {max_shapes:,}; raise it to check this layout"
        )
    if not summary.tops:
        raise GdsReadError(f"{target}: the layout holds no cell")
    findings = check_file(str(target), str(deck) if deck else None, max_markers)
    return Checked(findings, str(target), summary.tops[0])
