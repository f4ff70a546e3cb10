"""Every example recipe checks clean; broken copies of each fail with the expected rule IDs.

Broken copies are the example's YAML text with a few lines replaced (each replaced line must
exist, so a changed example fails here loudly instead of silently testing nothing). The
generators never draw an electrode outside its collector for parameters they accept, so an
electrode *outside* its collector is the built device with that electrode's mask shifted,
as a misaligned plate would print it. Expected values are derived by hand in the comments:
resolution b = 1.5 * sqrt(0.365 um * (gap + d/2)) in hard contact (gap 0) for d um of resist,
aspect-ratio minimum = d / max_aspect_ratio (mbfab/data/resists.yaml).

Round features: width checks follow KLayout's Euclidean semantics, under which a faceted
circle of diameter D passes any width up to D sin 45 deg (tests/test_rules_geometry.py). The
breaks below keep every round feature either clearly above or clearly below its limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import gdstk
import numpy as np
import pytest
from click.testing import CliRunner

from mbfab.cli import main
from mbfab.compile import CompileResult, check_target, compile_recipe, design_for
from mbfab.errors import RecipeError
from mbfab.recipe import load_recipe
from mbfab.rules import Finding
from mbfab.rules.from_recipe import check_device

RECIPES = Path(__file__).resolve().parents[1] / "recipes"

#: Warnings each example keeps on purpose, with the reason. Every other warning fails.
ALLOWED_WARNINGS: dict[str, dict[str, str]] = {
    "interdigital": {
        rule: "10 um of positive AZ 4562 over 1 um sputtered films (10x, the sputtering "
        "guideline) but no undercut profile: a real lift-off risk the user should see. The "
        "published cell (Dokko 2007) micro-injected its electrodes; the library's thick "
        "negative alternative (KMPR) has no datasheet values, so the sourced resist stays."
        for rule in ("LIFTOFF.CATHODE.2", "LIFTOFF.ANODE.2", "LIFTOFF.ELECTROLYTE.2")
    },
}
EXAMPLES = sorted(path.stem for path in RECIPES.glob("*.yaml"))


def _errors(findings: list[Finding]) -> set[str]:
    return {f.rule.id for f in findings if f.failed and f.rule.severity == "error"}


def _warnings(findings: list[Finding]) -> set[str]:
    return {f.rule.id for f in findings if f.failed and f.rule.severity == "warning"}


def test_the_examples_are_all_here() -> None:
    assert EXAMPLES == [
        "cmems_posts",
        "holes_golodnitsky",
        "interdigital",
        "si_posts_dunn",
        "stacked_lco_li",
        "swissroll_twin",
        "swissroll_zn_mno2",
        "trenches_notten",
    ]


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_checks_clean(name: str) -> None:
    findings = check_target(RECIPES / f"{name}.yaml").findings
    assert _errors(findings) == set()
    assert _warnings(findings) == set(ALLOWED_WARNINGS.get(name, {}))


@dataclass(frozen=True)
class Broken:
    """A broken copy of an example: line edits, an optional mask shift, expected rule IDs."""

    recipe: str
    why: str
    edits: tuple[tuple[str, str], ...] = ()
    shift: tuple[str, float, float] | None = None  # layer name, dx, dy (um)
    fails: frozenset[str] = frozenset()
    passes: frozenset[str] = frozenset()  # rules the break must not trip (it is targeted)


def _b(
    recipe: str,
    why: str,
    *,
    fails: set[str],
    passes: set[str] | None = None,
    edits: tuple[tuple[str, str], ...] = (),
    shift: tuple[str, float, float] | None = None,
) -> Broken:
    return Broken(recipe, why, edits, shift, frozenset(fails), frozenset(passes or ()))


CASES = [
    # --- interdigital (side by side). Thickest stated resist 20 um: GAP.CA.1 = b(20) =
    # 1.5 sqrt(0.365 * 10) = 2.87 um; GAP.CA.2 = 1 + 1 um of electrode growth.
    _b(
        "interdigital",
        "gap 2 um, inset 0.25 um: electrodes 2.5 um apart < 2.87 (> 2 um growth); 0.25 um "
        "on the collector < 1 um overlay; the 2 um collector gap still prints in 2 um nLOF "
        "(b = 0.91 um, aspect ratio 2: 1 um)",
        edits=(("gap: 20 um", "gap: 2 um"), ("inset: 5 um", "inset: 0.25 um")),
        fails={"GAP.CA.1", "ENC.CATHODE.1", "ENC.ANODE.1"},
        passes={"GAP.CA.2", "RES.COLLECTOR.2", "SHORT.CA.1"},
    ),
    _b(
        "interdigital",
        "cathode mask 10 um off (inset 5 um): the cathode hangs over its collector edge",
        shift=("cathode", 10.0, 0.0),
        fails={"ENC.CATHODE.1"},
        passes={"ENC.ANODE.1"},
    ),
    _b(
        "interdigital",
        "1.5 um collector gap in 3.5 um nLOF (max aspect ratio 2: openings >= 1.75 um); "
        "b(3.5) = 1.5 sqrt(0.365 * 1.75) = 1.20 um still resolves it",
        edits=(
            ("gap: 20 um", "gap: 1.5 um"),
            ("resist_thickness: 2 um", "resist_thickness: 3.5 um"),
        ),
        fails={"AR.COLLECTOR.2"},
        passes={"RES.COLLECTOR.2", "AR.COLLECTOR.1"},
    ),
    # --- cmems_posts (side by side, overlay 2 um; SU-8 posts in 100 um of resist).
    _b(
        "cmems_posts",
        "inset 1.5 um < the 2 um overlay of this recipe",
        edits=(("inset: 5 um", "inset: 1.5 um"),),
        fails={"ENC.CATHODE.1", "ENC.ANODE.1"},
    ),
    _b(
        "cmems_posts",
        "anode mask 10 um off (inset 5 um)",
        shift=("anode", 0.0, 10.0),
        fails={"ENC.ANODE.1"},
        passes={"ENC.CATHODE.1"},
    ),
    _b(
        "cmems_posts",
        "4 um posts in 100 um SU-8: b(100) = 1.5 sqrt(0.365 * 50) = 6.41 um and aspect ratio "
        "20 needs 5 um (round posts: keep D sin 45 above the limit, see the module note)",
        edits=(("    size: 20 um", "    size: 4 um"),),
        fails={"RES.POSTS.1", "AR.POSTS.1"},
    ),
    # --- stacked_lco_li (stacked electrodes: enclosures and collectors, no in-plane gap).
    _b(
        "stacked_lco_li",
        "anode 0.5 um inside the LiPON and collectors 0.5 um apart, both < 1 um overlay",
        edits=(
            ("anode_inset: 50 um ", "anode_inset: 0.5 um "),
            ("collector_gap: 100 um", "collector_gap: 0.5 um"),
        ),
        fails={"ENC.ELECTROLYTE.ANODE", "GAP.CC.1"},
        passes={"SHORT.CA.1", "ENC.ELECTROLYTE.CATHODE", "ENC.CATHODE.1"},
    ),
    _b(
        "stacked_lco_li",
        "cathode on its collector edge (collector_enclosure 0)",
        edits=(("collector_enclosure: 50 um", "collector_enclosure: 0 um"),),
        fails={"ENC.CATHODE.1"},
    ),
    _b(
        "stacked_lco_li",
        "cathode mask 60 um off: beyond its collector (50 um) but still under the LiPON (150 um)",
        shift=("cathode", 60.0, 0.0),
        fails={"ENC.CATHODE.1"},
        passes={"ENC.ELECTROLYTE.CATHODE"},
    ),
    _b(
        "stacked_lco_li",
        "Li mask 200 um off: the anode leaves the LiPON and lands on the cathode collector",
        shift=("anode", -200.0, 0.0),
        fails={"ENC.ELECTROLYTE.ANODE"},
    ),
    _b(
        "stacked_lco_li",
        "3 um tabs, the anode collector in 20 um KMPR (aspect ratio 5: lines >= 4 um); "
        "b(20) = 2.87 um resolves them; 2.5 um nLOF on the cathode collector allows 1.25 um",
        edits=(
            ("tab_width: 500 um", "tab_width: 3 um"),
            (
                "    process: lift-off\n    resist: AZ-nLOF-2020\n    align_to: anode",
                "    process: lift-off\n    resist: KMPR-1000\n    resist_thickness: 20 um\n"
                "    align_to: anode",
            ),
        ),
        fails={"AR.ANODECC.1"},
        passes={"RES.ANODECC.1", "AR.CATHODECC.1"},
    ),
    # --- holes_golodnitsky (3D, stacked films over the holes).
    _b(
        "holes_golodnitsky",
        "MoS2 window 0.5 um inside the Ni window < 1 um overlay",
        edits=(("electrode_inset: 10 um", "electrode_inset: 0.5 um"),),
        fails={"ENC.CATHODE.1"},
    ),
    _b(
        "holes_golodnitsky",
        "MoS2 mask 20 um off (inset 10 um): the cathode leaves its collector",
        shift=("cathode", 20.0, 0.0),
        fails={"ENC.CATHODE.1"},
    ),
    _b(
        "holes_golodnitsky",
        "50 um holes at 55 um pitch leave 5 um webs; 20 um AZ 4562 (aspect ratio 3) needs "
        "6.67 um; b(20) = 2.87 um resolves them",
        edits=(
            ("pitch: 65 um", "pitch: 55 um"),
            (
                "resist_thickness: 10 um\n  - name: collector",
                "resist_thickness: 20 um\n  - name: collector",
            ),
        ),
        fails={"AR.HOLES.2"},
        passes={"RES.HOLES.2"},
    ),
    # --- si_posts_dunn (3D: the NCA cathode must stay on the SU-8, off the Si posts).
    _b(
        "si_posts_dunn",
        "NCA window 0.5 um inside the SU-8 window < 1 um overlay (an error: stacked)",
        edits=(("window_margin: 50 um", "window_margin: 50 um\n  electrode_inset: 0.5 um"),),
        fails={"ENC.ELECTROLYTE.CATHODE"},
    ),
    _b(
        "si_posts_dunn",
        "NCA mask 20 um off (inset 10 um): the cathode touches the Si beyond the SU-8",
        shift=("cathode", 0.0, -20.0),
        fails={"ENC.ELECTROLYTE.CATHODE"},
    ),
    _b(
        "si_posts_dunn",
        "5 um posts in 20 um AZ 4562 (aspect ratio 3: lines >= 6.67 um); b(20) = 2.87 um",
        edits=(
            (
                "    process: etch\n    resist: AZ-1512HS",
                "    process: etch\n    resist: AZ-4562\n    resist_thickness: 20 um",
            ),
            ("  size: 10 um", "  size: 5 um"),
        ),
        fails={"AR.POSTS.1"},
        passes={"RES.POSTS.1"},
    ),
    # --- swissroll_zn_mno2 (side by side on one roll). No stated resist thickness: GAP.CA.1 =
    # b(1 um) = 0.64 um; GAP.CA.2 = 2 + 2 um of plated growth.
    _b(
        "swissroll_zn_mno2",
        "collector gap 1.5 um, electrode inset 0.5 um: electrodes 2.5 um apart < 4 um (they "
        "grow 2 um each) and 0.5 um on their collectors < 1 um overlay",
        edits=(
            ("collector_gap: 40 um", "collector_gap: 1.5 um"),
            ("electrode_inset: 5 um", "electrode_inset: 0.5 um"),
        ),
        fails={"GAP.CA.2", "ENC.CATHODE.1", "ENC.ANODE.1"},
        passes={"GAP.CA.1", "SHORT.CA.1"},
    ),
    _b(
        "swissroll_zn_mno2",
        "Zn mask 10 um off across the strip (inset 5 um)",
        shift=("anode", 0.0, 10.0),
        fails={"ENC.ANODE.1"},
        passes={"ENC.CATHODE.1"},
    ),
    _b(
        "swissroll_zn_mno2",
        "3 um collector gap in 20 um KMPR (aspect ratio 5: openings >= 4 um); b(20) = 2.87 um",
        edits=(
            ("collector_gap: 40 um", "collector_gap: 3 um"),
            (
                "    resist: AZ-nLOF-2020\n    align_to: polyimide",
                "    resist: KMPR-1000\n    resist_thickness: 20 um\n    align_to: polyimide",
            ),
        ),
        fails={"AR.COLLECTOR.2"},
        passes={"RES.COLLECTOR.2"},
    ),
    # --- swissroll_twin (one electrode per roll).
    _b(
        "swissroll_twin",
        "electrodes 0.5 um inside their collectors < 1 um overlay",
        edits=(("electrode_inset: 5 um", "electrode_inset: 0.5 um"),),
        fails={"ENC.CATHODE.1", "ENC.ANODE.1"},
    ),
    _b(
        "swissroll_twin",
        "MnO2 mask 10 um off across the strip (inset 5 um)",
        shift=("cathode", 0.0, 10.0),
        fails={"ENC.CATHODE.1"},
        passes={"ENC.ANODE.1"},
    ),
    _b(
        "swissroll_twin",
        "3 um collector tabs in 20 um KMPR (aspect ratio 5: lines >= 4 um); b(20) = 2.87 um",
        edits=(
            ("tab_width: 40 um", "tab_width: 3 um"),
            (
                "    resist: AZ-nLOF-2020\n    align_to: strain_top",
                "    resist: KMPR-1000\n    resist_thickness: 20 um\n    align_to: strain_top",
            ),
        ),
        fails={"AR.COLLECTOR.1"},
        passes={"RES.COLLECTOR.1"},
    ),
    # --- trenches_notten (3D; no collector in the example, one added to break it).
    _b(
        "trenches_notten",
        "2 um trenches at 2.6 um pitch: 0.6 um walls; b(1.9 um AZ 1512HS) = 1.5 sqrt(0.365 * "
        "0.95) = 0.88 um and 1.9 / 2.5 = 0.76 um",
        edits=(("pitch: 5 um", "pitch: 2.6 um"),),
        fails={"RES.TRENCHES.2", "AR.TRENCHES.2"},
    ),
    _b(
        "trenches_notten",
        "a TiN collector added under the anode with the anode window on its edge (inset 0)",
        edits=(
            (
                "  - name: anode\n",
                "  - name: collector\n    gds: [3, 0]\n    role: collector\n    material: TiN\n"
                "    thickness: 50 nm\n    process: etch\n    resist: AZ-1512HS\n"
                "  - name: anode\n",
            ),
            ("window_margin: 20 um", "window_margin: 20 um\n  electrode_inset: 0 um"),
        ),
        fails={"ENC.ANODE.1"},
    ),
    _b(
        "trenches_notten",
        "2 um trenches in 6 um AZ 1512HS (aspect ratio 2.5: >= 2.4 um); b(6) = 1.57 um",
        edits=(
            (
                "    resist: AZ-1512HS\n  - name: anode",
                "    resist: AZ-1512HS\n    resist_thickness: 6 um\n  - name: anode",
            ),
        ),
        fails={"AR.TRENCHES.1"},
        passes={"RES.TRENCHES.1"},
    ),
]


def _edited(recipe: str, edits: tuple[tuple[str, str], ...], tmp_path: Path) -> Path:
    text = (RECIPES / f"{recipe}.yaml").read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, f"{recipe}: {old!r} should occur once"
        text = text.replace(old, new)
    path = tmp_path / f"{recipe}_broken.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _shift(cell: gdstk.Cell, spec: tuple[int, int], dx: float, dy: float) -> None:
    """Move every polygon of one layer, as a misaligned plate prints it."""
    before = len(cell.get_polygons(layer=spec[0], datatype=spec[1]))
    moved = [p for p in cell.polygons if (p.layer, p.datatype) == spec]
    assert moved and len(moved) == before  # the layer lives in the top cell only
    for polygon in moved:
        polygon.translate(dx, dy)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.recipe}-{i}" for i, c in enumerate(CASES)])
def test_broken_copy_fails_with_the_expected_rules(case: Broken, tmp_path: Path) -> None:
    loaded = load_recipe(_edited(case.recipe, case.edits, tmp_path))
    device = design_for(loaded)
    if case.shift is not None:
        name, dx, dy = case.shift
        _shift(device.cell, tuple(loaded.recipe.layer(name).gds), dx, dy)  # type: ignore[arg-type]
    findings = check_device(loaded, device.cell, max_markers=5)
    assert case.fails | case.passes <= {f.rule.id for f in findings}  # every ID is a real rule
    errors = _errors(findings)
    assert case.fails <= errors, case.why
    assert not case.passes & errors, case.why


def test_every_example_has_each_kind_of_break() -> None:
    by_recipe: dict[str, set[str]] = {}
    for case in CASES:
        kinds = by_recipe.setdefault(case.recipe, set())
        kinds.add("shift" if case.shift else "edit")
        if any(rule.startswith(("RES.", "AR.")) for rule in case.fails):
            kinds.add("resist")
    # trenches_notten has no collector to leave: its electrode break adds one (an edit).
    for name in EXAMPLES:
        assert {"edit", "resist"} <= by_recipe[name], name
        assert "shift" in by_recipe[name] or name == "trenches_notten", name


def test_electrode_inset_larger_than_the_window_margin_is_refused(tmp_path: Path) -> None:
    # 3D arrays: the electrode windows sit electrode_inset inside window_margin; a larger
    # inset would cut the electrode window into the feature region, so it is refused.
    path = _edited(
        "holes_golodnitsky", (("electrode_inset: 10 um", "electrode_inset: 150 um"),), tmp_path
    )
    with pytest.raises(RecipeError, match="electrode_inset"):
        load_recipe(path)


@pytest.mark.parametrize("shape", ["rectangle", "circle"])
def test_stacked_outlines_have_no_facet_back_steps(shape: str) -> None:
    # Offsetting facets used to snap 1 nm back-steps into the anode (112 in the example,
    # each a pair of 1 nm edges), which width checks rightly flag. Outlines are now drawn
    # from the parameters: no edge shorter than a few grid steps, and a grown arc stays an
    # arc (few vertices).
    from mbfab.designs import DESIGNS, RoleLayers
    from mbfab.layout import Layer
    from mbfab.recipe.design_params import StackedParams

    roles = StackedParams.required_roles
    layers = {role: Layer(i + 1, 0, role) for i, role in enumerate(roles)}
    params = StackedParams(shape=shape, corner_radius=100.0 if shape == "rectangle" else 0.0)
    device = DESIGNS["stacked"].build(params, RoleLayers({r: [lay] for r, lay in layers.items()}))
    for role, layer in layers.items():
        for polygon in device.cell.get_polygons(layer=layer.layer, datatype=layer.datatype):
            pts = polygon.points
            edges = np.hypot(*(np.roll(pts, -1, axis=0) - pts).T)
            assert edges.min() > 0.005, role
            assert len(pts) < 1000, role


def _check_clean(layout: Path) -> None:
    """``mbfab check`` with the default rules (GDSII vertex limit, VALID as KLayout's
    strange_polygon_check) passes a file mbfab wrote: exit 0, nothing failing."""
    result = CliRunner().invoke(main, ["check", str(layout)])
    assert result.exit_code == 0, f"{layout.name}:\n{result.output}"


def test_check_passes_every_written_gds(compiled_examples: dict[str, CompileResult]) -> None:
    """Every GDSII file compile writes for the examples: plates, keyholed dark-field data,
    text labels and the device."""
    written = sorted(
        path for result in compiled_examples.values() for path in result.output_dir.rglob("*.gds")
    )
    assert len(written) >= 40
    for layout in written:
        _check_clean(layout)


@pytest.mark.parametrize("name", ["cmems_posts", "holes_golodnitsky", "interdigital"])
def test_check_passes_every_written_oasis(name: str, tmp_path: Path) -> None:
    text = (RECIPES / f"{name}.yaml").read_text("utf-8")
    assert "\noutput:\n" in text
    recipe = tmp_path / f"{name}.yaml"
    recipe.write_text(text.replace("\noutput:\n", "\noutput:\n  format: oasis\n"), "utf-8")
    result = compile_recipe(recipe, tmp_path / "out")
    written = sorted(result.output_dir.rglob("*.oas"))
    assert written
    for layout in written:
        _check_clean(layout)
