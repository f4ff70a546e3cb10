"""What checking a layout before gdstk reads it costs: the Python walk of the GDSII record
stream (mbfab.layout.gdsrecords) against gdstk's own read, on the real files in
../shared/gds, on a plate of 10^6 pillars (arrayed references) and on a flat file of 10^6
polygons; and the child process that reads an OASIS file (conversion to GDSII).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import gdstk
import numpy as np

from mbfab.layout import inspect_layout
from mbfab.layout.gdsio import _oasis_to_gds_in_child, check_gds_file

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "gds"


def _best(action: object, repeat: int = 3) -> float:
    assert callable(action)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def _pillar_plate(folder: Path) -> Path:
    unit = gdstk.Cell("PILLAR")
    unit.add(gdstk.regular_polygon((0, 0), 2.5, 64))
    top = gdstk.Cell("PLATE")
    top.add(gdstk.Reference(unit, columns=1000, rows=1000, spacing=(10, 10)))
    library = gdstk.Library()
    library.add(top, unit)
    path = folder / "pillars_1e6.gds"
    library.write_gds(str(path))
    return path


def _flat(folder: Path) -> Path:
    top = gdstk.Cell("FLAT")
    xs, ys = np.meshgrid(np.arange(1000) * 10.0, np.arange(1000) * 10.0)
    top.add(
        *(
            gdstk.rectangle((x, y), (x + 5, y + 5))
            for x, y in zip(xs.ravel(), ys.ravel(), strict=True)
        )
    )
    library = gdstk.Library()
    library.add(top)
    path = folder / "flat_1e6.gds"
    library.write_gds(str(path))
    return path


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        files = sorted(SHARED.rglob("*.gds")) if SHARED.is_dir() else []
        largest = sorted(files, key=lambda p: p.stat().st_size)[-3:]
        rows = [*largest, _pillar_plate(folder), _flat(folder)]
        print(f"{'file':<34} {'MB':>7} {'placed':>10} {'check ms':>9} {'gdstk ms':>9}")
        for path in rows:
            walk = _best(lambda p=path: check_gds_file(p))
            read = _best(lambda p=path: gdstk.read_gds(str(p)))
            placed = inspect_layout(path).placed
            size = path.stat().st_size / 1e6
            print(
                f"{path.name[:34]:<34} {size:7.2f} {placed:>10} {walk * 1e3:9.1f} {read * 1e3:9.1f}"
            )
        plate = _pillar_plate(folder)
        oasis = folder / "pillars_1e6.oas"
        gdstk.read_gds(str(plate)).write_oas(str(oasis))
        converted = folder / "converted.gds"
        child = _best(lambda: _oasis_to_gds_in_child(oasis, converted), repeat=2)
        direct = _best(lambda: gdstk.read_oas(str(oasis)))
        print(
            f"OASIS read in a child (10^6-pillar plate): {child * 1e3:.0f} ms "
            f"(gdstk in-process: {direct * 1e3:.1f} ms)"
        )


if __name__ == "__main__":
    main()
