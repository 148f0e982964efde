"""The chat keeps its index current while it runs: whether to watch the corpus folder, and the watch thread's link to the app."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message

from assistant.errors import first_line
from assistant.settings import Settings
from assistant.tui.messages import WatchFailed, WatchProgressed, WatchUpdated

if TYPE_CHECKING:
    from assistant.index.progress import Progress
    from assistant.index.watch import Watcher

NETWORK_FILESYSTEMS = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ceph", "glusterfs", "lustre", "davfs", "fuse.sshfs",
    "fuse.rclone", "fuse.s3fs", "fuse.gcsfuse", "fuse.davfs2",
})
"""Filesystems where inotify does not see changes made on another machine (and polling a big folder is costly)."""

PROGRESS_INTERVAL = 0.2
"""Seconds between watch progress lines on screen."""


class _Stopping(BaseException):
    """Raised from the progress callback to end an update in progress when the watch is stopped (the chat is
    closing): a BaseException so the watcher's `except Exception` does not report it as a failed update. The
    indexer is crash-safe, so what was committed stays and the next start picks up the rest."""


def mount_type(path: Path, mounts: str | None = None) -> str | None:
    """The filesystem type `path` lives on, from /proc/self/mounts (None when it cannot be told)."""
    if mounts is None:
        try:
            mounts = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    target = os.path.realpath(path)
    best, kind = "", None
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind


def _writable(index: Path) -> bool:
    """True when the index folder (or, before the first build, the nearest folder it will be made in) may be written."""
    folder = Path(os.path.abspath(index))
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def watch_choice(settings: Settings, *, mounts: str | None = None) -> tuple[bool, str]:
    """Whether the chat should watch the corpus, and why, as one line for the status bar.

    `watch = "auto"` (the default) watches a corpus on a local filesystem whose index folder may be written:
    a read-only or shared index must not be written by every chat opened on it, and on a network filesystem
    inotify misses changes made elsewhere. `true` watches whenever the corpus folder exists; `false` never. An index in
    a database store (team mode) is never watched from the chat.
    """
    mode = getattr(settings, "watch", "auto")
    if mode == "off":
        return False, "watch off"
    if getattr(settings, "store", None):
        # The watcher updates an index folder; a shared database store is kept current by its indexing machine.
        return False, "watch off: database store"
    if not settings.corpus.is_dir():
        return False, "watch off: no corpus folder"
    if mode == "on":
        return True, "watching"
    if not _writable(settings.index):
        return False, "watch off: read-only index"
    kind = mount_type(settings.corpus, mounts)
    if kind in NETWORK_FILESYSTEMS:
        return False, f"watch off: corpus on {kind}"
    return True, "watching"


class WatchLink:
    """Runs an `assistant.index.watch.Watcher` in a daemon thread and hands its events to the app as messages.

    Callbacks run on the watch thread; each becomes a message (post_message is thread-safe and never blocks, so
    closing the app can never wait on a watch thread waiting on the app). Progress is thinned to one event every
    PROGRESS_INTERVAL. Nothing is posted once `stop()` was called.
    """

    def __init__(self, settings: Settings, embedder: Any, post: Callable[[Message], bool], *,
                 debounce_ms: int | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self._post = post
        self._debounce_ms = debounce_ms
        self._stopped = threading.Event()
        self._last = 0.0
        self._phase = ""
        self.watcher: Watcher | None = None
        self.thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """True while the watch thread is alive and not told to stop."""
        return self.thread is not None and self.thread.is_alive() and not self._stopped.is_set()

    def start(self) -> None:
        """Start watching (the first update is the catch-up with anything changed since the index was opened)."""
        self.thread = threading.Thread(target=self._run, name="assistant-tui-watch", daemon=True)
        self.thread.start()

    def stop(self, wait: float = 0.0) -> None:
        """Stop after the current update (its committed batches stay); wait up to `wait` seconds for the thread."""
        self._stopped.set()
        if self.watcher is not None:
            self.watcher.stop()
        if wait and self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join(wait)

    def _send(self, message: Message) -> None:
        if not self._stopped.is_set():
            self._post(message)

    def _progress(self, progress: Progress) -> None:
        if self._stopped.is_set():
            raise _Stopping
        now = time.monotonic()
        finished = progress.total > 0 and progress.done >= progress.total
        if progress.phase != self._phase or finished or now - self._last >= PROGRESS_INTERVAL:
            self._phase, self._last = progress.phase, now
            self._send(WatchProgressed(progress))

    def _run(self) -> None:
        # Imported on the watch thread: the indexer and watchfiles stay off the chat's start-up path.
        from assistant.index.watch import STORE_REFUSAL, Watcher

        if getattr(self.settings, "store", None):
            # The palette starts a watch whatever watch_choice said: the watcher would build a local index
            # folder the chat never reads (it answers from the store).
            self._send(WatchFailed(STORE_REFUSAL))
            return
        options: dict[str, Any] = {}
        if self._debounce_ms is not None:
            options["debounce_ms"] = self._debounce_ms
        try:
            self.watcher = Watcher(
                self.settings.corpus, self.settings.index, model=self.settings.model, embedder=self.embedder,
                follow_symlinks=self.settings.follow_symlinks, on_update=lambda u: self._send(WatchUpdated(u)),
                on_progress=self._progress, **options,
            )
            if self._stopped.is_set():
                return
            self.watcher.run()
        except _Stopping:
            return
        except Exception as exc:  # noqa: BLE001 - inotify limits, a vanished folder: said once, the chat goes on
            self._send(WatchFailed(first_line(exc)))
