"""Recipe stage: YAML with positions, the strict schema, units and the data catalogues."""

from mbfab.recipe.catalog import Resist, load_data_file, normalise_name, resist_library
from mbfab.recipe.design_params import DESIGN_PARAMS, DesignParams, InterdigitalParams
from mbfab.recipe.loader import LoadedRecipe, did_you_mean, load_recipe, validate_recipe_data
from mbfab.recipe.schema import (
    PROCESSES,
    ROLES,
    LayerSpec,
    OutputSpec,
    Recipe,
    RuleSpec,
    ToolSpec,
)

__all__ = [
    "DESIGN_PARAMS",
    "PROCESSES",
    "ROLES",
    "DesignParams",
    "InterdigitalParams",
    "LayerSpec",
    "LoadedRecipe",
    "OutputSpec",
    "Recipe",
    "Resist",
    "RuleSpec",
    "ToolSpec",
    "did_you_mean",
    "load_data_file",
    "load_recipe",
    "normalise_name",
    "resist_library",
    "validate_recipe_data",
]
