"""Follow-up questions in a conversation: who "he/she/they" is, what "what else" and "about Y" mean."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from assistant.models import Answer, Quote
from assistant.text.names import same_person
from assistant.text.query import MAX_QUESTION_CHARS, STOPWORDS, content_words

PRONOUNS = {
    "he": "", "she": "", "they": "", "him": "", "her": "", "them": "",
    "his": "'s", "hers": "'s", "their": "'s", "theirs": "'s",
}
"""Pronouns that point back at a person, and the ending the name takes in their place."""

_PRONOUN_RE = re.compile(r"\b(" + "|".join(PRONOUNS) + r")\b", re.I)
_ELSE_RE = re.compile(r"\b(what|anything|who|where)\s+else\b|\bmore\s+(quotes|quotations)\b|\b(else|more)\s+did\b", re.I)
_LEAD_RE = re.compile(r"^\W*(?:and|but|also|so|what about|how about|and what about)\b\W*", re.I)
_ABOUT_RE = re.compile(r"\b(?:about|on|regarding|concerning)\s+(.+?)\s*[?.!]*\s*$", re.I)
_FILTER_RE = re.compile(r"(?<!\S)(?:since|until|from|to|source|outlet|article|file|title|speaker):(?:\"[^\"]*\"|'[^']*'|\S+)", re.I)
_NAME_RE = re.compile(r"\b[A-Z][\w'’-]+(?:\s+(?:[A-Z][\w'’-]+|de|van|von|al|bin))*(?:\s+[A-Z][\w'’-]+)?")
_QUESTION_WORDS = frozenset("what who whom whose did does do how why when where which is are was were has have "
                            "can could would should will tell show find give and but also so".split())


@dataclass(frozen=True)
class Context:
    """What the conversation is about after an answer: the person speaking and the topic."""

    speaker: str | None = None
    """The person the quotes just shown are by (or the question named); None when unknown."""
    topic: str = ""
    """The subject asked about ("tax", "Europe"), '' when the question had none."""


@dataclass(frozen=True)
class Resolution:
    """How a question was read in its conversation: the text to search and why."""

    question: str
    """The text to search, inline filters kept ('what did Tony Blair say about Europe?')."""
    context: Context
    """The conversation's person and topic after this question."""
    more: bool = False
    """'What else': more quotations by `context.speaker`, not the ones already shown."""
    note: str = ""
    """What was resolved, for the 'searched:' line ('he = Tony Blair'); '' when nothing was."""


def speaker_name(quote: Quote) -> str | None:
    """The name of the person a quote is attributed to, None when unknown (never guessed)."""
    speaker = getattr(quote, "speaker", None)
    if speaker is None:
        return None
    name = getattr(speaker, "name", speaker)
    return str(name) if name else None


def names_in(text: str) -> list[str]:
    """Capitalised runs that can be names ('Tony Blair'), question words and sentence starts dropped."""
    found: list[str] = []
    for match in _NAME_RE.finditer(_FILTER_RE.sub(" ", text)):
        words = match.group(0).split()
        while words and words[0].lower() in _QUESTION_WORDS | STOPWORDS:
            words.pop(0)
        if words and not all(w.lower() in STOPWORDS for w in words):
            found.append(" ".join(words))
    return list(dict.fromkeys(found))


def shown_speaker(answer: Answer | None, named: list[str] = ()) -> str | None:  # type: ignore[assignment]
    """The speaker of the quotes just shown: a person the question named when the quotes are theirs,
    else the speaker of most quotes (the first quote's on a tie); None when no quote has a known speaker."""
    if answer is None:
        return None
    speakers = [s for s in (speaker_name(q) for q in answer.quotes if not q.weak) if s]
    if not speakers:
        return None
    for name in named:
        for speaker in speakers:
            if same_person(name, speaker):
                return speaker
    counts = Counter(speakers)
    best = max(counts.values())
    return next(s for s in speakers if counts[s] == best)


def _topic(text: str, names: list[str]) -> str:
    """The subject of a question: what follows 'about', else its content words that are no name or pronoun."""
    text = _FILTER_RE.sub(" ", text)
    about = _ABOUT_RE.search(text)
    if about:
        return " ".join(about.group(1).split()).strip(" ?.!")
    name_words = {w.casefold() for n in names for w in n.split()}
    skip = name_words | set(PRONOUNS) | {"else", "more", "quotes", "quotations", "anything"}
    return " ".join(w for w in content_words(_LEAD_RE.sub("", text)) if w not in skip)


def _filters_of(text: str) -> str:
    return " ".join(m.group(0) for m in _FILTER_RE.finditer(text))


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def resolve(
    question: str, previous: Answer | None, before: Context | None = None, is_person: Callable[[str], bool] | None = None
) -> Resolution:
    """Read `question` in its conversation: `previous` is the answer on screen, `before` the context
    the conversation had when it was asked; `is_person(name)` says whether the index quotes someone of
    that name ('and Iraq?' then changes the topic, 'and Brown?' the speaker).

    'he/she/they' become the speaker of the quotes just shown (the person the previous question named
    when the quotes are theirs); 'what else' asks for more quotations by that speaker on the same
    topic; 'about Y' (or 'and Y?', 'what about Y?') replaces the topic. A question that names its own
    person and topic is left as it is."""
    before = before or Context()
    bare = _FILTER_RE.sub(" ", question)
    about = _ABOUT_RE.search(bare)
    names = names_in(bare[: about.start()] if about else bare)
    pronoun = _PRONOUN_RE.search(bare[: about.start()] if about else bare)
    more = bool(_ELSE_RE.search(bare))
    lead = _LEAD_RE.match(bare)
    topic = _topic(question, names)
    if lead and not about and not pronoun and names and is_person is not None and not is_person(names[0]):
        # 'and Iraq?' after 'What did Tony Blair say about Europe?': nobody quoted goes by that name, so it is
        # the new topic, not a new speaker ('What did Iraq say about Europe?').
        topic, names = " ".join([*names, topic]).strip(), []
    if not (pronoun or more or lead) or (previous is None and before == Context()):
        return Resolution(question, Context(names[0] if names else None, topic))
    earlier = shown_speaker(previous, [before.speaker] if before.speaker else []) or before.speaker
    if not pronoun and before.speaker and earlier and not same_person(before.speaker, earlier):
        # 'and Europe?' after 'What did Gordon Brown say about the golden rule?': the conversation is still about the
        # person the last question named, whoever most quotes shown are by (his own words were reported speech,
        # unattributed; Ed Balls's quote was shown beside them). A 'he' is the person on screen, as before.
        earlier = before.speaker
    speaker = names[0] if names else earlier
    new_topic = topic if (about or (lead and topic)) else before.topic
    context = Context(speaker, new_topic)
    if speaker is None:
        return Resolution(question, context, note=f"{pronoun.group(1).lower()} = unknown" if pronoun else "")
    notes: list[str] = []
    if pronoun and not names:
        notes.append(f"{pronoun.group(1).lower()} = {speaker}")
    if new_topic and (new_topic != topic or new_topic != before.topic):
        notes.append(f"topic: {new_topic}")
    if more:
        notes.append(f"more quotations by {speaker}")
    if more or lead or not about:
        # Rewritten whole: 'what else did he say?' and 'and immigration?' carry no words worth keeping.
        asked = f"What did {speaker} say about {new_topic}?" if new_topic else f"What did {speaker} say?"
        text = _join(asked, _filters_of(question))
    else:
        text = _PRONOUN_RE.sub(lambda m: speaker + PRONOUNS[m.group(1).lower()], question, count=1)
    return Resolution(text, context, more=more, note="; ".join(notes))


def searched_note(question: str, searched: str) -> str:
    """What the 'searched:' line says: '' when the question was searched as asked, a count when only its
    beginning was (an overlong question is cut), else the text searched (a follow-up read in context)."""
    if searched.strip() == question.strip():
        return ""
    if len(question) > MAX_QUESTION_CHARS and len(searched) <= MAX_QUESTION_CHARS and question.startswith(searched):
        return f"searched: the first {len(searched):,} of the question's {len(question):,} characters"
    return f"searched: {searched}"


def more_by(answer: Answer, speaker: str, shown: set[tuple[str, int, int, int]], limit: int) -> Answer:
    """`answer` kept to quotations by `speaker` that were not shown before, renumbered, at most `limit`.

    When no quote in the answer has a known speaker (an index without speakers), nothing can be
    attributed: the quotes not shown before stay, and the message says they are not attributed. A quote
    overlapping one shown (part of the same passage, or the passage grown) counts as shown."""
    spans: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for path, record, start, end in shown:
        spans.setdefault((path, record), []).append((start, end))
    fresh = [q for q in answer.quotes
             if not any(start < q.end and q.start < end for start, end in spans.get((q.path, q.record), ()))]
    attributed = any(speaker_name(q) for q in answer.quotes)
    if attributed:
        kept = [q for q in fresh if (name := speaker_name(q)) and same_person(speaker, name)]
        message = answer.message if kept else f"no further quotations attributed to {speaker} found"
    else:
        kept = fresh
        message = (f"speakers are not known in this index: these passages are not attributed to {speaker}" if kept
                   else "no further passages found (speakers are not known in this index)")
    quotes = tuple(dataclasses.replace(q, n=i) for i, q in enumerate(kept[:limit], 1))
    return dataclasses.replace(answer, quotes=quotes, message=message, answered=answer.answered and bool(quotes))
