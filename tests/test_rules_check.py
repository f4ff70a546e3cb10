"""`mbfab check` and `mbfab compile` with rules: decks, recipes, reports, foreign files."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import gdstk
import pytest
import yaml
from click.testing import CliRunner

from mbfab.cli import main
from mbfab.compile import design_for
from mbfab.recipe import load_recipe
from mbfab.rules.from_recipe import check_device, resolution_um

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "interdigital.yaml"
SHARED = ROOT.parent.parent / "shared" / "gds"
if not SHARED.is_dir():
    SHARED = Path("/work/shared/gds")


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def _broken(tmp_path: Path, change: dict) -> Path:
    data = yaml.safe_load(RECIPE.read_text())
    for dotted, value in change.items():
        node = data
        *parents, last = dotted.split(".")
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[last] = value
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _failed(findings: list) -> set[str]:
    return {f.rule.id for f in findings if f.failed and f.rule.severity == "error"}


def test_example_recipe_compiles_clean_and_writes_reports(tmp_path: Path) -> None:
    code, _, err = _run("compile", str(RECIPE), "-o", str(tmp_path), "-q")
    assert code == 0, err
    out = tmp_path / "dokko_lmo_lto"
    report = json.loads((out / "drc.json").read_text())
    assert report["schema"] == "mbfab-drc/1" and report["summary"]["clean"]
    assert json.loads((out / "report.json").read_text())["drc"]["errors"] == 0
    rdb = pytest.importorskip("klayout.rdb")
    database = rdb.ReportDatabase("x")
    database.load(str(out / "drc.lyrdb"))
    assert database.num_items() == sum(len(r["markers"]) for r in report["results"])


def test_resolution_formula_worked_value() -> None:
    # domain-facts 3.1: 10 um resist in hard contact at 365 nm -> 1.5*sqrt(0.365*5) = 2.03 um.
    tool = load_recipe(RECIPE).recipe.tool
    assert resolution_um(tool, 10.0) == pytest.approx(2.0264, abs=1e-4)


def test_gap_too_small_fails_with_gap_rules(tmp_path: Path) -> None:
    # 1.5 um collector gap, no inset: electrodes 1.5 um apart < 2.03 um resolution of the
    # 10 um electrode resist; the gap also closes when 1 um thick electrodes grow sideways by
    # 1 um each; with no inset the electrodes sit on their collector edge (< 1 um overlay).
    # The collector itself prints: 1.5 um > 1.5*sqrt(0.365*1) = 0.91 um in 2 um nLOF.
    path = _broken(tmp_path, {"design.gap": "1.5 um", "design.inset": 0})
    loaded = load_recipe(path)
    failed = _failed(check_device(loaded, design_for(loaded).cell))
    assert {"GAP.CA.1", "GAP.CA.2", "ENC.CATHODE.1", "ENC.ANODE.1"} <= failed
    assert "RES.COLLECTOR.2" not in failed
    code, out, _ = _run("check", str(path))
    assert code == 1 and "GAP.CA.1" in out


def test_resist_too_thick_for_the_gap_fails_aspect_ratio(tmp_path: Path) -> None:
    # Both combs share the collector mask: its 2 um gap is an opening in 6 um of AZ nLOF 2020
    # (max aspect ratio 2 -> openings >= 3 um). The 100 um fingers still print.
    path = _broken(
        tmp_path,
        {"layers.0.resist_thickness": "6 um", "design.gap": "2 um", "design.inset": "2 um"},
    )
    loaded = load_recipe(path)
    findings = check_device(loaded, design_for(loaded).cell)
    failed = _failed(findings)
    assert "AR.COLLECTOR.2" in failed
    assert "AR.COLLECTOR.1" not in failed
    worst = next(f.worst for f in findings if f.rule.id == "AR.COLLECTOR.2")
    assert worst == pytest.approx(2.0)


def test_electrode_outside_its_collector_fails(tmp_path: Path) -> None:
    loaded = load_recipe(RECIPE)
    cell = design_for(loaded).cell
    cell.add(gdstk.rectangle((-300, -300), (-200, -200), layer=2))  # floating cathode piece
    failed = _failed(check_device(loaded, cell))
    assert {"ENC.CATHODE.1", "NET.CATHODE.1"} <= failed


def test_cathode_touching_anode_is_a_short(tmp_path: Path) -> None:
    loaded = load_recipe(RECIPE)
    cell = design_for(loaded).cell
    cell.add(gdstk.rectangle((100, 50), (300, 2700), layer=2))  # cathode across the fingers
    assert "SHORT.CA.1" in _failed(check_device(loaded, cell))


def test_wrong_wavelength_and_thin_liftoff_resist(tmp_path: Path) -> None:
    path = _broken(
        tmp_path,
        {
            "tool.kind": "maskless",
            "tool.wavelength": "405 nm",
            "tool.min_feature": "1 um",
            "layers.0.resist_thickness": "0.5 um",
        },
    )
    loaded = load_recipe(path)
    failed = _failed(check_device(loaded, design_for(loaded).cell))
    # AZ nLOF 2020 absorbs only 340-380 nm; 0.5 um resist < 5 x 150 nm film.
    assert {"TOOL.COLLECTOR.1", "LIFTOFF.COLLECTOR.1"} <= failed


def _write_deck(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "deck.yaml"
    path.write_text(text)
    return path


def test_deck_errors_are_located_and_exit_2(tmp_path: Path) -> None:
    deck = _write_deck(
        tmp_path,
        "mbfab-rules: 1\nlayers:\n  met1: [68, 20]\nrules:\n"
        "  - id: WIDTH.M1.1\n    kind: widht\n    layers: [met1]\n    value: 0.14 um\n"
        "  - id: bad id\n    kind: space\n    layers: [met2]\n    value: 1 parsec\n",
    )
    gds = SHARED / "sky130_fd_sc_hd" / "sky130_fd_sc_hd__inv_1.gds"
    code, _, err = _run("check", str(gds), "--rules", str(deck))
    assert code == 2
    assert f"{deck}:6:5: rules[0].kind: unknown kind 'widht' (did you mean 'width'?)" in err
    assert "rules[1].id" in err and "rules[1].layers[0]" in err and "rules[1].value" in err


def test_unwritable_lyrdb_is_a_user_error(tmp_path: Path) -> None:
    code, _, err = _run("check", str(RECIPE), "--lyrdb", str(tmp_path / "no" / "x.lyrdb"))
    assert code == 2
    assert err.startswith("error: cannot write ") and "Traceback" not in err


def test_corrupt_and_truncated_gds_exit_2(tmp_path: Path) -> None:
    good = (SHARED / "gdsfactory_tests" / "big_rect.gds").read_bytes() if SHARED.is_dir() else b""
    if not good:
        pytest.skip("shared GDS files absent")
    (tmp_path / "cut.gds").write_bytes(good[: len(good) // 2])
    (tmp_path / "junk.gds").write_bytes(b"not a layout at all")
    for name in ("cut.gds", "junk.gds"):
        code, _, err = _run("check", str(tmp_path / name))
        assert code == 2 and "GDSII" in err


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/gds absent")
def test_every_shared_file_checks_without_error() -> None:
    files = sorted(p for p in SHARED.rglob("*") if p.suffix in {".gds", ".oas"})
    assert files
    for path in files:
        code, out, err = _run("check", str(path), "--format", "json")
        assert code in (0, 1), (path, err)
        assert json.loads(out)["schema"] == "mbfab-drc/1"


SKY130_DECK = """mbfab-rules: 1
layers:
  met1: [68, 20]
rules:
  - id: WIDTH.M1.1
    kind: width
    layers: [met1]
    value: 0.14 um
    description: min width met1
    source: SkyWater SKY130 periphery rules m1.1 (docs/rules/periphery/p038-m1_dotdash.csv)
  - id: SPACE.M1.1
    kind: space
    layers: [met1]
    value: 0.14 um
    description: min space met1
    source: SkyWater SKY130 periphery rules m1.2
"""


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/gds absent")
@pytest.mark.parametrize("cell", ["inv_1", "nand2_1", "dfxtp_1"])
@pytest.mark.parametrize("value", [0.14, 0.2])
def test_sky130_met1_agrees_with_klayout(tmp_path: Path, cell: str, value: float) -> None:
    db = pytest.importorskip("klayout.db")
    gds = SHARED / "sky130_fd_sc_hd" / f"sky130_fd_sc_hd__{cell}.gds"
    deck = _write_deck(tmp_path, SKY130_DECK.replace("0.14 um", f"{value} um"))
    code, out, _ = _run("check", str(gds), "--rules", str(deck), "--format", "json")
    results = {r["id"]: r["count"] for r in json.loads(out)["results"]}
    layout = db.Layout()
    layout.read(str(gds))
    met1 = db.Region(layout.top_cell().begin_shapes_rec(layout.layer(68, 20))).merged()
    d = round(value * 1000)
    assert results["WIDTH.M1.1"] == met1.width_check(d).count()
    assert results["SPACE.M1.1"] == met1.space_check(d).count()
    # Published rules: all three cells are clean at 0.14 um (DRC_RULES_sky130.md).
    assert (code == 0) == (value == 0.14 or sum(results.values()) == 0)


def test_junit_and_table_output(tmp_path: Path) -> None:
    path = _broken(tmp_path, {"design.gap": "1.5 um", "design.inset": 0})
    code, out, _ = _run("check", str(path), "--format", "junit", "--max-markers", "3")
    assert code == 1
    suite = ET.fromstring(out)
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert cases["GAP.CA.1"].find("failure") is not None
    assert cases["GAP.CA.1"].find("failure") is not None and len(cases["GAP.CA.1"]) <= 3
    assert cases["VALID.CATHODE.1"].find("failure") is None
    code, out, _ = _run("check", str(path), "--max-markers", "2")
    assert code == 1 and out.splitlines()[0].startswith("rule")


def test_warnings_fail_only_when_strict() -> None:
    # The example recipe's positive AZ 4562 lift-off layers give warnings only.
    assert _run("check", str(RECIPE))[0] == 0
    assert _run("check", str(RECIPE), "--strict")[0] == 1
