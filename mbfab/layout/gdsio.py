"""Reading and writing layout files: deterministic GDSII, readable errors on bad input."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import gdstk

from mbfab.errors import GdsReadError
from mbfab.layout.cells import new_library
from mbfab.layout.grid import USER_UNIT_M

__all__ = [
    "FIXED_TIMESTAMP",
    "GDS_MAX_POINTS",
    "read_layout",
    "top_cell",
    "write_gds",
    "write_oas",
]

#: Every file mbfab writes carries this timestamp, so that the same input gives the same bytes.
FIXED_TIMESTAMP = dt.datetime(2000, 1, 1, 0, 0, 0)
#: The GDSII XY record holds at most 8191 points: 8190 vertices plus the closing point.
GDS_MAX_POINTS = 8190

_GDS_HEADER = b"\x00\x06\x00\x02"  # record length 6, HEADER record, 2-byte integer
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


def read_layout(path: Path | str) -> gdstk.Library:
    """Read a GDSII or OASIS file, in micrometres; refuse corrupt or truncated files clearly."""
    path = Path(path)
    if path.is_dir():
        raise GdsReadError(f"{path}: is a folder, not a layout file")
    if not path.is_file():
        raise GdsReadError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in {".oas", ".oasis"}:
        _check_oasis_framing(path)
        _probe_oasis_in_child(path)
        try:
            return gdstk.read_oas(str(path), unit=USER_UNIT_M)
        except Exception as exc:  # gdstk raises bare RuntimeError/OSError on bad data
            raise GdsReadError(f"{path}: cannot read OASIS file: {exc}") from exc
    _check_gds_framing(path)
    try:
        return gdstk.read_gds(str(path), unit=USER_UNIT_M)
    except Exception as exc:
        raise GdsReadError(f"{path}: cannot read GDSII file: {exc}") from exc


def _check_gds_framing(path: Path) -> None:
    """Walk the GDSII record framing so truncated or non-GDS files fail with a clear reason."""
    data = path.read_bytes()
    if not data.startswith(_GDS_HEADER):
        raise GdsReadError(f"{path}: not a GDSII file (no HEADER record at byte 0)")
    position, size = 0, len(data)
    while position < size:
        if position + 4 > size:
            raise GdsReadError(f"{path}: truncated GDSII file (partial record at byte {position})")
        length = int.from_bytes(data[position : position + 2], "big")
        record = data[position + 2]
        if length == 0:
            # Zero padding after ENDLIB is allowed; anywhere else it is corruption.
            raise GdsReadError(
                f"{path}: corrupt GDSII file (zero-length record at byte {position})"
            )
        if length < 4 or position + length > size:
            raise GdsReadError(
                f"{path}: truncated GDSII file (record at byte {position} runs past the end)"
            )
        position += length
        if record == 0x04:  # ENDLIB
            return
    raise GdsReadError(f"{path}: truncated GDSII file (no ENDLIB record)")


def _check_oasis_framing(path: Path) -> None:
    """Refuse non-OASIS and truncated files: gdstk crashes on some, reads others partially."""
    data = path.read_bytes()
    if not data.startswith(_OASIS_MAGIC):
        raise GdsReadError(f"{path}: not an OASIS file (no %SEMI-OASIS magic at byte 0)")
    if len(data) < len(_OASIS_MAGIC) + _OASIS_END_BYTES or data[-_OASIS_END_BYTES] != 2:
        raise GdsReadError(f"{path}: truncated OASIS file (no END record in the last 256 bytes)")


def _probe_oasis_in_child(path: Path) -> None:
    """Read the file once in a child process first: on some corrupt OASIS data gdstk crashes
    the interpreter (a segmentation fault), which must become an error, not take mbfab down."""
    probe = "import sys, gdstk; gdstk.read_oas(sys.argv[1])"
    try:
        result = subprocess.run(
            [sys.executable, "-c", probe, str(path)], capture_output=True, timeout=600, check=False
        )
    except subprocess.TimeoutExpired:
        raise GdsReadError(f"{path}: cannot read OASIS file (the reader did not finish)") from None
    if result.returncode != 0:
        how = "crashed" if result.returncode < 0 else "failed"
        raise GdsReadError(f"{path}: corrupt OASIS file (the reader {how})")


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
