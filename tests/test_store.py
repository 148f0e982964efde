"""The SQLite store on its own: creating and refusing databases, rows in and out, transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.corpus.stream import load_file
from assistant.models import Article, LoadProblem
from assistant.index import store
from assistant.index.store import StoreError
from assistant.text.chunking import chunk_article
from support.corpus import article, write


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    (tmp_path / "index").mkdir()
    connection = store.connect(tmp_path / "index", create=True)
    yield connection
    connection.close()


def loaded(tmp_path: Path, name: str, text: str) -> Article:
    corpus = tmp_path / "corpus"
    return load_file(corpus, write(corpus, name, text)).articles[0]


def insert(db: sqlite3.Connection, art: Article) -> tuple[int, list[int]]:
    sentences, chunks = chunk_article(art.text, art.body_start)
    chunk_ids = store.insert_article(db, art, sentences, chunks, [bytes(8)] * len(sentences))
    article_id = db.execute("SELECT id FROM articles WHERE path = ? AND record = ?", (art.path, art.record)).fetchone()[0]
    return article_id, chunk_ids


def test_a_missing_index_is_refused_unless_created(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no index at"):
        store.connect(tmp_path)
    db = store.connect(tmp_path, create=True)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] > 0
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        db.close()
    store.connect(tmp_path).close()  # exists now


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    other = sqlite3.connect(tmp_path / store.DB_NAME)
    other.execute("CREATE TABLE recipes (name TEXT)")
    other.commit()
    other.close()
    with pytest.raises(StoreError, match="not an assistant index"):
        store.connect(tmp_path)


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    store.connect(tmp_path, create=True).close()
    newer = sqlite3.connect(tmp_path / store.DB_NAME)
    newer.execute("PRAGMA user_version = 999")
    newer.close()
    with pytest.raises(StoreError, match="newer version"):
        store.connect(tmp_path)


def test_garbage_is_not_a_usable_index(tmp_path: Path) -> None:
    (tmp_path / store.DB_NAME).write_bytes(b"this is not SQLite at all" * 100)
    with pytest.raises(StoreError, match="rebuild"):
        store.connect(tmp_path)


def test_a_linked_database_is_refused_before_sqlite_opens_it(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.txt"
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / store.DB_NAME).symlink_to(target)
    with pytest.raises(StoreError):
        store.connect(tmp_path / "index", create=True)
    assert not target.exists()


def test_meta_files_and_problems_round_trip(db: sqlite3.Connection) -> None:
    with store.transaction(db):
        store.set_meta(db, {"model": "hash", "dim": "384"})
        store.set_meta(db, {"dim": "8"})
        store.put_file(db, "a.txt", 10, 123, "abc")
        store.put_problems(db, "a.jsonl", [LoadProblem("a.jsonl:2", "not JSON", True)])
    assert {"model": "hash", "dim": "8"}.items() <= store.get_meta(db).items()
    assert store.stored_files(db) == {"a.txt": (10, 123, "abc")}
    assert store.stored_problems(db) == {"a.jsonl": [LoadProblem("a.jsonl:2", "not JSON", True)]}
    with store.transaction(db):
        store.put_problems(db, "a.jsonl", [])
        store.delete_file(db, "a.txt")
    assert store.stored_files(db) == {} and store.stored_problems(db) == {}


def test_a_failed_transaction_leaves_nothing_behind(db: sqlite3.Connection) -> None:
    with pytest.raises(RuntimeError), store.transaction(db):
        store.put_file(db, "a.txt", 10, 123, "abc")
        raise RuntimeError("stop")
    assert store.stored_files(db) == {} and not db.in_transaction


def test_an_article_goes_in_and_comes_out_whole(db: sqlite3.Connection, tmp_path: Path) -> None:
    art = loaded(tmp_path, "news/a.md", "---\ntitle: Rates\ndate: 2005-02-03\nsource: BBC\n---\n\n" + article(1))
    with store.transaction(db):
        article_id, chunk_ids = insert(db, art)
    assert store.get_article(db, article_id) == art
    assert store.get_article(db, article_id + 1) is None
    assert chunk_ids == store.chunk_ids_of(db, article_id) == store.all_chunk_ids(db) and chunk_ids
    sentences, _ = chunk_article(art.text, art.body_start)
    assert store.counts(db) == {"files": 0, "articles": 1, "chunks": len(chunk_ids), "sentences": len(sentences)}
    # The FTS row of a chunk is the article's text at the chunk's offsets.
    for chunk_id, start, end in db.execute("SELECT id, start, end FROM chunks"):
        body = db.execute("SELECT body FROM chunks_fts WHERE rowid = ?", (chunk_id,)).fetchone()[0]
        assert body == art.text[start:end]
    assert store.sources(db) == ["BBC"]
    assert [a.id for a in store.articles_of(db, "news/a.md")] == [article_id]


def test_deleting_an_article_removes_its_rows_everywhere(db: sqlite3.Connection, tmp_path: Path) -> None:
    with store.transaction(db):
        first, first_chunks = insert(db, loaded(tmp_path, "a.txt", article(1)))
        second, _ = insert(db, loaded(tmp_path, "b.txt", article(2)))
        assert store.delete_article(db, first) == first_chunks
    assert store.get_article(db, first) is None and store.get_article(db, second) is not None
    assert store.article_paths(db) == ["b.txt"]
    for table, column in (("chunks", "article_id"), ("sentences", "article_id")):
        assert db.execute(f"SELECT count(*) FROM {table} WHERE {column} = ?", (first,)).fetchone()[0] == 0
    assert db.execute(f"SELECT count(*) FROM chunks_fts WHERE rowid IN ({store.ids_in(first_chunks)})").fetchone()[0] == 0


def test_moved_articles_keep_their_rows(db: sqlite3.Connection, tmp_path: Path) -> None:
    with store.transaction(db):
        a, a_chunks = insert(db, loaded(tmp_path, "a.txt", article(1)))
        b, _ = insert(db, loaded(tmp_path, "b.txt", article(2)))
        # Two articles trading places must not collide on (path, record).
        store.relocate_articles(db, [(a, "b.txt", 0, "txt", 1), (b, "a.txt", 0, "txt", 1)])
    assert store.articles_of(db, "b.txt")[0].id == a and store.articles_of(db, "a.txt")[0].id == b
    assert store.chunk_ids_of(db, a) == a_chunks


def test_ids_in_makes_an_integer_list_and_never_an_empty_one() -> None:
    assert store.ids_in([3, 1, 2]) == "3,1,2"
    assert store.ids_in([]) == "NULL"
    with pytest.raises(ValueError):
        store.ids_in(["1); DROP TABLE articles; --"])  # type: ignore[list-item]
