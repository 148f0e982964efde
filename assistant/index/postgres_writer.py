"""The write side of the PostgreSQL store: the embedded Writer's embedding pass, one PostgreSQL transaction per batch."""

from __future__ import annotations

import datetime as dt
from typing import Any

from assistant.index import quotation_store
from assistant.index import store as sql
from assistant.index.postgres import (
    count_terms,
    ensure_vector_index,
    insert_article,
    open_writer_store,
    safe_url,
    vector_index_choice,
)
from assistant.index.progress import Progress
from assistant.index.writer import Writer
from assistant.models import LoadProblem


QUOTATION_BATCH = 500
"""Article texts read at a time when quotations are extracted again."""


class PgWriter(Writer):
    """The write side of a PostgreSQL store: one transaction per batch, chunk_terms kept in step."""

    def open(self) -> None:
        url = str(self.index_dir)
        self.location = safe_url(url)
        self.db = open_writer_store(url)
        if getattr(self, "rebuilding", False):
            self.rebuild()  # before the model check: a rebuild may change the model
        meta = {str(k): str(v) for k, v in self.db.raw("SELECT key, value FROM meta").fetchall()}
        self.check_model(meta, f"store {self.location}")
        self.check_corpus(meta, f"store {self.location}")
        self.generation = int(meta.get("generation", 0))
        self.vector_index = meta.get("vector_index") or vector_index_choice()
        if self.generation and int(meta.get("quotation_rules") or 0) < quotation_store.QUOTATION_RULES:
            self.extract_quotations_again()

    def extract_quotations_again(self) -> None:
        """The quotations of every stored article extracted again with this version's speaker rules, in one transaction
        under a new generation (readers drop what they remembered of the old ones): the embedded store's migrations
        do this on opening, but a PostgreSQL store's readers never write, so the indexer does it for them."""
        db = self.db
        ids = [int(row[0]) for row in db.raw("SELECT id FROM articles ORDER BY id")]
        message = "extracting quotations again (new speaker rules)"
        with db.conn.transaction():
            for first in range(0, len(ids), QUOTATION_BATCH):
                self.on_progress(Progress("write", first, len(ids), message))
                batch = ids[first:first + QUOTATION_BATCH]
                for article_id, text in db.raw("SELECT id, text FROM articles WHERE id = ANY(%s) ORDER BY id", (batch,)).fetchall():
                    quotation_store.store_quotations(db, int(article_id), str(text))
            self.generation += 1
            db.conn.cursor().executemany(
                "INSERT INTO meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [("generation", str(self.generation)), ("quotation_rules", str(quotation_store.QUOTATION_RULES))],
            )
        self.on_progress(Progress("write", len(ids), len(ids), message))

    def stored_problems(self) -> dict[str, list[LoadProblem]]:
        found: dict[str, list[LoadProblem]] = {}
        for file, path, message, skipped in self.db.raw("SELECT file, path, message, skipped FROM problems ORDER BY id"):
            found.setdefault(file, []).append(LoadProblem(path, message, bool(skipped)))
        return found

    def rebuild(self) -> None:
        """Empty the store (`--rebuild`): one transaction, the schema and the writer lock kept."""
        with self.db.conn.transaction():
            self.db.raw("TRUNCATE articles, sentences, chunks, chunk_terms, quotations, files, problems, meta")
            self.db.raw("DROP INDEX IF EXISTS chunks_embedding")
        self.generation = 0

    def commit(self, pending: Any, files_done: int) -> None:
        if pending.empty():
            return
        from assistant.text.quotations import extract_quotations

        quotations = [extract_quotations(article.text) for article, _, _ in pending.new]
        chunk_vecs, sentence_vecs = self._embed(pending, files_done, quotations)
        self.on_progress(Progress("write", 0, 1, "writing index"))
        db = self.db
        removed = added = 0
        with db.conn.transaction():
            if not self.generation:
                ensure_vector_index(db, self.dim, self.vector_index)
            for article_id in pending.delete_ids:
                ids = sql.chunk_ids_of(db, article_id)
                count_terms(db, ids, -1)
                db.raw("DELETE FROM articles WHERE id = %s", (article_id,))  # sentences, chunks, quotations cascade
                removed += len(ids)
            sql.relocate_articles(db, pending.moves)
            for (article, sentences, chunks), svecs, cvecs, found in zip(
                pending.new, sentence_vecs, chunk_vecs, quotations, strict=True
            ):
                ids = insert_article(db, article, sentences, chunks, [v.tobytes() for v in svecs], cvecs)
                count_terms(db, ids, 1)
                added += len(ids)
                quotation_store.store_article_quotations(db, article.path, article.record, article.text, found)
            for rel in pending.forget_files:
                sql.delete_file(db, rel)
            for rel, size, mtime, digest in pending.files:
                db.raw(
                    "INSERT INTO files (path, size, mtime_ns, hash) VALUES (%s, %s, %s, %s) ON CONFLICT (path) DO UPDATE "
                    "SET size = excluded.size, mtime_ns = excluded.mtime_ns, hash = excluded.hash",
                    (rel, size, mtime, digest),
                )
            for rel, problems in pending.problems.items():
                sql.put_problems(db, rel, problems)
            generation = self.generation + 1 if (removed or added or not self.generation) else self.generation
            values = {
                "generation": str(generation),
                "model": self.model_name,
                "dim": str(self.dim),
                "backend": self.backend,
                "faiss_type": f"pgvector-{self.vector_index}",
                "vector_index": self.vector_index,
                "quotation_rules": str(quotation_store.QUOTATION_RULES),
                **({"sentence_vectors": self.sentence_vectors} if getattr(self, "sentence_vectors", None) else {}),
                "corpus": str(self.corpus.resolve()).encode("utf-8", "backslashreplace").decode("utf-8"),
                "updated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            }
            db.conn.cursor().executemany(
                "INSERT INTO meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                list(values.items()),
            )
        self.generation = generation

    def close(self) -> None:
        if self.db is not None:
            import psycopg

            try:
                # The server drops a session's advisory locks only when its backend has exited, a moment after the
                # client closed: a writer starting at once (the next cron run, a test) would find the store locked.
                self.db.raw("SELECT pg_advisory_unlock_all()")
            except psycopg.Error:
                pass  # a broken connection: its backend is gone or going, and the lock with it
            self.db.close()
            self.db = None
