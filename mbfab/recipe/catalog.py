"""Data tables shipped with mbfab (``mbfab/data/*.yaml``), loaded and validated once."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from mbfab.recipe.process_data import ProcessLibrary, ResistProcess

__all__ = ["Resist", "load_data_file", "normalise_name", "process_library", "resist_library"]


def normalise_name(name: str) -> str:
    """Catalogue lookup key: case, spaces, dashes and underscores do not matter."""
    return re.sub(r"[\s_\-]+", "", name).lower()


def load_data_file(filename: str) -> Any:
    """Parse one YAML table from ``mbfab/data``."""
    text = resources.files("mbfab.data").joinpath(filename).read_text(encoding="utf-8")
    return yaml.safe_load(text)


class Resist(BaseModel):
    """One photoresist: its tone as used and the limits the rules and traveler need."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    display: str
    tone: Literal["positive", "negative"]
    family: str
    thickness_range: tuple[float, float] = Field(description="um, single coat")
    sensitivity_nm: tuple[float, float]
    max_aspect_ratio: float
    image_reversal: bool = False
    undercut: bool = False
    permanent: bool = False
    source: str
    process: ResistProcess | None = Field(None, description="coat/bake/expose/develop data")


@cache
def resist_library() -> dict[str, Resist]:
    """Every resist of ``resists.yaml`` keyed by :func:`normalise_name` of its name."""
    table = load_data_file("resists.yaml")["resists"]
    return {
        normalise_name(name): Resist(name=name, **entry) for name, entry in sorted(table.items())
    }


@cache
def process_library() -> ProcessLibrary:
    """``process_steps.yaml``, checked against the resist library's developer/remover names."""
    library = ProcessLibrary.model_validate(load_data_file("process_steps.yaml"))
    for resist in resist_library().values():
        process = resist.process
        if process is None:
            continue
        if process.develop.developer not in library.developers:
            raise ValueError(f"{resist.name}: unknown developer {process.develop.developer!r}")
        if process.remover is not None and process.remover not in library.removers:
            raise ValueError(f"{resist.name}: unknown remover {process.remover!r}")
    return library
