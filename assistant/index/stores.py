"""The store seam: one interface over where an index lives (a folder with SQLite + FAISS, or PostgreSQL with pgvector).

The engine and the indexer talk to a `Store` only; `open_store` picks the implementation from the
location (a folder path, or a `postgresql://` URL). Reads whose SQL is portable run on `Store.db`, a
DB-API connection taking `?` placeholders in both stores; keyword and vector searches, snapshots,
generations and the write side are each store's own.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from assistant.errors import EngineError, StoreError, VectorError
from assistant.index import reads
from assistant.index import store as sqlite_store
from assistant.index.sql_reads import SqlReads, TermCounts
from assistant.models import Article, Filters
from assistant.index.consistency import check_consistency, index_size

if TYPE_CHECKING:
    import numpy as np

    from assistant.index.fts import Evidence, KeywordQuery

URL_PREFIXES = ("postgresql://", "postgres://")
"""Locations that name a PostgreSQL store rather than an index folder."""


def is_url(location: object) -> bool:
    """True for a PostgreSQL URL, False for an index folder."""
    return isinstance(location, str) and location.startswith(URL_PREFIXES)


def shown_location(location: Path | str) -> str:
    """A location as messages show it: an index folder as it is, a PostgreSQL URL without its password."""
    if is_url(location):
        from assistant.index.postgres import safe_url

        return safe_url(str(location))
    return str(location)


class Store(Protocol):
    """What the query path and the indexer need from an index, whichever database holds it."""

    location: str
    """The folder or the URL (passwords left out), for messages."""
    db: Any
    """A DB-API connection taking `?` placeholders: portable SQL (reads, quotation_store) runs on it."""
    meta: dict[str, str]
    database_errors: tuple[type[BaseException], ...]
    """Exceptions of the database driver (a search that fails on them is refused, not raised)."""

    # Read side: a snapshot is one committed state; refresh picks up another writer's commits.
    def snapshot(self) -> contextlib.AbstractContextManager[None]: ...
    def refresh(self) -> bool: ...
    def has_vectors(self) -> bool: ...
    def term_stats(self) -> TermCounts: ...
    def vector_search(self, query: np.ndarray, k: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]: ...
    def chunk_matches(self, query: KeywordQuery, k: int, title_weight: float, allowed: Iterable[int] | None) -> list[tuple[int, float]]: ...
    def sentence_evidence(self, query: KeywordQuery, texts: Mapping[int, tuple[str, str, str]], title_weight: float) -> Evidence: ...
    def lexical_sentences(self, match: str, k: int, title_weight: float, allowed: set[int] | None = None) -> list[tuple[int, float]]: ...
    def phrase_sentences(self, match: str, allowed: set[int] | None = None, limit: int = 2000) -> list[reads.SentenceRow]: ...
    def phrase_count(self, match: str) -> int: ...
    def articles_matching(self, match: str, limit: int = 5000) -> set[int]: ...
    def keyword_articles(self, match: str, limit: int = 40) -> list[int]: ...
    def articles(self) -> reads.ArticleCache: ...
    def allowed_chunks(self, filters: Filters) -> np.ndarray | None: ...
    def allowed_articles(self, filters: Filters) -> set[int] | None: ...
    def chunk_sentence_ranges(self, chunk_ids: Sequence[int]) -> list[tuple[int, int, int, int]]: ...
    def sentences_of_chunks(self, chunk_ids: Sequence[int]) -> list[reads.SentenceRow]: ...
    def sentences_by_id(self, sentence_ids: Iterable[int]) -> list[reads.SentenceRow]: ...
    def sentences_of_articles(self, article_ids: Iterable[int], longest: int) -> list[reads.SentenceRow]: ...
    def sentence_at(self, article_id: int, ord_: int) -> tuple[int, int, int, int] | None: ...
    def sentences_before(self, positions: Iterable[tuple[int, int]]) -> dict[tuple[int, int], reads.SentenceRow]: ...
    def quoted_sentences(self, speaker_keys: Sequence[str]) -> set[int]: ...
    def quotations_of(self, article_ids: Iterable[int]) -> list[tuple[int, int, int, str | None, str | None]]: ...
    def twin_articles(self, article_ids: Iterable[int]) -> dict[int, list[int]]: ...
    def article(self, article_id: int) -> Article | None: ...
    def sources(self) -> list[str]: ...
    def counts(self) -> dict[str, int]: ...
    def size_bytes(self) -> int: ...
    def close(self) -> None: ...


class EmbeddedStore(SqlReads):
    """An index folder: SQLite rows (FTS5 for keywords) and the FAISS generation SQLite names."""

    database_errors: tuple[type[BaseException], ...] = (sqlite3.DatabaseError,)

    def __init__(self, index_dir: Path) -> None:
        from assistant.index.fts import TermStats

        self.index_dir = index_dir
        self.location = str(index_dir)
        self.db = sqlite_store.connect(index_dir)  # StoreError / sqlite3.DatabaseError go to the caller
        self.meta = sqlite_store.get_meta(self.db)
        self.generation = 0
        self.index: Any = None
        self.terms = TermStats(self.db)
        # A question's reads are random row lookups all over the file (its ~300-600 sentence rows, vectors included):
        # through a memory map each is no read() call and copy (main-thread CPU -0.4 to -0.6 ms a warm BBC question,
        # paired A/B). A reader's file is never truncated under it (a rebuild puts a new file in its place).
        self.db.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        self._sentences: reads.HeldSentences | None = None
        self._sentence_reads = 0
        self._loading: _SentenceLoader | None = None
        self._loaded_version = 0
        self._idle = threading.Event()
        """Set between questions (outside `snapshot()`): the held rows are read then."""
        self._idle.set()

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction: the generation, the FAISS file it names and every row read
        belong to the same committed state, whatever another process commits meanwhile."""
        self._idle.clear()
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            self.db.execute("COMMIT")
            self._idle.set()

    def refresh(self) -> bool:
        """Load the FAISS generation SQLite names, if it changed (another process re-indexed); True
        when it did. Call inside `snapshot()`."""
        from assistant.index import vectors

        row = self.db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        generation = int(row[0]) if row else 0
        if generation == self.generation:
            return False
        meta = sqlite_store.get_meta(self.db)
        if self.index is not None and (meta.get("model"), meta.get("dim")) != (self.meta.get("model"), self.meta.get("dim")):
            # `index --rebuild` with another model swapped a new index in: this one's vectors and
            # model no longer fit it, and answering from the old vectors would pick the wrong rows.
            raise EngineError(
                f"index {self.index_dir} was rebuilt with {meta.get('model')} ({meta.get('dim')} dims); open it again"
            )
        index = vectors.load_for_search(self.index_dir, generation)
        if index.d != int(meta.get("dim", index.d)):
            raise VectorError(
                f"{vectors.vector_path(self.index_dir, generation)} holds {index.d}-dimension vectors, the index "
                f"{meta.get('dim')}; rebuild it with `assistant index --rebuild`"
            )
        check_consistency(self.db, index, self.index_dir)
        self.index, self.generation = index, generation
        self.meta = meta
        self.terms.reset()
        self._forget_sentences()
        return True

    def _forget_sentences(self) -> None:
        if self._loading is not None:
            self._loading.stop()
        self._sentences, self._sentence_reads, self._loading = None, 0, None

    def _held(self, question: bool = False) -> reads.HeldSentences | None:
        """The generation's sentences in memory (reads.HeldSentences) once a thread has read them, on its own
        connection, from the generation's second question on, between questions: a one-question process never starts
        it, and a question shares the CPU at most with the step under way (a few ms; up to ~30 ms for a table) (0.3-0.5
        s in all for BBC's 41,639 sentences, ~50 MB; questions read from SQL meanwhile). Asked back to back (`ask -`), the third question reads what is left and waits; only
        for an index of at most SENTENCES_HELD sentences; None before and above. Sentences change only with chunks,
        and every commit that changes chunks writes a new generation, whose `refresh` drops these. `question`: the
        read every question makes once (its sentences of chunks) counts the questions."""
        if self._sentences is not None:
            return self._sentences
        if question:
            self._sentence_reads += 1
        if self._loading is not None:
            if question and self._sentence_reads >= 3:
                self._loading.finish()  # what the time between questions has not read, this question waits for
            found = self._loading.result()
            if found is not None:
                self._sentences, self._loading = found, None
            return self._sentences
        if question and self._sentence_reads == 2 and self.generation and self.terms.rows() * SENTENCES_PER_CHUNK <= SENTENCES_HELD:
            self._loading = _SentenceLoader(self.index_dir, self.generation, self._idle)
            self._loaded_version = self._data_version()
        return None

    def _data_version(self) -> int:
        """Changes with every commit another connection makes (SQLite's PRAGMA data_version)."""
        return int(self.db.execute("PRAGMA data_version").fetchone()[0])

    def _held_articles(self) -> reads.HeldSentences | None:
        """The held rows (`_held`) while their article rows, twins and quotations still hold: not once anything was
        committed since they were read, even without a new generation (a moved file changes an article's path only)."""
        held = self._held()
        if held is None or not held.articles:
            return None
        if self._data_version() != self._loaded_version:
            held.articles = {}  # for the rest of this generation the articles are read from SQL
            return None
        return held

    def articles(self) -> reads.ArticleCache:
        held = self._held_articles()
        return reads.ArticleCache(self.db, held.articles) if held is not None else super().articles()

    def twin_articles(self, article_ids: Iterable[int]) -> dict[int, list[int]]:
        held = self._held_articles()
        return held.twin_articles(article_ids) if held is not None else super().twin_articles(article_ids)

    def quotations_of(self, article_ids: Iterable[int]) -> list[tuple[int, int, int, str | None, str | None]]:
        held = self._held_articles()
        return held.quotations_of(article_ids) if held is not None else super().quotations_of(article_ids)

    def chunk_sentence_ranges(self, chunk_ids: Sequence[int]) -> list[tuple[int, int, int, int]]:
        held = self._held()
        return held.chunk_sentence_ranges(chunk_ids) if held is not None else super().chunk_sentence_ranges(chunk_ids)

    def sentences_of_chunks(self, chunk_ids: Sequence[int]) -> list[reads.SentenceRow]:
        held = self._held(question=True)
        return held.sentences_of_chunks(chunk_ids) if held is not None else super().sentences_of_chunks(chunk_ids)

    def sentences_by_id(self, sentence_ids: Iterable[int]) -> list[reads.SentenceRow]:
        held = self._sentences
        return held.sentences_by_id(sentence_ids) if held is not None else super().sentences_by_id(sentence_ids)

    def sentences_of_articles(self, article_ids: Iterable[int], longest: int) -> list[reads.SentenceRow]:
        held = self._sentences
        return held.sentences_of_articles(article_ids, longest) if held is not None else super().sentences_of_articles(article_ids, longest)

    def sentence_at(self, article_id: int, ord_: int) -> tuple[int, int, int, int] | None:
        held = self._sentences
        return held.sentence_at(article_id, ord_) if held is not None else super().sentence_at(article_id, ord_)

    def sentences_before(self, positions: Iterable[tuple[int, int]]) -> dict[tuple[int, int], reads.SentenceRow]:
        held = self._sentences
        return held.sentences_before(positions) if held is not None else super().sentences_before(positions)

    def has_vectors(self) -> bool:
        return self.index is not None

    def term_stats(self) -> TermCounts:
        return self.terms

    def vector_search(self, query: np.ndarray, k: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        from assistant.index import vectors

        return vectors.search(self.index, query, k, allowed)

    def chunk_matches(self, query: KeywordQuery, k: int, title_weight: float, allowed: Iterable[int] | None) -> list[tuple[int, float]]:
        from assistant.index.fts import chunk_matches

        return chunk_matches(self.db, query, k, title_weight, allowed)

    def sentence_evidence(self, query: KeywordQuery, texts: Mapping[int, tuple[str, str, str]], title_weight: float) -> Evidence:
        from assistant.index.fts import sentence_evidence

        return sentence_evidence(self.db, query, texts, title_weight)

    def lexical_sentences(self, match: str, k: int, title_weight: float, allowed: set[int] | None = None) -> list[tuple[int, float]]:
        return reads.lexical_sentences(self.db, match, k, title_weight, allowed)

    def phrase_sentences(self, match: str, allowed: set[int] | None = None, limit: int = 2000) -> list[reads.SentenceRow]:
        return reads.phrase_sentences(self.db, match, allowed, limit)

    def phrase_count(self, match: str) -> int:
        return reads.phrase_count(self.db, match)

    def articles_matching(self, match: str, limit: int = 5000) -> set[int]:
        return reads.articles_matching(self.db, match, limit)

    def keyword_articles(self, match: str, limit: int = 40) -> list[int]:
        return reads.keyword_articles(self.db, match, limit)

    def size_bytes(self) -> int:
        return index_size(self.index_dir)

    def close(self) -> None:
        self._forget_sentences()
        self.db.close()


class _SentenceLoader:
    """A thread reading one generation's sentences into a reads.HeldSentences on a connection of its own."""

    def __init__(self, index_dir: Path, generation: int, idle: threading.Event) -> None:
        self.index_dir, self.generation = index_dir, generation
        self._idle = idle
        self._stopped = threading.Event()
        self._hurry = threading.Event()
        self._found: reads.HeldSentences | None = None
        self._thread = threading.Thread(target=self._run, name="assistant-sentences", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            db = sqlite_store.connect(self.index_dir)
        except (StoreError, sqlite3.Error):
            return  # the questions keep reading from SQL
        try:
            db.execute("BEGIN")
            row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
            if row is not None and int(row[0]) == self.generation:  # else a newer one came: the engine will move on
                self._found = reads.HeldSentences(db, self._between)
        except Exception:  # noqa: BLE001 (stopped, or anything else: the questions keep reading from SQL)
            self._found = None
        finally:
            db.close()

    def _between(self) -> bool:
        """Asked between steps of the read: waits while a question runs (the read takes no CPU from it; a step is a few
        ms) unless hurried; True to give up."""
        while not (self._stopped.is_set() or self._hurry.is_set() or self._idle.wait(0.05)):
            pass
        return self._stopped.is_set()

    def finish(self) -> None:
        """Read the rest now, without waiting for idle time, and wait for it."""
        self._hurry.set()
        self._thread.join()

    def result(self) -> reads.HeldSentences | None:
        """The sentences once read (None before, and for good when the read failed or was stopped)."""
        return None if self._thread.is_alive() else self._found

    def stop(self) -> None:
        """Give the read up and wait for the thread (at most one batch of rows)."""
        self._stopped.set()
        self._thread.join()


MMAP_BYTES = 256 * 1024 * 1024
"""How much of its database file an embedded store's connection reads through a memory map."""
SENTENCES_HELD = 100_000
"""Sentences an embedded store holds in memory at most (about 1 KB each with its vector; BBC has 41,639)."""
SENTENCES_PER_CHUNK = 4
"""A bound on sentences per chunk, to judge the count from the chunk count at hand (BBC: 3.1)."""


def open_store(location: Path | str) -> Store:
    """The store at a location: an index folder, or a PostgreSQL URL (`postgresql://...`)."""
    if is_url(location):
        from assistant.index.postgres import PostgresStore

        return PostgresStore(str(location))
    return EmbeddedStore(Path(location))


__all__ = ["EmbeddedStore", "SqlReads", "Store", "StoreError", "TermCounts", "is_url", "open_store", "shown_location"]
