"""`mbfab designs`: nested blocks expand into indented fields with units and defaults."""

from __future__ import annotations

from mbfab.recipe.describe import describe_params
from mbfab.recipe.design_params import HolesParams, InterdigitalParams


def _line(lines: list[str], start: str) -> str:
    (line,) = [line for line in lines if line.startswith(start + " ")]
    return line


def test_optional_posts_block_lists_its_fields_indented() -> None:
    lines = describe_params(InterdigitalParams)
    assert "optional block" in _line(lines, "posts")
    pitch = _line(lines, "  pitch")  # two spaces: a field of the posts block
    assert "length" in pitch and "default 10 um" in pitch
    electrodes = _line(lines, "  electrodes")
    assert "one of: cathode, anode, both" in electrodes and "default both" in electrodes


def test_region_block_shows_the_enclosing_default() -> None:
    lines = describe_params(HolesParams)
    assert _line(lines, "region").split()[1] == "block"
    size = _line(lines, "  size")
    assert "default [500 um, 500 um]" in size
    assert "one of: rectangle, circle, polygon" in _line(lines, "  shape")
    assert "int" in _line(lines, "vertices")  # int | None shown as int


def test_generated_recipe_reference_is_up_to_date() -> None:
    """docs/recipe-reference.md is what `python -m mbfab.recipe.reference` prints."""
    from pathlib import Path

    from mbfab.recipe.reference import reference_markdown

    path = Path(__file__).resolve().parents[1] / "docs" / "recipe-reference.md"
    assert path.read_text(encoding="utf-8") == reference_markdown(), (
        "regenerate: python -m mbfab.recipe.reference > docs/recipe-reference.md"
    )
