"""Folder watching: the index follows the corpus as files are added, changed, moved or removed (watchfiles)."""

from __future__ import annotations

import errno
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.index.indexer import IndexReport, Progress, build_index
from assistant.corpus import metadata
from assistant.corpus.formats import SUPPORTED_SUFFIXES
from assistant.errors import EngineError, IndexMismatch, NotAnIndex, StoreError, UnsafeFileError, VectorError, first_line
from assistant.index import store
from assistant.index.lock import IndexLocked
from assistant.index.scan import relative
from assistant.index.stores import is_url

if TYPE_CHECKING:
    from assistant.embedding.registry import Embedder
    from assistant.models import LoadProblem

__all__ = ["STORE_REFUSAL", "WatchRefused", "WatchUpdate", "Watcher", "is_permanent"]

DEBOUNCE_MS = 400
"""Longest wait gathering one burst of changes before indexing it (watchfiles' debounce)."""
STEP_MS = 50
"""Quiet time after the last change that ends a burst early."""
STARTUP_TIMEOUT_MS = 100
"""How long the watcher waits for an event before yielding an empty set (so the catch-up can start)."""
LOCKED_RETRY_SECONDS = 1.0
"""Pause before trying again when another process (`assistant index`) holds the index lock."""
STORE_REFUSAL = (
    "watch keeps index folders only; for a PostgreSQL store run `assistant --store URL index` from cron or a timer"
)
"""Why a database store is never watched: the watcher updates an index folder under its lock file."""


class WatchRefused(Exception):
    """The index refuses every update (another corpus's or model's index, read-only, damaged): the watch ends
    with this one line instead of failing on every burst."""


def is_permanent(exc: BaseException, corpus: Path, index_dir: Path) -> bool:
    """True for a failure the next burst would meet again (the watch ends), False for one that may pass (it goes on).

    Permanent: the index belongs to another corpus or model, is not an index, is damaged, read-only or a planted
    link, or the corpus folder is gone. Passing: a file vanishing or locked mid-read, a busy database, a full disk.
    """
    if isinstance(exc, (IndexMismatch, NotAnIndex, VectorError, UnsafeFileError, EngineError)):
        return True
    if isinstance(exc, StoreError):
        return not ("disk is full" in str(exc) or store.disk_full(index_dir))
    if isinstance(exc, sqlite3.OperationalError):
        return "readonly" in str(exc).lower() or "read-only" in str(exc).lower()
    if isinstance(exc, OSError):
        if exc.errno == errno.EROFS:
            return True
        if isinstance(exc, FileNotFoundError):
            return not corpus.is_dir()
        if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
            # A corpus file's permissions are its owner's to fix while we wait; the index folder's are not.
            name = os.path.abspath(os.fsdecode(exc.filename)) if exc.filename else ""
            return _inside(name, index_dir) or not _inside(name, corpus)
        return False
    return False


@dataclass(frozen=True)
class WatchUpdate:
    """One catch-up of the index with the folder."""

    changes: int
    """File events that started it (0 for the start-up catch-up)."""
    report: IndexReport | None
    """What the indexer did (None when the update failed: see `error`)."""
    seconds: float
    """Wall time of the update."""
    error: str = ""
    """One line when the update could not run (the index keeps everything committed before)."""
    paths: tuple[str, ...] = field(default=())
    """Up to 20 of the changed paths, relative to the corpus, for display."""

    def describe(self) -> str:
        """One line for a person: 'updated: 3 added, 1 moved, 0 removed in 0.4s'."""
        if self.report is None:
            return f"update failed: {self.error}"
        r = self.report
        parts = [f"{r.added:,} added", f"{r.updated:,} updated", f"{r.moved:,} moved", f"{r.removed:,} removed"]
        note = f"; {len(r.problems)} problem(s)" if r.problems else ""
        return f"index updated: {', '.join(parts)} ({r.chunks_embedded:,} chunks) in {self.seconds:.1f}s{note}"


class Watcher:
    """Keeps `index_dir` current with `corpus`: one catch-up at start, then one per burst of file events.

    Each catch-up is an ordinary incremental `build_index` run under the index lock, so it has the
    same crash-safety as `assistant index` (a killed watch keeps every committed batch) and the same
    move detection (a renamed file is matched by content hash, not embedded again). A file changed
    while a run reads it raises a new event, so the next run picks the change up: nothing is lost.
    """

    def __init__(
        self,
        corpus: Path,
        index_dir: Path,
        *,
        model: str | None = None,
        backend: str | None = None,
        embedder: Embedder | None = None,
        follow_symlinks: bool = False,
        on_update: Callable[[WatchUpdate], None] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        on_problem: Callable[[LoadProblem], None] | None = None,
        debounce_ms: int = DEBOUNCE_MS,
        batch_chunks: int | None = None,
        force_polling: bool | None = None,
    ) -> None:
        if is_url(index_dir):
            raise ValueError(STORE_REFUSAL)
        self.corpus = Path(os.path.abspath(corpus))
        self.index_dir = Path(os.path.abspath(index_dir))
        self.model = model
        self.backend = backend
        self._embedder = embedder
        self.follow_symlinks = follow_symlinks
        self.on_update = on_update or (lambda u: None)
        self.on_progress = on_progress or (lambda p: None)
        self.on_problem = on_problem or (lambda p: None)
        self.debounce_ms = debounce_ms
        self.batch_chunks = batch_chunks
        self.force_polling = force_polling
        self.stop_event = threading.Event()
        self.updates = 0
        """Catch-ups run so far (successful or not)."""
        self._told: set[tuple[str, str, bool]] = set()
        """Problems handed to `on_problem` and still there at the last update: not said again until they change."""

    # ------------------------------------------------------------ one catch-up

    def embedder(self) -> Embedder:
        """The model, loaded once for the whole watch (a load per burst would cost seconds each time)."""
        if self._embedder is None:
            from assistant.embedding.registry import load_embedder
            from assistant.index import store

            backend = self.backend
            if backend is None and (self.index_dir / store.DB_NAME).exists():
                try:
                    db = store.connect(self.index_dir)
                    try:
                        backend = store.get_meta(db).get("backend") or None
                    finally:
                        db.close()
                except Exception:  # an unreadable index: build_index says why, with its own message
                    backend = None
            self._embedder = load_embedder(self.model, backend)
        return self._embedder

    def sync(self, changes: int = 0, paths: tuple[str, ...] = (), recheck: Collection[str] = ()) -> WatchUpdate:
        """Bring the index up to date now (waiting while another process holds the lock).

        `recheck`: index paths the events named, hashed even when their size and mtime match the record. Each
        problem goes to `on_problem` once, until it changes or its file is fixed. Raises WatchRefused when the
        index refuses the update for good (see is_permanent); a failure that may pass is reported as an update.
        """

        started = time.monotonic()
        seen: set[tuple[str, str, bool]] = set()

        def problem(p: LoadProblem) -> None:
            key = (p.path, p.message, p.skipped)
            if key not in seen:
                seen.add(key)
                if key not in self._told:
                    self.on_problem(p)

        try:
            embedder = self.embedder()
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # no model: every later burst would fail the same way
            raise WatchRefused(first_line(exc)) from exc
        while True:
            try:
                extra: dict[str, Any] = {}
                if self.batch_chunks:
                    extra["batch_chunks"] = self.batch_chunks
                report = build_index(
                    self.corpus, self.index_dir, embedder=embedder, on_progress=self.on_progress,
                    on_problem=problem, follow_symlinks=self.follow_symlinks, recheck=recheck, **extra,
                )
                update = WatchUpdate(changes, report, time.monotonic() - started, paths=paths)
                self._told = seen  # a fixed file's problem is said again if it comes back
                break
            except IndexLocked as exc:
                self.on_progress(Progress("scan", 0, 0, f"{exc}; retrying"))
                if self.stop_event.wait(LOCKED_RETRY_SECONDS):
                    update = WatchUpdate(changes, None, time.monotonic() - started, str(exc), paths)
                    break
            except KeyboardInterrupt:
                raise
            except Exception as exc:  # a file vanishing mid-read, a full disk: said once, the watch goes on
                self._told |= seen
                if is_permanent(exc, self.corpus, self.index_dir):
                    self.updates += 1
                    raise WatchRefused(first_line(exc)) from exc
                update = WatchUpdate(changes, None, time.monotonic() - started, first_line(exc), paths)
                break
        self.updates += 1
        self.on_update(update)
        return update

    # ------------------------------------------------------------ the loop

    def relevant(self, path: str) -> bool:
        """True for a change that can matter to the index (not the index itself, not hidden files)."""

        absolute = os.path.abspath(path)
        if _inside(absolute, self.index_dir):
            return False
        rel = os.path.relpath(absolute, self.corpus)
        if rel.startswith(".."):
            return False
        if any(part.startswith(".") for part in Path(rel).parts):
            return False
        if os.path.basename(absolute) == metadata.FILE_NAME:
            return True  # a folder's outlet, author or date pattern changed
        suffix = os.path.splitext(absolute)[1].lower()
        # A folder moved in or out comes as one event on a name without a suffix.
        return suffix in SUPPORTED_SUFFIXES or suffix == ""

    def run(self) -> None:
        """Catch up, then follow the folder until `stop()` (or Ctrl-C); WatchRefused when the index refuses for good."""
        import watchfiles

        if not self.corpus.is_dir():
            raise FileNotFoundError(f"corpus folder not found: {self.corpus}")
        caught_up = False
        for changes in watchfiles.watch(
            self.corpus,
            watch_filter=lambda change, path: self.relevant(path),
            debounce=self.debounce_ms,
            step=STEP_MS,
            stop_event=self.stop_event,
            raise_interrupt=False,
            force_polling=self.force_polling,
            recursive=True,
            # The first (empty) yield comes once the watcher is live: the catch-up runs then, so a file
            # saved between the catch-up and the first event is not missed.
            yield_on_timeout=True,
            rust_timeout=STARTUP_TIMEOUT_MS,
        ):
            if self.stop_event.is_set():
                break
            if not caught_up:
                caught_up = True
                self.sync()
                if not changes:
                    continue
            if not changes:
                continue
            named = {relative(self.corpus, Path(p)) for _, p in changes}
            paths = sorted({os.path.relpath(p, self.corpus) for _, p in changes})
            self.sync(len(changes), tuple(paths[:20]), recheck=named)

    def start(self) -> threading.Thread:
        """Run the watch in a daemon thread (for the TUI or tests); `stop()` ends it."""
        thread = threading.Thread(target=self.run, name="assistant-watch", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """End the watch after the current update (an update in progress commits its batch first)."""
        self.stop_event.set()


def _inside(name: str, folder: Path) -> bool:
    """Whether the absolute path `name` is `folder` or in it."""
    return bool(name) and (name == str(folder) or name.startswith(str(folder) + os.sep))
