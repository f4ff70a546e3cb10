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

    layers: dict[tuple[int, int], tuple[I64, I64]]


_BOUNDARY, _LAYER, _DATATYPE, _XY, _ENDEL = 0x08, 0x0D, 0x0E, 0x10, 0x11
_ALLOWED = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0D, 0x0E, 0x10, 0x11}
# HEADER BGNLIB LIBNAME UNITS ENDLIB BGNSTR STRNAME ENDSTR BOUNDARY LAYER DATATYPE XY ENDEL
# plus a few harmless library records (0x3B.. are ignored below as "other").
_HARMLESS = {0x1F, 0x20, 0x21, 0x22, 0x23, 0x36, 0x37, 0x38, 0x3B, 0x3C, 0x26, 0x2B, 0x2C}


def read_flat_polygons(path: Path | str) -> FlatPolygons | None:
    """Boundaries of a GDSII file holding one structure of plain boundaries, else None.

    None means "use the general reader" (references, paths, texts, several structures or a
    database unit other than 1 nm). Call after :func:`mbfab.layout.read_layout` has checked
    the record framing.
    """
    data = Path(path).read_bytes()
    raw = np.frombuffer(data, dtype=np.uint8)
    size = len(data)
    position = 0
    xy_at: list[I64] = []
    xy_len: list[I64] = []
    keys: list[I64] = []
    layer = datatype = 0
    structures = 0
    while position + 4 <= size:
        length = (data[position] << 8) | data[position + 1]
        record = data[position + 2]
        if length < 4:
            break
        if record == _BOUNDARY:
            run = _boundary_run(raw, position)
            if run is not None:
                at, n_bytes, run_keys, step = run
                xy_at.append(at)
                xy_len.append(n_bytes)
                keys.append(run_keys)
                position += step
                continue
        if record == _XY:
            xy_at.append(np.array([position + 4]))
            xy_len.append(np.array([length - 4]))
            keys.append(np.array([(layer << 16) | datatype]))
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
    if not xy_at:
        return FlatPolygons({})
    return FlatPolygons(
        _gather(data, np.concatenate(xy_at), np.concatenate(xy_len), np.concatenate(keys))
    )


_ELEMENT_HEAD = bytes([0, 4, _BOUNDARY, 0, 0, 6, _LAYER, 2])
_DATATYPE_HEAD = bytes([0, 6, _DATATYPE, 2])
_ENDEL_RECORD = bytes([0, 4, _ENDEL, 0])


def _boundary_run(raw: NDArray[np.uint8], start: int) -> tuple[I64, I64, I64, int] | None:
    """Consecutive plain boundaries of equal size from ``start``, checked with numpy.

    A boundary is BOUNDARY, LAYER, DATATYPE, XY, ENDEL (36 + 8n bytes); flat files with many
    equal polygons are long runs of them, so whole runs are validated in a few array
    operations. Returns XY payload positions, payload sizes, layer keys and bytes consumed.
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
    return (
        base + 20,
        np.full(count, xy_length - 4, dtype=np.int64),
        (layer << 16) | datatype,
        count * step,
    )


def _ranges(starts: I64, counts: I64) -> I64:
    """Concatenation of ``arange(s, s + c)`` for each start and count, vectorised."""
    total = int(counts.sum())
    base = np.repeat(starts - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    return np.arange(total, dtype=np.int64) + base


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


def _gather(data: bytes, at: I64, xy_len: I64, key: I64) -> dict[tuple[int, int], tuple[I64, I64]]:
    """All XY payloads at once: one index gather instead of a loop over polygons."""
    n_points = xy_len // 8 - 1  # drop the closing point
    # Records start at even offsets: view the file as big-endian int32 at both alignments.
    views = {
        shift: np.frombuffer(data, dtype=">i4", count=(len(data) - shift) // 4, offset=shift)
        for shift in (0, 2)
    }
    out: dict[tuple[int, int], tuple[I64, I64]] = {}
    for value in np.unique(key):
        sel = key == value
        starts, counts = at[sel], n_points[sel]
        coords = np.empty((int(counts.sum()), 2), dtype=np.int64)
        row = np.concatenate(([0], np.cumsum(counts)))
        for shift, words in views.items():
            mine = (starts % 4) == shift
            if not mine.any():
                continue
            first = (starts[mine] - shift) // 4
            n = counts[mine] * 2
            base = np.repeat(first - np.concatenate(([0], np.cumsum(n)[:-1])), n)
            values = words[np.arange(int(n.sum()), dtype=np.int64) + base]
            rows = (
                np.concatenate(
                    [
                        np.arange(r0, r0 + c)
                        for r0, c in zip(row[:-1][mine], counts[mine], strict=True)
                    ]
                )
                if mine.sum() < 64
                else _ranges(row[:-1][mine], counts[mine])
            )
            coords[rows] = values.astype(np.int64).reshape(-1, 2)
        spec = (int(value >> 16), int(value & 0xFFFF))
        out[spec] = (coords, counts)
    return out
