"""Hand-off to the mask shop or the maskless writer: data-prep settings from the recipe,
plate files written and read back, the order sheet (order.md / order.json)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final, Literal

import gdstk
import numpy as np

from mbfab.errors import InputError, OutputError, RecipeError
from mbfab.layout import (
    BBox,
    layer_stats,
    read_layout,
    snap_value,
    top_cell,
    write_gds,
    write_oas,
)
from mbfab.layout.dataprep import cells_below, flatten_layer, writer_problems
from mbfab.layout.flatstream import read_flat_summary, write_flat_gds
from mbfab.output.platearea import plate_problems, plate_window, repeat_plan
from mbfab.output.plates import Plate, PrepSettings
from mbfab.output.platesheet import mark_rows, marks_note, plate_sheet
from mbfab.output.records import OrderPlate
from mbfab.output.render import render_template
from mbfab.recipe.loader import LoadedRecipe, did_you_mean
from mbfab.recipe.schema import Recipe

__all__ = [
    "ORDER_SCHEMA",
    "Target",
    "check_output_spec",
    "order_entry",
    "plate_file_name",
    "prep_settings",
    "render_order",
    "resolve_target",
    "verify_plate",
    "write_plate",
]

#: Version of the order.json layout.
ORDER_SCHEMA: Final = "mbfab-order/1"

Target = Literal["mask", "maskless"]

_WRITER_NAME = re.compile(r"^[A-Za-z0-9_]+$")


def resolve_target(recipe: Recipe, override: str | None = None) -> Target:
    """Mask shop or maskless writer: the command line, then ``output.target``, then the tool."""
    chosen = override or recipe.output.target
    if chosen is None:
        chosen = "maskless" if recipe.tool.kind == "maskless" else "mask"
    if chosen not in ("mask", "maskless"):
        raise OutputError(f"unknown output target {chosen!r}; use mask or maskless")
    return "maskless" if chosen == "maskless" else "mask"


def check_output_spec(loaded: LoadedRecipe) -> None:
    """Cross-checks of ``output:`` against the layers, as located errors."""
    recipe = loaded.recipe
    names = [layer.name for layer in recipe.layers]
    problems: list[InputError] = []
    for name in recipe.output.bias:
        if name not in names:
            problems.append(
                loaded.source.error(
                    ("output", "bias", name), f"unknown layer {name!r}{did_you_mean(name, names)}"
                )
            )
    if recipe.output.mirror and recipe.output.reading == "right-reading-chrome-up":
        problems.append(
            loaded.source.error(
                ("output", "mirror"),
                "a right-reading chrome-up plate needs no mirroring; drop mirror or read "
                "right-reading-chrome-down",
            )
        )
    problems += [loaded.source.error(path, message) for path, message in plate_problems(recipe)]
    if problems:
        raise RecipeError(problems)


def prep_settings(recipe: Recipe, layer_name: str, field: BBox, target: Target) -> PrepSettings:
    """Data preparation of one layer's plate, from ``output:``."""
    out = recipe.output
    maskless = target == "maskless"
    axis = None
    if out.mirror and not maskless:
        # Axis on the grid, so that 2*axis - x stays on the grid.
        axis = snap_value((field[0][0] + field[1][0]) / 2.0, out.grid)
    reduction = 1.0 if maskless else recipe.tool.reduction
    return PrepSettings(
        grid_um=out.grid,
        max_points=out.max_points,
        cd_bias_um=out.bias.get(layer_name, 0.0),
        mirror_axis_x=axis,
        maskless=maskless,
        window=None if maskless else plate_window(field, out.plate_size, reduction),
        repeat=None if maskless else repeat_plan(recipe, field),
        reduction=reduction,
    )


def plate_file_name(plate: Plate, fmt: str) -> str:
    """``<layer>.gds`` / ``.oas``; writer-safe (letters, digits, underscores) when maskless."""
    name = plate.layer.name
    if plate.prep.maskless:
        name = re.sub(r"[^A-Za-z0-9_]", "_", name)
        if name.lower() == "main":  # Heidelberg MLA150: no cell or layer called "main"
            name = "main_layer"
    return f"{name}.{'oas' if fmt == 'oasis' else 'gds'}"


def write_plate(plate: Plate, folder: Path, library_name: str, fmt: str) -> str:
    """Write one plate, read it back and check it; return its file name."""
    file_name = plate_file_name(plate, fmt)
    path = folder / file_name
    if plate.prep.maskless and fmt != "oasis":
        # Flat data for the writer, streamed from the plate's hierarchy (bounded memory).
        write_flat_gds(plate.cell, plate.layer.spec, path, library_name=library_name)
        _verify_flat(path, plate)
        return file_name
    cell = plate.cell
    if plate.prep.maskless:
        cell = flatten_layer(cell, plate.layer, cell.name)
    if fmt == "oasis":
        write_oas(cell, path, library_name=library_name)
    else:
        write_gds(cell, path, library_name=library_name, max_points=plate.prep.max_points)
    verify_plate(path, plate)
    return file_name


def _verify_flat(path: Path, plate: Plate) -> None:
    """Read a streamed flat file back (memory-mapped): one flat structure, the polygon
    count and area of the plate, and nothing a maskless writer would refuse."""
    summary = read_flat_summary(path, plate.layer.spec, plate.prep.max_points)
    if not summary.flat:
        verify_plate(path, plate)  # the general reader says what is wrong
        return
    _compare(path, summary.polygons, summary.area_um2, plate)
    problems = list(summary.problems)
    if not _WRITER_NAME.match(plate.cell.name) or plate.cell.name.lower() == "main":
        problems.append(f"cell name {plate.cell.name!r} is not writer-safe")
    _refuse(path, problems)


def verify_plate(path: Path, plate: Plate) -> None:
    """Read a written plate back: count and area must match; maskless data must be flat,
    simple, within the vertex limit and named for the writer."""
    library = read_layout(path, ours=True)
    cell: gdstk.Cell = top_cell(library)
    stats = layer_stats(cell, plate.layer.spec)
    _compare(path, stats.polygons, stats.area_um2, plate)
    if not plate.prep.maskless:
        return
    problems = []
    cells = cells_below(cell)
    if len(cells) > 1 or cell.references:
        problems.append(f"not flat ({len(cells)} cells)")
    for c in cells:
        if not _WRITER_NAME.match(c.name) or c.name.lower() == "main":
            problems.append(f"cell name {c.name!r} is not writer-safe")
    problems += writer_problems(cell.polygons, plate.prep.max_points)
    _refuse(path, problems)


def _compare(path: Path, polygons: int, area_um2: float, plate: Plate) -> None:
    expected = plate.written
    tolerance = 1e-6 * max(1.0, expected.area_um2) + 1e-3 * max(1, expected.polygons)
    if polygons != expected.polygons or abs(area_um2 - expected.area_um2) > tolerance:
        raise OutputError(
            f"{path}: read-back mismatch ({polygons} polygons, {area_um2:.3f} um2; "
            f"expected {expected.polygons}, {expected.area_um2:.3f} um2)"
        )


def _refuse(path: Path, problems: list[str]) -> None:
    if problems:
        shown = "; ".join(problems[:5]) + (
            f"; ... {len(problems) - 5} more" if len(problems) > 5 else ""
        )
        raise OutputError(f"{path}: maskless writer would refuse the file: {shown}")


def _reading(recipe: Recipe, plate: Plate) -> tuple[str, str]:
    """Reading sense and the instruction to the mask shop."""
    if plate.prep.maskless:
        return "n/a (direct write)", "expose the polygons as they are, seen from above the wafer"
    if recipe.output.reading == "right-reading-chrome-up":
        return "right-reading chrome-up", "write the data as submitted (no mirroring)"
    if plate.prep.mirror_axis_x is not None:
        return (
            "right-reading chrome-down",
            "data already mirrored by mbfab: write as submitted, do not mirror again "
            "(the submitted data reads right chrome-up)",
        )
    return (
        "right-reading chrome-down",
        "data as seen on the wafer: mirror it for right-reading chrome-down "
        "(= wrong-reading chrome-up)",
    )


def order_entry(recipe: Recipe, plate: Plate, file_name: str, fmt: str) -> OrderPlate:
    """The order sheet's record of one plate (or maskless data file)."""
    tone = plate.tone
    reading, instruction = _reading(recipe, plate)
    assert plate.frame is not None
    (fx0, fy0), (fx1, fy1) = plate.frame.to_written(np.array(plate.field)).tolist()
    fx0, fx1 = sorted((fx0, fx1))
    field_mm = ((fx1 - fx0) / 1000.0, (fy1 - fy0) / 1000.0)
    warnings: list[str] = []
    plate_info: dict[str, Any] | None = None
    if not plate.prep.maskless:
        plate_info, warnings = plate_sheet(recipe, plate)
    elif recipe.output.repeat is not None:
        warnings.append(
            "output.repeat is not applied to maskless data (one die); step it in the writer's job"
        )
    critical = plate.critical
    return {
        "layer": plate.layer.name,
        "file": file_name,
        "format": "OASIS" if fmt == "oasis" else "GDSII",
        "top_cell": plate.cell.name,
        "gds_layer": list(plate.layer.spec),
        "target": "maskless" if plate.prep.maskless else "mask",
        "plate": plate_info,
        "polygon_tone": ("data = exposed area" if plate.prep.maskless else f"data = {tone.data}"),
        "field": "n/a" if plate.prep.maskless else tone.field,
        "reading_sense": reading,
        "mirrored_by_mbfab": plate.prep.mirror_axis_x is not None,
        "mirror_axis_x_um": plate.frame.mirror_axis_x,
        "instruction": instruction,
        "cd_bias_um": plate.prep.cd_bias_um,
        "grid_um": plate.prep.grid_um,
        "max_vertices": plate.prep.max_points,
        "critical_dimension": (
            {
                "width_um": critical.width_um,
                "kind": critical.kind,
                "location_um": list(critical.location),
            }
            if critical
            else None
        ),
        "alignment_marks": mark_rows(plate),
        "alignment_marks_note": marks_note(recipe, plate),
        "outside_data": plate.frame.outside,
        "reduction": plate.frame.reduction,
        "polygons": plate.written.polygons,
        "area_um2": round(plate.written.area_um2, 6),
        "field_um": [[fx0, fy0], [fx1, fy1]],
        "field_mm": [round(field_mm[0], 3), round(field_mm[1], 3)],
        "tone_decision": {
            "process": tone.process,
            "resist_polarity": tone.polarity,
            "resist_on_feature": tone.resist_on_feature,
            "chrome": tone.chrome,
            "exposed": "complement" if tone.chrome == "feature" else "feature",
            "inverted_by_mbfab": tone.inverted,
        },
        "data_prep": plate.messages,
        "warnings": warnings,
    }


def render_order(recipe: Recipe, entries: list[OrderPlate], target: Target) -> str:
    """order.md."""
    return render_template("order.md", recipe=recipe, entries=entries, target=target)
