"""The process traveler: steps per layer with numbers from the data files, overrides, errors."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from mbfab.cli import main
from mbfab.errors import RecipeError
from mbfab.output.process import Traveler, build_traveler
from mbfab.output.traveler import render_traveler
from mbfab.recipe import load_recipe

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "recipes" / "interdigital.yaml"


def _recipe(tmp_path: Path, layers: list[dict[str, Any]], **extra: Any) -> Path:
    """The example recipe with its layers replaced (collector/cathode/anode stay first)."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["layers"] = data["layers"][:3] + layers
    for key, value in extra.items():
        data[key] = value
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _layer(name: str, gds: int, **fields: Any) -> dict[str, Any]:
    base = {"name": name, "gds": [gds, 0], "role": "other", "thickness": 1.0}
    return {**base, **fields}


def _steps(traveler: Traveler, layer: str) -> dict[str, dict[str, Any]]:
    section = next(s for s in traveler.sections if s.layer.name == layer)
    return {s.kind: s.params for s in section.steps}


def _kinds(traveler: Traveler, layer: str) -> list[str]:
    section = next(s for s in traveler.sections if s.layer.name == layer)
    return [s.kind for s in section.steps]


def test_example_lists_every_layer_with_numbers_from_the_data() -> None:
    traveler = build_traveler(load_recipe(EXAMPLE))
    assert [s.layer.name for s in traveler.sections] == [
        "collector",
        "cathode",
        "anode",
        "electrolyte",
    ]
    for section in traveler.sections:
        kinds = [s.kind for s in section.steps]
        litho = ["spin-coat", "soft-bake", "exposure"]
        assert kinds[kinds.index("spin-coat") : kinds.index("spin-coat") + 3] == litho
        assert kinds.index("develop") > kinds.index("exposure")
        assert kinds[-2:] == ["deposition", "lift-off"]  # lift-off layers
    collector = _steps(traveler, "collector")
    # AZ nLOF 2020: 2 um at 2750 rpm (BYU); the data's law T = a * w^-0.5 passes through it.
    assert collector["spin-coat"]["speed_rpm"] == 2750
    assert collector["exposure"]["dose_mj_cm2"] == 75.0  # BYU 70-80 mJ/cm2
    assert collector["post-exposure-bake"] == {"temperature_c": 110.0, "time_s": 60}
    assert collector["develop"]["time_s"] == 60
    cathode = _steps(traveler, "cathode")
    # AZ 4562 law T = 392.1 * w^-0.5 (typical): w = (392.1 / 10)^2 = 1537.4 rpm.
    assert cathode["spin-coat"]["speed_rpm"] == round((392.1 / 10.0) ** 2)
    # 350 mJ/cm2 at 6.2 um, proportional to thickness: 350 * 10 / 6.2 = 564.5.
    assert cathode["exposure"]["dose_mj_cm2"] == pytest.approx(564.5, abs=0.05)
    # Soft bake 60 s + 60 s per um of a 10 um coat.
    assert cathode["soft-bake"]["time_s"] == 660
    electrolyte = _steps(traveler, "electrolyte")
    # 20 um is above one coat (12.4 um at 1000 rpm): two coats of 10 um.
    assert electrolyte["spin-coat"]["coats"] == 2
    assert electrolyte["spin-coat"]["speed_rpm"] == 1537
    assert cathode["deposition"]["method"] == "sputtering"  # recipe override
    assert not traveler.final


def test_s1813_speed_from_its_spin_curve(tmp_path: Path) -> None:
    layers = [
        _layer("a", 10, process="etch", resist="S1813", resist_thickness=1.3),
        _layer("b", 11, process="etch", resist="S1813", resist_thickness=1.6),
    ]
    traveler = build_traveler(load_recipe(_recipe(tmp_path, layers)))
    # Kayaku: 1.3 um at 4000 rpm is a point of the curve.
    assert _steps(traveler, "a")["spin-coat"]["speed_rpm"] == 4000
    # Between (1950 rpm, 2.0 um) and (4000 rpm, 1.3 um) the curve is a power law:
    # b = ln(1.3/2.0) / ln(4000/1950) = -0.59958; w = 1950 * (1.6/2.0)^(1/b) = 2829.3 rpm.
    b = math.log(1.3 / 2.0) / math.log(4000 / 1950)
    assert b == pytest.approx(-0.59958, abs=1e-5)
    assert _steps(traveler, "b")["spin-coat"]["speed_rpm"] == 2829
    # McGill dose table: 60 mJ/cm2 at 1.4 um, 90 at 2.0 um; linear: 60 + 30 * 0.2/0.6 = 70.
    assert _steps(traveler, "b")["exposure"]["dose_mj_cm2"] == pytest.approx(70.0)


def test_thickness_outside_the_spin_curve_is_a_located_error(tmp_path: Path) -> None:
    layers = [_layer("a", 10, process="etch", resist="S1813", resist_thickness=1.2)]
    with pytest.raises(RecipeError) as info:
        build_traveler(load_recipe(_recipe(tmp_path, layers)))
    message = str(info.value)
    assert "layers[3].resist_thickness" in message
    assert "r.yaml:" in message
    assert "1.30-2.00 um (1950-4000 rpm)" in message


def test_wavelength_the_resist_does_not_absorb_is_refused(tmp_path: Path) -> None:
    tool = {"kind": "maskless", "name": "MLA150", "wavelength": "405 nm"}
    with pytest.raises(RecipeError) as info:
        build_traveler(load_recipe(_recipe(tmp_path, [], tool=tool)))
    assert "tool.wavelength" in str(info.value)
    assert "AZ nLOF 2020" in str(info.value)


def test_dose_scales_with_wavelength_by_photon_count(tmp_path: Path) -> None:
    layers = [_layer("a", 10, process="etch", resist="AZ-1512HS", resist_thickness=1.3)]
    traveler = build_traveler(load_recipe(_recipe(tmp_path, layers)))
    step = next(s for s in traveler.sections[3].steps if s.kind == "exposure")
    # 90 mJ/cm2 at 436 nm (TDS) -> 365 nm: 90 * 436 / 365 = 107.5 mJ/cm2.
    assert step.params["dose_mj_cm2"] == pytest.approx(107.5, abs=0.05)
    assert any("calibrate" in note for note in step.notes)


def test_each_process_gets_its_own_steps(tmp_path: Path) -> None:
    layers = [
        _layer("etched", 10, process="etch", resist="S1813", material="Al"),
        _layer(
            "plated", 11, process="plating", resist="AZ-4562", thickness=8.0, resist_thickness=10
        ),
        _layer("frame", 12, process="permanent", resist="SU-8-2000", resist_thickness=10),
        _layer("trench", 13, process="substrate-etch", resist="AZ-4562", thickness=50),
        _layer("master", 14, process="mold", resist="SU-8-3000", resist_thickness=25),
        _layer("ir", 15, process="lift-off", resist="AZ-5214E-IR", thickness=0.1),
        _layer("sac", 16, role="sacrificial", process="permanent", resist="AZ-1512HS"),
    ]
    traveler = build_traveler(load_recipe(_recipe(tmp_path, layers)))
    etched = _kinds(traveler, "etched")
    assert etched[0] == "deposition" and etched.index("deposition") < etched.index("spin-coat")
    assert etched[-3:] == ["hard-bake", "etch", "strip"]
    plated = _kinds(traveler, "plated")
    assert plated[0] == "seed-deposition"
    assert plated[-4:] == ["descum", "electroplating", "strip", "seed-etch"]
    frame = _steps(traveler, "frame")
    assert _kinds(traveler, "frame")[-1] == "cure"
    assert frame["cure"] == {"temperature_c": 150.0, "time_s": 1800.0}  # SU-8 data
    # SU-8 2010 (10 um at 3000 rpm by its grade) is nearest the preferred 3000 rpm.
    assert frame["spin-coat"]["speed_rpm"] == 3000
    assert "2010" in str(frame["spin-coat"]["resist"])
    assert "post-exposure-bake" in frame
    assert _kinds(traveler, "trench")[-2:] == ["drie", "strip"]
    trench = next(s for s in traveler.sections if s.layer.name == "trench")
    # 50 um deep at 50:1 needs 1 um of resist; the typical 6.2 um is enough: no warning.
    assert trench.warnings == []
    assert _kinds(traveler, "master")[-3:] == ["cure", "silanize", "cast"]
    ir = _kinds(traveler, "ir")
    assert ir.index("exposure") < ir.index("image-reversal-bake") < ir.index("flood-exposure")
    assert ir.index("flood-exposure") < ir.index("develop")
    assert [s.kind for s in traveler.final] == ["release"]
    assert "sac" in traveler.final[0].action
    plated_section = next(s for s in traveler.sections if s.layer.name == "plated")
    assert plated_section.warnings == []  # 8 um in a 10 um mold; in a 6.2 um mold it warns:
    thick = [
        _layer("p", 11, process="plating", resist="AZ-4562", thickness=8.0, resist_thickness=6.2)
    ]
    warned = build_traveler(load_recipe(_recipe(tmp_path, thick)))
    assert "thicker than its 6.2 um resist mold" in warned.sections[3].warnings[0]


def test_overrides_change_skip_and_are_checked(tmp_path: Path) -> None:
    layers = [
        _layer(
            "a",
            10,
            process="etch",
            resist="S1813",
            traveler={
                "pretreatment": ["o2-plasma"],
                "steps": {"develop": {"time_s": 45}, "hard-bake": {"skip": True}},
            },
        )
    ]
    traveler = build_traveler(load_recipe(_recipe(tmp_path, layers)))
    kinds = _kinds(traveler, "a")
    assert "hard-bake" not in kinds and "solvent-clean" not in kinds
    assert kinds[1] == "o2-plasma"
    assert _steps(traveler, "a")["develop"]["time_s"] == 45
    bad = [
        _layer(
            "a",
            10,
            process="etch",
            resist="S1813",
            traveler={"pretreatment": ["hmsd"], "steps": {"devlop": {"time_s": 45}}},
        )
    ]
    with pytest.raises(RecipeError) as info:
        build_traveler(load_recipe(_recipe(tmp_path, bad)))
    text = str(info.value)
    assert (
        "layers[3].traveler.pretreatment[0]: unknown pretreatment 'hmsd' (did you mean 'hmds'?)"
        in text
    )
    assert "layers[3].traveler.steps.devlop" in text and "did you mean 'develop'?" in text


def test_markdown_and_html_traveler(tmp_path: Path) -> None:
    path = _recipe(tmp_path, [], description="<script>alert(1)</script> & co")
    traveler = build_traveler(load_recipe(path))
    text = render_traveler(traveler, "md")
    for number, name in enumerate(["collector", "cathode", "anode"], start=1):
        assert f"## {number}. Layer `{name}`" in text
    steps = sum(len(s.steps) for s in traveler.sections)
    assert text.count("| [ ] |") == steps
    assert "| 1.4 | [ ] | Spin coat AZ nLOF 2020 |" in text
    html = render_traveler(traveler, "html")
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert html.count('type="checkbox"') == steps
    assert html.count("<svg") == len(traveler.sections)


def test_cli_traveler_prints_markdown() -> None:
    result = CliRunner().invoke(main, ["traveler", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# Process traveler: dokko_lmo_lto")
    assert "plate collector.gds (DOKKO_LMO_LTO_COLLECTOR): data = chrome, clear field" in (
        result.output
    )
