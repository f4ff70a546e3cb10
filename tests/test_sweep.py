"""mbfab sweep: key paths, the variant grid, the CSV and the plot."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mbfab.cli import main
from mbfab.errors import MbfabError
from mbfab.output.sweep_plot import nice_ticks
from mbfab.sweep import parse_setting, plan_variants, run_sweep, write_outputs

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
    # Swept lengths are numbers in um, the unit in the column name.
    assert [r["design.gap_um"] for r in rows] == ["10", "40"]
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


def _sweep(tmp_path: Path, *arguments: str) -> Result:
    return CliRunner().invoke(
        main, ["sweep", str(RECIPE), *arguments, "-j", "1", "-o", str(tmp_path)]
    )


def test_rule_columns_marked_failures_and_strict_exit(tmp_path: Path) -> None:
    """A 0.3 um gap is below the contact aligner's resolution: that variant fails error
    rules. The table says so per variant, the plot draws it as a red cross (its capacity
    is the best of the sweep, which is exactly why it must not pass unmarked), and
    --strict makes the run fail."""
    plain = _sweep(tmp_path / "a", "--set", "design.gap=0.3um,20um")
    assert plain.exit_code == 0, plain.output
    assert "variant 0" in plain.output and "fails" in plain.output
    folder = tmp_path / "a" / "interdigital-sweep"
    narrow, wide = _rows(folder / "sweep.csv")
    assert int(narrow["rule_errors"]) >= 1 and int(narrow["rule_violations"]) > 0
    assert int(wide["rule_errors"]) == 0
    # The report of each variant holds the same counts as its row.
    report = json.loads((folder / "masks" / "dokko_lmo_lto_v000" / "report.json").read_text())
    assert int(narrow["rule_errors"]) == report["drc"]["errors"]
    assert int(narrow["rule_violations"]) == report["drc"]["violations"]
    svg = (folder / "sweep.svg").read_text()
    assert svg.count('class="fails-rules"') == 3  # one failing variant on each panel
    assert "fails a rule" in svg
    strict = _sweep(tmp_path / "b", "--set", "design.gap=0.3um,20um", "--strict")
    assert strict.exit_code == 1
    clean = _sweep(tmp_path / "c", "--set", "design.gap=20um,30um", "--strict")
    assert clean.exit_code == 0, clean.output


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            "design.gapp=10um",
            "--set design.gapp=10um: design.gapp: unknown key 'gapp' (did you mean 'gap'?)",
        ),
        ("design.gap.x=1", "--set design.gap.x: design.gap is a value ('20 um'), not a section"),
        ("design.gap=1um,[2", "--set design.gap: unclosed bracket or quote"),
        ("layers.9.thickness=1um", "--set layers.9.thickness: layers is a list of 4"),
    ],
)
def test_bad_settings_fail_at_once_located(tmp_path: Path, setting: str, message: str) -> None:
    """Key paths and values are checked before anything is compiled or written: one line
    naming the --set, exit 2, no traceback, no output folder."""
    result = _sweep(tmp_path, "--set", setting, "--set", "design.fingers=2,3")
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: {message}"), result.output
    assert "Traceback" not in result.output and "compiling" not in result.output
    assert not (tmp_path / "interdigital-sweep").exists()


def test_a_list_where_a_length_belongs_is_that_variants_error(tmp_path: Path) -> None:
    result = _sweep(tmp_path, "--set", "design.gap=[1,2],20um")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    bad, good = _rows(tmp_path / "interdigital-sweep" / "sweep.csv")
    assert "design.gap: expected a length" in bad["error"] and "v000.yaml:" in bad["error"]
    assert good["error"] == "" and good["rule_errors"] == "0"


def test_list_values_keep_their_commas() -> None:
    setting = parse_setting("design.pad=[500um, 400um],[300um,200um]")
    assert setting.values == (["500um", "400um"], ["300um", "200um"])


@pytest.mark.parametrize(
    ("lo", "hi", "ticks"),
    [
        # step: the first of 1, 2, 2.5, 5 x 10^k at least (hi - lo) / 4
        (0.0, 0.831193, [0.0, 0.25, 0.5, 0.75, 1.0]),  # 0.208 -> 0.25
        (0.0, 52.9994, [0.0, 20.0, 40.0, 60.0]),  # 13.2 -> 20
        (0.0, 1.18238, [0.0, 0.5, 1.0, 1.5]),  # 0.296 -> 0.5
        (3.0, 7.0, [3.0, 4.0, 5.0, 6.0, 7.0]),
    ],
)
def test_plot_ticks_are_round(lo: float, hi: float, ticks: list[float]) -> None:
    assert nice_ticks(lo, hi) == ticks


def test_plot_labels_are_round_numbers(tmp_path: Path) -> None:
    result = _sweep(tmp_path, "--set", "design.gap=10um,40um")
    assert result.exit_code == 0, result.output
    svg = (tmp_path / "interdigital-sweep" / "sweep.svg").read_text()
    labels = re.findall(r'text-anchor="end">([^<]+)</text>', svg)
    assert labels and all(len(label.replace("0.", "").strip("0")) <= 3 for label in labels), labels


def test_sweep_on_dask_equals_one_process(tmp_path: Path) -> None:
    """The same variants on an in-process Dask cluster of two workers give the same table,
    plot and files, byte for byte, as in this one process."""
    from dask.distributed import LocalCluster

    settings = [parse_setting("design.gap=10um,20um,40um"), parse_setting("design.fingers=2,3")]
    outputs = {}
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        for mode, scheduler, jobs in (
            ("serial", None, 1),
            ("dask", cluster.scheduler_address, None),
        ):
            folder = tmp_path / mode
            variants = plan_variants(RECIPE, settings, folder / "recipes")
            rows = list(run_sweep(variants, folder / "masks", jobs, scheduler))
            assert sorted(r.index for r in rows) == list(range(6))
            write_outputs(rows, settings, folder)
            outputs[mode] = {
                str(p.relative_to(folder)): p.read_bytes()
                for p in sorted(folder.rglob("*"))
                if p.is_file() and "recipes" not in p.parts
            }
    assert outputs["serial"] == outputs["dask"]
    assert len(outputs["serial"]) > 6 * 8  # every variant's plates, reports and travelers
