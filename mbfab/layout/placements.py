"""Where each polygon of a layer lands, without flattening arrays into polygon objects.

:func:`layer_placements` walks a hierarchy and returns, per distinct placed polygon shape,
the shape once (integer database units, relative to its first vertex) and an ``(m, 2)``
array of offsets: a 1000 x 1000 array of one cell is one shape and one offsets array.
:func:`read_flat_polygons` reads the boundaries of a flat GDSII file straight into numpy
arrays (the fast path for files with millions of polygons and no hierarchy).
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import gdstk
import numpy as np
from numpy.typing import ArrayLike, NDArray

from mbfab.layout.gdsrecords import boundary_run, check_gds_records, gds_real, strided
from mbfab.layout.grid import DBU_UM
from mbfab.layout.polygons import round_half_away
from mbfab.layout.transforms import Linear, reference_linear

__all__ = ["FlatPolygons", "Lattice", "Placement", "layer_placements", "read_flat_polygons"]

I64 = NDArray[np.int64]
I32 = NDArray[np.int32]
F64 = NDArray[np.float64]


@dataclass(frozen=True)
class Lattice:
    """Sites ``origin + i * v1 + j * v2`` for ``i < n1``, ``j < n2`` (integer dbu)."""

    origin: I64
    v1: I64
    v2: I64
    n1: int
    n2: int

    def __len__(self) -> int:
        return self.n1 * self.n2

    def offsets(self) -> I64:
        """Every site, ``(n1 * n2, 2)``."""
        i, j = np.meshgrid(np.arange(self.n1), np.arange(self.n2), indexing="ij")
        return self.origin + i.reshape(-1, 1) * self.v1 + j.reshape(-1, 1) * self.v2


@dataclass(frozen=True)
class Placement:
    """One polygon shape (first vertex at the origin) and where its copies sit (dbu):
    ``offsets`` one by one, plus every site of each of ``lattices`` (kept only on request)."""

    shape: I64
    offsets: I64
    lattices: tuple[Lattice, ...] = ()


# A placed polygon while walking: its vertices under the linear part of the placement
# (unrounded), the translations (unrounded) and lattice vectors (v1, v2, n1, n2) the
# translations are repeated on (None: the translations are all).
_Vectors = tuple[F64, F64, int, int]
_Item = tuple[F64, F64, _Vectors | None]


def _offsets(element: gdstk.Polygon | gdstk.Reference) -> F64:
    repetition = element.repetition
    if repetition is None or repetition.size == 0:
        return np.zeros((1, 2))
    return np.asarray(repetition.get_offsets(), dtype=np.float64).reshape(-1, 2)


def _vectors(element: gdstk.Polygon | gdstk.Reference) -> _Vectors | None:
    """Lattice vectors (dbu) of a regular repetition (rectangular or oblique), else None."""
    rep = element.repetition
    if rep is None or rep.size < 2 or rep.columns is None or rep.rows is None:
        return None
    if rep.spacing is not None:
        v1, v2 = np.array([rep.spacing[0], 0.0]), np.array([0.0, rep.spacing[1]])
    else:
        v1, v2 = np.asarray(rep.v1, dtype=np.float64), np.asarray(rep.v2, dtype=np.float64)
    return _grid(v1), _grid(v2), int(rep.columns), int(rep.rows)


def _expand(offsets: F64, vectors: _Vectors) -> F64:
    v1, v2, n1, n2 = vectors
    i, j = np.meshgrid(np.arange(n1), np.arange(n2), indexing="ij")
    sites = i.reshape(-1, 1) * v1 + j.reshape(-1, 1) * v2
    return (offsets[:, None, :] + sites[None, :, :]).reshape(-1, 2)


def _grid(values_um: ArrayLike) -> F64:
    """Micrometres read from a file as whole database units (floats)."""
    return np.rint(np.asarray(values_um, dtype=np.float64) / DBU_UM)


def _integral(values: F64) -> bool:
    return bool(np.all(values == np.rint(values)))


def layer_placements(
    top: gdstk.Cell, spec: tuple[int, int], *, keep_arrays: bool = False
) -> list[Placement]:
    """Every placement of ``spec`` below ``top`` (paths become polygons), grouped by shape.

    Vertices land on the grid as KLayout places them (:mod:`mbfab.layout.transforms`). With
    ``keep_arrays`` regular repetitions (arrayed references, polygon repetitions) whose
    vectors lie on the grid stay :class:`Lattice` objects instead of expanded offsets.
    """
    memo: dict[tuple[str, tuple[float, ...]], list[_Item]] = {}

    def visit(cell: gdstk.Cell, linear: Linear) -> list[_Item]:
        key = (cell.name, linear.key)
        if key in memo:
            return memo[key]
        found: list[_Item] = []
        polygons = [p for p in cell.polygons if (p.layer, p.datatype) == spec]
        for path in cell.paths:
            polygons += [p for p in path.to_polygons() if (p.layer, p.datatype) == spec]
        for poly in polygons:
            points = linear.apply(_grid(poly.points))
            vectors = _vectors(poly) if keep_arrays else None
            if vectors is None:
                found.append((points, linear.apply(_grid(_offsets(poly))), None))
            else:
                v1, v2, n1, n2 = vectors
                found.append(
                    (points, np.zeros((1, 2)), (linear.apply(v1)[0], linear.apply(v2)[0], n1, n2))
                )
        for ref in cell.references:
            child = ref.cell
            if not isinstance(child, gdstk.Cell):
                continue
            inner = reference_linear(ref.rotation, ref.magnification, ref.x_reflection)
            sub = visit(child, linear.then(inner))
            if not sub:
                continue
            origin = _grid(np.asarray(ref.origin, dtype=np.float64).reshape(1, 2))
            vectors = _vectors(ref) if keep_arrays else None
            if vectors is None:
                shifts = linear.apply(origin + _grid(_offsets(ref)))
            else:
                shifts = linear.apply(origin)
                v1, v2, n1, n2 = vectors
                vectors = (linear.apply(v1)[0], linear.apply(v2)[0], n1, n2)
            for points, offsets, inside in sub:
                here, outer = shifts, vectors
                if outer is not None and inside is not None:  # arrays of arrays: expand one
                    if inside[2] * inside[3] <= outer[2] * outer[3]:
                        offsets, inside = _expand(offsets, inside), None
                    else:
                        here, outer = _expand(here, outer), None
                combined = (here[:, None, :] + offsets[None, :, :]).reshape(-1, 2)
                found.append((points, combined, outer if outer is not None else inside))
        memo[key] = found
        return found

    groups: dict[bytes, list[I64]] = {}
    shapes: dict[bytes, I64] = {}
    lattices: dict[bytes, list[Lattice]] = {}
    for points, offsets, vectors in visit(top, Linear()):
        if vectors is not None and not (
            _integral(vectors[0])
            and _integral(vectors[1])
            and _integral(points)
            and _integral(offsets)
        ):
            offsets, vectors = _expand(offsets, vectors), None
        for shape, placed in _landed(points, offsets):
            key = shape.tobytes()
            shapes.setdefault(key, shape)
            groups.setdefault(key, [])
            lattices.setdefault(key, [])
            if vectors is None:
                groups[key].append(placed)
                continue
            v1, v2, n1, n2 = vectors
            for origin in placed:
                lattices[key].append(
                    Lattice(origin, v1.astype(np.int64), v2.astype(np.int64), n1, n2)
                )
    return [
        Placement(
            shape=shapes[key],
            offsets=np.concatenate(groups[key]) if groups[key] else np.zeros((0, 2), np.int64),
            lattices=tuple(lattices[key]),
        )
        for key in sorted(groups)
    ]


def _landed(points: F64, offsets: F64) -> list[tuple[I64, I64]]:
    """Where a polygon lands at each offset: ``(shape relative to its first vertex, first
    vertices)`` per distinct landed shape. Whole-unit vertices and offsets give one shape;
    otherwise each copy is rounded on its own (a half unit rounds away from zero, so
    copies on either side of an axis differ)."""
    if _integral(points) and _integral(offsets):
        dbu = points.astype(np.int64)
        return [(dbu - dbu[0], offsets.astype(np.int64) + dbu[0])]
    out: dict[bytes, tuple[I64, list[I64]]] = {}
    for lo in range(0, len(offsets), 4096):
        chunk = offsets[lo : lo + 4096]
        landed = round_half_away(points[None, :, :] + chunk[:, None, :])  # (m, n, 2)
        relative = landed - landed[:, :1, :]
        rows, inverse = np.unique(relative.reshape(len(chunk), -1), axis=0, return_inverse=True)
        inverse = inverse.ravel()
        for k, row in enumerate(rows):
            shape = row.reshape(-1, 2).astype(np.int64)
            key = shape.tobytes()
            out.setdefault(key, (shape, []))[1].append(landed[inverse == k, 0, :].astype(np.int64))
    return [(shape, np.concatenate(firsts)) for shape, firsts in out.values()]


@dataclass(frozen=True)
class FlatPolygons:
    """Boundaries of one flat structure, read lazily: the mapped file and its element runs.

    A run is a stretch of boundaries with the same vertex count (equal byte size), so its
    vertices form one strided ``(count, 2n)`` view of the file; :meth:`blocks` converts a
    layer's rows a block at a time (bounded memory, no per-polygon Python work).
    """

    raw: NDArray[np.uint8]
    runs: tuple[tuple[int, int, int, int, I64], ...]  # XY payload start, count, step, n, keys

    def specs(self) -> list[tuple[int, int]]:
        """Every (layer, datatype) holding polygons, sorted."""
        keys = {int(k) for *_, keys in self.runs for k in np.unique(keys)}
        return sorted((k >> 16, k & 0xFFFF) for k in keys)

    def blocks(self, spec: tuple[int, int], rows: int = 1 << 15) -> Iterator[I32]:
        """Vertices of ``spec``'s polygons, ``(m, 2n)`` native int32 rows (x0 y0 x1 y1 ..)."""
        key = (spec[0] << 16) | spec[1]
        for start, count, step, n_points, keys in self.runs:
            uniform = bool(np.all(keys == key))
            if not uniform and not np.any(keys == key):
                continue
            for lo in range(0, count, rows):
                hi = min(count, lo + rows)
                view = np.ndarray(
                    (hi - lo, 2 * n_points),
                    dtype=">i4",
                    buffer=self.raw,
                    offset=start + lo * step,
                    strides=(step, 4),
                )
                block: I32 = view.astype(np.int32)  # GDSII coordinates are 4-byte integers
                yield block if uniform else block[keys[lo:hi] == key]


_BOUNDARY, _LAYER, _DATATYPE, _XY, _ENDEL = 0x08, 0x0D, 0x0E, 0x10, 0x11
_ALLOWED = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0D, 0x0E, 0x10, 0x11}
# HEADER BGNLIB LIBNAME UNITS ENDLIB BGNSTR STRNAME ENDSTR BOUNDARY LAYER DATATYPE XY ENDEL
# plus a few harmless library records (0x3B.. are ignored below as "other").
_HARMLESS = {0x1F, 0x20, 0x21, 0x22, 0x23, 0x36, 0x37, 0x38, 0x3B, 0x3C, 0x26, 0x2B, 0x2C}


def read_flat_polygons(path: Path | str) -> FlatPolygons | None:
    """Boundaries of a GDSII file holding one structure of plain boundaries, else None.

    None means "use the general reader" (references, paths, texts, several structures, a
    database unit other than 1 nm, or not GDSII at all). A GDSII file is checked whole
    first (:func:`check_gds_records`): a corrupt one is a :class:`GdsReadError` here.
    The file is memory-mapped, not copied.
    """
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size < 4:
            return None
        data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    raw = np.frombuffer(data, dtype=np.uint8)
    size = len(data)
    if data[:4] != b"\x00\x06\x00\x02":
        return None
    check_gds_records(data, str(path))
    position = 0
    runs: list[tuple[int, int, int, int, I64]] = []
    layer = datatype = 0
    structures = 0
    while True:
        if position + 4 > size:
            return None
        length = (data[position] << 8) | data[position + 1]
        record = data[position + 2]
        if length < 4 or position + length > size:
            return None
        if record == _BOUNDARY:
            run = _boundary_run(raw, position)
            if run is not None:
                runs.append(run)
                position += run[1] * run[2]
                continue
        if record == _XY:
            if (length - 4) % 8 or length < 20:  # odd or empty point lists: the general reader
                return None
            key = np.array([(layer << 16) | datatype], dtype=np.int64)
            runs.append((position + 4, 1, length, (length - 4) // 8 - 1, key))
        elif record == _LAYER:
            layer = int.from_bytes(data[position + 4 : position + 6], "big", signed=True)
        elif record == _DATATYPE:
            datatype = int.from_bytes(data[position + 4 : position + 6], "big", signed=True)
        elif record == 0x05:
            structures += 1
            if structures > 1:
                return None
        elif record == 0x03:
            if not _nm_units(data[position + 4 : position + 20]):
                return None
        elif record == 0x04:
            break
        elif record not in _ALLOWED and record not in _HARMLESS:
            return None
        position += length
    return FlatPolygons(raw, tuple(runs))


def _boundary_run(raw: NDArray[np.uint8], start: int) -> tuple[int, int, int, int, I64] | None:
    """Consecutive plain boundaries of equal size from ``start``: the first XY payload
    position, the number of elements, the element size in bytes, the vertex count (closing
    point dropped) and each element's layer key."""
    count, step = boundary_run(raw, start)
    if count == 0:
        return None
    layer = strided(raw, start + 8, count, step, ">u2").astype(np.int64)
    datatype = strided(raw, start + 14, count, step, ">u2").astype(np.int64)
    return start + 20, count, step, (step - 24) // 8 - 1, (layer << 16) | datatype


def _nm_units(payload: bytes) -> bool:
    """True for a 1 nm database unit (UNITS record, second GDS real is metres per dbu)."""
    return abs(gds_real(payload[8:16]) - DBU_UM * 1e-6) < 1e-15
