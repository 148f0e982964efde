"""An engine for someone waiting at a screen: the index brought up to date with the corpus first, then opened.

The one place that joins the write side (the indexer) and the read side (the engine); the UIs call it.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.errors import EngineError, IndexLocked, IndexMismatch, first_line
from assistant.index import store
from assistant.index.indexer import build_index
from assistant.index.progress import Progress
from assistant.index.scan import is_stale
from assistant.search.engine import Engine
from assistant.settings import Settings


def open_engine(settings: Settings, *, on_progress: Callable[[Progress], None] | None = None, update: bool = True) -> Engine:
    """Bring the index up to date with the corpus (when asked and needed), then open it with its model."""
    report = on_progress or (lambda p: None)
    location = settings.location
    # A database store exists once created; its writer lock, not a file, says another indexer runs.
    exists = bool(settings.store) or (settings.index / store.DB_NAME).exists()
    # A database store is shared: it is kept current by its indexer (`assistant --store URL index CORPUS`), never
    # by a chat opening on it, whose corpus folder (./corpus by default) may be any folder at all.
    if update and not settings.store:
        if not settings.corpus.is_dir():
            if not exists:
                raise EngineError(f"corpus folder not found: {settings.corpus}")
            report(Progress("scan", 0, 0, f"corpus folder {settings.corpus} not found; using the index as it is"))
        elif is_stale(settings.corpus, settings.index, follow_symlinks=settings.follow_symlinks):
            try:
                build_index(settings.corpus, location, model=settings.model, backend=settings.backend,
                            on_progress=report, follow_symlinks=settings.follow_symlinks)
            except IndexMismatch as exc:
                raise EngineError(str(exc)) from exc
            except Exception as exc:
                if not isinstance(exc, IndexLocked) or not exists:
                    raise EngineError(first_line(exc)) from exc
                report(Progress("scan", 0, 0, str(exc)))
    report(Progress("model", 0, 0, "loading model"))
    engine = Engine(location, model=settings.model)
    report(Progress("ready", 1, 1, "ready"))
    return engine
