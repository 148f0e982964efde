"""Turning scored sentences into an answer: verbatim quotes, merged neighbours, no redundancy, abstention."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from assistant.models import Location, Quote
from assistant.search.retrieval import Retrieval, ScoredSentence


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


ABSTAIN_THRESHOLDS = {"all-MiniLM-L6-v2": 0.37, "hash": 0.15}
"""Cosine levels differ between models: each calibrated one has its own threshold. Others use
MiniLM's, which `assistant eval` can check."""


def policy_for(model_name: str) -> AnswerPolicy:
    """The answer policy calibrated for an embedding model."""
    return AnswerPolicy(abstain_below=ABSTAIN_THRESHOLDS.get(model_name, ABSTAIN_THRESHOLDS["all-MiniLM-L6-v2"]))


class QuoteMismatch(AssertionError):
    """A quote that is not an exact substring of its article: a bug, never shown to users."""


_SPACE_RE = re.compile(r"\W+", re.UNICODE)


def _norm(text: str) -> str:
    return _SPACE_RE.sub(" ", text.lower()).strip()


def _article_rows(db: sqlite3.Connection, ids: set[int]) -> dict[int, tuple[Any, ...]]:
    from assistant.index.store import ids_in

    rows = db.execute(
        "SELECT id, path, record, title, date, source, url, author, format, first_line FROM articles "
        f"WHERE id IN ({ids_in(ids)})"
    ).fetchall()
    return {r[0]: r for r in rows}


def _span(db: sqlite3.Connection, article_id: int, start: int, end: int) -> tuple[str, int]:
    """The exact article text of [start, end) and the number of newlines before start (SQL does the slicing)."""
    row = db.execute(
        "SELECT substr(text, ?, ?), length(substr(text, 1, ?)) - length(replace(substr(text, 1, ?), char(10), ''))"
        " FROM articles WHERE id = ?",
        (start + 1, end - start, start, start, article_id),
    ).fetchone()
    if row is None:
        raise QuoteMismatch(f"article {article_id} vanished")
    return str(row[0]), int(row[1])


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
    db: sqlite3.Connection, found: Retrieval, max_quotes: int, policy: AnswerPolicy, *, weak: bool = False
) -> tuple[Quote, ...]:
    """Pick, merge and cite the quotes of an answer from the retrieval's sentences."""
    import numpy as np

    pool = list(found.sentences[:60])
    if not pool or max_quotes <= 0:
        return ()
    by_pos = {(s.article_id, s.ord): s for s in found.sentences}
    top = pool[0].score
    picked: list[_Draft] = []
    used: set[tuple[int, int]] = set()
    vecs = found.sentence_vectors
    texts: dict[int, str] = {}

    def text_of(s: ScoredSentence) -> str:
        if s.sentence_id not in texts:
            known = found.sentence_texts.get(s.sentence_id)
            texts[s.sentence_id] = known if known is not None else _span(db, s.article_id, s.start, s.end)[0]
        return texts[s.sentence_id]

    while pool and len(picked) < max_quotes:
        best_i, best_val = -1, -1e9
        for i, cand in enumerate(pool):
            if (cand.article_id, cand.ord) in used:
                continue
            sim = max((float(np.dot(vecs[cand.sentence_id], vecs[d.lead.sentence_id])) for d in picked), default=0.0)
            val = policy.mmr_lambda * cand.score - (1 - policy.mmr_lambda) * sim
            if val > best_val:
                best_i, best_val = i, val
        if best_i < 0:
            break
        cand = pool.pop(best_i)
        if picked and cand.score < policy.keep_ratio * top:
            break
        twin = _duplicate_of(cand, picked, vecs, text_of, policy)
        if twin is not None:
            twin.duplicates.append(cand)
            used.add((cand.article_id, cand.ord))
            continue
        draft = _Draft(cand, cand, cand, [])
        used.add((cand.article_id, cand.ord))
        _grow(draft, by_pos, used, policy)
        _attribute(db, draft, by_pos, used, text_of)
        picked.append(draft)
    return tuple(_cite(db, n, d, weak) for n, d in enumerate(picked, start=1))


def _duplicate_of(cand: ScoredSentence, picked: list[_Draft], vecs: dict[int, Any], text_of: Any, policy: AnswerPolicy) -> _Draft | None:
    import numpy as np

    for draft in picked:
        for member in (draft.lead,):
            if float(np.dot(vecs[cand.sentence_id], vecs[member.sentence_id])) >= policy.redundancy or _norm(
                text_of(cand)
            ) == _norm(text_of(member)):
                return draft
    return None


def _grow(draft: _Draft, by_pos: dict[tuple[int, int], ScoredSentence], used: set[tuple[int, int]], policy: AnswerPolicy) -> None:
    """Join adjacent sentences of the same paragraph that are nearly as relevant."""
    size = 1
    while size < policy.max_sentences:
        options = []
        for key in ((draft.first.article_id, draft.first.ord - 1), (draft.last.article_id, draft.last.ord + 1)):
            near = by_pos.get(key)
            if near and key not in used and near.paragraph == draft.lead.paragraph:
                if near.score >= policy.merge_ratio * draft.lead.score:
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


ATTRIBUTION_SENTENCES = 2
"""Sentences a quote may reach back for the name of its speaker ("He said ... He also stressed ...")."""


def _attribute(
    db: sqlite3.Connection, draft: _Draft, by_pos: dict[tuple[int, int], ScoredSentence], used: set[tuple[int, int]], text_of: Any
) -> None:
    """A quote whose speaker is only 'he' takes in the sentences before it (the previous paragraph's
    last one too) until one names someone: for "who said ...?" the name is the answer."""
    for _ in range(ATTRIBUTION_SENTENCES):
        if not needs_antecedent(text_of(draft.first)):
            return
        key = (draft.first.article_id, draft.first.ord - 1)
        if key in used:
            return
        before = by_pos.get(key) or _sentence_at(db, *key)
        if before is None:
            return
        used.add(key)
        draft.first = before


def _sentence_at(db: sqlite3.Connection, article_id: int, ord_: int) -> ScoredSentence | None:
    """A sentence that was not a candidate (no scores), by its position in the article."""
    row = db.execute(
        "SELECT id, start, end, paragraph FROM sentences WHERE article_id = ? AND ord = ?", (article_id, ord_)
    ).fetchone()
    if row is None:
        return None
    sid, start, end, paragraph = row
    return ScoredSentence(sid, article_id, ord_, start, end, paragraph, 0.0, 0.0, 0.0, 0.0, 0.0)


def _cite(db: sqlite3.Connection, n: int, draft: _Draft, weak: bool) -> Quote:
    ids = {draft.lead.article_id, *(d.article_id for d in draft.duplicates)}
    rows = _article_rows(db, ids)
    start, end = draft.first.start, draft.last.end
    text, newlines = _span(db, draft.lead.article_id, start, end)
    if len(text) != end - start:
        raise QuoteMismatch(f"quote [{start}:{end}] of article {draft.lead.article_id} does not match its text")
    _, path, record, title, date, source, url, author, fmt, first_line = rows[draft.lead.article_id]
    line = _line(fmt, first_line, newlines)
    also = []
    for dup in draft.duplicates:
        if dup.article_id == draft.lead.article_id:
            continue
        r = rows[dup.article_id]
        _, dup_newlines = _span(db, dup.article_id, dup.start, dup.end)
        also.append(Location(path=r[1], title=r[3], line=_line(r[8], r[9], dup_newlines), start=dup.start, end=dup.end))
    return Quote(
        n=n,
        text=text,
        article_id=draft.lead.article_id,
        path=path,
        record=record,
        title=title,
        date=dt.date.fromisoformat(date) if date else None,
        source=source,
        url=url,
        author=author,
        paragraph=draft.first.paragraph,
        line=line,
        start=start,
        end=end,
        score=draft.lead.score,
        weak=weak,
        also_in=tuple(also),
    )


def _line(fmt: str, first_line: int | None, newlines: int) -> int | None:
    if first_line is None:
        return None
    if fmt == "jsonl":
        return int(first_line)
    return int(first_line) + newlines
