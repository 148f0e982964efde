"""Keyword search planning that stays fast at any index size: common terms pruned (the store runs the searches)."""

from __future__ import annotations

import functools
import re

from assistant.index.fts import (  # noqa: F401 (re-exported: the keyword API callers know)
    B,
    K1,
    Evidence,
    KeywordQuery,
    TermStats,
    chunk_matches,
    idf,
    phrase,
    sentence_evidence,
    sentence_scores,
)
from assistant.text.query import content_words, words

POSTING_BUDGET = 20_000
"""Chunk rows one keyword search may score. FTS5 computes bm25 for every row that matches before it
sorts (about 0.8 us a row here), so an OR of common words over a million chunks costs 60-200 ms;
terms are kept rarest first while their document frequencies fit this budget. Below ~10,000 chunks
an ordinary question never reaches it, so small indexes rank exactly as plain BM25 does."""

MAX_TERMS = 64
"""Words of one question searched at most (a pasted paragraph is still one search)."""


def search_words(text: str) -> list[str]:
    """The words of a question that keyword search uses: content words, else any longer word."""
    found = content_words(text) or [w for w in words(text) if len(w) > 1]
    return found[:MAX_TERMS]


def plan(stats: TermStats, text: str, budget: int | None = None) -> KeywordQuery:
    """The keyword searches for a question, sized so the chunk search scores at most ~`budget` rows
    (by default the store's own `posting_budget`, else POSTING_BUDGET)."""
    budget = budget if budget is not None else getattr(stats, "posting_budget", POSTING_BUDGET)
    terms = search_words(text)
    if not terms:
        return KeywordQuery(None, (), (), ())
    freq = stats.frequencies(terms)
    rows = stats.rows()
    phrases = tuple(phrase(t) for t in terms)
    kept: list[int] = []
    spent = 0
    for i in sorted(range(len(terms)), key=lambda i: freq[i]):
        if freq[i] == 0:
            continue  # matches nothing: leaving it out changes no result
        if spent + freq[i] > budget:
            break
        kept.append(i)
        spent += freq[i]
    common = [i for i in range(len(terms)) if freq[i] > 0 and i not in kept]
    alternatives = [phrases[i] for i in sorted(kept)]
    if len(common) > 1 or (common and not kept):
        # Chunks holding every common word are still worth ranking (interest AND rates), when few.
        together = " AND ".join(phrases[i] for i in common)
        if stats.count(together) <= budget - spent:
            alternatives.append(f"({together})" if alternatives else together)
            common = []
    match = " OR ".join(alternatives) or None
    present = [i for i in range(len(terms)) if freq[i] > 0]  # a word in no chunk is in no candidate either
    return KeywordQuery(
        match, tuple(phrases[i] for i in present), tuple(idf(rows, freq[i]) for i in present), tuple(terms[i] for i in common)
    )


_SUFFIXES = ("ingly", "edly", "ing", "ies", "ied", "ed", "es", "ly", "s", "'s", "’s")


@functools.lru_cache(maxsize=65_536)
def crude_stem(word: str) -> str:
    """A word without its commonest English inflection (enough to compare a remembered phrase)."""
    word = word.lower()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


_POSSESSIVE_RE = re.compile(r"['’]s?$")
_STEM_SUFFIXES = ("ingly", "edly", "ing", "ed", "es", "ly", "s")


@functools.lru_cache(maxsize=65_536)
def support_stem(word: str) -> str:
    """A word reduced for telling whether an article holds a question's word: possessive and common
    endings off, a final y/ies folded to i, a final e dropped, at most 7 letters ('countries' and
    'country', 'changes' and 'changing', "Margaret's" and 'Margaret' meet)."""
    w = _POSSESSIVE_RE.sub("", word.lower())
    if w.endswith(("ies", "ied")) and len(w) > 4:
        w = w[:-3] + "i"
    else:
        for suffix in _STEM_SUFFIXES:
            if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not (suffix == "s" and w.endswith("ss")):
                w = w[: -len(suffix)]
                break
    if w.endswith("y") and len(w) > 3:
        w = w[:-1] + "i"
    elif w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w[:7]


def stem_opening(stem: str) -> str:
    """What a word with this support stem starts with: a final i stands for y as well ('countri' is country's)."""
    return stem[:-1] if stem.endswith("i") and len(stem) > 1 else stem


def loose_words(word: str) -> str:
    """An FTS5 query for a word and its relatives: the word, or any word opening like it ('nerves' finds 'nervous',
    'Europe' 'European'); the word alone when its opening is too short to say much ('tax*' would find 'taxi')."""
    opening = stem_opening(support_stem(word))
    exact = phrase(word)
    return f"{exact} OR {phrase(opening)} *" if len(opening) >= 4 and opening.isalnum() else exact


NEAR_PHRASE_WORDS = 8
"""Quoted phrases of up to this many words are also searched in their near forms (one word wrong, left out or added)."""


def phrase_searches(phrases: tuple[str, ...]) -> tuple[str, ...]:
    """FTS5 expressions (the store's portable subset: quoted phrases, AND, OR, a column) for the sentences holding a
    question's quoted phrases: first the phrases themselves, then their near forms. A phrase's own words decide, not
    their weight: "consumers aren't willing" holds a stopword, and a misremembered word leaves few rare ones. Every
    near form `phrase_match` accepts holds the words before some position and the words after it, so the near forms
    are the OR over positions of those two runs (the matches are then checked by `phrase_match`)."""
    exact: list[str] = []
    near: list[str] = []
    for quoted in phrases:
        said = words(quoted)
        if not said:
            continue
        exact.append(phrase(" ".join(said)))
        if 3 <= len(said) <= NEAR_PHRASE_WORDS:
            for i in range(len(said)):
                runs = [phrase(" ".join(run)) for run in (said[:i], said[i + 1 :]) if run]
                near.append(runs[0] if len(runs) == 1 else f"({runs[0]} AND {runs[1]})")
    return tuple(f"body : ({' OR '.join(part)})" for part in (exact, near) if part)


def phrase_match(phrase: str, text: str) -> float:
    """1.0 when the text holds the phrase (inflections aside), 0.8 when it does with one word
    misremembered, left out or added, else 0.0."""
    wanted = [crude_stem(w) for w in words(phrase)]
    have = [crude_stem(w) for w in words(text)]
    n = len(wanted)
    if not n or not have:
        return 0.0
    joined = " " + " ".join(have) + " "
    if " " + " ".join(wanted) + " " in joined:
        return 1.0
    if n < 3:
        return 0.0
    # Every near form (one word wrong, missing or added) holds at least n - 1 of the wanted words.
    present = set(have)
    if sum(w not in present for w in wanted) > 1:
        return 0.0
    for i in range(len(have) - n + 1):
        if sum(a != b for a, b in zip(have[i : i + n], wanted, strict=True)) == 1:
            return 0.8
    for skip in range(n):
        shorter = wanted[:skip] + wanted[skip + 1 :]
        if " " + " ".join(shorter) + " " in joined:
            return 0.8
    for i in range(len(have) - n):
        window = have[i : i + n + 1]
        if any(window[:k] + window[k + 1 :] == wanted for k in range(1, n)):
            return 0.8
    return 0.0
