"""Human description of a parameter model (for ``mbfab designs`` and the docs)."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from mbfab.recipe.fields import to_micrometres
from mbfab.units import format_length

__all__ = ["block_model", "describe_params", "field_rows", "is_length_field"]


def _is_length(annotation: Any, metadata: Any = ()) -> bool:
    metadata = [*metadata, *getattr(annotation, "__metadata__", ())]
    if any(getattr(m, "func", None) is to_micrometres for m in metadata):
        return True
    return any(_is_length(arg) for arg in typing.get_args(annotation))


def is_length_field(field: FieldInfo) -> bool:
    """True when a model field holds a length (or a tuple/list of lengths)."""
    return _is_length(field.annotation, field.metadata)


def block_model(annotation: Any) -> type[BaseModel] | None:
    """The parameter model of a nested block (``posts: PostsSpec | None``), else None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        if (found := block_model(arg)) is not None:
            return found
    return None


def _choices(annotation: Any) -> list[str]:
    """Allowed values of a ``Literal`` field (also inside ``X | None``)."""
    if typing.get_origin(annotation) is typing.Literal:
        return [str(value) for value in typing.get_args(annotation)]
    return [c for arg in typing.get_args(annotation) for c in _choices(arg)]


def _shown(default: Any, is_length: bool) -> str:
    if default is None:
        return "-"
    if is_length and isinstance(default, int | float):
        return format_length(float(default))
    if is_length and isinstance(default, tuple):
        return "[" + ", ".join(format_length(float(v)) for v in default) + "]"
    return str(default)


def _type_name(annotation: Any) -> str:
    """``int`` for ``int | None``; ``value`` when there is no plain name."""
    names = [getattr(a, "__name__", "") for a in (annotation, *typing.get_args(annotation))]
    return next((n for n in names if n and n not in ("NoneType", "Optional", "Union")), "value")


def describe_params(
    model: type[BaseModel], indent: str = "", defaults: BaseModel | None = None
) -> list[str]:
    """One line per field: name, type with unit, default, description; nested blocks
    (``posts``, ``region``) as a line of their own followed by their fields, indented, with
    the defaults the enclosing model gives them."""
    lines = []
    width = 20 - len(indent)
    for name, field in model.model_fields.items():
        if name == "kind":
            continue
        default = (
            getattr(defaults, name)
            if defaults is not None
            else field.get_default(call_default_factory=True)
        )
        block = block_model(field.annotation)
        if block is not None:
            state = "optional block" if default is None else "block"
            lines.append(f"{indent}{name:<{width}} {state:<33} {field.description or ''}")
            lines.extend(describe_params(block, indent + "  ", default))
            continue
        is_length = _is_length(field.annotation, field.metadata)
        shown = _shown(default, is_length)
        choices = _choices(field.annotation)
        if is_length:
            kind = "length"
        elif choices:
            kind = "choice"
        else:
            kind = _type_name(field.annotation)
        text = field.description or ""
        if choices:
            text = f"{text} (one of: {', '.join(choices)})".strip()
        lines.append(f"{indent}{name:<{width}} {kind:<8} default {shown:<16} {text}".rstrip())
    return lines


def field_rows(model: type[BaseModel]) -> list[tuple[str, str, str, str]]:
    """``(name, type, default, meaning)`` of each field, for reference tables."""
    rows = []
    for name, field in model.model_fields.items():
        if name == "kind" and len(_choices(field.annotation)) == 1:
            continue  # a design kind's own tag
        block = block_model(field.annotation)
        is_length = _is_length(field.annotation, field.metadata)
        choices = _choices(field.annotation)
        if block is not None:
            kind = "block"
        elif is_length:
            kind = "length"
        elif choices:
            kind = " \\| ".join(f"`{c}`" for c in choices)
        else:
            kind = _type_name(field.annotation)
        if field.is_required():
            shown = "required"
        elif block is not None:
            shown = "-" if field.get_default(call_default_factory=True) is None else "see below"
        else:
            shown = _shown(field.get_default(call_default_factory=True), is_length)
        text = (field.description or "").replace("|", "\\|")
        rows.append((name, kind, shown, text))
    return rows
