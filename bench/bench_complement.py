"""The plate complement and the maskless hand-off, beside KLayout and gdstk in the same run.

Pillars (5 um circles, 10 um square pitch, in a square field; and a hex lattice in a disc)
as compiled by mbfab. Each contender runs in its own process (time excludes Python start;
peak memory is that process's maximum RSS):

- mbfab ``complement()`` on the plate layer (the lattice stays an array), and whole compiles:
  an etch mask in a negative resist with ``output.tone: complement``, and ``--for
  maskless`` with a positive resist (the writer exposes field minus pillars, flat, streamed);
- KLayout ``Region(field) - Region(pillars)`` (deep; flat too up to 10^5), which then reads
  our plate and our flat maskless file back: the plate must XOR to nothing, the flat file to
  nothing but sub-dbu slivers where a hole was cut open for the writer;
- gdstk: the same difference on the flat pillars, in tiles of about 2,000 pillars.

    python bench/bench_complement.py [N ...]   (default 10^4 10^5 10^6)

``MBFAB_BENCH_BASELINE=/path/to/older/checkout`` also runs that checkout's compile (the
"before" column) for sizes up to ``MBFAB_BENCH_BASELINE_MAX`` (default 10^4).
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from pathlib import Path

from benchlib import child, pillars_recipe, report


def write_recipes(n: int, lattice: str, folder: Path) -> tuple[Path, Path]:
    """An etch mask in a negative resist (chrome on the complement) and the same layout for
    a writer in a positive resist (it exposes the complement). One name for both: the
    labels on the plates carry it, and the two layouts must be equal."""
    shape = "circle" if lattice == "hex" else "rectangle"
    paths = []
    for name, resist in (("plate", "AZ-nLOF-2020"), ("writer", "AZ-1512HS")):
        path = folder / f"{name}.yaml"
        output = "output:\n  tone: complement\n"
        path.write_text(pillars_recipe("pillars", n, lattice, shape, resist, output))
        paths.append(path)
    return paths[0], paths[1]


def run_complement(recipe: str) -> dict[str, object]:
    """``complement()`` alone, on the plate's layer as the data prep sees it."""
    from mbfab.compile import prepare
    from mbfab.layout import extract_layer, layer_stats
    from mbfab.layout.complement import complement
    from mbfab.output.platearea import complement_extent

    prepared = prepare(recipe)
    plate = prepared.plates[0]
    cell = extract_layer(prepared.masks.cell, plate.layer.spec, "FEATURES")
    started = time.perf_counter()
    extent = complement_extent(plate.field, plate.prep.window, plate.prep.repeat)
    result = complement(cell, plate.layer, extent, "PLATE")
    seconds = time.perf_counter() - started
    stats = layer_stats(result, plate.layer.spec)
    return {"s": seconds, "polygons": stats.polygons, "references": len(result.references)}


def run_compile(recipe: str, out: str, target: str) -> dict[str, object]:
    from mbfab.compile import compile_recipe

    started = time.perf_counter()
    result = compile_recipe(recipe, out, target)
    seconds = time.perf_counter() - started
    path = result.output_dir / "posts.gds"
    plate = result.plates[0]
    try:  # a dark plate is chrome out to the plate's usable area (older checkouts: the field)
        from mbfab.output.platearea import complement_extent

        extent = complement_extent(plate.field, plate.prep.window, plate.prep.repeat)
    except ImportError:
        extent = plate.field
    return {
        "s": seconds,
        "file": str(path),
        "layout": str(result.output_dir / f"{result.recipe.recipe.name}.gds"),
        "mb": path.stat().st_size / 1e6,
        "extent": ",".join(str(v) for p in extent for v in p),
        "area_um2": plate.written.area_um2,
    }


def run_klayout(
    layout: str, extent: str, plate: str, flat_extent: str, flat_file: str, deep: str
) -> dict[str, object]:
    import klayout.db as db

    started = time.perf_counter()
    features = db.Layout()
    features.read(layout)
    store = db.DeepShapeStore() if deep == "deep" else None
    shapes = features.top_cell().begin_shapes_rec(features.layer(1, 0))
    pillars = db.Region(shapes, store) if store is not None else db.Region(shapes)
    expected = _window(extent) - pillars
    area = expected.area()
    out: dict[str, object] = {"s": time.perf_counter() - started, "area": area}
    ours = _region(plate)
    out["plate_xor_empty"] = (ours ^ expected).is_empty()
    out["plate_area_equal"] = ours.area() == area
    started = time.perf_counter()
    difference = _region(flat_file) ^ (_window(flat_extent) - pillars)
    out["flat_xor_area"] = difference.area()
    out["flat_xor_beyond_1dbu"] = not difference.sized(-1).is_empty()
    out["flat_verify_s"] = time.perf_counter() - started
    return out


def _window(extent: str) -> object:
    import klayout.db as db

    x0, y0, x1, y1 = (round(float(v) * 1000) for v in extent.split(","))
    return db.Region(db.Box(x0, y0, x1, y1))


def _region(path: str) -> object:
    import klayout.db as db

    layout = db.Layout()
    layout.read(path)
    return db.Region(layout.top_cell().begin_shapes_rec(layout.layer(1, 0))).merged()


def run_gdstk(layout: str, extent: str) -> dict[str, object]:
    """Extent minus the flat pillars with gdstk: the pillars' box in tiles of about 100
    pillars (gdstk joins the holes of one polygon into keyholes, which grows faster than
    the holes), the rest of the extent in one boolean."""
    import gdstk
    import numpy as np

    started = time.perf_counter()
    library = gdstk.read_gds(layout)
    pillars = library.top_level()[0].get_polygons(layer=1, datatype=0)
    boxes = np.array([p.bounding_box() for p in pillars]).reshape(-1, 4)
    lo, hi = boxes[:, :2].min(axis=0), boxes[:, 2:].max(axis=0)
    tiles = max(1, round(math.sqrt(len(pillars) / 100)))
    xs, ys = np.linspace(lo[0], hi[0], tiles + 1), np.linspace(lo[1], hi[1], tiles + 1)
    # Each pillar goes to every tile its box meets (the tiles cut it consistently).
    c0 = np.clip(np.searchsorted(xs, boxes[:, 0], side="right") - 1, 0, tiles - 1)
    c1 = np.clip(np.searchsorted(xs, boxes[:, 2], side="left") - 1, 0, tiles - 1)
    r0 = np.clip(np.searchsorted(ys, boxes[:, 1], side="right") - 1, 0, tiles - 1)
    r1 = np.clip(np.searchsorted(ys, boxes[:, 3], side="left") - 1, 0, tiles - 1)
    members: dict[tuple[int, int], list[int]] = {}
    for k in range(len(pillars)):
        for i in range(int(c0[k]), int(c1[k]) + 1):
            for j in range(int(r0[k]), int(r1[k]) + 1):
                members.setdefault((i, j), []).append(k)
    x0, y0, x1, y1 = (float(v) for v in extent.split(","))
    outer = gdstk.rectangle((x0, y0), (x1, y1))
    inner = gdstk.rectangle(tuple(lo), tuple(hi))
    area = sum(p.area() for p in gdstk.boolean(outer, inner, "not", precision=1e-3))
    for i in range(tiles):
        for j in range(tiles):
            box = gdstk.rectangle((xs[i], ys[j]), (xs[i + 1], ys[j + 1]))
            near = [pillars[k] for k in members.get((i, j), [])]
            area += sum(p.area() for p in gdstk.boolean(box, near, "not", precision=1e-3))
    return {"s": time.perf_counter() - started, "area_um2": area}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--run":
        which, args = sys.argv[2], sys.argv[3:]
        runners = {
            "complement": lambda: run_complement(args[0]),
            "compile": lambda: run_compile(args[0], args[1], args[2]),
            "klayout": lambda: run_klayout(*args),
            "gdstk": lambda: run_gdstk(*args),
        }
        report(runners[which]())
        return
    sizes = [int(float(a)) for a in sys.argv[1:]] or [10**4, 10**5, 10**6]
    cases = [(n, "square") for n in sizes] + [(max(sizes), "hex")]
    baseline = os.environ.get("MBFAB_BENCH_BASELINE")
    baseline_max = int(float(os.environ.get("MBFAB_BENCH_BASELINE_MAX", 10**4)))
    header = (
        f"{'case':>14} {'complement':>11} {'MB':>6} {'compile':>8} {'maskless':>9} {'MB':>6}"
        f" {'flat file':>10} {'KLayout':>8} {'mode':>5} {'gdstk':>7} {'before':>8}  checks"
    )
    print(header)
    for n, lattice in cases:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            plate_recipe, writer_recipe = write_recipes(n, lattice, folder)
            alone = child(__file__, "complement", str(plate_recipe))
            mask = child(__file__, "compile", str(plate_recipe), str(folder / "mask"), "mask")
            flat = child(__file__, "compile", str(writer_recipe), str(folder / "flat"), "maskless")
            deep = "deep" if n > 10**5 else "flat"
            peer = child(
                __file__,
                "klayout",
                str(mask["layout"]),
                str(mask["extent"]),
                str(mask["file"]),
                str(flat["extent"]),
                str(flat["file"]),
                deep,
            )
            small = n <= 10**5  # the gdstk peer is flat: up to 10^5 pillars
            gds = (
                child(__file__, "gdstk", str(mask["layout"]), str(mask["extent"]))
                if small
                else None
            )
            before = "-"
            if baseline and n <= baseline_max:
                old = child(
                    __file__,
                    "compile",
                    str(plate_recipe),
                    str(folder / "old"),
                    "mask",
                    pythonpath=baseline,
                )
                before = f"{old['s']:.2f} s"
        checks = (
            f"plate XOR KLayout empty: {peer['plate_xor_empty']}, area equal: "
            f"{peer['plate_area_equal']}; flat XOR {peer['flat_xor_area']} dbu2, "
            f"nothing beyond 1 dbu: {not peer['flat_xor_beyond_1dbu']} "
            f"(KLayout read+XOR {peer['flat_verify_s']:.1f} s)"
        )
        gdstk_s = f"{gds['s']:.2f} s" if gds else "-"
        print(
            f"{lattice + ' ' + format(n, '.0e'):>14} {alone['s']:>9.2f} s {alone['peak_mb']:>6.0f}"
            f" {mask['s']:>6.2f} s {flat['s']:>7.2f} s {flat['peak_mb']:>6.0f}"
            f" {flat['mb']:>7.0f} MB {peer['s']:>6.2f} s {deep:>5} {gdstk_s:>7} {before:>8}"
            f"  {checks}",
            flush=True,
        )


if __name__ == "__main__":
    main()
