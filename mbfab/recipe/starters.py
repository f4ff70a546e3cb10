"""Commented starter recipes, one per design kind, shipped in ``mbfab/starters``
(``mbfab init KIND``). Each compiles clean as it stands."""

from __future__ import annotations

from importlib import resources

from mbfab.errors import InputError, Location, RecipeError, did_you_mean
from mbfab.recipe.design_params import DESIGN_PARAMS

__all__ = ["STARTER_KINDS", "starter_text"]

STARTER_KINDS = tuple(DESIGN_PARAMS)
_SCHEMA_MARK = "@SCHEMA@"


def starter_text(kind: str, schema: str) -> str:
    """The starter recipe of design ``kind``, its editor schema line pointing at ``schema``."""
    if kind not in STARTER_KINDS:
        problem = f"no starter for design kind {kind!r}{did_you_mean(kind, STARTER_KINDS)}"
        raise RecipeError([InputError(Location("mbfab init"), problem)])
    text = resources.files("mbfab").joinpath("starters", f"{kind}.yaml").read_text("utf-8")
    return text.replace(_SCHEMA_MARK, schema)
