"""The library API the CLI and TUI share: open an index, ask questions, read articles."""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.index import store
from assistant.index import vectors
from assistant.search.answer import AnswerPolicy, build_quotes, policy_for
from assistant.errors import EngineError, QuestionError, StoreError, VectorError
from assistant.index.consistency import check_consistency, index_size
from assistant.search.keywords import TermStats
from assistant.models import Answer, Article, Filters, IndexStats
from assistant.text.query import followup_text, merge_filters, parse_question
from assistant.search.retrieval import Retrieval, Weights, retrieve

if TYPE_CHECKING:
    from assistant.embedding.base import Embedder

__all__ = ["Engine", "EngineError"]


_NUMBER_RE = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w])")



class Engine:
    """An open index with its embedding model: answers questions with verbatim quotes."""

    def __init__(
        self,
        index_dir: Path,
        *,
        model: str | None = None,
        backend: str | None = None,
        embedder: Embedder | None = None,
        weights: Weights | None = None,
        policy: AnswerPolicy | None = None,
    ) -> None:
        self.index_dir = index_dir
        self.weights = weights or Weights()
        self._lock = threading.Lock()
        try:
            self.db = store.connect(index_dir)
            self.meta = store.get_meta(self.db)
        except StoreError as exc:
            raise EngineError(" ".join(str(exc).split())) from exc
        except sqlite3.DatabaseError as exc:
            raise EngineError(_damaged(index_dir, exc)) from exc
        if not self.meta.get("generation"):
            raise EngineError(f"index {index_dir} is empty (run `assistant index` first)")
        self.generation = 0
        self.index: Any = None
        self.terms = TermStats(self.db)
        self._refresh()
        self.embedder = embedder or self._load_embedder(model, backend)
        self.policy = policy or policy_for(self.embedder.model_name)

    def _load_embedder(self, model: str | None, backend: str | None) -> Embedder:
        from assistant.embedding.base import model_identity, resolve_model_path
        from assistant.embedding.registry import load_embedder, reads_model

        chosen = backend or self.meta.get("backend")
        if not reads_model(chosen):
            return load_embedder(None, chosen)  # a model-free backend (the hashing fake): nothing to check
        try:
            path = resolve_model_path(model)
            name, dim = model_identity(path)
        except (ValueError, OSError) as exc:
            raise EngineError(str(exc)) from exc
        if name != self.meta.get("model") or dim != int(self.meta.get("dim", 0)):
            raise EngineError(
                f"index {self.index_dir} was built with {self.meta.get('model')} ({self.meta.get('dim')} dims) but the "
                f"model is {name} ({dim} dims); re-index with `assistant index --rebuild`"
            )
        try:
            return load_embedder(path, backend or self.meta.get("backend") or None)
        except Exception as exc:  # a broken model folder or ONNX cache must not end as a traceback
            raise EngineError(f"cannot load model {path}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from exc

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[None]:
        """One read transaction: the generation, the FAISS file it names and every row read
        belong to the same committed state, whatever another process commits meanwhile."""
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            self.db.execute("COMMIT")

    def _reload(self) -> None:
        """Load the FAISS generation SQLite names, if it changed (another process re-indexed).

        Call inside `_snapshot()`.
        """
        row = self.db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        generation = int(row[0]) if row else 0
        if generation == self.generation:
            return
        meta = store.get_meta(self.db)
        if self.index is not None and (meta.get("model"), meta.get("dim")) != (self.meta.get("model"), self.meta.get("dim")):
            # `index --rebuild` with another model swapped a new index in: this one's vectors and
            # model no longer fit it, and answering from the old vectors would pick the wrong rows.
            raise EngineError(
                f"index {self.index_dir} was rebuilt with {meta.get('model')} ({meta.get('dim')} dims); open it again"
            )
        index = vectors.load(self.index_dir, generation)
        if index.d != int(meta.get("dim", index.d)):
            raise VectorError(
                f"{vectors.vector_path(self.index_dir, generation)} holds {index.d}-dimension vectors, the index "
                f"{meta.get('dim')}; rebuild it with `assistant index --rebuild`"
            )
        check_consistency(self.db, index, self.index_dir)
        self.index, self.generation = index, generation
        self.meta = meta
        self.terms.reset()

    def _refresh(self) -> None:
        """Open the newest generation; a file deleted under us by two quick commits is retried."""
        for attempt in range(3):
            try:
                with self._snapshot():
                    self._reload()
                return
            except VectorError as exc:
                if attempt == 2:
                    if self.index is not None:
                        return  # keep answering from the generation already in memory
                    raise EngineError(str(exc)) from exc
            except sqlite3.DatabaseError as exc:
                raise EngineError(f"{self.index_dir}: {exc}; rebuild it with `assistant index --rebuild`") from exc

    def ask(
        self,
        question: str,
        *,
        filters: Filters | None = None,
        max_quotes: int = 5,
        previous: Answer | None = None,
    ) -> Answer:
        """Answer a question with verbatim quotes (or abstain); inline filters in the text are honoured."""
        return self.answer_with_evidence(question, filters=filters, max_quotes=max_quotes, previous=previous)[0]

    def answer_with_evidence(
        self,
        question: str,
        *,
        filters: Filters | None = None,
        max_quotes: int = 5,
        previous: Answer | None = None,
    ) -> tuple[Answer, Retrieval | None]:
        """`ask`, also returning the retrieval behind the answer (for evaluation)."""
        started = time.perf_counter()
        try:
            parsed = parse_question(question)
        except QuestionError as exc:
            return self._refusal(question, filters or Filters(), str(exc), started), None
        active = merge_filters(filters, parsed.filters)
        if not any(ch.isalnum() for ch in parsed.text):
            return self._refusal(question, active, "the question has no words to search for", started), None
        searched = followup_text(parsed.text, previous)
        with self._lock:
            vector = self.embedder.encode([searched])[0]
            try:
                with self._snapshot():
                    try:
                        self._reload()
                    except VectorError:
                        if self.index is None:
                            raise
                        # Two quick commits deleted the file this snapshot names: answer from the
                        # generation in memory (ids of chunks gone since simply find no rows).
                    found = retrieve(self.db, self.index, vector, searched, active, self.weights, self.terms)
                    best = max((s.dense for s in found.sentences), default=0.0)
                    # Both levels vote: a short "what did X say" question can match a whole chunk
                    # better than any one sentence; a keyword-only sentence needs its chunk's support.
                    confidence = (best + found.top_dense) / 2 if found.sentences else 0.0
                    answered = bool(found.sentences) and confidence >= self.policy.abstain_below
                    missing = self._missing_numbers(parsed.text, found) if answered else []
                    answered = answered and not missing
                    quotes = build_quotes(self.db, found, max_quotes, self.policy, weak=not answered)
            except (EngineError, VectorError) as exc:
                return self._refusal(question, active, str(exc), started), None
            except sqlite3.DatabaseError as exc:
                message = f"search failed: {exc}; if this persists, rebuild with `assistant index --rebuild`"
                return self._refusal(question, active, message, started), None
        if not found.sentences:
            message = "nothing in the corpus matches" + (f" ({active.describe()})" if not active.is_empty() else "")
        elif missing:
            message = (
                f"the closest passages do not mention {', '.join(missing)}; they are shown below as weak matches"
            )
        elif not answered:
            message = "the corpus does not appear to answer this question; closest passages below are weak matches"
        else:
            message = ""
        answer = Answer(
            question=question,
            searched=searched,
            filters=active,
            answered=answered,
            quotes=quotes,
            message=message,
            seconds=time.perf_counter() - started,
            extra={
                "confidence": confidence,
                "top_sentence_dense": best,
                "top_chunk_dense": found.top_dense,
                "top_score": found.sentences[0].score if found.sentences else 0.0,
            },
        )
        return answer, found

    def _missing_numbers(self, question: str, found: Retrieval) -> list[str]:
        """Numbers of the question (a year, an amount) absent from the best passage's article.

        A passage about 2018 does not answer a question about 2019, however similar the words.
        """
        numbers = list(dict.fromkeys(_NUMBER_RE.findall(question)))
        if not numbers or not found.sentences:
            return []
        lead = found.sentences[0].article_id
        row = found.articles.get(lead) if found.articles is not None else None
        haystack = f"{row.text} {row.title}" if row else ""
        return [n for n in numbers if not re.search(rf"(?<![\d.,]){re.escape(n)}(?![\d])", haystack)]

    def _refusal(self, question: str, filters: Filters, message: str, started: float) -> Answer:
        return Answer(question, question, filters, False, (), message, time.perf_counter() - started)

    def article(self, article_id: int) -> Article:
        """The full article (quotes' offsets index into its text)."""
        found = store.get_article(self.db, article_id)
        if found is None:
            raise EngineError(f"article {article_id} is no longer in the index")
        return found

    def stats(self) -> IndexStats:
        """Counts, model and size of the open index."""
        return read_stats(self.index_dir, self.db)

    def sources(self) -> list[str]:
        """Distinct outlets, for filter pickers."""
        return store.sources(self.db)

    def close(self) -> None:
        """Release the database."""
        self.db.close()


def _damaged(index_dir: Path, exc: Exception) -> str:
    """One line for a damaged database (SQLite may quote schema text with newlines)."""
    reason = " ".join(str(exc).split())[:160]
    return f"index {index_dir} is damaged ({reason}); rebuild it with `assistant index --rebuild`"


def read_stats(index_dir: Path, db: sqlite3.Connection | None = None) -> IndexStats:
    """Statistics of an index folder without loading the model."""
    own = db is None
    try:
        conn = db or store.connect(index_dir)
    except StoreError as exc:
        raise EngineError(" ".join(str(exc).split())) from exc
    try:
        meta = store.get_meta(conn)
        n = store.counts(conn)
    except sqlite3.DatabaseError as exc:
        raise EngineError(_damaged(index_dir, exc)) from exc
    finally:
        if own:
            conn.close()
    # Indexes written before the large-index switch have no faiss_type and are all flat.
    faiss_type = meta.get("faiss_type", "flat") if meta.get("generation") else ""
    return IndexStats(
        articles=n["articles"],
        chunks=n["chunks"],
        sentences=n["sentences"],
        files=n["files"],
        model=meta.get("model", ""),
        dim=int(meta.get("dim", 0)),
        backend=meta.get("backend", ""),
        size_bytes=index_size(index_dir),
        updated=meta.get("updated"),
        corpus=meta.get("corpus"),
        faiss_type=faiss_type,
    )

