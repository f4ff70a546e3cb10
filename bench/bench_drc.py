"""DRC speed: mbfab vs KLayout (flat and deep) vs a shapely STRtree check, side by side.

Two files: a flat GDS of N round pillars (5 um, 10 um pitch) with a few planted violations
(shifted pillars -> space, small pillars -> width), and a hierarchical one (one pillar cell,
one arrayed reference). Each contender runs in its own process (time includes reading the
file; peak memory is that process's maximum RSS) and the violations found are compared.

    python bench/bench_drc.py [N]        (default 10^5; MBFAB_BENCH_PILLARS also works)
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

from benchlib import child, report

WIDTH_UM, SPACE_UM = 3.0, 4.0  # 5 um pillars: chord at 90 deg is 3.54 um; gaps are 5 um
PITCH, RADIUS = 10.0, 2.5


def make_files(n: int, folder: Path) -> tuple[Path, Path]:
    import gdstk
    import numpy as np

    side = round(n**0.5)
    pillar = gdstk.ellipse((0, 0), RADIUS, tolerance=0.01)
    small = gdstk.ellipse((0, 0), 1.0, tolerance=0.01)
    lib = gdstk.Library(unit=1e-6, precision=1e-9)
    cell = lib.new_cell("FLAT")
    planted_shift = {(side // 3, side // 3), (side // 2, 7), (side - 2, side // 4)}
    planted_small = {(5, side // 2), (side // 4, side - 3)}
    for i in range(side):
        for j in range(side):
            x, y = i * PITCH, j * PITCH
            if (i, j) in planted_shift:
                x += 2.0  # gap to the right neighbour: 3 um < 4 um
            shape = small if (i, j) in planted_small else pillar
            cell.add(gdstk.Polygon(shape.points + np.array([x, y])))
    flat = folder / f"pillars_flat_{side * side}.gds"
    lib.write_gds(str(flat))
    hlib = gdstk.Library(unit=1e-6, precision=1e-9)
    unit = hlib.new_cell("PILLAR")
    unit.add(gdstk.Polygon(pillar.points))
    top = hlib.new_cell("ARRAY")
    top.add(gdstk.Reference(unit, (0, 0), columns=side, rows=side, spacing=(PITCH, PITCH)))
    hier = folder / f"pillars_array_{side * side}.gds"
    hlib.write_gds(str(hier))
    return flat, hier


def _signature(pairs: list[tuple[tuple[int, ...], tuple[int, ...]]]) -> str:
    norm = sorted(tuple(sorted(p)) for p in pairs)
    return hashlib.sha256(repr(norm).encode()).hexdigest()[:16]


def run_ours(path: str) -> dict[str, object]:
    from mbfab.rules import LayerRef, LayoutData, Rule, run_rule

    layer = LayerRef("pillars", 0, 0)
    started = time.perf_counter()
    data = LayoutData(path=path)
    out: dict[str, object] = {}
    for kind, value in (("width", WIDTH_UM), ("space", SPACE_UM)):
        t = time.perf_counter()
        finding = run_rule(data, Rule(f"{kind.upper()}.P.1", kind, (layer,), value, ""), 10**6)
        pairs = []
        for m in finding.markers:
            p = [tuple(round(c * 1000) for c in xy) for xy in m.points]
            pairs.append(((*p[0], *p[1]), (*p[2], *p[3])))
        out[kind] = {"count": finding.count, "s": time.perf_counter() - t, "sig": _signature(pairs)}
    out["total_s"] = time.perf_counter() - started
    return out


def run_klayout(path: str, deep: bool) -> dict[str, object]:
    import klayout.db as db

    started = time.perf_counter()
    layout = db.Layout()
    layout.read(path)
    top = layout.top_cell()
    store = db.DeepShapeStore() if deep else None
    it = top.begin_shapes_rec(layout.layer(0, 0))
    region = db.Region(it, store) if store is not None else db.Region(it)
    out: dict[str, object] = {"read_s": time.perf_counter() - started}
    for kind, value in (("width", WIDTH_UM), ("space", SPACE_UM)):
        t = time.perf_counter()
        d = round(value * 1000)
        result = region.width_check(d) if kind == "width" else region.space_check(d)
        count = result.count()
        pairs = (
            [
                (
                    (e.first.p1.x, e.first.p1.y, e.first.p2.x, e.first.p2.y),
                    (e.second.p1.x, e.second.p1.y, e.second.p2.x, e.second.p2.y),
                )
                for e in result.each()
            ]
            if count < 10**6
            else []
        )
        out[kind] = {"count": count, "s": time.perf_counter() - t, "sig": _signature(pairs)}
    out["total_s"] = time.perf_counter() - started
    return out


def run_shapely(path: str) -> dict[str, object]:
    """A direct check: STRtree dwithin for space, negative buffer for width (per polygon)."""
    import gdstk
    import numpy as np
    import shapely

    started = time.perf_counter()
    lib = gdstk.read_gds(path)
    polys = np.array([shapely.Polygon(p.points) for p in lib.top_level()[0].polygons])
    out: dict[str, object] = {"read_s": time.perf_counter() - started}
    t = time.perf_counter()
    tree = shapely.STRtree(polys)
    i, j = tree.query(polys, predicate="dwithin", distance=SPACE_UM - 1e-9)
    keep = i < j
    out["space"] = {"count": int(keep.sum()), "s": time.perf_counter() - t}
    t = time.perf_counter()
    thin = shapely.is_empty(shapely.buffer(polys, -WIDTH_UM / 2, quad_segs=4))
    out["width"] = {"count": int(np.count_nonzero(thin)), "s": time.perf_counter() - t}
    out["total_s"] = time.perf_counter() - started
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--run":
        which, path = sys.argv[2], sys.argv[3]
        runner = {
            "ours": lambda: run_ours(path),
            "klayout-flat": lambda: run_klayout(path, deep=False),
            "klayout-deep": lambda: run_klayout(path, deep=True),
            "shapely": lambda: run_shapely(path),
        }[which]
        report(runner())
        return
    n = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("MBFAB_BENCH_PILLARS", 10**5))
    with tempfile.TemporaryDirectory() as tmp:
        flat, hier = make_files(n, Path(tmp))
        print(f"pillars: {n}, width {WIDTH_UM} um, space {SPACE_UM} um")
        rows = [
            ("flat", "ours", child(__file__, "ours", str(flat))),
            ("flat", "klayout-flat", child(__file__, "klayout-flat", str(flat))),
            ("flat", "shapely", child(__file__, "shapely", str(flat))),
            ("array", "ours", child(__file__, "ours", str(hier))),
            ("array", "klayout-deep", child(__file__, "klayout-deep", str(hier))),
        ]
    print(
        f"{'file':<6} {'engine':<13} {'width s':>8} {'space s':>8} {'total s':>8} "
        f"{'width n':>8} {'space n':>8} {'peak MB':>8}  signatures"
    )
    for file, engine, r in rows:
        w, s = r["width"], r["space"]
        print(
            f"{file:<6} {engine:<13} {w['s']:8.3f} {s['s']:8.3f} {r['total_s']:8.3f} "
            f"{w['count']:8d} {s['count']:8d} {r['peak_mb']:8.0f}  "
            f"{w.get('sig', '-')}/{s.get('sig', '-')}"
        )
    ours, kl, sh = rows[0][2], rows[1][2], rows[2][2]
    same = all(
        ours[k]["count"] == kl[k]["count"] and ours[k]["sig"] == kl[k]["sig"]
        for k in ("width", "space")
    )
    print(f"flat: same violations as KLayout: {same}")
    print(
        f"flat: ours vs KLayout flat {kl['total_s'] / ours['total_s']:.1f}x, "
        f"vs shapely {sh['total_s'] / ours['total_s']:.1f}x (total incl. read)"
    )
    print(
        f"array: ours {rows[3][2]['total_s']:.3f} s vs KLayout deep {rows[4][2]['total_s']:.3f} s"
    )


if __name__ == "__main__":
    main()
