"""The embedding step of an indexing run: one model pass, over the sentences; each chunk's vector is their mean.

Chunks and sentences were two passes over the same words, and the chunk pass read about two thirds of the tokens.
A new index (CHUNK_MEAN) embeds every sentence as 'Title. sentence' and gives each chunk the normalised mean of
its sentences' vectors: on BBC and SQuAD the answers are as good (docs/benchmarks.md, issue 17) and indexing reads
about a third of the tokens. A new index is SPOKEN: the same, with a quotation's sentences read after its speaker's
name (issue 12, docs/retrieval.md "Session 11"). The other ways stay for the indexes that began with them, so an index never mixes
kinds: SEPARATE (both passes: indexes made before, the hashing fake, or ASSISTANT_SENTENCE_VECTORS=separate) and
POOLED (one pass over the chunks, sentence vectors pooled from its token states; opt-in with
ASSISTANT_SENTENCE_VECTORS=pooled: it cost paraphrased lookups 9.5 points).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.embedding.pooling import SPAN_POOLING, SpanText
from assistant.text.chunking import passage_for_embedding

if TYPE_CHECKING:
    import numpy as np

    from assistant.embedding.base import Embedder
    from assistant.models import Article, Chunk, Sentence
    from assistant.text.quotations import Quotation

SENTENCE_VECTORS_KEY = "sentence_vectors"
"""Index metadata key: how its sentence vectors were made (SEPARATE when absent: indexes made before)."""
SEPARATE = "separate"
"""Sentence vectors from a pass of their own over 'Title. sentence'."""
POOLED = SPAN_POOLING
"""Sentence vectors pooled from the chunk pass (embedding.pooling)."""
CHUNK_MEAN = "chunk-mean"
"""One pass over 'Title. sentence'; each chunk's vector the normalised mean of its sentences'."""
SPOKEN = "chunk-mean-spoken"
"""As CHUNK_MEAN, but a sentence inside a quotation whose speaker the article names is embedded as 'Title. Speaker
said: sentence' (the default): a writer remembers who said a thing with what was said, and a quotation's sentence
seldom names its speaker itself ('"...," he said.'). See sentence_texts."""

NewArticle = tuple["Article", Sequence["Sentence"], Sequence["Chunk"]]
OnTexts = Callable[[int], None]


@dataclass(frozen=True)
class Embedded:
    """Vectors for a batch of new articles, one array per article, in the order given."""

    chunks: list[np.ndarray]
    """(chunks, dim) float32 unit rows."""
    sentences: list[np.ndarray]
    """(sentences, dim) float16 unit rows (as the sentences table stores them)."""
    texts: int
    """Texts the model read (chunks, plus sentences embedded alone)."""


def can_pool(embedder: Embedder) -> bool:
    """True when the embedder gives token-level pooling (the ONNX backends)."""
    return callable(getattr(embedder, "encode_spans", None))


OPT_IN = "ASSISTANT_SENTENCE_VECTORS"
"""Set to 'pooled' to build new indexes with pooled sentence vectors, 'separate' for two passes, 'chunk-mean' for one
pass without speakers' names (see sentence_mode)."""


def asked_for() -> str:
    """What OPT_IN asks a new index for ('pooled', 'separate'), '' when it is not set."""
    import os

    return os.environ.get(OPT_IN, "").strip().lower()


def pooling_wanted() -> bool:
    """Whether a new index pools its sentence vectors.

    Off by default: on the BBC lookup sets pooled vectors lost 9.5 points of paraphrase hit@1 (0.402 ->
    0.307) and 5 points of out-of-corpus in-corpus hit@1 (0.575 -> 0.525) against sentences embedded
    alone, while SQuAD quote-hit@1 moved 0.827 -> 0.835 (docs/benchmarks.md, issue 17). Opt in with
    ASSISTANT_SENTENCE_VECTORS=pooled until the pooling rule is tuned for lookups.
    """
    return asked_for() == "pooled"


def sentence_mode(recorded: str | None, holds_sentences: bool, embedder: Embedder) -> str:
    """How this index's vectors are made: as its metadata says (`recorded`); SEPARATE for an index that holds
    sentences but says nothing (made before, or by an unknown rule). For an empty index: POOLED when asked for
    (pooling_wanted) and the embedder can pool; SEPARATE when asked for, and for the hashing fake (its vectors mean
    nothing a mean would keep: tests of chunk retrieval see the chunk's own text); CHUNK_MEAN when asked for; else
    SPOKEN."""
    if recorded == POOLED and can_pool(embedder):
        return POOLED
    if recorded in (CHUNK_MEAN, SPOKEN):
        return recorded
    if recorded or holds_sentences:
        return SEPARATE
    if can_pool(embedder) and pooling_wanted():
        return POOLED
    if asked_for() == SEPARATE or getattr(embedder, "backend", "") == "hash":
        return SEPARATE
    if asked_for() == CHUNK_MEAN:
        return CHUNK_MEAN
    return SPOKEN


def texts_to_embed(new: Sequence[NewArticle], mode: str) -> int:
    """How many texts `embed` will send through the model at most (for progress)."""
    chunks = sum(len(c) for _, _, c in new)
    sentences = sum(len(s) for _, s, _ in new)
    return chunks if mode == POOLED else sentences if mode in (CHUNK_MEAN, SPOKEN) else chunks + sentences


def sentence_texts(article: Article, sentences: Sequence[Sentence], quotations: Sequence[Quotation] | None) -> list[str]:
    """What the model reads for each sentence: 'Title. sentence', or with `quotations` (SPOKEN) 'Title. Speaker said:
    sentence' for a sentence inside a quotation whose speaker the article names (the first such quotation it
    overlaps). The sentence's own text, offsets and keyword index are untouched: only its vector hears the name."""
    said: list[tuple[int, int, str]] = [
        (q.start, q.end, q.speaker.name) for q in quotations or () if q.speaker is not None and q.speaker.name
    ]
    texts: list[str] = []
    for sentence in sentences:
        body = article.text[sentence.start : sentence.end]
        for start, end, name in said:
            if start < sentence.end and sentence.start < end:
                body = f"{name} said: {body}"
                break
        texts.append(passage_for_embedding(article.title, article.date, body))
    return texts


def embed(
    embedder: Embedder,
    new: Sequence[NewArticle],
    mode: str,
    on_texts: OnTexts | None = None,
    quotations: Sequence[Sequence[Quotation]] | None = None,
) -> Embedded:
    """Chunk and sentence vectors for `new`: one pass (SPOKEN, CHUNK_MEAN, POOLED) or two (SEPARATE). SPOKEN reads
    each article's `quotations` (extracted here when not given)."""
    if mode == POOLED and can_pool(embedder):
        return _pooled(embedder, new, on_texts)
    if mode == SPOKEN:
        if quotations is None:
            from assistant.text.quotations import extract_quotations

            quotations = [extract_quotations(article.text) for article, _, _ in new]
        return _chunk_means(embedder, new, on_texts, quotations)
    if mode == CHUNK_MEAN:
        return _chunk_means(embedder, new, on_texts, None)
    return _separate(embedder, new, on_texts)


def _chunk_means(
    embedder: Embedder, new: Sequence[NewArticle], on_texts: OnTexts | None, quotations: Sequence[Sequence[Quotation]] | None
) -> Embedded:
    """Every sentence embedded as sentence_texts gives it; a chunk's vector the normalised mean of its sentences'
    (float32, before the sentences are stored as float16). A chunk that holds no sentence (none in practice) is
    embedded alone."""
    import numpy as np

    texts = [
        text
        for number, (article, sentences, _) in enumerate(new)
        for text in sentence_texts(article, sentences, quotations[number] if quotations is not None else None)
    ]
    matrix = embedder.encode(texts, on_batch=on_texts) if texts else np.zeros((0, embedder.dim), dtype=np.float32)
    out_chunks, out_sentences = [], []
    alone: list[tuple[int, int, str]] = []  # (article number, chunk number, text)
    row = 0
    for number, (article, sentences, chunks) in enumerate(new):
        own = matrix[row : row + len(sentences)]
        row += len(sentences)
        vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
        for at, chunk in enumerate(chunks):
            held = own[chunk.first_sentence : chunk.last_sentence + 1]
            mean = held.mean(axis=0) if len(held) else None
            norm = float(np.linalg.norm(mean)) if mean is not None else 0.0
            if mean is None or not norm or not np.isfinite(norm):
                alone.append((number, at, passage_for_embedding(article.title, article.date, article.text[chunk.start : chunk.end])))
            else:
                vectors[at] = mean / norm
        out_chunks.append(vectors)
        out_sentences.append(own.astype(np.float16))
    if alone:
        for (number, at, _), vector in zip(alone, embedder.encode([text for _, _, text in alone]), strict=True):
            out_chunks[number][at] = vector
    return Embedded(out_chunks, out_sentences, len(texts) + len(alone))


def _separate(embedder: Embedder, new: Sequence[NewArticle], on_texts: OnTexts | None) -> Embedded:
    """Every chunk and every sentence embedded as its own 'Title. text' (the way before pooling)."""
    import numpy as np

    texts: list[str] = []
    for article, sentences, chunks in new:
        for piece in (*chunks, *sentences):
            texts.append(passage_for_embedding(article.title, article.date, article.text[piece.start : piece.end]))
    matrix = embedder.encode(texts, on_batch=on_texts) if texts else np.zeros((0, embedder.dim), dtype=np.float32)
    out_chunks, out_sentences = [], []
    row = 0
    for _, sentences, chunks in new:
        out_chunks.append(matrix[row : row + len(chunks)])
        row += len(chunks)
        out_sentences.append(matrix[row : row + len(sentences)].astype(np.float16))
        row += len(sentences)
    return Embedded(out_chunks, out_sentences, len(texts))


def owners(sentences: Sequence[Sentence], chunks: Sequence[Chunk]) -> list[int | None]:
    """For each sentence, the chunk whose pass pools it: the first chunk holding it (a sentence two
    chunks share is the last of the first, read after the sentences that lead to it); None when no
    chunk holds it."""
    found: list[int | None] = [None] * len(sentences)
    for number, chunk in enumerate(chunks):
        for ord_ in range(chunk.first_sentence, min(chunk.last_sentence, len(sentences) - 1) + 1):
            if found[ord_] is None:
                found[ord_] = number
    return found


def span_items(article: Article, sentences: Sequence[Sentence], chunks: Sequence[Chunk]) -> tuple[list[SpanText], list[tuple[int, int] | None]]:
    """The chunk texts of one article with their owned sentences' spans, and where each sentence's
    vector will be: (chunk number, span number), or None when no chunk holds it."""
    owner = owners(sentences, chunks)
    spans: list[list[tuple[int, int]]] = [[] for _ in chunks]
    where: list[tuple[int, int] | None] = []
    texts: list[tuple[str, int]] = []
    for chunk in chunks:
        passage = article.text[chunk.start : chunk.end]
        text = passage_for_embedding(article.title, article.date, passage)
        texts.append((text, len(text) - len(passage)))
    for ord_, sentence in enumerate(sentences):
        number = owner[ord_]
        if number is None:
            where.append(None)
            continue
        chunk = chunks[number]
        if not chunk.start <= sentence.start < sentence.end <= chunk.end:
            where.append(None)  # a chunk that does not contain its own sentence: embed the sentence alone
            continue
        prefix = texts[number][1]
        where.append((number, len(spans[number])))
        spans[number].append((prefix + sentence.start - chunk.start, prefix + sentence.end - chunk.start))
    items = [SpanText(text, tuple(found), prefix) for (text, prefix), found in zip(texts, spans, strict=True)]
    return items, where


def _pooled(embedder: Any, new: Sequence[NewArticle], on_texts: OnTexts | None) -> Embedded:
    """One pass over the chunks; sentences pooled from it, and the few it cannot give embedded alone."""
    import numpy as np

    items: list[SpanText] = []
    layout: list[tuple[int, list[tuple[int, int] | None]]] = []
    for article, sentences, chunks in new:
        found, where = span_items(article, sentences, chunks)
        layout.append((len(items), where))
        items.extend(found)
    chunk_matrix, span_vectors = embedder.encode_spans(items, on_batch=on_texts)
    out_chunks, out_sentences = [], []
    alone: list[tuple[int, int, str]] = []  # (article number, sentence ord, text)
    for number, ((article, sentences, chunks), (first, where)) in enumerate(zip(new, layout, strict=True)):
        out_chunks.append(chunk_matrix[first : first + len(chunks)])
        rows = np.zeros((len(sentences), embedder.dim), dtype=np.float32)
        for ord_, place in enumerate(where):
            vector = span_vectors[first + place[0]][place[1]] if place is not None else None
            if vector is None or not np.isfinite(vector).all():
                alone.append((number, ord_, passage_for_embedding(article.title, article.date, article.text[sentences[ord_].start : sentences[ord_].end])))
            else:
                rows[ord_] = vector
        out_sentences.append(rows)
    if alone:
        # Cut by truncation (a sentence past the model's token limit) or holding no token: embedded alone.
        extra = embedder.encode([text for _, _, text in alone])
        for (number, ord_, _), vector in zip(alone, extra, strict=True):
            out_sentences[number][ord_] = vector
    return Embedded(out_chunks, [s.astype(np.float16) for s in out_sentences], len(items) + len(alone))
