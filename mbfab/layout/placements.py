"""Where each polygon of a layer lands, without flattening arrays into polygon objects.

:func:`layer_placements` walks a hierarchy and returns, per distinct placed polygon shape,
the shape once (integer database units, relative to its first vertex) and an ``(m, 2)``
array of offsets: a 1000 x 1000 array of one cell is one shape and one offsets array.
:func:`read_flat_polygons` reads the boundaries of a flat GDSII file straight into numpy
arrays (the fast path for files with millions of polygons and no hierarchy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import gdstk
import numpy as np
from numpy.typing import NDArray

from mbfab.layout.grid import DBU_UM

__all__ = ["FlatPolygons", "Placement", "layer_placements", "read_flat_polygons"]

I64 = NDArray[np.int64]
I32 = NDArray[np.int32]
F64 = NDArray[np.float64]


@dataclass(frozen=True)
class Placement:
    """One polygon shape (first vertex at the origin) and where its copies sit (dbu)."""

    shape: I64
    offsets: I64


def _linear(rotation: float, reflect: bool, magnification: float) -> F64:
    """2x2 matrix of a GDS transform: reflect about x, magnify, then rotate."""
    c, s = math.cos(rotation), math.sin(rotation)
    m = np.array([[c, -s], [s, c]]) * magnification
    if reflect:
        m = m @ np.array([[1.0, 0.0], [0.0, -1.0]])
    return m


def _offsets(element: gdstk.Polygon | gdstk.Reference) -> F64:
    repetition = element.repetition
    if repetition is None or repetition.size == 0:
        return np.zeros((1, 2))
    return np.asarray(repetition.get_offsets(), dtype=np.float64).reshape(-1, 2)


def _to_dbu(values: F64) -> I64:
    return np.rint(values / DBU_UM).astype(np.int64)


def layer_placements(top: gdstk.Cell, spec: tuple[int, int]) -> list[Placement]:
    """Every placement of ``spec`` below ``top`` (paths become polygons), grouped by shape."""
    memo: dict[tuple[str, tuple[float, ...]], list[tuple[F64, F64]]] = {}

    def visit(cell: gdstk.Cell, matrix: F64) -> list[tuple[F64, F64]]:
        key = (cell.name, tuple(np.round(matrix, 12).ravel()))
        if key in memo:
            return memo[key]
        found: list[tuple[F64, F64]] = []
        polygons = [p for p in cell.polygons if (p.layer, p.datatype) == spec]
        for path in cell.paths:
            polygons += [p for p in path.to_polygons() if (p.layer, p.datatype) == spec]
        for poly in polygons:
            points = np.asarray(poly.points, dtype=np.float64) @ matrix.T
            found.append((points, _offsets(poly) @ matrix.T))
        for ref in cell.references:
            child = ref.cell
            if not isinstance(child, gdstk.Cell):
                continue
            inner = _linear(ref.rotation, ref.x_reflection, ref.magnification)
            sub = visit(child, matrix @ inner)
            if not sub:
                continue
            shifts = (np.asarray(ref.origin, dtype=np.float64) + _offsets(ref)) @ matrix.T
            for points, offsets in sub:
                combined = (shifts[:, None, :] + offsets[None, :, :]).reshape(-1, 2)
                found.append((points, combined))
        memo[key] = found
        return found

    groups: dict[bytes, list[I64]] = {}
    shapes: dict[bytes, I64] = {}
    for points, offsets in visit(top, np.eye(2)):
        dbu = _to_dbu(points)
        shape = dbu - dbu[0]
        key = shape.tobytes()
        shapes.setdefault(key, shape)
        groups.setdefault(key, []).append(_to_dbu(offsets + points[0]))
    return [
        Placement(shape=shapes[key], offsets=np.concatenate(groups[key])) for key in sorted(groups)
    ]


@dataclass(frozen=True)
class FlatPolygons:
    """Boundaries of one flat structure: concatenated vertices and polygon lengths, per layer."""

    layers: dict[tuple[int, int], tuple[I32, I64]]


_BOUNDARY, _LAYER, _DATATYPE, _XY, _ENDEL = 0x08, 0x0D, 0x0E, 0x10, 0x11
_ALLOWED = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0D, 0x0E, 0x10, 0x11}
# HEADER BGNLIB LIBNAME UNITS ENDLIB BGNSTR STRNAME ENDSTR BOUNDARY LAYER DATATYPE XY ENDEL
# plus a few harmless library records (0x3B.. are ignored below as "other").
_HARMLESS = {0x1F, 0x20, 0x21, 0x22, 0x23, 0x36, 0x37, 0x38, 0x3B, 0x3C, 0x26, 0x2B, 0x2C}


def read_flat_polygons(path: Path | str) -> FlatPolygons | None:
    """Boundaries of a GDSII file holding one structure of plain boundaries, else None.

    None means "use the general reader" (references, paths, texts, several structures, a
    database unit other than 1 nm, or anything irregular -- the general reader then reports
    corrupt or truncated files clearly).
    """
    data = Path(path).read_bytes()
    raw = np.frombuffer(data, dtype=np.uint8)
    size = len(data)
    if not data.startswith(b"\x00\x06\x00\x02"):
        return None
    position = 0
    runs: list[tuple[int, int, int, int, I64]] = []  # payload start, count, step, points, keys
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
    return FlatPolygons(_gather_runs(data, runs))


def _gather_runs(
    data: bytes, runs: list[tuple[int, int, int, int, I64]]
) -> dict[tuple[int, int], tuple[I32, I64]]:
    """Vertices of every run with one strided view each (no per-polygon Python work)."""
    views = {
        shift: np.frombuffer(data, dtype=">i4", count=(len(data) - shift) // 4, offset=shift)
        for shift in (0, 2)
    }
    pieces: dict[int, list[tuple[I32, I64]]] = {}
    for start, count, step, n_points, keys in runs:
        words = views[start % 4]
        first = (start - start % 4) // 4
        # Rows of one element each: a strided view (step bytes apart), copied once.
        block = np.lib.stride_tricks.as_strided(
            words[first:], shape=(count, 2 * n_points), strides=(step, 4), writeable=False
        )
        coords: I32 = block.astype(np.int32)  # GDSII coordinates are 4-byte integers
        unique_keys = np.unique(keys)
        for key in unique_keys:
            rows = coords if len(unique_keys) == 1 else coords[keys == key]
            pieces.setdefault(int(key), []).append(
                (rows.reshape(-1, 2), np.full(len(rows), n_points, dtype=np.int64))
            )
    out: dict[tuple[int, int], tuple[I32, I64]] = {}
    for key, parts in sorted(pieces.items()):
        spec = (key >> 16, key & 0xFFFF)
        joined: I32 = parts[0][0] if len(parts) == 1 else np.concatenate([c for c, _ in parts])
        out[spec] = (joined, np.concatenate([n for _, n in parts]))
    return out


_ELEMENT_HEAD = bytes([0, 4, _BOUNDARY, 0, 0, 6, _LAYER, 2])
_DATATYPE_HEAD = bytes([0, 6, _DATATYPE, 2])
_ENDEL_RECORD = bytes([0, 4, _ENDEL, 0])


def _boundary_run(raw: NDArray[np.uint8], start: int) -> tuple[int, int, int, int, I64] | None:
    """Consecutive plain boundaries of equal size from ``start``, checked with numpy.

    A boundary is BOUNDARY, LAYER, DATATYPE, XY, ENDEL (36 + 8n bytes); flat files with many
    equal polygons are long runs of them, so whole runs are validated in a few array
    operations. Returns the first XY payload position, the number of elements, the element
    size in bytes, the vertex count (closing point dropped) and each element's layer key.
    """
    head = bytes(raw[start : start + 20].tobytes())
    if len(head) < 20 or head[:8] != _ELEMENT_HEAD or head[10:14] != _DATATYPE_HEAD:
        return None
    if head[18] != _XY:
        return None
    xy_length = (head[16] << 8) | head[17]
    step = 16 + xy_length + 4
    if xy_length < 4 or start + step > len(raw):
        return None
    signature = np.frombuffer(_ELEMENT_HEAD + _DATATYPE_HEAD + head[16:20], dtype=np.uint8)
    endel = np.frombuffer(_ENDEL_RECORD, dtype=np.uint8)
    where = np.r_[0:8, 10:14, 16:20]
    count, window = 0, 16
    limit = (len(raw) - start) // step
    while count < limit:
        n = min(window, limit - count)
        base = start + (count + np.arange(n)) * step
        ok = np.all(raw[base[:, None] + where[None, :]] == signature[None, :], axis=1)
        tail = base + step - 4
        ok &= np.all(raw[tail[:, None] + np.arange(4)[None, :]] == endel[None, :], axis=1)
        bad = np.flatnonzero(~ok)
        if len(bad):
            count += int(bad[0])
            break
        count += n
        window *= 4
    if count == 0:
        return None
    base = start + np.arange(count, dtype=np.int64) * step
    layer = (raw[base + 8].astype(np.int64) << 8) | raw[base + 9]
    datatype = (raw[base + 14].astype(np.int64) << 8) | raw[base + 15]
    return start + 20, count, step, (xy_length - 4) // 8 - 1, (layer << 16) | datatype


def _nm_units(payload: bytes) -> bool:
    """True for a 1 nm database unit (UNITS record, second GDS real is metres per dbu)."""
    return abs(_gds_real(payload[8:16]) - DBU_UM * 1e-6) < 1e-15


def _gds_real(raw: bytes) -> float:
    """GDSII 8-byte real: sign bit, 7-bit excess-64 base-16 exponent, 56-bit mantissa."""
    if len(raw) < 8:
        return math.nan
    sign = -1.0 if raw[0] & 0x80 else 1.0
    exponent = (raw[0] & 0x7F) - 64
    mantissa = int.from_bytes(raw[1:8], "big") / float(1 << 56)
    return sign * mantissa * 16.0**exponent
