"""Rule decks: a standalone YAML format for any layout, and the built-in default values.

A deck (``mbfab check any.gds --rules deck.yaml``)::

    mbfab-rules: 1
    units: um                 # default unit of length values
    layers:                   # names for GDS (layer, datatype) pairs
      met1: [68, 20]
    rules:
      - id: WIDTH.M1.1        # stable ID: capitals, digits, dots
        kind: width           # width space separation enclosure overlap area hole
                              # angle grid vertices valid
        layers: [met1]        # names, or [layer, datatype] pairs
        value: 0.14 um        # lengths with units; area in um2, angle in deg, count
        description: min width of metal 1
        source: SkyWater SKY130 periodic rules m1.1
        severity: error       # or warning
        metric: euclidian     # width/space/separation/enclosure only: how distance is
                              # measured, as KLayout's metrics: euclidian (the default, as
                              # KLayout's), projection (facing edges only, perpendicular:
                              # round posts measured across their diameter) or square

Every problem is reported at once as ``file:line:col: key.path: message`` (exit 2).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from mbfab.errors import InputError, RecipeError
from mbfab.recipe.catalog import load_data_file
from mbfab.recipe.loader import did_you_mean
from mbfab.recipe.yamlsource import SourceMap, load_yaml
from mbfab.rules.model import GEOMETRIC_KINDS, KIND_UNITS, METRIC_KINDS, METRICS, LayerRef, Rule
from mbfab.units import LENGTH_UNITS_UM, parse_length

__all__ = ["DECK_VERSION", "Deck", "default_values", "load_deck", "parse_deck"]

DECK_VERSION = 1
RULE_ID = re.compile(r"^[A-Z][A-Z0-9_]*(\.[A-Z0-9_]+)+$")
_TOP_KEYS = ("mbfab-rules", "units", "layers", "rules")
_RULE_KEYS = ("id", "kind", "layers", "value", "description", "source", "severity", "metric")


class Deck:
    """Rules in deck order with the layer names they use."""

    def __init__(self, rules: list[Rule], layers: dict[str, LayerRef]) -> None:
        self.rules = rules
        self.layers = layers


def load_deck(path: Path | str) -> Deck:
    """Read and validate a deck file."""
    document = load_yaml(Path(path))
    return parse_deck(document.data, document.source)


def parse_deck(data: Any, source: SourceMap) -> Deck:
    """Validate parsed YAML; raise :class:`RecipeError` with every problem located."""
    problems: list[InputError] = []
    if not isinstance(data, dict):
        raise RecipeError([source.error((), "a rule deck is a mapping (mbfab-rules, rules, ...)")])
    for key in data:
        if key not in _TOP_KEYS:
            problems.append(source.error((key,), f"unknown key{did_you_mean(str(key), _TOP_KEYS)}"))
    if data.get("mbfab-rules") != DECK_VERSION:
        problems.append(
            source.error(("mbfab-rules",), f"deck format version must be {DECK_VERSION}")
        )
    units = data.get("units", "um")
    if not isinstance(units, str) or units not in LENGTH_UNITS_UM:
        problems.append(source.error(("units",), f"unknown length unit {units!r}; use nm, um, mm"))
        units = "um"
    layers = _layers(data.get("layers", {}), source, problems)
    rules: list[Rule] = []
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.append(source.error(("rules",), "a deck needs a non-empty list of rules"))
        raw_rules = []
    seen: set[str] = set()
    for index, entry in enumerate(raw_rules):
        rule = _rule(entry, ("rules", index), units, layers, source, problems)
        if rule is None:
            continue
        if rule.id in seen:
            problems.append(source.error(("rules", index, "id"), f"rule {rule.id} appears twice"))
        seen.add(rule.id)
        rules.append(rule)
    if problems:
        raise RecipeError(problems)
    return Deck(rules, layers)


def _pair(value: Any) -> tuple[int, int] | None:
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 32767 for v in value)
    ):
        return (value[0], value[1])
    return None


def _layers(raw: Any, source: SourceMap, problems: list[InputError]) -> dict[str, LayerRef]:
    out: dict[str, LayerRef] = {}
    if not isinstance(raw, dict):
        problems.append(source.error(("layers",), "layers must map names to [layer, datatype]"))
        return out
    for name, value in raw.items():
        pair = _pair(value)
        if pair is None:
            problems.append(
                source.error(("layers", name), "expected [layer, datatype], each 0..32767")
            )
            continue
        out[str(name)] = LayerRef(str(name), *pair)
    return out


def _rule(
    entry: Any,
    path: tuple[str | int, ...],
    units: str,
    layers: dict[str, LayerRef],
    source: SourceMap,
    problems: list[InputError],
) -> Rule | None:
    if not isinstance(entry, dict):
        problems.append(source.error(path, "a rule is a mapping with id, kind, layers, value"))
        return None
    before = len(problems)
    for key in entry:
        if key not in _RULE_KEYS:
            problems.append(
                source.error((*path, key), f"unknown key{did_you_mean(str(key), _RULE_KEYS)}")
            )
    rule_id = str(entry.get("id", ""))
    if not RULE_ID.match(rule_id):
        problems.append(source.error((*path, "id"), "rule IDs look like WIDTH.CC.1"))
    kind = entry.get("kind")
    if not isinstance(kind, str) or kind not in GEOMETRIC_KINDS:
        problems.append(
            source.error(
                (*path, "kind"),
                f"unknown kind {kind!r}{did_you_mean(str(kind), list(GEOMETRIC_KINDS))}",
            )
        )
        return None
    refs = _rule_layers(entry.get("layers"), (*path, "layers"), layers, source, problems)
    if refs is not None and len(refs) != GEOMETRIC_KINDS[kind]:
        problems.append(
            source.error((*path, "layers"), f"{kind} takes {GEOMETRIC_KINDS[kind]} layer(s)")
        )
    value = _value(kind, entry.get("value"), units, (*path, "value"), source, problems)
    severity = entry.get("severity", "error")
    if not isinstance(severity, str) or severity not in ("error", "warning"):
        problems.append(source.error((*path, "severity"), "severity is error or warning"))
    metric = entry.get("metric", "euclidian")
    if "metric" in entry and kind not in METRIC_KINDS:
        problems.append(
            source.error((*path, "metric"), f"metric applies to {', '.join(METRIC_KINDS)} only")
        )
    elif not isinstance(metric, str) or metric not in METRICS:
        problems.append(
            source.error(
                (*path, "metric"), f"unknown metric {metric!r}{did_you_mean(str(metric), METRICS)}"
            )
        )
    if len(problems) > before or refs is None:
        return None
    return Rule(
        id=rule_id,
        kind=kind,
        layers=tuple(refs),
        value=value,
        description=str(entry.get("description", "")),
        source=str(entry.get("source", "")),
        severity=severity,
        metric=metric,
    )


def _rule_layers(
    raw: Any,
    path: tuple[str | int, ...],
    layers: dict[str, LayerRef],
    source: SourceMap,
    problems: list[InputError],
) -> list[LayerRef] | None:
    if not isinstance(raw, list) or not raw:
        problems.append(source.error(path, "layers: a list of layer names or [layer, datatype]"))
        return None
    refs = []
    for index, item in enumerate(raw):
        pair = _pair(item)
        if pair is not None:
            refs.append(LayerRef(f"{pair[0]}/{pair[1]}", *pair))
        elif isinstance(item, str) and item in layers:
            refs.append(layers[item])
        else:
            hint = did_you_mean(str(item), list(layers)) if isinstance(item, str) else ""
            problems.append(source.error((*path, index), f"unknown layer {item!r}{hint}"))
            return None
    return refs


def _value(
    kind: str,
    raw: Any,
    units: str,
    path: tuple[str | int, ...],
    source: SourceMap,
    problems: list[InputError],
) -> float | None:
    unit = KIND_UNITS[kind]
    if kind in ("overlap", "valid"):
        return None
    if raw is None:
        problems.append(source.error(path, f"{kind} needs a value ({unit or 'a count'})"))
        return None
    try:
        value = parse_length(raw, units) if unit == "um" else float(raw)
    except (ValueError, TypeError) as exc:
        problems.append(source.error(path, str(exc)))
        return None
    if value < 0:
        problems.append(source.error(path, "value must not be negative"))
        return None
    return value


@cache
def default_values() -> dict[str, dict[str, Any]]:
    """Built-in rule values with their sources (``mbfab/data/rules.yaml``)."""
    table: dict[str, dict[str, Any]] = load_data_file("rules.yaml")["defaults"]
    return table
