"""Large-index benchmark, whole query: a synthetic index of n chunks asked through the real Engine."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.bench.fts import query_fts, vocabulary
from assistant.bench.scale import clustered
from assistant.embedding.base import model_identity, resolve_model_path
from assistant.embedding.registry import load_embedder, reads_model
from assistant.index import store
from assistant.index import vectors
from assistant.models import Article, Chunk, Sentence

CHUNKS_PER_ARTICLE = 5
"""Synthetic articles hold this many one-sentence paragraphs, each its own chunk."""
BLOCK = 20_000
"""Chunks generated and committed at a time."""


@dataclass(frozen=True)
class SyntheticIndex:
    """What was built."""

    chunks: int
    """Chunks (= FAISS vectors = sentences)."""
    articles: int
    """Articles."""
    build_seconds: float
    """Generating and writing everything (bench settings: no fsync)."""
    db_mb: float
    """Size of index.sqlite3."""
    faiss_mb: float
    """Size of the FAISS file."""


@dataclass(frozen=True)
class WholeQueries:
    """Questions asked through `Engine.ask` over a synthetic index."""

    latency: list[float]
    """Seconds per question, embedding included (the engine warm, as in the TUI)."""
    open_seconds: float
    """Opening the Engine: model, FAISS file, consistency check."""


def build_synthetic_index(index_dir: Path, n: int, corpus: Path, *, backend: str = "onnx-int8", seed: int = 0) -> SyntheticIndex:
    """An index the Engine opens like any other: n chunks of 30-110 words drawn with the corpus's word
    frequencies under real titles, one sentence each, with clustered unit vectors (FAISS IVF-SQ8
    trained on the first `vectors.EXACT_LIMIT` as the indexer does at its switch; float16 sentence
    vectors in SQLite). Retrieval over it is meaningless; its cost is what is measured."""
    import numpy as np


    started = time.perf_counter()
    words, freq, titles = vocabulary(corpus)
    vocab = np.asarray(words, dtype=object)
    rng = np.random.default_rng(seed)
    index_dir.mkdir(parents=True, exist_ok=True)
    db = store.connect(index_dir, create=True)
    db.execute("PRAGMA synchronous = OFF")  # scaffolding: the query is measured, not the build
    index: Any = None
    waiting: list[tuple[np.ndarray, np.ndarray]] = []  # blocks held until the IVF is trained
    stream = clustered(n, seed, block=BLOCK)
    made = 0
    try:
        for block in stream:
            m = len(block)
            lengths = rng.integers(30, 111, m)
            drawn = vocab[rng.choice(len(vocab), size=int(lengths.sum()), p=freq)].tolist()
            half = block.astype(np.float16)
            ids: list[int] = []
            at = 0
            with store.transaction(db):
                for first in range(0, m, CHUNKS_PER_ARTICLE):
                    texts = []
                    for size in lengths[first : first + CHUNKS_PER_ARTICLE]:
                        texts.append(" ".join(drawn[at : at + int(size)]).capitalize() + ".")
                        at += int(size)
                    article = _article(made + first, titles[int(rng.integers(0, len(titles)))], texts)
                    chunks = _chunks(texts)
                    sentences = tuple(Sentence(c.start, c.end, c.paragraph) for c in chunks)
                    blobs = [half[first + j].tobytes() for j in range(len(texts))]
                    ids += store.insert_article(db, article, sentences, chunks, blobs)
            made += m
            waiting.append((block, np.asarray(ids, dtype="int64")))
            index = _add(index, waiting, made >= min(n, vectors.EXACT_LIMIT))
        index = _add(index, waiting, True)
        if reads_model(backend):
            name, dim = model_identity(resolve_model_path(None))
        else:
            fake = load_embedder(None, backend)  # the hashing fake of a toy run: the index says so, and opens with it
            name, dim = fake.model_name, fake.dim
        with store.transaction(db):
            vectors.save(index, index_dir, 1)
            store.set_meta(db, {
                "generation": "1", "model": name, "dim": str(dim), "backend": backend,
                "faiss_type": vectors.kind(index), "corpus": f"synthetic ({n:,} chunks)",
                "updated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            })
    finally:
        db.close()
    return SyntheticIndex(
        n, -(-n // CHUNKS_PER_ARTICLE), time.perf_counter() - started,
        (index_dir / store.DB_NAME).stat().st_size / 1e6, vectors.vector_path(index_dir, 1).stat().st_size / 1e6,
    )


def _article(number: int, title: str, texts: Sequence[str]) -> Article:
    return Article(
        path=f"synthetic/{number // 1000:04d}/{number}.txt", record=0, text="\n\n".join(texts), body_start=0,
        title=title, content_hash=f"synthetic-{number}",
    )


def _chunks(texts: Sequence[str]) -> tuple[Chunk, ...]:
    """One chunk per paragraph, each paragraph one sentence."""
    out, start = [], 0
    for ord_, text in enumerate(texts):
        out.append(Chunk(start, start + len(text), ord_ + 1, ord_, ord_))
        start += len(text) + 2
    return tuple(out)


def _add(index: Any, waiting: list[tuple[Any, Any]], ready: bool) -> Any:
    """Train the IVF on the held blocks once there are enough, then add every held block."""
    import numpy as np

    if not ready or not waiting:
        return index
    if index is None:
        matrix = np.concatenate([b for b, _ in waiting])
        ids = np.concatenate([i for _, i in waiting])
        index = vectors.build_ivf(matrix, ids, nlist=vectors.default_nlist(len(matrix)))
    else:
        for block, ids in waiting:
            index.add_with_ids(np.ascontiguousarray(block, dtype="float32"), ids)
    waiting.clear()
    return index


def ask_whole(index_dir: Path, questions: Sequence[str], backend: str = "onnx-int8") -> WholeQueries:
    """Open the Engine on the index and time `ask` for each question (after 20 to warm up)."""
    from assistant.search.engine import Engine

    started = time.perf_counter()
    engine = Engine(index_dir, backend=backend)
    opened = time.perf_counter() - started
    try:
        for question in questions[:20]:
            engine.ask(question)
        times = []
        for question in questions[20:] or questions:
            began = time.perf_counter()
            engine.ask(question)
            times.append(time.perf_counter() - began)
    finally:
        engine.close()
    return WholeQueries(times, opened)


def keyword_only(index_dir: Path, questions: Sequence[str], n: int) -> Any:
    """The keyword half alone, over the same index (see bench/fts.py's query_fts)."""
    path = index_dir / store.DB_NAME
    query_fts(path, questions[:20], n)
    return query_fts(path, questions[20:] or questions, n)
