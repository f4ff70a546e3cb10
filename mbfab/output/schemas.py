"""JSON Schemas of the recipe and of report.json, order.json and drc.json, from the code.

The recipe schema comes from the pydantic models that validate recipes (lengths as a number
or a string with a unit, as a recipe may write them); the output schemas from the typed
dictionaries the writers are annotated with. The files shipped in ``mbfab/schemas`` are
these, written by ``python -m mbfab.output.schemas`` (``make docs``); a test keeps them in
step. Editors use the recipe schema through the YAML language server::

    # yaml-language-server: $schema=../mbfab/schemas/recipe.schema.json
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from mbfab.output.records import OrderSheet, Report
from mbfab.recipe.schema import Recipe
from mbfab.rules.formats import DrcReport

__all__ = ["SCHEMA_NAMES", "schema_path", "schema_text", "shipped_schema"]

_TYPES: dict[str, Any] = {
    "recipe": Recipe,
    "report": Report,
    "order": OrderSheet,
    "drc": DrcReport,
}
_TITLES = {
    "recipe": "mbfab recipe (format 1)",
    "report": "mbfab report.json (mbfab-report/1)",
    "order": "mbfab order.json (mbfab-order/1)",
    "drc": "mbfab drc.json (mbfab-drc/1)",
}
SCHEMA_NAMES = tuple(_TYPES)


def _schema(name: str) -> dict[str, Any]:
    schema = TypeAdapter(_TYPES[name]).json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{name}.schema.json",
        **schema,
        "title": _TITLES[name],
    }


def schema_text(name: str) -> str:
    """The JSON Schema ``name`` (recipe, report, order, drc) generated from the code."""
    return json.dumps(_schema(name), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_path(name: str) -> Path:
    """Where the shipped schema file of ``name`` lies in the installed package."""
    return Path(str(resources.files("mbfab").joinpath("schemas", f"{name}.schema.json")))


def shipped_schema(name: str) -> str:
    """The shipped schema file of ``name``."""
    return schema_path(name).read_text(encoding="utf-8")


def main(folder: Path) -> None:
    """Write every schema file into ``folder``."""
    for name in SCHEMA_NAMES:
        (folder / f"{name}.schema.json").write_text(schema_text(name), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[1] / "schemas")
