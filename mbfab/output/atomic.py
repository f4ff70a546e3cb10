"""Write a folder of outputs all at once: a failed run leaves the previous outputs intact."""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mbfab.errors import OutputError

__all__ = ["inside", "recover", "staged_directory"]


def inside(folder: Path, name: str) -> Path:
    """``folder / name``, refusing names that would leave ``folder``."""
    target = (folder / name).resolve()
    if target.parent != folder.resolve() or name in {"", ".", ".."}:
        raise OutputError(f"name {name!r} would write outside {folder}")
    return target


@contextmanager
def staged_directory(final: Path) -> Iterator[Path]:
    """Yield a fresh temporary folder beside ``final``; on success it replaces ``final``.

    On any exception the temporary folder is removed and ``final`` is left untouched. The
    swap is one atomic exchange of the two folders where the system has it (Linux), else
    two renames with the old folder kept aside until the new one is in place; what a
    killed run leaves beside ``final`` (staging folders, an old folder kept aside) is
    cleaned up, or put back, by the next run.
    """
    parent = final.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {parent}: {exc}") from None
    recover(final)
    try:
        staging = _fresh(final, ".tmp")
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
    try:
        _swap_in(staging, final)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(f"cannot move outputs into {final}: {exc}") from None


def _fresh(final: Path, suffix: str) -> Path:
    """A new hidden folder beside ``final`` named for this process (``.NAME.PID.XXXX.tmp``)."""
    prefix = f".{final.name}.{os.getpid()}."
    return Path(tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=final.parent))


def _swap_in(staging: Path, final: Path) -> None:
    """Put ``staging`` at ``final``; the previous ``final`` is removed once replaced."""
    if not final.exists():
        try:
            os.rename(staging, final)
            return
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):  # another run was quicker
                raise
    if _exchange(staging, final):
        shutil.rmtree(staging, ignore_errors=True)  # now the previous outputs
        return
    backup = _fresh(final, ".old")
    os.rmdir(backup)
    os.rename(final, backup)
    try:
        os.rename(staging, final)
    except OSError:
        os.rename(backup, final)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False
    where the system or the file system has no such call."""
    rename_at = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if rename_at is None:
        return False
    here, exchange = -100, 2  # AT_FDCWD, RENAME_EXCHANGE
    if rename_at(here, os.fsencode(first), here, os.fsencode(second), exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def recover(final: Path) -> None:
    """Clean up beside ``final`` after killed runs: staging folders of processes that are
    gone are removed; an old folder kept aside is put back when ``final`` is missing (the
    run died between its two renames), else removed."""
    stale = [p for p in final.parent.glob(f".{final.name}.*") if _owner_gone(p, final.name)]
    for path in sorted(stale, key=_mtime, reverse=True):
        if path.suffix == ".old" and not final.exists():
            try:
                os.rename(path, final)
                continue
            except OSError:
                pass
        shutil.rmtree(path, ignore_errors=True)


def _owner_gone(path: Path, name: str) -> bool:
    """True for ``.NAME.PID.XXXX.tmp|.old`` whose process no longer runs (folders of the
    older ``.NAME.XXXX.tmp`` form count as gone)."""
    if not path.is_dir() or path.suffix not in (".tmp", ".old"):
        return False
    middle = path.name[len(name) + 2 : -len(path.suffix)]
    pid = middle.split(".", 1)[0]
    if not pid.isdigit() or "." not in middle:
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # someone else's process: alive
        return False
    return False


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
