"""The chemistry table (mbfab/data/chemistry.yaml): sources, agents, aliases, recipe texts."""

import re
from pathlib import Path

import pytest
import yaml

DATA = Path(__file__).resolve().parents[1] / "mbfab" / "data"
RECIPES = Path(__file__).resolve().parents[1] / "recipes"
KINDS = {
    "metal",
    "oxide",
    "electrode",
    "electrolyte",
    "polymer",
    "resist",
    "semiconductor",
    "carbon",
    "dielectric",
}

# Material texts of the example recipes and the material each one means.
RECIPE_TEXTS = {
    "Au (Ti adhesion)": "Au",
    "Pt (Ti adhesion)": "Pt",
    "Cu": "Cu",
    "Cr/Au": "Au",
    "Ni (electroless, conformal)": "Ni",
    "Ti (strained, bottom of the bilayer)": "Ti",
    "Au (top of the bilayer)": "Au",
    "Au contact lines and pads": "Au",
    "LiMn2O4": "LiMn2O4",
    "Li4Ti5O12": "Li4Ti5O12",
    "LiCoO2": "LiCoO2",
    "LiPON (sputtered)": "LiPON",
    "Li": "Li",
    "NCA": "NCA",
    "MnO2": "MnO2",
    "Zn": "Zn",
    "MoS2": "MoS2",
    "Si": "Si",
    "PPy(DBS)": "PPy",
    "graphite": "graphite",
    "SU-8 -> pyrolysed carbon combs": "glassy-carbon",
    "SU-8 -> pyrolysed carbon posts": "glassy-carbon",
    "SU-8 conformal electrolyte": "SU-8-electrolyte",
    "SU-8 gasket / hot-melt frame": "SU-8",
    "PEO-based dry polymer electrolyte": "PEO",
    "gel electrolyte window between the two tubes": "gel-electrolyte",
    "gel electrolyte window between the two tubes (not rolled)": "gel-electrolyte",
    "caffeine-PAM hydrogel electrolyte (photolithographed)": "PAM-hydrogel",
    "photopatternable hydrogel (swells in the release bath)": "swelling-hydrogel",
    "photopatternable polyimide": "polyimide",
    "photoresist island (dissolved in acetone to release)": "dnq-positive",
    "photopatternable sacrificial polymer (dissolved to release)": "sacrificial-polymer",
    "thick photoresist mask for through-wafer DRIE": "dnq-positive",
    "resist mask for Si RIE": "dnq-positive",
}


def load(name: str) -> dict:
    return yaml.safe_load((DATA / name).read_text())


CHEM = load("chemistry.yaml")
MATERIALS = CHEM["materials"]


def resolve(text: str) -> str | None:
    """Longest whole-word alias wins; a tie goes to the alias that starts first."""
    low = text.lower()
    best: tuple[int, int, str] | None = None
    for name, entry in MATERIALS.items():
        for alias in entry["aliases"]:
            pattern = rf"(?<![a-z0-9]){re.escape(alias)}(?![a-z0-9])"
            for hit in re.finditer(pattern, low):
                key = (len(alias), -hit.start(), name)
                if best is None or key[:2] > best[:2]:
                    best = key
    return None if best is None else best[2]


def sourced(value: object) -> bool:
    return isinstance(value, str) and value.strip() != ""


def test_every_agent_used_is_defined_and_every_agent_sourced() -> None:
    agents = CHEM["agents"]
    for key, agent in agents.items():
        assert sourced(agent["display"]) and sourced(agent["source"]), key
    used = {a["agent"] for m in MATERIALS.values() for a in m.get("attacked_by", [])}
    assert used - set(agents) == set()
    assert set(agents) - used == set(), "an agent no material reacts to is dead data"


def test_every_entry_and_sensitivity_names_its_source() -> None:
    for name, m in MATERIALS.items():
        assert sourced(m["source"]), name
        assert m["kind"] in KINDS, name
        assert isinstance(m["conductive"], bool) and isinstance(m["ionic"], bool), name
        assert m["max_temperature_c"] > 0, name
        assert sourced(m["max_temperature_effect"]) and sourced(m["max_temperature_source"]), name
        seen = set()
        for item in m.get("attacked_by", []):
            assert item["severity"] in {"error", "warning"}, (name, item)
            assert sourced(item["effect"]) and sourced(item["source"]), (name, item)
            assert item["agent"] not in seen, f"{name}: {item['agent']} listed twice"
            seen.add(item["agent"])
        for heat in ("anneal", "pyrolysis"):
            if heat in m:
                assert sourced(m[heat]["source"]) and m[heat]["temperature_c"] > 0, (name, heat)
        if "soluble_below_c" in m:
            assert sourced(m["soluble_below_source"]), name
            assert m["soluble_below_c"] > 0, name
        assert all(sourced(alt) for alt in m.get("alternatives", [])), name


def test_resists_say_when_they_stop_dissolving() -> None:
    for name, m in MATERIALS.items():
        if m["kind"] == "resist":
            assert "soluble_below_c" in m, name
    # a hard-baked sacrificial photoresist can never be released: the traveler's 150 C cure of
    # permanent layers is above what a DNQ resist tolerates, its 115 C etch-mask bake is below
    assert 115 < MATERIALS["dnq-positive"]["soluble_below_c"] < 150
    assert MATERIALS["SU-8"]["soluble_below_c"] < 65  # crosslinked by its own post-exposure bake


def test_pyrolysis_makes_a_known_material_and_keeps_some_of_it() -> None:
    assert CHEM["pyrolysis"]["SU-8"] == MATERIALS["SU-8"]["pyrolysis"]
    for precursor, step in CHEM["pyrolysis"].items():
        assert step["product"] in MATERIALS, precursor
        assert 0 < step["vertical_shrink"] < 1 and 0 < step["lateral_shrink"] < 1
        kept = (1 - step["vertical_shrink"]) * (1 - step["lateral_shrink"]) ** 2
        assert kept >= 0.1 - 1e-9, "more than the reported 'up to 90 %' volume loss"
        assert sourced(step["atmosphere"]) and "O2-free" in step["atmosphere"]


def test_aliases_are_lower_case_and_unique_across_materials() -> None:
    owner: dict[str, str] = {}
    for name, m in MATERIALS.items():
        assert m["aliases"], name
        for alias in m["aliases"]:
            assert alias == alias.lower().strip(), (name, alias)
            assert alias not in owner, f"{alias!r} names both {owner.get(alias)} and {name}"
            owner[alias] = name


@pytest.mark.parametrize(("text", "expected"), sorted(RECIPE_TEXTS.items()))
def test_recipe_text_resolves_to_the_intended_material(text: str, expected: str) -> None:
    assert resolve(text) == expected


def test_every_material_text_in_the_example_recipes_resolves() -> None:
    texts = []
    for path in sorted(RECIPES.glob("*.yaml")):
        recipe = yaml.safe_load(path.read_text())
        texts += [layer["material"] for layer in recipe["layers"] if "material" in layer]
    assert len(texts) > 20
    assert {t: resolve(t) for t in texts if resolve(t) is None} == {}
    assert {t: RECIPE_TEXTS[t] for t in texts} == {t: resolve(t) for t in texts}


def test_capacity_materials_have_chemistry() -> None:
    # every material the estimates know (materials.yaml) must also be known to the checker
    estimate_materials = load("materials.yaml")["materials"]
    assert set(estimate_materials) - set(MATERIALS) == set()


def test_lithium_facts() -> None:
    li = MATERIALS["Li"]
    severity = {a["agent"]: a["severity"] for a in li["attacked_by"]}
    for agent in ("water", "alcohol", "humid-air", "aqueous-alkaline", "o2-plasma"):
        assert severity[agent] == "error", agent
    assert 175 <= li["max_temperature_c"] <= 181  # melts at 180.5 C
    assert MATERIALS["Zn"]["max_temperature_c"] == 419
    assert {"acid", "aqueous-alkaline"} <= {a["agent"] for a in MATERIALS["Zn"]["attacked_by"]}
    assert MATERIALS["Au"]["max_temperature_c"] <= 363  # Au-Si eutectic
    assert MATERIALS["LiCoO2"]["anneal"]["temperature_c"] == 700
