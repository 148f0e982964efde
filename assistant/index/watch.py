"""Folder watching: the index follows the corpus as files are added, changed, moved or removed (watchfiles)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.index.indexer import IndexReport, Progress, build_index
from assistant.corpus import metadata
from assistant.corpus.formats import SUPPORTED_SUFFIXES
from assistant.index.lock import IndexLocked

if TYPE_CHECKING:
    from assistant.embedding.registry import Embedder
    from assistant.models import LoadProblem

__all__ = ["WatchUpdate", "Watcher"]

DEBOUNCE_MS = 400
"""Longest wait gathering one burst of changes before indexing it (watchfiles' debounce)."""
STEP_MS = 50
"""Quiet time after the last change that ends a burst early."""
STARTUP_TIMEOUT_MS = 100
"""How long the watcher waits for an event before yielding an empty set (so the catch-up can start)."""
LOCKED_RETRY_SECONDS = 1.0
"""Pause before trying again when another process (`assistant index`) holds the index lock."""


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

    def sync(self, changes: int = 0, paths: tuple[str, ...] = ()) -> WatchUpdate:
        """Bring the index up to date now (waiting while another process holds the lock)."""

        started = time.monotonic()
        while True:
            try:
                extra: dict[str, Any] = {}
                if self.batch_chunks:
                    extra["batch_chunks"] = self.batch_chunks
                report = build_index(
                    self.corpus, self.index_dir, embedder=self.embedder(), on_progress=self.on_progress,
                    on_problem=self.on_problem, follow_symlinks=self.follow_symlinks, **extra,
                )
                update = WatchUpdate(changes, report, time.monotonic() - started, paths=paths)
                break
            except IndexLocked as exc:
                self.on_progress(Progress("scan", 0, 0, f"{exc}; retrying"))
                if self.stop_event.wait(LOCKED_RETRY_SECONDS):
                    update = WatchUpdate(changes, None, time.monotonic() - started, str(exc), paths)
                    break
            except KeyboardInterrupt:
                raise
            except Exception as exc:  # a full disk, a damaged index: said once, the watch goes on
                message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                update = WatchUpdate(changes, None, time.monotonic() - started, message, paths)
                break
        self.updates += 1
        self.on_update(update)
        return update

    # ------------------------------------------------------------ the loop

    def relevant(self, path: str) -> bool:
        """True for a change that can matter to the index (not the index itself, not hidden files)."""

        absolute = os.path.abspath(path)
        if absolute == str(self.index_dir) or absolute.startswith(str(self.index_dir) + os.sep):
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
        """Catch up, then follow the folder until `stop()` (or Ctrl-C)."""
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
            paths = sorted({os.path.relpath(p, self.corpus) for _, p in changes})
            self.sync(len(changes), tuple(paths[:20]))

    def start(self) -> threading.Thread:
        """Run the watch in a daemon thread (for the TUI or tests); `stop()` ends it."""
        thread = threading.Thread(target=self.run, name="assistant-watch", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """End the watch after the current update (an update in progress commits its batch first)."""
        self.stop_event.set()
