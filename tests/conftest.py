"""Shared fixtures: paths to the example recipes and a minimal valid recipe text."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import settings

from mbfab.compile import CompileResult, compile_recipe

# CI runs the same examples every time (a red run is then a real regression, not a new
# random draw); locally hypothesis keeps exploring.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "recipes"
CASES = Path(__file__).resolve().parent / "cases"
SHARED_GDS = ROOT.parent / "shared" / "gds"

MINIMAL_RECIPE = """\
mbfab: 1
name: tiny
units: um
layers:
  - {name: cc, gds: [1, 0], role: collector, thickness: 100 nm, process: lift-off, resist: AZ-nLOF-2020}
  - {name: cat, gds: [2, 0], role: cathode, thickness: 1 um, process: lift-off, resist: AZ-4562}
  - {name: an, gds: [3, 0], role: anode, thickness: 1 um, process: lift-off, resist: AZ-4562}
design:
  kind: interdigital
  fingers: 2
  finger_width: 20
  finger_length: 200
  gap: 10
  bus_width: 30
  pad: [60, 50]
  inset: 2
output:
  field_margin: 100 um
"""


@pytest.fixture(scope="session")
def compiled_examples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CompileResult]:
    """Every example recipe compiled once per session, by file stem (read, never modify)."""
    root = tmp_path_factory.mktemp("examples")
    return {path.stem: compile_recipe(path, root) for path in sorted(RECIPES.glob("*.yaml"))}


@pytest.fixture
def minimal_recipe(tmp_path: Path) -> Path:
    """A small valid interdigital recipe written to a temporary file."""
    path = tmp_path / "tiny.yaml"
    path.write_text(MINIMAL_RECIPE, encoding="utf-8")
    return path


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Turn a hang (a blocking read, an endless loop) into a TimeoutError after ``seconds``."""

    def hang(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
