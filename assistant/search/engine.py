"""The library API the CLI and TUI share: open an index, ask questions, read articles."""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.index import store
from assistant.index.stores import EmbeddedStore, Store, is_url, open_store, shown_location
from assistant.search.answer import AnswerPolicy, article_support, build_quotes, policy_for, sentence_quote, unsupported
from assistant.errors import EngineError, QuestionError, StoreError, VectorError, first_line
from assistant.search.keywords import loose_words, phrase, support_stem
from assistant.models import Answer, Article, Filters, IndexStats, Quote
from assistant.text.names import fold
from assistant.text.query import FRAGMENT, NAME, QUESTION, SAID_ABOUT, WHO_SAID, QueryShape, content_words, followup_text, is_speech, words, merge_filters, parse_question, query_shape, speech_gist
from assistant.search.retrieval import Retrieval, Weights, retrieve, speech_by

if TYPE_CHECKING:
    import datetime as dt

    from assistant.embedding.base import Embedder
    from assistant.index.reads import ArticleRow, SentenceRow
    from assistant.search.people import Person, Timeline

__all__ = ["Engine", "EngineError"]


_NUMBER_RE = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w])")



class Engine:
    """An open index with its embedding model: answers questions with verbatim quotes."""

    def __init__(
        self,
        index_dir: Path | str,
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
            self.store: Store = open_store(index_dir)
        except StoreError as exc:
            raise EngineError(" ".join(str(exc).split())) from exc
        except sqlite3.DatabaseError as exc:
            raise EngineError(_damaged(index_dir, exc)) from exc
        self.db = self.store.db
        """The store's connection (`?` placeholders): portable SQL of the edges runs on it."""
        self.meta = self.store.meta
        if not self.meta.get("generation"):
            self.store.close()
            raise EngineError(f"index {shown_location(index_dir)} is empty (run `assistant index` first)")
        self.terms = self.store.term_stats()
        self._memo: dict[tuple[str, str], Any] = {}
        self._encoding: concurrent.futures.ThreadPoolExecutor | None = None
        # The model loads on the encoding thread while this one reads the vectors: ONNX Runtime releases the GIL
        # while it builds its session, so a cold start pays for the slower of the two, not their sum.
        loading = None if embedder else self._encoder().submit(self._load_embedder, model, backend)
        try:
            self._refresh()
            if loading is not None and not loading.done():
                # The vectors are read before the model is ready: meanwhile import what every answer needs later
                # (the quotation rules compile some 40 regexes) instead of waiting idle.
                import assistant.text.quotations  # noqa: F401
            self.embedder = embedder or loading.result()  # type: ignore[union-attr]
        except BaseException:
            if loading is not None:
                concurrent.futures.wait([loading])  # the thread ends before the store it was opened for closes
            self.close()
            raise
        self.policy = policy or policy_for(self.embedder.model_name)

    def _load_embedder(self, model: str | None, backend: str | None) -> Embedder:
        from assistant.embedding.base import model_identity, resolve_model_path
        from assistant.embedding.registry import load_embedder, reads_model
        from assistant.settings import DEFAULT_BACKEND

        chosen = backend or self.meta.get("backend")
        if not reads_model(chosen):
            # A model-free backend (the hashing fake) searches only an index it built: its vectors mean nothing
            # beside a real model's.
            fake = load_embedder(None, chosen)
            built_with = self.meta.get("model")
            if built_with and built_with != fake.model_name:
                raise EngineError(
                    f"index {shown_location(self.index_dir)} was built with {built_with}; the {chosen} backend cannot search it "
                    "(leave --backend out to search it with its own model)"
                )
            return fake
        try:
            path = resolve_model_path(model)
            name, dim = model_identity(path)
        except (ValueError, OSError) as exc:
            raise EngineError(str(exc)) from exc
        if name != self.meta.get("model") or dim != int(self.meta.get("dim", 0)):
            raise EngineError(
                f"index {shown_location(self.index_dir)} was built with {self.meta.get('model')} ({self.meta.get('dim')} dims) but the "
                f"model is {name} ({dim} dims); re-index with `assistant index --rebuild`"
            )
        # One question is a few dozen tokens: ONNX Runtime's second thread costs more in hand-offs than it saves
        # (encoding wall p50 5.1-5.4 -> 4.0-4.4 ms, CPU 8.2-8.7 -> 4.2-4.4 ms on BBC questions) and takes the core
        # the keyword searches run on meanwhile. Same vectors either way.
        threads = QUERY_THREADS if (chosen or DEFAULT_BACKEND).startswith("onnx") else None
        try:
            return load_embedder(path, chosen or None, threads=threads)
        except Exception as exc:  # a broken model folder or ONNX cache must not end as a traceback
            raise EngineError(f"cannot load model {path}: {first_line(exc)}") from exc

    def _snapshot(self) -> contextlib.AbstractContextManager[None]:
        """One read transaction of the store: every row and vector read belongs to one committed state."""
        return self.store.snapshot()

    def _reload(self) -> None:
        """Pick up what another process committed (a new generation). Call inside `_snapshot()`."""
        try:
            changed = self.store.refresh()
        except VectorError:
            self._memo.clear()  # the rows may already be newer than the vectors in memory
            raise
        if changed:
            self.meta = self.store.meta
            self._memo.clear()

    def _remembered(self, kind: str, key: str, read: Callable[[], Any]) -> Any:
        """`read()`, remembered for the index generation in use: a name or phrase asked about again (the
        same person in several questions) is not searched for again. Callers must not change the value."""
        if (kind, key) not in self._memo:
            if len(self._memo) >= MEMO_ENTRIES:
                self._memo.clear()
            self._memo[kind, key] = read()
        return self._memo[kind, key]

    def _query_vector(self, text: str) -> Any:
        """The question's vector; for a speech question that describes its speaker or asks who said something, blended
        with the vector of its gist (`speech_gist`, GIST_SHARE of it). A unit vector either way. Two encodings, not one
        batch of two: int8 quantises a batch's activations together, so a batch would change the question's own vector."""
        whole = self.embedder.encode([text])[0]
        gist = speech_gist(text)
        if gist is None:
            return whole
        import numpy as np

        said = self.embedder.encode([gist])[0]
        blended = (1.0 - GIST_SHARE) * whole + GIST_SHARE * said
        return (blended / (np.linalg.norm(blended) or 1.0)).astype(np.float32)

    def _encoder(self) -> concurrent.futures.ThreadPoolExecutor:
        """The one thread that encodes questions beside the keyword searches (made on first use)."""
        if self._encoding is None:
            self._encoding = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="assistant-encode")
        return self._encoding

    @property
    def index(self) -> Any:
        """The embedded store's FAISS index (None for other stores)."""
        return getattr(self.store, "index", None)

    @property
    def generation(self) -> int:
        """The generation of the index in use."""
        return int(getattr(self.store, "generation", 0))

    def _refresh(self) -> None:
        """Open the newest generation; a file deleted under us by two quick commits is retried."""
        for attempt in range(3):
            try:
                with self._snapshot():
                    self._reload()
                return
            except VectorError as exc:
                if attempt == 2:
                    if self.store.has_vectors():
                        return  # keep answering from the generation already in memory
                    raise EngineError(str(exc)) from exc
            except self.store.database_errors as exc:
                raise EngineError(f"{self.store.location}: {exc}" + (_REBUILD_IT if isinstance(self.store, EmbeddedStore) else "")) from exc

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
            # The model encodes on a thread while this one runs the keyword searches (ONNX Runtime and SQLite
            # both release the GIL); retrieve() waits for the vector only when the vector search needs it.
            encoding = self._encoder().submit(self._query_vector, searched)
            searching: concurrent.futures.Future[Any] | None = None
            try:
                with self._snapshot():
                    try:
                        self._reload()
                    except VectorError:
                        if not self.store.has_vectors():
                            raise
                        # Two quick commits deleted the file this snapshot names: answer from the
                        # generation in memory (ids of chunks gone since simply find no rows).
                    # The vector search follows the encoding on its thread (numpy releases the GIL); it reads only
                    # the vectors in memory, so not with a store whose search is SQL on the shared connection.
                    searching = self._encoder().submit(
                        lambda: self.store.vector_search(encoding.result(), self.weights.dense_k, None)
                    ) if active.is_empty() and isinstance(self.store, EmbeddedStore) else None
                    shape = query_shape(parsed.text)
                    absent = self._absent(shape, parsed.text)
                    quoted = self._quoted_sentences(shape) if not absent else None
                    prefer, unspoken = self._speaker_articles(shape, quoted) if not absent else (None, None)
                    found = retrieve(
                        self.store, encoding.result, searched, active, self.weights, self.terms, shape=shape, prefer=prefer,
                        quoted=quoted, dense_search=searching.result if searching is not None else None,
                    )
                    if active.speaker:
                        # A speaker: filter asks for that person's words: the chunks around them also hold narration
                        # and others' words, which would fill the five quotes and then be dropped, leaving none.
                        inside = self._sentences_quoting(active.speaker) or set()
                        found = dataclasses.replace(found, sentences=tuple(s for s in found.sentences if s.sentence_id in inside))
                    best = max((s.dense for s in found.sentences), default=0.0)
                    # Both levels vote: a short "what did X say" question can match a whole chunk
                    # better than any one sentence; a keyword-only sentence needs its chunk's support.
                    confidence = (best + found.top_dense) / 2 if found.sentences else 0.0
                    lexical = lexical_evidence(found)
                    answered = bool(found.sentences) and (confidence >= self.policy.abstain_below or lexical)
                    missing = self._missing_numbers(parsed.text, found) if answered and not lexical else []
                    answered = answered and not missing and not absent and not unspoken
                    weak_reason = unsupported(
                        shape, found, confidence, lexical, lambda article_id: self._support(searched, found, article_id),
                        self.policy, large=self.terms.rows() >= LARGE_INDEX_CHUNKS,
                        article_text=lambda article_id: _article_text(found, article_id),
                    ) if answered else None
                    answered = answered and weak_reason is None
                    quotes = build_quotes(self.store, found, max_quotes, self.policy, weak=not answered)
                    quotes = _with_speakers(self.db, quotes, active.speaker, found.articles)
                    if not answered and not absent and not unspoken and _asks_for_speaker_of(shape, parsed.text, quotes):
                        # 'What did Zulfugarov say?' / 'What did the union official say?': the first quote is a
                        # quotation by exactly whom the question names, which is the answer whatever the cosine.
                        answered, weak_reason = True, None
                        quotes = tuple(dataclasses.replace(q, weak=False) for q in quotes)
                    speaker_line = _speaker_line(self.db, quotes) if answered and shape.kind == WHO_SAID else ""
            except (EngineError, VectorError) as exc:
                return self._refusal(question, active, str(exc), started), None
            except self.store.database_errors as exc:
                # The rebuild advice is for a damaged index folder; a server's errors (a lost connection is
                # StoreConnectionError, an EngineError, above) are not mended by rebuilding.
                message = f"search failed: {' '.join(str(exc).split())}" + (
                    "; if this persists, rebuild with `assistant index --rebuild`" if isinstance(self.store, EmbeddedStore) else "")
                return self._refusal(question, active, message, started), None
            finally:
                concurrent.futures.wait([encoding] + ([searching] if searching is not None else []))  # nothing left running
        if absent:
            message = f"no article mentions {' or '.join(absent)}" + (
                "; the closest passages below are weak matches" if quotes else ""
            )
        elif unspoken:
            message = f"{unspoken}; the closest passages below are weak matches"
        elif not found.sentences:
            message = "nothing in the corpus matches" + (f" ({active.describe()})" if not active.is_empty() else "")
            if (active.since or active.until) and not self._any_dated():
                message += ": no article in the index has a date, so since: and until: match none"
        elif weak_reason:
            message = weak_reason
        elif missing:
            message = (
                f"the closest passages do not mention {', '.join(missing)}; they are shown below as weak matches"
            )
        elif not answered:
            message = "the corpus does not appear to answer this question; closest passages below are weak matches"
        else:
            message = speaker_line
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
                "lexical_evidence": float(lexical),
            },
        )
        return answer, found

    def _absent(self, shape: QueryShape, text: str) -> list[str]:
        """What the query names that no passage of the index holds: a name as written ('Lewis Hamilton',
        'Brexit'), and on a large index any longer word of a question ('bitcoin'): in a vocabulary of
        thousands of articles a word that never occurs is a topic the corpus does not cover. On a small
        index most words are simply unused, so there only names count, and only names none of whose
        words occurs: there a name some of whose words occur, just never as written, is more often a
        misremembered or re-cased one ('Western Europe' for 'western and southern Europe', 'Who did
        Emma Marry?', 'Sand Bernardino') than a topic the corpus lacks (SQuAD answered 0.964 -> 0.977)."""
        absent = []
        large = self.terms.rows() >= LARGE_INDEX_CHUNKS
        for name in shape.names:
            parts = words(name)
            match = phrase(" ".join(parts)) if parts else ""
            if not parts or self._phrase_count(match) != 0:
                continue
            if large and shape.kind in (FRAGMENT, NAME) and self._side_by_side(parts):
                # Keywords naming two things side by side ('Wenger Arsenal', 'Matt Williams Scotland', 'Joss Stone
                # Brit'), each written somewhere as a whole and found with the other. Not in questions.
                continue
            if large or not any(self.terms.frequencies(parts)):
                absent.append(name)
        if shape.kind != QUESTION and shape.kind != SAID_ABOUT and shape.kind != WHO_SAID:
            return absent
        if not large:
            return absent
        named = {w for name in shape.names for w in words(name)}
        candidates = [w for w in content_words(text) if w.isalpha() and len(w) >= 4 and w not in named]
        for word, count in zip(candidates, self.terms.frequencies(candidates), strict=True):
            if count == 0:
                absent.append(word)
        return absent

    def _phrase_count(self, match: str) -> int:
        """The store's count of an FTS5 phrase (store.phrase_count), remembered for the index generation in use."""
        return self._remembered("count", match, lambda: self.store.phrase_count(match))

    def _side_by_side(self, parts: list[str]) -> bool:
        """True when a name never written as a whole is two names side by side: its words before some point and
        those after it are each written somewhere, and one sentence holds both. A title never written ("Britain's Got
        Talent") is no two names: 'Britain's Got' and 'Got Talent' are not written as such."""
        for i in range(1, len(parts)):
            left, right = phrase(" ".join(parts[:i])), phrase(" ".join(parts[i:]))
            if self._phrase_count(left) and self._phrase_count(right):
                match = f"body : ({left} AND {right})"
                if self._remembered("together", match, lambda: self.store.lexical_sentences(match, 1, 1.0)):
                    return True
        return False

    def _support(self, text: str, found: Retrieval, article_id: int) -> float:
        """The share of the query's idf that an article of the retrieval holds (answer.article_support)."""
        row = found.articles.get(article_id) if found.articles is not None else None
        if row is None:
            return 1.0
        cws = content_words(text)
        return article_support(cws, self.terms.frequencies(cws), self.terms.rows(), _article_text(found, article_id))

    def _quoted_sentences(self, shape: QueryShape) -> set[int] | None:
        """For 'what did X say about Y': the sentences inside quotations the store attributes to X
        (None when it knows no such person)."""
        if shape.kind != SAID_ABOUT or not shape.speaker:
            return None
        return self._sentences_quoting(shape.speaker)

    def _sentences_quoting(self, speaker: str) -> set[int] | None:
        """The sentences inside quotations the store attributes to the person `speaker` means (None for nobody)."""
        from assistant.index.quotation_store import person_matches

        def read() -> set[int] | None:
            keys = person_matches(self.db, speaker)
            return (self.store.quoted_sentences(keys) or None) if keys else None

        return self._remembered("quoted", speaker, read)

    def _speaker_articles(
        self, shape: QueryShape, quoted: set[int] | None = None
    ) -> tuple[set[int] | None, str | None]:
        """For 'what did X say about Y': the articles naming X and speaking of Y (preferred), or what the index shows
        when X is named but never speaks of Y: "no article has X speaking about Y" when no article names both, or,
        when the index holds quotations by X (`quoted`, their sentences), "no quotation by X mentions Y" when none of
        them holds a word of Y and no sentence has X saying it ('What did Michael Howard say about football?' where
        only another speaker in his article calls policing "a political football"). The second says only what was
        searched: X's words may reach Y through 'he said' or 'the chancellor said', which no rule here reads."""
        if shape.kind != SAID_ABOUT or not shape.speaker or not shape.topic:
            return None, None
        speaker_words = content_words(shape.speaker)
        topic_words = [w for w in content_words(shape.topic) if w not in speaker_words]
        if not speaker_words or not topic_words:
            return None, None
        by_name = " AND ".join(phrase(w) for w in speaker_words)
        named = self._remembered("articles", by_name, lambda: self.store.articles_matching(by_name))
        if not named:
            return None, None  # a role ("the union official"): nothing to check by name
        # Y's words and their relatives: 'nerves' must find "I was so nervous", or X would be said never to speak of it.
        about = " OR ".join(loose_words(w) for w in topic_words)
        topical = self._remembered("articles", about, lambda: self.store.articles_matching(about))
        both = named & topical
        if not both:
            # A description ('the Arsenal manager') is not a name: the story may call him 'Arsenal boss', so finding no
            # article with its words and Y's proves nothing. Only a name absent beside Y is evidence.
            return None, (None if _describes(shape.speaker) else f"no article has {shape.speaker} speaking about {shape.topic}")
        if quoted:
            # Reported speech names the person by surname ('..., Mr Howard added'): the surname counts when it is the
            # subject of a speech verb. 'Mourinho has insisted that Sir Alex Ferguson and Arsene Wenger would swap
            # places' names Wenger and Mourinho but is not Wenger speaking.
            if not self._reports(shape.speaker, f"body : (({phrase(speaker_words[-1])}) AND ({about}))", both):
                holding = self.store.lexical_sentences(f"body : ({about})", 5000, 1.0, both)
                if not any(sentence_id in quoted for sentence_id, _ in holding) and not self._quoted_in_story_of(
                    shape.speaker, both, topic_words
                ):
                    return None, f"no quotation by {shape.speaker} mentions {shape.topic}"
        return both, None

    def _reports(self, speaker: str, match: str, allowed: set[int]) -> bool:
        """Whether a sentence of the `allowed` articles found by `match` (X's surname and Y's words) has X as the
        subject of a speech verb ('Mr Howard added', 'said Mr Brown'); any match counts when X has no such pattern."""
        pattern = speech_by(speaker)
        found = self.store.lexical_sentences(match, 1 if pattern is None else REPORTED_SENTENCES, 1.0, allowed)
        if pattern is None or not found:
            return bool(found)
        rows = self.store.sentences_by_id(sentence_id for sentence_id, _ in found)
        articles = self.store.articles()
        articles.load({r.article_id for r in rows})
        for r in rows:
            article = articles.get(r.article_id)
            if article is not None and pattern.search(article.text[r.start : r.end]):
                return True
        return False

    def _quoted_in_story_of(self, speaker: str, allowed: set[int], topic_words: list[str]) -> bool:
        """Whether the person `speaker` means is quoted in one of the `allowed` articles whose title holds a word of Y:
        Michael Howard's words in 'Iraq advice claim sparks new row' are about Iraq though none of them says 'Iraq'.
        Y only somewhere in the story (another speaker's 'political football') is not enough."""
        from assistant.index.quotation_store import article_ids_by

        wanted = {support_stem(w) for w in topic_words}
        stories = self._remembered("quoted-articles", speaker, lambda: article_ids_by(self.db, speaker)) & allowed
        articles = self.store.articles()
        articles.load(stories)
        for article_id in stories:
            article = articles.get(article_id)
            if article is not None and not wanted.isdisjoint(support_stem(w) for w in words(article.title or "")):
                return True
        return False

    def _any_dated(self) -> bool:
        """Whether some article of the index has a date (a folder of plain-text files may have none)."""
        try:
            return self.db.execute("SELECT 1 FROM articles WHERE date IS NOT NULL LIMIT 1").fetchone() is not None
        except self.store.database_errors:
            return True  # unknown: say nothing more

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

    def mentions(self, text: str, *, filters: Filters | None = None, limit: int = 2000) -> tuple[Quote, ...]:
        """Every sentence of the corpus holding the phrase itself, at most `limit` of them, article by article in date
        order (undated last), each as a cited quote with exact offsets; () for a phrase without words. The phrase is
        matched as written: its words whole and in order, symbols kept ('10%' is not '10' nor '19%' '19-20 March',
        'Cooper' not 'Cooperation', 'crossings' not 'Cross'); case, diacritics, the spaces and line breaks between
        words, and straight or typographic apostrophes and quotation marks aside. The index's stemmed phrase query
        only finds the candidates; each is checked on its own text, and `limit` counts the sentences kept.
        Inline filters in `text` (`since:`, `source:`, `speaker:` ...) count as a question's do, over `filters`
        (QuestionError for one that cannot match); a speaker keeps the sentences inside that person's quotations."""
        parsed = parse_question(text)
        active = merge_filters(filters, parsed.filters)
        wanted = parsed.text.strip().strip("\"'“”‘’")
        cleaned = " ".join(words(wanted))
        if not cleaned or limit <= 0:
            return ()
        pattern = _phrase_pattern(wanted)
        with self._lock, self._snapshot():
            allowed = self.store.allowed_articles(active)
            inside = (self._sentences_quoting(active.speaker) or set()) if active.speaker else None
            if (allowed is not None and not allowed) or inside == set():
                return ()
            match, fetch, read = "body : " + phrase(cleaned), limit, 0
            kept: list[SentenceRow] = []
            while len(kept) < limit:
                # The same order each time, so the rows read before are a prefix: only the ones after it are checked.
                # Filters are applied here, not by the store, which applies them after its LIMIT.
                rows = self.store.phrase_sentences(match, None, fetch)
                fresh = [r for r in rows[read:] if (allowed is None or r.article_id in allowed) and (inside is None or r.id in inside)]
                kept += self._holding_phrase(pattern, fresh, limit - len(kept))
                if len(rows) < fetch:
                    break
                read, fetch = len(rows), fetch * 4  # candidates the text or the filters ruled out: read on
            articles = self.store.articles()
            articles.load(r.article_id for r in kept)
            return tuple(
                sentence_quote(articles, n, r.article_id, r.start, r.end, r.paragraph) for n, r in enumerate(kept, start=1)
            )

    def _holding_phrase(self, pattern: re.Pattern[str], rows: list[SentenceRow], limit: int) -> list[SentenceRow]:
        """The first `limit` of `rows` whose text holds the phrase of `pattern`, their articles read a batch at a
        time (a stemmed word in every other sentence must not hold the whole corpus in memory)."""
        found: list[SentenceRow] = []
        for at in range(0, len(rows), MENTION_BATCH):
            batch = rows[at : at + MENTION_BATCH]
            articles = self.store.articles()
            articles.load(r.article_id for r in batch)
            found += [r for r in batch if _holds(pattern, articles.get(r.article_id), r.start, r.end)]
            if len(found) >= limit:
                break
        return found[:limit]

    def _refusal(self, question: str, filters: Filters, message: str, started: float) -> Answer:
        return Answer(question, question, filters, False, (), message, time.perf_counter() - started)

    def article(self, article_id: int) -> Article:
        """The full article (quotes' offsets index into its text)."""
        found = self.store.article(article_id)
        if found is None:
            raise EngineError(f"article {article_id} is no longer in the index")
        return found

    def stats(self) -> IndexStats:
        """Counts, model and size of the open index."""
        return read_stats(self.index_dir, self.store)

    def sources(self) -> list[str]:
        """Distinct outlets, for filter pickers."""
        return self.store.sources()

    def people(self) -> tuple[Person, ...]:
        """Everyone quoted by name in the index, most quoted first (issue 13: the People view)."""
        from assistant.search.people import people

        with self._lock:
            return people(self.db)

    def is_quoted(self, name: str) -> bool:
        """True when someone the index quotes goes by `name` ('Brown', 'Tony Blair'); False for 'Iraq'."""
        from assistant.index.quotation_store import person_matches

        with self._lock:
            return bool(self._remembered("person", name, lambda: person_matches(self.db, name)))

    def timeline(self, name: str, since: dt.date | None = None, until: dt.date | None = None, *, exact: bool = False) -> Timeline:
        """Every quotation by the person `name` means, in date order, each once (issue 13)."""
        from assistant.search.people import timeline

        with self._lock:
            return timeline(self.db, name, since, until, exact=exact)

    def close(self) -> None:
        """Release the database and the encoding thread."""
        if self._encoding is not None:
            self._encoding.shutdown()
            self._encoding = None
        self.store.close()


GIST_SHARE = 0.4
"""Share of a speech question's vector given to its gist (the question without its speaker's description and frame).
Paraphrased lookups, 127 tuned / 50 held-out hit@1: 0.583 / 0.460 without, 0.591 / 0.520 at 0.4 (0.3: 0.606 / 0.520,
0.5: 0.591 / 0.540); a second held-out 50 unchanged (0.380); SQuAD, who-said and out-of-corpus identical."""
QUERY_THREADS = 1
"""ONNX Runtime threads of the engine's own model (see `_load_embedder`)."""
REPORTED_SENTENCES = 200
"""Sentences naming X's surname and Y's words read to find X's reported speech (a handful in practice)."""
MENTION_BATCH = 500
"""Candidate sentences of a mention listing whose articles are read at once to check the phrase on their text."""
MEMO_ENTRIES = 256
"""Name and phrase searches an engine remembers for the generation in use (all forgotten past this)."""
LARGE_INDEX_CHUNKS = 5_000
"""From this many chunks on, a question's word that occurs nowhere counts as absent (about 1,000 news articles)."""
LEXICAL_WORDS = 3
"""Query words that, found together in one sentence (or it and the one before), make a lookup precise."""
LEXICAL_COVERAGE = 0.75
"""Share of the query's idf they must carry."""


_QUOTE_MARKS = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"', "\u201a": "'"})
"""Typographic double quotation marks as the straight one (names.fold straightens the apostrophes)."""


def _phrase_pattern(text: str) -> re.Pattern[str]:
    """A phrase as a pattern over names.fold-ed text: its words in order with any white space between them, symbols kept,
    whole at both ends (a word character, or a digit's decimal part, may not continue it: '10' is not in '100' or '10.5')."""
    tokens = fold(text.translate(_QUOTE_MARKS)).split()
    body = r"\s+".join(re.escape(t) for t in tokens)
    head = (r"(?<!\w)" if re.match(r"\w", tokens[0]) else "") + (r"(?<!\d[.,])" if tokens[0][0].isdigit() else "")
    tail = (r"(?!\w)" if re.search(r"\w$", tokens[-1]) else "") + (r"(?![.,]\d)" if tokens[-1][-1].isdigit() else "")
    return re.compile(head + body + tail)


def _holds(pattern: re.Pattern[str], article: ArticleRow | None, start: int, end: int) -> bool:
    """True when the article's text[start:end] holds the phrase of `pattern` (False for an article gone)."""
    return article is not None and pattern.search(fold(article.text[start:end].translate(_QUOTE_MARKS))) is not None


def lexical_evidence(found: Retrieval) -> bool:
    """True when the best sentence holds the query's quoted phrase (or a near form of it), or most of
    the query's rare words together: a precise lookup, whatever the cosine says."""
    if not found.sentences:
        return False
    top = found.sentences[0]
    if top.phrase >= 0.8:
        return True
    return top.words >= LEXICAL_WORDS and top.covered >= LEXICAL_COVERAGE


def _article_text(found: Retrieval, article_id: int) -> str:
    """Title and text of an article the retrieval read ('' when it is gone)."""
    row = found.articles.get(article_id) if found.articles is not None else None
    return f"{row.title} {row.text}" if row is not None else ""


def _describes(speaker: str) -> bool:
    """Whether the question's X is a description ('the Arsenal manager', "Hyundai's chairman", 'the Spaniard') rather
    than a name ('Michael Howard', 'Lord Woolf'): it opens with an article or holds a lowercase word."""
    found = re.findall(r"[\w'’-]+", speaker)
    return bool(found) and (found[0].lower() in ("the", "a", "an") or any(w[:1].islower() for w in found))


def _asks_for_speaker_of(shape: QueryShape, question: str, quotes: tuple[Quote, ...]) -> bool:
    """True for a speech question that names only a person or a role ('What did Zulfugarov say?', 'What
    did the union official say?') whose first quote is a quotation by that speaker: every word of the
    question besides its verbs of speaking is in the speaker's name or role."""
    if not shape.speech or shape.topic or not quotes or quotes[0].speaker is None:
        return False
    wanted = [w for w in content_words(question) if not is_speech(w)]
    speaker = quotes[0].speaker
    known = set(content_words(f"{speaker.name} {speaker.role or ''}"))
    return bool(wanted) and all(w in known for w in wanted)


def _with_speakers(
    db: sqlite3.Connection, quotes: tuple[Quote, ...], speaker: str | None, articles: Any = None
) -> tuple[Quote, ...]:
    """Each quote with the speaker of its quotation, grown to the whole quotation (never a lead-in or
    half a quotation alone; issue 13, quotation_store.attach_speakers); with a `speaker:` filter, only
    quotes of quotations by that person (name variants included)."""
    try:
        from assistant.index.quotation_store import attach_speakers, person_matches

        quotes = attach_speakers(db, quotes, articles=articles)
        if speaker:
            from assistant.index.quotation_store import name_key

            keys = set(person_matches(db, speaker))
            quotes = tuple(q for q in quotes if q.speaker is not None and not q.speaker.reported and name_key(q.speaker.name) in keys)
            quotes = tuple(dataclasses.replace(q, n=n) for n, q in enumerate(quotes, start=1))
    except sqlite3.OperationalError:  # an index without the quotations table (never migrated)
        return quotes
    return quotes


def _speaker_line(db: sqlite3.Connection, quotes: tuple[Quote, ...]) -> str:
    """'Tony Blair said it (quote 1, politics/1.txt).' for a who-said answer whose first quote has a known speaker
    ('reported speech, quote 1' when the passage reports them in the writer's words); '' otherwise."""
    if not quotes:
        return ""
    speaker = quotes[0].speaker
    if speaker is None:
        try:
            from assistant.index.quotation_store import quotation_for_span

            found = quotation_for_span(db, quotes[0].article_id, quotes[0].start, quotes[0].end)
        except sqlite3.OperationalError:
            return ""
        speaker = found.speaker if found is not None else None
    if speaker is None:
        return ""
    role = f", {speaker.role}," if speaker.role else ""
    how = "reported speech, " if speaker.reported else ""  # the writer's account of what they said, not their words
    return f"{speaker.name}{role} said it ({how}quote 1, {quotes[0].path})"


_REBUILD_IT = "; rebuild it with `assistant index --rebuild`"


def _damaged(index_dir: Path | str, exc: BaseException) -> str:
    """One line for a damaged database (SQLite may quote schema text with newlines)."""
    reason = " ".join(str(exc).split())[:160]
    if isinstance(index_dir, str) and is_url(index_dir):
        return f"{shown_location(index_dir)}: {reason}"  # a server's error: rebuilding mends nothing
    return f"index {index_dir} is damaged ({reason}){_REBUILD_IT}"


def read_stats(index_dir: Path | str, opened: Store | None = None) -> IndexStats:
    """Statistics of an index (folder or URL) without loading the model."""
    try:
        conn = opened or open_store(index_dir)
    except StoreError as exc:
        raise EngineError(" ".join(str(exc).split())) from exc
    except sqlite3.DatabaseError as exc:
        raise EngineError(_damaged(index_dir, exc)) from exc
    try:
        meta = store.get_meta(conn.db)
        n = conn.counts()
        size = conn.size_bytes()
    except conn.database_errors as exc:
        raise EngineError(_damaged(index_dir, exc)) from exc
    finally:
        if opened is None:
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
        size_bytes=size,
        updated=meta.get("updated"),
        corpus=meta.get("corpus"),
        faiss_type=faiss_type,
    )

