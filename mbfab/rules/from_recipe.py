"""A recipe's tool, resists and layer roles -> the default deck, plus parameter checks.

The engine knows nothing of recipes; this module is the one bridge. Rule IDs are stable:

============== ==========================================================================
RES.<L>.1/2    width / space >= the tool's resolution for the layer's resist thickness
AR.<L>.1/2     width / space >= resist thickness / the resist's maximum aspect ratio
ENC.<L>.1      electrode inside the collector below it (design stack) by >= overlay
ENC.<EL>.<L>   electrolyte/separator of the design stack covers the electrode by >= overlay
               (error for stacked electrodes, warning for side-by-side ones)
GAP.CA.1       side-by-side electrodes: cathode-anode separation >= the tool's resolution
GAP.CA.2       side-by-side: the cathode-anode gap stays open after both electrodes grow
               sideways by their thickness (the finding reports the effective gap)
GAP.CC.1       stacked electrodes: the two collectors apart by >= overlay
NET.<NET>.1    each electrode net is one connected piece on its collector (its pad)
SHORT.CA.1     cathode and anode nets never touch (stacked: their collectors never touch)
LIFTOFF.<L>.1  lift-off resist >= N x film thickness (not for films cast into the window)
LIFTOFF.<L>.2  positive resist without image reversal or undercut on a lift-off layer (warn)
TOOL.<L>.1     the resist absorbs at the tool's wavelength (i-line-only resist on 405 nm)
RESIST.<L>.1   resist thickness within the resist's single-coat range (warning)
VERT.<L>.1     vertices per polygon <= the output limit; VALID.<L>.1 no self-intersection
============== ==========================================================================

Metrics: the width and space rules (RES, AR, and width/space rules a recipe adds) measure
with KLayout's ``projection`` metric -- between the parts of two edges that face each
other, perpendicular to them. Under KLayout's default ``euclidian`` metric the facets of a
round post 90-180 deg apart face each other at a chord, so a post of diameter ``D`` reads
``0.71 D`` wide against any width rule above that (a 6 um post "4.24 um" against 5 um), and
a round hole as narrow as its chords; our designs draw curves everywhere (posts, holes,
rounded corners, round joins). What projection gives up is corner-to-corner distances
(a diagonal neck or gap with no facing edges), which lithography rounds open rather than
closes. Separation and enclosure stay ``euclidian``: between two different shapes every
close pair of boundary points is a real clearance (no facet artefact), and overlay error
and sideways growth act in every direction, corners included. A recipe's ``rules:`` entry
may set ``metric`` on any of these; standalone decks default to ``euclidian`` as KLayout.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from mbfab.recipe import LoadedRecipe
from mbfab.recipe.catalog import Resist
from mbfab.recipe.schema import LayerSpec, Recipe, ToolSpec
from mbfab.rules.battery import net_finding, short_finding
from mbfab.rules.deck import default_values
from mbfab.rules.engine import LayoutData, check_layout
from mbfab.rules.litho import contact_resolution_um, projection_resolution_um, resist_absorbs
from mbfab.rules.model import Finding, LayerRef, Metric, Rule

if TYPE_CHECKING:  # the layout core owns gdstk; rules only pass its cells along
    import gdstk

__all__ = ["RecipeDeck", "check_device", "recipe_deck", "resolution_um"]

_CAST = ("electrolyte", "separator", "seal", "passivation", "mold")
#: Deposition methods (words in a layer's traveler ``deposition.method``) that coat the
#: resist sidewall like any lift-off film, whatever the layer's role.
_VAPOUR = ("sputter", "evaporat", "vapour", "vapor", "cvd", "ald", "pld")


def _cast(spec: LayerSpec) -> bool:
    """Cast into its resist window (polymer electrolyte, seal, mould fill): the lift-off
    resist/film ratio does not apply, unless the recipe deposits the film from the vapour
    (sputtered LiPON lifts off like a metal)."""
    method = str(spec.traveler.steps.get("deposition", {}).get("method", "")).lower()
    return spec.role in _CAST and not any(word in method for word in _VAPOUR)


def _default(name: str) -> float:
    return float(default_values()[name]["value"])


def _source(name: str) -> str:
    return str(default_values()[name]["source"]).strip()


def resolution_um(tool: ToolSpec, resist_um: float) -> float:
    """Smallest feature the tool prints in ``resist_um`` of resist."""
    if tool.kind in ("contact", "proximity"):
        factor = _default("contact_resolution_factor")
        return contact_resolution_um(tool.wavelength, tool.gap, resist_um, factor)
    if tool.kind == "projection":
        return projection_resolution_um(tool.wavelength, tool.na or 0.5, tool.k1)
    return tool.min_feature or 1.0


@dataclass
class RecipeDeck:
    """Geometric rules for the engine, net rules, and the parameter findings already made."""

    rules: list[Rule]
    net_rules: list[Rule]
    findings: list[Finding]
    growth_um: float = 0.0


def _ref(spec: LayerSpec) -> LayerRef:
    return LayerRef(spec.name, spec.gds[0], spec.gds[1])


def _tag(name: str) -> str:
    return "".join(ch for ch in name.upper() if ch.isalnum()) or "L"


def _thickness(spec: LayerSpec, resist: Resist) -> float:
    return spec.resist_thickness or sum(resist.thickness_range) / 2


def recipe_deck(recipe: Recipe, resists: dict[str, Resist]) -> RecipeDeck:
    """The default deck of ``recipe`` (``resists`` by layer name), with its overrides."""
    tool = recipe.tool
    rules: list[Rule] = []
    nets: list[Rule] = []
    findings: list[Finding] = []
    tool_text = f"{tool.name} ({tool.kind}, {tool.wavelength * 1000:g} nm)"
    for spec in recipe.layers:
        ref, tag, resist = _ref(spec), _tag(spec.name), resists[spec.name]
        t_resist = _thickness(spec, resist)
        res = resolution_um(tool, t_resist)
        src = f"{tool_text}, {t_resist:g} um {resist.display}; " + _source(
            "contact_resolution_factor"
        )
        facing = "(projection metric: facing edges; round posts read their diameter)"
        rules += [
            Rule(
                f"RES.{tag}.1",
                "width",
                (ref,),
                res,
                f"min width the tool resolves {facing}",
                src,
                metric="projection",
            ),
            Rule(
                f"RES.{tag}.2",
                "space",
                (ref,),
                res,
                f"min space the tool resolves {facing}",
                src,
                metric="projection",
            ),
        ]
        ar_min = t_resist / resist.max_aspect_ratio
        ar_src = f"{resist.display} max aspect ratio {resist.max_aspect_ratio:g}: {resist.source}"
        rules += [
            Rule(
                f"AR.{tag}.1",
                "width",
                (ref,),
                ar_min,
                f"resist aspect ratio (lines) {facing}",
                ar_src,
                metric="projection",
            ),
            Rule(
                f"AR.{tag}.2",
                "space",
                (ref,),
                ar_min,
                f"resist aspect ratio (openings) {facing}",
                ar_src,
                metric="projection",
            ),
            Rule(
                f"VERT.{tag}.1",
                "vertices",
                (ref,),
                float(recipe.output.max_points),
                "vertices per polygon within the output limit",
                _source("gds_max_vertices"),
            ),
            Rule(f"VALID.{tag}.1", "valid", (ref,), None, "no self-intersecting polygon", ""),
        ]
        findings += _parameter_findings(spec, tag, ref, resist, t_resist, tool)
    _battery_rules(recipe, rules, nets)
    growth = sum(s.thickness for s in recipe.layers_with_role("cathode", "anode")[:2])
    rules = _apply_overrides(recipe, rules)
    return RecipeDeck(rules, nets, findings, growth)


def _parameter_findings(
    spec: LayerSpec, tag: str, ref: LayerRef, resist: Resist, t_resist: float, tool: ToolSpec
) -> list[Finding]:
    out = []
    multiple = _default("liftoff_resist_multiple")
    if spec.process == "lift-off" and not _cast(spec):
        rule = Rule(
            f"LIFTOFF.{tag}.1",
            "liftoff",
            (ref,),
            multiple,
            f"lift-off resist >= {multiple:g} x film thickness",
            _source("liftoff_resist_multiple"),
        )
        ratio = t_resist / spec.thickness
        bad = ratio < multiple
        out.append(
            Finding(
                rule, int(bad), round(ratio, 3), message=f"resist/film = {ratio:.3g}" if bad else ""
            )
        )
    if spec.process == "lift-off" and resist.tone == "positive":
        plain = not (resist.image_reversal or resist.undercut)
        rule = Rule(
            f"LIFTOFF.{tag}.2",
            "liftoff-profile",
            (ref,),
            None,
            "lift-off wants a negative or undercut resist profile",
            "domain-facts 2: nLOF negative profile / AZ 5214E image reversal for lift-off",
            "warning",
        )
        out.append(
            Finding(
                rule,
                int(plain),
                message=f"{resist.display} is positive without undercut" if plain else "",
            )
        )
    absorbs = resist_absorbs(resist.sensitivity_nm, tool.wavelength)
    rule = Rule(
        f"TOOL.{tag}.1",
        "sensitivity",
        (ref,),
        tool.wavelength,
        "resist absorbs at the tool wavelength",
        f"{resist.display}: sensitive {resist.sensitivity_nm[0]:g}-{resist.sensitivity_nm[1]:g} nm",
    )
    message = (
        "" if absorbs else f"{resist.display} does not absorb at {tool.wavelength * 1000:g} nm"
    )
    out.append(Finding(rule, int(not absorbs), message=message))
    low, high = resist.thickness_range
    rule = Rule(
        f"RESIST.{tag}.1",
        "resist-thickness",
        (ref,),
        t_resist,
        "resist thickness within its single-coat range",
        resist.source,
        "warning",
    )
    outside = not low <= t_resist <= high
    out.append(
        Finding(
            rule,
            int(outside),
            message=f"{t_resist:g} um outside {low:g}-{high:g} um" if outside else "",
        )
    )
    return out


def _below(stack: tuple[str, ...], lower: str, upper: str) -> bool:
    """``lower`` lies under ``upper`` in the design's declared stack (undeclared: assume so)."""
    if lower not in stack or upper not in stack:
        return True
    return stack.index(lower) < stack.index(upper)


def _battery_rules(recipe: Recipe, rules: list[Rule], nets: list[Rule]) -> None:
    """Rules that follow the design's declared stack (``stack`` and ``electrodes`` of its
    parameters): an electrode lies inside the collector *below* it; an electrolyte or
    separator film of the stack covers the electrodes (an error when the electrodes are
    stacked, since that film alone keeps them apart; lost capacity, a warning, when they lie
    side by side); side-by-side electrodes keep an in-plane gap and never touch, stacked ones
    overlap in plan by design and their collectors must stay apart instead."""
    tool = recipe.tool
    stack = type(recipe.design).stack
    stacked = type(recipe.design).electrodes == "stacked"
    cathodes = [_ref(s) for s in recipe.layers_with_role("cathode")]
    anodes = [_ref(s) for s in recipe.layers_with_role("anode")]
    collectors = {
        net: recipe.layers_with_role(f"{net}-collector") or recipe.layers_with_role("collector")
        for net in ("cathode", "anode")
    }
    overlay_src = f"{tool.name}: overlay {tool.overlay:g} um (recipe tool.overlay)"
    for net, electrodes in (("cathode", cathodes), ("anode", anodes)):
        if not electrodes or not collectors[net]:
            continue
        cc_spec = collectors[net][0]
        cc = _ref(cc_spec)
        for e in electrodes:
            if _below(stack, cc_spec.role, net):
                rules.append(
                    Rule(
                        f"ENC.{_tag(e.name)}.1",
                        "enclosure",
                        (cc, e),
                        tool.overlay,
                        f"{e.name} inside its collector by at least the overlay",
                        overlay_src,
                    )
                )
            nets.append(
                Rule(
                    f"NET.{_tag(net)}.1",
                    "net",
                    (cc, e),
                    None,
                    f"the {net} net is one connected piece reaching its pad",
                    "",
                )
            )
    covers = [s for s in recipe.layers_with_role("electrolyte", "separator") if s.role in stack]
    for el in covers:
        for e in [*cathodes, *anodes]:
            rules.append(
                Rule(
                    f"ENC.{_tag(el.name)}.{_tag(e.name)}",
                    "enclosure",
                    (_ref(el), e),
                    tool.overlay,
                    f"{el.role} covers {e.name} by at least the overlay",
                    overlay_src,
                    "error" if stacked else "warning",
                )
            )
    if stacked:
        _collector_rules(recipe, collectors, rules, nets)
    elif cathodes and anodes:
        _gap_rules(recipe, cathodes[0], anodes[0], collectors, rules, nets)


def _collector_rules(
    recipe: Recipe, collectors: dict[str, list[LayerSpec]], rules: list[Rule], nets: list[Rule]
) -> None:
    """Stacked electrodes: the two collectors, side by side on the substrate, never touch
    and stay an overlay apart (they are printed from two masks)."""
    if not collectors["cathode"] or not collectors["anode"]:
        return
    c, a = _ref(collectors["cathode"][0]), _ref(collectors["anode"][0])
    if c == a:
        return
    tool = recipe.tool
    rules.append(
        Rule(
            "GAP.CC.1",
            "separation",
            (c, a),
            tool.overlay,
            "cathode and anode collectors apart by at least the overlay",
            f"{tool.name}: overlay {tool.overlay:g} um (recipe tool.overlay)",
        )
    )
    nets.append(
        Rule(
            "SHORT.CA.1",
            "short",
            (c, c, a),
            None,
            "cathode and anode collectors never touch (stacked electrodes overlap by design)",
            "",
        )
    )


def _gap_rules(
    recipe: Recipe,
    c: LayerRef,
    a: LayerRef,
    collectors: dict[str, list[LayerSpec]],
    rules: list[Rule],
    nets: list[Rule],
) -> None:
    """Side-by-side electrodes: an in-plane gap the tool resolves and that stays open."""
    tool = recipe.tool
    thickest = max(recipe.layers, key=lambda s: s.resist_thickness or 0.0)
    res = resolution_um(tool, thickest.resist_thickness or 1.0)
    rules.append(
        Rule(
            "GAP.CA.1",
            "separation",
            (c, a),
            res,
            "cathode-anode gap the tool resolves",
            "tool resolution (RES rules)",
        )
    )
    t_c = recipe.layer(c.name).thickness
    t_a = recipe.layer(a.name).thickness
    rules.append(
        Rule(
            "GAP.CA.2",
            "separation",
            (c, a),
            t_c + t_a,
            "gap stays open after both electrodes grow sideways by their thickness",
            "electroplated/deposited films spread sideways about their thickness",
        )
    )
    pool = collectors["cathode"] or collectors["anode"]
    coll = _ref(pool[0]) if pool else c
    nets.append(
        Rule("SHORT.CA.1", "short", (coll, c, a), None, "cathode and anode nets never touch", "")
    )


def _default_metric(kind: str) -> Metric:
    """Projection for width and space (facets of curves), Euclidian for clearances."""
    return "projection" if kind in ("width", "space") else "euclidian"


def _apply_overrides(recipe: Recipe, rules: list[Rule]) -> list[Rule]:
    """The recipe's ``rules:`` entries change values, disable, or add rules by ID."""
    by_id = {r.id: r for r in rules}
    layers = {s.name: _ref(s) for s in recipe.layers}
    for spec in recipe.rules:
        base = by_id.get(spec.id)
        if not spec.enabled:
            by_id.pop(spec.id, None)
            continue
        if base is not None:
            by_id[spec.id] = replace(
                base,
                value=spec.value if spec.value is not None else base.value,
                severity=spec.severity,
                description=spec.description or base.description,
                source="recipe rules:",
                metric=spec.metric or base.metric,
            )
        elif spec.kind is not None:
            refs = tuple(layers[name] for name in spec.layers if name in layers)
            by_id[spec.id] = Rule(
                spec.id,
                spec.kind,
                refs,
                spec.value,
                spec.description,
                "recipe rules:",
                spec.severity,
                spec.metric or _default_metric(spec.kind),
            )
    return list(by_id.values())


def check_device(loaded: LoadedRecipe, cell: gdstk.Cell, max_markers: int = 1000) -> list[Finding]:
    """Every rule of the recipe on the device ``cell`` (what compile writes)."""
    recipe = loaded.recipe
    resists = {spec.name: loaded.resist(spec.name) for spec in recipe.layers}
    deck = recipe_deck(recipe, resists)
    data = LayoutData(cell=cell)
    findings = list(deck.findings)
    findings += check_layout(data, deck.rules, max_markers)
    for rule in deck.net_rules:
        findings.append(
            short_finding(rule, data) if rule.kind == "short" else net_finding(rule, data)
        )
    for finding in findings:
        if finding.rule.id == "GAP.CA.2" and finding.worst is not None:
            effective = finding.worst - deck.growth_um
            finding.message = f"effective gap {effective:.3g} um after {deck.growth_um:g} um growth"
    return findings
