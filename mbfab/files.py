"""Input files are checked by type and size before a byte is read.

A FIFO blocks a reader forever, ``/dev/zero`` never ends, and a recipe of many megabytes
is a mistake that costs minutes and gigabytes before anything says so: each is refused
here with one line, before it is opened.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["MAX_LAYOUT_SHAPES", "MAX_TEXT_BYTES", "checked_size", "format_bytes"]

#: Largest recipe or rule deck read (the examples are about 5 kB; 1 MB holds any real one).
MAX_TEXT_BYTES = 1_000_000
#: Default of ``check --max-shapes``: a layout placing more shapes (array copies counted) is
#: refused before it is read; about 1.4 GB and a minute of checking (0.14 kB and 7 us per
#: placed shape, measured on a plate of 10^6 pillars).
MAX_LAYOUT_SHAPES = 10_000_000

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def checked_size(path: Path, max_bytes: int | None = None) -> int | str:
    """The size of the regular file ``path``, or the reason it cannot be read as input.

    Symbolic links are followed. The reason is a short phrase such as ``"no such file"``,
    ``"is a FIFO (named pipe), not a regular file"`` or ``"is 52 MB, more than the 1 MB
    limit"``.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        return f"cannot read file: {exc.strerror}"
    for test, kind in _KINDS:
        if test(info.st_mode):
            return f"is {kind}, not a regular file"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file"
    if max_bytes is not None and info.st_size > max_bytes:
        return (
            f"is {format_bytes(info.st_size)}, more than the {format_bytes(max_bytes)} "
            "an input file of this kind may have"
        )
    return info.st_size


def format_bytes(count: float) -> str:
    """``1.5 GB``, ``52 MB``, ``3 kB``: decimal units, three significant digits at most."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return f"{int(count)} B"
