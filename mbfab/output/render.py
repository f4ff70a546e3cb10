"""The jinja2 environments: templates shipped in ``mbfab/templates``; HTML autoescaped,
Markdown escaped for Markdown (user text never becomes markup in either)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import jinja2

__all__ = ["md_cell", "md_escape", "render_template"]

#: What makes Markdown markup of plain text: a backslash (it would undo an escape), raw
#: HTML and autolinks (``<`` before a tag name, ``/``, ``!`` or ``?``), entities, inline
#: links and images (``](``); at the start of a value, a heading or a quote.
_MD_ACTIVE = re.compile(r"\\|<(?=[A-Za-z/!?])|&(?=#?\w+;)|(?<=\])\(|^[#>]")


class _MdSafe(str):
    """Text already escaped for Markdown (left alone by the escaping ``finalize``)."""


def md_escape(value: Any) -> str:
    """``value`` as Markdown that shows it literally: HTML, link, entity and heading syntax
    backslash-escaped, line breaks folded to spaces (no injected blocks)."""
    if isinstance(value, _MdSafe):
        return value
    text = " ".join(str(value).splitlines())
    return _MdSafe(_MD_ACTIVE.sub(lambda m: "\\" + m.group(), text))


def md_cell(value: Any) -> str:
    """:func:`md_escape` for a table cell (``|`` escaped as well)."""
    return _MdSafe(md_escape(value).replace("|", "\\|"))


def _loader() -> jinja2.BaseLoader:
    return jinja2.PackageLoader("mbfab", "templates")


@cache
def _environment(markdown: bool) -> jinja2.Environment:
    options: dict[str, Any] = {}
    if markdown:
        options["finalize"] = md_escape
    environment = jinja2.Environment(
        loader=_loader(),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "htm", "xml", "svg")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        **options,
    )
    environment.filters["md_cell"] = md_cell
    return environment


def render_template(name: str, **context: Any) -> str:
    """Render ``mbfab/templates/<name>``; HTML/SVG templates are autoescaped, every value a
    Markdown template prints is escaped for Markdown."""
    return _environment(name.endswith(".md")).get_template(name).render(**context)
