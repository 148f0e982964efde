"""Large-index benchmark, keyword half: FTS5 over many synthetic chunks, queried as the engine queries it."""

from __future__ import annotations

import re
import sqlite3
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant import store
from assistant.query import content_words, fts_query

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|\d+")
BATCH = 20_000


@dataclass(frozen=True)
class FtsScale:
    """BM25 keyword search over n chunks."""

    n: int
    """Rows in the FTS5 table."""
    build_seconds: float
    """Generating and inserting the rows (bench settings: no journal, no fsync)."""
    db_mb: float
    """Size of the database file."""
    latency: list[float]
    """Seconds per query."""
    terms: list[int]
    """OR-ed terms per query."""
    hits: list[int]
    """Rows returned per query (at most the engine's keyword_k)."""


def vocabulary(corpus: Path) -> tuple[list[str], list[float], list[str]]:
    """(words, their frequencies, titles) of the corpus's .txt files."""
    counts: Counter[str] = Counter()
    titles = []
    for path in sorted(corpus.rglob("*.txt")):
        if path.name.upper().startswith("README"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        titles.append(text.lstrip().split("\n", 1)[0].strip())
        counts.update(_WORD.findall(text))
    total = sum(counts.values()) or 1
    words = list(counts)
    return words, [counts[w] / total for w in words], titles


def build_fts(path: Path, n: int, corpus: Path, *, seed: int = 0) -> float:
    """An FTS5 table like the index's chunks_fts, with n chunks of 30-110 words drawn from the
    corpus's word frequencies (so common words are as common as in real text). Returns seconds."""
    import numpy as np

    started = time.perf_counter()
    words, freq, titles = vocabulary(corpus)
    vocab = np.asarray(words, dtype=object)
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    try:
        # Bench-only settings: the build is scaffolding; what is measured is the query.
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute(f"CREATE VIRTUAL TABLE chunks_fts USING fts5 (title, body, tokenize = '{store.FTS_TOKENIZER}')")
        rng = np.random.default_rng(seed)
        for start in range(0, n, BATCH):
            m = min(BATCH, n - start)
            lengths = rng.integers(30, 111, m)
            drawn = vocab[rng.choice(len(vocab), size=int(lengths.sum()), p=freq)].tolist()
            heads = rng.integers(0, len(titles), m)
            rows, at = [], 0
            for i in range(m):
                size = int(lengths[i])
                rows.append((start + i + 1, titles[heads[i]], " ".join(drawn[at : at + size]) + "."))
                at += size
            db.executemany("INSERT INTO chunks_fts (rowid, title, body) VALUES (?, ?, ?)", rows)
        db.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('optimize')")
        db.commit()
    finally:
        db.close()
    return time.perf_counter() - started


def query_fts(path: Path, questions: Sequence[str]) -> tuple[list[float], list[int], list[int]]:
    """(seconds, terms, hits) per question whose FTS query has 2-4 terms, through the engine's own
    keyword search (retrieval.keyword_chunks: MATCH ... ORDER BY bm25 LIMIT keyword_k)."""
    from assistant.retrieval import Weights, keyword_chunks

    weights = Weights()
    db = sqlite3.connect(path)
    times, terms, hits = [], [], []
    try:
        for question in questions:
            match = fts_query(question)
            if match is None or not 2 <= match.count(" OR ") + 1 <= 4:
                continue
            started = time.perf_counter()
            found = keyword_chunks(db, match, weights.keyword_k, weights.title_weight, None)
            times.append(time.perf_counter() - started)
            terms.append(match.count(" OR ") + 1)
            hits.append(len(found))
    finally:
        db.close()
    return times, terms, hits


def short_queries(questions: Sequence[str]) -> list[str]:
    """The questions cut to their first 2, 3 or 4 content words (in turn): short keyword queries."""
    out = []
    for i, question in enumerate(questions):
        kept = content_words(question)[: 2 + i % 3]
        if len(kept) >= 2:
            out.append(" ".join(kept))
    return out


def measure_fts(n: int, workdir: Path, corpus: Path, questions: Sequence[str]) -> FtsScale:
    """Build, query (2-4 word OR queries made from `questions`), delete."""
    questions = short_queries(questions)
    path = workdir / "fts-scale.sqlite3"
    build_seconds = build_fts(path, n, corpus)
    size = path.stat().st_size / 1e6
    query_fts(path, questions[:20])  # warm the page cache, as a running engine would have it
    times, terms, hits = query_fts(path, questions)
    path.unlink(missing_ok=True)
    return FtsScale(n, build_seconds, size, times, terms, hits)
