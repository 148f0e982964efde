"""FTS5 keyword search of the embedded store: term counts, chunk BM25 and candidate-sentence evidence, all in SQLite."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from assistant.index import store

K1, B = 1.2, 0.75
"""FTS5's bm25 constants (ext/fts5/fts5_aux.c)."""

_PREFIX = "assistant_kw"


@dataclass(frozen=True)
class KeywordQuery:
    """A question's words as keyword searches: the chunk MATCH and what sentence scoring needs."""

    match: str | None
    """FTS5 expression for chunks_fts: kept words OR-ed, the too-common ones AND-ed as one more
    alternative when that intersection fits the budget; None when nothing is left to search."""
    phrases: tuple[str, ...]
    """Every searched word found in the index, as a quoted FTS5 phrase (common ones too: sentence
    scoring is local to the candidates, so it can afford them)."""
    idf: tuple[float, ...]
    """BM25 idf of each phrase over the chunks (FTS5's formula)."""
    dropped: tuple[str, ...]
    """Words left out of the chunk OR because they occur in too many chunks."""


def phrase(word: str) -> str:
    """A word as an FTS5 string: quoted, so NOT, OR, NEAR, stars and dashes are plain text."""
    return '"' + word.replace('"', '""') + '"'


def idf(rows: int, hits: int) -> float:
    """FTS5's BM25 idf: log((N - n + 0.5) / (n + 0.5)), floored at 1e-6 for words in over half the rows."""
    value = math.log((rows - hits + 0.5) / (hits + 0.5)) if rows else 0.0
    return value if value > 0 else 1e-6


class TermStats:
    """Document frequencies of words in chunks_fts, cached for one index generation.

    FTS5's tokenizer (porter stemming, diacritics) is applied by SQLite itself through a scratch
    table in the connection's temp schema, so counts always agree with what MATCH finds.
    """

    def __init__(self, db: sqlite3.Connection, *, rows: int | None = None) -> None:
        self.db = db
        self._ready = False
        self._freq: dict[str, int] = {}
        self._rows = rows

    def reset(self) -> None:
        """Forget cached counts (the index changed)."""
        self._freq.clear()
        self._rows = None

    def _prepare(self) -> None:
        if self._ready:
            return
        tokenizer = store.FTS_TOKENIZER
        for sql in (
            f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{_PREFIX}_words USING fts5 (w, tokenize = '{tokenizer}')",
            f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{_PREFIX}_words_i USING fts5vocab (temp, {_PREFIX}_words, 'instance')",
            f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{_PREFIX}_chunk_terms USING fts5vocab (main, chunks_fts, 'row')",
        ):
            self.db.execute(sql)
        self._ready = True

    def rows(self) -> int:
        """Chunks in the index."""
        if self._rows is None:
            self._rows = int(self.db.execute("SELECT count(*) FROM chunks").fetchone()[0])
        return self._rows

    def frequencies(self, terms: Sequence[str]) -> list[int]:
        """Chunks holding each word (a word the tokenizer splits counts its rarest token: an upper bound)."""
        self._prepare()
        missing = [w for w in dict.fromkeys(terms) if w not in self._freq]
        if missing:
            table = f"temp.{_PREFIX}_words"
            self.db.executemany(f"INSERT INTO {table} (rowid, w) VALUES (?, ?)", list(enumerate(missing, start=1)))
            # Each word's tokens with their chunk counts in one statement (a lookup in the vocabulary a token), not
            # one statement a token.
            counts: dict[int, dict[str, int]] = {}
            for term, doc, chunks in self.db.execute(
                f"SELECT i.term, i.doc, coalesce(v.doc, 0) FROM temp.{_PREFIX}_words_i i"
                f" LEFT JOIN temp.{_PREFIX}_chunk_terms v ON v.term = i.term"
            ):
                counts.setdefault(int(doc), {})[term] = int(chunks)
            self.db.execute(f"DELETE FROM {table}")
            for rowid, word in enumerate(missing, start=1):
                self._freq[word] = min(counts.get(rowid, {}).values(), default=0)
        return [self._freq[w] for w in terms]

    def count(self, match: str) -> int:
        """Chunks an FTS5 expression matches (walks doclists only: no ranking, cheap)."""
        return int(self.db.execute("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (match,)).fetchone()[0])


def chunk_matches(
    db: sqlite3.Connection, query: KeywordQuery, k: int, title_weight: float, allowed: Iterable[int] | None = None
) -> list[tuple[int, float]]:
    """(chunk id, bm25) best first, bm25 negated so larger is better; `allowed` restricts the ids.

    The restriction is applied while reading the ranked rows, not as `rowid IN (...)`: FTS5 runs the
    whole MATCH again for every listed rowid (50 ids cost 23 ms over a million chunks).
    """
    if query.match is None:
        return []
    allowed_set = None if allowed is None else set(allowed)
    if allowed_set is not None and not allowed_set:
        return []
    sql = f"SELECT rowid, bm25(chunks_fts, {title_weight:.3f}, 1.0) AS s FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY s"
    if allowed_set is None:
        return [(int(i), -float(s)) for i, s in db.execute(sql + " LIMIT ?", (query.match, k))]
    found: list[tuple[int, float]] = []
    for i, s in db.execute(sql, (query.match,)):
        if i in allowed_set:
            found.append((int(i), -float(s)))
            if len(found) == k:
                break
    return found


def sentence_scores(
    db: sqlite3.Connection, query: KeywordQuery, texts: Mapping[int, tuple[str, str]], title_weight: float
) -> dict[int, float]:
    """BM25 (larger is better) of candidate sentences, id -> (title, text), for every searched word.

    Term frequencies and length normalisation come from FTS5 itself over a scratch table of just
    these sentences; the idf of each word is the index-wide one, so a word that every candidate
    shares still counts as much as it does across the corpus. Cost depends on the candidates only.
    """
    if not query.phrases or not texts:
        return {}
    table = f"temp.{_PREFIX}_sentences"
    db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5 (title, body, tokenize = '{store.FTS_TOKENIZER}')")
    db.executemany(f"INSERT INTO {table} (rowid, title, body) VALUES (?, ?, ?)", [(i, t, b) for i, (t, b) in texts.items()])
    try:
        scores: dict[int, float] = {}
        sql = f"SELECT rowid, bm25({_PREFIX}_sentences, {title_weight:.3f}, 1.0) FROM {table} WHERE {_PREFIX}_sentences MATCH ?"
        for text, weight in zip(query.phrases, query.idf, strict=True):
            hits = db.execute(sql, (text,)).fetchall()
            # A one-phrase bm25 is idf_local * tf_part: divide the local idf out, multiply the global in.
            local = idf(len(texts), len(hits))
            for rowid, value in hits:
                scores[int(rowid)] = scores.get(int(rowid), 0.0) + weight * (-float(value) / local)
        return scores
    finally:
        db.execute(f"DELETE FROM {table}")


@dataclass(frozen=True)
class Evidence:
    """Lexical evidence of candidate sentences: BM25 and how much of the query each one holds."""

    bm25: dict[int, float]
    """BM25 over title and sentence (larger is better), index-wide idf."""
    covered: dict[int, float]
    """Share of the query's idf found in the sentence or the one before it (a speaker's name often
    sits there: 'Mr Blair said: ...' then the quotation)."""
    tight: dict[int, float]
    """Share of the query's idf found in the sentence itself."""
    words: dict[int, int]
    """Query words found in the sentence or the one before it."""


def sentence_evidence(
    db: sqlite3.Connection, query: KeywordQuery, texts: Mapping[int, tuple[str, str, str]], title_weight: float
) -> Evidence:
    """BM25 and query coverage of candidate sentences, id -> (title, text, previous sentence's text).

    Matching is FTS5's (porter stemming, diacritics folded), over a scratch table of just these
    sentences, so inflected forms count and the cost depends on the candidates only.
    """
    if not query.phrases or not texts:
        return Evidence({}, {}, {}, {})
    # Contentless: only rowids and bm25 are read back, and 'delete-all' empties it at once (a DELETE
    # re-tokenised every row to take it out of the index: most of this function's cost).
    table = f"temp.{_PREFIX}_evidence_scratch"
    name = f"{_PREFIX}_evidence_scratch"
    db.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5 (title, body, prev, content = '', tokenize = '{store.FTS_TOKENIZER}')"
    )
    db.executemany(f"INSERT INTO {table} (rowid, title, body, prev) VALUES (?, ?, ?, ?)", [(i, *t) for i, t in texts.items()])
    try:
        bm25: dict[int, float] = {}
        covered: dict[int, float] = {}
        tight: dict[int, float] = {}
        found: dict[int, int] = {}
        total = sum(query.idf) or 1.0
        # One MATCH per word; a column's own bm25 (the others weighted 0) is non-zero only where it holds the word.
        sql = (
            f"SELECT rowid, bm25({name}, {title_weight:.3f}, 1.0, 0.0), bm25({name}, 0.0, 1.0, 0.0), "
            f"bm25({name}, 0.0, 0.0, 1.0) FROM {table} WHERE {name} MATCH ?"
        )
        for text, weight in zip(query.phrases, query.idf, strict=True):
            hits = db.execute(sql, (text,)).fetchall()
            local = idf(len(texts), len(hits))
            for rowid, value, in_body, in_prev in hits:
                rowid = int(rowid)
                if value:
                    bm25[rowid] = bm25.get(rowid, 0.0) + weight * (-float(value) / local)
                if in_body or in_prev:
                    covered[rowid] = covered.get(rowid, 0.0) + weight / total
                    found[rowid] = found.get(rowid, 0) + 1
                if in_body:
                    tight[rowid] = tight.get(rowid, 0.0) + weight / total
        return Evidence(bm25, covered, tight, found)
    finally:
        db.execute(f"INSERT INTO {table} ({name}) VALUES ('delete-all')")
