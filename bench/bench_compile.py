"""Compile time of every example recipe."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from mbfab.compile import compile_recipe

ROOT = Path(__file__).resolve().parents[1]

with tempfile.TemporaryDirectory() as out:
    for recipe in sorted((ROOT / "recipes").glob("*.yaml")):
        started = time.perf_counter()
        result = compile_recipe(recipe, out)
        elapsed = time.perf_counter() - started
        size = sum(f.stat().st_size for f in result.output_dir.iterdir())
        print(f"{recipe.name:<32} {elapsed * 1000:8.1f} ms  {size / 1024:8.1f} KiB")
