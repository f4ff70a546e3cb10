"""Inputs no one meant: special files, oversized designs, absurd layouts, unit slips.

Each case comes from a measured finding: a FIFO or /dev/zero as recipe blocked or ran out of
memory; a die smaller than the device gave overlapping dies reported "DRC clean"; a +5 mm
bias merged every collector polygon into one, exit 0; a bare ``thickness: 200`` was taken
as 200 um of gold without a word.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import shapely
from click.testing import CliRunner

from mbfab.cli import main
from mbfab.compile import compile_recipe, design_for
from mbfab.errors import RecipeError
from mbfab.layout import layer_stats
from mbfab.recipe import load_recipe
from mbfab.recipe.budget import design_demand

from conftest import MINIMAL_RECIPE, RECIPES, deadline


def _cli(*args: str) -> tuple[int, str]:
    """Exit code and stderr of a command run in-process; a blocking read would trip the
    deadline instead of hanging the suite."""
    with deadline(30):
        result = CliRunner().invoke(main, list(args))
    assert not isinstance(result.exception, TimeoutError), "the command blocked"
    return result.exit_code, result.stderr


def _recipe(tmp_path: Path, text: str, name: str = "tiny.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_special_files_are_refused_by_their_type_without_reading(tmp_path: Path, kind: str) -> None:
    if kind == "fifo":
        target = tmp_path / "pipe.yaml"
        os.mkfifo(target)  # opening it for reading would block until a writer comes
    else:
        target = Path("/dev/zero")  # reading it never ends
    for args in (["compile", str(target), "-o", str(tmp_path)], ["check", str(target)]):
        code, stderr = _cli(*args)
        assert code == 2, stderr
        assert "not a regular file" in stderr and stderr.count("\n") == 1


def test_a_fifo_as_rule_deck_is_refused(tmp_path: Path) -> None:
    deck = tmp_path / "deck.yaml"
    os.mkfifo(deck)
    recipe = _recipe(tmp_path, MINIMAL_RECIPE)
    code, stderr = _cli("check", str(recipe), "--rules", str(deck))
    assert code == 2 and "is a FIFO (named pipe), not a regular file" in stderr


def test_a_recipe_over_the_size_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    recipe = _recipe(tmp_path, MINIMAL_RECIPE + "# " + "x" * 1_100_000 + "\n")
    result = CliRunner().invoke(main, ["compile", str(recipe), "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: {recipe}: is 1.1 MB, more than the 1 MB an input file of this kind may have"
    )


# --- absurd layouts are errors --------------------------------------------------------


def _compile_error(tmp_path: Path, text: str) -> str:
    recipe = _recipe(tmp_path, text)
    result = CliRunner().invoke(main, ["compile", str(recipe), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    (line,) = result.stderr.strip().splitlines()
    return line.removeprefix(f"error: {recipe}:")


def test_a_die_smaller_than_the_device_is_an_error_not_overlapping_dies(tmp_path: Path) -> None:
    wafer = "wafer:\n  diameter: 20 mm\n  flat: 5 mm\n  die: [100 um, 100 um]\n"
    line = _compile_error(tmp_path, MINIMAL_RECIPE + wafer)
    assert line.startswith("22:3: wafer.die: die 100 x 100 um is smaller than the device")
    assert line.endswith("neighbouring dies would overlap")


def test_a_wafer_where_no_die_fits_is_an_error(tmp_path: Path) -> None:
    text = MINIMAL_RECIPE + (
        "wafer:\n  diameter: 10 mm\n  flat: 0\n  edge_exclusion: 3 mm\n  die: [5 mm, 5 mm]\n"
    )
    line = _compile_error(tmp_path, text)
    assert line == (
        "23:3: wafer.die: no die of 5 x 5 mm fits the usable wafer (diameter 10 mm, edge "
        "exclusion 3 mm, flat 0 mm)"
    )


def test_an_array_region_smaller_than_one_trench_is_an_error(tmp_path: Path) -> None:
    text = MINIMAL_RECIPE.replace("role: collector", "role: etch-mask").replace(
        MINIMAL_RECIPE[MINIMAL_RECIPE.index("design:") : MINIMAL_RECIPE.index("output:")],
        "design:\n  kind: trenches\n  size: 2\n  pitch: 5\n  clearance: 10\n"
        "  region: {size: [3 um, 3 um]}\n",
    )
    text = "\n".join(line for line in text.splitlines() if "name: cat" not in line)
    text = "\n".join(line for line in text.splitlines() if "name: an," not in line) + "\n"
    line = _compile_error(tmp_path, text)
    assert line.endswith(
        "design.region: the region (rectangle, 3 x 3 um) holds no whole trench of 2 um with "
        "10 um clearance: the etch mask would be empty"
    )


def _biased(bias: str) -> str:
    return MINIMAL_RECIPE.replace(
        "output:\n", f"output:\n  bias: {{cc: {bias}}}\n"
    )  # the collector fingers stand gap = 10 um apart


@pytest.mark.parametrize(("bias", "closes"), [("9.8 um", False), ("10.2 um", True)])
def test_a_bias_that_closes_the_collector_gap_is_an_error(
    tmp_path: Path, bias: str, closes: bool
) -> None:
    """The two combs stand 10 um apart (``gap``): a +10.2 um bias moves each edge 5.1 um and
    joins them (a short on the mask); +9.8 um leaves 0.2 um."""
    recipe = _recipe(tmp_path, _biased(bias))
    result = CliRunner().invoke(main, ["compile", str(recipe), "-o", str(tmp_path / "out")])
    if not closes:
        assert result.exit_code in (0, 1), result.output
        return
    assert result.exit_code == 2
    assert "output.bias.cc: a CD bias of +10.2 um closes the 10 um space" in result.stderr
    assert "(2 separate pieces become 1)" in result.stderr


def test_the_shapes_estimate_bounds_what_is_drawn(tmp_path: Path) -> None:
    """The limit works from estimates: they must not undercount what the generators draw."""
    for name in ("si_posts_dunn", "holes_golodnitsky", "trenches_notten", "interdigital"):
        loaded = load_recipe(RECIPES / f"{name}.yaml")
        device = design_for(loaded)
        drawn = sum(
            layer_stats(device.cell, (spec.gds[0], spec.gds[1])).polygons
            for spec in loaded.recipe.layers
        )
        estimate = design_demand(loaded.recipe.design).shapes
        assert drawn <= estimate <= 3 * drawn + 400, (name, drawn, estimate)


def test_a_limit_is_a_setting_the_user_can_raise(tmp_path: Path) -> None:
    text = MINIMAL_RECIPE.replace("output:\n", "output:\n  max_shapes: 100\n")
    with pytest.raises(RecipeError) as caught:
        load_recipe(_recipe(tmp_path, text))
    (line,) = caught.value.lines()
    assert "design.fingers: the design asks for about 2.1e2 finger polygons" in line
    assert "more than output.max_shapes = 1e2" in line
    load_recipe(_recipe(tmp_path, text.replace("max_shapes: 100", "max_shapes: 1000")))


# --- unit slips -------------------------------------------------------------------------


def test_a_bare_thickness_of_gold_gets_a_unit_slip_warning(tmp_path: Path) -> None:
    text = MINIMAL_RECIPE.replace(
        "role: collector, thickness: 100 nm", "role: collector, material: Au, thickness: 200"
    )
    recipe = _recipe(tmp_path, text)
    result = CliRunner().invoke(main, ["compile", "-q", str(recipe), "-o", str(tmp_path)])
    warning = (
        "5:60: layers[0].thickness: 200 um of Au (collector) is outside the usual 10 nm to "
        "30 um: did you mean 200 nm?"
    )
    assert f"warning: {recipe}:{warning}" in result.stderr.splitlines()
    report = json.loads((tmp_path / "tiny" / "report.json").read_text(encoding="utf-8"))
    assert report["recipe"]["warnings"] == [f"tiny.yaml:{warning}"]


@pytest.mark.parametrize(
    "thickness", ["200 nm", "0.2", "2"], ids=["with-unit", "in-range", "plated"]
)
def test_no_warning_when_the_number_is_usual_or_has_its_unit(
    tmp_path: Path, thickness: str
) -> None:
    text = MINIMAL_RECIPE.replace("thickness: 100 nm", f"thickness: {thickness}", 1)
    assert load_recipe(_recipe(tmp_path, text)).warnings == ()


def test_the_example_recipes_draw_no_warning() -> None:
    for path in sorted(RECIPES.glob("*.yaml")):
        assert load_recipe(path).warnings == (), path.name


def test_compile_prints_one_rule_summary_line_matching_drc_json(tmp_path: Path) -> None:
    recipe = RECIPES / "interdigital.yaml"
    result = CliRunner().invoke(main, ["compile", str(recipe), "-o", str(tmp_path)])
    assert result.exit_code == 0
    summary = json.loads((tmp_path / "dokko_lmo_lto" / "drc.json").read_text())["summary"]
    lines = [line for line in result.stdout.splitlines() if line.strip().startswith("rules:")]
    assert lines == [
        f"  rules: {summary['rules']} checked, {summary['errors']} errors, "
        f"{summary['warnings']} warnings ({summary['violations']} violations) -> clean; "
        "details in drc.json, markers in drc.lyrdb"
    ]
    assert summary["warnings"] > 0  # the Dokko recipe warns: the line must say so
    assert "\r" not in result.stderr  # phases are shown on a terminal only


def test_bias_merge_is_found_in_hexagonal_arrays_too(tmp_path: Path) -> None:
    """Pillars 10 um wide at a 25 um hexagonal pitch stand 15 um apart: a +16 um bias joins
    neighbours of the two interleaved lattices (rows of each parity), found without
    expanding the array."""
    text = (RECIPES / "si_posts_dunn.yaml").read_text(encoding="utf-8")
    text = text.replace("output:\n", "output:\n  bias: {posts: 16 um}\n")
    with pytest.raises(RecipeError) as caught:
        compile_recipe(_recipe(tmp_path, text, "posts.yaml"), tmp_path / "out")
    (line,) = caught.value.lines()
    assert "output.bias.posts: a CD bias of +16 um closes the" in line
    gap = float(line.split("closes the ")[1].split(" um space")[0])
    # faceted circles (inscribed polygons) stand a little more than 15 um apart
    assert 15.0 <= gap < 15.2
    x, y = (float(v) for v in line.split(" at (")[1].split(") um")[0].split(", "))
    assert shapely.Point(x, y).within(shapely.box(-1000, -1000, 1000, 1000))
