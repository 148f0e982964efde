"""The reads both stores share, over a DB-API connection taking `?` placeholders, and the term-count interface."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from assistant.index import reads
from assistant.index import store as sqlite_store
from assistant.models import Article, Filters

if TYPE_CHECKING:
    import numpy as np


class TermCounts(Protocol):
    """Document frequencies of words in the chunks, cached for one generation (keywords.plan reads them)."""

    def reset(self) -> None: ...
    def rows(self) -> int: ...
    def frequencies(self, terms: Sequence[str]) -> list[int]: ...
    def count(self, match: str) -> int: ...


class SqlReads:
    """The reads whose SQL both stores share (index.reads over `self.db`)."""

    db: Any

    def articles(self) -> reads.ArticleCache:
        return reads.ArticleCache(self.db)

    def allowed_chunks(self, filters: Filters) -> np.ndarray | None:
        return reads.allowed_chunks(self.db, filters)

    def allowed_articles(self, filters: Filters) -> set[int] | None:
        return reads.allowed_articles(self.db, filters)

    def chunk_sentence_ranges(self, chunk_ids: Sequence[int]) -> list[tuple[int, int, int, int]]:
        return reads.chunk_sentence_ranges(self.db, chunk_ids)

    def sentences_of_chunks(self, chunk_ids: Sequence[int]) -> list[reads.SentenceRow]:
        return reads.sentences_of_chunks(self.db, chunk_ids)

    def sentences_by_id(self, sentence_ids: Iterable[int]) -> list[reads.SentenceRow]:
        return reads.sentences_by_id(self.db, sentence_ids)

    def sentences_of_articles(self, article_ids: Iterable[int], longest: int) -> list[reads.SentenceRow]:
        return reads.sentences_of_articles(self.db, article_ids, longest)

    def sentence_at(self, article_id: int, ord_: int) -> tuple[int, int, int, int] | None:
        return reads.sentence_at(self.db, article_id, ord_)

    def sentences_before(self, positions: Iterable[tuple[int, int]]) -> dict[tuple[int, int], reads.SentenceRow]:
        return reads.sentences_before(self.db, positions)

    def quoted_sentences(self, speaker_keys: Sequence[str]) -> set[int]:
        return reads.quoted_sentences(self.db, speaker_keys)

    def quotations_of(self, article_ids: Iterable[int]) -> list[tuple[int, int, int, str | None, str | None]]:
        return reads.quotations_of(self.db, article_ids)

    def twin_articles(self, article_ids: Iterable[int]) -> dict[int, list[int]]:
        return reads.twin_articles(self.db, article_ids)

    def article_paths(self) -> dict[int, str]:
        return reads.article_paths(self.db)

    def chunk_spans(self) -> dict[int, tuple[int, int, int]]:
        return reads.chunk_spans(self.db)

    def text_span(self, article_id: int, start: int, end: int) -> str | None:
        return reads.text_span(self.db, article_id, start, end)

    def all_sentences(self) -> list[reads.SentenceRow]:
        return reads.all_sentences(self.db)

    def article(self, article_id: int) -> Article | None:
        return sqlite_store.get_article(self.db, article_id)

    def sources(self) -> list[str]:
        return sqlite_store.sources(self.db)

    def counts(self) -> dict[str, int]:
        return sqlite_store.counts(self.db)
