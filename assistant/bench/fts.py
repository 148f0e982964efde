"""Large-index benchmark, keyword half: FTS5 over many chunks, queried as the engine queries it."""

from __future__ import annotations

import re
import sqlite3
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|\d+")


@dataclass(frozen=True)
class FtsScale:
    """BM25 keyword search over n chunks, as the engine runs it and as a plain OR of every word."""

    n: int
    """Rows in the FTS5 table."""
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


def query_fts(path: Path, questions: Sequence[str], rows: int) -> FtsScale:
    """Each question through the engine's keyword search (`keywords.plan` + `chunk_matches`, word
    counts not cached: a fresh TermStats per question), then as the plain OR for reference."""
    from assistant.search.keywords import KeywordQuery, TermStats, chunk_matches, phrase, plan, search_words
    from assistant.search.retrieval import Weights

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
    return FtsScale(rows, times, plain, overlap, dropped, terms)
