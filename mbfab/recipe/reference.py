"""The recipe reference (docs/recipe-reference.md), generated from the schema itself.

Run ``python -m mbfab.recipe.reference > docs/recipe-reference.md`` after changing the
schema; a test keeps the file in step.
"""

from __future__ import annotations

from pydantic import BaseModel

from mbfab.recipe.describe import block_model, field_rows
from mbfab.recipe.design_params import DESIGN_PARAMS
from mbfab.recipe.schema import Recipe

__all__ = ["reference_markdown"]

_HEADER = """\
# Recipe reference (generated)

Every key of the recipe language, generated from the schema by
`python -m mbfab.recipe.reference`; see [recipe.md](recipe.md) for the prose and an example.
Lengths are numbers in the recipe's `units` or strings with a unit (`500 nm`, `2 um`, `1 mm`).
"""


def _table(model: type[BaseModel], path: str, sections: list[str]) -> None:
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    nested: list[tuple[str, type[BaseModel]]] = []
    for name, kind, default, text in field_rows(model):
        rows.append(f"| `{name}` | {kind} | {default} | {text} |")
        block = block_model(model.model_fields[name].annotation)
        if block is not None and name != "design":
            nested.append((f"{path}.{name}" if path else name, block))
    title = f"`{path}`" if path else "Top level"
    doc = (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else ""
    sections.append(f"## {title}\n\n{doc}\n\n" + "\n".join(rows) + "\n")
    for sub_path, block in nested:
        _table(block, sub_path, sections)


def reference_markdown() -> str:
    """The whole reference as Markdown."""
    sections = [_HEADER]
    _table(Recipe, "", sections)
    for kind, params in DESIGN_PARAMS.items():
        rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
        rows += [f"| `{n}` | {k} | {d} | {t} |" for n, k, d, t in field_rows(params)]
        roles = ", ".join(f"`{r}`" for r in params.required_roles) or "-"
        doc = (params.__doc__ or "").strip().splitlines()[0]
        sections.append(
            f"## `design` with `kind: {kind}`\n\n{doc} Layer roles: {roles}.\n\n"
            + "\n".join(rows)
            + "\n"
        )
        for name, field in params.model_fields.items():
            block = block_model(field.annotation)
            if block is not None:
                _table(block, f"design.{name} ({kind})", sections)
    return "\n".join(sections)


if __name__ == "__main__":
    print(reference_markdown(), end="")
