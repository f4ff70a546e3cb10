"""Mutated example recipes never give a traceback, a signal or a hang: exit 0, 1 or 2.

Each example is parsed, one to three of its values are replaced by something hostile (the
wrong type, a huge or tiny number, a deep or empty structure, text with markup or control
characters, a unit typo), and the result is compiled in-process through the CLI runner. An
internal error is exit 3, a crash ends the test run, a hang trips the alarm. The run is
derandomised (the same examples every time); ``make bench`` runs a longer, random one
(``bench/bench_fuzz.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mbfab.cli import main

from conftest import RECIPES, deadline

#: Small examples only: a mutation of a big one that stays valid would time the suite out.
EXAMPLES = ["interdigital", "stacked_lco_li", "trenches_notten", "swissroll_zn_mno2"]
SECONDS = 120

HOSTILE: list[Any] = [
    None,
    True,
    0,
    -1,
    1e-9,
    1e300,
    float("nan"),
    "HUGE_INTEGER",  # written as 5000 bare digits (the YAML dumper cannot write the int)
    "9" * 5000,
    "1e3",
    "12 parsecs",
    "-5 um",
    "0 nm",
    "<script>alert(1)</script>",
    "bell\a and NUL\0 and \x1b[31m",
    "",
    [],
    {},
    [[[[[[[[1]]]]]]]],
    {"kind": ["interdigital"]},
    ["um"],
    [1, 2, 3],
    "../../etc/passwd",
]


def _paths(node: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path of a parsed recipe (leaves and branches)."""
    yield here
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*here, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*here, index))


def _replace(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {k: (_replace(v, rest, value) if k == head else v) for k, v in node.items()}
    return [(_replace(v, rest, value) if i == head else v) for i, v in enumerate(node)]


def _delete(node: Any, path: tuple[Any, ...]) -> Any:
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {
            k: (_delete(v, rest) if k == head and rest else v)
            for k, v in node.items()
            if k != head or rest
        }
    return [
        (_delete(v, rest) if i == head and rest else v)
        for i, v in enumerate(node)
        if i != head or rest
    ]


def _dump(data: Any) -> str:
    """YAML of ``data``, with HUGE_INTEGER written as an integer of 5000 digits."""
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    return text.replace("HUGE_INTEGER", "9" * 5000)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(EXAMPLES))
    data = yaml.safe_load((RECIPES / f"{name}.yaml").read_text(encoding="utf-8"))
    paths = [p for p in _paths(data) if p]
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths))
        if draw(st.integers(0, 5)) == 0:
            data = _delete(data, path)
        else:
            data = _replace(data, path, draw(st.sampled_from(HOSTILE)))
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
    return name, _dump(data)


@settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=mutated())
def test_mutated_recipes_exit_0_1_or_2_with_one_line_per_error(
    case: tuple[str, str], tmp_path: Path
) -> None:
    code, output = run_mutated(case, tmp_path)
    assert code in (0, 1, 2), (code, output[-2000:], case[1][:3000])
    assert "Traceback" not in output
    if code == 2:
        assert all(line.startswith("error: ") for line in output.strip().splitlines()), output


def run_mutated(case: tuple[str, str], folder: Path) -> tuple[int, str]:
    """Compile a mutated recipe in-process: its exit code and its stderr."""
    name, text = case
    recipe = folder / f"{name}.yaml"
    recipe.write_text(text, encoding="utf-8")
    with deadline(SECONDS):
        result = CliRunner().invoke(main, ["compile", "-q", str(recipe), "-o", str(folder)])
    return result.exit_code, result.stderr


@pytest.mark.parametrize("name", EXAMPLES)
def test_unmutated_examples_pass_through_the_same_dump(name: str, tmp_path: Path) -> None:
    """The dump of a parsed example is still that recipe (the fuzzer's baseline is sound)."""
    data = yaml.safe_load((RECIPES / f"{name}.yaml").read_text(encoding="utf-8"))
    recipe = tmp_path / f"{name}.yaml"
    recipe.write_text(_dump(data), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(recipe)])
    assert result.exit_code in (0, 1), result.output
