"""One exception tree for mbfab.

Errors a user can act on derive from :class:`MbfabError`; the CLI turns them into a
one-line message and exit code 2. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "GdsReadError",
    "InputError",
    "Location",
    "MbfabError",
    "OutputError",
    "RecipeError",
    "SettingError",
    "UnitError",
    "did_you_mean",
    "format_key_path",
]


def format_key_path(path: Sequence[str | int]) -> str:
    """Render ``("layers", 2, "gds")`` as ``layers[2].gds``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or the allowed list when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f"; allowed: {', '.join(sorted(choices))}" if choices else ""


@dataclass(frozen=True)
class Location:
    """Where in an input file something was found (1-based line and column)."""

    file: str
    line: int | None = None
    column: int | None = None
    key_path: tuple[str | int, ...] = ()

    def render(self) -> str:
        text = self.file
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        if self.key_path:
            text += f": {format_key_path(self.key_path)}"
        return text


class MbfabError(Exception):
    """Base of every error a user can act on."""

    exit_code = 2

    def lines(self) -> list[str]:
        """The one-line messages this error renders to."""
        return [str(self)]


class UnitError(MbfabError, ValueError):
    """A quantity has a missing, unknown or invalid unit."""


class InputError(MbfabError):
    """One problem at one place of an input file."""

    def __init__(self, location: Location, message: str) -> None:
        super().__init__(f"{location.render()}: {message}")
        self.location = location
        self.message = message


class RecipeError(MbfabError):
    """All problems found in one recipe, reported together."""

    def __init__(self, problems: Iterable[InputError]) -> None:
        self.problems = sorted(
            problems,
            key=lambda p: (p.location.file, p.location.line or 0, p.location.column or 0),
        )
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class SettingError(MbfabError, ValueError):
    """A recipe setting that is valid alone but cannot be built (found while building);
    ``key_path`` names it, so that the caller can locate it in the recipe file."""

    def __init__(self, message: str, key_path: Sequence[str | int]) -> None:
        super().__init__(message)
        self.key_path = tuple(key_path)
        self.message = message

    def lines(self) -> list[str]:
        return [f"{format_key_path(self.key_path)}: {self.message}"]


class GdsReadError(MbfabError):
    """A layout file cannot be read (missing, truncated, corrupt, unknown format)."""


class OutputError(MbfabError):
    """Outputs cannot be written where they were asked for."""
