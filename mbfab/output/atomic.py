"""Write a folder of outputs all at once: a failed run leaves the previous outputs intact."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mbfab.errors import OutputError

__all__ = ["inside", "staged_directory"]


def inside(folder: Path, name: str) -> Path:
    """``folder / name``, refusing names that would leave ``folder``."""
    target = (folder / name).resolve()
    if target.parent != folder.resolve() or name in {"", ".", ".."}:
        raise OutputError(f"name {name!r} would write outside {folder}")
    return target


@contextmanager
def staged_directory(final: Path) -> Iterator[Path]:
    """Yield a fresh temporary folder beside ``final``; on success it replaces ``final``.

    On any exception the temporary folder is removed and ``final`` is left untouched.
    """
    parent = final.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {parent}: {exc}") from None
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=parent))
        # mkdtemp makes the folder private (0o700); the outputs get what any new folder gets.
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)
    except OSError as exc:
        raise OutputError(f"cannot write in output folder {parent}: {exc}") from None
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    backup = None
    if final.exists():
        backup = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".old", dir=parent))
        os.rmdir(backup)
        os.replace(final, backup)
    try:
        os.replace(staging, final)
    except OSError as exc:
        if backup is not None:
            os.replace(backup, final)
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(f"cannot move outputs into {final}: {exc}") from None
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
