"""An exclusive, non-blocking lock file so only one process writes an index at a time."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from assistant.errors import IndexLocked
from assistant.safe_files import open_lock



class IndexLock:
    """`with IndexLock(folder):` holds `folder/.lock` or raises IndexLocked at once.

    flock locks vanish with their process, so a killed indexer never leaves a stale lock.
    The index folder may come from someone else: `.lock` is opened without following a symlink and
    must be a regular file with one name (safe_files.UnsafeFileError otherwise), so a planted
    `.lock -> ~/.bashrc` is refused, never truncated.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / ".lock"
        self.fd: int | None = None

    def __enter__(self) -> IndexLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = open_lock(self.path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise IndexLocked(
                f"index {self.path.parent} is being updated by {holder}; wait for it to finish"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}".encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
