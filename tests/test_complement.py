"""The lattice-keeping complement and the flat stream, checked against KLayout.

Expected plates are KLayout's own ``Region(field) - Region(features)`` of the same written
features; ours must XOR to nothing with it, keep the lattice as an array (a tile cell and a
reference, not a polygon per feature), and the streamed flat file must read back as the
same region.
"""

from __future__ import annotations

from pathlib import Path

import gdstk
import klayout.db as kdb
import numpy as np
import pytest

from mbfab.compile import compile_recipe
from mbfab.layout import Layer, rectangle, write_gds
from mbfab.layout.arrays import (
    circle_region,
    feature_array,
    feature_outline,
    polygon_region,
    rectangle_region,
)
from mbfab.layout.complement import complement
from mbfab.layout.flatstream import read_flat_summary, write_flat_gds
from mbfab.output.platearea import complement_extent

from geometry_helpers import klayout_region

L1 = Layer(1, 0, "posts")

REGIONS = {
    "square": (rectangle_region(0, 0, 400, 300), "square"),
    "hex": (rectangle_region(0, 0, 400, 300), "hex"),
    "circle": (circle_region((0, 0), 180), "hex"),
    "polygon": (polygon_region([(0, 0), (400, 0), (400, 120), (150, 300), (0, 300)]), "square"),
}


def _features(region: str, shape: str, size: float = 5.0) -> gdstk.Cell:
    """A lattice of ``shape`` in ``region`` (arrayed references), a mark beside it and one
    stray feature between lattice sites."""
    polygons, lattice = REGIONS[region]
    array = feature_array("UNIT", feature_outline(shape, size), L1, polygons, lattice, 10.0)  # type: ignore[arg-type]
    top = gdstk.Cell("TOP")
    top.add(*array.references)
    (x0, y0), _ = top.bounding_box()
    top.add(rectangle(x0 - 40, y0 - 40, x0 - 20, y0 - 20, L1))  # an alignment-mark stand-in
    return top


def _ours_against_klayout(top: gdstk.Cell, folder: Path) -> gdstk.Cell:
    """Our complement of ``top`` in a field around it; asserts it XORs to nothing with
    KLayout's field minus the same features (read from the written files)."""
    field = _field(top)
    ours = complement(top, L1, field, "PLATE")
    write_gds(top, folder / "features.gds")
    write_gds(ours, folder / "plate.gds")
    expected = _klayout_complement(folder / "features.gds", field)
    plate, _ = klayout_region(folder / "plate.gds", *L1.spec)
    assert (plate ^ expected).is_empty()
    assert plate.area() == expected.area()
    return ours


def _klayout_complement(features: Path, field: tuple[tuple[float, float], ...]) -> kdb.Region:
    drawn, dbu = klayout_region(features, *L1.spec)
    (x0, y0), (x1, y1) = field
    box = kdb.Box(round(x0 / dbu), round(y0 / dbu), round(x1 / dbu), round(y1 / dbu))
    return kdb.Region(box) - drawn


def _field(cell: gdstk.Cell, margin: float = 50.0) -> tuple[tuple[float, float], ...]:
    (x0, y0), (x1, y1) = cell.bounding_box()
    return ((x0 - margin, y0 - margin), (x1 + margin, y1 + margin))


@pytest.mark.parametrize("region", sorted(REGIONS))
@pytest.mark.parametrize("shape", ["circle", "square", "hexagon"])
def test_complement_equals_klayout_and_keeps_the_lattice(
    region: str, shape: str, tmp_path: Path
) -> None:
    top = _features(region, shape, 7.0 if shape == "square" else 5.0)
    ours = _ours_against_klayout(top, tmp_path)
    # The lattice stays a lattice: one tile cell, arrayed; far fewer border pieces than sites.
    sites = sum(r.repetition.size or 1 for r in top.references)
    assert {r.cell.name for r in ours.references} == {"PLATE_TILE"}
    arrayed = sum(r.repetition.size or 1 for r in ours.references)
    assert arrayed > sites / 3


def test_flat_copies_fold_into_a_lattice_too(tmp_path: Path) -> None:
    """Features given one by one (a flat file) are recognised as a lattice as well."""
    feature = feature_outline("circle", 5.0)
    top = gdstk.Cell("FLAT")
    for i in range(30):
        for j in range(20):
            top.add(gdstk.Polygon(feature + np.array([10.0 * i, 10.0 * j]), *L1.spec))  # type: ignore[arg-type]
    ours = _ours_against_klayout(top, tmp_path)
    # Each circle fits in its own tile, so every one of the 30 x 20 tiles is arrayed.
    assert sum(r.repetition.size for r in ours.references) == 30 * 20


def test_an_obstacle_inside_the_lattice_is_cut_around(tmp_path: Path) -> None:
    """A feature of another shape among the lattice sites: the tiles it meets go flat."""
    top = _features("square", "circle")
    top.add(rectangle(153, 153, 158, 158, L1))  # between four pillars
    ours = _ours_against_klayout(top, tmp_path)
    assert ours.references


def test_flat_stream_reads_back_as_the_hierarchy(tmp_path: Path) -> None:
    top = _features("circle", "hexagon")
    path = tmp_path / "flat.gds"
    count = write_flat_gds(top, L1.spec, path, library_name="LIB")
    library = gdstk.read_gds(str(path))
    assert len(library.cells) == 1 and not library.cells[0].references
    assert len(library.cells[0].polygons) == count
    write_gds(top, tmp_path / "hier.gds")
    flat, _ = klayout_region(path, *L1.spec)
    hierarchical, _ = klayout_region(tmp_path / "hier.gds", *L1.spec)
    assert (flat ^ hierarchical).is_empty()
    summary = read_flat_summary(path, L1.spec, 8190)
    assert summary.flat and summary.polygons == count and summary.problems == []
    assert summary.area_um2 == pytest.approx(sum(p.area() for p in top.get_polygons()), rel=1e-9)
    # Deterministic: the same hierarchy gives the same bytes.
    write_flat_gds(top, L1.spec, tmp_path / "again.gds", library_name="LIB")
    assert (tmp_path / "again.gds").read_bytes() == path.read_bytes()


def test_the_summary_names_what_a_writer_refuses(tmp_path: Path) -> None:
    top = gdstk.Cell("BAD")
    top.add(gdstk.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)], *L1.spec))  # a bow tie
    path = tmp_path / "bad.gds"
    write_flat_gds(top, L1.spec, path)
    problems = read_flat_summary(path, L1.spec, 8190).problems
    assert len(problems) == 1 and "not simple" in problems[0]


RECIPE = """\
mbfab: 1
name: holes
layers:
  - name: posts
    gds: [1, 0]
    role: etch-mask
    thickness: 1 um
    process: etch
    resist: AZ-1512HS
design:
  kind: pillars
  lattice: hex
  shape: circle
  size: 5 um
  pitch: 10 um
  depth: 50 um
  region:
    shape: circle
    size: [400 um, 400 um]
estimate:
  footprint: device
output:
  tone: complement
"""


@pytest.mark.parametrize("target", ["mask", "maskless"])
def test_compiled_complement_plate_equals_klayout(tmp_path: Path, target: str) -> None:
    """The field minus the pillars, as KLayout computes it, is the chrome of an etch mask in
    a negative resist (tone: complement) and the exposed area a maskless writer gets for
    an etch mask in a positive resist (flat)."""
    recipe = tmp_path / "holes.yaml"
    resist = "AZ-nLOF-2020" if target == "mask" else "AZ-1512HS"
    recipe.write_text(RECIPE.replace("AZ-1512HS", resist), encoding="utf-8")
    result = compile_recipe(recipe, tmp_path / "out", target)
    plate = result.plates[0]
    assert plate.tone.inverted and plate.cell.references  # the lattice stayed an array
    drawn, dbu = klayout_region(result.output_dir / "holes.gds", *L1.spec)
    # A dark plate is chrome out to the plate's usable area, not only over the die's field.
    (x0, y0), (x1, y1) = complement_extent(plate.field, plate.prep.window, plate.prep.repeat)
    box = kdb.Box(round(x0 / dbu), round(y0 / dbu), round(x1 / dbu), round(y1 / dbu))
    written, _ = klayout_region(result.output_dir / "posts.gds", *L1.spec)
    difference = written ^ (kdb.Region(box) - drawn)
    if target == "mask":
        assert difference.is_empty()
    else:
        # Cutting a polygon's holes open for the writer rounds where a cut meets a slanted
        # edge between vertices: what differs is thinner than one dbu.
        assert difference.sized(-1).is_empty()
        assert difference.area() < 1e-9 * written.area()
    library = gdstk.read_gds(str(result.output_dir / "posts.gds"))
    assert (len(library.cells) == 1) == (target == "maskless")
    assert np.isclose(written.area() * dbu**2, plate.written.area_um2, rtol=1e-9)
