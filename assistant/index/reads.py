"""The query path's read model: every SQL read a question makes, with article rows read once per question."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, NamedTuple

from assistant.index.sql_lists import ids_in
from assistant.models import Filters

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class ArticleRow:
    """An article as the query path needs it: citation fields and the full text (offsets index into it)."""

    id: int
    path: str
    record: int
    title: str
    date: str | None
    source: str | None
    url: str | None
    author: str | None
    format: str
    first_line: int | None
    text: str

    def newlines_before(self, offset: int) -> int:
        """Newlines in the text before `offset` (a quote's line number counts them)."""
        return self.text.count("\n", 0, offset)

    def line_at(self, offset: int) -> int | None:
        """1-based line in the file of `offset` (a JSONL record's own line); None when unknown."""
        if self.first_line is None:
            return None
        if self.format == "jsonl":
            return int(self.first_line)
        return int(self.first_line) + self.newlines_before(offset)


class SentenceRow(NamedTuple):
    """A sentence row with its stored (float16) vector. Immutable like the frozen dataclasses elsewhere, but a named
    tuple: a question reads 300-500 of them, and `_make` builds one in a quarter of a frozen dataclass's time
    (0.6 against 2.3 us): 0.37 ms less of a warm BBC question."""

    id: int
    article_id: int
    ord: int
    start: int
    end: int
    paragraph: int
    vector: bytes


_sentence_row = SentenceRow._make
"""A SentenceRow from a row of (id, article_id, ord, start, end, paragraph, vector)."""
_BY_POSITION = itemgetter(1, 2)
"""A sentence row's (article id, ord)."""

_ARTICLE_COLUMNS = "id, path, record, title, date, source, url, author, format, first_line, text"


class ArticleCache:
    """Article rows read for one question: each candidate article is fetched once, in one query per batch.
    `held`, when given, is where the rows are looked for first and go (a store may keep it between questions)."""

    def __init__(self, db: sqlite3.Connection, held: dict[int, ArticleRow | None] | None = None) -> None:
        self.db = db
        self._rows: dict[int, ArticleRow | None] = held if held is not None else {}

    def load(self, ids: Iterable[int]) -> None:
        """Read the articles not read yet, all in one query."""
        missing = {int(i) for i in ids if int(i) not in self._rows}
        if not missing:
            return
        for row in self.db.execute(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id IN ({ids_in(missing)})"):
            self._rows[int(row[0])] = ArticleRow(*row)
        for i in missing:
            self._rows.setdefault(i, None)

    def with_path(self, path: str) -> list[ArticleRow]:
        """The rows already read whose file is `path` (several for a JSONL file)."""
        return [row for row in self._rows.values() if row is not None and row.path == path]

    def get(self, article_id: int) -> ArticleRow | None:
        """The article row (None when it is not in the index)."""
        if article_id not in self._rows:
            self.load((article_id,))
        return self._rows[article_id]


def filter_sql(filters: Filters) -> tuple[str, list[object]]:
    """A WHERE clause over `articles a` for the filters."""
    clauses: list[str] = ["1 = 1"]
    params: list[object] = []
    if filters.since:
        clauses.append("a.date >= ?")
        params.append(filters.since.isoformat())
    if filters.until:
        clauses.append("a.date <= ?")
        params.append(filters.until.isoformat())
    if filters.source:
        clauses.append("a.source LIKE ? ESCAPE '\\'")
        params.append(_like(filters.source))
    if filters.article:
        clauses.append("(a.path LIKE ? ESCAPE '\\' OR a.title LIKE ? ESCAPE '\\')")
        params += [_like(filters.article)] * 2
    return " AND ".join(clauses), params


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def allowed_chunks(db: sqlite3.Connection, filters: Filters) -> np.ndarray | None:
    """Chunk ids that pass the filters (None when there are no filters)."""
    import numpy as np

    if filters.is_empty():
        return None
    where, params = filter_sql(filters)
    rows = db.execute(f"SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id WHERE {where}", params)
    if filters.speaker:
        # A speaker: filter asks for that person's words: only the chunks holding their quotations are searched.
        from assistant.index.quotation_store import chunk_ids_by

        theirs = chunk_ids_by(db, filters.speaker)
        return np.fromiter(sorted(r[0] for r in rows if r[0] in theirs), dtype="int64")
    return np.fromiter((r[0] for r in rows), dtype="int64")


def allowed_articles(db: sqlite3.Connection, filters: Filters) -> set[int] | None:
    """Article ids that pass the filters (None when there are no filters)."""
    if filters.is_empty():
        return None
    where, params = filter_sql(filters)
    found = {int(r[0]) for r in db.execute(f"SELECT a.id FROM articles a WHERE {where}", params)}
    if filters.speaker:
        from assistant.index.quotation_store import article_ids_by

        found &= article_ids_by(db, filters.speaker)
    return found


def chunk_sentence_ranges(db: sqlite3.Connection, chunk_ids: Sequence[int]) -> list[tuple[int, int, int, int]]:
    """(chunk id, article id, first sentence ord, last sentence ord) of the chunks."""
    return db.execute(
        f"SELECT c.id, c.article_id, c.first_sentence, c.last_sentence FROM chunks c WHERE c.id IN ({ids_in(chunk_ids)})"
    ).fetchall()


def sentences_of_chunks(db: sqlite3.Connection, chunk_ids: Sequence[int]) -> list[SentenceRow]:
    """Every sentence of the chunks, once, in article then position order: one join."""
    rows = db.execute(
        "SELECT s.id, s.article_id, s.ord, s.start, s.end, s.paragraph, s.vector FROM chunks c "
        "JOIN sentences s ON s.article_id = c.article_id AND s.ord BETWEEN c.first_sentence AND c.last_sentence "
        f"WHERE c.id IN ({ids_in(chunk_ids)})"
    ).fetchall()
    # Overlapping chunks repeat sentences: they are dropped and the rest sorted here, not by SQLite's
    # DISTINCT and ORDER BY, which copy every row (vector included) through two temporary b-trees.
    unique = {r[0]: r for r in rows}
    return list(map(_sentence_row, sorted(unique.values(), key=_BY_POSITION)))


def sentences_of_articles(db: sqlite3.Connection, article_ids: Iterable[int], longest: int) -> list[SentenceRow]:
    """Every sentence of those of the articles that have at most `longest` sentences, in article then position order."""
    ids = list(article_ids)
    if not ids:
        return []
    rows = db.execute(
        "SELECT id, article_id, ord, start, end, paragraph, vector FROM sentences WHERE article_id IN "
        f"(SELECT article_id FROM sentences WHERE article_id IN ({ids_in(ids)}) GROUP BY article_id HAVING count(*) <= ?) "
        "ORDER BY article_id, ord",
        (longest,),
    ).fetchall()
    return list(map(_sentence_row, rows))


def sentences_by_id(db: sqlite3.Connection, sentence_ids: Iterable[int]) -> list[SentenceRow]:
    """Sentence rows by id, in article then position order."""
    ids = list(sentence_ids)
    if not ids:
        return []
    rows = db.execute(
        "SELECT id, article_id, ord, start, end, paragraph, vector FROM sentences "
        f"WHERE id IN ({ids_in(ids)}) ORDER BY article_id, ord"
    ).fetchall()
    return list(map(_sentence_row, rows))


def sentence_at(db: sqlite3.Connection, article_id: int, ord_: int) -> tuple[int, int, int, int] | None:
    """(id, start, end, paragraph) of the sentence at a position of an article."""
    return db.execute(
        "SELECT id, start, end, paragraph FROM sentences WHERE article_id = ? AND ord = ?", (article_id, ord_)
    ).fetchone()


def article_paths(db: sqlite3.Connection) -> dict[int, str]:
    """Article id -> path, for evaluation."""
    return {int(r[0]): str(r[1]) for r in db.execute("SELECT id, path FROM articles")}


def chunk_spans(db: sqlite3.Connection) -> dict[int, tuple[int, int, int]]:
    """Chunk id -> (article id, start, end), for evaluation."""
    return {int(r[0]): (int(r[1]), int(r[2]), int(r[3])) for r in db.execute("SELECT id, article_id, start, end FROM chunks")}


def text_span(db: sqlite3.Connection, article_id: int, start: int, end: int) -> str | None:
    """The article text of [start, end) (SQL does the slicing), None when the article is gone."""
    row = db.execute("SELECT substr(text, ?, ?) FROM articles WHERE id = ?", (start + 1, end - start, article_id)).fetchone()
    return None if row is None else str(row[0])


def lexical_sentences(
    db: sqlite3.Connection, match: str, k: int, title_weight: float, allowed: set[int] | None = None
) -> list[tuple[int, float]]:
    """(sentence id, bm25 with larger better) of the best `k` sentences of the whole index for an
    FTS5 expression; `allowed` restricts the articles (checked while reading the ranked rows)."""
    sql = f"SELECT rowid, bm25(sentences_lex, {title_weight:.3f}, 1.0) AS s FROM sentences_lex WHERE sentences_lex MATCH ? ORDER BY s"
    try:
        if allowed is None:
            return [(int(i), -float(s)) for i, s in db.execute(sql + " LIMIT ?", (match, k))]
        found: list[tuple[int, float]] = []
        rows = db.execute(
            f"SELECT l.rowid, l.s FROM ({sql}) l JOIN sentences t ON t.id = l.rowid WHERE t.article_id IN ({ids_in(allowed)})",
            (match,),
        )
        for i, s in rows:
            found.append((int(i), -float(s)))
            if len(found) == k:
                break
        return found
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []  # a read-only index of an older schema: lexical candidates come from chunks only
        raise


def sentences_before(db: sqlite3.Connection, positions: Iterable[tuple[int, int]]) -> dict[tuple[int, int], SentenceRow]:
    """The sentence before each (article id, ord) position, keyed by that position."""
    wanted = [(a, o - 1) for a, o in positions if o > 0]
    if not wanted:
        return {}
    values = ",".join(f"({int(a)},{int(o)})" for a, o in wanted)
    # The VALUES list drives the join, so each position is one lookup in sentences_article.
    rows = db.execute(
        "SELECT s.id, s.article_id, s.ord, s.start, s.end, s.paragraph, s.vector "
        f"FROM (VALUES {values}) v CROSS JOIN sentences s ON s.article_id = v.column1 AND s.ord = v.column2"
    ).fetchall()
    return {(r[1], r[2] + 1): _sentence_row(r) for r in rows}


def phrase_sentences(db: sqlite3.Connection, match: str, allowed: set[int] | None = None, limit: int = 2000) -> list[SentenceRow]:
    """Every sentence matching an FTS5 phrase expression, with its article date for ordering:
    article date (undated last), path, then position."""
    try:
        rows = db.execute(
            "SELECT s.id, s.article_id, s.ord, s.start, s.end, s.paragraph, s.vector FROM sentences_lex l "
            "JOIN sentences s ON s.id = l.rowid JOIN articles a ON a.id = s.article_id "
            "WHERE sentences_lex MATCH ? ORDER BY a.date IS NULL, a.date, a.path, a.record, s.ord LIMIT ?",
            (match, limit),
        ).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    return [SentenceRow(*r) for r in rows if allowed is None or r[1] in allowed]


def phrase_count(db: sqlite3.Connection, match: str) -> int:
    """Chunks an FTS5 expression matches anywhere in the index (title or text)."""
    return int(db.execute("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (match,)).fetchone()[0])


def articles_matching(db: sqlite3.Connection, match: str, limit: int = 5000) -> set[int]:
    """Ids of the articles with a sentence matching an FTS5 expression."""
    try:
        rows = db.execute(
            "SELECT DISTINCT s.article_id FROM sentences_lex l JOIN sentences s ON s.id = l.rowid WHERE sentences_lex MATCH ? LIMIT ?",
            (match, limit),
        )
        return {int(r[0]) for r in rows}
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return set()
        raise


def all_sentences(db: sqlite3.Connection) -> list[SentenceRow]:
    """Every sentence with its vector (the dense-only lookup baseline of `assistant eval`)."""
    rows = db.execute("SELECT id, article_id, ord, start, end, paragraph, vector FROM sentences ORDER BY id").fetchall()
    return [SentenceRow(*r) for r in rows]


def quoted_sentences(db: sqlite3.Connection, speaker_keys: Sequence[str]) -> set[int]:
    """Ids of the sentences inside quotations attributed to any of these speaker keys."""
    if not speaker_keys:
        return set()
    marks = ",".join("?" * len(speaker_keys))
    rows = db.execute(
        "SELECT DISTINCT s.id FROM quotations q JOIN sentences s ON s.article_id = q.article_id"
        f" AND s.start < q.end AND s.end > q.start WHERE q.speaker_key IN ({marks})",
        list(speaker_keys),
    )
    return {int(r[0]) for r in rows}


def keyword_articles(db: sqlite3.Connection, match: str, limit: int = 40) -> list[int]:
    """Article ids of the chunks whose body matches an FTS5 expression, best BM25 first (repeats kept)."""
    rows = db.execute(
        "SELECT c.article_id FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid "
        "WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts) LIMIT ?",
        ("body : (" + match + ")", limit),
    ).fetchall()
    return [int(r[0]) for r in rows]


_TWIN_PAIRS = "SELECT a.id, b.id FROM articles a JOIN articles b ON b.content_hash = a.content_hash AND b.id <> a.id"
"""(article, twin) pairs: two articles with the very same text (the same content hash)."""


def twin_articles(db: sqlite3.Connection, article_ids: Iterable[int]) -> dict[int, list[int]]:
    """Article id -> the other articles with the very same text (one story filed twice under two names: the
    same content hash), in id order; articles without a twin are left out."""
    ids = sorted({int(i) for i in article_ids})
    if not ids:
        return {}
    twins: dict[int, list[int]] = {}
    for article_id, twin in db.execute(
        f"{_TWIN_PAIRS} WHERE a.id IN ({ids_in(ids)}) ORDER BY a.id, b.id"
    ).fetchall():
        twins.setdefault(int(article_id), []).append(int(twin))
    return twins


def quotations_of(db: sqlite3.Connection, article_ids: Iterable[int]) -> list[tuple[int, int, int, str | None, str | None]]:
    """(article id, start, end, speaker, role) of every stored quotation of these articles, in
    article then offset order (speaker and role None when the article does not say)."""
    ids = list(article_ids)
    if not ids:
        return []
    try:
        rows = db.execute(
            f"SELECT article_id, start, end, speaker, role FROM quotations WHERE article_id IN ({ids_in(ids)})"
            " ORDER BY article_id, start"
        ).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []  # a read-only index of an older schema: no quotations known
        raise
    return [(int(a), int(s), int(e), sp, role) for a, s, e, sp, role in rows]


class HeldSentences:
    """Every sentence row of one index generation (vectors included), every chunk's sentence range, and the article
    rows, twins and quotations as they were when read, in memory: the reads a question makes of them (300-600 sentence
    rows, a random lookup each all over the file, and 30-40 articles) become dictionary lookups. The same rows, in the
    same order, as the SQL reads above."""

    class Stopped(Exception):
        """The read was given up (`stop()` said so)."""

    def __init__(self, db: sqlite3.Connection, stop: Callable[[], bool] | None = None) -> None:
        """Read them all; `stop()`, asked between steps of a few ms (it may wait), gives up with HeldSentences.Stopped."""

        def step() -> None:
            if stop is not None and stop():
                raise HeldSentences.Stopped

        # In file order (no ORDER BY: a walk of the position index then a lookup a row is slower), sorted here.
        cursor = db.execute("SELECT id, article_id, ord, start, end, paragraph, vector FROM sentences")
        rows: list[SentenceRow] = []
        while batch := cursor.fetchmany(512):
            step()
            rows += map(_sentence_row, batch)
        step()
        rows.sort(key=_BY_POSITION)
        step()
        self._by_id: dict[int, SentenceRow] = {row.id: row for row in rows}
        step()
        self._by_position: dict[tuple[int, int], SentenceRow] = dict(zip(map(_BY_POSITION, rows), rows))
        step()
        self._of_article: dict[int, list[SentenceRow]] = {}
        for row in rows:
            self._of_article.setdefault(row.article_id, []).append(row)
        step()
        self._chunks: dict[int, tuple[int, int, int, int]] = {
            r[0]: r for r in db.execute("SELECT id, article_id, first_sentence, last_sentence FROM chunks")
        }
        step()
        self.articles: dict[int, ArticleRow | None] = {r[0]: ArticleRow(*r) for r in db.execute(f"SELECT {_ARTICLE_COLUMNS} FROM articles")}
        """Article id -> its row (an ArticleCache's `held`; the store drops it when anything is committed)."""
        step()
        twins: dict[int, list[int]] = {}
        for article_id, twin in db.execute(
            f"{_TWIN_PAIRS} ORDER BY a.id, b.id"
        ):
            twins.setdefault(article_id, []).append(twin)
        self._twins = twins
        step()
        quotations: dict[int, list[tuple[int, int, int, str | None, str | None]]] = {}
        try:
            # The order of the per-question read (its index on article and start; rowid among equal starts).
            for article_id, start, end, speaker, role in db.execute(
                "SELECT article_id, start, end, speaker, role FROM quotations ORDER BY article_id, start, id"
            ):
                quotations.setdefault(article_id, []).append((article_id, start, end, speaker, role))
        except sqlite3.OperationalError as exc:
            if "no such table" not in str(exc):
                raise
        self._quotations = quotations

    def quotations_of(self, article_ids: Iterable[int]) -> list[tuple[int, int, int, str | None, str | None]]:
        """As `quotations_of`."""
        out: list[tuple[int, int, int, str | None, str | None]] = []
        for article_id in sorted({int(i) for i in article_ids}):
            out += self._quotations.get(article_id, ())
        return out

    def twin_articles(self, article_ids: Iterable[int]) -> dict[int, list[int]]:
        """As `twin_articles`."""
        twins = self._twins
        return {i: list(twins[i]) for i in sorted({int(i) for i in article_ids}) if i in twins}

    def chunk_sentence_ranges(self, chunk_ids: Sequence[int]) -> list[tuple[int, int, int, int]]:
        """As `chunk_sentence_ranges` (chunk id order)."""
        found = self._chunks
        return [found[c] for c in sorted({int(c) for c in chunk_ids}) if c in found]

    def sentences_of_chunks(self, chunk_ids: Sequence[int]) -> list[SentenceRow]:
        """As `sentences_of_chunks`."""
        unique: dict[int, SentenceRow] = {}
        at = self._by_position
        for _, article_id, first, last in self.chunk_sentence_ranges(chunk_ids):
            for ord_ in range(first, last + 1):
                row = at.get((article_id, ord_))
                if row is not None:
                    unique[row.id] = row
        return sorted(unique.values(), key=_BY_POSITION)

    def sentences_by_id(self, sentence_ids: Iterable[int]) -> list[SentenceRow]:
        """As `sentences_by_id`."""
        found = self._by_id
        return sorted((found[i] for i in {int(i) for i in sentence_ids} if i in found), key=_BY_POSITION)

    def sentences_of_articles(self, article_ids: Iterable[int], longest: int) -> list[SentenceRow]:
        """As `sentences_of_articles`."""
        out: list[SentenceRow] = []
        for article_id in sorted({int(i) for i in article_ids}):
            rows = self._of_article.get(article_id, [])
            if len(rows) <= longest:
                out += rows
        return out

    def sentence_at(self, article_id: int, ord_: int) -> tuple[int, int, int, int] | None:
        """As `sentence_at`."""
        row = self._by_position.get((article_id, ord_))
        return None if row is None else (row.id, row.start, row.end, row.paragraph)

    def sentences_before(self, positions: Iterable[tuple[int, int]]) -> dict[tuple[int, int], SentenceRow]:
        """As `sentences_before`."""
        at = self._by_position
        found: dict[tuple[int, int], SentenceRow] = {}
        for article_id, ord_ in positions:
            row = at.get((article_id, ord_ - 1)) if ord_ > 0 else None
            if row is not None:
                found[article_id, ord_] = row
        return found
