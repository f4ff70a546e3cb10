"""A longer, random run of the recipe fuzzer of tests/test_fuzz_recipes.py (the suite runs
30 derandomised examples): mutated example recipes must exit 0, 1 or 2. Prints the exit
codes seen and every recipe that failed (kept under bench/fuzz-failures/).

    python bench/bench_fuzz.py [EXAMPLES]     # default 200
"""

from __future__ import annotations

import collections
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_fuzz_recipes import mutated, run_mutated  # noqa: E402


def main(count: int) -> int:
    codes: collections.Counter[int] = collections.Counter()
    failures = ROOT / "bench" / "fuzz-failures"
    started = time.perf_counter()

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=mutated())
    def explore(case: tuple[str, str]) -> None:
        with tempfile.TemporaryDirectory() as folder:
            code, output = run_mutated(case, Path(folder))
        codes[code] += 1
        if code not in (0, 1, 2):
            failures.mkdir(exist_ok=True)
            kept = failures / f"{case[0]}-{sum(codes.values())}.yaml"
            kept.write_text(case[1], encoding="utf-8")
            print(f"exit {code}: {kept}: {output.strip().splitlines()[-1][:200]}")

    explore()
    seconds = time.perf_counter() - started
    print(f"{sum(codes.values())} mutated recipes in {seconds:.0f} s; exit codes {dict(codes)}")
    return 0 if set(codes) <= {0, 1, 2} else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
