"""The rule checker: rules as data, KLayout-compatible geometric checks, recipe-derived decks.

The engine (:mod:`mbfab.rules.engine`) runs on any layout; only
:mod:`mbfab.rules.from_recipe` knows recipes.
"""

from mbfab.rules.deck import Deck, load_deck
from mbfab.rules.engine import LayoutData, check_layout, run_rule
from mbfab.rules.formats import DRC_SCHEMA, exit_status, to_json, to_junit, to_lyrdb, to_table
from mbfab.rules.model import Finding, LayerRef, Marker, Rule

__all__ = [
    "DRC_SCHEMA",
    "Deck",
    "Finding",
    "LayerRef",
    "LayoutData",
    "Marker",
    "Rule",
    "check_file",
    "check_layout",
    "exit_status",
    "load_deck",
    "run_rule",
    "sanity_rules",
    "to_json",
    "to_junit",
    "to_lyrdb",
    "to_table",
]


def sanity_rules(data: LayoutData) -> list[Rule]:
    """Rules any layout must pass: GDSII vertex limit and valid polygons on every layer."""
    rules = []
    for layer, datatype in data.specs():
        ref = LayerRef(f"{layer}/{datatype}", layer, datatype)
        tag = f"L{layer}D{datatype}"
        rules.append(
            Rule(
                f"VERT.{tag}.1",
                "vertices",
                (ref,),
                8190.0,
                "GDSII vertex limit per polygon",
                "domain-facts 4: 8191-point XY record",
            )
        )
        rules.append(Rule(f"VALID.{tag}.1", "valid", (ref,), None, "valid polygon", ""))
    return rules


def check_file(path: str, deck_path: str | None = None, max_markers: int = 1000) -> list[Finding]:
    """Check any GDSII/OASIS file with a deck (or the sanity rules when none is given)."""
    data = LayoutData(path=path)
    rules = load_deck(deck_path).rules if deck_path else sanity_rules(data)
    return check_layout(data, rules, max_markers)
