"""Agreement with KLayout on random layouts: the differential generator of
tests/differential.py (the suite runs a few hundred derandomised layouts) on thousands of
new ones, each checked by mbfab and by klayout.db for width, space, separation and
enclosure under the three metrics, and VALID against strange_polygon_check. Prints the
mismatch rate (layouts and rule runs), the differences by rule and metric, crashes, and
each differing layout (kept under bench/agreement-failures/ to replay).

    python bench/bench_drc_agreement.py [LAYOUTS] [SEED]     # default 2000 layouts, seed 0

The layouts are split over two worker processes (two seeds from SEED).
"""

from __future__ import annotations

import collections
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings

from benchlib import child, report

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import differential  # noqa: E402

WORKERS = 2


def run_worker(count: int, worker_seed: int) -> dict[str, object]:
    """Check ``count`` random layouts; what differed, by rule, and the layouts."""
    runs = 0
    differing: list[dict[str, object]] = []
    crashes: list[dict[str, object]] = []
    causes: collections.Counter[str] = collections.Counter()

    @seed(worker_seed)
    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(layout=differential.layouts())
    def explore(layout: differential.Layout) -> None:
        nonlocal runs
        runs += 1
        with tempfile.TemporaryDirectory() as folder:
            try:
                found = differential.differences(layout, Path(folder) / "case.gds")
            except Exception as exc:  # a crash is a finding: counted
                crashes.append({"layout": repr(layout), "error": f"{type(exc).__name__}: {exc}"})
                return
        if found:
            differing.append({"layout": repr(layout), "differences": found})
            causes.update({line.split(":")[0] for line in found})

    explore()
    return {"layouts": runs, "differing": differing, "crashes": crashes, "causes": causes}


def main(total: int, base_seed: int) -> int:
    started = time.perf_counter()
    share = [total // WORKERS + (k < total % WORKERS) for k in range(WORKERS)]
    with ThreadPoolExecutor(WORKERS) as pool:
        parts = list(
            pool.map(
                lambda k: child(
                    __file__, "worker", str(share[k]), str(base_seed + k), timeout=4 * 3600
                ),
                range(WORKERS),
            )
        )
    layouts = sum(int(p["layouts"]) for p in parts)  # type: ignore[call-overload]
    differing = [d for p in parts for d in p["differing"]]  # type: ignore[attr-defined]
    crashes = [c for p in parts for c in p["crashes"]]  # type: ignore[attr-defined]
    causes: collections.Counter[str] = collections.Counter()
    for p in parts:
        causes.update(p["causes"])  # type: ignore[arg-type]
    rule_runs = layouts * (1 + 4 * 3)  # VALID, then 4 edge rules x 3 metrics
    bad_runs = sum(causes.values())
    seconds = time.perf_counter() - started
    print(
        f"{layouts} random layouts ({seconds:.0f} s): {len(differing)} differ from KLayout "
        f"({100 * len(differing) / max(layouts, 1):.2f} %), {len(crashes)} crash; "
        f"rule runs differing: {bad_runs} of {rule_runs} "
        f"({100 * bad_runs / max(rule_runs, 1):.3f} %)"
    )
    for cause, n in sorted(causes.items()):
        print(f"   {cause:<22} {n} layout(s)")
    if differing or crashes:
        folder = ROOT / "bench" / "agreement-failures"
        folder.mkdir(exist_ok=True)
        (folder / f"seed{base_seed}.json").write_text(
            json.dumps({"differing": differing, "crashes": crashes}, indent=1), "utf-8"
        )
        for case in (differing + crashes)[:5]:
            print(f"   {case}")
        print(f"   all of them: {folder / f'seed{base_seed}.json'}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--run":
        report(run_worker(int(sys.argv[3]), int(sys.argv[4])))
        sys.exit(0)
    count = (
        int(sys.argv[1])
        if len(sys.argv) > 1
        else int(os.environ.get("MBFAB_BENCH_AGREEMENT", 2000))
    )
    sys.exit(main(count, int(sys.argv[2]) if len(sys.argv) > 2 else 0))
