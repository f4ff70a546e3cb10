"""Reading and writing layout files: deterministic GDSII, readable errors on bad input."""

from __future__ import annotations

import datetime as dt
import mmap
import os
import shutil
import subprocess
import sys
import tempfile
import weakref
from functools import cache
from pathlib import Path

import gdstk

from mbfab.errors import GdsReadError
from mbfab.files import checked_size
from mbfab.layout.cells import new_library
from mbfab.layout.gdsrecords import LayoutSummary, check_gds_records
from mbfab.layout.grid import USER_UNIT_M

__all__ = [
    "FIXED_TIMESTAMP",
    "GDS_MAX_POINTS",
    "LayoutSummary",
    "check_gds_file",
    "inspect_layout",
    "read_layout",
    "top_cell",
    "top_cell_name",
    "write_gds",
    "write_oas",
]

#: Every file mbfab writes carries this timestamp, so that the same input gives the same bytes.
FIXED_TIMESTAMP = dt.datetime(2000, 1, 1, 0, 0, 0)
#: The GDSII XY record holds at most 8191 points: 8190 vertices plus the closing point.
GDS_MAX_POINTS = 8190

_OASIS_MAGIC = b"%SEMI-OASIS\r\n"
#: The OASIS END record (id 2) is padded so that it is exactly the file's last 256 bytes.
_OASIS_END_BYTES = 256


def write_gds(
    top: gdstk.Cell,
    path: Path,
    *,
    library_name: str = "MBFAB",
    max_points: int = GDS_MAX_POINTS,
) -> None:
    """Write ``top`` and every cell below it to ``path``, cells sorted by name."""
    library = _sorted_library(top, library_name)
    library.write_gds(str(path), max_points=max_points, timestamp=FIXED_TIMESTAMP)


def write_oas(top: gdstk.Cell, path: Path, *, library_name: str = "MBFAB") -> None:
    """Write ``top`` and every cell below it to ``path`` as OASIS, cells sorted by name."""
    _sorted_library(top, library_name).write_oas(str(path))


def _sorted_library(top: gdstk.Cell, library_name: str) -> gdstk.Library:
    """A library of ``top`` and its dependencies, in name order (deterministic files)."""
    library = new_library(library_name)
    cells = {top.name: top}
    for dependency in top.dependencies(True):
        if isinstance(dependency, gdstk.Cell):
            cells[dependency.name] = dependency
    for name in sorted(cells):
        library.add(cells[name])
    return library


def read_layout(path: Path | str, *, ours: bool = False) -> gdstk.Library:
    """Read a GDSII or OASIS file, in micrometres; refuse corrupt or truncated files clearly.

    A GDSII file is walked record by record in Python before gdstk reads it
    (:func:`mbfab.layout.gdsrecords.check_gds_records`). An OASIS file is read by gdstk in
    a child process, which touches every cell and element and writes them out as GDSII;
    that file is checked and read here, so gdstk's OASIS reader never runs in this process
    (it crashes the interpreter on some corrupt files). ``ours``: a file this process has
    just written (read back to verify it), read by gdstk directly.
    """
    path = Path(path)
    if ours and path.suffix.lower() in {".oas", ".oasis"}:
        return gdstk.read_oas(str(path), unit=USER_UNIT_M)
    readable = _as_gds(path)
    check_gds_file(readable, str(path))
    return _read_gds(readable, str(path))


def inspect_layout(path: Path | str) -> LayoutSummary:
    """Check a GDSII or OASIS file whole (as :func:`read_layout`) without building it:
    its top cells and how many elements its hierarchy places."""
    path = Path(path)
    return check_gds_file(_as_gds(path), str(path))


def _as_gds(path: Path) -> Path:
    """``path`` itself for GDSII; for OASIS, its GDSII conversion (made in a child)."""
    size = checked_size(path)
    if isinstance(size, str):
        raise GdsReadError(f"{path}: {size}")
    if path.suffix.lower() not in {".oas", ".oasis"}:
        return path
    info = path.stat()
    return _converted(path.resolve(), info.st_mtime_ns, info.st_size)


@cache
def _converted(path: Path, mtime_ns: int, size: int) -> Path:
    """The GDSII conversion of an OASIS file, made once per version of the file and kept
    until the process ends (checking reads a file twice: its summary, then its shapes)."""
    _check_oasis_framing(path)
    folder = tempfile.mkdtemp(prefix="mbfab-oasis-")
    weakref.finalize(_KEEP, shutil.rmtree, folder, True)
    converted = Path(folder) / "layout.gds"
    _oasis_to_gds_in_child(path, converted)
    return converted


class _Keeper:
    """Lives as long as the module: temporary conversions are removed when it goes."""


_KEEP = _Keeper()


def check_gds_file(path: Path, shown: str | None = None) -> LayoutSummary:
    """Walk the whole GDSII record stream of ``path`` (memory-mapped, not copied); raise
    :class:`GdsReadError` naming ``shown`` (default: the path) on the first bad record."""
    name = shown or str(path)
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            raise GdsReadError(f"{name}: empty file, not a GDSII file")
        # Not closed explicitly: numpy views of the map live on in an error's traceback.
        data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    return check_gds_records(data, name)


def top_cell_name(path: Path | str) -> str:
    """The name of a layout file's top cell (the first by name when it has several)."""
    tops = inspect_layout(path).tops
    if not tops:
        raise GdsReadError(f"{path}: the layout holds no cell")
    return tops[0]


def _read_gds(path: Path, shown: str) -> gdstk.Library:
    try:
        return gdstk.read_gds(str(path), unit=USER_UNIT_M)
    except Exception as exc:  # gdstk raises bare RuntimeError/OSError on bad data
        raise GdsReadError(f"{shown}: cannot read GDSII file: {exc}") from exc


def _check_oasis_framing(path: Path) -> None:
    """Refuse non-OASIS and truncated files before a reader starts on them."""
    with open(path, "rb") as handle:
        head = handle.read(len(_OASIS_MAGIC))
        size = os.fstat(handle.fileno()).st_size
        handle.seek(max(0, size - _OASIS_END_BYTES))
        end = handle.read(1)
    if head != _OASIS_MAGIC:
        raise GdsReadError(f"{path}: not an OASIS file (no %SEMI-OASIS magic at byte 0)")
    if size < len(_OASIS_MAGIC) + _OASIS_END_BYTES or end != b"\x02":
        raise GdsReadError(f"{path}: truncated OASIS file (no END record in the last 256 bytes)")


#: Run in a child: read the OASIS file with every gdstk warning an error, touch every name,
#: point, label and reference, give each polygon repetition a cell of its own (GDSII has
#: none; an arrayed reference keeps an array an array) and write GDSII.
_CONVERT = """
import sys, warnings
import gdstk
warnings.simplefilter("error")
library = gdstk.read_oas(sys.argv[1], unit=float(sys.argv[3]))
names = set()
for cell in library.cells:
    if not isinstance(cell, gdstk.Cell):
        sys.exit("error: a reference to library " + repr(cell.name))
    names.add(cell.name)
for cell in list(library.cells):
    for index, polygon in enumerate(list(cell.polygons)):
        polygon.points.sum()
        if polygon.repetition.size > 1:
            name = cell.name + "$REP" + str(index)
            while name in names:
                name += "_"
            names.add(name)
            unit = library.new_cell(name)
            unit.add(gdstk.Polygon(polygon.points, polygon.layer, polygon.datatype))
            cell.remove(polygon)
            cell.add(gdstk.Reference(unit, repetition=polygon.repetition))
    for path in cell.paths:
        path.to_polygons()
    for label in cell.labels:
        label.text.encode()
    for reference in cell.references:
        if not isinstance(reference.cell, gdstk.Cell):
            missing = repr(reference.cell)
            sys.exit("error: a reference to cell " + missing + ", which the file lacks")
library.write_gds(sys.argv[2], max_points=0)
"""


def _oasis_to_gds_in_child(path: Path, converted: Path) -> None:
    """Convert ``path`` to GDSII in a child process: a crash there is an error here."""
    command = [sys.executable, "-c", _CONVERT, str(path), str(converted), str(USER_UNIT_M)]
    try:
        result = subprocess.run(command, capture_output=True, timeout=600, check=False)
    except subprocess.TimeoutExpired:
        raise GdsReadError(f"{path}: cannot read OASIS file (the reader did not finish)") from None
    if result.returncode < 0:
        raise GdsReadError(f"{path}: corrupt OASIS file (the reader crashed)")
    if result.returncode != 0 or not converted.is_file():
        lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = lines[-1].split(": ", 1)[-1] if lines else "the reader failed"
        raise GdsReadError(f"{path}: corrupt OASIS file ({reason.rstrip('.')})")


def top_cell(library: gdstk.Library, name: str | None = None) -> gdstk.Cell:
    """The named cell, or the library's single top cell; several tops get one wrapper."""
    cells: dict[str, gdstk.Cell] = {c.name: c for c in library.cells if isinstance(c, gdstk.Cell)}
    if name is not None:
        if name not in cells:
            raise GdsReadError(f"no cell named {name!r}; cells: {', '.join(sorted(cells))}")
        return cells[name]
    tops = [
        c for c in sorted(library.top_level(), key=lambda c: c.name) if isinstance(c, gdstk.Cell)
    ]
    if not tops:
        raise GdsReadError("the layout holds no cell")
    if len(tops) == 1:
        return tops[0]
    wrapper = gdstk.Cell("MBFAB_ALL_TOPS")
    for cell in tops:
        wrapper.add(gdstk.Reference(cell))
    return wrapper
