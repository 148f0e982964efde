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


def test_held_sentences_give_the_sql_reads_rows(index: Path) -> None:
    db = store.connect(index)
    try:
        held = reads.HeldSentences(db)
        chunks = store.all_chunk_ids(db)
        articles = [r[0] for r in db.execute("SELECT id FROM articles")]
        sentences = [r[0] for r in db.execute("SELECT id FROM sentences")]
        positions = [(a, o) for a, o in db.execute("SELECT article_id, ord FROM sentences")] + [(articles[0], 99)]
        for picked in (chunks, chunks[::2], chunks[1:2], [], [10_000]):
            assert held.chunk_sentence_ranges(picked) == [tuple(r) for r in reads.chunk_sentence_ranges(db, picked)]
            assert held.sentences_of_chunks(picked) == reads.sentences_of_chunks(db, picked)
        assert held.sentences_by_id(sentences[::-1] + [10_000]) == reads.sentences_by_id(db, sentences[::-1] + [10_000])
        for longest in (0, 1, 3, 100):
            assert held.sentences_of_articles(articles + [10_000], longest) == reads.sentences_of_articles(db, articles + [10_000], longest)
        assert held.sentences_before(positions) == reads.sentences_before(db, positions)
        assert [held.sentence_at(a, o) for a, o in positions] == [reads.sentence_at(db, a, o) for a, o in positions]
        assert held.twin_articles(articles + [10_000]) == reads.twin_articles(db, articles + [10_000])
        cache = reads.ArticleCache(db)
        assert [held.articles[i] for i in articles] == [cache.get(i) for i in articles]
        assert held.quotations_of(articles[::-1] + [10_000]) == reads.quotations_of(db, articles[::-1] + [10_000])
        with pytest.raises(reads.HeldSentences.Stopped):
            reads.HeldSentences(db, lambda: True)
    finally:
        db.close()


def test_the_store_holds_sentences_from_the_second_question_and_drops_them_with_the_generation(index: Path) -> None:
    with opened(index) as engine:
        first = engine.ask("golden rule borrowing")
        assert engine.store._loading is None and engine.store._sentences is None  # one question: nothing started
        engine.ask("another golden rule story")
        loading = engine.store._loading
        assert loading is not None or engine.store._sentences is not None  # started (or done already: a tiny index)
        if loading is not None:
            loading._thread.join()
        statements: list[str] = []
        engine.db.set_trace_callback(statements.append)
        again = engine.ask("golden rule borrowing")
        engine.db.set_trace_callback(None)
        assert engine.store._sentences is not None
        assert not [s for s in statements if "vector" in s or "first_sentence" in s]  # no sentence row or chunk range read
        assert again.quotes == first.quotes
        assert not [s for s in statements if "FROM articles" in s]  # the article rows are held too
        # A commit that writes no new generation (a moved file: a new path, the same vectors) is seen at once.
        writer = store.connect(index)
        try:
            writer.execute("UPDATE articles SET path = 'moved.md' WHERE id = ?", (first.quotes[0].article_id,))
        finally:
            writer.close()
        moved = engine.ask("golden rule borrowing")
        assert moved.quotes[0].path == "moved.md" and engine.store._sentences is not None
        writer = store.connect(index)
        try:
            writer.execute("UPDATE articles SET path = ? WHERE id = ?", (first.quotes[0].path, first.quotes[0].article_id))
        finally:
            writer.close()
        corpus = index.parent / "corpus"
        (corpus / "d.md").write_text("---\ntitle: Delta\n---\n\nA new golden rule appears.\n", encoding="utf-8")
        build(corpus, index)
        later = engine.ask("new golden rule appears")
        assert engine.store._sentences is None  # a new generation: read from SQL until held again
        assert later.quotes and later.quotes[0].path == "d.md"
    # close() stopped any read still running
    assert engine.store._loading is None
