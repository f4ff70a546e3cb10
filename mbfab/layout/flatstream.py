"""Flat GDSII for writers that need flat data, streamed from a hierarchy in bounded memory.

A maskless writer takes one structure of plain polygons. Expanding a 10^6-site array into
gdstk polygons costs seconds and gigabytes; here each distinct polygon shape is written
once per chunk of its placements as a block of fixed-size BOUNDARY records built with numpy
(one vectorised copy per chunk), so memory stays at one chunk whatever the layout size.
Reading back uses the memory-mapped reader of :mod:`mbfab.layout.placements`: polygon
count, area and the writer's checks on each distinct shape.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import gdstk
import numpy as np
from numpy.typing import NDArray

from mbfab.layout.dataprep import writer_problems
from mbfab.layout.gdsio import write_gds
from mbfab.layout.grid import DBU_UM
from mbfab.layout.placements import Lattice, layer_placements, read_flat_polygons

__all__ = ["FlatSummary", "read_flat_summary", "write_flat_gds"]

I64 = NDArray[np.int64]
#: Polygons per block of records (a few MB for typical vertex counts).
CHUNK = 1 << 15
_ENDSTR_ENDLIB = bytes([0, 4, 0x07, 0, 0, 4, 0x04, 0])


def write_flat_gds(
    top: gdstk.Cell,
    spec: tuple[int, int],
    path: Path,
    *,
    library_name: str = "MBFAB",
    chunk: int = CHUNK,
) -> int:
    """Write every polygon of ``spec`` below ``top`` into ``path`` as one flat structure
    named ``top.name``; return the number of polygons. Headers are gdstk's own (same
    library name, units and fixed timestamp as :func:`mbfab.layout.write_gds`)."""
    head = _header(top.name, library_name)
    count = 0
    with path.open("wb") as handle:
        handle.write(head)
        for records, polygons in _records(top, spec, chunk):
            handle.write(records.data)  # the array itself, not a copy
            count += polygons
        handle.write(_ENDSTR_ENDLIB)
    return count


def _header(name: str, library_name: str) -> bytes:
    """Everything gdstk writes before the elements of an empty structure ``name``."""
    with tempfile.TemporaryDirectory() as folder:
        empty = Path(folder) / "empty.gds"
        write_gds(gdstk.Cell(name), empty, library_name=library_name)
        data = empty.read_bytes()
    if not data.endswith(_ENDSTR_ENDLIB):
        raise RuntimeError("unexpected GDSII layout of an empty library")
    return data[: -len(_ENDSTR_ENDLIB)]


def _records(
    top: gdstk.Cell, spec: tuple[int, int], chunk: int
) -> Iterator[tuple[NDArray[np.uint8], int]]:
    """BOUNDARY records of every placement, ``chunk`` polygons at a time, with their count."""
    for placement in layer_placements(top, spec, keep_arrays=True):
        for positions in _positions(placement.offsets, placement.lattices, chunk):
            yield _boundaries(placement.shape, positions, spec), len(positions)


def _positions(offsets: I64, lattices: tuple[Lattice, ...], chunk: int) -> Iterator[I64]:
    """First-vertex positions of the loose copies, then of every lattice, in chunks."""
    for start in range(0, len(offsets), chunk):
        yield offsets[start : start + chunk]
    for lattice in lattices:
        rows = max(1, chunk // max(lattice.n1, 1))
        for j0 in range(0, lattice.n2, rows):
            i, j = np.meshgrid(
                np.arange(lattice.n1), np.arange(j0, min(lattice.n2, j0 + rows)), indexing="xy"
            )
            yield lattice.origin + i.reshape(-1, 1) * lattice.v1 + j.reshape(-1, 1) * lattice.v2


def _boundaries(shape: I64, positions: I64, spec: tuple[int, int]) -> NDArray[np.uint8]:
    """``len(positions)`` BOUNDARY elements of ``shape`` (first vertex at each position)."""
    n = len(shape) + 1  # GDSII repeats the first point
    size = 24 + 8 * n
    template = np.zeros(size, dtype=np.uint8)
    template[:4] = (0, 4, 0x08, 0)  # BOUNDARY
    template[4:10] = (0, 6, 0x0D, 2, (spec[0] >> 8) & 0xFF, spec[0] & 0xFF)  # LAYER
    template[10:16] = (0, 6, 0x0E, 2, (spec[1] >> 8) & 0xFF, spec[1] & 0xFF)  # DATATYPE
    xy_length = 4 + 8 * n
    template[16:20] = (xy_length >> 8, xy_length & 0xFF, 0x10, 0x03)  # XY, 4-byte integers
    template[size - 4 :] = (0, 4, 0x11, 0)  # ENDEL
    records = np.empty((len(positions), size), dtype=np.uint8)
    records[:] = template
    closed = np.concatenate([shape, shape[:1]])
    points = (positions[:, None, :] + closed[None, :, :]).astype(">i4")
    records[:, 20 : size - 4] = points.view(np.uint8).reshape(len(positions), -1)
    return records


@dataclass(frozen=True)
class FlatSummary:
    """What a flat file holds on one layer: polygons, area (um2), the writer's complaints
    about its distinct shapes, and whether it was one flat structure at all."""

    flat: bool
    polygons: int
    area_um2: float
    problems: list[str]


def read_flat_summary(path: Path, spec: tuple[int, int], max_points: int) -> FlatSummary:
    """Count, area and writer checks of ``spec`` in a flat GDSII file, memory-mapped.

    The checks run once per distinct shape (polygons equal up to translation), so a
    million copies of a tile's two halves cost two checks.
    """
    flat = read_flat_polygons(path)
    if flat is None:
        return FlatSummary(False, 0, 0.0, [])
    count = 0
    shapes: dict[bytes, tuple[NDArray[np.int64], int]] = {}
    for block in flat.blocks(spec):
        count += len(block)
        # Polygons relative to their first vertex: copies of one shape become equal rows.
        relative = block.astype(np.int64) - np.tile(
            block[:, :2].astype(np.int64), block.shape[1] // 2
        )
        for row, copies in _distinct(relative):
            key = row.tobytes()
            known = shapes.get(key)
            shapes[key] = (row, copies + (known[1] if known else 0))
    twice_area = 0
    for row, copies in shapes.values():
        x, y = row[0::2], row[1::2]
        twice_area += copies * abs(int(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y)))
    problems = []
    for key in sorted(shapes):
        points = shapes[key][0].reshape(-1, 2) * DBU_UM
        problems += writer_problems([gdstk.Polygon(points)], max_points)  # type: ignore[arg-type]
    area = twice_area / 2 * DBU_UM * DBU_UM
    return FlatSummary(True, count, area, problems)


def _distinct(rows: I64) -> list[tuple[I64, int]]:
    """The distinct rows and how often each occurs: hashed by a fixed random projection,
    then compared exactly, so a hash collision cannot hide a shape."""
    if np.array_equal(rows, np.broadcast_to(rows[0], rows.shape)):
        return [(rows[0], len(rows))]  # one shape throughout: as the streamed writer leaves it
    weights = np.random.default_rng(1).standard_normal(rows.shape[1])
    _, first, inverse, counts = np.unique(
        rows @ weights, return_index=True, return_inverse=True, return_counts=True
    )
    inverse = inverse.ravel()
    same = np.all(rows == rows[first][inverse], axis=1)
    if same.all():
        return [(rows[k], int(n)) for k, n in zip(first, counts, strict=True)]
    found = [(rows[k], int(n)) for k, n in zip(first, np.bincount(inverse[same]), strict=False)]
    others, repeats = np.unique(rows[~same], axis=0, return_counts=True)
    return [
        *(f for f in found if f[1]),
        *((r, int(n)) for r, n in zip(others, repeats, strict=True)),
    ]
