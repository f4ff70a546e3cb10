"""Parameter sweeps: compile variants of one recipe and tabulate their estimates and rules.

``--set design.gap=10um,20um,40um`` sets a key path of the recipe (dots between keys, list
indices as numbers: ``layers.1.thickness``) to each value in turn; several ``--set`` make the
Cartesian product. Every variant is written as a recipe file beside its masks (each row of
the table can be recompiled on its own) and validated before anything is compiled, so a
typo in a key path fails at once.

Variants run on Dask (``dask.distributed``): a local cluster of worker processes by
default, or the cluster whose scheduler address is given (``--scheduler``, or the
``MBFAB_SCHEDULER`` variable). A task gets the variant's recipe text and returns its output
files, so workers need no shared folder; the files and the table are the same bytes as a
run in one process.
"""

from __future__ import annotations

import copy
import csv
import itertools
import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mbfab.compile import compile_recipe
from mbfab.errors import InputError, MbfabError, RecipeError, UnitError, format_key_path
from mbfab.output.atomic import staged_directory
from mbfab.output.sweep_plot import sweep_plot_svg
from mbfab.recipe.loader import load_recipe
from mbfab.recipe.yamlsource import load_yaml
from mbfab.units import LENGTH_UNITS_UM, parse_length

__all__ = [
    "COLUMNS",
    "RULE_COLUMNS",
    "SCHEDULER_VARIABLE",
    "Setting",
    "SweepInputError",
    "SweepRow",
    "Variant",
    "compile_variant",
    "parse_setting",
    "plan_variants",
    "run_sweep",
    "write_outputs",
]

#: Estimate columns of sweep.csv (the unit is in the name), after the variant and swept keys.
COLUMNS = (
    "footprint_mm2",
    "active_area_ratio",
    "capacity_uah",
    "areal_capacity_uah_cm2",
    "energy_uwh",
    "areal_energy_uwh_cm2",
)
#: Rule columns: rules with violations by severity, and violations in all.
RULE_COLUMNS = ("rule_errors", "rule_warnings", "rule_violations")
#: Environment variable naming a Dask scheduler (``tcp://host:8786``).
SCHEDULER_VARIABLE = "MBFAB_SCHEDULER"


class SweepInputError(MbfabError):
    """Every problem of the ``--set`` values at once, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems

    def lines(self) -> list[str]:
        return list(self.problems)


@dataclass(frozen=True)
class Setting:
    """One ``--set key.path=v1,v2,...``."""

    path: tuple[str | int, ...]
    values: tuple[Any, ...]

    @property
    def key(self) -> str:
        return ".".join(str(p) for p in self.path)


def parse_setting(text: str) -> Setting:
    """``design.gap=10um,20um`` -> path ('design', 'gap'), values ('10um', '20um').

    Values are YAML scalars or flow lists (``design.pad=[500um,400um]``): commas inside
    brackets belong to the value.
    """
    key, sep, values = text.partition("=")
    if not sep or not key.strip() or not values.strip():
        raise MbfabError(f"--set {text!r}: expected key.path=value[,value...]")
    parts = key.strip().split(".")
    if any(not p.strip() for p in parts):
        raise MbfabError(f"--set {key.strip()}: empty key in the path")
    path = tuple(int(p) if p.isdigit() else p.strip() for p in parts)
    parsed = []
    for raw in _split_values(values, key.strip()):
        try:
            parsed.append(yaml.safe_load(raw))
        except yaml.YAMLError as exc:
            reason = " ".join(str(getattr(exc, "problem", "") or "not valid YAML").split())
            raise MbfabError(f"--set {key.strip()}: cannot read value {raw!r} ({reason})") from None
    return Setting(path, tuple(parsed))


def _split_values(text: str, key: str) -> list[str]:
    """Split on commas outside brackets and quotes."""
    values, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth < 0:
                raise MbfabError(f"--set {key}: unbalanced {char!r} in {text!r}")
        elif char == "," and depth == 0:
            values.append(text[start:i].strip())
            start = i + 1
    if depth or quote:
        raise MbfabError(f"--set {key}: unclosed bracket or quote in {text!r}")
    values.append(text[start:].strip())
    if any(not v for v in values):
        raise MbfabError(f"--set {key}: empty value in {text!r}")
    return values


def _assign(data: Any, setting: Setting, value: Any) -> None:
    """Set ``setting.path`` in ``data`` to ``value``; the sections on the way must exist."""
    node: Any = data
    for depth, key in enumerate(setting.path):
        part: Any = key
        where = ".".join(str(p) for p in setting.path[:depth]) or "the recipe"
        if not isinstance(node, dict | list):
            raise MbfabError(
                f"--set {setting.key}: {where} is a value ({node!r}), not a section with keys"
            )
        if isinstance(node, list) and not (isinstance(part, int) and part < len(node)):
            raise MbfabError(
                f"--set {setting.key}: {where} is a list of {len(node)}; {part!r} is not one "
                "of its indices"
            )
        if depth == len(setting.path) - 1:
            node[part] = value
        elif isinstance(node, dict) and part not in node:
            raise MbfabError(f"--set {setting.key}: {where} has no {part!r}")
        else:
            node = node[part]


@dataclass(frozen=True)
class Variant:
    """One point of the sweep grid: its number, the values set, its recipe file and text."""

    index: int
    values: dict[str, Any]
    recipe_path: Path
    text: str
    #: The recipe's unit of bare lengths.
    units: str = "um"


def plan_variants(recipe: Path, settings: Sequence[Setting], work: Path) -> list[Variant]:
    """One recipe file per combination of values, in ``work``, each validated first
    (schema and catalogues, nothing built): a key path the recipe language does not know
    is an error before any file is written or variant compiled."""
    document = load_yaml(recipe)
    base = document.data
    if not isinstance(base, dict):
        raise MbfabError(f"{recipe}: not a recipe")
    units = base.get("units", "um")
    units = units if isinstance(units, str) else "um"
    planned = []
    for index, combo in enumerate(itertools.product(*(s.values for s in settings))):
        data = copy.deepcopy(base)
        for setting, value in zip(settings, combo, strict=True):
            _assign(data, setting, value)
        data["name"] = f"{base.get('name', 'recipe')}_v{index:03d}"
        values = {s.key: v for s, v in zip(settings, combo, strict=True)}
        text = yaml.safe_dump(data, sort_keys=False)
        planned.append(Variant(index, values, work / f"{data['name']}.yaml", text, units))
    _validate(planned, settings)
    work.mkdir(parents=True, exist_ok=True)
    for variant in planned:
        variant.recipe_path.write_text(variant.text, encoding="utf-8")
    return planned


def _validate(variants: Sequence[Variant], settings: Sequence[Setting]) -> None:
    problems: dict[str, None] = {}  # ordered, unique
    with tempfile.TemporaryDirectory(prefix="mbfab-sweep-") as tmp:
        for variant in variants:
            path = Path(tmp) / variant.recipe_path.name
            path.write_text(variant.text, encoding="utf-8")
            try:
                load_recipe(path)
            except RecipeError as exc:
                # Keys the recipe language does not know stop the sweep; a refused value
                # is that variant's error in the table (others may be fine).
                for problem in exc.problems:
                    if problem.message.startswith("unknown key"):
                        problems[_located(problem, variant, settings)] = None
    if problems:
        raise SweepInputError(list(problems))


def _located(problem: InputError, variant: Variant, settings: Sequence[Setting]) -> str:
    """A recipe problem named by the ``--set`` that caused it (or as in the base recipe)."""
    path = tuple(str(p) for p in problem.location.key_path)
    for setting in settings:
        key = tuple(str(p) for p in setting.path)
        if path[: len(key)] == key or key[: len(path)] == path:
            value = _text(variant.values[setting.key])
            where = format_key_path(problem.location.key_path)
            return f"--set {setting.key}={value}: {where}: {problem.message}"
    return str(problem)


def _text(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


@dataclass(frozen=True)
class SweepRow:
    """One compiled variant (or its error)."""

    index: int
    values: dict[str, Any]
    estimates: dict[str, Any]
    error: str = ""
    rules: dict[str, int] = field(default_factory=dict)

    @property
    def fails_rules(self) -> bool:
        """The variant violates an error rule."""
        return self.rules.get("rule_errors", 0) > 0


@dataclass(frozen=True)
class Compiled:
    """What one task hands back: the row and the variant's output files (name -> bytes)."""

    row: SweepRow
    name: str
    files: dict[str, bytes]


def compile_variant(variant: Variant) -> Compiled:
    """Compile one variant in a private folder; return its row and its files (a Dask task:
    it reads nothing but its argument and writes nothing the caller sees)."""
    name = variant.recipe_path.stem
    with tempfile.TemporaryDirectory(prefix="mbfab-sweep-") as tmp:
        path = Path(tmp) / variant.recipe_path.name
        path.write_text(variant.text, encoding="utf-8")
        try:
            result = compile_recipe(path, Path(tmp) / "out")
        except MbfabError as exc:
            lines = [line.replace(str(path), str(variant.recipe_path)) for line in exc.lines()]
            return Compiled(SweepRow(variant.index, variant.values, {}, "; ".join(lines)), name, {})
        files = {f.name: f.read_bytes() for f in sorted(result.output_dir.iterdir())}
        name = result.output_dir.name
    report = result.report
    est = report["estimates"]
    cell = est["cell"]
    row = {
        "footprint_mm2": est["footprint"]["area_mm2"],
        "active_area_ratio": est["areas"]["active_area_ratio"][est["footprint"]["basis"]],
        "capacity_uah": cell.get("capacity_uah"),
        "areal_capacity_uah_cm2": cell.get("areal_capacity_uah_cm2"),
        "energy_uwh": cell.get("energy_uwh"),
        "areal_energy_uwh_cm2": cell.get("areal_energy_uwh_cm2"),
    }
    drc = report["drc"]
    rules = {
        "rule_errors": int(drc["errors"]),
        "rule_warnings": int(drc["warnings"]),
        "rule_violations": int(drc["violations"]),
    }
    return Compiled(SweepRow(variant.index, variant.values, row, rules=rules), name, files)


def _store(compiled: Compiled, masks: Path) -> SweepRow:
    """Write a variant's files under ``masks/<name>/`` (atomically, as compile does)."""
    if compiled.files:
        with staged_directory(masks / compiled.name) as staging:
            for name, data in compiled.files.items():
                (staging / name).write_bytes(data)
    return compiled.row


def run_sweep(
    variants: Sequence[Variant],
    masks: Path,
    jobs: int | None = None,
    scheduler: str | None = None,
) -> Iterator[SweepRow]:
    """Compile ``variants``; yield each row as it finishes (the caller counts progress).

    With ``scheduler`` (or :data:`SCHEDULER_VARIABLE` set) the variants run on that Dask
    cluster; else on a local Dask cluster of ``jobs`` worker processes (default: one per
    core), or in this process when there is one job or one variant.
    """
    address = scheduler or os.environ.get(SCHEDULER_VARIABLE) or None
    workers = min(len(variants), jobs or os.cpu_count() or 1)
    if address is None and workers <= 1:
        for variant in variants:
            yield _store(compile_variant(variant), masks)
        return
    yield from _on_dask(variants, masks, address, workers)


def _on_dask(
    variants: Sequence[Variant], masks: Path, address: str | None, workers: int
) -> Iterator[SweepRow]:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    try:
        if address is None:
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
        client = Client(cluster if cluster is not None else address, timeout="30s")
    except OSError as exc:
        if cluster is not None:
            cluster.close()
        raise MbfabError(f"cannot reach the Dask scheduler {address}: {exc}") from None
    try:
        futures = client.map(compile_variant, list(variants), pure=False)
        for future in as_completed(futures):
            yield _store(future.result(), masks)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _length_columns(rows: Sequence[SweepRow], settings: Sequence[Setting], units: str) -> set[str]:
    """Swept keys whose values are lengths with a unit (written as numbers in um)."""
    found = set()
    for s in settings:
        values = [r.values[s.key] for r in rows]
        if not any(isinstance(v, str) for v in values):
            continue
        try:
            for v in values:
                parse_length(v, units)
        except UnitError:
            continue
        found.add(s.key)
    return found


def _number(value: float) -> str:
    return format(value, ".12g")


def write_outputs(
    rows: Sequence[SweepRow], settings: Sequence[Setting], folder: Path, units: str = "um"
) -> tuple[Path, Path]:
    """sweep.csv (one row per variant, in variant order) and sweep.svg.

    Swept lengths are numbers in um (the column named ``<key>_um``); estimate columns carry
    their unit in the name; rule columns count error and warning rules with violations, and
    violations in all. ``units`` is the recipe's unit of bare numbers.
    """
    units = units if units in LENGTH_UNITS_UM else "um"
    ordered = sorted(rows, key=lambda r: r.index)
    keys = [s.key for s in settings]
    lengths = _length_columns(ordered, settings, units)
    headers = [f"{k}_um" if k in lengths else k for k in keys]

    def swept(row: SweepRow, key: str) -> Any:
        value = row.values[key]
        return _number(parse_length(value, units)) if key in lengths else value

    table = folder / "sweep.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["variant", *headers, *COLUMNS, *RULE_COLUMNS, "error"])
        for row in ordered:
            cells = [_cell(row.estimates.get(c)) for c in COLUMNS]
            rules = [row.rules.get(c, "") for c in RULE_COLUMNS]
            writer.writerow([row.index, *(swept(row, k) for k in keys), *cells, *rules, row.error])
    x_key = keys[0]
    series: dict[str, list[tuple[float, dict[str, Any], bool]]] = {}
    for row in ordered:
        x = _axis_value(row.values[x_key], units)
        if x is None or row.error:
            continue
        label = ", ".join(f"{k}={row.values[k]}" for k in keys[1:]) or "all"
        series.setdefault(label, []).append((x, row.estimates, row.fails_rules))
    plot = folder / "sweep.svg"
    plot.write_text(sweep_plot_svg(x_key, series, "um" if x_key in lengths else ""), "utf-8")
    return table, plot


def _cell(value: Any) -> Any:
    return "" if value is None else value


def _axis_value(value: Any, units: str) -> float | None:
    """A swept value as a number for the plot axis (lengths in um)."""
    try:
        return parse_length(value, units)
    except UnitError:
        return None
