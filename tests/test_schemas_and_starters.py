"""A newcomer's first week: JSON Schemas that editors and tools can use, starter recipes that
compile, the deck format as documented, the checks a user reaches for first.

The schemas are checked with an independent validator (``jsonschema``) against real recipes
and the files real compiles write.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import gdstk
import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from mbfab.cli import main
from mbfab.compile import CompileResult
from mbfab.output.schemas import SCHEMA_NAMES, schema_path, schema_text, shipped_schema
from mbfab.recipe import DESIGN_PARAMS
from mbfab.recipe.schema import RULE_KIND_LAYERS
from mbfab.recipe.starters import STARTER_KINDS
from mbfab.rules.model import GEOMETRIC_KINDS

from conftest import MINIMAL_RECIPE, RECIPES, ROOT, SHARED_GDS

SCHEMA_LINE = "# yaml-language-server: $schema=../mbfab/schemas/recipe.schema.json"


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads(shipped_schema(name))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_shipped_schemas_are_the_ones_the_code_makes(name: str) -> None:
    assert shipped_schema(name) == schema_text(name), "run `make docs` to regenerate"
    result = CliRunner().invoke(main, ["schema", name])
    assert result.exit_code == 0 and result.stdout == shipped_schema(name)


def test_every_example_recipe_names_the_schema_and_passes_it() -> None:
    validator = _validator("recipe")
    for path in sorted(RECIPES.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert text.splitlines()[0] == SCHEMA_LINE, path.name
        target = (path.parent / SCHEMA_LINE.split("$schema=")[1]).resolve()
        assert target == schema_path("recipe").resolve()
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(text))]
        assert errors == [], (path.name, errors)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (("  gap: 10", "  gapp: 10"), "gapp"),  # unknown key
        (("finger_width: 20", "finger_width: 20 parsecs"), "finger_width"),  # unit
        (("  kind: interdigital", "  kind: interdigitated"), "kind"),  # design kind
    ],
)
def test_the_recipe_schema_refuses_what_mbfab_refuses(change: tuple[str, str], key: str) -> None:
    data = yaml.safe_load(MINIMAL_RECIPE.replace(*change))
    assert list(_validator("recipe").iter_errors(data))
    assert key in change[1]


@pytest.mark.parametrize("name", ["report", "order", "drc"])
def test_real_outputs_follow_their_schemas(
    compiled_examples: dict[str, CompileResult], name: str
) -> None:
    validator = _validator(name)
    for result in compiled_examples.values():
        data = json.loads((result.output_dir / f"{name}.json").read_text(encoding="utf-8"))
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(data)]
        assert errors == [], (result.output_dir.name, errors[:5])


def test_there_is_a_starter_for_every_design_kind() -> None:
    assert set(STARTER_KINDS) == set(DESIGN_PARAMS)


@pytest.mark.parametrize("kind", STARTER_KINDS)
def test_init_writes_a_starter_that_compiles_clean(kind: str, tmp_path: Path) -> None:
    recipe = tmp_path / f"{kind}.yaml"
    result = CliRunner().invoke(main, ["init", kind, "-o", str(recipe)])
    assert result.exit_code == 0, result.output
    text = recipe.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first == f"# yaml-language-server: $schema={schema_path('recipe').as_uri()}"
    assert sum(" # " in line or line.startswith("#") for line in text.splitlines()) >= 6
    assert list(_validator("recipe").iter_errors(yaml.safe_load(text))) == []
    compiled = CliRunner().invoke(main, ["compile", "-q", str(recipe), "-o", str(tmp_path)])
    assert compiled.exit_code == 0 and compiled.stderr == "", compiled.stderr
    name = yaml.safe_load(text)["name"]
    drc = json.loads((tmp_path / name / "drc.json").read_text(encoding="utf-8"))["summary"]
    assert (drc["errors"], drc["warnings"]) == (0, 0)  # not even a warning


def test_init_keeps_an_existing_file_and_names_the_kinds(tmp_path: Path) -> None:
    recipe = tmp_path / "mine.yaml"
    recipe.write_text("mine", encoding="utf-8")
    kept = CliRunner().invoke(main, ["init", "pillars", "-o", str(recipe)])
    assert kept.exit_code == 2 and recipe.read_text(encoding="utf-8") == "mine"
    wrong = CliRunner().invoke(main, ["init", "pilars"])
    assert wrong.exit_code == 2 and "(did you mean 'pillars'?)" in wrong.stderr


def test_recipe_rule_layer_counts_agree_with_the_engine() -> None:
    assert {kind: GEOMETRIC_KINDS[kind] for kind in RULE_KIND_LAYERS} == RULE_KIND_LAYERS


# --- the deck format as docs/rules.md states it -------------------------------------------


def _nested_squares(path: Path, margin: float) -> None:
    """An outer square on 1/0 around an inner one on 2/0, ``margin`` apart on every side."""
    cell = gdstk.Cell("NEST")
    cell.add(gdstk.rectangle((0, 0), (20, 20), layer=1))
    cell.add(gdstk.rectangle((margin, margin), (20 - margin, 20 - margin), layer=2))
    library = gdstk.Library()
    library.add(cell)
    library.write_gds(str(path))


def _deck(path: Path, layers: str, value: str) -> None:
    path.write_text(
        "mbfab-rules: 1\nlayers: {outer: [1, 0], inner: [2, 0]}\nrules:\n"
        f"  - {{id: ENC.A.1, kind: enclosure, layers: {layers}, value: {value}}}\n",
        encoding="utf-8",
    )


def test_enclosure_takes_the_outer_layer_first_as_documented_and_as_klayout(
    tmp_path: Path,
) -> None:
    doc = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert "`enclosure` | 2: **outer, inner**" in doc
    db = pytest.importorskip("klayout.db")
    layout_path, deck = tmp_path / "nest.gds", tmp_path / "deck.yaml"
    _nested_squares(layout_path, 2.0)
    layout = db.Layout()
    layout.read(str(layout_path))
    top = layout.top_cell()
    outer = db.Region(top.begin_shapes_rec(layout.layer(1, 0)))
    inner = db.Region(top.begin_shapes_rec(layout.layer(2, 0)))
    for value, layers in [(1, "[outer, inner]"), (3, "[outer, inner]"), (1, "[inner, outer]")]:
        _deck(deck, layers, f"{value} um")
        result = CliRunner().invoke(main, ["check", str(layout_path), "--rules", str(deck)])
        first, second = (outer, inner) if layers == "[outer, inner]" else (inner, outer)
        klayout_fails = (
            first.enclosing_check(second, int(value / layout.dbu)).count() > 0
            or (second - first).count() > 0
        )
        assert result.exit_code == (1 if klayout_fails else 0), (value, layers, result.stdout)


def test_check_of_a_recipe_with_a_deck_checks_the_recipes_device(
    minimal_recipe: Path, tmp_path: Path
) -> None:
    deck = tmp_path / "deck.yaml"
    deck.write_text(
        "mbfab-rules: 1\nlayers: {cc: [1, 0]}\nrules:\n"
        "  - {id: WIDTH.CC.1, kind: width, layers: [cc], value: 25 um}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", str(minimal_recipe), "--rules", str(deck)])
    assert "not a GDSII file" not in result.output
    assert result.exit_code == 1  # the 20 um collector fingers are narrower than 25 um
    assert result.stdout.splitlines()[1].startswith("WIDTH.CC.1")


def test_lyrdb_markers_name_the_layouts_real_top_cell(tmp_path: Path) -> None:
    if not SHARED_GDS.is_dir():
        pytest.skip("../shared/gds is not here")
    db = pytest.importorskip("klayout.db")
    source = SHARED_GDS / "gdsfactory_generated" / "drc_seeded_errors_generic_tech.gds"
    markers = tmp_path / "markers.lyrdb"
    CliRunner().invoke(main, ["check", str(source), "--lyrdb", str(markers)])
    layout = db.Layout()
    layout.read(str(source))
    text = markers.read_text(encoding="utf-8")
    assert f"<top-cell>{layout.top_cell().name}</top-cell>" in text
    assert "<top-cell>TOP</top-cell>" not in text or layout.top_cell().name == "TOP"


def test_shell_completion_works_as_the_readme_says() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert 'eval "$(_MBFAB_COMPLETE=bash_source mbfab)"' in readme
    script = subprocess.run(
        [sys.executable, "-c", "from mbfab.cli import main; main(prog_name='mbfab')"],
        env={"_MBFAB_COMPLETE": "bash_source", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert "complete -o nosort -F _mbfab_completion mbfab" in script.stdout


def test_readme_and_docs_point_only_at_files_a_clone_has() -> None:
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        assert "../shared" not in text and "shared/reference" not in text, page.name
        for target in re.findall(r"\]\(([^)#:]+)\)", text):
            assert (page.parent / target).exists(), (page.name, target)


def test_domain_facts_citations_resolve_in_the_shipped_notes() -> None:
    notes = (ROOT / "mbfab" / "data" / "domain-facts.md").read_text(encoding="utf-8")
    sections = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", notes, flags=re.MULTILINE))
    cited = set()
    for path in [
        *sorted((ROOT / "mbfab").rglob("*.yaml")),
        *sorted((ROOT / "mbfab").rglob("*.py")),
    ]:
        cited |= set(re.findall(r"domain-facts (\d+(?:\.\d+)?)", path.read_text("utf-8")))
    assert cited and cited <= sections, sorted(cited - sections)
