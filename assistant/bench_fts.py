"""Large-index benchmark, keyword half: FTS5 over many synthetic chunks, queried as the engine queries it."""

from __future__ import annotations

import re
import sqlite3
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from assistant import store

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|\d+")
BATCH = 20_000


@dataclass(frozen=True)
class FtsScale:
    """BM25 keyword search over n chunks, as the engine runs it and as a plain OR of every word."""

    n: int
    """Rows in the FTS5 table."""
    build_seconds: float
    """Generating and inserting the rows (bench settings: no journal, no fsync)."""
    db_mb: float
    """Size of the database file."""
    latency: list[float]
    """Seconds per question: word counts (none cached) + pruned search, as `keywords` runs it."""
    plain: list[float]
    """Seconds per question for the plain OR of all its words (what the engine did before pruning)."""
    overlap: list[float]
    """Share of the plain OR's top 50 that the pruned search also returns."""
    dropped: list[int]
    """Words left out per question."""
    terms: list[int]
    """Words searched per question."""


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
    corpus's word frequencies (so common words are as common as in real text), and the chunk ids
    in a `chunks` table. Returns seconds."""
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
        db.execute("CREATE TABLE chunks (id INTEGER PRIMARY KEY)")
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
            db.executemany("INSERT INTO chunks (id) VALUES (?)", ((r[0],) for r in rows))
        db.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('optimize')")
        db.commit()
    finally:
        db.close()
    return time.perf_counter() - started


def query_fts(path: Path, questions: Sequence[str], rows: int) -> FtsScale:
    """Each question through the engine's keyword search (`keywords.plan` + `chunk_matches`, word
    counts not cached: a fresh TermStats per question), then as the plain OR for reference."""
    from assistant.keywords import KeywordQuery, TermStats, chunk_matches, phrase, plan, search_words
    from assistant.retrieval import Weights

    weights = Weights()
    db = sqlite3.connect(path)
    times, plain, overlap, dropped, terms = [], [], [], [], []
    try:
        for question in questions:
            words = search_words(question)
            if not words:
                continue
            started = time.perf_counter()
            query = plan(TermStats(db, rows=rows), question)
            found = chunk_matches(db, query, weights.keyword_k, weights.title_weight)
            times.append(time.perf_counter() - started)
            everything = KeywordQuery(" OR ".join(phrase(w) for w in words), (), (), ())
            started = time.perf_counter()
            best = chunk_matches(db, everything, weights.keyword_k, weights.title_weight)
            plain.append(time.perf_counter() - started)
            overlap.append(len({i for i, _ in found} & {i for i, _ in best}) / len(best) if best else 1.0)
            dropped.append(len(query.dropped))
            terms.append(len(words))
    finally:
        db.close()
    return FtsScale(rows, 0.0, 0.0, times, plain, overlap, dropped, terms)


def measure_fts(n: int, workdir: Path, corpus: Path, questions: Sequence[str]) -> FtsScale:
    """Build, query with whole questions (as `ask` searches them), delete."""
    path = workdir / "fts-scale.sqlite3"
    build_seconds = build_fts(path, n, corpus)
    size = path.stat().st_size / 1e6
    query_fts(path, questions[:20], n)  # warm the page cache, as a running engine would have it
    result = query_fts(path, questions[20:] or questions, n)
    path.unlink(missing_ok=True)
    return replace(result, build_seconds=build_seconds, db_mb=size)
