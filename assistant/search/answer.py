"""Turning scored sentences into an answer: verbatim quotes, merged neighbours, no redundancy, abstention."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from collections.abc import Callable, Sequence
from typing import Any

from assistant.errors import QuoteMismatch
from assistant.index.reads import ArticleCache
from assistant.index.stores import Store
from assistant.models import Location, Quote
from assistant.search.keywords import phrase_match, support_stem
from assistant.search.retrieval import Retrieval, ScoredSentence
from assistant.text.query import FRAGMENT, NAME, PHRASE, QueryShape, words


@dataclass(frozen=True)
class AnswerPolicy:
    """Thresholds of the answer builder; the abstention ones are calibrated in `assistant eval`."""

    abstain_below: float = 0.37
    """Abstain when the confidence (mean of the best sentence's and the best chunk's cosine
    similarity to the question) is below this; calibrated so 97% of answerable SQuAD questions
    are answered (docs/retrieval.md)."""
    keep_ratio: float = 0.70
    """Quotes after the first must score at least this fraction of the first."""
    merge_ratio: float = 0.85
    """A neighbouring sentence joins a quote when it scores at least this fraction of it."""
    max_sentences: int = 3
    """Sentences in one quote at most."""
    redundancy: float = 0.92
    """Cosine similarity above which a passage repeats one already quoted."""
    mmr_lambda: float = 0.85
    """Relevance versus novelty when picking the next quote."""
    continuation_ratio: float = 0.70
    """The same for the next sentence when it opens by referring back ('But a storm dispersed the fleet.',
    'It ...', 'He ...'): it continues the quote's thought, so it joins at a lower share (SQuAD quote-hit@1
    0.835 -> 0.848, the same from 0.5 to 0.7; first quotes 6% longer)."""
    support_floor: float = 0.70
    """On a large index, cosine evidence answers only when `confidence + SUPPORT_WEIGHT x support` reaches
    this (`unsupported`): `abstain_below + SUPPORT_MARGIN` for each model."""


ABSTAIN_THRESHOLDS = {"all-MiniLM-L6-v2": 0.37, "hash": 0.15}
"""Cosine levels differ between models: each calibrated one has its own threshold. Others use
MiniLM's, which `assistant eval` can check."""


def policy_for(model_name: str) -> AnswerPolicy:
    """The answer policy calibrated for an embedding model."""
    threshold = ABSTAIN_THRESHOLDS.get(model_name, ABSTAIN_THRESHOLDS["all-MiniLM-L6-v2"])
    return AnswerPolicy(abstain_below=threshold, support_floor=round(threshold + SUPPORT_MARGIN, 3))


_WORD_RE = re.compile(r"\w+(?:['’]\w+)*", re.UNICODE)


@functools.lru_cache(maxsize=512)
def article_stems(text: str) -> frozenset[str]:
    """The support stems of every word of an article (title included by the caller), cached per text."""
    return frozenset(support_stem(w) for w in set(_WORD_RE.findall(text.lower())))


SUPPORT_MARGIN = 0.33
"""How far above the abstention threshold the cosine must be to answer on its own when the quoted article
holds none of the question's rarer words (docs/retrieval.md, "Abstention on topics never seen"): for MiniLM
0.37 + 0.33 = 0.70, above what same-domain passages of another story reach (0.45-0.6 on BBC category folds).
With every such word in the article the threshold alone decides."""
SUPPORT_WEIGHT = 0.4
"""Weight of the support share in `confidence + SUPPORT_WEIGHT x support >= AnswerPolicy.support_floor`."""
FRAGMENT_SUPPORT = 0.9
"""Share of a keyword fragment's idf its quoted article must hold when cosine alone would answer it: the
words of a half-remembered passage are the passage's own words."""
NEAR_PHRASE_WORDS = 4
"""A quoted phrase counts as found in a near form (one word wrong or missing) only from this many words on:
two words of a three-word phrase in order are found in many unrelated sentences."""


def article_support(question_words: list[str], frequencies: list[int], rows: int, text: str) -> float:
    """The share of a question's idf (over its content words the index holds; the absent-word rule speaks
    for the others) that an article's `text` (title and body) holds, on support stems."""
    import math

    stems = article_stems(text)
    total = found = 0.0
    for word, count in zip(question_words, frequencies, strict=True):
        if count <= 0:
            continue
        weight = math.log((rows + 1) / (count + 0.5))
        total += weight
        found += weight * (support_stem(word) in stems)
    return found / total if total else 1.0


def _holds(quoted: str, match: float) -> bool:
    """Whether a phrase match (keywords.phrase_match) counts: the phrase itself, or a near form of a long one."""
    return match >= 1.0 or (match >= 0.8 and len(words(quoted)) >= NEAR_PHRASE_WORDS)


def unsupported(
    shape: QueryShape,
    found: Retrieval,
    confidence: float,
    lexical: bool,
    support: Callable[[int], float],
    policy: AnswerPolicy,
    *,
    large: bool,
    article_text: Callable[[int], str] | None = None,
) -> str | None:
    """Why an answer the cosine threshold or a near phrase would give is not one, as the answer's message;
    None when it stands. A quoted phrase must be found (exactly, or in a near form when long enough). On a
    large index (where idf tells a story's own words from common ones) cosine evidence must also be backed
    by the quoted article: a keyword fragment's words must be in it, a question's rarer words partly so
    (`support(article_id)` is the share of the query's idf the article holds). `lexical`: the engine's
    precise-lookup evidence (rare words together in one sentence), which needs no more backing. A question
    quoting words ('Who said "our nation is in peril"?') answered by cosine needs them in the quoted article
    (`article_text(article_id)`: its title and text), on any index."""
    if not found.sentences:
        return None
    top = found.sentences[0]
    if shape.kind == PHRASE:
        longest = max(shape.phrases, key=lambda p: len(words(p)), default="")
        if _holds(longest, top.phrase):
            return None
        return f"no passage holds the phrase \"{shape.phrases[0]}\"; the closest passages below are weak matches"
    if shape.phrases and not lexical and article_text is not None:
        text = article_text(top.article_id)
        for quoted in shape.phrases:
            if not _holds(quoted, phrase_match(quoted, text)):
                return f"the closest passages do not hold \"{quoted}\"; they are shown below as weak matches"
    if not large or lexical:
        return None
    share = support(found.judged_article if found.judged_article is not None else top.article_id)
    if shape.kind in (FRAGMENT, NAME):
        enough = share >= FRAGMENT_SUPPORT
    else:
        enough = confidence + SUPPORT_WEIGHT * share >= policy.support_floor
        if not enough and found.first_confidence is not None:
            # The article quoted first, put there by its support of the query's words, vouches on its own evidence.
            enough = found.first_confidence + SUPPORT_WEIGHT * support(top.article_id) >= policy.support_floor
    if enough:
        return None
    return "the closest passages are from stories that lack most of the query's words; they are shown below as weak matches"


_SPACE_RE = re.compile(r"\W+", re.UNICODE)


def _norm(text: str) -> str:
    return _SPACE_RE.sub(" ", text.lower()).strip()


def _span(articles: ArticleCache, article_id: int, start: int, end: int) -> str:
    """The exact article text of [start, end)."""
    row = articles.get(article_id)
    if row is None:
        raise QuoteMismatch(f"article {article_id} vanished")
    return row.text[start:end]


_PRONOUNS = frozenset("he she they his her their".split())
_LINKS = frozenset("but and yet so still also however then meanwhile".split())


_SAID_BY_PRONOUN = re.compile(r"""[,"”’]\s*(?:he|she|they)\s+\w+(?:\s+[\w'’]+){0,3}\s*[.!?]?["”’]*\s*$""", re.I)
"""Speech closed by a pronoun: '..., he said.' or '..." she told the BBC.'"""


def needs_antecedent(text: str) -> bool:
    """True when a sentence names its speaker only by a pronoun ('But at the same time, he stressed
    that ...', '"...," he said.'): quoted alone it would not say who spoke."""
    if _SAID_BY_PRONOUN.search(text):
        return True
    head, comma, rest = text.partition(",")
    if comma and len(head.split()) <= 6:
        text = rest  # an opening phrase: "At the same time, he ..."
    words = [w.lower() for w in re.findall(r"[\w'’]+", text)[:8]]
    while words and words[0] in _LINKS:
        words.pop(0)
    return bool(words) and words[0] in _PRONOUNS


@dataclass
class _Draft:
    lead: ScoredSentence
    first: ScoredSentence
    last: ScoredSentence
    duplicates: list[ScoredSentence]


def build_quotes(
    db: Store, found: Retrieval, max_quotes: int, policy: AnswerPolicy, *, weak: bool = False
) -> tuple[Quote, ...]:
    """Pick, merge and cite the quotes of an answer from the retrieval's sentences."""
    pool = list(found.sentences[:60])
    if not pool or max_quotes <= 0:
        return ()
    articles = found.articles if found.articles is not None else db.articles()
    by_pos = {(s.article_id, s.ord): s for s in found.sentences}
    top = pool[0].score
    picked: list[_Draft] = []
    used: set[tuple[int, int]] = set()
    sims = _similarities(found, pool)
    texts: dict[int, str] = {}

    def text_of(s: ScoredSentence) -> str:
        if s.sentence_id not in texts:
            known = found.sentence_texts.get(s.sentence_id)
            texts[s.sentence_id] = known if known is not None else _span(articles, s.article_id, s.start, s.end)
        return texts[s.sentence_id]

    # Each candidate's highest similarity to a picked lead, kept up to date as leads are picked
    # (the same MMR values as recomputing the max over every lead, without the quadratic loop).
    closest: dict[int, float] = {}
    spoken: dict[int, list[tuple[int, int, str]]] = {}
    while pool and len(picked) < max_quotes:
        best_i, best_val = -1, -1e9
        for i, cand in enumerate(pool):
            if (cand.article_id, cand.ord) in used:
                continue
            sim = closest.get(cand.sentence_id, 0.0) if picked else 0.0
            val = policy.mmr_lambda * cand.score - (1 - policy.mmr_lambda) * sim
            if val > best_val:
                best_i, best_val = i, val
        if best_i < 0:
            break
        cand = pool.pop(best_i)
        if picked and cand.score < policy.keep_ratio * top:
            break
        twin = _duplicate_of(cand, picked, sims, text_of, policy)
        if twin is not None:
            twin.duplicates.append(cand)
            used.add((cand.article_id, cand.ord))
            continue
        draft = _Draft(cand, cand, cand, [])
        used.add((cand.article_id, cand.ord))
        _grow(draft, by_pos, used, policy, text_of)
        if draft.first is not draft.last:
            _one_speaker(db, draft, by_pos, used, spoken)
        _attribute(db, draft, by_pos, used, text_of, spoken)
        for other in pool:
            sim = sims(other, draft.lead)
            closest[other.sentence_id] = sim if not picked else max(closest[other.sentence_id], sim)
        picked.append(draft)
    # A story filed twice under two names (same text): the quote is in the twin too, at the same offsets.
    twins = db.twin_articles({d.lead.article_id for d in picked})
    return tuple(_cite(articles, n, d, weak, twins.get(d.lead.article_id, ())) for n, d in enumerate(picked, start=1))


def _similarities(found: Retrieval, pool: list[ScoredSentence]) -> Callable[[ScoredSentence, ScoredSentence], float]:
    """Cosine similarity between pool sentences, all pairs from one matrix product."""
    import numpy as np

    if found.matrix is not None and all(s.sentence_id in found.rows for s in pool):
        position = {s.sentence_id: n for n, s in enumerate(pool)}
        vectors = found.matrix[[found.rows[s.sentence_id] for s in pool]]
        # einsum, not BLAS: a 60 x 60 product is too small for threads, which only contend with the model's.
        # Only similarities to a picked lead are asked for: that lead's column alone, made on first use by the
        # same einsum (the whole table's values to the last bit), is a twelfth of the work of the table.
        columns: dict[int, list[float]] = {}

        def similarity(a: ScoredSentence, b: ScoredSentence) -> float:
            column = columns.get(b.sentence_id)
            if column is None:
                at = position[b.sentence_id]
                column = columns[b.sentence_id] = np.einsum("ij,kj->ik", vectors, vectors[at : at + 1])[:, 0].tolist()
            return column[position[a.sentence_id]]

        return similarity
    vecs = found.sentence_vectors
    return lambda a, b: float(np.dot(vecs[a.sentence_id], vecs[b.sentence_id]))


def _duplicate_of(
    cand: ScoredSentence, picked: list[_Draft], sims: Callable[[ScoredSentence, ScoredSentence], float], text_of: Any, policy: AnswerPolicy
) -> _Draft | None:
    for draft in picked:
        if sims(cand, draft.lead) >= policy.redundancy or _norm(text_of(cand)) == _norm(text_of(draft.lead)):
            return draft
    return None


_CONTINUES_RE = re.compile(r"^\s*(?:but|however|yet|so|this|that|these|those|it|its|he|she|they|his|her|their|there|then|also|still|instead)\b", re.I)
"""A sentence opening like this continues the one before it ('But a storm dispersed the fleet.', 'There they
continued ...'); not one opening a quotation (its 'It' or 'There' belongs to the speaker's own thought)."""


def _grow(
    draft: _Draft, by_pos: dict[tuple[int, int], ScoredSentence], used: set[tuple[int, int]], policy: AnswerPolicy, text_of: Any = None
) -> None:
    """Join adjacent sentences of the same paragraph that are nearly as relevant."""
    size = 1
    while size < policy.max_sentences:
        options = []
        for key in ((draft.first.article_id, draft.first.ord - 1), (draft.last.article_id, draft.last.ord + 1)):
            near = by_pos.get(key)
            if near and key not in used and near.paragraph == draft.lead.paragraph:
                ratio = policy.merge_ratio
                if text_of is not None and key[1] > draft.last.ord and _CONTINUES_RE.match(text_of(near)):
                    ratio = policy.continuation_ratio
                # Without the article's support: every sentence of the article has the same, and it is not
                # evidence that this one continues the lead.
                if near.score - near.support >= ratio * (draft.lead.score - draft.lead.support):
                    options.append(near)
        if not options:
            return
        near = max(options, key=lambda s: s.score)
        used.add((near.article_id, near.ord))
        if near.ord < draft.first.ord:
            draft.first = near
        else:
            draft.last = near
        size += 1


def _one_speaker(
    db: Store, draft: _Draft, by_pos: dict[tuple[int, int], ScoredSentence], used: set[tuple[int, int]],
    spoken: dict[int, list[tuple[int, int, str]]],
) -> None:
    """Narrow a grown quote so that it never runs into another speaker's quotation: joined neighbours
    stop at the first sentence whose quotation has another named speaker, so the speaker shown for the
    quote said every attributed word of it. (An unattributed quotation is often the same speaker going
    on; it joins, and a quote it dominates shows no speaker.) Sentences let go can make quotes of their own."""
    article_id = draft.lead.article_id
    quotations = _named_quotations(db, article_id, spoken)
    if not quotations:
        return
    fixed = _owner(quotations, draft.lead.start, draft.lead.end)
    for step in (-1, 1):
        edge = draft.lead
        while (edge is not draft.first) if step < 0 else (edge is not draft.last):
            near = by_pos[(article_id, edge.ord + step)]
            who = _owner(quotations, near.start, near.end)
            if who is not None and fixed is not None and who != fixed:
                break
            fixed = fixed or who
            edge = near
        if step < 0:
            for ord_ in range(draft.first.ord, edge.ord):
                used.discard((article_id, ord_))
            draft.first = edge
        else:
            for ord_ in range(edge.ord + 1, draft.last.ord + 1):
                used.discard((article_id, ord_))
            draft.last = edge


def _named_quotations(db: Store, article_id: int, spoken: dict[int, list[tuple[int, int, str]]]) -> list[tuple[int, int, str]]:
    """(start, end, speaker in lower case) of an article's quotations whose speaker is named (read once per answer)."""
    if article_id not in spoken:
        spoken[article_id] = [(start, end, speaker.lower()) for _, start, end, speaker, _ in db.quotations_of([article_id]) if speaker]
    return spoken[article_id]


def _owner(quotations: list[tuple[int, int, str]], start: int, end: int) -> str | None:
    """Whose attributed words [start, end) mostly holds; None for narration or unattributed words."""
    best, overlap = None, 0
    for q_start, q_end, speaker in quotations:
        shared = min(q_end, end) - max(q_start, start)
        if shared > overlap:
            best, overlap = speaker, shared
    return best


ATTRIBUTION_SENTENCES = 2
"""Sentences a quote may reach back for the name of its speaker ("He said ... He also stressed ...")."""


def _attribute(
    db: Store, draft: _Draft, by_pos: dict[tuple[int, int], ScoredSentence], used: set[tuple[int, int]], text_of: Any,
    spoken: dict[int, list[tuple[int, int, str]]],
) -> None:
    """A quote whose speaker is only 'he' takes in the sentences before it (the previous paragraph's
    last one too) until one names someone: for "who said ...?" the name is the answer. It never takes
    in another named speaker's quotation (whose words would then stand under this quote's speaker)."""
    mine: str | None = None
    for _ in range(ATTRIBUTION_SENTENCES):
        if not needs_antecedent(text_of(draft.first)):
            return
        key = (draft.first.article_id, draft.first.ord - 1)
        if key in used:
            return
        before = by_pos.get(key) or _sentence_at(db, *key)
        if before is None:
            return
        quotations = _named_quotations(db, before.article_id, spoken)
        who = _owner(quotations, before.start, before.end)
        mine = mine or _owner(quotations, draft.first.start, draft.last.end)
        if who is not None and mine is not None and who != mine:
            return
        used.add(key)
        draft.first = before


def _sentence_at(db: Store, article_id: int, ord_: int) -> ScoredSentence | None:
    """A sentence that was not a candidate (no scores), by its position in the article."""
    row = db.sentence_at(article_id, ord_)
    if row is None:
        return None
    sid, start, end, paragraph = row
    return ScoredSentence(sid, article_id, ord_, start, end, paragraph, 0.0, 0.0, 0.0, 0.0, 0.0)


def _cite(articles: ArticleCache, n: int, draft: _Draft, weak: bool, twins: Sequence[int] = ()) -> Quote:
    articles.load({draft.lead.article_id, *(d.article_id for d in draft.duplicates), *twins})
    start, end = draft.first.start, draft.last.end
    text = _span(articles, draft.lead.article_id, start, end)
    if len(text) != end - start:
        raise QuoteMismatch(f"quote [{start}:{end}] of article {draft.lead.article_id} does not match its text")
    lead = articles.get(draft.lead.article_id)
    assert lead is not None  # _span raised otherwise
    line = lead.line_at(start)
    also = []
    for dup in draft.duplicates:
        if dup.article_id == draft.lead.article_id:
            continue
        r = articles.get(dup.article_id)
        if r is None:
            continue
        # The quote may have grown around its lead sentence: the copy's place grows alike where its story reads the same.
        lo, hi = dup.start - (draft.lead.start - start), dup.end + (end - draft.lead.end)
        if lo < 0 or r.text[lo:hi] != text:
            lo, hi = dup.start, dup.end
        also.append(Location(path=r.path, title=r.title, line=r.line_at(lo), start=lo, end=hi))
    listed = {(loc.path, loc.start) for loc in also}
    for twin in twins:
        r = articles.get(twin)
        if r is None or (r.path, start) in listed or r.text[start:end] != text:
            continue
        also.append(Location(path=r.path, title=r.title, line=r.line_at(start), start=start, end=end))
    return Quote(
        n=n,
        text=text,
        article_id=lead.id,
        path=lead.path,
        record=lead.record,
        title=lead.title,
        date=dt.date.fromisoformat(lead.date) if lead.date else None,
        source=lead.source,
        url=lead.url,
        author=lead.author,
        paragraph=draft.first.paragraph,
        line=line,
        start=start,
        end=end,
        score=draft.lead.score,
        weak=weak,
        also_in=tuple(also),
    )


def sentence_quote(articles: ArticleCache, n: int, article_id: int, start: int, end: int, paragraph: int, score: float = 1.0) -> Quote:
    """One sentence of an article as a cited quote (every-mention listings)."""
    s = ScoredSentence(0, article_id, 0, start, end, paragraph, 0.0, 0.0, 0.0, 0.0, score)
    return _cite(articles, n, _Draft(s, s, s, []), False)
