"""Writing files in folders someone else may have prepared: never through a symlink, never onto a non-file.

A folder the user opens (a colleague's archive, a download) can hold `index/.lock -> ~/.bashrc` or a
dangling `assistant-session-….md -> ~/.ssh/authorized_keys`. Every file the app writes is opened with
O_NOFOLLOW (the last path component is never a link), new files with O_EXCL (an existing name,
a dangling link included, is never reused), and what was opened is checked with fstat to be a
regular file with a single name.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

from assistant.errors import UnsafeFileError
from assistant.text.sanitize import single_line

PRIVATE = 0o600
"""Owner-only: sessions, exports and lock files."""

_NOFOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC
# A FIFO planted under a file's name must not block the open that is about to refuse it.
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)



def describe(path: Path | str) -> str:
    """A path as it appears in a one-line message (control characters escaped)."""
    return single_line(str(path))


def _refusal(path: Path | str, what: str) -> UnsafeFileError:
    return UnsafeFileError(f"{describe(path)} {what}; refusing to write it (remove it if you did not put it there)")


def check_regular(fd: int, path: Path | str) -> os.stat_result:
    """fstat `fd`: a regular file with one name, or UnsafeFileError (a hard link to another file is as bad as a symlink)."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise _refusal(path, "is not a regular file")
    if info.st_nlink > 1:
        raise _refusal(path, f"is a hard link ({info.st_nlink} names for one file)")
    return info


def _open(path: Path, flags: int, mode: int) -> int:
    """os.open with O_NOFOLLOW; a symlink (ELOOP) becomes one clear UnsafeFileError."""
    try:
        return os.open(path, flags | _NOFOLLOW | _NONBLOCK, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _refusal(path, "is a symbolic link") from None
        if exc.errno == errno.ENXIO:  # a FIFO with no reader, opened for writing
            raise _refusal(path, "is not a regular file") from None
        raise


def _clear_nonblock(fd: int) -> None:
    if _NONBLOCK:
        os.set_blocking(fd, True)


def open_lock(path: Path, mode: int = PRIVATE) -> int:
    """Open (or create) a lock file for reading and writing, without truncating it; the caller closes the fd."""
    fd = _open(path, os.O_RDWR | os.O_CREAT, mode)
    try:
        check_regular(fd, path)
        _clear_nonblock(fd)
    except BaseException:
        os.close(fd)
        raise
    return fd


def create_new(path: Path, mode: int = PRIVATE) -> int:
    """Create `path` exclusively (FileExistsError when the name is taken, even by a dangling link); returns the fd."""
    fd = _open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        check_regular(fd, path)
        _clear_nonblock(fd)
        # O_CREAT's mode is filtered by the umask; an owner-only file stays owner-only either way,
        # but a wider mode asked for is honoured exactly.
        os.fchmod(fd, mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def write_new(path: Path, data: bytes | str, mode: int = PRIVATE) -> None:
    """Write a new file; FileExistsError if anything (a dangling link included) has the name already."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd = create_new(path, mode)
    try:
        _write_all(fd, payload)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    os.close(fd)


def write_first_free(candidates: Iterable[Path], data: bytes | str, mode: int = PRIVATE) -> Path:
    """Write `data` to the first candidate name not taken (exclusive create each time: no check-then-write race)."""
    tried: Path | None = None
    for tried in candidates:
        try:
            write_new(tried, data, mode)
        except FileExistsError:
            continue
        return tried
    where = describe(tried.parent) if tried is not None else "the folder"
    raise FileExistsError(f"no free file name left in {where}")


def replace_atomically(path: Path, data: bytes | str, mode: int = PRIVATE) -> None:
    """Write `data` to a temp file beside `path` (O_EXCL, fsync), then os.replace it onto `path`.

    Refuses when `path` exists and is a symlink or not a regular file: replacing a planted link
    would be harmless to its target, but a link where the app keeps its own file means someone
    else prepared the folder, and that is worth saying.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        pass
    else:
        if stat.S_ISLNK(info.st_mode):
            raise _refusal(path, "is a symbolic link")
        if not stat.S_ISREG(info.st_mode):
            raise _refusal(path, "is not a regular file")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    # The temp name starts with a dot so a crash mid-write never looks like one of the app's files.
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = create_new(temp, mode)
    try:
        try:
            _write_all(fd, payload)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    fsync_folder(path.parent)


def fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (best effort: some file systems refuse fsync on folders)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def private_folder(folder: Path) -> Path:
    """Create `folder` (owner-only when new) and refuse it when it is a symlink or not a folder.

    For the app's own folders inside a folder it did not make (`index/sessions`): a planted link
    there would send every session somewhere else.
    """
    try:
        folder.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        pass
    info = os.lstat(folder)
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeFileError(f"{describe(folder)} is a symbolic link; refusing to write into it "
                              "(remove it if you did not put it there)")
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeFileError(f"{describe(folder)} is not a folder")
    return folder
