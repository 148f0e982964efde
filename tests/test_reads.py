"""The query path's read model (index/reads.py): one read per article, one join for sentences, the sentence FTS table in step."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from support.engines import opened
from support.indexes import build

from assistant.index import reads, store

CORPUS = {
    "a.md": "---\ntitle: Alpha report\ndate: 2005-01-02\n---\n\nThe golden rule holds. Borrowing stays low.\n\nA second paragraph follows here.\n",
    "b.md": "---\ntitle: Beta report\ndate: 2004-06-01\n---\n\nAnother golden rule story. Nothing else.\n",
    "c.txt": "Gamma report\n\nUndated text with the golden rule inside.\n",
}


@pytest.fixture
def index(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in CORPUS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    build(corpus, tmp_path / "index")
    return tmp_path / "index"


def test_article_cache_reads_each_article_once(index: Path) -> None:
    db = store.connect(index)
    try:
        statements: list[str] = []
        db.set_trace_callback(statements.append)
        cache = reads.ArticleCache(db)
        ids = [r[0] for r in db.execute("SELECT id FROM articles")]
        statements.clear()
        cache.load(ids)
        cache.load(ids)
        for i in ids:
            assert cache.get(i) is not None
        assert len([s for s in statements if "FROM articles" in s]) == 1
        assert cache.get(10_000) is None
        row = cache.get(ids[0])
        assert row is not None and row.newlines_before(len(row.text)) == row.text.count("\n")
    finally:
        db.close()


def test_sentences_of_chunks_is_one_join_without_repeats(index: Path) -> None:
    db = store.connect(index)
    try:
        chunks = store.all_chunk_ids(db)
        rows = reads.sentences_of_chunks(db, chunks)
        assert len(rows) == len({r.id for r in rows}) == db.execute("SELECT count(*) FROM sentences").fetchone()[0]
        assert [(r.article_id, r.ord) for r in rows] == sorted((r.article_id, r.ord) for r in rows)
    finally:
        db.close()


def test_phrase_sentences_come_in_date_order_undated_last(index: Path) -> None:
    db = store.connect(index)
    try:
        rows = reads.phrase_sentences(db, 'body : "golden rule"')
        paths = reads.article_paths(db)
        assert [paths[r.article_id] for r in rows] == ["b.md", "a.md", "c.txt"]
    finally:
        db.close()


def test_the_sentence_table_follows_deletes_and_upgrades_old_indexes(index: Path) -> None:
    corpus = index.parent / "corpus"
    (corpus / "b.md").unlink()
    build(corpus, index)
    db = store.connect(index)
    try:
        assert len(reads.phrase_sentences(db, 'body : "golden rule"')) == 2
        assert reads.lexical_sentences(db, '"another"', 5, 0.3) == []
        # An index of schema 3 (before the sentence table) upgrades from its stored text.
        db.execute("DROP TABLE sentences_lex")
        db.execute("DROP TABLE IF EXISTS quotations")  # migration 5 (issue 13) runs again too
        db.execute("PRAGMA user_version = 3")
    finally:
        db.close()
    db = store.connect(index)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(store.MIGRATIONS)
        assert len(reads.phrase_sentences(db, 'body : "golden rule"')) == 2
        # Migration 6: the rows are written by the store's own inserts and deletes, not by triggers.
        assert db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'").fetchone()[0] == 0
    finally:
        db.close()
    (corpus / "a.md").unlink()
    build(corpus, index)
    db = store.connect(index)
    try:
        assert len(reads.phrase_sentences(db, 'body : "golden rule"')) == 1
    finally:
        db.close()


def test_reads_on_an_index_without_the_sentence_table_find_nothing(tmp_path: Path) -> None:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, path TEXT)")
    db.execute("CREATE TABLE sentences (id INTEGER PRIMARY KEY, article_id INTEGER, ord INTEGER, start INTEGER, end INTEGER, paragraph INTEGER, vector BLOB)")
    assert reads.lexical_sentences(db, '"x"', 3, 0.3) == []
    assert reads.phrase_sentences(db, '"x"') == []
    assert reads.articles_matching(db, '"x"') == set()


def test_answers_read_each_candidate_article_once(index: Path) -> None:
    with opened(index) as engine:
        statements: list[str] = []
        engine.db.set_trace_callback(statements.append)
        answer = engine.ask("golden rule borrowing")
        engine.db.set_trace_callback(None)
        assert answer.quotes
        article_reads = [s for s in statements if "FROM articles WHERE id" in s]
        assert len(article_reads) <= 2  # candidates, then (rarely) a duplicate's article not yet read
        # Quote texts come from the cached rows (the speaker look-up of issue 13 reads its own few characters).
        assert not [s for s in statements if "substr(text" in s and "FROM articles WHERE id" in s and "length(" in s]
