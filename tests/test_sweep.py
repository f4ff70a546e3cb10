"""mbfab sweep: key paths, the variant grid, the CSV and the plot."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from mbfab.cli import main
from mbfab.errors import MbfabError
from mbfab.sweep import parse_setting, plan_variants

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "interdigital.yaml"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_parse_setting() -> None:
    setting = parse_setting("layers.1.thickness=1um, 2 um,3")
    assert setting.path == ("layers", 1, "thickness")
    assert setting.values == ("1um", "2 um", 3)
    with pytest.raises(MbfabError):
        parse_setting("design.gap")


def test_grid_of_variants_and_bad_paths(tmp_path: Path) -> None:
    settings = [parse_setting("design.gap=10um,20um"), parse_setting("design.fingers=2,3,4")]
    variants = plan_variants(RECIPE, settings, tmp_path)
    assert len(variants) == 6
    assert variants[5].values == {"design.gap": "20um", "design.fingers": 4}
    assert "gap: 20um" in variants[5].recipe_path.read_text()
    with pytest.raises(MbfabError, match="no 'nothing'"):
        plan_variants(RECIPE, [parse_setting("nothing.here=1")], tmp_path)


def test_sweep_command_writes_csv_and_plot(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["sweep", str(RECIPE), "--set", "design.gap=10um,40um", "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / "interdigital-sweep"
    rows = _rows(folder / "sweep.csv")
    assert [r["design.gap"] for r in rows] == ["10um", "40um"]
    # gap 10: comb width 20*100 + 19*10 = 2190, height 2*100 + 2500 + 10 = 2710;
    # electrode box 2180 x 2700 = 5 886 000 um2; one comb (2190-10)*90 + 10*90*2500 = 2 446 200
    # ratio = 2 * 2 446 200 / 5 886 000 = 0.831193
    assert float(rows[0]["active_area_ratio"]) == pytest.approx(0.831193, abs=1e-6)
    assert float(rows[1]["active_area_ratio"]) < float(rows[0]["active_area_ratio"])
    svg = (folder / "sweep.svg").read_text()
    assert svg.startswith("<svg") and svg.count("<polyline") == 3


def test_failed_variant_exits_2_and_keeps_the_table(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["sweep", str(RECIPE), "--set", "design.inset=5um,60um", "-o", str(tmp_path)]
    )
    assert result.exit_code == 2
    rows = _rows(tmp_path / "interdigital-sweep" / "sweep.csv")
    assert rows[0]["error"] == "" and "inset" in rows[1]["error"]
