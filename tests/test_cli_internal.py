"""An unexpected exception inside a command is exit 3 with one line, never 1 or a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import mbfab.compile
from mbfab.cli import EXIT_INTERNAL, main


def _explode(*args: object, **kwargs: object) -> None:
    raise IndexError("list index out of range\n  in a second line")


@pytest.mark.parametrize(
    ("name", "args"),
    [("check_target", ["check", "any.gds"]), ("compile_recipe", ["compile", "a.yaml"])],
)
def test_internal_error_is_exit_3_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, args: list[str]
) -> None:
    monkeypatch.setattr(mbfab.compile, name, _explode)
    monkeypatch.delenv("MBFAB_DEBUG", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == EXIT_INTERNAL
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in result.output
    assert lines[0].startswith(f"internal error in {args[0]} {args[1]}: IndexError:")
    assert "list index out of range in a second line" in lines[0]


def test_debug_variable_keeps_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mbfab.compile, "check_target", _explode)
    monkeypatch.setenv("MBFAB_DEBUG", "1")
    result = CliRunner().invoke(main, ["check", "any.gds"])
    assert isinstance(result.exception, IndexError)
