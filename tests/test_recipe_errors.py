"""Every class of recipe error, one file per case: the message, its location, exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mbfab.cli import main
from mbfab.errors import RecipeError
from mbfab.recipe import load_recipe

from conftest import CASES

BAD = sorted((CASES / "bad_recipes").glob("*.yaml"))


def _expected(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [
        f"{path}:{line.removeprefix('# expect: ')}"
        for line in lines
        if line.startswith("# expect: ")
    ]


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_recipe_reports_every_problem_with_its_location(path: Path) -> None:
    expected = _expected(path)
    assert expected, f"{path.name} states no expected error"
    with pytest.raises(RecipeError) as caught:
        load_recipe(path)
    assert caught.value.lines() == expected


@pytest.mark.parametrize("path", BAD[:3], ids=[p.stem for p in BAD[:3]])
def test_cli_exit_code_two_one_line_no_traceback_nothing_written(
    path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "masks"
    result = CliRunner().invoke(main, ["compile", str(path), "-o", str(out)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.output.strip() == "\n".join(f"error: {line}" for line in _expected(path))
    assert not out.exists() or not any(out.iterdir())


def test_all_errors_of_a_file_are_reported_at_once(minimal_recipe: Path) -> None:
    text = minimal_recipe.read_text(encoding="utf-8")
    text = text.replace("  gap: 10", "  gapp: 10").replace(
        "finger_width: 20", "finger_width: 20 uu"
    )
    text = text.replace("resist: AZ-4562}", "resist: SU8}", 1)
    minimal_recipe.write_text(text, encoding="utf-8")
    with pytest.raises(RecipeError) as caught:
        load_recipe(minimal_recipe)
    keys = [line.split(": ")[1] for line in caught.value.lines()]
    assert keys == ["layers[1].resist", "design.finger_width", "design.gapp"]


def test_missing_file_is_a_located_error(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match=r"nope\.yaml: no such file"):
        load_recipe(tmp_path / "nope.yaml")


def test_a_valid_recipe_loads_in_micrometres(minimal_recipe: Path) -> None:
    loaded = load_recipe(minimal_recipe)
    assert loaded.recipe.layer("cc").thickness == pytest.approx(0.1)
    assert loaded.recipe.output.field_margin == 100.0
    assert loaded.recipe.design.effective_tip_gap == 10.0  # type: ignore[union-attr]
    assert len(loaded.sha256) == 64
