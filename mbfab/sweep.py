"""Parameter sweeps: compile variants of one recipe and tabulate their estimates.

``--set design.gap=10um,20um,40um`` sets a key path of the recipe (dots between keys, list
indices as numbers: ``layers.1.thickness``) to each value in turn; several ``--set`` make the
Cartesian product. Each variant is written as a recipe file beside its masks, so every row of
the table can be recompiled on its own.
"""

from __future__ import annotations

import copy
import csv
import itertools
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mbfab.compile import compile_recipe
from mbfab.errors import MbfabError, UnitError
from mbfab.output.sweep_plot import sweep_plot_svg
from mbfab.recipe.yamlsource import load_yaml
from mbfab.units import parse_length

__all__ = ["COLUMNS", "Setting", "SweepRow", "parse_setting", "plan_variants", "run_sweep"]

#: Estimate columns of sweep.csv, besides the variant and the swept keys.
COLUMNS = (
    "footprint_mm2",
    "active_area_ratio",
    "capacity_uah",
    "areal_capacity_uah_cm2",
    "energy_uwh",
    "areal_energy_uwh_cm2",
)


@dataclass(frozen=True)
class Setting:
    """One ``--set key.path=v1,v2,...``."""

    path: tuple[str | int, ...]
    values: tuple[Any, ...]

    @property
    def key(self) -> str:
        return ".".join(str(p) for p in self.path)


def parse_setting(text: str) -> Setting:
    """``design.gap=10um,20um`` -> path ('design', 'gap'), values ('10um', '20um')."""
    key, sep, values = text.partition("=")
    if not sep or not key.strip() or not values.strip():
        raise MbfabError(f"--set {text!r}: expected key.path=value[,value...]")
    path = tuple(int(p) if p.isdigit() else p for p in key.strip().split("."))
    parsed = tuple(yaml.safe_load(v.strip()) for v in values.split(","))
    return Setting(path, parsed)


def _assign(data: Any, path: tuple[str | int, ...], value: Any, key: str) -> None:
    node = data
    for part in path[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            raise MbfabError(f"--set {key}: the recipe has no {part!r} on that path") from None
    last = path[-1]
    if isinstance(node, list) and not (isinstance(last, int) and last < len(node)):
        raise MbfabError(f"--set {key}: index {last!r} is not in the list")
    node[last] = value


@dataclass(frozen=True)
class Variant:
    """One point of the sweep grid: its number, the values set and its recipe file."""

    index: int
    values: dict[str, Any]
    recipe_path: Path


def plan_variants(recipe: Path, settings: Sequence[Setting], work: Path) -> list[Variant]:
    """Write one recipe file per combination of values into ``work``."""
    document = load_yaml(recipe)
    base = document.data
    if not isinstance(base, dict):
        raise MbfabError(f"{recipe}: not a recipe")
    work.mkdir(parents=True, exist_ok=True)
    variants = []
    combos = itertools.product(*(s.values for s in settings))
    for index, combo in enumerate(combos):
        data = copy.deepcopy(base)
        for setting, value in zip(settings, combo, strict=True):
            _assign(data, setting.path, value, setting.key)
        data["name"] = f"{base.get('name', 'recipe')}_v{index:03d}"
        path = work / f"{data['name']}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        values = {s.key: v for s, v in zip(settings, combo, strict=True)}
        variants.append(Variant(index, values, path))
    return variants


@dataclass(frozen=True)
class SweepRow:
    """One compiled variant (or its error)."""

    index: int
    values: dict[str, Any]
    estimates: dict[str, Any]
    error: str = ""


def _compile_one(variant: Variant, masks: Path) -> SweepRow:
    try:
        result = compile_recipe(variant.recipe_path, masks)
    except MbfabError as exc:
        return SweepRow(variant.index, variant.values, {}, "; ".join(exc.lines()))
    est = result.report["estimates"]
    cell = est["cell"]
    row = {
        "footprint_mm2": est["footprint"]["area_mm2"],
        "active_area_ratio": est["areas"]["active_area_ratio"][est["footprint"]["basis"]],
        "capacity_uah": cell.get("capacity_uah"),
        "areal_capacity_uah_cm2": cell.get("areal_capacity_uah_cm2"),
        "energy_uwh": cell.get("energy_uwh"),
        "areal_energy_uwh_cm2": cell.get("areal_energy_uwh_cm2"),
    }
    return SweepRow(variant.index, variant.values, row)


def run_sweep(
    variants: Sequence[Variant], masks: Path, jobs: int | None = None
) -> Iterator[SweepRow]:
    """Compile ``variants`` (in parallel processes when there are several), in finish order."""
    workers = min(len(variants), jobs or os.cpu_count() or 1)
    if workers <= 1:
        for variant in variants:
            yield _compile_one(variant, masks)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_compile_one, v, masks) for v in variants]
        for future in as_completed(futures):
            yield future.result()


def _numeric(value: Any) -> float | None:
    """A swept value as a number for the plot axis (lengths in um)."""
    try:
        return parse_length(value, "um")
    except UnitError:
        return None


def write_outputs(
    rows: Sequence[SweepRow], settings: Sequence[Setting], folder: Path
) -> tuple[Path, Path]:
    """sweep.csv (one row per variant, in variant order) and sweep.svg."""
    ordered = sorted(rows, key=lambda r: r.index)
    keys = [s.key for s in settings]
    table = folder / "sweep.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["variant", *keys, *COLUMNS, "error"])
        for row in ordered:
            cells = [row.estimates.get(c, "") for c in COLUMNS]
            writer.writerow([row.index, *(row.values[k] for k in keys), *cells, row.error])
    x_key = keys[0]
    series: dict[str, list[tuple[float, dict[str, Any]]]] = {}
    for row in ordered:
        x = _numeric(row.values[x_key])
        if x is None or row.error:
            continue
        label = ", ".join(f"{k}={row.values[k]}" for k in keys[1:]) or "all"
        series.setdefault(label, []).append((x, row.estimates))
    plot = folder / "sweep.svg"
    plot.write_text(sweep_plot_svg(x_key, series), encoding="utf-8")
    return table, plot
