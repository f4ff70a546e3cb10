"""Command line: parses arguments, calls compile, turns errors into exit codes. Thin."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from mbfab import __version__
from mbfab.errors import MbfabError

__all__ = ["EXIT_BAD_INPUT", "EXIT_OK", "EXIT_VIOLATIONS", "main"]

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_BAD_INPUT = 2

F = TypeVar("F", bound=Callable[..., Any])


def _user_errors(func: F) -> F:
    """Report :class:`MbfabError` as one line per problem on stderr and exit 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MbfabError as exc:
            for line in exc.lines():
                click.echo(f"error: {line}", err=True)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mbfab")
def main() -> None:
    """mbfab: compile microbattery recipes into photomasks and a fabrication plan."""


@main.command("compile")
@click.argument("recipes", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "output",
    default=Path("masks"),
    show_default=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="output root folder",
)
@click.option("-q", "--quiet", is_flag=True, help="print nothing but errors")
@_user_errors
def compile_command(recipes: tuple[Path, ...], output: Path, quiet: bool) -> None:
    """Compile RECIPES into OUTPUT/<name>/ (one GDS per plate, combined GDS, report)."""
    from mbfab.compile import compile_recipe
    from mbfab.output import summary_lines

    for recipe in recipes:
        result = compile_recipe(recipe, output)
        if not quiet:
            for line in summary_lines(result.report):
                click.echo(line)
            click.echo(f"  compiled in {result.report['elapsed_s']:.2f} s")


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
@click.option(
    "-o",
    "--output",
    "output",
    default=Path("sweeps"),
    show_default=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="output root folder",
)
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="parallel processes")
@_user_errors
def sweep_command(recipe: Path, settings: tuple[str, ...], output: Path, jobs: int | None) -> None:
    """Compile variants of RECIPE and tabulate their estimates (CSV + SVG plot)."""
    from mbfab.sweep import parse_setting, plan_variants, run_sweep, write_outputs

    parsed = [parse_setting(text) for text in settings]
    folder = output / f"{recipe.stem}-sweep"
    variants = plan_variants(recipe, parsed, folder / "recipes")
    rows = []
    with click.progressbar(length=len(variants), label="compiling", file=sys.stderr) as bar:
        for row in run_sweep(variants, folder / "masks", jobs):
            rows.append(row)
            bar.update(1)
    table, plot = write_outputs(rows, parsed, folder)
    click.echo(f"{len(rows)} variants -> {table} and {plot}")
    failed = [row for row in rows if row.error]
    for row in sorted(failed, key=lambda r: r.index):
        click.echo(f"error: variant {row.index} {row.values}: {row.error}", err=True)
    if failed:
        sys.exit(EXIT_BAD_INPUT)


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
