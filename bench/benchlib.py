"""Shared by the bench scripts: run a measurement in its own process, peak memory, growth.

A bench script that wants a clean peak-memory figure per contender calls :func:`child`,
which runs ``python <script> --run WHICH ARG...`` and reads the last stdout line as JSON;
the script's ``--run`` branch prints :func:`report` of its result.
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def peak_mb() -> float:
    """This process's peak resident memory. VmHWM starts afresh at exec; ru_maxrss may keep
    the forking parent's peak, so it is only the fallback."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(
    script: str, which: str, *args: str, timeout: float = 1800, pythonpath: str | None = None
) -> dict[str, object]:
    """Run ``script --run which args...`` in a fresh interpreter; its last line as a dict.

    ``pythonpath``: import mbfab from another checkout (a "before" figure) instead of this one.
    """
    result = subprocess.run(
        [sys.executable, script, "--run", which, *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": pythonpath or str(ROOT)},
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def report(result: dict[str, object]) -> None:
    """Print ``result`` with this process's peak memory, for :func:`child`."""
    result["peak_mb"] = round(peak_mb(), 1)
    print(json.dumps(result))


def growth_exponent(sizes: Sequence[float], seconds: Sequence[float], last: int = 3) -> float:
    """Slope of log(time) against log(size) over the ``last`` largest sizes (least squares;
    small sizes measure fixed costs): 1 is linear, 2 quadratic."""
    xs = [math.log(s) for s in sizes][-last:]
    ys = [math.log(max(t, 1e-6)) for t in seconds][-last:]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    num = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    den = sum((x - mx) ** 2 for x in xs)
    return num / den if den else float("nan")


PILLARS = """\
mbfab: 1
name: {name}
layers:
  - name: posts
    gds: [1, 0]
    role: etch-mask
    thickness: 1 um
    process: etch
    resist: {resist}
design:
  kind: pillars
  lattice: {lattice}
  shape: circle
  size: 5 um
  pitch: 10 um
  depth: 50 um
  region:
{region}
estimate:
  footprint: device
{output}"""


def pillars_recipe(
    name: str, n: int, lattice: str, shape: str, resist: str = "AZ-1512HS", output: str = ""
) -> str:
    """A recipe of about ``n`` pillars (5 um circles, 10 um pitch) in a region of ``shape``
    (rectangle, circle or polygon: a square with one corner cut off)."""
    cell = 100.0 * (math.sqrt(3) / 2 if lattice == "hex" else 1.0)  # um2 per site
    if shape == "circle":
        side = math.sqrt(4 * n * cell / math.pi)
        region = f"    shape: circle\n    size: [{side:.0f} um, {side:.0f} um]"
    elif shape == "polygon":  # 7/8 of a square
        s = math.sqrt(n * cell / 0.875)
        points = [(0, 0), (s, 0), (s, s / 2), (s / 2, s), (0, s)]
        body = ", ".join(f"[{x:.0f} um, {y:.0f} um]" for x, y in points)
        region = f"    shape: polygon\n    points: [{body}]"
    else:
        side = math.sqrt(n * cell)
        region = f"    shape: rectangle\n    size: [{side:.0f} um, {side:.0f} um]"
    return PILLARS.format(name=name, resist=resist, lattice=lattice, region=region, output=output)
