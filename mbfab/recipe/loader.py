"""Load a recipe file: YAML with positions -> strict schema -> cross-checks, all errors at once."""

from __future__ import annotations

import hashlib
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from mbfab.errors import InputError, RecipeError, did_you_mean
from mbfab.recipe.budget import budget_problems
from mbfab.recipe.catalog import Resist, normalise_name, resist_library
from mbfab.recipe.design_params import DESIGN_PARAMS
from mbfab.recipe.layout_spec import design_variants, layout_problems
from mbfab.recipe.plausible import unit_slips
from mbfab.recipe.schema import Recipe
from mbfab.recipe.yamlsource import SourceMap, load_yaml
from mbfab.units import LENGTH_UNITS_UM

__all__ = ["LoadedRecipe", "did_you_mean", "load_recipe", "validate_recipe_data"]


@dataclass(frozen=True)
class LoadedRecipe:
    """A validated recipe with where it came from."""

    recipe: Recipe
    path: Path
    sha256: str
    source: SourceMap
    #: Located warnings (likely unit slips); they never stop a compile.
    warnings: tuple[InputError, ...] = ()

    def resist(self, layer_name: str) -> Resist:
        """The library resist of layer ``layer_name``."""
        return resist_library()[normalise_name(self.recipe.layer(layer_name).resist)]


def load_recipe(path: Path | str) -> LoadedRecipe:
    """Read, validate and cross-check ``path``; raise :class:`RecipeError` listing every problem."""
    path = Path(path)
    document = load_yaml(path)
    recipe = validate_recipe_data(document.data, document.source)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    warnings = tuple(unit_slips(recipe, document.data, document.source))
    return LoadedRecipe(recipe, path, digest, document.source, warnings)


def validate_recipe_data(data: Any, source: SourceMap) -> Recipe:
    """Validate parsed YAML against the schema and the catalogues."""
    if not isinstance(data, dict):
        raise RecipeError(
            [source.error((), "a recipe must be a mapping of keys (mbfab, name, ...)")]
        )
    units = data.get("units", "um")
    context = {"units": units if isinstance(units, str) and units in LENGTH_UNITS_UM else "um"}
    try:
        recipe = Recipe.model_validate(data, context=context)
    except ValidationError as exc:
        raise RecipeError(_schema_problems(exc, data, source)) from None
    problems = _cross_check(recipe, source)
    if problems:
        raise RecipeError(problems)
    return recipe


def _schema_problems(exc: ValidationError, data: Any, source: SourceMap) -> list[InputError]:
    problems = []
    for error in exc.errors(include_url=False):
        path = _data_path(error["loc"], data)
        if error["type"] in {"union_tag_invalid", "union_tag_not_found"}:
            path = (*path, "kind")
        problems.append(source.error(path, _message(error, path, data)))
    return _unique(problems)


def _unique(problems: list[InputError]) -> list[InputError]:
    seen: set[str] = set()
    result = []
    for problem in problems:
        if str(problem) not in seen:
            seen.add(str(problem))
            result.append(problem)
    return result


def _child(node: Any, part: str | int) -> tuple[bool, Any]:
    """``(True, node[part])`` when ``part`` is a key or index of ``node``."""
    if isinstance(node, dict) and part in node:
        return True, node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return True, node[part]
    return False, None


def _data_path(loc: Sequence[str | int], data: Any) -> tuple[str | int, ...]:
    """Drop the parts of a pydantic location that are not keys of the data (union tags)."""
    path: list[str | int] = []
    node: Any = data
    for part in loc:
        found, child = _child(node, part)
        if not found and isinstance(node, dict) and node.get("kind") == part:
            continue  # discriminated-union tag
        node = child
        path.append(part)
    return tuple(path)


def _message(error: Any, path: tuple[str | int, ...], data: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(path[-1])
        allowed = _allowed_keys(path[:-1], data)
        return f"unknown key {key!r}{did_you_mean(key, allowed)}"
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        got = error.get("input")
        return f"{got!r} is not allowed; use one of {expected}"
    if kind in {"union_tag_invalid", "union_tag_not_found"}:
        kinds = list(DESIGN_PARAMS)
        got = error.get("input", {}).get("kind") if isinstance(error.get("input"), dict) else None
        if got is None:
            return f"design needs a 'kind'; one of {', '.join(kinds)}"
        return f"unknown design kind {got!r}{did_you_mean(str(got), kinds)}"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _allowed_keys(path: tuple[str | int, ...], data: Any) -> list[str]:
    """Field names of the model found at ``path`` (walking the schema alongside the data)."""
    model: Any = Recipe
    node = data
    for part in path:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else None
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(part)
        if field is None:
            return []
        node = node.get(part) if isinstance(node, dict) else None
        model = _model_of(field.annotation, node)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _model_of(annotation: Any, node: Any) -> Any:
    """The pydantic model an annotation stands for (list items, design kinds)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _model_of(typing.get_args(annotation)[0], node)
    if origin in (list, tuple):
        return _model_of(typing.get_args(annotation)[0], node)
    if origin in (typing.Union, types.UnionType):
        kind = node.get("kind") if isinstance(node, dict) else None
        if isinstance(kind, str) and kind in DESIGN_PARAMS:
            return DESIGN_PARAMS[kind]
        for arg in typing.get_args(annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                return arg
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if "kind" in annotation.model_fields and isinstance(node, dict):
            found: Any = DESIGN_PARAMS.get(str(node.get("kind")), annotation)
            return found
        return annotation
    return None


def _reach(recipe: Recipe) -> tuple[float, tuple[str | int, ...]]:
    """The largest distance a clearance rule measures, and where the recipe sets it: the
    tool's overlay (enclosure and collector rules) or a value in ``rules:``."""
    found: tuple[float, tuple[str | int, ...]] = (recipe.tool.overlay, ("tool", "overlay"))
    for index, rule in enumerate(recipe.rules):
        if rule.value is not None and rule.kind not in ("width", "space", "area"):
            found = max(found, (rule.value, ("rules", index, "value")), key=lambda r: r[0])
    return found


def _cross_check(recipe: Recipe, source: SourceMap) -> list[InputError]:
    """Checks across sections: unique layers, known resists, rule layers, design geometry."""
    problems: list[InputError] = []
    names: dict[str, int] = {}
    numbers: dict[tuple[int, int], int] = {}
    for index, layer in enumerate(recipe.layers):
        if layer.name in names:
            problems.append(
                source.error(
                    ("layers", index, "name"),
                    f"layer name {layer.name!r} is already used by layers[{names[layer.name]}]",
                )
            )
        names.setdefault(layer.name, index)
        if layer.gds in numbers:
            problems.append(
                source.error(
                    ("layers", index, "gds"),
                    f"GDS {layer.gds[0]}/{layer.gds[1]} is already used by "
                    f"layers[{numbers[layer.gds]}]",
                )
            )
        numbers.setdefault(layer.gds, index)
    for index, rule in enumerate(recipe.rules):
        for position, name in enumerate(rule.layers):
            if name not in names:
                problems.append(
                    source.error(
                        ("rules", index, "layers", position),
                        f"unknown layer {name!r}{did_you_mean(name, list(names))}",
                    )
                )
    kind = getattr(recipe.design, "kind", "")
    for role in recipe.design.needed_roles():
        found = [layer.name for layer in recipe.layers if layer.role == role]
        if len(found) != 1:
            count = "no layer has" if not found else f"{len(found)} layers have"
            problems.append(
                source.error(
                    ("layers",),
                    f"design {kind!r} needs exactly one layer with role {role!r}; {count} it",
                )
            )
    for path, message in recipe.design.problems():
        problems.append(source.error(("design", *path), message))
    layers = recipe.layers
    for path, message in layout_problems(
        [x.name for x in layers],
        [x.align_to for x in layers],
        [x.role for x in layers],
        recipe.seal,
    ):
        problems.append(source.error(path, message))
    if not problems:
        out = recipe.output
        problems += [
            source.error(path, message)
            for path, message in budget_problems(
                recipe.design,
                recipe.wafer,
                _reach(recipe),
                out.max_shapes,
                out.max_dies,
                out.max_pairs,
            )
        ]
    if recipe.wafer is not None and not problems:
        _, swept = design_variants(recipe.design, recipe.wafer.sweep, recipe.units)
        problems += [source.error(("wafer", "sweep", *path), message) for path, message in swept]
    return problems
