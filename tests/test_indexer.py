"""Tests for building and incrementally updating an index: counts, offsets, moves, locks, mismatches, corruption."""

from __future__ import annotations

import collections
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.index import store
from assistant.index import vectors
from assistant.text.chunking import chunk_article
from assistant.embedding.registry import HashEmbedder
from assistant.errors import EngineError
from assistant.search.engine import Engine
from assistant.errors import IndexMismatch
from assistant.index.progress import Progress
from assistant.index.scan import is_stale
from assistant.corpus.discovery import discover_files
from assistant.corpus.stream import load_file
from assistant.errors import IndexLocked
from assistant.index.lock import IndexLock
from assistant.models import LoadProblem
from support.corpus import article, jsonl, prose, write
from support.engines import quotes_are_verbatim
from support.indexes import build, check_index, generation, snapshot, sql

WORKER = Path(__file__).parent / "support" / "workers.py"


# --- helpers of this file (shared ones are in tests/support/) -----------------------------


def expected_counts(corpus: Path) -> dict[str, int]:
    """Articles, chunks and sentences the corpus should yield, computed from the loaders and chunker."""
    counts = collections.Counter(articles=0, chunks=0, sentences=0)
    for path in discover_files(corpus):
        for art in load_file(corpus, path).articles:
            sentences, chunks = chunk_article(art.text, art.body_start)
            if chunks:
                counts.update(articles=1, chunks=len(chunks), sentences=len(sentences))
    return dict(counts)


def faiss_ids(index_dir: Path) -> set[int]:
    """Ids stored in the FAISS file of the current generation."""
    return set(vectors.stored_ids(vectors.load(index_dir, generation(index_dir))).tolist())


def words(text: str) -> list[str]:
    """Lower-case words of a text."""
    return re.findall(r"[^\W\d_]+", text.lower())


def word_not_in(text: str, corpus: Path, *, besides: str = "") -> str:
    """A word of `text` found in no corpus file but `besides` (made-up words can collide)."""
    others = {w for p in corpus.rglob("*.*") if p != corpus / besides for w in words(p.read_text(errors="replace"))}
    return next(w for w in words(text) if w not in others)


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Four .txt articles in a subfolder, one at the top, one .md and a .jsonl of three records."""
    root = tmp_path / "corpus"
    for i in range(4):
        write(root, f"news/a{i}.txt", article(i))
    write(root, "b.txt", article(4))
    write(root, "c.md", f"---\ntitle: Markdown piece\ndate: 2023-08-08\n---\n\n{prose(500)}\n\n{prose(501)}\n")
    write(root, "feed.jsonl", jsonl(*(json_record(n) for n in range(3))))
    return root


def json_record(n: int) -> dict[str, Any]:
    """The nth record of feed.jsonl (two paragraphs)."""
    return {"title": f"Feed item {n}", "text": f"{prose(900 + n)}\n\n{prose(950 + n)}", "source": "Wire"}


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


# --- building and incremental updates --------------------------------------------------------


def test_build_from_nothing(corpus: Path, index_dir: Path) -> None:
    events: list[Progress] = []
    report = build(corpus, index_dir, on_progress=events.append)
    expected = expected_counts(corpus)
    counts = check_index(index_dir)
    assert expected["articles"] == 9
    assert {k: counts[k] for k in expected} == expected
    assert counts["files"] == report.files == 7
    assert report.added == 9 and report.chunks_embedded == expected["chunks"]
    assert report.unchanged == report.updated == report.moved == report.removed == 0
    assert report.problems == []
    assert {"scan", "embed", "write", "ready"} <= {e.phase for e in events}
    # Only the committed generation (and no temp file) is on disk.
    assert sorted(p.name for p in index_dir.glob("vectors-*")) == [f"vectors-{counts['generation']}.faiss"]


def test_second_run_over_unchanged_corpus_embeds_nothing(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    before, gen = snapshot(index_dir), generation(index_dir)
    report = build(corpus, index_dir)
    assert report.files == report.unchanged == 7
    assert report.chunks_embedded == report.added == report.updated == report.removed == report.moved == 0
    assert snapshot(index_dir) == before
    assert generation(index_dir) == gen
    assert not is_stale(corpus, index_dir)


def test_added_file_embeds_only_its_chunks(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    old_ids = faiss_ids(index_dir)
    path = write(corpus, "news/new.txt", article(77, paragraphs=3))
    assert is_stale(corpus, index_dir)
    report = build(corpus, index_dir)
    new_art = load_file(corpus, path).articles[0]
    _, chunks = chunk_article(new_art.text, new_art.body_start)
    assert report.added == 1 and report.chunks_embedded == len(chunks)
    assert report.unchanged == 7
    counts = check_index(index_dir)
    assert counts["articles"] == 10
    assert faiss_ids(index_dir) > old_ids


def test_edited_file_is_reembedded_and_old_chunks_are_gone(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    (old_id,) = sql(index_dir, "SELECT id FROM articles WHERE path = 'b.txt'")[0]
    old_chunks = {r[0] for r in sql(index_dir, "SELECT id FROM chunks WHERE article_id = ?", (old_id,))}
    old_sentences = {r[0] for r in sql(index_dir, "SELECT id FROM sentences WHERE article_id = ?", (old_id,))}
    old_word = word_not_in((corpus / "b.txt").read_text(), corpus, besides="b.txt")
    assert sql(index_dir, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (old_word,))[0][0] >= 1
    write(corpus, "b.txt", "Report number 4\n\nThe zebrafish quasar committee met on Tuesday to vote.\n")
    report = build(corpus, index_dir)
    assert report.updated == 1 and report.added == report.removed == 0
    assert report.chunks_embedded == 1
    check_index(index_dir)
    assert not old_chunks & faiss_ids(index_dir)
    assert not old_chunks & {r[0] for r in sql(index_dir, "SELECT rowid FROM chunks_fts")}
    assert not old_sentences & {r[0] for r in sql(index_dir, "SELECT id FROM sentences")}
    assert sql(index_dir, "SELECT count(*) FROM chunks WHERE article_id = ?", (old_id,))[0][0] == 0
    assert sql(index_dir, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (old_word,))[0][0] == 0
    assert sql(index_dir, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'zebrafish'")[0][0] == 1


def test_touched_file_is_not_reembedded(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    before, gen = snapshot(index_dir), generation(index_dir)
    path = corpus / "b.txt"
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert is_stale(corpus, index_dir)
    report = build(corpus, index_dir)
    assert report.chunks_embedded == 0 and report.unchanged == 6
    assert report.updated == report.added == report.removed == report.moved == 0
    # Nothing in FAISS changed, so no new FAISS file was written; the new mtime is recorded.
    assert generation(index_dir) == gen
    assert snapshot(index_dir)["articles"] == before["articles"]
    assert not is_stale(corpus, index_dir)
    assert build(corpus, index_dir).unchanged == 7


def test_file_moved_into_subfolder_keeps_its_vectors(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    (old_id,) = sql(index_dir, "SELECT id FROM articles WHERE path = 'b.txt'")[0]
    old_chunks = sql(index_dir, "SELECT id, start, end FROM chunks WHERE article_id = ? ORDER BY id", (old_id,))
    (corpus / "archive" / "2023").mkdir(parents=True)
    (corpus / "b.txt").rename(corpus / "archive" / "2023" / "b.txt")
    report = build(corpus, index_dir)
    assert report.moved == 1 and report.chunks_embedded == 0
    assert report.added == report.removed == report.updated == 0
    assert sql(index_dir, "SELECT path FROM articles WHERE id = ?", (old_id,)) == [("archive/2023/b.txt",)]
    assert sql(index_dir, "SELECT id, start, end FROM chunks WHERE article_id = ? ORDER BY id", (old_id,)) == old_chunks
    files = sql(index_dir, "SELECT path FROM files")
    assert ("archive/2023/b.txt",) in files and ("b.txt",) not in files
    check_index(index_dir)
    engine = Engine(index_dir, embedder=HashEmbedder())
    answer = engine.ask(prose(400).split(".")[0])
    engine.close()
    assert answer.quotes and answer.quotes[0].path == "archive/2023/b.txt"


def test_copied_file_is_a_new_article_not_a_move(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    write(corpus, "copy-of-b.txt", (corpus / "b.txt").read_bytes())
    report = build(corpus, index_dir)
    assert report.added == 1 and report.moved == 0 and report.chunks_embedded >= 1
    assert sorted(sql(index_dir, "SELECT path FROM articles WHERE path LIKE '%b.txt'")) == [("b.txt",), ("copy-of-b.txt",)]
    check_index(index_dir)


def test_deleted_file_is_removed_everywhere(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    (old_id,) = sql(index_dir, "SELECT id FROM articles WHERE path = 'news/a2.txt'")[0]
    chunk_ids = {r[0] for r in sql(index_dir, "SELECT id FROM chunks WHERE article_id = ?", (old_id,))}
    sentence_ids = {r[0] for r in sql(index_dir, "SELECT id FROM sentences WHERE article_id = ?", (old_id,))}
    assert chunk_ids and sentence_ids and chunk_ids <= faiss_ids(index_dir)
    (corpus / "news" / "a2.txt").unlink()
    assert is_stale(corpus, index_dir)
    report = build(corpus, index_dir)
    assert report.removed == 1 and report.chunks_embedded == 0 and report.files == 6
    assert sql(index_dir, "SELECT count(*) FROM articles WHERE id = ?", (old_id,)) == [(0,)]
    assert sql(index_dir, "SELECT count(*) FROM chunks WHERE article_id = ?", (old_id,)) == [(0,)]
    assert sql(index_dir, "SELECT count(*) FROM sentences WHERE article_id = ?", (old_id,)) == [(0,)]
    assert not chunk_ids & {r[0] for r in sql(index_dir, "SELECT rowid FROM chunks_fts")}
    assert not chunk_ids & faiss_ids(index_dir)
    assert ("news/a2.txt",) not in sql(index_dir, "SELECT path FROM files")
    assert check_index(index_dir)["articles"] == 8
    assert not is_stale(corpus, index_dir)


def test_generations_on_disk_stay_bounded(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    for n in range(3):
        write(corpus, f"extra{n}.txt", article(600 + n))
        build(corpus, index_dir)
    gen = generation(index_dir)
    assert {p.name for p in index_dir.glob("vectors-*")} == {f"vectors-{gen - 1}.faiss", f"vectors-{gen}.faiss"}


# --- JSONL records ---------------------------------------------------------------------------


def feed_ids(index_dir: Path) -> dict[int, int]:
    """record (1-based line) -> article id of feed.jsonl."""
    return dict(sql(index_dir, "SELECT record, id FROM articles WHERE path = 'feed.jsonl'"))


def test_jsonl_edit_of_one_record_reembeds_only_that_record(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    before = feed_ids(index_dir)
    edited = {"title": "Feed item 1", "text": "A rewritten record about the zebrafish quasar.", "source": "Wire"}
    write(corpus, "feed.jsonl", jsonl(json_record(0), edited, json_record(2)))
    report = build(corpus, index_dir)
    assert report.updated == 1 and report.added == report.removed == 0
    assert report.chunks_embedded == 1
    after = feed_ids(index_dir)
    assert after[2] != before[2] and after[1] == before[1] and after[3] == before[3]
    check_index(index_dir)


def test_jsonl_removed_line_removes_that_record_only(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    before = feed_ids(index_dir)
    write(corpus, "feed.jsonl", jsonl(json_record(0), json_record(2)))
    gone_word = word_not_in(prose(901), corpus)
    report = build(corpus, index_dir)
    assert report.removed == 1 and report.added == report.updated == 0
    # The third record moved up a line: same article row and vectors, new record number and line.
    assert report.chunks_embedded == 0
    assert feed_ids(index_dir) == {1: before[1], 2: before[3]}
    assert sql(index_dir, "SELECT first_line FROM articles WHERE id = ?", (before[3],)) == [(2,)]
    assert sql(index_dir, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (gone_word,)) == [(0,)]
    check_index(index_dir)


def test_jsonl_line_inserted_on_top_shifts_records_without_reembedding(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    before = feed_ids(index_dir)
    new = {"title": "Breaking", "text": "The zebrafish quasar committee resigned.", "source": "Wire"}
    write(corpus, "feed.jsonl", jsonl(new, *(json_record(n) for n in range(3))))
    report = build(corpus, index_dir)
    assert report.added == 1 and report.chunks_embedded == 1
    assert report.updated == report.removed == 0
    after = feed_ids(index_dir)
    assert [after[n] for n in (2, 3, 4)] == [before[n] for n in (1, 2, 3)]
    check_index(index_dir)
    engine = Engine(index_dir, embedder=HashEmbedder())
    quote = engine.ask(prose(902).split(".")[0]).quotes[0]
    engine.close()
    assert (quote.path, quote.record, quote.line) == ("feed.jsonl", 4, 4)


def test_jsonl_lines_swapped_keep_their_vectors(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    before = feed_ids(index_dir)
    write(corpus, "feed.jsonl", jsonl(json_record(2), json_record(1), json_record(0)))
    report = build(corpus, index_dir)
    assert report.chunks_embedded == report.added == report.updated == report.removed == 0
    assert feed_ids(index_dir) == {1: before[3], 2: before[2], 3: before[1]}
    check_index(index_dir)


def test_jsonl_record_found_in_another_file_is_moved(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    before = feed_ids(index_dir)
    (corpus / "feed.jsonl").unlink()
    unrelated = [{"title": f"x{n}", "text": f"Unrelated words number {n}."} for n in range(2)]
    write(corpus, "other.jsonl", jsonl(*unrelated, json_record(1)))
    report = build(corpus, index_dir)
    assert report.moved == 1 and report.removed == 2 and report.added == 2
    # Its line number is the new one, so quotes cite the right line.
    assert sql(index_dir, "SELECT path, record, first_line FROM articles WHERE id = ?", (before[2],)) == [
        ("other.jsonl", 3, 3)
    ]
    check_index(index_dir)


# --- a large file committed in batches ------------------------------------------------------


class StoppingEmbedder(HashEmbedder):
    """HashEmbedder whose nth encode call (one per commit) raises: a run stopped part-way through."""

    def __init__(self, stop_at: int) -> None:
        super().__init__()
        self.calls = 0
        self.stop_at = stop_at

    def encode(self, texts: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == self.stop_at:
            raise RuntimeError("stopped")
        return super().encode(texts, **kwargs)


def wire_record(n: int) -> dict[str, Any]:
    """A one-chunk record of wire.jsonl."""
    return {"title": f"Wire {n}", "text": prose(3000 + n, sentences=3), "source": "Wire"}


def wire_ids(index_dir: Path) -> dict[int, int]:
    """record -> article id of wire.jsonl."""
    return dict(sql(index_dir, "SELECT record, id FROM articles WHERE path = 'wire.jsonl'"))


def stopped_build(corpus: Path, index_dir: Path, *, stop_at: int, batch_chunks: int) -> None:
    with pytest.raises(RuntimeError, match="stopped"):
        build(corpus, index_dir, embedder=StoppingEmbedder(stop_at), batch_chunks=batch_chunks)


def recorded_files(index_dir: Path) -> set[str]:
    return {path for (path,) in sql(index_dir, "SELECT path FROM files")}


def test_a_run_stopped_inside_a_large_jsonl_is_finished_by_the_next(tmp_path: Path) -> None:
    """Batches of one file are committed as they go; the file gets its row only when whole, so the next run
    reads it again, keeps what was committed (nothing embedded twice) and adds the rest: each record once."""
    corpus, index_dir, clean = tmp_path / "corpus", tmp_path / "index", tmp_path / "clean"
    write(corpus, "a.txt", article(1))
    write(corpus, "wire.jsonl", jsonl(*(wire_record(n) for n in range(120))))
    stopped_build(corpus, index_dir, stop_at=3, batch_chunks=16)
    committed = check_index(index_dir)  # consistent, though stopped mid-file
    assert 0 < len(wire_ids(index_dir)) < 120
    assert "wire.jsonl" not in recorded_files(index_dir) and is_stale(corpus, index_dir)
    report = build(corpus, index_dir, batch_chunks=16)
    assert sorted(wire_ids(index_dir)) == list(range(1, 121))
    build(corpus, clean)
    assert snapshot(index_dir) == snapshot(clean)
    assert report.chunks_embedded == check_index(clean)["chunks"] - committed["chunks"]
    assert not is_stale(corpus, index_dir)


def test_a_stopped_update_of_a_large_jsonl_keeps_its_moves(tmp_path: Path) -> None:
    """Lines inserted on top of a large JSONL, one record edited, the run stopped after its first commit: the
    index holds only records as they were or as they are, and the next run ends equal to a clean build with
    every shifted record keeping its row (and vectors)."""
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    old = [wire_record(n) for n in range(60)]
    write(corpus, "wire.jsonl", jsonl(*old))
    build(corpus, index_dir, batch_chunks=16)
    before_ids, before = wire_ids(index_dir), snapshot(index_dir)
    edited = {**old[29], "text": prose(7000, sentences=3)}
    write(corpus, "wire.jsonl", jsonl(*(wire_record(100 + n) for n in range(20)), *old[:29], edited, *old[30:]))
    after_dir = tmp_path / "after"
    build(corpus, after_dir)
    after = snapshot(after_dir)
    stopped_build(corpus, index_dir, stop_at=2, batch_chunks=8)
    check_index(index_dir)
    assert set(snapshot(index_dir)["articles"]) <= set(before["articles"]) | set(after["articles"])
    assert "wire.jsonl" not in recorded_files(index_dir)
    report = build(corpus, index_dir, batch_chunks=8)
    assert snapshot(index_dir) == after
    check_index(index_dir)
    ids = wire_ids(index_dir)
    assert all(ids[record + 20] == before_ids[record] for record in range(1, 61) if record != 30)
    assert report.chunks_embedded == 21 - 8  # 20 new records and the edited one, less the first batch


def test_edited_records_of_a_large_jsonl_are_replaced_not_dropped(tmp_path: Path) -> None:
    """An edited record's old row goes in the very commit that inserts its new one: a run stopped between two
    batches leaves each record as it was or as it is, never missing."""
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    records = [wire_record(n) for n in range(60)]
    write(corpus, "wire.jsonl", jsonl(*records))
    build(corpus, index_dir)
    records[4], records[54] = wire_record(500), wire_record(554)
    write(corpus, "wire.jsonl", jsonl(*records))
    stopped_build(corpus, index_dir, stop_at=2, batch_chunks=1)
    check_index(index_dir)
    titles = dict(sql(index_dir, "SELECT record, title FROM articles WHERE path = 'wire.jsonl'"))
    assert len(titles) == 60 and (titles[5], titles[55]) == ("Wire 500", "Wire 54")
    report = build(corpus, index_dir, batch_chunks=1)
    assert (report.chunks_embedded, report.updated, report.added, report.removed) == (1, 1, 0, 0)
    assert dict(sql(index_dir, "SELECT record, title FROM articles WHERE path = 'wire.jsonl'"))[55] == "Wire 554"
    check_index(index_dir)


def test_a_large_jsonl_unreadable_during_its_second_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Too long to keep from the first read, the file fails part-way through the second (an I/O error): one
    problem, no row, the batches committed so far consistent; the next run reads it again and finishes it."""
    import assistant.corpus.stream

    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    write(corpus, "wire.jsonl", jsonl(*(wire_record(n) for n in range(40))))
    reads = 0

    class FailingSecondRead(assistant.corpus.stream.ArticleStream):
        def __iter__(self) -> Iterator[Any]:
            nonlocal reads
            reads += 1
            for n, found in enumerate(super().__iter__()):
                if reads == 2 and n == 20:
                    self.skipped = LoadProblem(self.rel, "cannot read file: Input/output error", kind="unreadable")
                    self.problems = [self.skipped]
                    return
                yield found

    monkeypatch.setattr(assistant.corpus.stream, "ArticleStream", FailingSecondRead)
    report = build(corpus, index_dir, batch_chunks=8)
    assert [p.path for p in report.problems] == ["wire.jsonl"] and "cannot read" in report.problems[0].message
    assert recorded_files(index_dir) == set() and 0 < check_index(index_dir)["articles"] <= 20
    assert reads == 2 and is_stale(corpus, index_dir)
    monkeypatch.undo()
    report = build(corpus, index_dir, batch_chunks=8)
    assert sorted(wire_ids(index_dir)) == list(range(1, 41)) and recorded_files(index_dir) == {"wire.jsonl"}
    check_index(index_dir)


def test_a_partly_indexed_file_that_vanished_is_removed(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    write(corpus, "a.txt", article(1))
    write(corpus, "wire.jsonl", jsonl(*(wire_record(n) for n in range(60))))
    stopped_build(corpus, index_dir, stop_at=2, batch_chunks=16)
    partial = len(wire_ids(index_dir))
    assert partial > 0
    (corpus / "wire.jsonl").unlink()
    assert is_stale(corpus, index_dir)
    report = build(corpus, index_dir)
    assert wire_ids(index_dir) == {} and report.removed == partial
    assert sql(index_dir, "SELECT path FROM articles") == [("a.txt",)] and recorded_files(index_dir) == {"a.txt"}
    check_index(index_dir)
    assert not is_stale(corpus, index_dir)


def test_a_large_jsonl_is_streamed_not_held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past a batch of changed records the file is read a second time instead of kept: the indexer never holds
    more than about a batch of articles, however long the file."""
    import assistant.models

    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    write(corpus, "wire.jsonl", jsonl(*(wire_record(n) for n in range(200))))
    alive: list[int] = [0, 0]  # articles yielded and not yet garbage, the peak of it
    real_init = assistant.models.Article.__init__

    def counted(self: Any, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        alive[0] += 1
        alive[1] = max(alive)
        weakref.finalize(self, lambda: alive.__setitem__(0, alive[0] - 1))

    monkeypatch.setattr(assistant.models.Article, "__init__", counted)
    build(corpus, index_dir, batch_chunks=16)
    assert len(wire_ids(index_dir)) == 200
    assert alive[1] <= 2 * 16 + 2


# --- unreadable and bad files ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "binary"), (b"", "empty"), (b"Report number 4\n", "no body")],
    ids=["binary", "empty", "title-only"],
)
def test_file_turned_bad_drops_its_old_articles_and_is_reported_every_run(
    corpus: Path, index_dir: Path, content: bytes, message: str
) -> None:
    """A definite verdict (binary, empty, title only) replaces what the file used to hold: the user
    overwrote it. The file is recorded with its problem, so later runs do not re-read it but still
    report it, and the index is not stale."""
    build(corpus, index_dir)
    before = snapshot(index_dir)
    write(corpus, "b.txt", content)
    for run in range(2):
        problems: list[LoadProblem] = []
        report = build(corpus, index_dir, on_problem=problems.append)
        assert [p.path for p in problems] == ["b.txt"] and message in problems[0].message
        assert report.chunks_embedded == 0 and report.removed == (1 if run == 0 else 0)
        assert report.unchanged == (report.files - 1 if run == 0 else report.files)
        assert not is_stale(corpus, index_dir)
    after = snapshot(index_dir)
    assert len(after["articles"]) == len(before["articles"]) - 1
    assert not any(a[0] == "b.txt" for a in after["articles"])
    check_index(index_dir)
    write(corpus, "b.txt", "Report number 4\n\nThe zebrafish quasar committee met on Tuesday.\n")
    report = build(corpus, index_dir)
    assert report.added == 1 and report.problems == []
    check_index(index_dir)


def test_file_vanishing_while_loaded_keeps_its_old_articles(
    corpus: Path, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import assistant.corpus.stream

    build(corpus, index_dir)
    before = snapshot(index_dir)
    write(corpus, "b.txt", article(4) + "\nOne more line.\n")

    class VanishThenLoad(assistant.corpus.stream.ArticleStream):
        def __iter__(self) -> Iterator[Any]:
            if self.path.name == "b.txt":
                self.path.unlink()  # another program deletes it between the scan and the read
            return super().__iter__()

    monkeypatch.setattr(assistant.corpus.stream, "ArticleStream", VanishThenLoad)
    report = build(corpus, index_dir)
    assert [p.path for p in report.problems] == ["b.txt"] and "cannot read" in report.problems[0].message
    assert snapshot(index_dir)["articles"] == before["articles"]
    monkeypatch.undo()
    report = build(corpus, index_dir)  # now it is really gone
    assert report.removed == 1
    check_index(index_dir)


def test_file_vanishing_after_the_scan_keeps_its_old_articles(
    corpus: Path, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import assistant.corpus.discovery

    build(corpus, index_dir)
    before = snapshot(index_dir)
    real_discover = assistant.corpus.discovery.discover_files

    def discover_then_delete(root: Path, **kwargs: Any) -> Iterator[Path]:
        for path in list(real_discover(root, **kwargs)):
            yield path
        (corpus / "b.txt").unlink()

    monkeypatch.setattr(assistant.corpus.discovery, "discover_files", discover_then_delete)
    report = build(corpus, index_dir)
    assert [p.path for p in report.problems] == ["b.txt"]
    assert report.removed == 0 and snapshot(index_dir)["articles"] == before["articles"]


def test_bad_files_are_reported_once_and_the_rest_indexed(tmp_path: Path, index_dir: Path) -> None:
    root = tmp_path / "corpus"
    write(root, "good.txt", article(1))
    write(root, "good.md", f"# A heading\n\n{prose(2)}\n")
    write(root, "binary.txt", b"\x00\x01\x02\xff" * 300)
    write(root, "empty.txt", b"")
    write(root, "latin1.txt", ("Caf\u00e9 cr\u00e8me\n\n" + prose(3) + " Cr\u00e8me br\u00fbl\u00e9e na\u00efve.\n").encode("latin-1"))
    write(root, "mixed.jsonl", jsonl(json_record(1)) + "{not json\n" + jsonl(json_record(2)))
    seen: list[LoadProblem] = []
    report = build(root, index_dir, on_problem=seen.append)
    assert seen == report.problems
    by_path = collections.Counter(p.path for p in seen)
    assert by_path == {"binary.txt": 1, "empty.txt": 1, "latin1.txt": 1, "mixed.jsonl:2": 1}
    skipped = {p.path for p in seen if p.skipped}
    assert skipped == {"binary.txt", "empty.txt", "mixed.jsonl:2"}
    paths = sorted(r[0] for r in sql(index_dir, "SELECT path FROM articles"))
    assert paths == ["good.md", "good.txt", "latin1.txt", "mixed.jsonl", "mixed.jsonl"]
    assert "Caf\u00e9 cr\u00e8me" in sql(index_dir, "SELECT text FROM articles WHERE path = 'latin1.txt'")[0][0]
    check_index(index_dir)
    # Every file is recorded with its problems: the next run reads none of them but reports the
    # same problems again, once each, so --strict keeps failing until they are fixed.
    again: list[LoadProblem] = []
    report = build(root, index_dir, on_problem=again.append)
    assert report.unchanged == 6 and report.chunks_embedded == 0
    assert again == seen


# --- the lock --------------------------------------------------------------------------------


def test_second_writer_in_the_same_process_is_refused(corpus: Path, index_dir: Path) -> None:
    with IndexLock(index_dir):
        with pytest.raises(IndexLocked, match=f"being updated by pid {os.getpid()}; wait for it to finish"):
            build(corpus, index_dir)
    build(corpus, index_dir)  # released
    check_index(index_dir)


def test_second_writer_in_another_process_is_refused_until_the_holder_ends(corpus: Path, index_dir: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, str(WORKER), "hold-lock", str(index_dir)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(IndexLocked) as caught:
            build(corpus, index_dir)
        assert str(caught.value) == f"index {index_dir} is being updated by pid {holder.pid}; wait for it to finish"
        assert not (index_dir / store.DB_NAME).exists()  # refused before touching anything
    finally:
        holder.kill()  # a killed holder leaves no stale lock: flock dies with the process
        holder.wait()
    build(corpus, index_dir)
    check_index(index_dir)


# --- model and backend mismatch --------------------------------------------------------------


class OtherBackend(HashEmbedder):
    backend = "hash-other"


def test_index_of_another_dimension_is_refused(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir, embedder=HashEmbedder(dim=384))
    with pytest.raises(IndexMismatch, match="--rebuild") as caught:
        build(corpus, index_dir, embedder=HashEmbedder(dim=256))
    assert "384" in str(caught.value) and "256" in str(caught.value)
    report = build(corpus, index_dir, embedder=HashEmbedder(dim=256), rebuild=True)
    assert report.added == 9
    check_index(index_dir, HashEmbedder(dim=256))


def test_index_of_another_backend_is_refused(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    with pytest.raises(IndexMismatch, match="--rebuild") as caught:
        build(corpus, index_dir, embedder=OtherBackend())
    assert "--backend hash" in str(caught.value)
    assert build(corpus, index_dir, embedder=OtherBackend(), rebuild=True).added == 9
    assert sql(index_dir, "SELECT value FROM meta WHERE key = 'backend'") == [("hash-other",)]
    check_index(index_dir)


# --- the engine ------------------------------------------------------------------------------


def test_open_engine_sees_a_new_generation_without_reopening(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    engine = Engine(index_dir, embedder=HashEmbedder())
    question = "Did the zebrafish quasar committee vote on Tuesday?"
    assert "zebrafish" not in " ".join(q.text for q in engine.ask(question).quotes)
    first = engine.generation
    write(corpus, "late.txt", "Late news\n\nThe zebrafish quasar committee voted on Tuesday.\n")
    build(corpus, index_dir)
    answer = engine.ask(question)
    assert engine.generation > first
    assert answer.quotes[0].path == "late.txt"
    assert answer.quotes[0].text == "The zebrafish quasar committee voted on Tuesday."
    assert quotes_are_verbatim(engine, question) >= 1
    engine.close()


def test_engine_opening_while_an_indexer_commits(corpus: Path, index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(corpus, index_dir)
    real_load = vectors.load
    raced = False

    def load_then_commit(folder: Path, gen: int, **kwargs: Any) -> Any:
        nonlocal raced
        index = real_load(folder, gen, **kwargs)
        if not raced:
            raced = True  # another process commits right after the Engine read the generation
            write(corpus, "late.txt", "Late news\n\nThe zebrafish quasar committee voted on Tuesday.\n")
            build(corpus, index_dir)
        return index

    monkeypatch.setattr(vectors, "load", load_then_commit)
    engine = Engine(index_dir, embedder=HashEmbedder())
    assert quotes_are_verbatim(engine, "zebrafish quasar committee") >= 1


# --- corruption ------------------------------------------------------------------------------


def open_in_subprocess(index_dir: Path) -> subprocess.CompletedProcess[str]:
    """Open the index in a child process, where a crash of native code cannot take the tests down."""
    return subprocess.run(
        [sys.executable, str(WORKER), "open", str(index_dir), "zebrafish quasar"],
        capture_output=True, text=True, timeout=120,
    )


def _current_faiss(index_dir: Path) -> Path:
    return vectors.vector_path(index_dir, generation(index_dir))


def truncate_faiss(index_dir: Path) -> None:
    path = _current_faiss(index_dir)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def garble_faiss(index_dir: Path) -> None:
    path = _current_faiss(index_dir)
    data = bytearray(path.read_bytes())
    data[:64] = random.Random(7).randbytes(64)
    path.write_bytes(bytes(data))


def delete_faiss(index_dir: Path) -> None:
    _current_faiss(index_dir).unlink()


def garbage_sqlite(index_dir: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        (index_dir / (store.DB_NAME + suffix)).unlink(missing_ok=True)
    (index_dir / store.DB_NAME).write_bytes(random.Random(8).randbytes(64 * 1024))


def delete_chunk_row(index_dir: Path) -> None:
    db = sqlite3.connect(index_dir / store.DB_NAME)
    db.execute("DELETE FROM chunks WHERE id = (SELECT min(id) FROM chunks)")
    db.commit()
    db.close()


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (truncate_faiss, "is corrupt"),
        (garble_faiss, "is corrupt"),
        (delete_faiss, "is missing"),
        (garbage_sqlite, "not a usable SQLite index"),
        (delete_chunk_row, "inconsistent"),
    ],
    ids=lambda v: v.__name__ if callable(v) else "",
)
def test_damaged_index_is_a_one_line_error_and_rebuild_recovers(
    corpus: Path, index_dir: Path, damage: Any, words: str
) -> None:
    build(corpus, index_dir)
    clean = snapshot(index_dir)
    damage(index_dir)
    opened = open_in_subprocess(index_dir)
    assert opened.returncode == 3, opened.stderr  # an EngineError, not a crash (negative) or traceback (1)
    message = opened.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    assert words in message and "--rebuild" in message
    with pytest.raises(Exception, match="--rebuild"):
        build(corpus, index_dir)
    report = build(corpus, index_dir, rebuild=True)
    assert report.added == 9
    check_index(index_dir)
    assert snapshot(index_dir) == clean
    assert open_in_subprocess(index_dir).returncode == 0


def test_damaged_sqlite_pages_make_the_indexer_advise_a_rebuild(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    assert not (index_dir / (store.DB_NAME + "-wal")).exists()  # checkpointed on close: all in the main file
    path = index_dir / store.DB_NAME
    data = path.read_bytes()
    page = 4096
    path.write_bytes(data[:page] + random.Random(9).randbytes(len(data) - page))  # schema page intact
    write(corpus, "late.txt", article(99))
    with pytest.raises(store.StoreError, match="rebuild it with `assistant index --rebuild`"):
        build(corpus, index_dir)
    assert build(corpus, index_dir, rebuild=True).added == 10
    check_index(index_dir)


def test_truncated_sqlite_is_refused_by_the_engine_and_rebuilt_by_the_indexer(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    for suffix in ("-wal", "-shm"):
        (index_dir / (store.DB_NAME + suffix)).unlink(missing_ok=True)
    (index_dir / store.DB_NAME).write_bytes(b"")
    with pytest.raises(EngineError, match="--rebuild"):
        Engine(index_dir, embedder=HashEmbedder())
    # An empty file is no index at all: the indexer starts over by itself and cleans old vectors.
    assert build(corpus, index_dir).added == 9
    check_index(index_dir)
    assert sorted(p.name for p in index_dir.glob("vectors-*")) == ["vectors-1.faiss"]


def test_an_index_of_the_previous_schema_is_migrated_and_still_answers(corpus: Path, index_dir: Path) -> None:
    """Schema 2 indexes carry a sentence FTS5 table nothing reads any more: opening drops it, the rest stays."""
    build(corpus, index_dir)
    db = sqlite3.connect(index_dir / store.DB_NAME)
    db.execute(f"CREATE VIRTUAL TABLE sentences_fts USING fts5 (title, body, tokenize = '{store.FTS_TOKENIZER}')")
    db.execute("INSERT INTO sentences_fts (rowid, title, body) SELECT id, 'T', 'text' FROM sentences")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    engine = Engine(index_dir, embedder=HashEmbedder())
    try:
        answer = engine.ask(prose(500).split(".")[0])
        assert answer.quotes and answer.quotes[0].title == "Markdown piece"
    finally:
        engine.close()
    assert sql(index_dir, "PRAGMA user_version") == [(len(store.MIGRATIONS),)]
    assert sql(index_dir, "SELECT count(*) FROM sqlite_master WHERE name = 'sentences_fts'") == [(0,)]
    check_index(index_dir)


def test_an_index_of_another_folder_is_not_emptied_by_indexing_this_one(corpus: Path, index_dir: Path, tmp_path: Path) -> None:
    # `assistant index ~/other --index ~/archive-index` (a mistyped folder, or the wrong --index) used to remove
    # every article of the archive; now it is refused in one line, and --rebuild replaces them on purpose.
    build(corpus, index_dir)
    before = check_index(index_dir)
    other = tmp_path / "other"
    write(other, "x.txt", article(7))
    with pytest.raises(IndexMismatch, match=rf"holds {before['articles']} articles? from .*corpus, not .*other; .*--rebuild"):
        build(other, index_dir)
    assert check_index(index_dir) == before
    build(other, index_dir, rebuild=True)
    assert check_index(index_dir)["articles"] == 1
    # The folder it was built from is gone (moved, renamed): the index follows the folder it is given.
    moved = tmp_path / "moved"
    other.rename(moved)
    build(moved, index_dir)
    assert check_index(index_dir)["articles"] == 1


def test_a_copy_of_an_index_re_indexed_without_one_section_is_allowed(corpus: Path, index_dir: Path, tmp_path: Path) -> None:
    # docs/eval/category_folds.py copies the whole index and re-indexes it from a folder without one category.
    import shutil

    build(corpus, index_dir)
    before = check_index(index_dir)
    smaller = tmp_path / "smaller"
    shutil.copytree(corpus, smaller)
    (smaller / "b.txt").unlink()
    build(smaller, index_dir)
    assert check_index(index_dir)["articles"] == before["articles"] - 1


def test_markdown_articles_of_an_older_index_are_read_again_as_plain_text(tmp_path: Path) -> None:
    """Schema 14 stored a Markdown article's body with its markup ('**dead**', link targets): migration 15 makes the
    next run read every .md file again, so the stored text becomes plain and quotes match what a reader sees."""
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    write(corpus, "plain.txt", article(3))
    write(corpus, "news.md", "# Harbour plan\n\nThe mayor said the plan was **dead** ([report](http://x.org/r)).\n")
    build(corpus, index_dir)
    marked = "The mayor said the plan was **dead** ([report](http://x.org/r)).\n"
    db = sqlite3.connect(index_dir / store.DB_NAME)
    # What an index of schema 14 held: the body as written, and the hash of that text.
    db.execute("UPDATE articles SET text = ?, body_start = 0, content_hash = 'schema-14' WHERE path = 'news.md'", (marked,))
    db.execute("PRAGMA user_version = 14")
    db.commit()
    db.close()
    report = build(corpus, index_dir)
    assert report.updated == 1 and report.added == 0  # the .md file only; plain.txt is not read again
    [(text, body_start)] = sql(index_dir, "SELECT text, body_start FROM articles WHERE path = 'news.md'")
    assert text[body_start:] == "The mayor said the plan was dead (report).\n"
    assert sql(index_dir, "PRAGMA user_version") == [(len(store.MIGRATIONS),)]
    check_index(index_dir)
