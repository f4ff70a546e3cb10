"""The GDSII record stream checked in Python before gdstk sees a byte of it.

gdstk crashes the interpreter on some corrupt files and reads others in part (a reference
to a cell the file lacks, an unknown record), so a layout is walked here first, record by
record: known record types with their data types and sizes, the library -> structure ->
element grammar, the records each element needs, names that are text, references to cells
the file defines, and a reference graph without cycles. Anything else is a
:class:`GdsReadError` naming the byte where it was found. Runs of plain boundaries of one
size (flat files with millions of polygons) are checked a run at a time with numpy.
"""

from __future__ import annotations

import math
import mmap
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from mbfab.errors import GdsReadError

__all__ = [
    "MAX_HIERARCHY_DEPTH",
    "LayoutSummary",
    "boundary_run",
    "check_gds_records",
    "gds_real",
    "strided",
]

#: Cells nested deeper than this are refused (real layouts nest a few tens of levels).
MAX_HIERARCHY_DEPTH = 200

# Record type -> (name, data type, payload size: exact bytes, or -n for a multiple of n).
# Data types: 0 none, 1 bit array, 2 int16, 3 int32, 5 real8, 6 ASCII string.
_RECORDS: dict[int, tuple[str, int, int]] = {
    0x00: ("HEADER", 2, 2),
    0x01: ("BGNLIB", 2, 24),
    0x02: ("LIBNAME", 6, -1),
    0x03: ("UNITS", 5, 16),
    0x04: ("ENDLIB", 0, 0),
    0x05: ("BGNSTR", 2, 24),
    0x06: ("STRNAME", 6, -1),
    0x07: ("ENDSTR", 0, 0),
    0x08: ("BOUNDARY", 0, 0),
    0x09: ("PATH", 0, 0),
    0x0A: ("SREF", 0, 0),
    0x0B: ("AREF", 0, 0),
    0x0C: ("TEXT", 0, 0),
    0x0D: ("LAYER", 2, 2),
    0x0E: ("DATATYPE", 2, 2),
    0x0F: ("WIDTH", 3, 4),
    0x10: ("XY", 3, -8),
    0x11: ("ENDEL", 0, 0),
    0x12: ("SNAME", 6, -1),
    0x13: ("COLROW", 2, 4),
    0x15: ("NODE", 0, 0),
    0x16: ("TEXTTYPE", 2, 2),
    0x17: ("PRESENTATION", 1, 2),
    0x19: ("STRING", 6, -1),
    0x1A: ("STRANS", 1, 2),
    0x1B: ("MAG", 5, 8),
    0x1C: ("ANGLE", 5, 8),
    0x1F: ("REFLIBS", 6, -1),
    0x20: ("FONTS", 6, -1),
    0x21: ("PATHTYPE", 2, 2),
    0x22: ("GENERATIONS", 2, 2),
    0x23: ("ATTRTABLE", 6, -1),
    0x26: ("ELFLAGS", 1, 2),
    0x2A: ("NODETYPE", 2, 2),
    0x2B: ("PROPATTR", 2, 2),
    0x2C: ("PROPVALUE", 6, -1),
    0x2D: ("BOX", 0, 0),
    0x2E: ("BOXTYPE", 2, 2),
    0x2F: ("PLEX", 3, 4),
    0x30: ("BGNEXTN", 3, 4),
    0x31: ("ENDEXTN", 3, 4),
    0x34: ("STRCLASS", 1, 2),
    0x36: ("FORMAT", 2, 2),
    0x37: ("MASK", 6, -1),
    0x38: ("ENDMASKS", 0, 0),
    0x39: ("LIBDIRSIZE", 2, 2),
    0x3A: ("SRFNAME", 6, -1),
    0x3B: ("LIBSECUR", 2, -6),
}
_NAME = {code: name for code, (name, _, _) in _RECORDS.items()}
_CODE = {name: code for code, name in _NAME.items()}

_LIBRARY_HEAD = {"LIBDIRSIZE", "SRFNAME", "LIBSECUR", "REFLIBS", "FONTS", "ATTRTABLE"}
_LIBRARY_HEAD |= {"GENERATIONS", "FORMAT", "MASK", "ENDMASKS"}
_COMMON = {"ELFLAGS", "PLEX", "PROPATTR", "PROPVALUE"}
_TRANSFORM = {"STRANS", "MAG", "ANGLE"}
# Element -> (records it may hold, records it must hold, (least, most) points of its XY).
_ELEMENTS: dict[str, tuple[set[str], set[str], tuple[int, int]]] = {
    "BOUNDARY": ({"LAYER", "DATATYPE", "XY"}, {"LAYER", "DATATYPE", "XY"}, (4, 1 << 31)),
    "PATH": (
        {"LAYER", "DATATYPE", "XY", "PATHTYPE", "WIDTH", "BGNEXTN", "ENDEXTN"},
        {"LAYER", "DATATYPE", "XY"},
        (2, 1 << 31),
    ),
    "SREF": ({"SNAME", "XY"} | _TRANSFORM, {"SNAME", "XY"}, (1, 1)),
    "AREF": ({"SNAME", "COLROW", "XY"} | _TRANSFORM, {"SNAME", "COLROW", "XY"}, (3, 3)),
    "TEXT": (
        {"LAYER", "TEXTTYPE", "PRESENTATION", "PATHTYPE", "WIDTH", "XY", "STRING"} | _TRANSFORM,
        {"LAYER", "TEXTTYPE", "XY", "STRING"},
        (1, 1),
    ),
    "NODE": ({"LAYER", "NODETYPE", "XY"}, {"LAYER", "NODETYPE", "XY"}, (1, 50)),
    "BOX": ({"LAYER", "BOXTYPE", "XY"}, {"LAYER", "BOXTYPE", "XY"}, (5, 5)),
}
#: Records whose text gdstk turns into Python strings: they must decode as UTF-8.
_TEXT = {"LIBNAME", "STRNAME", "SNAME", "STRING"}


class _Walk:
    """State of one walk through the records."""

    def __init__(self, data: bytes | mmap.mmap, path: str) -> None:
        self.data = data
        self.path = path
        self.structures: dict[str, int] = {}  # name -> byte of its STRNAME
        #: cell -> referenced cell -> copies placed (an AREF places columns x rows).
        self.references: dict[str, dict[str, int]] = {}
        #: cell -> its own elements (polygons, paths, texts, ...).
        self.elements: dict[str, int] = {}
        self.named_at: dict[str, int] = {}  # first SNAME of each missing-or-not cell
        self.current = ""
        self.sname = ""
        self.copies = 1
        self.order: list[str] = []  # cells, each after every cell it places

    def fail(self, position: int, reason: str) -> GdsReadError:
        return GdsReadError(f"{self.path}: corrupt GDSII file ({reason} at byte {position})")

    def text(self, position: int, payload: bytes, record: str) -> str:
        raw = payload.rstrip(b"\0")
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail(position, f"{record} is not text") from None
        if record in {"STRNAME", "SNAME"} and (not value or "\0" in value):
            raise self.fail(position, f"{record} is empty or holds a NUL byte")
        return value


def check_gds_records(data: bytes | mmap.mmap, path: str) -> LayoutSummary:
    """Walk the whole GDSII record stream of ``data``; raise :class:`GdsReadError` at the
    first record a sound library cannot hold (``path`` names the file in the message).

    Returns the top cells (referenced by no other cell) and how many elements they place.
    """
    if data[:4] != _HEADER:
        raise GdsReadError(f"{path}: not a GDSII file (no HEADER record at byte 0)")
    walk = _Walk(data, path)
    position, size = 0, len(data)
    raw = np.frombuffer(data, dtype=np.uint8)
    state = "start"  # start, library, body, structure, element, end
    element = ""
    seen: dict[str, int] = {}
    while position < size:
        if position + 4 > size:
            raise GdsReadError(f"{path}: truncated GDSII file (partial record at byte {position})")
        length = (data[position] << 8) | data[position + 1]
        code, kind = data[position + 2], data[position + 3]
        if length < 4 or length % 2:
            if length == 0:
                raise walk.fail(position, "zero-length record")
            raise walk.fail(position, f"record length {length}")
        if position + length > size:
            raise GdsReadError(
                f"{path}: truncated GDSII file (record at byte {position} runs past the end)"
            )
        if code not in _RECORDS:
            raise walk.fail(position, f"unknown record type 0x{code:02X}")
        name, data_type, wanted = _RECORDS[code]
        payload = data[position + 4 : position + length]
        if kind != data_type:
            raise walk.fail(position, f"{name} record with data type {kind}")
        if (wanted >= 0 and len(payload) != wanted) or (wanted < 0 and len(payload) % -wanted):
            raise walk.fail(position, f"{name} record of {len(payload)} bytes")
        if state == "start":
            state = "header"
        elif state == "header":
            _expect(walk, position, name, "BGNLIB")
            state = "library"
        elif state == "library":
            if name == "UNITS":
                _check_units(walk, position, payload)
                state = "body"
            elif name not in _LIBRARY_HEAD | {"LIBNAME"}:
                raise walk.fail(position, f"{name} record before UNITS")
        elif state == "body":
            if name == "ENDLIB":
                _check_tail(walk, position + length)
                _check_hierarchy(walk)
                return _summary(walk)
            _expect(walk, position, name, "BGNSTR")
            state = "name"
        elif state == "name":
            _expect(walk, position, name, "STRNAME")
            cell = walk.text(position, payload, name)
            if cell in walk.structures:
                raise walk.fail(position, f"a second structure named {cell!r}")
            walk.structures[cell] = position
            walk.references.setdefault(cell, {})
            walk.elements.setdefault(cell, 0)
            walk.current = cell
            state = "structure"
        elif state == "structure":
            if name == "ENDSTR":
                state = "body"
            elif name == "BOUNDARY":
                count, step = boundary_run(raw, position)
                if count:
                    walk.elements[walk.current] += count
                    position += count * step
                    continue
                element, seen, state = name, {}, "element"
                walk.copies = 1
            elif name in _ELEMENTS:
                element, seen, state = name, {}, "element"
                walk.copies = 1
            elif name != "STRCLASS":
                raise walk.fail(position, f"{name} record outside an element")
        else:  # inside an element
            if name == "ENDEL":
                _check_element(walk, position, element, seen)
                _count(walk, element)
                state = "structure"
            else:
                _element_record(walk, position, element, name, payload, seen)
        position += length
    raise GdsReadError(f"{path}: truncated GDSII file (no ENDLIB record)")


def _expect(walk: _Walk, position: int, name: str, wanted: str) -> None:
    if name != wanted:
        raise walk.fail(position, f"{name} record where {wanted} belongs")


def _check_units(walk: _Walk, position: int, payload: bytes) -> None:
    user, metres = gds_real(payload[:8]), gds_real(payload[8:])
    if not (math.isfinite(user) and math.isfinite(metres) and user > 0 and metres > 0):
        raise walk.fail(position, "UNITS are not two positive numbers")


def _check_tail(walk: _Walk, position: int) -> None:
    """After ENDLIB only zero padding (tape-block filling) may follow."""
    tail = walk.data[position:]
    if tail.strip(b"\0"):
        raise walk.fail(position, "data after ENDLIB")


def _element_record(
    walk: _Walk, position: int, element: str, name: str, payload: bytes, seen: dict[str, int]
) -> None:
    allowed = _ELEMENTS[element][0]
    if name not in allowed | _COMMON:
        raise walk.fail(position, f"{name} record in a {element}")
    if name in seen and name not in {"XY", "PROPATTR", "PROPVALUE"}:
        raise walk.fail(position, f"a second {name} record in a {element}")
    # gdstk writes polygons of more than 8190 points as several XY records: add them up.
    seen[name] = seen.get(name, 0) + (len(payload) // 8 if name == "XY" else 1)
    if name in _TEXT:
        cell = walk.text(position, payload, name)
        if name == "SNAME":
            walk.sname = cell
            walk.named_at.setdefault(cell, position)
    elif name == "COLROW":
        columns, rows = np.frombuffer(payload, dtype=">i2")
        if columns <= 0 or rows <= 0:
            raise walk.fail(position, f"AREF of {columns} x {rows}")
        walk.copies = int(columns) * int(rows)
    elif name in {"MAG", "ANGLE"}:
        value = gds_real(payload)
        if not math.isfinite(value) or (name == "MAG" and value <= 0):
            raise walk.fail(position, f"{name} of {value}")


def _check_element(walk: _Walk, position: int, element: str, seen: dict[str, int]) -> None:
    _, required, (least, most) = _ELEMENTS[element]
    missing = sorted(required - set(seen))
    if missing:
        raise walk.fail(position, f"{element} without {', '.join(missing)}")
    points = seen["XY"]
    if not least <= points <= most:
        raise walk.fail(position, f"{element} of {points} point{'s' * (points != 1)}")


def _count(walk: _Walk, element: str) -> None:
    """Add a finished element to its cell: a placement of another cell, or an element."""
    if element in ("SREF", "AREF"):
        children = walk.references[walk.current]
        children[walk.sname] = children.get(walk.sname, 0) + walk.copies
    else:
        walk.elements[walk.current] += 1


class LayoutSummary(NamedTuple):
    """What a checked GDSII stream holds: its top cells (sorted) and the number of elements
    its hierarchy places (every array copy counted)."""

    tops: list[str]
    placed: int


def _summary(walk: _Walk) -> LayoutSummary:
    below = {child for children in walk.references.values() for child in children}
    tops = sorted(set(walk.structures) - below)
    placed: dict[str, int] = {}
    for cell in walk.order:  # children before parents
        placed[cell] = walk.elements[cell] + sum(
            copies * placed[child] for child, copies in walk.references[cell].items()
        )
    return LayoutSummary(tops, sum(placed[top] for top in tops))


def _check_hierarchy(walk: _Walk) -> None:
    """Every referenced cell exists; no cell contains itself; nesting stays bounded."""
    for cell, position in sorted(walk.named_at.items(), key=lambda item: item[1]):
        if cell not in walk.structures:
            raise walk.fail(position, f"a reference to cell {cell!r}, which the file lacks")
    depth: dict[str, int] = {}
    for root in sorted(walk.structures):
        _depth_of(walk, root, depth)


def _depth_of(walk: _Walk, root: str, depth: dict[str, int]) -> None:
    """Depth below every cell, depth-first without recursion; a cycle is an error."""
    if root in depth:
        return
    on_path: set[str] = {root}
    stack: list[tuple[str, list[str]]] = [(root, sorted(walk.references[root]))]
    while stack:
        cell, children = stack[-1]
        if children:
            child = children.pop()
            if child in on_path:
                raise walk.fail(walk.structures[child], f"cell {child!r} contains itself")
            if child not in depth:
                on_path.add(child)
                stack.append((child, sorted(walk.references[child])))
            continue
        stack.pop()
        on_path.discard(cell)
        below = [depth[c] + 1 for c in walk.references[cell]]
        depth[cell] = max(below, default=0)
        walk.order.append(cell)
        if depth[cell] > MAX_HIERARCHY_DEPTH:
            raise walk.fail(
                walk.structures[cell], f"cells nested more than {MAX_HIERARCHY_DEPTH} deep"
            )


def gds_real(raw: bytes) -> float:
    """GDSII 8-byte real: sign bit, 7-bit excess-64 base-16 exponent, 56-bit mantissa."""
    if len(raw) < 8:
        return math.nan
    sign = -1.0 if raw[0] & 0x80 else 1.0
    exponent = (raw[0] & 0x7F) - 64
    mantissa = int.from_bytes(raw[1:8], "big") / float(1 << 56)
    return sign * mantissa * 16.0**exponent


_HEADER = bytes([0, 6, 0x00, 2])  # record length 6, HEADER, 2-byte integer
_ELEMENT_HEAD = bytes([0, 4, 0x08, 0, 0, 6, 0x0D, 2])
_DATATYPE_HEAD = bytes([0, 6, 0x0E, 2])
_ENDEL_RECORD = bytes([0, 4, 0x11, 0])


def strided(raw: NDArray[np.uint8], start: int, count: int, step: int, dtype: str) -> NDArray:
    """One fixed-position field of ``count`` records ``step`` bytes apart (a view)."""
    return np.ndarray((count,), dtype=dtype, buffer=raw, offset=start, strides=(step,))


def boundary_run(raw: NDArray[np.uint8], start: int) -> tuple[int, int]:
    """``(count, step)``: consecutive plain boundaries of ``step`` bytes each from ``start``
    (count 0: none there).

    A plain boundary is BOUNDARY, LAYER, DATATYPE, one XY of at least 4 points, ENDEL
    (36 + 8n bytes); a flat file is long runs of them, checked with a few strided
    comparisons per run.
    """
    head = raw[start : start + 20].tobytes()
    if len(head) < 20 or head[:8] != _ELEMENT_HEAD or head[10:14] != _DATATYPE_HEAD:
        return 0, 0
    if head[18] != _CODE["XY"] or head[19] != 3:
        return 0, 0
    xy_length = (head[16] << 8) | head[17]
    step = 16 + xy_length + 4
    if xy_length < 4 + 4 * 8 or (xy_length - 4) % 8 or start + step > len(raw):
        return 0, 0
    checks: list[tuple[int, str, int]] = [
        (0, ">u8", int.from_bytes(_ELEMENT_HEAD, "big")),
        (10, ">u4", int.from_bytes(_DATATYPE_HEAD, "big")),
        (16, ">u4", int.from_bytes(head[16:20], "big")),
        (step - 4, ">u4", int.from_bytes(_ENDEL_RECORD, "big")),
    ]
    return _matching(raw, start, step, checks), step


def _matching(
    raw: NDArray[np.uint8], start: int, step: int, checks: list[tuple[int, str, int]]
) -> int:
    """How many records of ``step`` bytes from ``start`` pass every fixed-field check."""
    count, window = 0, 16
    limit = (len(raw) - start) // step

    def ok(base: int, n: int) -> NDArray[np.bool_]:
        good = np.ones(n, dtype=bool)
        for at, dtype, expected in checks:
            good &= strided(raw, base + at, n, step, dtype) == expected
        return good

    while count < limit:
        n = min(window, limit - count)
        bad = np.flatnonzero(~ok(start + count * step, n))
        if len(bad):
            return count + int(bad[0])
        count += n
        window *= 4
    return count
