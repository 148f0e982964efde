"""Hybrid retrieval: FAISS and FTS5 chunk search fused, then every candidate sentence scored on its own."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from assistant.index.reads import ArticleCache, allowed_chunks, filter_sql  # noqa: F401 (re-exported)
from assistant.index.stores import Store, TermCounts
from assistant.search.keywords import crude_stem, phrase, phrase_match, phrase_searches, plan, support_stem
from assistant.search.keywords import stem_opening as _opening
from assistant.text.query import FRAGMENT, QUESTION, SAID_ABOUT, QueryShape, WHO_SAID, content_words, query_shape, speaker_description
from assistant.models import Filters

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np


@dataclass(frozen=True)
class Weights:
    """How the evidence is combined; fitted on SQuAD (see docs/retrieval.md)."""

    dense_k: int = 50
    """Chunks taken from FAISS."""
    keyword_k: int = 50
    """Chunks taken from FTS5."""
    fusion: str = "linear"
    """How chunk rankings combine: 'linear' (cosine + keyword_share * BM25 / best BM25) or 'rrf'.
    Linear beat reciprocal rank fusion on SQuAD: recall@1 0.82 against 0.77 (docs/retrieval.md)."""
    keyword_share: float = 0.25
    """Weight of the scaled BM25 score in linear fusion."""
    rrf_k: float = 10.0
    """Reciprocal rank fusion constant: 1 / (rrf_k + rank)."""
    candidates: int = 12
    """Fused chunks whose sentences are scored."""
    sentence_dense: float = 1.0
    """Weight of the sentence's own cosine similarity to the question."""
    sentence_keyword: float = 0.1
    """Weight of the sentence's BM25 score, scaled to [0, 1] by the best candidate."""
    chunk: float = 0.0
    """Weight of the fused score of the best chunk holding the sentence, scaled to [0, 1] (its BM25 half
    favours the article's most word-sharing sentence over a paraphrased one; chunk_dense replaced it)."""
    chunk_dense: float = 0.5
    """Natural questions: weight of the best FAISS cosine of a chunk holding the sentence (the passage
    around it is on topic; no BM25 in it, so a paraphrase is not outranked by its article's most
    word-sharing sentence; docs/retrieval.md)."""
    neighbour: float = 0.1
    """Weight of the best cosine of the adjacent sentences in the same paragraph (context such as
    'he said' or an antecedent often sits next door)."""
    answer_type: float = 0.05
    """Bonus when a when/how-many question meets a sentence with a number, or a who question a name."""
    title_weight: float = 0.3
    """BM25 column weight of the title relative to the body."""
    dense_sentences: int = 50
    """Best FAISS chunks whose sentences are scored too, beyond the fused candidates (0: none): a
    paraphrase shares few words with its sentence, so the fused top 12 often miss it (BBC paraphrases:
    target among the candidates 0.61 -> 0.87)."""
    dense_sentence_k: int = 40
    """Of the sentences only those chunks bring, the ones kept (closest to the question first): every
    kept candidate costs keyword evidence and article reads."""
    story_articles: int = 12
    """Dense-led shapes: the sentences of the articles of the best fused chunks, up to this many articles (12: the story
    of every fused candidate chunk), are candidates (the story_k closest to the question of those no chunk brought). A paraphrase of one sentence is often found by its story (the chunks around it share the question's
    names and topic) while its own sentence, in a chunk the question matches less well, is not among the dense
    chunks' sentences ('"I was so nervous last night I couldn't sleep.' for 'Which Czech qualifier said nerves kept
    him awake before facing Hewitt?'); a news story is short enough to score whole (wave 7, docs/retrieval.md)."""
    story_k: int = 40
    """Of the sentences only the whole stories bring, the ones kept (closest to the question first; 0: all), as
    dense_sentence_k for the dense chunks: each kept candidate costs keyword evidence and reads. BBC paraphrases
    hit@1/@3: 3 stories, all their sentences 0.520/0.654; 12 stories 0.535/0.685 all, 0.535/0.677 at 30 and 40,
    0.528/0.669 at 20; 6 or 8 stories at 40 0.528/0.669. CPU per question against 3 stories whole: +0.7 ms at 40,
    +2.2 ms all."""
    story_longest: int = 60
    """Only stories of at most this many sentences are taken whole (BBC: 99% of articles have at most 52; a long
    document such as a SQuAD article's hundreds of sentences is left to its chunks)."""
    lexical_k: int = 30
    """Sentences taken from the sentence-level FTS5 index (every sentence of the corpus) for lexical-led shapes."""
    question_lexical_k: int = 0
    """The same for natural questions (dense-led); 0: none. They cost a sentence-level BM25 over the whole
    index (5 ms on BBC) for no gain: BBC paraphrases hit@1/@3 0.402/0.535 with 30, 0.394/0.535 without;
    out-of-corpus in-corpus hit@3 0.725 -> 0.750; SQuAD unchanged."""
    coverage: float = 0.4
    """Natural questions: weight of the share of the query's idf found in the sentence or the one before
    (with chunk_dense, SQuAD quote-hit@1/@3 0.827/0.956 at 0.25, 0.835/0.958 at 0.4, 0.837/0.960 at 0.5;
    BBC paraphrases 0.394/0.535, 0.402/0.528, 0.386/0.520)."""
    phrase: float = 0.3
    """Weight of a quoted phrase found in the sentence (0.8 of it for a near phrase)."""
    article_support: float = 0.5
    """Dense-led shapes: weight of the share of the query's idf the sentence's article holds (title and text,
    answer.article_support's stems). A paraphrase avoids its sentence's words but keeps its story's names and
    topic words, which a same-domain story lacks (wave 5, docs/retrieval.md: BBC paraphrases hit@1/@3
    0.409/0.567 at 0, 0.417/0.567 at 0.1, 0.425/0.591 at 0.3 and 0.5, 0.417/0.591 at 0.7; SQuAD unchanged).
    The abstention judges the article first without it (Retrieval.judged_article)."""
    story_words: bool = True
    """Speech questions, and natural questions none of whose candidates holds FRAGMENT_HELD of the query's idf (a gist):
    re-rank each article's sentences without the coverage credit of the query words its title or lead sentence holds,
    on the article's own scores (articles keep their places against each other). The story's names say which article,
    not which of its sentences: what was said is seldom the sentence naming them ('"While UKIP has turned its back on
    the British people, I shall not," he said.' against the lead naming Kilroy-Silk and his party), nor is a detail
    ('He suffers from a degenerative rheumatic disease ...' against 'Motley Crue guitarist Mick Mars is being sued').
    BBC paraphrases hit@1/@3 0.457/0.622 -> 0.472/0.630. For every dense-led question, SQuAD quote-hit@1 0.848 ->
    0.841: its questions copy the topic words from the answer sentence (wave 6, docs/retrieval.md)."""
    lex_dense: float = 0.5
    """Lexical-led shapes (fragment, phrase, name): weight of the sentence's cosine."""
    lex_keyword: float = 0.3
    """Lexical-led shapes: weight of the scaled sentence BM25."""
    lex_coverage: float = 1.0
    """Lexical-led shapes: weight of the query idf share in the sentence or the one before."""
    lex_tight: float = 0.3
    """Lexical-led shapes: weight of the query idf share in the sentence itself."""
    lex_chunk: float = 0.1
    """Lexical-led shapes: weight of the fused chunk score."""
    lex_phrase: float = 1.0
    """Lexical-led shapes: weight of a quoted phrase found in the sentence."""
    speech_keyword: float = 0.0
    """Questions about what someone said (QueryShape.speech): weight of the sentence BM25 (the words of
    a remembered gist are rarely the quotation's own)."""
    speech_coverage: float = 0.1
    """Speech questions: weight of the query idf share in the sentence or the one before."""
    speech_chunk_dense: float = 0.2
    """Speech questions: weight of the best FAISS cosine of a chunk holding the sentence."""
    quotation: float = 0.3
    """Speech questions: bonus of a sentence inside a stored quotation (the answer is something said)."""
    speaker_words: float = 0.1
    """Speech questions: bonus per query word (crude stem, at most two) found in the name or role of
    the speaker of the quotation holding the sentence ('the Nissan boss' ~ 'its highly successful
    boss', 'the Ukrainian president' ~ 'President')."""
    preferred: float = 0.2
    """Bonus of sentences in preferred articles ('what did X say about Y': articles naming X and Y)."""
    quoted: float = 0.3
    """Bonus of sentences inside a quotation the quotation store attributes to the X of 'what did X
    say about Y' (hit@1 of BBC paraphrases / out-of-corpus in-corpus lines: 0.181 / 0.450 at 0,
    0.181 / 0.525 at 0.1, 0.189 / 0.525 at 0.2, 0.189 / 0.550 at 0.3, 0.189 / 0.550 at 0.4 but hit@3 lower).
    A sentence reporting X's speech ('..., Mr Howard added') gets it too: those are X's words, unquoted."""
    phrase_k: int = 20
    """Sentences taken for a question's quoted phrases, of those holding them and of those holding a near form
    (`keywords.phrase_searches`), each: the phrase's own sentence is a candidate though its words are stopwords
    ("consumers aren't willing") or misremembered ("significant year in terms")."""
    said_about_k: int = 10
    """'What did X say about Y': sentences naming X's surname and a word of Y added to the candidates."""
    said_about: float = 0.5
    """'What did X say about Y': bonus of X's words (quoted or reported) that hold a word of Y. Without it X's
    quotations on anything (+0.6 with the quotation bonus) outrank X's own sentence about Y ('What did Michael
    Howard say about Europe?' gave his words on his family before 'Turkey's involvement with the EU would provide
    an "invaluable bridge" between Europe and the rest of the world, Mr Howard added')."""


@dataclass(frozen=True)
class ScoredSentence:
    """A candidate sentence with its evidence."""

    sentence_id: int
    """Row id in the sentences table."""
    article_id: int
    """Row id of its article."""
    ord: int
    """Position of the sentence in its article."""
    start: int
    """Start offset in the article text."""
    end: int
    """End offset in the article text."""
    paragraph: int
    """1-based paragraph number."""
    dense: float
    """Cosine similarity of the (title-prefixed) sentence to the question."""
    neighbour: float
    """Best cosine of its neighbours in the same paragraph (its own when it has none)."""
    keyword: float
    """BM25 of the sentence, scaled to [0, 1]."""
    chunk: float
    """Fused score of its best chunk, scaled to [0, 1]."""
    score: float
    """The weighted sum that ranks sentences."""
    covered: float = 0.0
    """Share of the query's idf found in the sentence or the one before it."""
    words: int = 0
    """Query words found in the sentence or the one before it."""
    phrase: float = 0.0
    """1.0 when it holds a quoted phrase of the query, 0.8 for a near phrase."""
    support: float = 0.0
    """The part of `score` its article's support of the query's words gave (Weights.article_support): the
    same for every sentence of an article, so the answer builder leaves it out when it asks whether a
    neighbour is nearly as relevant as the quote's lead."""


@dataclass(frozen=True)
class Retrieval:
    """What a search found, with the numbers abstention is decided on."""

    sentences: tuple[ScoredSentence, ...]
    """Candidate sentences, best first."""
    chunk_ids: tuple[int, ...]
    """Fused chunk ids, best first."""
    top_dense: float
    """Best chunk cosine similarity (FAISS)."""
    sentence_vectors: dict[int, Any]
    """sentence id -> float32 vector, for redundancy checks."""
    sentence_texts: dict[int, str] = field(default_factory=dict)
    """sentence id -> its exact text, for the answer builder (read once, with the article)."""
    articles: ArticleCache | None = None
    """The article rows read for this question, for the answer builder and the engine's checks."""
    matrix: Any = None
    """float32 vectors of the candidate sentences, one row each (similarities as one matrix product)."""
    rows: dict[int, int] = field(default_factory=dict)
    """sentence id -> its row in `matrix`."""
    shape: QueryShape | None = None
    """The query's shape, as recognised."""
    searched_words: int = 0
    """Query words the index holds."""
    judged_article: int | None = None
    """The article first by every evidence but its own support of the query's words (Weights.article_support),
    whose support the abstention checks (answer.unsupported); None: the first sentence's article."""
    first_confidence: float | None = None
    """When the support term put another article first than `judged_article`, and that article holds the query's
    rarest word: the confidence from it alone (the mean of its best sentence cosine and its best dense-hit chunk
    cosine), with which it may vouch for the answer by its own support (answer.unsupported)."""


__all__ = ["Retrieval", "ScoredSentence", "Weights", "allowed_chunks", "filter_sql", "retrieve"]


def fuse_linear(dense: list[tuple[int, float]], keyword: list[tuple[int, float]], share: float) -> dict[int, float]:
    """Cosine plus `share` times BM25 scaled by the best BM25; a keyword-only chunk counts the
    lowest cosine seen (it ranked below every dense result)."""
    floor = min((score for _, score in dense), default=0.0)
    best = max((score for _, score in keyword), default=0.0) or 1.0
    scores = {item: score for item, score in dense}
    for item, score in keyword:
        scores[item] = scores.get(item, floor) + share * score / best
    return scores


def fuse(rankings: list[list[int]], k: float) -> dict[int, float]:
    """Reciprocal rank fusion of several best-first id lists."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return scores


_NUMBER_Q = re.compile(
    r"^\W*(when|what (year|date|day|month|time|percentage|proportion|share)|in what (year|month)|how (many|much|long|old|far|often)|"
    r"(the\s+)?(number|amount|percentage|proportion) of)\b|\b(how many|how much|what year)\b",
    re.I,
)
_PERSON_Q = re.compile(r"^\W*(who|whom|whose)\b", re.I)
_HAS_NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion|"
                         r"january|february|march|april|may|june|july|august|september|october|november|december)\b", re.I)
_HAS_NAME = re.compile(r"(?<=[a-z,;:] )[A-Z][a-z]+")
_DIGIT = re.compile(r"\d")
_NUMBER_WORDS = frozenset(_HAS_NUMBER.pattern.split("(")[1].split(")")[0].split("|"))
_TOKEN = re.compile(r"\w+")
_FOLDS_TO_ASCII = re.compile("[\u0130\u0131\u017f\u212a]")
"""The only non-ASCII characters an ignore-case regex takes for an ASCII letter (İ, ı, ſ, the Kelvin sign)."""
_NAME_AFTER_SPACE = re.compile(r" (?<=[a-z,;:] )[A-Z][a-z]")
"""Found exactly where _HAS_NAME is, but starts with a literal, which the regex engine scans for fast."""


def _has_number(text: str) -> bool:
    """_HAS_NUMBER.search(text), without its slow ignore-case scan of every position: a digit, or a
    whole word (the regex's word boundaries are those of \\w+) equal to a number or month name in any
    case; text holding a character that case folding maps to an ASCII letter goes to the regex."""
    if _DIGIT.search(text):
        return True
    if text.isascii():
        return not _NUMBER_WORDS.isdisjoint(_TOKEN.findall(text.lower()))
    if _FOLDS_TO_ASCII.search(text):
        return _HAS_NUMBER.search(text) is not None
    return any(token.lower() in _NUMBER_WORDS for token in _TOKEN.findall(text))


def answer_type(question: str) -> str | None:
    """'number' for when/how-many questions, 'name' for who questions, else None."""
    if _NUMBER_Q.search(question):
        return "number"
    if _PERSON_Q.search(question):
        return "name"
    return None


def _typed_sentences(texts: dict[int, tuple[str, str]], wanted: str) -> set[int]:
    """Ids of the sentences that hold the kind of thing the question asks for."""
    if wanted == "number":
        return {sid for sid, (_, text) in texts.items() if _has_number(text)}
    return {sid for sid, (_, text) in texts.items() if _NAME_AFTER_SPACE.search(text)}


def retrieve(
    db: Store,
    query_vector: np.ndarray | Callable[[], np.ndarray],
    text: str,
    filters: Filters,
    weights: Weights,
    terms: TermCounts | None = None,
    articles: ArticleCache | None = None,
    shape: QueryShape | None = None,
    prefer: set[int] | None = None,
    quoted: set[int] | None = None,
    dense_search: Callable[[], tuple[np.ndarray, np.ndarray]] | None = None,
) -> Retrieval:
    """Find and score candidate sentences for a question; filters restrict both searches before ranking.

    Candidates are the sentences of the best fused chunks plus the best BM25 sentences of the whole
    index; how they are ranked depends on the query's shape (dense-led for natural questions,
    lexical-led for fragments, phrases and names). `terms` caches word counts between questions;
    `quoted` holds the ids of sentences quoting the speaker a 'what did X say about Y' names.
    `query_vector` may be a callable (an encoding still running): it is called after the keyword searches.
    `dense_search`, for a search without filters, returns what `db.vector_search(vector, weights.dense_k, None)` would
    (the engine runs it on its encoding thread).
    """
    import numpy as np

    shape = shape or query_shape(text)
    allowed = db.allowed_chunks(filters)
    cache = articles if articles is not None else db.articles()
    keywords = plan(terms or db.term_stats(), text)
    keyword = db.chunk_matches(keywords, weights.keyword_k, weights.title_weight, None if allowed is None else allowed.tolist())
    lexical: list[tuple[int, float]] = []
    lexical_k = weights.lexical_k if shape.lexical else weights.question_lexical_k
    said_match = _said_about_match(shape) if weights.said_about_k > 0 else None
    quoted_searches = phrase_searches(shape.phrases) if weights.phrase_k > 0 else ()
    in_articles = (
        None if filters.is_empty() or (keywords.match is None and said_match is None and not quoted_searches)
        else db.allowed_articles(filters)
    )
    if keywords.match is not None and lexical_k > 0:
        lexical = db.lexical_sentences(keywords.match, lexical_k, weights.title_weight, in_articles)
    if said_match is not None:
        # X's own sentences about Y ('..., Mr Howard added' beside 'Europe') are candidates however the chunks
        # rank: the question's other words (X's first name, 'say') need not be there.
        have = {i for i, _ in lexical}
        lexical += [
            hit for hit in db.lexical_sentences(said_match, weights.said_about_k, weights.title_weight, in_articles)
            if hit[0] not in have
        ]
    for expression in quoted_searches:
        have = {i for i, _ in lexical}
        lexical += [
            hit for hit in db.lexical_sentences(expression, weights.phrase_k, weights.title_weight, in_articles)
            if hit[0] not in have
        ]
    # The keyword searches first: a callable query vector is still being encoded (on another thread) meanwhile.
    query_vector = query_vector() if callable(query_vector) else query_vector
    if dense_search is not None and allowed is None:
        dense_scores, dense_ids = dense_search()
    else:
        dense_scores, dense_ids = db.vector_search(query_vector, weights.dense_k, allowed)
    dense = [(int(i), float(x)) for i, x in zip(dense_ids, dense_scores, strict=True)]
    dense_chunks = dense
    if weights.fusion == "rrf":
        fused = fuse([[i for i, _ in dense], [i for i, _ in keyword]], weights.rrf_k)
    else:
        fused = fuse_linear(dense, keyword, weights.keyword_share)
    ranked = sorted(fused, key=fused.__getitem__, reverse=True)[: weights.candidates]
    top_dense = dense[0][1] if dense else 0.0
    if not ranked and not lexical:
        return Retrieval((), (), top_dense, {}, articles=cache, shape=shape)
    # Candidate chunks' fused scores scaled to [0, 1] (best = 1, last candidate = 0).
    chunk_of: dict[tuple[int, int], float] = {}
    spans: dict[int, tuple[int, int, int]] = {}
    ranked_set = set(ranked)
    # Lexical-led shapes hold the passage's own words: the fused chunks and the BM25 sentences find it.
    extra = [] if shape.lexical else [i for i, _ in dense[: weights.dense_sentences] if i not in ranked_set]
    reading = ranked + extra
    # One read of the sentence ranges of both kinds of chunk (the fused ones first, as scored below).
    ranges = db.chunk_sentence_ranges(reading) if reading else []
    if ranked:
        best_fused, low = fused[ranked[0]], fused[ranked[-1]]
        spread = (best_fused - low) or 1.0
        for chunk_id, article_id, first, last in ranges:
            if chunk_id in ranked_set:
                spans[chunk_id] = (article_id, first, last)
                share = (fused[chunk_id] - low) / spread
                for ord_ in range(first, last + 1):
                    key = (article_id, ord_)
                    chunk_of[key] = max(chunk_of.get(key, 0.0), share)
    chunk_fused = set(chunk_of)
    if extra:
        for chunk_id, article_id, first, last in ranges:
            if chunk_id not in ranked_set:
                spans[chunk_id] = (article_id, first, last)
                for ord_ in range(first, last + 1):
                    chunk_of.setdefault((article_id, ord_), 0.0)
    sentence_rows = [r for r in db.sentences_of_chunks(reading) if (r.article_id, r.ord) in chunk_of] if reading else []
    known = {r.id for r in sentence_rows}
    sentence_rows += [r for r in db.sentences_by_id([i for i, _ in lexical if i not in known])]
    if extra:
        sentence_rows = _closest_extra(sentence_rows, chunk_fused, lexical, query_vector, weights.dense_sentence_k)
    if weights.story_articles and not shape.lexical:
        stories = _leading_articles(ranked, ranges, weights.story_articles)
        known = {r.id for r in sentence_rows}
        told = [r for r in db.sentences_of_articles(stories, weights.story_longest) if r.id not in known]
        sentence_rows += _closest(told, query_vector, weights.story_k) if weights.story_k else told
    # The sentence before a candidate is often a candidate too: only the others are read.
    in_hand = {(r.article_id, r.ord): r for r in sentence_rows}
    before = {(a, o + 1): in_hand[a, o] for a, o in in_hand if (a, o + 1) in in_hand}
    unread = [(r.article_id, r.ord) for r in sentence_rows if (r.article_id, r.ord) not in before]
    if unread:
        before.update(db.sentences_before(unread))
    cache.load(r.article_id for r in sentence_rows)
    quotations = _quotations_of(db, sentence_rows)
    texts: dict[int, tuple[str, str]] = {}
    context: dict[int, tuple[str, str, str]] = {}
    for r in sentence_rows:
        row = cache.get(r.article_id)
        if row is not None:
            texts[r.id] = (row.title, row.text[r.start : r.end])
            prev = before.get((r.article_id, r.ord))
            prev_text = row.text[prev.start : prev.end] if prev is not None and prev.paragraph == r.paragraph else ""
            # A quotation's speaker is part of its every sentence's context, wherever the story names them: '"... we've
            # never actually broken up, or parted." "So for us ...," Barrow told ...' holds 'Barrow' for a fragment.
            # Not for 'Who said ...?': the speaker is what it asks, and a name in it is someone spoken of ('Who said
            # Jacques Santini resigned only because of his own personal problems?' is not asking for Santini's words).
            quotation = _quotation_at(quotations, r.article_id, r.start, r.end) if shape.kind != WHO_SAID else None
            speaker = quotation[2] if quotation else None
            if speaker:
                prev_text = f"{prev_text} {speaker}"
            context[r.id] = (row.title, texts[r.id][1], prev_text)
    sentence_rows = [r for r in sentence_rows if r.id in texts]
    if not sentence_rows:
        return Retrieval((), tuple(ranked), top_dense, {}, articles=cache, shape=shape)
    matrix = np.frombuffer(b"".join(r.vector for r in sentence_rows), dtype=np.float16).reshape(len(sentence_rows), -1)
    matrix = matrix.astype(np.float32)
    dense = matrix @ np.asarray(query_vector, dtype=np.float32).reshape(-1)
    evidence = db.sentence_evidence(keywords, context, weights.title_weight)
    top_bm25 = max(evidence.bm25.values(), default=0.0) or 1.0
    cos_at = {(r.article_id, r.ord): (float(c), r.paragraph) for r, c in zip(sentence_rows, dense, strict=True)}
    wanted = answer_type(text)
    typed = _typed_sentences(texts, wanted) if wanted and weights.answer_type else set()
    lexical_led = shape.lexical
    speech = shape.speech and not lexical_led
    chunk_cos = _chunk_cosines(db, dense_chunks, weights.dense_k, spans) if not lexical_led else {}
    description = speaker_description(text, shape) if speech else None
    speakers = _speaker_evidence(db, sentence_rows, description or text, cache if description else None, quotations) if speech else {}
    # 'Which Czech qualifier said nerves kept him awake before facing Hewitt?': Hewitt is spoken about, not speaking.
    # 'Who said Jacques Santini resigned ...?' asks for someone else's words about Santini, not Santini's.
    spoken_of = _spoken_of(db, sentence_rows, shape.names, description or "") if description or shape.kind == WHO_SAID else set()
    # 'Why did the engineer's son decide to auction ...?': the reason is most often given in that person's own words.
    why = _WHY_PERSON.match(text) if not speech and not lexical_led else None
    reasons = {k for k, v in _speaker_evidence(db, sentence_rows, why.group("who"), cache, quotations).items() if v > 0} if why else set()
    # Where a story quotes the speaker the question describes ('Which strategist said ...'), the quotations of its
    # speakers who match none of the description are someone else's words: no quotation bonus for them. Only for a
    # question that describes the speaker: matched against a whole 'Who said ...?' question, a role shares the gist's
    # words by chance (who-said hit@1 0.891 -> 0.815).
    described: dict[int, int] = {}
    for r in sentence_rows:
        if description and r.id in speakers:
            described[r.article_id] = max(described.get(r.article_id, 0), speakers[r.id])
    if speech and shape.kind != WHO_SAID:
        w_keyword, w_chunk, w_coverage, w_chunk_dense = weights.speech_keyword, 0.0, weights.speech_coverage, weights.speech_chunk_dense
    else:
        # A natural question; and "Who said X?", which usually repeats some of X's words, X often being
        # reported speech ("he stressed that ..."), not a quotation: it keeps these lexical weights (and the
        # quotation and speaker bonuses of a speech question).
        w_keyword, w_chunk, w_coverage, w_chunk_dense = weights.sentence_keyword, weights.chunk, weights.coverage, weights.chunk_dense
    support = _article_support(keywords, cache, {r.article_id for r in sentence_rows}) if weights.article_support and not lexical_led else {}
    reports, topic_stems = _said_about(shape, keywords) if weights.said_about or weights.quoted else (None, {})
    story = (
        _story_shares(keywords, cache, sentence_rows, context, evidence.covered)
        if weights.story_words and not lexical_led and _story_ranks_nothing(speech, evidence.covered)
        else {}
    )
    scored: list[ScoredSentence] = []
    story_credit: dict[int, float] = {}
    vectors_by_id: dict[int, Any] = {}
    for row, vec, cos in zip(sentence_rows, matrix, dense, strict=True):
        sid, article_id, ord_, start, end, paragraph = row.id, row.article_id, row.ord, row.start, row.end, row.paragraph
        kw = evidence.bm25.get(sid, 0.0) / top_bm25
        ctx = chunk_of.get((article_id, ord_), 0.0)
        near = [cos_at[k][0] for k in ((article_id, ord_ - 1), (article_id, ord_ + 1)) if k in cos_at and cos_at[k][1] == paragraph]
        nb = max(near) if near else float(cos)
        covered = evidence.covered.get(sid, 0.0)
        tight = evidence.tight.get(sid, 0.0)
        said = max((phrase_match(p, texts[sid][1]) for p in shape.phrases), default=0.0)
        bonus = weights.preferred if prefer and article_id in prefer else 0.0
        own = bool(quoted and sid in quoted) or bool(reports and reports.search(texts[sid][1]))
        bonus += weights.quoted if own else 0.0
        if own and topic_stems:
            bonus += weights.said_about * _topic_share(texts[sid][1].lower(), topic_stems)
        if sid in spoken_of:
            pass  # the words of someone the question names outside its description of the speaker: not what it asks
        elif speech and sid in speakers and not speakers[sid] == 0 < described.get(article_id, 0):
            bonus += weights.quotation + weights.speaker_words * speakers[sid]
        elif sid in reasons:
            # The person a why-question is about, giving their reasons.
            bonus += weights.quotation
        elif speech and _reports_speech(texts[sid][1]):
            # Reported speech is something said too ('He believes that elements of the security services ...', 'A
            # spokesman for the Home Office said it was wholly wrong ...'): the quotation store holds only quoted words.
            bonus += weights.quotation
        if lexical_led:
            score = bonus + (
                weights.lex_dense * float(cos)
                + weights.lex_keyword * kw
                + weights.lex_coverage * covered
                + weights.lex_tight * tight
                + weights.lex_chunk * ctx
                + weights.lex_phrase * said
            )
        else:
            score = bonus + (
                weights.sentence_dense * float(cos)
                + w_keyword * kw
                + w_chunk * ctx
                + w_chunk_dense * chunk_cos.get((article_id, ord_), 0.0)
                + weights.neighbour * nb
                + weights.article_support * support.get(article_id, 0.0)
                + weights.answer_type * (sid in typed)
                + w_coverage * covered
                + weights.phrase * said
            )
            if story.get(sid):
                story_credit[sid] = w_coverage * min(covered, story[sid])
        scored.append(
            ScoredSentence(
                sid, article_id, ord_, start, end, paragraph, float(cos), nb, kw, ctx, score,
                covered, evidence.words.get(sid, 0), said, weights.article_support * support.get(article_id, 0.0),
            )
        )
        vectors_by_id[sid] = vec
    if story_credit:
        scored = _without_story_credit(scored, story_credit)
    scored.sort(key=lambda s: s.score, reverse=True)
    # The article the ranking would put first without the support term: the abstention checks its support, so
    # ranking by the query's words cannot vouch for itself ('What is the capital of France?' would otherwise
    # find a story holding both words and answer from it).
    judged = max(scored, key=lambda s: s.score - s.support).article_id if support and scored else None
    own = _first_article_confidence(scored, judged, chunk_cos, keywords, cache)
    if shape.kind == FRAGMENT and keywords.phrases and not _held_together(scored, len(keywords.phrases)):
        # Keywords no sentence holds together are a remembered gist, not the passage's own words ('country
        # with the most Eurovision wins'): ranked by meaning, as a question is, and like a speech question
        # with little weight on shared words (a gist's words are seldom its sentence's).
        gist = replace(weights, sentence_keyword=weights.speech_keyword, coverage=weights.speech_coverage)
        return retrieve(db, query_vector, text, filters, gist, terms, cache, replace(shape, kind=QUESTION), prefer, quoted)
    return Retrieval(
        tuple(scored),
        tuple(ranked),
        top_dense,
        vectors_by_id,
        {i: t for i, (_, t) in texts.items()},
        articles=cache,
        matrix=matrix,
        rows={r.id: n for n, r in enumerate(sentence_rows)},
        shape=shape,
        searched_words=len(keywords.phrases),
        judged_article=judged,
        first_confidence=own,
    )


def _leading_articles(ranked: list[int], ranges: list[tuple[int, int, int, int]], count: int) -> list[int]:
    """The first `count` distinct articles of the ranked chunks (`ranges`: chunk id, article id, first, last)."""
    article_of = {chunk_id: article_id for chunk_id, article_id, _, _ in ranges}
    found: list[int] = []
    for chunk_id in ranked:
        article_id = article_of.get(chunk_id)
        if article_id is not None and article_id not in found:
            found.append(article_id)
            if len(found) == count:
                break
    return found


def _chunk_cosines(
    db: Store, dense: list[tuple[int, float]], k: int, spans: dict[int, tuple[int, int, int]]
) -> dict[tuple[int, int], float]:
    """(article id, sentence ord) -> the best FAISS cosine of the dense hits' chunks holding that sentence;
    `spans` holds the sentence ranges of chunks already read (chunk id -> article id, first, last)."""
    cos = dict(dense[:k])
    found: dict[tuple[int, int], float] = {}
    if not cos:
        return found
    missing = [c for c in cos if c not in spans]
    ranges = [(c, *spans[c]) for c in cos if c in spans] + (db.chunk_sentence_ranges(missing) if missing else [])
    for chunk_id, article_id, first, last in ranges:
        for ord_ in range(first, last + 1):
            key = (article_id, ord_)
            found[key] = max(found.get(key, 0.0), cos[chunk_id])
    return found


_SPEECH_VERBS = (
    "said|says|told|tells|added|adds|insisted|insists|argued|argues|claimed|claims|warned|warns|stressed|explained|"
    "admitted|denied|suggested|declared|urged|described|accused|believes|believed|thinks|announced|promised|"
    "pledged|vowed|predicted|conceded|noted|maintained|asserted|acknowledged|revealed|confirmed|dismissed|"
    "rejected|criticised|criticized|attacked|praised|defended|called|wrote|writes|commented|replied|answered|"
    "agreed|disagreed|questioned|countered|complained|boasted|stated|states"
)


_REPORTING_VERBS = frozenset(_SPEECH_VERBS.split("|")) | {"feels"}
_REPORTED_OPENINGS = frozenset("that it the there he she they we".split())


def _unquoted(fts_phrase: str) -> str:
    """A query word back from its FTS5 phrase form ('"rule"' -> 'rule')."""
    return fts_phrase.strip('"').replace('""', '"')


def _query_idf(keywords: Any) -> dict[str, float]:
    """Support stem -> idf of the query's searched words (the larger when two words share a stem)."""
    idf: dict[str, float] = {}
    for quoted, value in zip(keywords.phrases, keywords.idf, strict=True):
        stem = support_stem(_unquoted(quoted))
        idf[stem] = max(idf.get(stem, 0.0), value)
    return idf


def _reports_speech(text: str) -> bool:
    """True when a verb of speaking opens a reported clause ('said that', 'believes the', 'insisted it'): reported
    speech. Words split on spaces and looked up in sets: an ignore-case regex of the verbs cost 6 ms a question."""
    words = text.lower().split()
    if _REPORTING_VERBS.isdisjoint(words):
        return False
    return any(verb in _REPORTING_VERBS and then in _REPORTED_OPENINGS for verb, then in zip(words, words[1:]))


def _said_about(shape: QueryShape, keywords: Any) -> tuple[re.Pattern[str] | None, dict[str, tuple[str, float]]]:
    """For 'what did X say about Y': a pattern finding X's surname as the subject of a speech verb ('Mr Howard
    added', 'said Mr Brown', 'Mr Brown insisted') and Y's word stems (support stem -> the opening of a word to
    find it by, and the word's idf in the query plan); (None, {}) for other questions or a role without a name
    ('the union official')."""
    if shape.kind != SAID_ABOUT or not shape.speaker:
        return None, {}
    names = _speaker_names(shape.speaker)
    reports = speech_by(shape.speaker)
    idf = _query_idf(keywords)
    named = {n.lower() for n in names}
    stems: dict[str, tuple[str, float]] = {}
    for word in content_words(shape.topic or ""):
        stem = support_stem(word)
        if word.lower() not in named and idf.get(stem, 0.0) > 0:
            stems[stem] = (_opening(stem), idf[stem])
    return reports, stems


def speech_by(speaker: str) -> re.Pattern[str] | None:
    """A pattern finding the surname of X ('What did X say about Y') as the subject of a speech verb ('Mr Howard
    added', 'said Mr Brown', 'Mr Brown insisted'); None for a role without a name ('the union official')."""
    names = _speaker_names(speaker)
    if not names:
        return None
    surname = re.escape(names[-1])
    return re.compile(
        rf"\b{surname}\b(?:,[^,]{{1,80}},)?\s+(?:has\s+|had\s+|have\s+|also\s+|later\s+|then\s+)?(?:{_SPEECH_VERBS})\b"
        # 'said Mr Brown.' / 'said Mr Brown, who ...', not 'said Mr Brown's rule ...' or 'said Mr Brown was ...'
        rf"|\b(?:{_SPEECH_VERBS})\s+(?:(?:Mr|Mrs|Ms|Dr|Sir|Lord|Lady)\.?\s+)?(?:[A-Z][\w'’-]+\s+)?{surname}(?=\s*(?:[,.;:!?]|$))"
    )


def _speaker_names(speaker: str) -> list[str]:
    """The capitalised words of X in 'what did X say about Y' ('Michael Howard' -> Michael, Howard; 'the union
    official' -> none): the last is the surname reported speech goes by. A person's name ends X ('Tory leader Michael
    Howard'); X ending in a lower-case word is a role, its capitals an organisation's ('the SEC chairman': 'The SEC
    said ...' is not the chairman's speech)."""
    words = speaker.split()
    if not words or not words[-1][:1].isupper():
        return []
    return [w for w in re.findall(r"[A-Z][\w'’-]+", speaker) if w.lower() not in ("the", "a", "an")]


def _said_about_match(shape: QueryShape) -> str | None:
    """The FTS5 match for sentences naming X's surname and a word of Y ('What did Michael Howard say about
    Europe?' -> body : ("Howard" AND ("Europe"))); None for other questions or a role without a name."""
    if shape.kind != SAID_ABOUT or not shape.speaker or not shape.topic:
        return None
    names = _speaker_names(shape.speaker)
    named = {n.lower() for n in names}
    topic = [w for w in content_words(shape.topic) if w not in named]
    if not names or not topic:
        return None
    return f"body : ({phrase(names[-1])} AND ({' OR '.join(phrase(w) for w in topic)}))"


def _topic_share(text: str, stems: dict[str, tuple[str, float]]) -> float:
    """The share of Y's idf whose words lower-case `text` holds ('son-in-law' lends little: 'law' is common)."""
    total = sum(value for _, value in stems.values())
    held = sum(value for stem, (opening, value) in stems.items() if _opens_word(text, opening, stem, support_stem))
    return held / total if total else 0.0


def _article_support(keywords: Any, cache: ArticleCache, article_ids: set[int]) -> dict[int, float]:
    """Article id -> the share of the query's idf its title and text hold, on answer.article_support's stems.
    Each query word's stem is looked for as the opening of a word of the article (a substring search first),
    not every word of the article stemmed, which cost 4.5 ms a question on BBC."""
    idf = _query_idf(keywords)
    total = sum(idf.values())
    if not idf or not total:
        return {}
    opening = {s: _opening(s) for s in idf}
    found: dict[int, float] = {}
    for article_id in article_ids:
        row = cache.get(article_id)
        if row is None:
            continue
        text = f"{row.title} {row.text}".lower()
        found[article_id] = sum(value for stem, value in idf.items() if _opens_word(text, opening[stem], stem, support_stem)) / total
    return found


_LEAD_END = re.compile(r"(?<=[.!?])[\"”’']?\s+(?=[\"“‘']?[A-Z])|\n")


def _story_ranks_nothing(speech: bool, covered: dict[int, float]) -> bool:
    """True when the words naming a story should not rank its sentences: for what someone said, and for a gist (no
    candidate holds FRAGMENT_HELD of the question's idf with the sentence before, as a passage would hold its own
    words; SQuAD questions, which copy their answer sentence's words, are left alone)."""
    return speech or max(covered.values(), default=0.0) < FRAGMENT_HELD


def _without_story_credit(scored: list[ScoredSentence], credit: dict[int, float]) -> list[ScoredSentence]:
    """The sentences of each article re-ranked without the coverage credit of the words naming the story (`credit`,
    sentence id -> score), on the article's own scores: the story's words tell which article, not which of its
    sentences, so the places its sentences hold among the other articles' stay as they were."""
    by_article: dict[int, list[ScoredSentence]] = {}
    for s in scored:
        by_article.setdefault(s.article_id, []).append(s)
    out: list[ScoredSentence] = []
    for sentences in by_article.values():
        if len(sentences) == 1 or not any(s.sentence_id in credit for s in sentences):
            out += sentences
            continue
        places = sorted((s.score for s in sentences), reverse=True)
        order = sorted(sentences, key=lambda s: s.score - credit.get(s.sentence_id, 0.0), reverse=True)
        out += [replace(s, score=place) if s.score != place else s for s, place in zip(order, places, strict=True)]
    return out


def _story_shares(
    keywords: Any, cache: ArticleCache, rows: list[Any], context: dict[int, tuple[str, str, str]], covered: dict[int, float]
) -> dict[int, float]:
    """Sentence id -> the share of the query's idf held both by the sentence (or the one before) and by its article's
    title or lead sentence: words naming the story, which tell its sentences apart no more than its title does. Only
    for sentences that hold some query word (`covered`) in articles with several candidates: it re-ranks within one."""
    from collections import Counter

    per_article = Counter(r.article_id for r in rows)
    rows = [r for r in rows if covered.get(r.id) and per_article[r.article_id] > 1]
    idf = _query_idf(keywords)
    total = sum(keywords.idf)
    if not idf or not total:
        return {}
    opening = {s: _opening(s) for s in idf}
    leads: dict[int, list[str]] = {}
    found: dict[int, float] = {}
    for r in rows:
        held = leads.get(r.article_id)
        if held is None:
            row = cache.get(r.article_id)
            held = []
            if row is not None:
                body = row.text[len(row.title):].lstrip() if row.text.startswith(row.title) else row.text
                lead = f"{row.title} {_LEAD_END.split(body, 1)[0]}".lower()
                held = [s for s in idf if _opens_word(lead, opening[s], s, support_stem)]
            leads[r.article_id] = held
        if not held or r.id not in context:
            continue
        _, text, prev = context[r.id]
        lower = f"{text} {prev}".lower()
        found[r.id] = sum(idf[s] for s in held if _opens_word(lower, opening[s], s, support_stem)) / total
    return found


_WORD_REST = re.compile(r"\w*")


def _opens_word(text: str, opening: str, stem: str, stemmer: Any) -> bool:
    """True when some word of `text` (lower case) starts with `opening` and has the support stem `stem`;
    found with str.find, which is far faster than a regex opening on a word boundary."""
    at = text.find(opening)
    while at >= 0:
        if at == 0 or not (text[at - 1].isalnum() or text[at - 1] == "_"):
            word = _WORD_REST.match(text, at)
            if word is not None and stemmer(word.group(0)) == stem:
                return True
        at = text.find(opening, at + 1)
    return False


def _first_article_confidence(
    scored: list[ScoredSentence], judged: int | None, chunk_cos: dict[tuple[int, int], float], keywords: Any, cache: ArticleCache
) -> float | None:
    """Retrieval.first_confidence: None unless the first sentence's article is not the judged one and holds the
    query's rarest word (a story written about is likelier to keep its most specific word than one of the
    same domain; without it 'Why did the Bank of England start quantitative easing?' was answered)."""
    if judged is None or not scored or scored[0].article_id == judged or not keywords.phrases:
        return None
    first = scored[0].article_id
    row = cache.get(first)
    rarest = support_stem(_unquoted(max(zip(keywords.idf, keywords.phrases))[1]))
    if row is None or not _opens_word(f"{row.title} {row.text}".lower(), _opening(rarest), rarest, support_stem):
        return None
    best_sentence = max(s.dense for s in scored if s.article_id == first)
    best_chunk = max((c for (a, _), c in chunk_cos.items() if a == first), default=0.0)
    return (best_sentence + best_chunk) / 2


FRAGMENT_HELD = 0.75
"""Share of a keyword fragment's words one candidate (with the sentence before it) must hold for the words
to count as the passage's own; every fragment of the lookup set has at least 4 of 5."""


def _held_together(scored: list[ScoredSentence], searched: int) -> bool:
    """True when some candidate holds at least FRAGMENT_HELD of the query's searched words."""
    return max((s.words for s in scored), default=0) >= FRAGMENT_HELD * searched


SPEAKER_WORDS_MAX = 2
"""Query words matching a speaker's name or role that count (a long role matches common words)."""


Quotations = dict[int, list[tuple[int, int, str | None, str | None]]]
"""Article id -> its stored quotations (start, end, speaker, role), a later mention taking the role of the first."""


def _quotations_of(db: Store, rows: list[Any]) -> Quotations:
    """The stored quotations of the candidates' articles (one read)."""
    spans: Quotations = {}
    for article_id, start, end, speaker, role in db.quotations_of({r.article_id for r in rows}):
        spans.setdefault(article_id, []).append((start, end, speaker, role))
    return {article_id: _with_borrowed_roles(quotes) for article_id, quotes in spans.items()}


def _quotation_at(quotations: Quotations, article_id: int, start: int, end: int) -> tuple[int, int, str | None, str | None] | None:
    """The first stored quotation (start, end, speaker, role) overlapping a span, if any."""
    return next((q for q in quotations.get(article_id, ()) if q[0] < end and q[1] > start), None)


def _speaker_evidence(
    db: Store, rows: list[Any], text: str, introductions: ArticleCache | None = None, quotations: Quotations | None = None
) -> dict[int, int]:
    """Sentence id -> how many of the words of `text` (the question's description of the speaker, else the whole
    question; crude stems) the name or role of the speaker of the stored quotation holding the sentence shares
    (capped), for every sentence inside a quotation. With `introductions` (the articles' text), the words the article
    puts before the speaker's name and in an apposition after it where it first names them count as the role too.
    `quotations`: the candidates' quotations when already read."""

    wanted = {_role_kin(crude_stem(w)) for w in content_words(text)}
    spans = quotations if quotations is not None else _quotations_of(db, rows)
    found: dict[int, int] = {}
    shared: dict[tuple[int, str | None, str | None], int] = {}
    for r in rows:
        quotation = _quotation_at(spans, r.article_id, r.start, r.end)
        if quotation is None:
            continue
        _, _, speaker, role = quotation
        key = (r.article_id if introductions is not None else 0, speaker, role)
        if key not in shared:
            said = f"{speaker or ''} {role or ''}"
            if introductions is not None and speaker:
                article = introductions.get(r.article_id)
                said += " " + _introduction(article.text, speaker) if article is not None else ""
            described_by = {_role_kin(crude_stem(w)) for w in content_words(said)}
            shared[key] = min(len(described_by & wanted), SPEAKER_WORDS_MAX)
        found[r.id] = shared[key]
    return found


_ROLE_KIN_WORDS = (
    "boss manager coach chief head chairman chairwoman director executive",
    "spokesman spokeswoman spokesperson representative",
    "minister secretary",
    "leader president premier",
    "lawyer solicitor barrister attorney counsel",
    "analyst economist strategist",
    "researcher scientist academic professor expert",
    "actor actress star",
    "firm company group giant maker",
)
_ROLE_KIN = {crude_stem(word): crude_stem(words.split()[0]) for words in _ROLE_KIN_WORDS for word in words.split()}
"""A role as a writer remembers it and as the story gives it: 'the Chelsea manager' is 'Chelsea boss Jose Mourinho',
'the foreign minister' a foreign secretary, 'the Pakistani leader' its president (crude stems, one word per kin)."""


def _role_kin(stem: str) -> str:
    """One stem for the role words a news story and a writer's memory use for the same post."""
    return _ROLE_KIN.get(stem, stem)


def _introduction(text: str, speaker: str) -> str:
    """The words an article puts around a speaker's name where it first gives it in full: before it, back to the start
    of the clause ('World Anti-Doping Agency (WADA) chief Dick Pound says ...'), and an apposition after it ('Jeff
    Joseph, from the Consumer Electronics Association (CEA) told ...'); the quotation store's role is often cut short
    ('chief') or missing."""
    at = text.find(speaker)
    if at < 0:
        return ""
    opening = max(text.rfind(mark, 0, at) for mark in (". ", "\n", ", ", '"', "“", "”")) + 1
    after = at + len(speaker)
    tail = ""
    if text.startswith(",", after):
        stops = [i for i in (text.find(",", after + 1), text.find(". ", after + 1), text.find("\n", after + 1)) if i >= 0]
        tail = text[after + 1 : min(stops, default=len(text))]
    return f"{text[opening:at]} {tail}"


def _spoken_of(db: Store, rows: list[Any], names: tuple[str, ...], description: str) -> set[int]:
    """Ids of the candidates inside stored quotations whose speaker the question names outside its description of the
    speaker: 'Which Czech qualifier said nerves kept him awake before facing Hewitt?' asks for the qualifier's words,
    and Hewitt's quotations, on topic and in the same story, are the likeliest wrong answer. A name of the description
    ('What did Kilroy-Silk say ...') is the speaker's own and is not counted; a 'Who said ...?' question has no
    description, and every name it holds is someone spoken of."""
    described = {w.lower() for w in _DESCRIPTION_WORD.findall(description)}
    others = {part.lower() for name in names for part in name.split() if part.lower() not in described}
    if not others:
        return set()
    spans: dict[int, list[tuple[int, int]]] = {}
    for article_id, start, end, speaker, _ in db.quotations_of({r.article_id for r in rows}):
        if speaker and not others.isdisjoint(w.lower() for w in speaker.split()):
            spans.setdefault(article_id, []).append((start, end))
    return {r.id for r in rows if any(start < r.end and end > r.start for start, end in spans.get(r.article_id, ()))}


_WHY_PERSON = re.compile(r"^\W*why\s+(?:did|was|were|had|has|is|does|do)\s+(?P<who>(?:the|a|an|his|her|its|their)\s+(?:[\w'’-]+\s+){0,3}[\w'’-]+)", re.I)
"""'Why did|was ... the|a|his ... X ...?' and the words after the determiner (up to four: 'the engineer's son decide to'):
a question about someone's reasons, which a story mostly gives in their own words; the quotations of a speaker whose
name, role or introduction shares a word with them get the quotation bonus (the verbs after X seldom match a role)."""
_DESCRIPTION_WORD = re.compile(r"[\w'’-]+")
_HONORIFICS = frozenset("mr mrs ms miss dr sir lord lady dame prof professor".split())


def _with_borrowed_roles(quotes: list[tuple[int, int, str | None, str | None]]) -> list[tuple[int, int, str | None, str | None]]:
    """An article's quotations, a speaker without a role taking the role of the article's speaker whose full name
    holds its name ('Mr Kim' later in a story is 'Kim Yungmin, an equity strategist' introduced earlier)."""
    roles: dict[str, str] = {}
    for _, _, speaker, role in quotes:
        if speaker and role:
            for part in speaker.split():
                if part.lower() not in _HONORIFICS:
                    roles.setdefault(part, role)
    if not roles:
        return quotes
    out = []
    for start, end, speaker, role in quotes:
        if speaker and not role:
            parts = [p for p in speaker.split() if p.lower() not in _HONORIFICS]
            if parts and parts[-1] in roles:
                role = roles[parts[-1]]
        out.append((start, end, speaker, role))
    return out


def _closest(rows: list[Any], query_vector: Any, keep: int) -> list[Any]:
    """The `keep` rows closest to the question, in their order."""
    import numpy as np

    if len(rows) <= keep:
        return rows
    matrix = np.frombuffer(b"".join(r.vector for r in rows), dtype=np.float16).reshape(len(rows), -1).astype(np.float32)
    cos = matrix @ np.asarray(query_vector, dtype=np.float32).reshape(-1)
    return [rows[i] for i in sorted(np.argsort(-cos, kind="stable")[:keep])]


def _closest_extra(rows: list[Any], fused: set[tuple[int, int]], lexical: list[tuple[int, float]], query_vector: Any, keep: int) -> list[Any]:
    """The candidate rows with, of those only the dense chunks brought (not in a fused chunk, not a
    lexical hit), just the `keep` closest to the question."""
    lexical_ids = {i for i, _ in lexical}
    core = [r for r in rows if (r.article_id, r.ord) in fused or r.id in lexical_ids]
    extra = [r for r in rows if (r.article_id, r.ord) not in fused and r.id not in lexical_ids]
    if len(extra) <= keep:
        return rows
    return core + _closest(extra, query_vector, keep)
