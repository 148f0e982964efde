"""Writing to an index: the model loaded on first need, pending articles embedded with progress, one commit per batch."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import IndexMismatch
from assistant.index import store
from assistant.index import vectors
from assistant.index.consistency import check_consistency
from assistant.index.progress import IndexReport, Progress
from assistant.index.reconcile import Pending
from assistant.models import LoadProblem

if TYPE_CHECKING:
    import numpy as np

    from assistant.embedding.base import Embedder
    from assistant.text.quotations import Quotation


def _human_rate(done: int, total: int, started: float) -> str:
    elapsed = max(time.monotonic() - started, 1e-6)
    rate = done / elapsed
    eta = (total - done) / rate if rate > 0 and total > done else 0.0
    return f"{rate:,.0f}/s, ETA {eta:,.0f}s"


class Writer:
    """The index side of one update: its SQLite rows, its FAISS generation, and the model that fills them."""

    def __init__(
        self,
        corpus: Path,
        index_dir: Path,
        embedder: Callable[[], Embedder],
        report: IndexReport,
        *,
        model_name: str,
        dim: int,
        backend: str,
        on_progress: Callable[[Progress], None],
        file_mode: int | None = None,
    ) -> None:
        self.corpus = corpus
        self.index_dir = index_dir
        self._embedder_factory = embedder
        self._embedder: Embedder | None = None
        self.model_name, self.dim, self.backend = model_name, dim, backend
        self.on_progress = on_progress
        self.report = report
        self.file_mode = file_mode
        """Mode of the files it creates (0o600 for a private corpus); None: the umask's."""
        self.db: Any = None
        self.index: Any = None
        self.generation = 0
        self.first_embedded = 0
        self.embed_started = 0.0
        self.total_files = 0
        """Files this run reads (for the ETA)."""
        self.sentence_vectors: str | None = None
        """How the index's sentence vectors are made (index.embed_pass), recorded in its metadata; None until known."""
        self._sentence_mode = ""

    def open(self) -> None:
        self.db = store.connect(self.index_dir, create=True, mode=self.file_mode)
        # NORMAL may lose the last commits on power loss, and their older FAISS files are deleted
        # by then; FULL costs one fsync per commit, next to the fsync of a whole FAISS file.
        self.db.execute("PRAGMA synchronous = FULL")
        meta = store.get_meta(self.db)
        self.check_model(meta, f"index {self.index_dir}")
        self.check_corpus(meta, f"index {self.index_dir}")
        self.generation = int(meta.get("generation", 0))
        if self.generation:
            self.index = vectors.load(self.index_dir, self.generation)
            check_consistency(self.db, self.index, self.index_dir)
        else:
            self.index = vectors.new_flat(self.dim)
        vectors.cleanup(self.index_dir, keep={self.generation, self.generation - 1})

    def check_model(self, meta: dict[str, str], where: str) -> None:
        """Refuse to add vectors of another model, size or backend to an index built with one (`where` names it)."""
        if not meta.get("model"):
            return
        if meta["model"] != self.model_name or int(meta.get("dim", 0)) != self.dim:
            raise IndexMismatch(
                f"{where} was built with model {meta['model']} ({meta.get('dim')} dims), "
                f"not {self.model_name} ({self.dim}); re-index with `assistant index --rebuild`"
            )
        if meta.get("backend") != self.backend:
            raise IndexMismatch(
                f"{where} was built with the {meta.get('backend')} backend, not {self.backend}; "
                f"use `--backend {meta.get('backend')}` or re-index with `assistant index --rebuild`"
            )

    def check_corpus(self, meta: dict[str, str], where: str) -> None:
        """Refuse to bring an index built from another folder, which still exists, in line with a folder holding
        few of its articles: they would all be removed (a mistyped path, or `--index` pointed at the wrong
        archive). A folder holding most of them (a copy of the index re-indexed without one section) is fine."""
        recorded = meta.get("corpus")
        if not recorded or os.path.abspath(recorded) == os.path.abspath(self.corpus) or not os.path.isdir(recorded):
            return
        articles = self.db.execute("SELECT count(*) FROM articles").fetchone()[0]
        # Portable SQL: the PostgreSQL writer runs this check too (PostgreSQL refuses ORDER BY random() on a DISTINCT).
        sample = [row[0] for row in self.db.execute("SELECT path FROM (SELECT DISTINCT path FROM articles) p ORDER BY random() LIMIT 200")]
        present = sum(os.path.exists(os.path.join(self.corpus, path)) for path in sample)
        if articles and present * 2 < len(sample):
            raise IndexMismatch(
                f"{where} holds {articles} article{'s' * (articles != 1)} from {recorded}, not {self.corpus}; indexing "
                "this folder would remove them: name that folder, another --index, or replace them with "
                "`assistant index --rebuild`"
            )

    def stored_problems(self) -> dict[str, list[LoadProblem]]:
        """file -> the problems recorded when it was last read."""
        return store.stored_problems(self.db)

    def embedder(self) -> Embedder:
        if self._embedder is None:
            self.on_progress(Progress("model", 0, 0, f"loading model {self.model_name} ({self.backend})"))
            self._embedder = self._embedder_factory()
            # The rate and ETA count from the first embedding, not from the model load.
            self.embed_started = time.monotonic()
        return self._embedder

    def _embed(self, pending: Pending, files_done: int, quotations: Sequence[Sequence[Quotation]] | None = None) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Vectors for every chunk and sentence of the pending articles (title-prefixed text), made the way the index
        began with (index.embed_pass: one pass over the sentences for a new one)."""
        from assistant.index import embed_pass

        if not pending.new:
            return [], []
        n_chunks = pending.chunk_count()
        # Files not read yet are estimated at this batch's chunks per file, for the ETA.
        per_file = n_chunks / max(files_done, 1)
        expected = int(self.report.chunks_embedded + n_chunks + per_file * (self.total_files - files_done))
        embedder = self.embedder()
        if self.sentence_vectors is None:
            recorded = store.get_meta(self.db).get(embed_pass.SENTENCE_VECTORS_KEY)
            holds = bool(store.counts(self.db)["sentences"]) if not recorded else True
            mode = embed_pass.sentence_mode(recorded, holds, embedder)
            # What the index says wins: an index stays with the kind of sentence vectors it began with.
            self.sentence_vectors, self._sentence_mode = recorded or mode, mode
            if mode == embed_pass.SEPARATE and embed_pass.sentence_mode(None, False, embedder) != embed_pass.SEPARATE:
                self.on_progress(Progress("model", 0, 0, "this index embeds every chunk and then every sentence (built before "
                                          "one-pass indexing); `assistant index --rebuild` makes indexing about twice as fast"))
            elif mode == embed_pass.CHUNK_MEAN and embed_pass.sentence_mode(None, False, embedder) == embed_pass.SPOKEN:
                self.on_progress(Progress("model", 0, 0, "this index reads quotations without their speakers' names (built "
                                          "before they were read together); `assistant index --rebuild` finds what "
                                          "someone said better"))
        share = n_chunks / max(embed_pass.texts_to_embed(pending.new, self._sentence_mode), 1)
        texts_done = 0

        def on_batch(count: int) -> None:
            nonlocal texts_done
            texts_done += count
            done = int(self.report.chunks_embedded + share * texts_done)
            rate = _human_rate(done - self.first_embedded, expected - self.first_embedded, self.embed_started)
            self.on_progress(Progress("embed", done, max(expected, done), f"embedding {done:,}/{expected:,} chunks ({rate})"))

        found = embed_pass.embed(embedder, pending.new, self._sentence_mode, on_batch, quotations)
        self.report.chunks_embedded += n_chunks
        return found.chunks, found.sentences

    def commit(self, pending: Pending, files_done: int) -> None:
        import numpy as np

        if pending.empty():
            return
        from assistant.index import quotation_store
        from assistant.text.quotations import extract_quotations

        # Quotations and speakers (issue 13), found before the write lock is taken; the vectors of a quotation's
        # sentences hear its speaker's name (embed_pass.SPOKEN).
        quotations = [extract_quotations(article.text) for article, _, _ in pending.new]
        chunk_vecs, sentence_vecs = self._embed(pending, files_done, quotations)
        self.on_progress(Progress("write", 0, 1, "writing index"))
        db = self.db
        removed: list[int] = []
        added_ids: list[int] = []
        with store.transaction(db):
            for article_id in pending.delete_ids:
                removed.extend(store.delete_article(db, article_id))
            store.relocate_articles(db, pending.moves)
            for (article, sentences, chunks), svecs, found in zip(pending.new, sentence_vecs, quotations, strict=True):
                blobs = [v.tobytes() for v in svecs]
                added_ids.extend(store.insert_article(db, article, sentences, chunks, blobs))
                quotation_store.store_article_quotations(db, article.path, article.record, article.text, found)
            for rel in pending.forget_files:
                store.delete_file(db, rel)
            for rel, size, mtime, digest in pending.files:
                store.put_file(db, rel, size, mtime, digest)
            for rel, problems in pending.problems.items():
                store.put_problems(db, rel, problems)
            if removed:
                self.index.remove_ids(np.asarray(removed, dtype="int64"))
            if added_ids:
                matrix = np.concatenate(chunk_vecs).astype("float32")
                self.index.add_with_ids(matrix, np.asarray(added_ids, dtype="int64"))
                # Past EXACT_LIMIT vectors an exact search costs more than a query's budget: switch
                # once to a compressed IVF index (saved below in the same generation as the rows).
                self.index = vectors.compress_if_large(self.index, vectors.EXACT_LIMIT)
            generation = self.generation
            # Touched, moved or unreadable files change no vector: rewriting a large FAISS file for
            # them would be wasted work (the first commit always writes one so readers can open it).
            if removed or added_ids or not generation:
                generation += 1
                # The new FAISS file is complete on disk before SQLite names it: a kill before COMMIT
                # leaves the old generation in force, a kill after leaves the new one, never a mix.
                vectors.save(self.index, self.index_dir, generation, mode=self.file_mode)
            store.set_meta(
                db,
                {
                    "generation": str(generation),
                    "model": self.model_name,
                    "dim": str(self.dim),
                    "backend": self.backend,
                    **({"sentence_vectors": self.sentence_vectors} if self.sentence_vectors else {}),
                    "faiss_type": vectors.kind(self.index),
                    # A folder name that is not UTF-8 comes back with lone surrogates SQLite cannot store.
                    "corpus": str(self.corpus.resolve()).encode("utf-8", "backslashreplace").decode("utf-8"),
                    "updated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                },
            )
        self.generation = generation
        # Keep the previous generation: a reader may be loading it right now.
        vectors.cleanup(self.index_dir, keep={generation, generation - 1})

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
