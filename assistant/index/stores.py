"""The store seam: one interface over where an index lives (a folder with SQLite + FAISS, or PostgreSQL with pgvector).

The engine and the indexer talk to a `Store` only; `open_store` picks the implementation from the
location (a folder path, or a `postgresql://` URL). Reads whose SQL is portable run on `Store.db`, a
DB-API connection taking `?` placeholders in both stores; keyword and vector searches, snapshots,
generations and the write side are each store's own.
"""

from __future__ import annotations

import contextlib
import sqlite3
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

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction: the generation, the FAISS file it names and every row read
        belong to the same committed state, whatever another process commits meanwhile."""
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            self.db.execute("COMMIT")

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
        return True

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
        self.db.close()


MMAP_BYTES = 256 * 1024 * 1024
"""How much of its database file an embedded store's connection reads through a memory map."""


def open_store(location: Path | str) -> Store:
    """The store at a location: an index folder, or a PostgreSQL URL (`postgresql://...`)."""
    if is_url(location):
        from assistant.index.postgres import PostgresStore

        return PostgresStore(str(location))
    return EmbeddedStore(Path(location))


__all__ = ["EmbeddedStore", "SqlReads", "Store", "StoreError", "TermCounts", "is_url", "open_store"]
