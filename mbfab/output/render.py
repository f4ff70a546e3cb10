"""The one jinja2 environment: templates shipped in ``mbfab/templates``, HTML autoescaped."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2

__all__ = ["render_template"]


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("mbfab", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "htm", "xml", "svg")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_template(name: str, **context: Any) -> str:
    """Render ``mbfab/templates/<name>``; HTML/SVG templates are autoescaped."""
    return _environment().get_template(name).render(**context)
