"""Reading a question: inline filters, its words, and follow-ups combined with the previous turn."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from assistant.errors import QuestionError
from assistant.models import Answer, Filters
from assistant.text.sanitize import strip_escapes

MAX_QUESTION_CHARS = 2_000
"""Longer questions are cut here: the model sees 128 word pieces anyway."""

MAX_FILTER_CHARS = 1_000
"""Longer source/article filters are refused: no outlet or title (and hardly a path) is that long,
and SQLite refuses LIKE patterns over 50,000 bytes with an error that reads like a damaged index."""

STOPWORDS = frozenset(
    """a about above after again against all am an and any are aren't as at be because been before being below
    between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each few
    for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him
    himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my
    myself no nor not of off on once only or other ought our ours ourselves out over own same shan't she she'd
    she'll she's should shouldn't so some such than that that's the their theirs them themselves then there there's
    these they they'd they'll they're they've this those through to too under until up very was wasn't we we'd
    we'll we're we've were weren't what what's when when's where where's which while who who's whom why why's with
    won't would wouldn't you you'd you'll you're you've your yours yourself yourselves did say said says tell told
    according also""".split()
)

_FILTER_RE = re.compile(r"""(?<!\S)(since|until|from|to|source|outlet|article|file|title|speaker):(?:"([^"]*)"|'([^']*)'|(\S+))""", re.I)
_WORD_RE = re.compile(r"\w+(?:['’]\w+)*", re.UNICODE)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_QUOTED_PHRASE = re.compile(r"[\"“”'‘’][^\"“”]+[\"“”'‘’][?.!]*")
"""A query that is one quoted phrase."""

_FOLLOWUP_HINT = re.compile(
    r"^\W*(and|but|also|what about|how about|and what about)\b|\b(he|she|they|him|her|them|his|hers|their|theirs)\b",
    re.I,
)


_FOLLOWUP_WORDS = frozenset("else anything more other others again too instead".split())
"""Words that add nothing of their own to a question: 'anything else?' asks about the previous question's subject."""
_NAME_RE = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w'’-]+")
_CARRIED_RE = re.compile(r"\s*\([^()]*\)\s*$")
"""The context a previous follow-up carried: its names carry on, its other words do not."""



@dataclass(frozen=True)
class ParsedQuestion:
    """A question split into the text to search and the filters it carried."""

    text: str
    """The question with filters removed and whitespace tidied."""
    filters: Filters
    """Filters written inside the question."""


def parse_date(value: str, *, end: bool = False) -> dt.date:
    """'2023-08-01', '2023-08' or '2023' (the first or, with end=True, the last day of that period)."""
    value = value.strip()
    try:
        if re.fullmatch(r"\d{4}", value):
            return dt.date(int(value), 12 if end else 1, 31 if end else 1)
        if re.fullmatch(r"\d{4}-\d{1,2}", value):
            year, month = map(int, value.split("-"))
            first = dt.date(year, month, 1)
            if not end:
                return first
            nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
            return nxt - dt.timedelta(days=1)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise QuestionError(f"not a date: {value!r} (use YYYY-MM-DD, YYYY-MM or YYYY)") from None


def clean_text(text: str) -> str:
    """Terminal escape sequences go, control characters become spaces, runs of whitespace collapse."""
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates from undecodable bytes
    return " ".join(_CONTROL_RE.sub(" ", strip_escapes(text)).split())


def check_filter_text(name: str, value: str | None) -> None:
    """Raise QuestionError when the `name` filter's text is too long to be a real outlet, title or path."""
    if value is not None and len(value) > MAX_FILTER_CHARS:
        raise QuestionError(f"the {name} filter is too long ({len(value):,} characters; at most {MAX_FILTER_CHARS:,})")


def check_filters(filters: Filters) -> Filters:
    """`filters` unchanged, or QuestionError naming the first filter whose text is too long."""
    check_filter_text("source", filters.source)
    check_filter_text("article", filters.article)
    check_filter_text("speaker", filters.speaker)
    return filters


def parse_question(question: str) -> ParsedQuestion:
    """Pull `since:` `until:` `source:` `article:` `speaker:` filters out of a question."""
    # Undecodable bytes of argv or stdin arrive as lone surrogates, which SQLite cannot store.
    question = question.encode("utf-8", "replace").decode("utf-8")
    found: dict[str, str] = {}

    def take(match: re.Match[str]) -> str:
        key = match.group(1).lower()
        key = {"from": "since", "to": "until", "outlet": "source", "file": "article", "title": "article"}.get(key, key)
        found[key] = next(g for g in match.groups()[1:] if g is not None)
        return " "

    text = clean_text(_FILTER_RE.sub(take, question))
    filters = check_filters(Filters(
        since=parse_date(found["since"]) if "since" in found else None,
        until=parse_date(found["until"], end=True) if "until" in found else None,
        source=found.get("source") or None,
        article=found.get("article") or None,
        speaker=found.get("speaker") or None,
    ))
    return ParsedQuestion(text=text[:MAX_QUESTION_CHARS], filters=filters)


def merge_filters(base: Filters | None, extra: Filters) -> Filters:
    """Filters from the question override those given from outside, field by field; a filter text
    too long to match anything is a QuestionError."""
    base = base or Filters()
    return check_filters(replace(
        base,
        since=extra.since or base.since,
        until=extra.until or base.until,
        source=extra.source or base.source,
        article=extra.article or base.article,
        speaker=extra.speaker or base.speaker,
    ))


def words(text: str) -> list[str]:
    """Lower-cased word tokens."""
    return [w.lower() for w in _WORD_RE.findall(text)]


def content_words(text: str) -> list[str]:
    """Words that carry meaning (no stopwords, no one-letter words), in order, deduplicated."""
    seen: dict[str, None] = {}
    for word in words(text):
        if word not in STOPWORDS and (len(word) > 1 or word.isdigit()):
            seen.setdefault(word, None)
    return list(seen)


def followup_text(question: str, previous: Answer | None) -> str:
    """The text to search for a follow-up: a question that points back ('what else did he say?', 'and Brown?', 'what
    about 2025?') or says nothing new ('why?', 'anything else?', 'in 2005?') carries the previous question's words. A
    question of its own, however short ('golden rule', 'Who criticised the budget?'), is searched as asked."""
    if previous is None or not question:
        return question
    if _QUOTED_PHRASE.fullmatch(question.strip()):
        return question  # '"golden rule"' asks for that phrase, wherever it is: nothing of the last question joins it
    own = content_words(question)
    if not _FOLLOWUP_HINT.search(question) and any(w not in _FOLLOWUP_WORDS and not w.isdigit() for w in own):
        return question
    # Names carry the context ("he" is Tofig Zulfugarov); the previous topic words would drown
    # the new question, so they come along only when there are no names.
    base = _CARRIED_RE.sub("", previous.searched)
    names = [
        w for w in dict.fromkeys(_NAME_RE.findall(previous.searched)) if w.lower() not in STOPWORDS and w.lower() not in own
    ]
    carried = names or [w for w in content_words(base) if w not in own]
    if not carried:
        return question
    return f"{question} ({' '.join(carried)})"


QUESTION = "question"
FRAGMENT = "fragment"
PHRASE = "phrase"
WHO_SAID = "who-said"
SAID_ABOUT = "said-about"
NAME = "name"
SHAPES = (QUESTION, FRAGMENT, PHRASE, WHO_SAID, SAID_ABOUT, NAME)
"""The query shapes the search handles on purpose (docs/retrieval.md)."""

_QUESTION_START = re.compile(
    r"^\W*(who|whom|whose|what|which|when|where|why|how|is|are|was|were|do|does|did|can|could|should|would|will|has|have|had|in what|on what|name)\b",
    re.I,
)
_WHO_SAID = re.compile(r"^\W*who\s+(said|says|told|called|described|warned|claimed|stated|argued|admitted|insisted)\b\s*(?P<rest>.*)$", re.I)
_SAID_ABOUT = re.compile(
    r"^\W*what\s+(?:did|does|has|have|had)\s+(?P<who>.+?)\s+(?:say|said|think|tell\s+\w+|told\s+\w+|reveal|claim|argue|write)"
    r"\s+(?:about|on|of|regarding)\s+(?P<topic>.+?)\W*$",
    re.I,
)
_QUOTED = re.compile(r"[\"“”]([^\"“”]{2,})[\"“”]")
_MORE_SPEAKING = (
    r"praise|praises|praised|joke|jokes|joked|explain|explains|explained|reveal|reveals|revealed|suggest|suggests|suggested|"
    r"announce|announces|announced|acknowledge|acknowledges|acknowledged|concede|concedes|conceded|boast|boasts|boasted|"
    r"recall|recalls|recalled|remark|remarks|remarked|stress|stresses|stressed|criticise|criticises|criticised|criticize|"
    r"criticizes|criticized|point\s+out|points\s+out|pointed\s+out|sum\s+up|sums\s+up|summed\s+up"
)
"""Verbs of speaking a question may ask with beyond the common ones: 'How did the boss praise ...', 'Which party
leader pointed out ...', 'How did the retiring forward sum up his spell ...'."""
_SPEECH = re.compile(
    r"\b(?:say|says|said|saying|tell|tells|told|warn|warns|warned|claim|claims|claimed|admit|admits|admitted|predict|predicts|"
    r"predicted|suspect|suspects|suspected|accuse|accuses|accused|complain|complains|complained|dismiss|dismisses|dismissed|"
    r"respond|responds|responded|insist|insists|insisted|confess|confesses|confessed|dare|dares|dared|doubt|doubts|doubted|"
    r"blame|blames|blamed|argue|argues|argued|compare|compares|compared|urge|urges|urged|vow|vows|vowed|promise|promises|promised|"
    + _MORE_SPEAKING + r")\b"
    r"|\b(?:did|does|do|has|have)\b.*\b(?:call|describe|react|reply|feel|think|deny|quote)\b"
    r"|^\W*which\s+(?:(?!(?:is|was|are|were|be|been|being)\b)[\w'’-]+\s+){1,6}(?:called|described|denied|quoted)\b"
    r"|\baccording\s+to\s+(?:the|its|his|her|their|a|an)\s+(?:\w+\s+){0,3}?(?:editor|producer|leader|founder|boss|chief|spokesman|spokeswoman|spokesperson|chairman|director|secretary|minister|analyst|manager|coach|president|head|officer|executive)\b",
    re.I,
)
"""Verbs of speaking in a question: its answer is probably something someone said (a quotation).
'call' and 'describe' count only after did/does ('What is X called?' asks for a name) or after 'Which <someone>'
not followed by is/was ('Which executive called the surge a wake-up call?'); so do feel, think, deny and quote
('How did the actress feel about ...?'), and 'according to' a person's role ('..., according to its producer?')."""
_CAPITAL = re.compile(
    r"\b(?:[A-Z]|[a-z]+[A-Z])(?:[\w-]|['’](?=[A-Z]))*(?:\s+(?:(?:de|van|von|da|del|le|la|bin)\s+)?[A-Z](?:[\w-]|['’](?=[A-Z]))*)*(?:['’]s?)?"
)
"""Capitalised runs ('Michael Howard', 'Tim de Vries', "Ronnie O'Sullivan") and camel-case names ('iPhone'); a
possessive ends a run."""
_QUESTION_WORDS = frozenset("who whom whose what which when where why how name".split())
_HONORIFIC = frozenset("mr mrs ms miss dr sir lord lady dame prof professor president minister chancellor".split())


@dataclass(frozen=True)
class QueryShape:
    """What kind of lookup a query is, and the parts that matter for it."""

    kind: str
    """One of SHAPES."""
    phrases: tuple[str, ...] = ()
    """Text inside double quotes, each a phrase to match."""
    names: tuple[str, ...] = ()
    """Capitalised names in the query (not the first word of a question), 'Michael Howard' whole."""
    speaker: str | None = None
    """X in 'what did X say about Y' (a name or a role)."""
    topic: str | None = None
    """Y in 'what did X say about Y', or what 'who said ...?' quotes."""
    speech: bool = False
    """The question asks what someone said ('What did the minister call ...', 'Which analyst warned
    ...', 'who said ...'): quotations, and their speakers' names and roles, are evidence."""

    @property
    def lexical(self) -> bool:
        """True when the words themselves are the evidence (fragments, phrases, names): lexical-led fusion."""
        return self.kind in (FRAGMENT, PHRASE, NAME)


def query_names(text: str) -> tuple[str, ...]:
    """Capitalised runs of a query that are names: not a lone capitalised first word (any sentence
    starts with one), not stopwords or honorifics, possessives cut ("Brown's" is Brown)."""
    found: list[str] = []
    opening = len(text) - len(text.lstrip(" \"'“(‘"))
    for match in _CAPITAL.finditer(text):
        parts = [re.sub(r"(['’]s|['’])$", "", p) for p in match.group(0).split()]
        if match.start() == opening:
            if len(parts) == 1 or parts[0].lower() in STOPWORDS or parts[0].lower() in _QUESTION_WORDS:
                parts = parts[1:]
        while parts and (parts[0].lower() in STOPWORDS or parts[0].lower() in _HONORIFIC):
            parts = parts[1:]
        while parts and parts[-1].lower() in STOPWORDS:
            parts = parts[:-1]
        for run in _split_adjectival(parts):
            name = " ".join(p for p in run if p)
            if name:
                found.append(name)
    return tuple(dict.fromkeys(found))


_ADJECTIVAL = re.compile(
    r"([A-Z][\w'’]*)-(?:based|bound|born|bred|educated|led|backed|owned|run|listed|made|style|era|wide|focused|funded|"
    r"controlled|registered|headquartered|linked|inspired|themed|centred|centered)"
)
"""'Rio-based', 'Renault-bound', 'Oxford-educated': a name made into an adjective (not 'Kim Jong-un', 'NP-complete')."""


def _split_adjectival(parts: list[str]) -> list[list[str]]:
    """A capitalised run cut after a name made into an adjective, which keeps only its name: 'Renault-bound
    Nissan' is Renault and Nissan (never written together), 'Rio-based' is Rio."""
    runs: list[list[str]] = [[]]
    for part in parts:
        adjectival = _ADJECTIVAL.fullmatch(part)
        if adjectival:
            runs[-1].append(adjectival.group(1))
            runs.append([])
        else:
            runs[-1].append(part)
    return runs


def is_speech(text: str) -> bool:
    """True when a question asks what someone said, by its verb of speaking (say, warn, call, ...)."""
    return bool(_SPEECH.search(text))


def query_shape(text: str) -> QueryShape:
    """Recognise the shape of a (filter-free) query: quoted phrase, who said, what did X say about Y,
    natural question, bare name, or keyword fragment."""
    stripped = text.strip()
    phrases = tuple(p.strip() for p in _QUOTED.findall(stripped) if any(ch.isalnum() for ch in p))
    names = query_names(_QUOTED.sub(" ", stripped))
    who = _WHO_SAID.match(stripped)
    if who:
        return QueryShape(WHO_SAID, phrases, names, topic=who.group("rest").strip(" ?") or None, speech=True)
    about = _SAID_ABOUT.match(stripped)
    if about:
        return QueryShape(
            SAID_ABOUT, phrases, names, speaker=about.group("who").strip(), topic=about.group("topic").strip(), speech=True
        )
    if phrases and len(" ".join(phrases)) >= 0.6 * len(_QUOTED.sub(lambda m: m.group(1), stripped)):
        return QueryShape(PHRASE, phrases, names)
    if _QUESTION_START.match(stripped) or stripped.endswith("?"):
        return QueryShape(QUESTION, phrases, names, speech=is_speech(_QUOTED.sub(" ", stripped)))
    tokens = _WORD_RE.findall(stripped)
    if tokens and len(tokens) <= 4 and all(t[0].isupper() or t.lower() in _HONORIFIC for t in tokens):
        return QueryShape(NAME, phrases, names or (stripped,))
    return QueryShape(FRAGMENT, phrases, names)


_SPEAKING = (
    r"say|says|said|tell|tells|told|call|calls|called|describe|describes|described|think|thinks|thought|feel|feels|felt|"
    r"warn|warns|warned|claim|claims|claimed|admit|admits|admitted|deny|denies|denied|predict|predicts|predicted|"
    r"suspect|suspects|suspected|accuse|accuses|accused|complain|complains|complained|dismiss|dismisses|dismissed|"
    r"respond|responds|responded|reply|replies|replied|react|reacts|reacted|insist|insists|insisted|confess|confesses|"
    r"confessed|dare|dares|dared|doubt|doubts|doubted|blame|blames|blamed|argue|argues|argued|compare|compares|compared|"
    r"urge|urges|urged|vow|vows|vowed|promise|promises|promised|quote|quotes|quoted|reveal|reveals|revealed|write|writes|wrote|"
    r"believe|believes|believed|suggest|suggests|suggested|" + _MORE_SPEAKING
)
_SPEAKER_AFTER_WHICH = re.compile(rf"^\W*which\s+(?P<who>(?:[\w'’.-]+\s+){{1,7}}?)(?:{_SPEAKING})\b", re.I)
_SPEAKER_AFTER_DID = re.compile(rf"\b(?:did|does|do|has|have|had)\s+(?P<who>(?:[\w'’.-]+\s+){{1,9}}?)(?:{_SPEAKING})\b", re.I)
_SPEAKER_ACCORDING = re.compile(r"\baccording\s+to\s+(?P<who>(?:[\w'’.-]+\s*){1,7}?)\W*$", re.I)


def speaker_description(text: str, shape: QueryShape | None = None) -> str | None:
    """The words of a speech question that describe who spoke ('Which strategist said ...' -> 'strategist', 'What
    did the Ukrainian president call ...' -> 'the Ukrainian president', '..., according to its producer?' -> 'its
    producer'); None when the question does not say ('Who said ...?') or its form is not one of these."""
    # 'did X say' first: 'Which proverb did the home secretary quote' describes the speaker after 'did'.
    for pattern in (_SPEAKER_AFTER_DID, _SPEAKER_AFTER_WHICH, _SPEAKER_ACCORDING):
        found = pattern.search(text)
        if found and content_words(found.group("who")):
            return found.group("who").strip()
    if shape is not None and shape.kind == SAID_ABOUT and shape.speaker:
        return shape.speaker
    return None


_THAT = re.compile(r"^that\s+", re.I)
_QUESTION_FRAME = re.compile(
    r"^\W*(?:what|how|which|who|why|when|where)\s+(?:(?:did|does|do|is|was|were|are|has|have|had)\s+)?", re.I
)


def speech_gist(text: str, shape: QueryShape | None = None) -> str | None:
    """What a speech question remembers was said, without who said it or the question's frame: 'What did the
    foreign secretary say about any country raising its spending?' -> 'say about any country raising its spending'.
    'Who said the chain would otherwise have been finished?' -> 'the chain would otherwise have been finished'.
    None for a question that neither asks who said something nor describes its speaker (nothing to take away).
    Embedded beside the whole question, it keeps a long description of the speaker ('the boss of the Universal-owned
    rap group') or the frame from outweighing the gist in the question's vector."""
    shape = shape or query_shape(text)
    if not shape.speech:
        return None
    if shape.kind == WHO_SAID:
        said = _THAT.sub("", shape.topic or "")
        return said if content_words(said) else None
    described = speaker_description(text, shape)
    if not described:
        return None
    gist = _QUESTION_FRAME.sub("", text.replace(described, " ", 1)).strip(" ?")
    gist = " ".join(gist.split())
    return gist if content_words(gist) else None
