"""Files in and out of the data commands: one-line errors for every path that cannot be read or
written, and writes that never leave a half-written file where the user looks.

Every OSError the data layer meets becomes a core.errors error here: a bad path (missing, not a
directory, no permission, read-only, exists) is a usage error (exit 2); anything else (disk full, an
I/O error) a failure (exit 1). Either way nothing was changed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from typing import BinaryIO

from core.errors import ToolkitError, UsageError

# Paths here are strings, handled with os.path: pathlib (with the urllib.parse and ipaddress it
# imports) costs a data command ~4 ms of start-up, a tenth of what the command may take on a small file.

# errno values that mean "this path cannot be used", as opposed to a failure of the machine
PATH_ERRNOS = frozenset(
    {
        errno.ENOENT,
        errno.ENOTDIR,
        errno.EISDIR,
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.EEXIST,
        errno.ELOOP,
        errno.ENAMETOOLONG,
        errno.EXDEV,
    }
)


def file_error(exc: OSError, path: str | os.PathLike[str] | None = None, doing: str = "") -> ToolkitError:
    """`exc` as one line naming `path` (default: the error's own file name): a UsageError for a bad
    path, a ToolkitError otherwise."""
    where = path if path is not None else exc.filename
    reason = exc.strerror or str(exc) or type(exc).__name__
    text = f"cannot {doing}: {reason}" if doing else reason
    if where is not None:
        text = f"{where}: {text}"
    if exc.errno in PATH_ERRNOS:
        return UsageError(text)
    return ToolkitError(text)


def tidy_path(path: str | os.PathLike[str]) -> str:
    """`path` as pathlib writes it: no empty or "." parts, no trailing slash, "" as "." (".." is kept:
    dropping it could change which file is meant). What the data commands show and use."""
    text = os.fspath(path)
    root = (
        "//" if text.startswith("//") and not text.startswith("///") else "/" if text.startswith("/") else ""
    )
    parts = [part for part in text.split("/") if part and part != "."]
    return root + "/".join(parts) or root or "."


def check_input_file(path: str | os.PathLike[str]) -> str:
    """The path of a readable regular file (as a string), or a one-line usage error."""
    p = os.fspath(path)
    try:
        mode = os.stat(p).st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise UsageError(f"{p}: no such file") from None
    except OSError as exc:
        raise file_error(exc, p, "read") from None
    if not stat.S_ISREG(mode):
        raise UsageError(f"{p}: not a regular file")
    if not os.access(p, os.R_OK):
        raise UsageError(f"{p}: not readable (permission denied)")
    try:
        with open(p, "rb") as f:
            f.read(1)  # some files open but cannot be read (EINVAL, EIO): find out now
    except OSError as exc:  # whatever the reason, this input file cannot be used: a usage error
        raise UsageError(f"{p}: cannot read: {exc.strerror or exc}") from None
    return p


def check_output_dir(path: str | os.PathLike[str]) -> str:
    """Refuse an output directory that cannot be one: the path, or its nearest existing ancestor, is
    not a directory. (Whether it is writable shows when writing, whoever runs the command.)"""
    p = tidy_path(path)
    probe = p
    while True:
        try:
            mode = os.stat(probe).st_mode
        except (FileNotFoundError, NotADirectoryError):
            parent = os.path.dirname(probe) or os.curdir  # tidy: no trailing slash to trip dirname
            if parent == probe:  # the root, or a current directory that is gone
                break
            probe = parent
            continue
        except OSError as exc:
            raise file_error(exc, probe, "use as an output directory") from None
        if not stat.S_ISDIR(mode):
            if probe == p:
                raise UsageError(f"{p}: exists and is not a directory")
            raise UsageError(f"{p}: cannot create the directory: {probe} is not a directory")
        break
    return p


def same_file(a: str, b: str) -> bool:
    """Whether `a` and `b` name the same existing file (symlinks and hard links included)."""
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
        return os.path.realpath(a) == os.path.realpath(b)
    except (OSError, ValueError):
        return False


def stamp(path: str) -> tuple[int, int, int]:
    """Size, modification time and inode: what changes when a file is rewritten or replaced while read."""
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns, st.st_ino


def temp_name(directory: str, name: str) -> str:
    """A hidden, unique temporary name for `name` in `directory` (same file system: renames are atomic)."""
    return os.path.join(directory, f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")


def fsync_dir(directory: str) -> None:
    """Make renames in `directory` durable; best effort (not every file system allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory or os.curdir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_write(target: str) -> Iterator[BinaryIO]:
    """Write `target` through a temporary file in its directory, renamed into place only when the
    block ends without an exception; otherwise the temporary file is removed and `target` is untouched.
    OSErrors become one-line errors (file_error)."""
    parent, name = os.path.split(target)
    tmp = temp_name(parent, name)
    try:
        # open(..., "xb") rather than mkstemp: the file gets the user's umask, not 0600
        handle = open(tmp, "xb")  # noqa: SIM115 - closed below, before the rename
    except OSError as exc:
        raise file_error(exc, parent or os.curdir, "write") from None
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise file_error(exc, target, "write") from None
        raise
    fsync_dir(parent)
