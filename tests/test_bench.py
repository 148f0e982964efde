"""The benchmark's plumbing on a toy corpus (hash backend, tiny sizes), and the large-index FAISS switch."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.bench import run as bench
from assistant.bench import synthetic_index as bench_index
from assistant.index import store
from assistant.index import vectors
from assistant.bench.synthetic_index import ask_whole, keyword_only
from assistant.bench.procs import copy_subset, questions
from assistant.bench.report import Report, Row, write_doc
from assistant.bench.scale import clustered, recall_at_10
from assistant.embedding.registry import HashEmbedder
from assistant.search.engine import Engine, read_stats
from assistant.index.indexer import build_index

TOPICS = [
    ("Central bank raises interest rates", "The central bank raised interest rates by a quarter point to curb inflation."),
    ("Striker scores twice in cup final", "The striker scored twice as the club won the cup final in front of a full stadium."),
    ("Volcano erupts on remote island", "A volcano erupted on the island, forcing thousands of residents to leave their homes."),
    ("Chipmaker reports record profits", "The chipmaker reported record profits on strong demand for processors and memory."),
    ("Film festival opens with premiere", "The film festival opened with the premiere of a drama about a family of farmers."),
    ("Minister resigns over expenses", "The minister resigned after an inquiry into expenses claimed for a second home."),
]


def write_toy_corpus(folder: Path, copies: int = 4) -> Path:
    """BBC-shaped .txt articles (title line, blank line, paragraphs) in two topic folders."""
    for n in range(copies):
        for i, (title, body) in enumerate(TOPICS):
            sub = folder / ("business" if i % 2 else "news")
            sub.mkdir(parents=True, exist_ok=True)
            extra = f"Officials said on day {n + 1} that more details would follow. Analysts expect further news soon."
            (sub / f"{n:02d}{i}.txt").write_text(f"{title} {n + 1}\n\n{body}\n\n{extra}\n", encoding="utf-8")
    return folder


def test_bench_runs_every_step_on_a_toy_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = write_toy_corpus(tmp_path / "corpus")
    out = tmp_path / "docs" / "benchmarks.md"
    code = bench.main([
        "--corpus", str(corpus), "--backend", "hash", "--baseline", "none", "--compare-every", "2",
        "--runs", "1", "--questions", "12", "--scale", "3000", "--real", "2000", "--fts", "1500",
        "--workdir", str(tmp_path / "work"), "--out", str(out),
    ])
    assert code == 0
    printed = capsys.readouterr().out
    text = out.read_text(encoding="utf-8")
    assert "| target | measured | goal | ok? |" in printed
    assert "failed:" not in text
    for needle in ("`assistant --help`", "TUI first frame", "Per-stage split of one `assistant index` run", "Index the whole corpus",
                   "Re-run `assistant index`", "Cold `assistant ask", "Warm query p50", "IVF-SQ8 recall@10",
                   "real vectors", "Whole query at 1,500 synthetic chunks", "Keyword search alone at 1,500", "This benchmark run (full)", "| nprobe | recall@10 |"):
        assert needle in text, needle
    assert "<!-- bench:full:start -->" in text and "<!-- bench:quick:start -->" in text


def test_write_doc_replaces_only_its_own_section(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    write_doc(path, Report("full", "python -m assistant.bench", rows=[Row("a", "1 s", "< 2 s", True)]))
    path.write_text(path.read_text(encoding="utf-8") + "\nHand-written closing words.\n", encoding="utf-8")
    write_doc(path, Report("quick", "python -m assistant.bench --quick", rows=[Row("b", "3 s", "", None)]))
    write_doc(path, Report("quick", "python -m assistant.bench --quick", rows=[Row("c", "4 s", "< 1 s", False)]))
    text = path.read_text(encoding="utf-8")
    assert "| a | 1 s | < 2 s | yes |" in text
    assert "| c | 4 s | < 1 s | **NO** |" in text
    assert "| b |" not in text
    assert "Hand-written closing words." in text


def test_questions_come_from_titles(tmp_path: Path) -> None:
    corpus = write_toy_corpus(tmp_path / "corpus", copies=1)
    asked = questions(corpus, 8)
    assert len(asked) == 8 and len(set(asked)) == 8
    assert all(any(title.split()[0].lower() in q.lower() for title, _ in TOPICS) for q in asked)
    subset = tmp_path / "subset"
    assert copy_subset(corpus, subset, 3) == 2
    assert len(list(subset.rglob("*.txt"))) == 2


def test_the_synthetic_index_opens_and_answers_like_any_other(tmp_path: Path) -> None:
    corpus = write_toy_corpus(tmp_path / "corpus", copies=1)
    folder = tmp_path / "synthetic"
    built = bench_index.build_synthetic_index(folder, 603, corpus, backend="hash")
    assert (built.chunks, built.articles) == (603, 121)
    # The Engine's own consistency check passes (FAISS ids = chunk ids) and every quote is verbatim.
    engine = Engine(folder, embedder=HashEmbedder())
    try:
        answer = engine.ask(questions(corpus, 1)[0])
        assert answer.quotes
        for quote in answer.quotes:
            assert engine.article(quote.article_id).text[quote.start : quote.end] == quote.text
    finally:
        engine.close()
    asked = questions(corpus, 8)
    whole = ask_whole(folder, asked, "hash")
    assert len(whole.latency) == 8 and whole.open_seconds > 0
    keyword = keyword_only(folder, asked, 603)
    # 603 chunks are far below the posting budget: nothing is pruned, the results are plain BM25's.
    assert keyword.dropped == [0] * 8 and keyword.overlap == [1.0] * 8
    assert all(t >= 2 for t in keyword.terms)


def test_clustered_vectors_are_unit_and_deterministic() -> None:
    first = np.concatenate(list(clustered(250, seed=3, block=100)))
    again = np.concatenate(list(clustered(250, seed=3, block=100)))
    other = np.concatenate(list(clustered(250, seed=3, stream=1, block=100)))
    assert first.shape == (250, 384)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_recall_at_10_counts_shared_ids() -> None:
    truth = np.arange(20).reshape(2, 10)
    found = np.array([list(range(10)), [10, 11, 12, 13, 14, 99, 98, 97, 96, 95]])
    assert recall_at_10(found, truth) == pytest.approx(0.75)


# ---- the large-index switch


def _vectors_of(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((n, dim)).astype("float32")
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_flat_index_is_compressed_only_past_the_limit() -> None:
    flat = vectors.new_flat(16)
    rows, ids = _vectors_of(400), np.arange(400, dtype="int64") * 7 + 1
    flat.add_with_ids(rows, ids)
    assert vectors.compress_if_large(flat, 400) is flat
    ivf = vectors.compress_if_large(flat, 399)
    assert vectors.kind(ivf) == "ivf-sq8"
    np.testing.assert_array_equal(vectors.stored_ids(ivf), np.sort(ids))
    assert vectors.compress_if_large(ivf, 10) is ivf  # IVF stays IVF
    scores, found = vectors.search(ivf, rows[5], 3)
    assert found[0] == ids[5] and scores[0] == pytest.approx(1.0, abs=0.02)


def _articles(folder: Path, count: int, start: int = 0) -> None:
    words = "river bank market storm vote match album chip court train harbour glacier".split()
    for n in range(start, start + count):
        a, b = words[n % len(words)], words[(n * 5 + 3) % len(words)]
        paragraphs = [f"Report {n} about the {a} and the {b}, sentence {k} of a long story." for k in range(12)]
        (folder / f"a{n:03d}.txt").write_text(f"Story {n} of the {a}\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")


def test_indexer_switches_to_ivf_past_the_limit_and_stays_ivf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectors, "EXACT_LIMIT", 40)
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    _articles(corpus, 4)
    build_index(corpus, index, embedder=HashEmbedder())
    assert read_stats(index).faiss_type == "flat"
    _articles(corpus, 40, start=4)
    build_index(corpus, index, embedder=HashEmbedder())
    stats = read_stats(index)
    assert stats.chunks > 40 and stats.faiss_type == "ivf-sq8"
    # Later commits add to and remove from the IVF index, and SQLite and FAISS stay in step.
    (corpus / "a000.txt").unlink()
    shutil.copy(corpus / "a001.txt", corpus / "a999.txt")
    (corpus / "a002.txt").write_text("Glacier melts\n\nThe glacier retreated by a record distance this summer.\n", encoding="utf-8")
    report = build_index(corpus, index, embedder=HashEmbedder())
    assert report.removed == 1 and report.updated == 1
    engine = Engine(index, embedder=HashEmbedder())
    try:
        assert vectors.kind(engine.index) == "ivf-sq8"
        ivf = __import__("faiss").extract_index_ivf(engine.index)
        assert ivf.nprobe == vectors.default_nprobe(ivf.nlist)
        assert store.get_meta(engine.db)["faiss_type"] == "ivf-sq8"
        answer = engine.ask("How far did the glacier retreat this summer?")
        assert any("glacier retreated" in q.text for q in answer.quotes)
    finally:
        engine.close()
