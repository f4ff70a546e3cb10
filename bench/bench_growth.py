"""Growth of compile time and memory with design size: 10^3..10^7 features, exponent printed.

Whole compiles (design, rule check, plates, estimates, every output file), each in its own
process (peak memory is that process's) after one small warm-up compile (catalogues and
templates are read once per process):

- pillars: 5 um circles at a 10 um pitch, square lattice in a square and hex lattice in a
  rectangle, 10^3..10^7; and at 10^6 the four region shapes (square, hex, circle, polygon);
- interdigital fingers (pairs) 10..1,000: a comb whose bus spans them all.

The exponent is the slope of log(time) on log(size) over the three largest sizes (1 =
linear; the small sizes measure fixed costs).

    python bench/bench_growth.py [MAX_EXPONENT]     (default 7; MBFAB_BENCH_GROWTH_MAX too)

``MBFAB_BENCH_BASELINE=/path/to/older/checkout`` adds that checkout's time for the fingers
(up to ``MBFAB_BENCH_BASELINE_FINGERS``, default 200) -- the "before" column.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from pathlib import Path

from benchlib import child, growth_exponent, pillars_recipe, report

ROOT = Path(__file__).resolve().parents[1]


def _row(label: str, size: str, r: dict[str, object], after: str = "") -> None:
    """One line of the growth table: what, how many, features, seconds, peak MB."""
    print(
        f"{label:<22} {size} {r['features']:>10} {r['s']:>7.2f} s {r['peak_mb']:>8.0f}{after}",
        flush=True,
    )


def fingers_recipe(pairs: int) -> str:
    text = (ROOT / "recipes" / "interdigital.yaml").read_text()
    return re.sub(r"fingers: \d+", f"fingers: {pairs}", text)


def run(recipe: str, out: str) -> dict[str, object]:
    from mbfab.compile import compile_recipe

    # Catalogues and templates are read once per process: a small compile first keeps
    # them out of the figure.
    compile_recipe(ROOT / "recipes" / "interdigital.yaml", Path(out) / "warm-up")
    started = time.perf_counter()
    result = compile_recipe(recipe, out)
    closed = result.device.closed_form
    features = int(closed.get("feature_count", 0))
    return {"s": time.perf_counter() - started, "features": features}


def measure(text: str, folder: Path, pythonpath: str | None = None) -> dict[str, object]:
    path = folder / "recipe.yaml"
    path.write_text(text)
    return child(__file__, "run", str(path), str(folder / "out"), pythonpath=pythonpath)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--run":
        report(run(sys.argv[3], sys.argv[4]))
        return
    top = (
        int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("MBFAB_BENCH_GROWTH_MAX", 7))
    )
    baseline = os.environ.get("MBFAB_BENCH_BASELINE")
    baseline_fingers = int(os.environ.get("MBFAB_BENCH_BASELINE_FINGERS", 200))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"{'series':<22} {'size':>9} {'features':>10} {'time':>9} {'peak MB':>8}")
        for lattice in ("square", "hex"):
            sizes, times = [], []
            for exponent in range(3, top + 1):
                n = 10**exponent
                r = measure(pillars_recipe("growth", n, lattice, "rectangle"), folder)
                sizes.append(n)
                times.append(float(r["s"]))  # type: ignore[arg-type]
                _row(f"{lattice} pillars", f"{n:>9.0e}", r)
            print(f"{lattice + ' pillars':<22} growth exponent {growth_exponent(sizes, times):.2f}")
        for lattice, shape in (("square", "circle"), ("hex", "circle"), ("square", "polygon")):
            r = measure(pillars_recipe("growth", 10**6, lattice, shape), folder)
            _row(f"{lattice} in a {shape}", f"{10**6:>9.0e}", r)
        sizes, times = [], []
        for pairs in (10, 30, 100, 300, 1000):
            r = measure(fingers_recipe(pairs), folder)
            before = ""
            if baseline and pairs <= baseline_fingers:
                old = measure(fingers_recipe(pairs), folder, pythonpath=baseline)
                before = f"   before: {old['s']:.2f} s, {old['peak_mb']:.0f} MB"
            sizes.append(pairs)
            times.append(float(r["s"]))  # type: ignore[arg-type]
            _row("interdigital fingers", f"{pairs:>9}", {**r, "features": 2 * pairs}, before)
        print(f"{'interdigital fingers':<22} growth exponent {growth_exponent(sizes, times):.2f}")


if __name__ == "__main__":
    main()
