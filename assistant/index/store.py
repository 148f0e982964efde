"""The SQLite half of an index: schema and migrations, articles, chunks, sentences, FTS5 tables and settings."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import StoreError
from assistant.index.sql_lists import ids_in  # noqa: F401  (store.ids_in, as callers know it)
from assistant.models import Article, Chunk, LoadProblem, Sentence
from assistant.safe_files import create_new

DB_NAME = "index.sqlite3"
SIDE_SUFFIXES = ("-wal", "-shm", "-journal")
"""Files SQLite keeps beside the database."""
FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"



def _run_script(db: sqlite3.Connection, script: str) -> None:
    """Run statements one by one: executescript() would COMMIT the migration's transaction."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _migration_1(db: sqlite3.Connection) -> None:
    _run_script(
        db,
        f"""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE files (
            path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, hash TEXT NOT NULL
        );
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL,
            record INTEGER NOT NULL DEFAULT 0,
            content_hash TEXT NOT NULL,
            title TEXT NOT NULL,
            date TEXT,
            source TEXT,
            url TEXT,
            author TEXT,
            format TEXT NOT NULL,
            text TEXT NOT NULL,
            body_start INTEGER NOT NULL,
            first_line INTEGER,
            UNIQUE (path, record)
        );
        CREATE INDEX articles_hash ON articles (content_hash);
        CREATE INDEX articles_date ON articles (date);
        CREATE TABLE sentences (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
            ord INTEGER NOT NULL,
            start INTEGER NOT NULL,
            end INTEGER NOT NULL,
            paragraph INTEGER NOT NULL,
            vector BLOB NOT NULL
        );
        CREATE INDEX sentences_article ON sentences (article_id, ord);
        CREATE TABLE chunks (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
            ord INTEGER NOT NULL,
            start INTEGER NOT NULL,
            end INTEGER NOT NULL,
            paragraph INTEGER NOT NULL,
            first_sentence INTEGER NOT NULL,
            last_sentence INTEGER NOT NULL
        );
        CREATE INDEX chunks_article ON chunks (article_id);
        CREATE VIRTUAL TABLE chunks_fts USING fts5 (title, body, tokenize = '{FTS_TOKENIZER}');
        CREATE VIRTUAL TABLE sentences_fts USING fts5 (title, body, tokenize = '{FTS_TOKENIZER}');
        """
    )


def _migration_2(db: sqlite3.Connection) -> None:
    """Problems of indexed files, so an unchanged bad file is reported on every run without re-reading it."""
    _run_script(
        db,
        """
        CREATE TABLE problems (file TEXT NOT NULL, path TEXT NOT NULL, message TEXT NOT NULL, skipped INTEGER NOT NULL);
        CREATE INDEX problems_file ON problems (file)
        """,
    )


def _migration_3(db: sqlite3.Connection) -> None:
    """Sentence BM25 is computed over the candidates only (keywords.sentence_scores): drop the
    sentence FTS5 table, a fifth of the database that nothing reads any more."""
    db.execute("DROP TABLE IF EXISTS sentences_fts")


def _migration_4(db: sqlite3.Connection) -> None:
    """Lexical lookup over every sentence (issue 12): a contentless FTS5 table of sentence texts with
    their article titles, kept in step with `sentences` by triggers and filled from the stored text,
    so an existing index upgrades without re-embedding. Contentless: the text stays in `articles`."""
    text_of = "substr(a.text, {0}.start + 1, {0}.end - {0}.start)"
    for statement in (
        # Idempotent: an index whose version was set back (or a half-applied run) may already hold the
        # table; a contentless table cannot be de-duplicated, so it is dropped and filled afresh.
        "DROP TRIGGER IF EXISTS sentences_lex_insert",
        "DROP TRIGGER IF EXISTS sentences_lex_delete",
        "DROP TABLE IF EXISTS sentences_lex",
        f"CREATE VIRTUAL TABLE sentences_lex USING fts5 (title, body, content = '', tokenize = '{FTS_TOKENIZER}')",
        "CREATE TRIGGER sentences_lex_insert AFTER INSERT ON sentences BEGIN "
        f"INSERT INTO sentences_lex (rowid, title, body) SELECT new.id, a.title, {text_of.format('new')} "
        "FROM articles a WHERE a.id = new.article_id; END",
        # Deleting from a contentless table needs the values indexed; sentences go before their article.
        "CREATE TRIGGER sentences_lex_delete AFTER DELETE ON sentences BEGIN "
        f"INSERT INTO sentences_lex (sentences_lex, rowid, title, body) SELECT 'delete', old.id, a.title, {text_of.format('old')} "
        "FROM articles a WHERE a.id = old.article_id; END",
        f"INSERT INTO sentences_lex (rowid, title, body) SELECT s.id, a.title, {text_of.format('s')} "
        "FROM sentences s JOIN articles a ON a.id = s.article_id",
    ):
        db.execute(statement)


def _migration_5(db: sqlite3.Connection) -> None:
    """Quotations and their speakers (issue 13), one row per quotation, filled from the stored article
    text so an existing index upgrades without re-embedding (assistant/index/quotation_store.py)."""
    from assistant.index import quotation_store

    db.execute("DROP TABLE IF EXISTS quotations")  # idempotent, as _migration_4 (its indexes go with it)
    quotation_store.create_tables(db)
    quotation_store.backfill(db)


def _migration_6(db: sqlite3.Connection) -> None:
    """The sentence-lookup rows are written by insert_article/delete_article from the text already in
    hand: the triggers read the whole article text once per sentence, quadratic on a long article."""
    db.execute("DROP TRIGGER IF EXISTS sentences_lex_insert")
    db.execute("DROP TRIGGER IF EXISTS sentences_lex_delete")


def _migration_7(db: sqlite3.Connection) -> None:
    """Speaker rules changed ('a spokesman for X' is not X; an unnamed son or wife nearer than anyone named
    leaves 'he said' unknown): quotations are extracted again from the stored text, nothing re-embedded."""
    _migration_5(db)


def _migration_8(db: sqlite3.Connection) -> None:
    """Speaker rules changed again (a name after a preposition, 'the director behind JFK', is not the
    speaker; a publication's name, 'Rolling Stone magazine', lends no surname): quotations extracted again."""
    _migration_5(db)


def _migration_9(db: sqlite3.Connection) -> None:
    """Pronoun rules changed ('after he said' in a subordinate clause is someone else; 'the Tory leader said'
    is the person holding that role; a followed 'he' skips sentences that only name people) and role rules
    ('is urging ...' after a name, 'by appointing psychologist X' are no roles; 'Former Chelsea captain Desailly'
    is Desailly; 'said the 20-year-old' after a sentence opening with Minar is Minar): quotations extracted again."""
    _migration_5(db)


def _migration_10(db: sqlite3.Connection) -> None:
    """Speaker rules changed (QA, session 9): a relative clause between subject and verb ('The actor, whose films
    include ... The Phantom Menace, said') is skipped; a place ending a role ('Mr Johnson, MP for Henley-on-Thames,
    Oxfordshire, said') leaves the person before it; 'Said Williams:' is Williams; a name after a preposition and
    'the' ('in the Daily Telegraph') is no person: quotations extracted again."""
    _migration_5(db)


def _migration_11(db: sqlite3.Connection) -> None:
    """Nothing: the speaker rules of session 10 changed three times before they were released, and migration 13
    extracts the quotations once for all three (11: 'Mr Blair' is no knight; 12: 'he said' is not the sentence's
    object)."""


def _migration_12(db: sqlite3.Connection) -> None:
    """Nothing: see migration 11."""


def _migration_13(db: sqlite3.Connection) -> None:
    """Speaker rules and keys changed (QA, session 10): 'Mr Blair' is never a knight of that surname; a speech word
    after a possessive is a noun; 'he said' no longer stands for a man a preposition or a verb made what the sentence
    before is about ('for his comments about Thierry Henry') when someone else there may be speaking; descriptions
    before a name are no part of it ('Oscar-nominated Owen', 'Swede Joachim Johansson'); an honour before a full name
    is not part of the person's key ('Sir Clive Woodward' is Clive Woodward); an inverted 'said founder X' wins over a
    company before it; a full stop inside a word ('Shopping.com') ends no subject or role: quotations extracted
    again."""
    _migration_5(db)


def _migration_14(db: sqlite3.Connection) -> None:
    """Speaker rules changed (the third blind speaker set, session 11): a surname that is also a country, colour or
    nationality word after a first name ('Elizabeth France', 'Andrew Green'); a name before two descriptions ('X, from
    Panasonic's laboratories, one of the pioneers of Blu-ray, told'); 'Dean Boyd' is no dean; 'he' after a speaker the
    sentence before introduces with a role is that speaker; a story's lead describing one person ('a leading industry
    figure has said') is the person the next paragraph names speaking; a titled surname one letter from exactly one full
    name of the story is that person ('Mr Barot' for Jacques Barrot); a term in marks inside a description ('one of the
    so-called "Blair Babes" elected in 1997,') ends no subject; a nickname in marks is part of the name ('Antonio "LA"
    Reid'): quotations extracted again."""
    _migration_5(db)


def _migration_15(db: sqlite3.Connection) -> None:
    """Markdown articles are stored as plain text now (no '**', link targets or '#' marks; session 12): their files'
    rows go, so the next run reads each .md file again; an article whose text changed is written and embedded again,
    one without markup keeps its vectors (its content hash is the same)."""
    db.execute(MARKDOWN_FILES_FORGOTTEN)


def _migration_16(db: sqlite3.Connection) -> None:
    """Quotation rules changed (QA, session 12): a straight double mark after a number and before a word of size ('a 5"
    screen', '5' 10" tall') is an inch sign, not the mark closing an open quotation: quotations extracted again."""
    _migration_5(db)


MARKDOWN_FILES_FORGOTTEN = "DELETE FROM files WHERE lower(path) LIKE '%.md' OR lower(path) LIKE '%.markdown'"
"""The statement of migration 15 (the PostgreSQL store's fourth migration runs the same)."""


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _migration_1, _migration_2, _migration_3, _migration_4, _migration_5, _migration_6, _migration_7, _migration_8,
    _migration_9, _migration_10, _migration_11, _migration_12, _migration_13, _migration_14, _migration_15,
    _migration_16,
)
"""Numbered schema changes; user_version says how many have run."""


@dataclass(frozen=True)
class StoredArticle:
    """An article row as the indexer needs it for incremental decisions."""

    id: int
    """Row id."""
    path: str
    """Relative path."""
    record: int
    """JSONL record line or 0."""
    content_hash: str
    """Hash of text and metadata."""


def connect(index_dir: Path, *, create: bool = False, mode: int | None = None) -> sqlite3.Connection:
    """Open (or create) the index database in WAL mode, migrated to the current schema.

    The database and SQLite's files beside it must be regular files, not links: SQLite follows a
    link at the database's name (and creates its target), so a planted `index.sqlite3 -> ~/x` is
    refused before SQLite sees it. A new database is created here, exclusively and without
    following links, with `mode` (0o600 for a private corpus); SQLite gives its -wal and -shm files
    the database's mode.
    """
    path = index_dir / DB_NAME
    check_files(index_dir)
    if not path.exists() and not create:
        raise StoreError(f"no index at {index_dir} (run `assistant index` first)")
    if create and not os.path.lexists(path):

        try:
            os.close(create_new(path, new_file_mode() if mode is None else mode))
        except FileExistsError:
            check_files(index_dir)  # made meanwhile: it must still be a plain file
        except OSError as exc:
            raise StoreError(f"cannot create {path}: {exc.strerror or exc}") from exc
    try:
        db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        foreign = version == 0 and db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    except sqlite3.DatabaseError as exc:
        if disk_full(path.parent):
            raise StoreError(f"cannot open {path}: the disk is full ({exc}); free some space and retry") from exc
        reason = " ".join(str(exc).split())[:160]
        raise StoreError(f"{path} is not a usable SQLite index ({reason}); rebuild it with `assistant index --rebuild`") from exc
    if version > len(MIGRATIONS):
        raise StoreError(f"{path} was written by a newer version of assistant (schema {version})")
    if foreign:
        db.close()
        raise StoreError(f"{path} is an SQLite database of something else, not an assistant index; use another folder")
    if version < len(MIGRATIONS):
        if not create and version == 0:
            raise StoreError(f"{path} is empty or not an assistant index; rebuild it with `assistant index --rebuild`")
        with transaction(db):
            # Read again under the write lock: another process may have migrated since the read above,
            # and running its migrations a second time would fail or double the backfills.
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for number, migrate in enumerate(MIGRATIONS[version:], start=version + 1):
                migrate(db)
                db.execute(f"PRAGMA user_version = {number}")
    return db


def check_files(index_dir: Path) -> None:
    """StoreError unless the database and its side files are regular files (or absent)."""
    for name in (DB_NAME, *(DB_NAME + suffix for suffix in SIDE_SUFFIXES)):
        path = index_dir / name
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise StoreError(f"cannot open {path}: {exc.strerror or exc}") from exc
        if stat.S_ISLNK(info.st_mode):
            raise StoreError(
                f"{path} is a symbolic link, not a file the index wrote; refusing to use it (remove it if you did not put it there)"
            )
        if not stat.S_ISREG(info.st_mode):
            raise StoreError(f"{path} is not a regular file; refusing to use it")
        if info.st_nlink > 1:  # a hard link to someone's file is as bad as a symlink
            raise StoreError(f"{path} is a hard link ({info.st_nlink} names for one file); refusing to use it")


def new_file_mode() -> int:
    """The mode an ordinary new file gets: what the umask leaves of 0o666."""
    return 0o666 & ~_umask()


def _umask() -> int:
    try:  # Linux says it without changing it (os.umask would, for a moment, for every thread)
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def disk_full(folder: Path, margin: int = 64 * 1024) -> bool:
    """True when the file system holding `folder` has less than `margin` bytes free."""
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < margin


class transaction:
    """`with transaction(db):` runs BEGIN IMMEDIATE ... COMMIT, rolling back on any error."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.db.execute("COMMIT")
        elif self.db.in_transaction:
            # SQLite rolls back by itself on some errors (a full disk): then there is nothing to
            # undo, and a failing ROLLBACK must not hide the error the user needs to see.
            self.db.execute("ROLLBACK")


def get_meta(db: sqlite3.Connection) -> dict[str, str]:
    """All settings of the index (model, dim, backend, generation, ...)."""
    return dict(db.execute("SELECT key, value FROM meta").fetchall())


def set_meta(db: sqlite3.Connection, values: dict[str, str]) -> None:
    """Write settings (inside the caller's transaction)."""
    db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(values.items()))


def put_meta_value(db: Any, key: str, value: str) -> None:
    """Write one setting on its own (SQL both stores take: SQLite and PostgreSQL upsert alike)."""
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value)
    )


def stored_files(db: sqlite3.Connection) -> dict[str, tuple[int, int, str]]:
    """path -> (size, mtime_ns, hash) of every indexed file."""
    return {p: (s, m, h) for p, s, m, h in db.execute("SELECT path, size, mtime_ns, hash FROM files")}


def put_file(db: sqlite3.Connection, path: str, size: int, mtime_ns: int, digest: str) -> None:
    """Record a file as indexed."""
    db.execute(
        "INSERT OR REPLACE INTO files (path, size, mtime_ns, hash) VALUES (?, ?, ?, ?)", (path, size, mtime_ns, digest)
    )


def delete_file(db: sqlite3.Connection, path: str) -> None:
    """Forget a file and its problems (its articles are removed separately)."""
    db.execute("DELETE FROM files WHERE path = ?", (path,))
    db.execute("DELETE FROM problems WHERE file = ?", (path,))


def put_problems(db: sqlite3.Connection, file: str, problems: Sequence[LoadProblem]) -> None:
    """Replace the recorded problems of one file."""
    db.execute("DELETE FROM problems WHERE file = ?", (file,))
    db.executemany(
        "INSERT INTO problems (file, path, message, skipped) VALUES (?, ?, ?, ?)",
        [(file, p.path, p.message, int(p.skipped)) for p in problems],
    )


def stored_problems(db: sqlite3.Connection) -> dict[str, list[LoadProblem]]:
    """file -> the problems recorded when it was last read."""
    found: dict[str, list[LoadProblem]] = {}
    for file, path, message, skipped in db.execute("SELECT file, path, message, skipped FROM problems ORDER BY rowid"):
        found.setdefault(file, []).append(LoadProblem(path, message, bool(skipped)))
    return found


def articles_of(db: sqlite3.Connection, path: str) -> list[StoredArticle]:
    """The articles that came from one file."""
    rows = db.execute("SELECT id, path, record, content_hash FROM articles WHERE path = ?", (path,))
    return [StoredArticle(*row) for row in rows]


def article_paths(db: sqlite3.Connection) -> list[str]:
    """The distinct paths articles come from, sorted.

    Skips through the (path, record) index, one look-up per path, instead of reading every article row.
    """
    rows = db.execute(
        "WITH RECURSIVE p(path) AS (SELECT min(path) FROM articles UNION ALL"
        " SELECT (SELECT min(path) FROM articles WHERE path > p.path) FROM p WHERE p.path IS NOT NULL)"
        " SELECT path FROM p WHERE path IS NOT NULL"
    )
    return [r[0] for r in rows]


Location = tuple[int, str, int, str, int | None]
"""(article id, path, record, format, first_line): where a stored article is found now."""


def relocate_articles(db: sqlite3.Connection, moves: Sequence[Location]) -> None:
    """Give articles a new location (a renamed file, a shifted JSONL line): nothing is re-embedded.

    Locations, not articles, so a long list of moves stays small in memory.
    """
    # Two passes: records that trade places (a line inserted above them) would collide on
    # UNIQUE (path, record) if moved one by one; -id is free because records are never negative.
    db.executemany("UPDATE articles SET record = -id WHERE id = ?", [(move[0],) for move in moves])
    db.executemany(
        "UPDATE articles SET path = ?, record = ?, format = ?, first_line = ? WHERE id = ?",
        [(path, record, fmt, first_line, article_id) for article_id, path, record, fmt, first_line in moves],
    )


def chunk_ids_of(db: sqlite3.Connection, article_id: int) -> list[int]:
    """Chunk row ids (= FAISS ids) of an article."""
    return [r[0] for r in db.execute("SELECT id FROM chunks WHERE article_id = ?", (article_id,))]


def delete_article(db: sqlite3.Connection, article_id: int) -> list[int]:
    """Remove an article with its chunks, sentences and FTS rows; returns the removed chunk ids."""
    chunk_ids = chunk_ids_of(db, article_id)
    db.executemany("DELETE FROM chunks_fts WHERE rowid = ?", [(i,) for i in chunk_ids])
    row = db.execute("SELECT title, text FROM articles WHERE id = ?", (article_id,)).fetchone()
    if row is not None:
        # A contentless FTS5 table forgets a row only when told the values it indexed.
        title, text = row
        db.executemany(
            "INSERT INTO sentences_lex (sentences_lex, rowid, title, body) VALUES ('delete', ?, ?, ?)",
            [(i, title, text[a:b]) for i, a, b in db.execute("SELECT id, start, end FROM sentences WHERE article_id = ?", (article_id,))],
        )
    db.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
    db.execute("DELETE FROM sentences WHERE article_id = ?", (article_id,))
    db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
    return chunk_ids


def insert_article(
    db: sqlite3.Connection,
    article: Article,
    sentences: Sequence[Sentence],
    chunks: Sequence[Chunk],
    sentence_vectors: Sequence[bytes],
) -> list[int]:
    """Insert an article with its sentences (and their vectors) and chunks; returns the new chunk ids in order."""
    cur = db.execute(
        "INSERT INTO articles (path, record, content_hash, title, date, source, url, author, format, text,"
        " body_start, first_line) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            article.path,
            article.record,
            article.content_hash,
            article.title,
            article.date.isoformat() if article.date else None,
            article.source,
            article.url,
            article.author,
            article.format,
            article.text,
            article.body_start,
            article.first_line,
        ),
    )
    article_id = int(cur.lastrowid or 0)
    text, title = article.text, article.title
    db.executemany(
        "INSERT INTO sentences (article_id, ord, start, end, paragraph, vector) VALUES (?, ?, ?, ?, ?, ?)",
        [(article_id, ord_, s.start, s.end, s.paragraph, blob) for ord_, (s, blob) in enumerate(zip(sentences, sentence_vectors, strict=True))],
    )
    db.executemany(
        "INSERT INTO sentences_lex (rowid, title, body) VALUES (?, ?, ?)",
        [(i, title, text[a:b]) for i, a, b in db.execute("SELECT id, start, end FROM sentences WHERE article_id = ? ORDER BY ord", (article_id,))],
    )
    chunk_ids: list[int] = []
    for ord_, chunk in enumerate(chunks):
        cur = db.execute(
            "INSERT INTO chunks (article_id, ord, start, end, paragraph, first_sentence, last_sentence)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (article_id, ord_, chunk.start, chunk.end, chunk.paragraph, chunk.first_sentence, chunk.last_sentence),
        )
        chunk_id = int(cur.lastrowid or 0)
        chunk_ids.append(chunk_id)
        db.execute(
            "INSERT INTO chunks_fts (rowid, title, body) VALUES (?, ?, ?)",
            (chunk_id, title, text[chunk.start : chunk.end]),
        )
    return chunk_ids


def all_chunk_ids(db: sqlite3.Connection) -> list[int]:
    """Every chunk id, ascending."""
    return [r[0] for r in db.execute("SELECT id FROM chunks ORDER BY id")]


def counts(db: sqlite3.Connection) -> dict[str, int]:
    """Row counts of files, articles, chunks and sentences."""
    return {
        name: db.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        for name in ("files", "articles", "chunks", "sentences")
    }


def row_to_article(row: sqlite3.Row | tuple[object, ...]) -> Article:
    """Build an Article from a row of `ARTICLE_COLUMNS`."""
    (path, record, content_hash, title, date, source, url, author, fmt, text, body_start, first_line) = row
    return Article(
        path=str(path),
        record=int(record),  # type: ignore[call-overload]
        text=str(text),
        body_start=int(body_start),  # type: ignore[call-overload]
        title=str(title),
        date=dt.date.fromisoformat(str(date)) if date else None,
        source=source,  # type: ignore[arg-type]
        url=url,  # type: ignore[arg-type]
        author=author,  # type: ignore[arg-type]
        format=str(fmt),
        content_hash=str(content_hash),
        first_line=first_line,  # type: ignore[arg-type]
    )


ARTICLE_COLUMNS = "path, record, content_hash, title, date, source, url, author, format, text, body_start, first_line"


def get_article(db: sqlite3.Connection, article_id: int) -> Article | None:
    """One article by row id."""
    row = db.execute(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = ?", (article_id,)).fetchone()
    return row_to_article(row) if row else None


def sources(db: sqlite3.Connection) -> list[str]:
    """Distinct outlets, sorted."""
    return [r[0] for r in db.execute("SELECT DISTINCT source FROM articles WHERE source IS NOT NULL ORDER BY source")]
