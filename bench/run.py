"""Run every ``bench/bench_*.py`` script in turn (``make bench``); each prints its own table."""

from __future__ import annotations

import runpy
import sys
import time
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    selected = sys.argv[1:]
    scripts = sorted(here.glob("bench_*.py"))
    if selected:
        scripts = [s for s in scripts if any(word in s.stem for word in selected)]
    for script in scripts:
        print(f"== {script.stem} ==", flush=True)
        started = time.perf_counter()
        sys.argv = [str(script)]  # each with its defaults (the words here only select)
        try:
            runpy.run_path(str(script), run_name="__main__")
        except SystemExit as done:  # a script's own exit ends that script, not the run
            if done.code:
                print(f"   exit {done.code}", flush=True)
        print(f"   ({time.perf_counter() - started:.1f} s)\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
