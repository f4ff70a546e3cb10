"""Compile time and GDS size of pillar fields of 10^4, 10^5 and 10^6 pillars.

5 um circular pillars at a 10 um square pitch in a square field (10^6: 1 cm x 1 cm), and
the worst case for the references, a hex lattice in a circle (one reference per row run);
one etch-mask plate (positive resist, etch: chrome on the pillars, no complement), marks on.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from mbfab.compile import compile_recipe

from benchlib import pillars_recipe

CASES = [(4, "square", "rectangle"), (5, "square", "rectangle"), (6, "square", "rectangle")]
CASES += [(6, "hex", "circle")]


def main() -> None:
    header = ["case", "pillars", "drawn", "compile", "plate GDS", "all files"]
    print(f"{header[0]:>18}" + "".join(f"{h:>12}" for h in header[1:]))
    with tempfile.TemporaryDirectory() as tmp:
        for exponent, lattice, region in CASES:
            n = 10**exponent
            path = Path(tmp) / f"pillars_{n}.yaml"
            path.write_text(pillars_recipe(f"bench_pillars_{n}", n, lattice, region))
            started = time.perf_counter()
            result = compile_recipe(path, Path(tmp) / "out")
            elapsed = time.perf_counter() - started
            plate = result.output_dir / "posts.gds"
            total = sum(f.stat().st_size for f in result.output_dir.iterdir())
            drawn = int(result.device.closed_form["feature_count"])
            print(
                f"{lattice + '/' + region:>18} {n:>11} {drawn:>11} {elapsed * 1000:>9.0f} ms"
                f" {plate.stat().st_size / 1024:>8.1f} KiB {total / 1024:>8.1f} KiB"
            )


if __name__ == "__main__":
    main()
