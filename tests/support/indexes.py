"""Building test indexes with the fast fake embedder, and checking every invariant of a committed one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from assistant.embedding.hashing import HashEmbedder
from assistant.index import embed_pass, store, vectors
from assistant.index.consistency import check_consistency
from assistant.index.indexer import build_index
from assistant.index.progress import IndexReport
from assistant.text.chunking import passage_for_embedding
from support.corpus import write_articles


def build(corpus: Path, index_dir: Path, **kwargs: Any) -> IndexReport:
    """build_index with the fast fake embedder."""
    kwargs.setdefault("embedder", HashEmbedder())
    return build_index(corpus, index_dir, **kwargs)


def index_of(root: Path, articles: Mapping[str, str | bytes]) -> Path:
    """The index (root/index, fake embedder) of a corpus (root/corpus) holding `articles` (relative name -> text)."""
    corpus, index = write_articles(root / "corpus", articles), root / "index"
    build(corpus, index)
    return index


def generation(index_dir: Path) -> int:
    """The FAISS generation SQLite names (0 before the first commit)."""
    db = store.connect(index_dir)
    try:
        return int(store.get_meta(db).get("generation", 0))
    finally:
        db.close()


def _sentence_passage(title: str, date: dt.date | None, text: str, start: int, end: int, quoted: dict[int, Any], article_id: int) -> str:
    """What a SPOKEN index embeds for the sentence text[start:end] (embed_pass.sentence_texts), its article's
    quotations extracted once into `quoted`."""
    from types import SimpleNamespace

    from assistant.text.quotations import extract_quotations

    if article_id not in quoted:
        quoted[article_id] = extract_quotations(text)
    article = SimpleNamespace(title=title, date=date, text=text)
    return embed_pass.sentence_texts(article, [SimpleNamespace(start=start, end=end)], quoted[article_id])[0]  # type: ignore[arg-type]


def check_index(index_dir: Path, embedder: HashEmbedder | None = None) -> dict[str, int]:
    """Assert every invariant of a committed index and return its row counts.

    FAISS ids equal chunk ids; every chunk and sentence row slices its article's text to a
    non-empty trimmed span that its FTS row repeats; chunks start and end on their sentences;
    each FAISS vector and sentence vector is the embedding of that very passage.
    """
    embedder = embedder or HashEmbedder()
    db = store.connect(index_dir)
    try:
        meta = store.get_meta(db)
        index = vectors.load(index_dir, int(meta["generation"]))
        check_consistency(db, index, index_dir)
        assert index.d == int(meta["dim"]) == embedder.dim
        articles = {
            row[0]: row[1:]
            for row in db.execute("SELECT id, text, title, date, path, body_start FROM articles")
        }
        sentences: dict[tuple[int, int], tuple[int, int]] = {}
        sentence_rows = db.execute("SELECT id, article_id, ord, start, end, vector FROM sentences").fetchall()
        passages, blobs = [], []
        spoken = meta.get(embed_pass.SENTENCE_VECTORS_KEY) == embed_pass.SPOKEN
        quoted: dict[int, Any] = {}
        for sid, article_id, ord_, start, end, blob in sentence_rows:
            text, title, date, _, body_start = articles[article_id]
            assert body_start <= start < end <= len(text)
            span = text[start:end]
            assert span == span.strip() and span
            sentences[(article_id, ord_)] = (start, end)
            passages.append(_sentence_passage(title, _date(date), text, start, end, quoted, article_id) if spoken
                            else passage_for_embedding(title, _date(date), span))
            blobs.append(blob)
        if passages:
            stored = np.frombuffer(b"".join(blobs), dtype=np.float16).reshape(len(blobs), -1).astype(np.float32)
            assert np.allclose(stored, embedder.encode(passages), atol=2e-3)
        chunk_fts = dict(db.execute("SELECT rowid, body FROM chunks_fts"))
        chunk_rows = db.execute("SELECT id, article_id, start, end, first_sentence, last_sentence FROM chunks").fetchall()
        assert set(chunk_fts) == {r[0] for r in chunk_rows}
        chunk_passages = []
        means = meta.get(embed_pass.SENTENCE_VECTORS_KEY) in (embed_pass.CHUNK_MEAN, embed_pass.SPOKEN)
        expected = []
        for cid, article_id, start, end, first, last in chunk_rows:
            text, title, date = articles[article_id][:3]
            assert 0 <= start < end <= len(text)
            assert chunk_fts[cid] == text[start:end]
            assert sentences[(article_id, first)][0] == start and sentences[(article_id, last)][1] == end
            chunk_passages.append(passage_for_embedding(title, _date(date), text[start:end]))
            if means:  # one pass over the sentences: a chunk is the normalised mean of its sentences' vectors
                held = embedder.encode([
                    _sentence_passage(title, _date(date), text, *sentences[(article_id, o)], quoted, article_id) if spoken
                    else passage_for_embedding(title, _date(date), text[slice(*sentences[(article_id, o)])])
                    for o in range(first, last + 1)
                ]).mean(axis=0)
                expected.append(held / np.linalg.norm(held))
        if chunk_rows:
            faiss_vectors = np.vstack([index.reconstruct(int(r[0])) for r in chunk_rows])
            wanted = np.vstack(expected) if means else embedder.encode(chunk_passages)
            assert np.allclose(faiss_vectors, wanted, atol=1e-5)
        chunked = {r[1] for r in chunk_rows}
        assert chunked == set(articles), "every article has chunks"
        files = store.stored_files(db)
        # Every article comes from a recorded file, but for one a stopped run was inside: its first batches
        # are committed, its row waits until it is whole (so the next run reads it again).
        assert len({a[3] for a in articles.values()} - set(files)) <= 1
        counts = store.counts(db)
        counts["generation"] = int(meta["generation"])
        return counts
    finally:
        db.close()


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def snapshot(index_dir: Path) -> dict[str, Any]:
    """What an index holds, independent of row ids and generation numbers (to compare two builds)."""
    db = store.connect(index_dir)
    try:
        arts = []
        for aid, path, record, digest, first_line, fmt in db.execute(
            "SELECT id, path, record, content_hash, first_line, format FROM articles"
        ):
            chunks = db.execute(
                "SELECT ord, start, end, paragraph, first_sentence, last_sentence FROM chunks WHERE article_id = ? ORDER BY ord",
                (aid,),
            ).fetchall()
            sents = db.execute(
                "SELECT ord, start, end, paragraph FROM sentences WHERE article_id = ? ORDER BY ord", (aid,)
            ).fetchall()
            arts.append((path, record, digest, first_line, fmt, tuple(chunks), tuple(sents)))
        return {"articles": sorted(arts), "files": sorted(store.stored_files(db).items())}
    finally:
        db.close()


def sql(index_dir: Path, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows of one query against the index database."""
    db = store.connect(index_dir)
    try:
        return db.execute(query, params).fetchall()
    finally:
        db.close()


