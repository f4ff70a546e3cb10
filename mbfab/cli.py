"""Command line: parses arguments, calls compile, turns errors into exit codes. Thin."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from mbfab import __version__
from mbfab.errors import MbfabError, OutputError
from mbfab.files import MAX_LAYOUT_SHAPES

__all__ = ["EXIT_BAD_INPUT", "EXIT_INTERNAL", "EXIT_OK", "EXIT_VIOLATIONS", "main"]

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_BAD_INPUT = 2
#: An unexpected failure inside mbfab (a bug): never 1, which CI reads as "rule violations".
EXIT_INTERNAL = 3
#: Set to keep the traceback of an internal error (for bug reports).
DEBUG_VARIABLE = "MBFAB_DEBUG"

F = TypeVar("F", bound=Callable[..., Any])


def _user_errors(func: F) -> F:
    """Report :class:`MbfabError` as one line per problem on stderr and exit 2; anything
    else is an internal error: one line naming the command and its input, exit 3."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MbfabError as exc:
            for line in exc.lines():
                click.echo(f"error: {line}", err=True)
            sys.exit(exc.exit_code)
        except Exception as exc:  # a bug: still one line and a distinct exit code
            if os.environ.get(DEBUG_VARIABLE):
                raise
            inputs = [v for k, v in kwargs.items() if k not in _OUTPUT_ARGUMENTS]
            what = " ".join(str(p) for p in _paths(*args, *inputs))
            message = " ".join(str(exc).split()) or "(no message)"
            where = "".join(f" ({note})" for note in getattr(exc, "__notes__", []))
            click.echo(
                f"internal error in {func.__name__.removesuffix('_command')}"
                f"{' ' + what if what else ''}{where}: {type(exc).__name__}: {message} "
                f"(set {DEBUG_VARIABLE}=1 for the traceback; please report it)",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)

    return wrapper  # type: ignore[return-value]


#: Arguments that name where to write, not what was read.
_OUTPUT_ARGUMENTS = frozenset({"output", "lyrdb"})


def _paths(*values: Any) -> list[Path]:
    """The input paths among a command's arguments (for the internal-error line)."""
    found: list[Path] = []
    for value in values:
        if isinstance(value, Path):
            found.append(value)
        elif isinstance(value, tuple):
            found += _paths(*value)
    return found


def _warn(warnings: Sequence[object]) -> None:
    """Warnings go to stderr, one line each, whatever ``--quiet`` says (they may be typos)."""
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


@contextmanager
def _phases(recipe: Path, shown: bool) -> Iterator[Callable[[str], None]]:
    """Show the phase of a long compile on one self-erasing stderr line (a terminal only;
    pipes and logs get nothing)."""
    if not (shown and sys.stderr.isatty()):
        yield lambda phase: None
        return

    def show(phase: str) -> None:
        sys.stderr.write(f"\r\x1b[K{recipe.name}: {phase} ...")
        sys.stderr.flush()

    try:
        yield show
    finally:
        sys.stderr.write("\r\x1b[K")
        sys.stderr.flush()


_target_option = click.option(
    "--for",
    "target",
    type=click.Choice(["mask", "maskless"]),
    default=None,
    help="hand-off: mask-shop plates or flat maskless-writer files (default: from the recipe)",
)


def _output_option(default: Path) -> Callable[[F], F]:
    return click.option(
        "-o",
        "--output",
        "output",
        default=default,
        show_default=True,
        type=click.Path(path_type=Path, file_okay=False),
        help="output root folder",
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mbfab")
def main() -> None:
    """mbfab: compile microbattery recipes into photomasks and a fabrication plan."""


@main.command("compile")
@click.argument("recipes", nargs=-1, required=True, type=click.Path(path_type=Path))
@_output_option(Path("masks"))
@click.option("-q", "--quiet", is_flag=True, help="print nothing but errors")
@_target_option
@_user_errors
def compile_command(
    recipes: tuple[Path, ...], output: Path, quiet: bool, target: str | None
) -> None:
    """Compile RECIPES into OUTPUT/<name>/ (plates, combined GDS, report, traveler, order)."""
    from mbfab.compile import compile_recipe
    from mbfab.output import summary_lines
    from mbfab.rules import exit_status, to_table

    status = EXIT_OK
    for recipe in recipes:
        with _phases(recipe, shown=not quiet) as progress:
            result = compile_recipe(recipe, output, target, progress)
        _warn(result.recipe.warnings)
        if not quiet:
            for line in summary_lines(result.report):
                click.echo(line)
            click.echo(f"  compiled in {result.report['elapsed_s']:.2f} s")
        if exit_status(result.findings):
            status = EXIT_VIOLATIONS
            for line in to_table(result.findings):
                click.echo(line, err=True)
    sys.exit(status)


@main.command("check")
@click.argument("target", type=click.Path(path_type=Path))
@click.option("--rules", "deck", type=click.Path(path_type=Path), help="rule deck (YAML)")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "junit"]),
    default="table",
    show_default=True,
)
@click.option("--lyrdb", type=click.Path(path_type=Path), help="also write a KLayout .lyrdb")
@click.option("--max-markers", default=20, show_default=True, type=click.IntRange(0))
@click.option(
    "--max-shapes",
    default=MAX_LAYOUT_SHAPES,
    show_default=True,
    type=click.IntRange(1),
    help="refuse a layout that places more shapes (array copies counted)",
)
@click.option("--strict", is_flag=True, help="warnings fail too")
@_user_errors
def check_command(
    target: Path,
    deck: Path | None,
    fmt: str,
    lyrdb: Path | None,
    max_markers: int,
    max_shapes: int,
    strict: bool,
) -> None:
    """Check TARGET: a recipe (what compile would produce) or any GDSII/OASIS file."""
    from mbfab.compile import check_target
    from mbfab.rules import exit_status, to_json, to_junit, to_lyrdb, to_table

    findings, name, top, warnings = check_target(target, deck, max_markers, max_shapes)
    _warn(warnings)
    if fmt == "json":
        click.echo(to_json(findings, name), nl=False)
    elif fmt == "junit":
        click.echo(to_junit(findings, name), nl=False)
    else:
        for line in to_table(findings, max_markers):
            click.echo(line)
    if lyrdb is not None:
        try:
            lyrdb.write_text(to_lyrdb(findings, name, top), encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"cannot write {lyrdb}: {exc.strerror}") from None
    sys.exit(exit_status(findings, strict))


@main.command("traveler")
@click.argument("recipe", type=click.Path(path_type=Path))
@_target_option
@_user_errors
def traveler_command(recipe: Path, target: str | None) -> None:
    """Print the process traveler of RECIPE (Markdown) to stdout."""
    from mbfab.compile import traveler_text

    click.echo(traveler_text(recipe, target), nl=False)


@main.command("sweep")
@click.argument("recipe", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--set",
    "settings",
    multiple=True,
    required=True,
    metavar="KEY=V1,V2,...",
    help="recipe key path and values, e.g. design.gap=10um,20um,40um (repeat for a grid)",
)
@_output_option(Path("sweeps"))
@click.option(
    "-j", "--jobs", type=click.IntRange(min=1), default=None, help="local worker processes"
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="run the variants on the Dask cluster of this scheduler (tcp://host:8786; "
    "default: $MBFAB_SCHEDULER, else a local cluster)",
)
@click.option("--strict", is_flag=True, help="exit 1 when any variant fails an error rule")
@_user_errors
def sweep_command(
    recipe: Path,
    settings: tuple[str, ...],
    output: Path,
    jobs: int | None,
    scheduler: str | None,
    strict: bool,
) -> None:
    """Compile variants of RECIPE and tabulate estimates and rule results (CSV + SVG plot)."""
    from mbfab.sweep import parse_setting, plan_variants, run_sweep, write_outputs

    parsed = [parse_setting(text) for text in settings]
    folder = output / f"{recipe.stem}-sweep"
    variants = plan_variants(recipe, parsed, folder / "recipes")
    rows = []
    with click.progressbar(length=len(variants), label="compiling", file=sys.stderr) as bar:
        for row in run_sweep(variants, folder / "masks", jobs, scheduler):
            rows.append(row)
            bar.update(1)
    units = variants[0].units if variants else "um"
    table, plot = write_outputs(rows, parsed, folder, units)
    click.echo(f"{len(rows)} variants -> {table} and {plot}")
    ordered = sorted(rows, key=lambda r: r.index)
    for row in ordered:
        if row.fails_rules:
            click.echo(
                f"{'error' if strict else 'warning'}: variant {row.index} {row.values} fails "
                f"{row.rules['rule_errors']} error rule(s) "
                f"({row.rules['rule_violations']} violations)",
                err=True,
            )
    failed = [row for row in ordered if row.error]
    for row in failed:
        click.echo(f"error: variant {row.index} {row.values}: {row.error}", err=True)
    if failed:
        sys.exit(EXIT_BAD_INPUT)
    if strict and any(row.fails_rules for row in rows):
        sys.exit(EXIT_VIOLATIONS)


@main.command("init")
@click.argument("kind")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="where to write it (default: KIND.yaml here)",
)
@click.option("--force", is_flag=True, help="replace an existing file")
@_user_errors
def init_command(kind: str, output: Path | None, force: bool) -> None:
    """Write a commented starter recipe of design KIND (interdigital, stacked, pillars,
    holes, trenches, swiss-roll) that compiles as it stands."""
    from mbfab.output.schemas import schema_path
    from mbfab.recipe.starters import starter_text

    text = starter_text(kind, schema_path("recipe").as_uri())
    path = output or Path(f"{kind}.yaml")
    if path.exists() and not force:
        raise OutputError(f"{path} exists; choose another name with -o or use --force")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    click.echo(f"wrote {path}; compile it with: mbfab compile {path}")


@main.command("schema")
@click.argument("name", type=click.Choice(["recipe", "report", "order", "drc"]))
@_user_errors
def schema_command(name: str) -> None:
    """Print the JSON Schema of a recipe or of report.json, order.json or drc.json.

    Editors validate recipes with it through the YAML language server: put
    `# yaml-language-server: $schema=recipe.schema.json` at the top of a recipe.
    """
    from mbfab.output.schemas import shipped_schema

    click.echo(shipped_schema(name), nl=False)


@main.command("designs")
@_user_errors
def designs_command() -> None:
    """List the design kinds with their parameters, units and defaults."""
    from mbfab.designs import DESIGNS
    from mbfab.recipe.describe import describe_params

    for kind in DESIGNS.values():
        click.echo(f"{kind.kind}: {kind.summary}")
        roles = ", ".join(kind.params.required_roles) or "-"
        click.echo(f"  layer roles: {roles}")
        for line in describe_params(kind.params):
            click.echo(f"  {line}")
        click.echo("")
