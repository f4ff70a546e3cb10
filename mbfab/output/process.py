"""The process model: every recipe layer becomes an ordered list of fabrication steps.

For each layer: the steps its process needs before lithography (a blanket film to etch, a
plating seed), clean and pretreatment, spin coat (speed from the resist's spin curve), soft
bake, exposure (dose for the thickness, at the tool's wavelength, through the named plate),
post-exposure or image-reversal bake (+ flood), development, then the process itself
(deposition + lift-off, etch + strip, plating + strip, cure, DRIE + strip, mold casting).
Sacrificial layers are released at the end. Numbers come from ``mbfab/data``; a recipe may
override any step's parameters (``layers[i].traveler``). All problems are reported at once as
located errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from mbfab.errors import InputError, RecipeError
from mbfab.output.steps import SPIN_TIME_S, SpinChoice, Step, choose_spin, litho_steps
from mbfab.recipe.catalog import Resist, process_library
from mbfab.recipe.loader import LoadedRecipe, did_you_mean
from mbfab.recipe.process_data import ParamValue, ProcessLibrary, StepTemplate
from mbfab.recipe.schema import LayerSpec

__all__ = [
    "SPIN_TIME_S",
    "Film",
    "LayerProcess",
    "PlateRef",
    "SpinChoice",
    "Step",
    "Traveler",
    "build_traveler",
    "choose_spin",
]


@dataclass(frozen=True)
class PlateRef:
    """What the traveler says about a layer's mask (or maskless data file)."""

    file: str
    top_cell: str
    data: str  # "chrome" / "clear": what the polygons are
    field: str  # "clear" / "dark"
    maskless: bool = False

    @property
    def statement(self) -> str:
        if self.maskless:
            return f"maskless data {self.file} (flat, as seen on the wafer)"
        return f"plate {self.file} ({self.top_cell}): data = {self.data}, {self.field} field"


@dataclass(frozen=True)
class Film:
    """One film of the stack, for the cross-section sketch."""

    name: str
    material: str
    thickness_um: float
    patterned: bool
    kind: str = "film"  # film | resist | etched-substrate


@dataclass(frozen=True)
class LayerProcess:
    """One numbered section of the traveler."""

    number: int
    layer: LayerSpec
    resist: Resist
    resist_thickness_um: float
    steps: list[Step]
    plate: PlateRef | None
    warnings: list[str]
    stack: list[Film]


@dataclass(frozen=True)
class Traveler:
    """The whole traveler of one recipe."""

    name: str
    description: str
    recipe_file: str
    sha256: str
    tool: str
    sections: list[LayerProcess]
    final: list[Step]
    final_stack: list[Film]


def build_traveler(loaded: LoadedRecipe, plates: Mapping[str, PlateRef] | None = None) -> Traveler:
    """The traveler of ``loaded``; ``plates`` names each layer's plate (by layer name)."""
    recipe = loaded.recipe
    library = process_library()
    problems: list[InputError] = []
    sections: list[LayerProcess] = []
    stack: list[Film] = []
    for index, layer in enumerate(recipe.layers):
        section = _layer_section(loaded, index, layer, library, problems, stack)
        if section is None:
            continue
        plate = plates.get(layer.name) if plates else None
        section = replace(section, plate=plate, steps=_name_plate(section.steps, plate))
        stack = section.stack
        sections.append(section)
    if problems:
        raise RecipeError(problems)
    final, final_stack = _release_steps(recipe.layers, library, stack)
    tool = recipe.tool
    tool_text = f"{tool.name} ({tool.kind}, {tool.wavelength * 1000:.0f} nm)"
    return Traveler(
        name=recipe.name,
        description=recipe.description,
        recipe_file=loaded.path.name,
        sha256=loaded.sha256,
        tool=tool_text,
        sections=sections,
        final=final,
        final_stack=final_stack,
    )


def _layer_section(
    loaded: LoadedRecipe,
    index: int,
    layer: LayerSpec,
    library: ProcessLibrary,
    problems: list[InputError],
    stack_before: list[Film],
) -> LayerProcess | None:
    source = loaded.source
    where = ("layers", index)
    resist = loaded.resist(layer.name)
    if resist.process is None:
        problems.append(source.error((*where, "resist"), f"{resist.name} has no process data"))
        return None
    process = resist.process
    template = library.processes[layer.process]
    thickness = layer.resist_thickness or process.typical_thickness
    spin = choose_spin(resist, thickness)
    if isinstance(spin, str):
        key = "resist_thickness" if layer.resist_thickness else "resist"
        problems.append(source.error((*where, key), spin))
        return None
    wavelength_nm = loaded.recipe.tool.wavelength * 1000.0
    lo_nm, hi_nm = resist.sensitivity_nm
    if not lo_nm <= wavelength_nm <= hi_nm:
        problems.append(
            source.error(
                ("tool", "wavelength"),
                f"{wavelength_nm:.0f} nm does not expose {resist.display} of layer "
                f"{layer.name!r} (sensitive {lo_nm:.0f}-{hi_nm:.0f} nm)",
            )
        )
        return None
    names = _pretreatments(layer, template.pretreatment, library, where, loaded, problems)
    remover = library.removers[process.remover].display if process.remover else "n/a"
    context = {
        "material": layer.material or layer.role,
        "thickness_um": f"{layer.thickness:g}",
        "resist": resist.display,
        "remover": remover,
        "layer": layer.name,
        "method": "",
    }
    steps = [_from_template(t, context) for t in template.before]
    for name in names:
        entry = library.pretreatments[name]
        steps.append(Step(name, entry.display, dict(entry.params), entry.source))
    steps += litho_steps(loaded, resist, thickness, spin, wavelength_nm, library)
    for step_template in template.after:
        step = _from_template(step_template, context)
        if step.kind == "cure" and process.cure is not None:
            cure = process.cure
            cure_params: dict[str, ParamValue] = {
                "temperature_c": cure.temperature_c,
                "time_s": cure.time_s,
            }
            step = replace(step, params=cure_params, source=cure.source)
        steps.append(step)
    steps = _apply_overrides(steps, layer, loaded, where, problems, context)
    warnings = _warnings(layer, thickness, steps, template.min_resist_ratio)
    return LayerProcess(
        number=index + 1,
        layer=layer,
        resist=resist,
        resist_thickness_um=thickness,
        steps=steps,
        plate=None,
        warnings=warnings,
        stack=_stack_after(stack_before, layer, resist, thickness),
    )


def _pretreatments(
    layer: LayerSpec,
    default: list[str],
    library: ProcessLibrary,
    where: tuple[str | int, ...],
    loaded: LoadedRecipe,
    problems: list[InputError],
) -> list[str]:
    chosen = layer.traveler.pretreatment
    if chosen is None:
        return list(default)
    known = list(library.pretreatments)
    good = []
    for position, name in enumerate(chosen):
        if name in library.pretreatments:
            good.append(name)
        else:
            problems.append(
                loaded.source.error(
                    (*where, "traveler", "pretreatment", position),
                    f"unknown pretreatment {name!r}{did_you_mean(name, known)}",
                )
            )
    return good


def _name_plate(steps: list[Step], plate: PlateRef | None) -> list[Step]:
    if plate is None:
        return steps
    return [
        replace(s, params={**s.params, "plate": plate.statement}) if s.kind == "exposure" else s
        for s in steps
    ]


def _from_template(template: StepTemplate, context: Mapping[str, str]) -> Step:
    params = dict(template.params)
    filled = {**context, "method": str(params.get("method", ""))}
    return Step(
        template.kind,
        template.action.format_map(filled),
        params,
        template.source,
        tuple(template.notes),
    )


def _apply_overrides(
    steps: list[Step],
    layer: LayerSpec,
    loaded: LoadedRecipe,
    where: tuple[str | int, ...],
    problems: list[InputError],
    context: Mapping[str, str],
) -> list[Step]:
    overrides = layer.traveler.steps
    kinds = [s.kind for s in steps]
    for kind in overrides:
        if kind not in kinds and not (kind == "release" and layer.role == "sacrificial"):
            problems.append(
                loaded.source.error(
                    (*where, "traveler", "steps", kind),
                    f"layer {layer.name!r} has no step {kind!r}{did_you_mean(kind, kinds)}",
                )
            )
    result = []
    for step in steps:
        if step.kind not in overrides:
            result.append(step)
            continue
        values = overrides[step.kind]
        if values.get("skip") is True:
            continue
        params = {**step.params, **{k: v for k, v in values.items() if k != "skip"}}
        action = step.action
        if "method" in values and step.kind == "deposition":
            action = f"Deposit {context['material']} ({values['method']})"
        changed = ", ".join(sorted(k for k in values if k != "skip"))
        result.append(
            replace(
                step, action=action, params=params, notes=(*step.notes, f"recipe sets {changed}")
            )
        )
    return result


def _warnings(
    layer: LayerSpec, resist_um: float, steps: list[Step], ratios: Mapping[str, float]
) -> list[str]:
    """Thickness sanity checks a technician would make before starting."""
    warnings = []
    by_kind = {s.kind: s for s in steps}
    deposition = by_kind.get("deposition")
    if layer.process == "lift-off" and deposition is not None:
        method = str(deposition.params.get("method", ""))
        ratio = ratios.get(method)
        if ratio is not None and resist_um < ratio * layer.thickness:
            warnings.append(
                f"lift-off needs resist >= {ratio:g}x the film for {method} "
                f"({ratio * layer.thickness:g} um); the recipe gives {resist_um:g} um"
            )
    if layer.process in {"plating", "mold"} and layer.thickness > resist_um:
        warnings.append(
            f"the {layer.thickness:g} um film is thicker than its {resist_um:g} um resist mold"
        )
    drie = by_kind.get("drie")
    if drie is not None:
        selectivity = float(drie.params.get("selectivity_si_to_resist", 0) or 0)
        if selectivity and resist_um * selectivity < layer.thickness:
            warnings.append(
                f"DRIE to {layer.thickness:g} um at selectivity {selectivity:g}:1 consumes more "
                f"than the {resist_um:g} um resist mask"
            )
    return warnings


def _stack_after(
    before: list[Film], layer: LayerSpec, resist: Resist, resist_um: float
) -> list[Film]:
    """The film stack once ``layer`` is finished (resist removed unless it stays)."""
    material = layer.material or layer.role
    if layer.process == "substrate-etch":
        return [
            *before,
            Film(layer.name, "substrate etched", layer.thickness, True, "etched-substrate"),
        ]
    if layer.process in {"permanent", "mold"}:
        return [*before, Film(layer.name, resist.display, resist_um, True, "resist")]
    return [*before, Film(layer.name, material, layer.thickness, True)]


def _release_steps(
    layers: list[LayerSpec], library: ProcessLibrary, stack: list[Film]
) -> tuple[list[Step], list[Film]]:
    """Release of every sacrificial layer, after all layers are made."""
    steps = []
    released = set()
    for layer in layers:
        if layer.role != "sacrificial":
            continue
        template = library.release
        params = {**template.params, **layer.traveler.steps.get("release", {})}
        context = {
            "layer": layer.name,
            "material": layer.material or "sacrificial film",
            "etchant": str(params["etchant"]),
        }
        steps.append(
            Step(
                "release",
                template.action.format_map(context),
                params,
                template.source,
                tuple(template.notes),
            )
        )
        released.add(layer.name)
    final = [f for f in stack if f.name not in released]
    return steps, final
