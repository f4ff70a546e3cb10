"""A sweep of 200 variants of the interdigital example: one process vs a local Dask cluster
of 2 worker processes, with the speed-up and a byte comparison of the two results.

    python bench/bench_sweep.py [VARIANTS]      (default 200; MBFAB_BENCH_SWEEP too)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from mbfab.sweep import parse_setting, plan_variants, run_sweep, write_outputs

ROOT = Path(__file__).resolve().parents[1]


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "recipes" not in p.parts
    }


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("MBFAB_BENCH_SWEEP", 200))
    gaps = max(1, count // 10)
    settings = [
        parse_setting("design.gap=" + ",".join(f"{10 + 2 * k}um" for k in range(gaps))),
        parse_setting("design.fingers=" + ",".join(str(f) for f in range(2, 2 + count // gaps))),
    ]
    recipe = ROOT / "recipes" / "interdigital.yaml"
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, jobs in (("1 process", 1), ("Dask, 2 workers", 2)):
            folder = Path(tmp) / label.replace(" ", "_").replace(",", "")
            variants = plan_variants(recipe, settings, folder / "recipes")
            started = time.perf_counter()
            rows = list(run_sweep(variants, folder / "masks", jobs))
            seconds = time.perf_counter() - started
            write_outputs(rows, settings, folder)
            results[label] = (seconds, _files(folder), len(rows))
            print(f"{label:<16} {len(rows)} variants  {seconds:7.1f} s", flush=True)
    (serial, serial_files, _), (parallel, parallel_files, _) = results.values()
    print(f"speed-up on 2 workers: {serial / parallel:.2f}x")
    print(f"same bytes (table, plot, every mask file): {serial_files == parallel_files}")


if __name__ == "__main__":
    main()
