"""compile end to end: files, read-back by KLayout, determinism, atomic replacement."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import klayout.db as kdb
import pytest
from click.testing import CliRunner

from mbfab import __version__
from mbfab.cli import main
from mbfab.compile import CompileResult, compile_recipe
from mbfab.errors import OutputError
from mbfab.output import atomic, inside

from conftest import RECIPES


def _layers_in_file(path: Path) -> set[tuple[int, int]]:
    layout = kdb.Layout()
    layout.read(str(path))
    return {
        (info.layer, info.datatype)
        for index, info in zip(layout.layer_indexes(), layout.layer_infos(), strict=True)
        if not layout.top_cell().bbox_per_layer(index).empty()
    }


@pytest.mark.parametrize("recipe", sorted(RECIPES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_example_compiles_and_klayout_reads_every_plate(
    recipe: Path, compiled_examples: dict[str, CompileResult]
) -> None:
    result = compiled_examples[recipe.stem]
    declared = {layer.name: tuple(layer.gds) for layer in result.recipe.recipe.layers}
    for name, spec in declared.items():
        plate = result.output_dir / f"{name}.gds"
        layout = kdb.Layout()
        layout.read(str(plate))
        assert len(layout.top_cells()) == 1
        assert _layers_in_file(plate) == {spec}
    combined = result.output_dir / f"{result.recipe.recipe.name}.gds"
    assert _layers_in_file(combined) == set(declared.values())
    report = json.loads((result.output_dir / "report.json").read_text())
    assert report["recipe"]["sha256"] == result.recipe.sha256
    assert [p["layer"] for p in report["plates"]] == list(declared)


def test_same_recipe_gives_byte_identical_files(minimal_recipe: Path, tmp_path: Path) -> None:
    first = compile_recipe(minimal_recipe, tmp_path / "a").output_dir
    second = compile_recipe(minimal_recipe, tmp_path / "b").output_dir
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_failed_run_leaves_previous_outputs_untouched(
    minimal_recipe: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = compile_recipe(minimal_recipe, tmp_path).output_dir
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    marker = out / "user-notes.txt"
    marker.write_text("mine")
    minimal_recipe.write_text(minimal_recipe.read_text().replace("gap: 10", "gap: 14"))

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    import mbfab.compile

    monkeypatch.setattr(mbfab.compile, "write_json", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        compile_recipe(minimal_recipe, tmp_path)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p != marker} == before
    assert marker.read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny", "tiny.yaml"]  # no temp left


def test_output_folder_gets_the_usual_permissions(minimal_recipe: Path, tmp_path: Path) -> None:
    """The staging folder becomes the output: it must not keep mkdtemp's private 0o700."""
    plain = tmp_path / "plain"
    plain.mkdir()  # what any new folder gets under the current umask
    out = compile_recipe(minimal_recipe, tmp_path / "masks").output_dir
    assert stat.S_IMODE(out.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)


def test_successful_run_replaces_the_folder_whole(minimal_recipe: Path, tmp_path: Path) -> None:
    out = compile_recipe(minimal_recipe, tmp_path).output_dir
    (out / "stale.gds").write_bytes(b"old")
    compile_recipe(minimal_recipe, tmp_path)
    assert not (out / "stale.gds").exists()


@pytest.mark.parametrize("name", ["../evil", "a/b", "..", ""])
def test_names_cannot_escape_the_output_folder(tmp_path: Path, name: str) -> None:
    with pytest.raises(OutputError):
        inside(tmp_path, name)


def test_staged_directory_cleans_up_on_interrupt(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), atomic.staged_directory(tmp_path / "x") as staging:
        (staging / "half.gds").write_bytes(b"\0")
        raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_cli_version_help_and_designs() -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["--version"]).output.strip() == f"mbfab, version {__version__}"
    for args in (["--help"], ["compile", "--help"], ["designs", "--help"]):
        assert runner.invoke(main, args).exit_code == 0
    listing = runner.invoke(main, ["designs"])
    assert listing.exit_code == 0
    assert "interdigital:" in listing.output
    assert "finger_width" in listing.output and "50 um" in listing.output


def test_cli_compile_prints_a_summary(minimal_recipe: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["compile", str(minimal_recipe), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "tiny: 3 plates" in result.output
    quiet = CliRunner().invoke(main, ["compile", "-q", str(minimal_recipe), "-o", str(tmp_path)])
    assert quiet.exit_code == 0 and quiet.output == ""


def test_cli_usage_errors_exit_two(tmp_path: Path) -> None:
    assert CliRunner().invoke(main, ["compile"]).exit_code == 2
    assert CliRunner().invoke(main, ["nonsense"]).exit_code == 2
