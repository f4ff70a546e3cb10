"""Estimates on the real generators of every 3D and roll kind: measured area gain against the
closed forms (numbers derived by hand below), perimeters against KLayout, roll stacks."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import klayout.db as kdb
import pytest

from mbfab.compile import compile_recipe, design_for
from mbfab.designs import DESIGNS, Device, RoleLayers
from mbfab.estimate import estimate_device
from mbfab.estimate.measured import measure
from mbfab.estimate.models3d import in_plane_posts, lattice_3d
from mbfab.estimate.rollmodel import roll_turns
from mbfab.layout import Layer, write_gds
from mbfab.recipe import LayerSpec, Recipe, load_recipe
from mbfab.recipe.design_params import (
    HolesParams,
    InterdigitalParams,
    PillarsParams,
    SwissRollParams,
    TrenchesParams,
)
from mbfab.recipe.schema import ROLES

RECIPES = Path(__file__).resolve().parents[1] / "recipes"
GDS = {role: index + 1 for index, role in enumerate(ROLES)}
ROLE_LAYERS = RoleLayers({role: [Layer(n, 0, role)] for role, n in GDS.items()})
SQUARE_400 = {"shape": "rectangle", "size": [400, 400]}


def _recipe(layers: list[tuple[str, float]], electrode: dict[str, Any] | None = None) -> Recipe:
    """A recipe with one layer per role (GDS number as in ROLE_LAYERS)."""
    specs = [
        LayerSpec.model_validate(
            {
                "name": role,
                "gds": [GDS[role], 0],
                "role": role,
                "thickness": thickness,
                "process": "etch",
                "resist": "AZ-4562",
                **({"electrode": electrode} if electrode and role == "cathode" else {}),
            }
        )
        for role, thickness in layers
    ]
    return Recipe.model_validate(
        {"mbfab": 1, "name": "t", "layers": specs, "design": {"kind": "interdigital"}}
    )


def _build(params: Any) -> Device:
    return DESIGNS[params.kind].build(params, ROLE_LAYERS)  # type: ignore[no-any-return]


def _klayout_perimeter(tmp_path: Path, device: Device, layer: int) -> float:
    """Outline length of one layer, merged and flattened by KLayout from the written GDS."""
    path = tmp_path / "d.gds"
    write_gds(device.cell, path)
    layout = kdb.Layout()
    layout.read(str(path))
    region = kdb.Region(layout.top_cell().begin_shapes_rec(layout.find_layer(layer, 0)))
    return float(region.merged().perimeter() * layout.dbu)


def _square_pillars() -> PillarsParams:
    """10 um round pillars at 20 um pitch, 50 um tall, in the 400 x 400 um region."""
    return PillarsParams.model_validate(
        {
            "lattice": "square",
            "size": 10,
            "pitch": 20,
            "depth": 50,
            "clearance": 0,
            "region": SQUARE_400,
        }
    )


def test_pillars_square_lattice(tmp_path: Path) -> None:
    # 400 x 400 um region, 10 um round pillars at 20 um pitch: 20 x 20 = 400 whole pillars,
    # 50 um tall. Closed form (domain-facts 5.1): 1 + pi 10 50 / 20^2 = 4.926991.
    device = _build(_square_pillars())
    recipe = _recipe([("etch-mask", 1.0), ("cathode", 1.0)])
    measured = measure(recipe, device)
    gain = lattice_3d(recipe, device, measured).area_gain
    assert gain is not None and device.closed_form["feature_count"] == 400
    assert gain["closed_form"] == pytest.approx(4.926991, rel=1e-5)
    # the drawn outline is a polygon inside the circle: a little shorter than pi d
    perimeter = _klayout_perimeter(tmp_path, device, GDS["etch-mask"])
    assert gain["measured_perimeter_um"] == pytest.approx(perimeter, rel=1e-4)  # 1 nm grid
    assert 400 * math.pi * 10 * 0.995 < perimeter < 400 * math.pi * 10
    assert gain["measured"] == pytest.approx(1 + perimeter * 50 / 160_000, rel=1e-4)
    assert gain["measured"] == pytest.approx(4.926991, rel=5e-3)


def test_blind_holes_hex_lattice() -> None:
    # hex lattice, pitch 20: rows 17.32 um apart; in 400 um (centres 5 um from the edge)
    # floor(390 / 17.32) + 1 = 23 rows, alternately 20 and 19 holes: 12*20 + 11*19 = 449.
    device = _build(
        HolesParams.model_validate(
            {
                "lattice": "hex",
                "size": 10,
                "pitch": 20,
                "depth": 50,
                "clearance": 0,
                "region": SQUARE_400,
            }
        )
    )
    recipe = _recipe([("etch-mask", 1.0), ("cathode", 1.0)])
    gain = lattice_3d(recipe, device, measure(recipe, device)).area_gain
    assert gain is not None and device.closed_form["feature_count"] == 449
    # closed form: 1 + pi 10 50 / (sqrt(3)/2 20^2) = 1 + 1570.80 / 346.41 = 5.534498
    assert gain["closed_form"] == pytest.approx(5.534498, rel=1e-5)
    # measured: 449 holes on 160 000 um2 instead of 461.9 unit cells: 2.8 % fewer walls
    walls = 449 * device.closed_form["feature_perimeter_um"] * 50
    assert gain["measured"] == pytest.approx(1 + walls / 160_000, rel=1e-5)
    assert gain["measured"] == pytest.approx(5.534498, rel=0.03)


def test_through_holes_count_both_faces() -> None:
    # square lattice, 400 holes of 10 um at 20 um through 300 um:
    # 2 - pi 10^2 / (2 20^2) + pi 10 300 / 20^2 = 2 - 0.392699 + 23.561945 = 25.169246
    device = _build(
        HolesParams.model_validate(
            {
                "through": True,
                "lattice": "square",
                "size": 10,
                "pitch": 20,
                "depth": 300,
                "clearance": 0,
                "region": SQUARE_400,
            }
        )
    )
    recipe = _recipe([("etch-mask", 1.0), ("cathode", 1.0)])
    geometry = lattice_3d(recipe, device, measure(recipe, device))
    gain = geometry.area_gain
    assert gain is not None and gain["through"]
    assert gain["closed_form"] == pytest.approx(25.169246, rel=1e-5)
    cf = device.closed_form
    faces = 2 * (160_000 - 400 * cf["feature_area_um2"])
    assert gain["measured"] == pytest.approx(
        (faces + 400 * cf["feature_perimeter_um"] * 300) / 160_000, rel=1e-6
    )
    assert gain["measured"] == pytest.approx(25.169246, rel=5e-3)
    # the conformal cathode coats both faces of its window (the region grown by the default
    # 50 um window margin less the 10 um electrode inset, round corners:
    # 480^2 - (4 - pi) 40^2 = 229 026.5 um2) and every wall
    window = 480**2 - (4 - math.pi) * 40**2
    _, fill, surface = geometry.volumes["cathode"]
    walls = 400 * cf["feature_perimeter_um"] * 300
    expected = 2 * (window - 400 * cf["feature_area_um2"]) + walls
    assert fill == "conformal" and surface == pytest.approx(expected, rel=1e-3)


def test_trenches() -> None:
    # 100 x 100 um, 2 um trenches at 5 um pitch, 10 um deep: 20 trenches of 100 um.
    # Closed form 1 + 2 h / p = 5. Drawn outlines also have their 2 um ends:
    # 20 x 2 x (100 + 2) = 4080 um of wall -> 1 + 4080 x 10 / 10 000 = 5.08.
    device = _build(
        TrenchesParams.model_validate(
            {
                "size": 2,
                "pitch": 5,
                "depth": 10,
                "clearance": 0,
                "region": {"shape": "rectangle", "size": [100, 100]},
            }
        )
    )
    recipe = _recipe([("etch-mask", 1.0), ("anode", 0.05)])
    gain = lattice_3d(recipe, device, measure(recipe, device)).area_gain
    assert gain is not None
    assert gain["closed_form"] == pytest.approx(5.0)
    assert gain["measured_perimeter_um"] == pytest.approx(4080.0)
    assert gain["measured"] == pytest.approx(5.08)


def test_filled_cathode_between_coated_pillars_and_the_scaffold() -> None:
    # 400 round pillars (drawn: area a, outline P) in 160 000 um2, 50 um tall, coated by a
    # 2 um electrolyte before the cathode fills the rest: each coated pillar occupies
    # a + 2 P + 4 pi (Steiner), the rest of the region x 50 um is the cathode.
    device = _build(_square_pillars())
    recipe = _recipe(
        [("etch-mask", 1.0), ("electrolyte", 2.0), ("cathode", 1.0)], electrode={"fill": "filled"}
    )
    geometry = lattice_3d(recipe, device, measure(recipe, device))
    a, p = device.closed_form["feature_area_um2"], device.closed_form["feature_perimeter_um"]
    coated = a + 2 * p + 4 * math.pi  # ~ pi 7^2 = 153.9 for a true circle
    assert coated == pytest.approx(math.pi * 49, rel=1e-2)
    volume, fill, _ = geometry.volumes["cathode"]
    assert fill == "filled" and volume == pytest.approx((160_000 - 400 * coated) * 50, rel=1e-5)
    # the filled cathode does not line the walls: only the 2 um electrolyte narrows the gaps
    assert geometry.area_gain is not None and geometry.area_gain["conformal_stack_um"] == 2.0


def test_posts_on_interdigital_fingers_split_by_electrode() -> None:
    params = InterdigitalParams.model_validate({"posts": {}})  # posts on both combs
    device = _build(params)
    recipe = _recipe([("collector", 0.2), ("etch-mask", 1.0), ("cathode", 1.0), ("anode", 1.0)])
    measured = measure(recipe, device)
    geometry = in_plane_posts(recipe, device, measured)
    cf, h = device.closed_form, params.posts.depth  # type: ignore[union-attr]
    # 10 congruent fingers per comb: half the posts stand on each electrode
    each = cf["post_count"] / 2 * cf["post_perimeter_um"]
    for role in ("cathode", "anode"):
        _, fill, surface = geometry.volumes[role]
        assert fill == "conformal"
        assert surface == pytest.approx(measured.area_um2[role] + each * h, rel=1e-5)
    gain = geometry.area_gain
    assert gain is not None and gain["measured"] == pytest.approx(gain["closed_form"], rel=1e-5)
    electrodes = measured.area_um2["cathode"] + measured.area_um2["anode"]
    assert gain["measured"] == pytest.approx(1 + 2 * each * h / electrodes, rel=1e-5)


def test_twin_roll_turn_leaves_out_the_flat_electrolyte() -> None:
    device = _build(SwissRollParams(twin=True))
    recipe = _recipe(
        [
            ("sacrificial", 2.0),
            ("swelling", 0.02),
            ("stiff", 0.02),
            ("collector", 0.1),
            ("cathode", 1.0),
            ("anode", 0.5),
            ("electrolyte", 20.0),
        ]
    )
    # one roll per electrode: 0.02 + 0.02 + 0.1 + its electrode; no sacrificial, no gel
    assert roll_turns(recipe, device) == [
        ("cathode", pytest.approx(1.14)),
        ("anode", pytest.approx(0.64)),
    ]
    single = _build(SwissRollParams())
    recipe = _recipe(
        [
            ("sacrificial", 2.0),
            ("swelling", 1.0),
            ("stiff", 1.0),
            ("collector", 0.1),
            ("cathode", 2.0),
            ("anode", 1.0),
            ("separator", 3.0),
        ]
    )
    # both stripes side by side under the separator: 1 + 1 + 0.1 + max(2, 1) + 3
    assert roll_turns(recipe, single) == [("cathode anode", pytest.approx(7.1))]


def _yaml_without(path: Path, drop_from: str, tmp_path: Path, extra: str = "") -> Path:
    """``path`` with the block starting at ``drop_from`` removed (until the next top-level key)."""
    lines, out, skipping = path.read_text().splitlines(), [], False
    for line in lines:
        if line.startswith(drop_from):
            skipping = True
            continue
        if skipping and line and not line.startswith((" ", "#")):
            skipping = False
        if not skipping:
            out.append(line)
    target = tmp_path / path.name
    target.write_text("\n".join(out) + "\n" + extra)
    return target


def test_roll_recipe_without_a_diameter_compiles_and_renders(tmp_path: Path) -> None:
    path = _yaml_without(RECIPES / "swissroll_zn_mno2.yaml", "estimate:", tmp_path)
    result = compile_recipe(path, tmp_path / "out")
    html = (result.output_dir / "report.html").read_text(encoding="utf-8")
    assert "Not rolled" in html and "no roll diameter" in html


def test_roll_from_the_mechanics_when_no_diameter_is_stated(tmp_path: Path) -> None:
    # hydrogel 1 um swelling by 1 % under a 1 um polyimide of the same modulus:
    # kappa = 3 (0 - 0.01) / (2 x 2 um) = -0.0075 /um, D0 = 2 / 0.0075 = 266.67 um.
    mechanics = (
        "estimate:\n  roll:\n    moduli_gpa: {hydrogel: 2.5, polyimide: 2.5}\n"
        "    strains: {hydrogel: 0.01}\n"
    )
    path = _yaml_without(RECIPES / "swissroll_zn_mno2.yaml", "estimate:", tmp_path, mechanics)
    loaded = load_recipe(path)
    roll = estimate_device(loaded, design_for(loaded))["roll"]
    assert roll["natural_diameter_um"] == pytest.approx(266.667, rel=1e-5)
    assert roll["diameter_source"].startswith("Timoshenko bilayer (hydrogel, polyimide)")
    # 3500 um of 7.1 um turns from D0 = 266.67: N = (-(D0 - t) + sqrt((D0 - t)^2 + 4 t L/pi))/(2t)
    d0, t = 2 / 0.0075, 7.1
    n = (-(d0 - t) + math.sqrt((d0 - t) ** 2 + 4 * t * 3500 / math.pi)) / (2 * t)
    assert roll["turns"] == pytest.approx(n, rel=1e-5)
    assert roll["outer_diameter_um"] == pytest.approx(d0 + 2 * t * n, rel=1e-5)


def test_3d_recipe_without_electrodes_uses_the_array_region(tmp_path: Path) -> None:
    text = (RECIPES / "trenches_notten.yaml").read_text()
    head, tail = text.split("  - name: anode", 1)
    path = tmp_path / "bare.yaml"
    path.write_text(head + "\ndesign:" + tail.split("\ndesign:", 1)[1])
    loaded = load_recipe(path)
    estimates = estimate_device(loaded, design_for(loaded))
    # region 1 mm x 1 mm
    assert estimates["footprint"]["basis"] == "region"
    assert estimates["footprint"]["area_mm2"] == pytest.approx(1.0)
    assert any("per-area figures use 'region'" in note for note in estimates["notes"])
