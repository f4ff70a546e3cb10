"""Human description of a parameter model (for ``mbfab designs`` and the docs)."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from mbfab.recipe.fields import to_micrometres
from mbfab.units import format_length

__all__ = ["describe_params", "is_length_field"]


def _is_length(annotation: Any, metadata: Any = ()) -> bool:
    metadata = [*metadata, *getattr(annotation, "__metadata__", ())]
    if any(getattr(m, "func", None) is to_micrometres for m in metadata):
        return True
    return any(_is_length(arg) for arg in typing.get_args(annotation))


def is_length_field(field: FieldInfo) -> bool:
    """True when a model field holds a length (or a tuple/list of lengths)."""
    return _is_length(field.annotation, field.metadata)


def describe_params(model: type[BaseModel]) -> list[str]:
    """One line per field: name, type with unit, default, description."""
    lines = []
    for name, field in model.model_fields.items():
        if name == "kind":
            continue
        is_length = _is_length(field.annotation, field.metadata)
        default = field.get_default(call_default_factory=True)
        if default is None:
            shown = "-"
        elif is_length and isinstance(default, int | float):
            shown = format_length(float(default))
        elif is_length and isinstance(default, tuple):
            shown = "[" + ", ".join(format_length(float(v)) for v in default) + "]"
        else:
            shown = str(default)
        kind = "length" if is_length else getattr(field.annotation, "__name__", "value")
        lines.append(f"{name:<20} {kind:<8} default {shown:<16} {field.description or ''}")
    return lines
