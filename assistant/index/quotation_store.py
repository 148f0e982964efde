"""Quotations in the index: rows with offsets and speakers, their backfill, and the reads behind speaker
answers, `people` and quote timelines (all quotation SQL lives here)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sqlite3
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.index.sql_lists import ids_in
from assistant.models import Location, Quote, Speaker
from assistant.text import names

SCHEMA = """
CREATE TABLE quotations (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    speaker TEXT,
    speaker_key TEXT,
    role TEXT,
    attr_start INTEGER,
    attr_end INTEGER,
    text_key TEXT NOT NULL
);
CREATE INDEX quotations_article ON quotations (article_id, start);
CREATE INDEX quotations_speaker ON quotations (speaker_key);
CREATE INDEX quotations_text ON quotations (text_key)
"""
"""One row per direct quotation: offsets into the article text (marks included), the speaker as the
article names them (NULL when it does not say), the attribution's offsets, and a key of the
normalised words that finds the same quotation reused in other articles."""

MAX_QUOTE_CHARS = 700
"""A quote grows to its whole quotation only up to this many characters."""


# -- writing -----------------------------------------------------------------------------------


def create_tables(db: sqlite3.Connection) -> None:
    """The quotations table and its indexes (inside the caller's transaction)."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)


REUSED_QUOTATION_CHARS = 40
"""Characters (marks included) a quotation must span for the same words elsewhere, naming nobody, to count as it reused."""

QUOTATION_RULES = 15
"""The version of the quotation and speaker rules (assistant/text/quotations.py) that stored quotations were extracted
with. Bump it when those rules change what is extracted: the embedded store then needs a migration calling backfill
(its migrations 5, 7, 8, 9, 10, 13 and 14 did), and the PostgreSQL indexer re-extracts a store recorded with an older version."""


def backfill(db: sqlite3.Connection) -> int:
    """Extract and store the quotations of every stored article (an index made before quotations
    were kept); returns how many were stored. Inside the caller's transaction."""
    count = 0
    rows = db.execute("SELECT id, text FROM articles ORDER BY id").fetchall()
    for article_id, text in rows:
        count += store_quotations(db, int(article_id), str(text))
    return count


def store_quotations(db: sqlite3.Connection, article_id: int, text: str, quotations: Sequence[object] | None = None) -> int:
    """Replace the stored quotations of one article with those of `text` (extracted here unless given)."""
    from assistant.text.quotations import extract_quotations

    found = extract_quotations(text) if quotations is None else quotations
    db.execute("DELETE FROM quotations WHERE article_id = ?", (article_id,))
    rows = []
    for q in found:
        start, end, speaker = q.start, q.end, q.speaker  # type: ignore[attr-defined]
        rows.append(
            (
                article_id,
                start,
                end,
                speaker.name if speaker else None,
                name_key(speaker.name) if speaker else None,
                speaker.role if speaker else None,
                speaker.start if speaker else None,
                speaker.end if speaker else None,
                text_key(text[start:end]),
            )
        )
    db.executemany(
        "INSERT INTO quotations (article_id, start, end, speaker, speaker_key, role, attr_start, attr_end, text_key)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return len(rows)


def store_article_quotations(db: sqlite3.Connection, path: str, record: int, text: str, quotations: Sequence[object] | None = None) -> int:
    """store_quotations for the article just inserted at (path, record): the indexer's hook."""
    row = db.execute("SELECT id FROM articles WHERE path = ? AND record = ?", (path, record)).fetchone()
    return store_quotations(db, int(row[0]), text, quotations) if row else 0


def delete_quotations(db: sqlite3.Connection, article_id: int) -> None:
    """Forget an article's quotations (deleting the article row does it too, by cascade)."""
    db.execute("DELETE FROM quotations WHERE article_id = ?", (article_id,))


# -- keys --------------------------------------------------------------------------------------

_TITLES = re.compile(r"^(?:(?:mr|mrs|ms|miss|dr|prof|professor|rev)\.?\s+)+")
_HONOURS = frozenset("sir lord lady dame baroness baron".split())
_WORDS = re.compile(r"\W+", re.UNICODE)


def name_key(name: str) -> str:
    """One person's key: 'Mr Howard' -> 'howard', 'Michael  Howard' -> 'michael howard' (case, spacing,
    curly apostrophes and Mr/Mrs/Ms/Dr/Prof do not tell people apart); an honour before a full name is dropped too
    ('Sir Clive Woodward' is Clive Woodward, knighted since), but stays before a surname alone ('Lord Kinnock', 'Sir
    Ian': the title is then the name the article gives)."""
    text = unicodedata.normalize("NFKC", name).replace("\u2019", "'").replace("\u2018", "'")
    text = " ".join(text.casefold().split())
    key = _TITLES.sub("", text).strip(" .,;:'\"")
    words = key.split()
    if len(words) >= 3 and words[0] in _HONOURS:
        key = " ".join(words[1:])
    return key


def text_key(text: str) -> str:
    """The key of a quotation's words: the same words in another article are the same quotation reused."""
    words = _WORDS.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()
    return hashlib.sha1(words.encode("utf-8")).hexdigest()[:16]


# -- what a quote belongs to -------------------------------------------------------------------


@dataclass(frozen=True)
class StoredQuotation:
    """A quotation row: `article text[start:end]` with its marks, and its speaker when the article says."""

    id: int
    """Row id."""
    article_id: int
    """Article row id."""
    start: int
    """Offset of the opening mark."""
    end: int
    """Offset just after the closing mark."""
    speaker: Speaker | None
    """Who said it (name as first given in full, role, offsets of the attribution), or None."""


_QUOTATION_COLUMNS = "id, article_id, start, end, speaker, role, attr_start, attr_end"


def _quotation(row: Sequence[object]) -> StoredQuotation:
    qid, article_id, start, end, name, role, a_start, a_end = row
    speaker = Speaker(str(name), role, int(a_start), int(a_end)) if name is not None else None  # type: ignore[arg-type, call-overload]
    return StoredQuotation(int(qid), int(article_id), int(start), int(end), speaker)  # type: ignore[call-overload]


@dataclass(frozen=True)
class QuotedArticle:
    """What quoting one article needs, read once: its text and line fields, its quotations and its
    sentences' ends with their paragraphs."""

    text: str | None
    """The article text (None when the article is not in the index)."""
    format: str | None
    """The article's file format ('jsonl' lines are the record's line)."""
    first_line: int | None
    """The file line the text starts on, when known."""
    quotations: tuple[StoredQuotation, ...]
    """Its quotations by start (then row id)."""
    sentences: tuple[tuple[int, int], ...]
    """(end offset, paragraph) of its sentences in order."""


def quoted_articles(db: sqlite3.Connection, article_ids: Iterable[int], articles: Any = None) -> dict[int, QuotedArticle]:
    """QuotedArticle of each article, in three queries whatever their number (texts come from `articles`,
    a reads.ArticleCache of the same snapshot, when given)."""
    ids = sorted({int(i) for i in article_ids})
    if not ids:
        return {}
    listed = ids_in(ids)
    texts: dict[int, tuple[str, str | None, int | None]] = {}
    if articles is not None:
        articles.load(ids)
        for i in ids:
            row = articles.get(i)
            if row is not None:
                texts[i] = (row.text, row.format, row.first_line)
    else:
        for i, text, fmt, first_line in db.execute(f"SELECT id, text, format, first_line FROM articles WHERE id IN ({listed})"):
            texts[int(i)] = (str(text), fmt, first_line)
    quotations: dict[int, list[StoredQuotation]] = {i: [] for i in ids}
    for row in db.execute(f"SELECT {_QUOTATION_COLUMNS} FROM quotations WHERE article_id IN ({listed}) ORDER BY article_id, start, id"):
        quotations[int(row[1])].append(_quotation(row))
    sentences: dict[int, list[tuple[int, int]]] = {i: [] for i in ids}
    for article_id, end, paragraph in db.execute(
        f"SELECT article_id, end, paragraph FROM sentences WHERE article_id IN ({listed}) ORDER BY article_id, ord"
    ):
        sentences[int(article_id)].append((int(end), int(paragraph)))
    return {
        i: QuotedArticle(*(texts.get(i) or (None, None, None)), tuple(quotations[i]), tuple(sentences[i])) for i in ids
    }


def _quoted_article(db: sqlite3.Connection, article_id: int) -> QuotedArticle:
    return quoted_articles(db, [article_id])[int(article_id)]


def quotation_at(db: sqlite3.Connection, article_id: int, start: int, end: int) -> StoredQuotation | None:
    """The quotation of an article overlapping [start, end) the most, or None."""
    return _overlapping(_quoted_article(db, article_id), start, end)


def _overlapping(article: QuotedArticle, start: int, end: int) -> StoredQuotation | None:
    rows = [q for q in article.quotations if q.start < end and q.end > start]
    if not rows:
        return None
    return max(rows, key=lambda q: (min(end, q.end) - max(start, q.start), -q.start))


_LEAD_IN_END = re.compile(r"[:\u2014]\s*$")
"""A sentence that introduces the quotation after it ends on a colon (or a dash)."""


def quotation_for_span(db: sqlite3.Connection, article_id: int, start: int, end: int) -> StoredQuotation | None:
    """The quotation a picked passage belongs to: the one a lead-in ('According to him, ...:')
    introduces right after it, else the one overlapping it most, else None."""
    return belongs_to(_quoted_article(db, article_id), start, end)


def belongs_to(article: QuotedArticle, start: int, end: int) -> StoredQuotation | None:
    """quotation_for_span over an article already read (quoted_articles)."""
    text = article.text
    if text is not None and _LEAD_IN_END.search(text[max(end - 3, 0) : end]):
        after = next((q for q in article.quotations if end <= q.start <= end + 4), None)
        if after is not None and (after.start <= end or not text[end : after.start].strip()):
            return after
    return _overlapping(article, start, end)


def quote_bounds(
    db: sqlite3.Connection, quotation: StoredQuotation, start: int, end: int, max_chars: int = MAX_QUOTE_CHARS
) -> tuple[int, int]:
    """The span to show for a picked passage [start, end) of `quotation`: with the whole quotation when
    that stays within `max_chars` (never half a quotation, never a lead-in alone); a lead-in before a
    longer quotation takes its first sentences up to `max_chars` (at least one); a longer quotation
    the passage sits inside keeps the passage. Offsets stay exact article offsets."""
    return _bounds(_quoted_article(db, quotation.article_id), quotation, start, end, max_chars)


def _bounds(article: QuotedArticle, quotation: StoredQuotation, start: int, end: int, max_chars: int) -> tuple[int, int]:
    lo, hi = min(start, quotation.start), max(end, quotation.end)
    if hi - lo <= max_chars:
        return lo, hi
    if quotation.start >= end:  # a lead-in: its quotation's opening sentences
        limit = min(quotation.end, start + max_chars)
        inside = [e for e, _ in article.sentences if quotation.start < e <= limit]
        if inside:
            stop = max(inside)
        else:
            later = [e for e, _ in article.sentences if e > quotation.start]
            stop = min(later) if later else quotation.end
        return start, max(end, min(stop, quotation.end))
    return start, end


@dataclass(frozen=True)
class QuoteSpan:
    """What a picked passage shows: exact bounds, the paragraph they start in, and the speaker."""

    start: int
    """Start offset in the article text."""
    end: int
    """End offset (exclusive)."""
    paragraph: int | None
    """1-based paragraph of `start` (None when no sentence holds it, e.g. a title line)."""
    speaker: Speaker | None
    """Who said the quotation the passage belongs to; None for narration or an unattributed quotation."""


def attach_speaker(db: sqlite3.Connection, article_id: int, start: int, end: int, max_chars: int = MAX_QUOTE_CHARS) -> QuoteSpan:
    """quotation_for_span + quote_bounds in one call: the bounds to quote and who speaks there."""
    return _span_of(_quoted_article(db, article_id), start, end, max_chars)


def _span_of(article: QuotedArticle, start: int, end: int, max_chars: int) -> QuoteSpan:
    quotation = belongs_to(article, start, end)
    if quotation is None:
        return QuoteSpan(start, end, _paragraph_of(article, start), None)
    lo, hi = _bounds(article, quotation, start, end, max_chars)
    return QuoteSpan(lo, hi, _paragraph_of(article, lo), quotation.speaker)


def attach_speakers(
    db: sqlite3.Connection, quotes: Sequence[Quote], max_chars: int = MAX_QUOTE_CHARS, *, articles: Any = None
) -> tuple[Quote, ...]:
    """The quotes of an answer with their speakers, each grown to its whole quotation (attach_speaker):
    text, offsets, line and paragraph re-read from the stored article, so `text` stays verbatim. A
    quote that grows into one already given is dropped (its places join that one's `also_in`), and
    the rest are renumbered in order. Everything is read in three queries per answer (`articles`: a
    reads.ArticleCache of the same snapshot, whose texts are used instead of reading them again). A quote that is
    no quotation's part but reports a named person speaking ('Mr Brown said he had met ...') gets that person as
    a `reported` speaker (quotations.reported_speakers), read from the article text, not stored."""
    import dataclasses

    facts = quoted_articles(db, (q.article_id for q in quotes), articles)
    reported = _reported(facts, quotes)
    kept: list[Quote] = []
    folded: list[str] = []  # _folded text of each kept quote
    for i, quote in enumerate(quotes):
        article = facts[quote.article_id]
        span = _span_of(article, quote.start, quote.end, max_chars)
        if (span.start, span.end) != (quote.start, quote.end):
            if article.text is None:
                continue  # the article changed under us: keep nothing rather than a wrong quote
            text = article.text[span.start : span.end]
            if len(text) != span.end - span.start:
                continue
            first_line = article.first_line
            line = None if first_line is None else int(first_line) if article.format == "jsonl" else (
                int(first_line) + article.text.count("\n", 0, span.start)
            )
            grown = dataclasses.replace(quote, text=text, start=span.start, end=span.end, line=line,
                                        paragraph=span.paragraph or quote.paragraph, speaker=span.speaker,
                                        also_in=_grown_places(quote, span.start, span.end, text, articles))
        else:
            grown = dataclasses.replace(quote, speaker=span.speaker or reported.get(i))
        twin = next((k for k in kept if k.article_id == grown.article_id and k.start < grown.end and grown.start < k.end), None)
        # A passage a quote given already shows in another copy of its story (its `also_in`) is that quote again.
        twin = twin or next((k for k in kept if _shown_in(k.also_in, grown)), None)
        if twin is not None:
            at = kept.index(twin)
            kept[at] = dataclasses.replace(twin, also_in=_merged(twin, grown.also_in))
            continue
        # The same words in another article (a story filed twice) fold into "also in", whatever their
        # vectors said: two quotes of identical text are never listed as [1] and [2] (issue 14).
        words = _folded(grown.text)
        at = next((n for n, other in enumerate(folded) if other == words), -1)
        if at >= 0:
            twin = kept[at]
            here = Location(path=grown.path, title=grown.title, line=grown.line, start=grown.start, end=grown.end)
            extra = tuple(loc for loc in (here, *grown.also_in) if loc not in twin.also_in)
            kept[at] = dataclasses.replace(twin, also_in=twin.also_in + extra)
            continue
        kept.append(grown)
        folded.append(words)
    return tuple(q if q.n == n else dataclasses.replace(q, n=n) for n, q in enumerate(kept, start=1))


def _grown_places(quote: Quote, start: int, end: int, text: str, articles: Any) -> tuple[Location, ...]:
    """A quote's other places (`also_in`) grown as the quote grew to [start, end) = `text`, where that article holds
    the same grown text (a story filed twice); a place whose article differs around the passage stays as it was.
    Their articles are the ones `articles` (the answer's ArticleCache) read while building the quote."""
    if not quote.also_in or articles is None:
        return quote.also_in
    places = []
    for place in quote.also_in:
        lo, hi = place.start - (quote.start - start), place.end + (end - quote.end)
        row = next((r for r in articles.with_path(place.path) if lo >= 0 and r.title == place.title and r.text[lo:hi] == text), None)
        places.append(place if row is None else Location(place.path, place.title, row.line_at(lo), lo, hi))
    return tuple(places)


def _merged(quote: Quote, places: Sequence[Location]) -> tuple[Location, ...]:
    """`quote.also_in` and the new `places`, never the quote's own place, nor a second place in one copy of the story
    overlapping one already listed."""
    merged = list(quote.also_in)
    for place in places:
        if not _shown_in((place,), quote) and not any(_overlap(place, other) for other in merged):
            merged.append(place)
    return tuple(merged)


def _overlap(a: Location, b: Location) -> bool:
    return a.path == b.path and a.title == b.title and a.start < b.end and b.start < a.end


def _shown_in(places: Sequence[Location], quote: Quote) -> bool:
    """True when `quote` overlaps one of `places` of its own article (the same file and title)."""
    here = Location(quote.path, quote.title, quote.line, quote.start, quote.end)
    return any(_overlap(place, here) for place in places)


def _reported(facts: dict[int, QuotedArticle], quotes: Sequence[Quote]) -> dict[int, Speaker]:
    """Index in `quotes` -> the person a quote outside every quotation reports speaking, where its sentence names them."""
    from assistant.text.quotations import reported_speakers

    narration: dict[int, list[int]] = {}
    for i, quote in enumerate(quotes):
        article = facts[quote.article_id]
        if article.text is not None and belongs_to(article, quote.start, quote.end) is None:
            narration.setdefault(quote.article_id, []).append(i)
    found: dict[int, Speaker] = {}
    for article_id, told in narration.items():
        spans = [(quotes[i].start, quotes[i].end) for i in told]
        for i, speaker in zip(told, reported_speakers(str(facts[article_id].text), spans), strict=True):
            if speaker is not None:
                found[i] = speaker
    return found


def paragraph_at(db: sqlite3.Connection, article_id: int, offset: int) -> int | None:
    """The paragraph number of the sentence holding `offset` (or the next one after it)."""
    row = db.execute(
        "SELECT paragraph FROM sentences WHERE article_id = ? AND end > ? ORDER BY ord LIMIT 1", (article_id, offset)
    ).fetchone()
    return int(row[0]) if row else None


def _paragraph_of(article: QuotedArticle, offset: int) -> int | None:
    """paragraph_at over the sentences read with the article."""
    return next((paragraph for end, paragraph in article.sentences if end > offset), None)


# -- people ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A speaker across the index: one full name (or a name never given in full) is one person."""

    key: str
    """name_key of the name."""
    name: str
    """The name as the articles give it most often."""
    role: str | None
    """The role given most often, when any."""
    quotations: int
    """Quotations attributed to them."""
    articles: int
    """Articles quoting them."""


def people(db: sqlite3.Connection) -> tuple[Person, ...]:
    """Every speaker with their number of quotations and articles, most quoted first (then by name)."""
    names: dict[str, Counter[str]] = {}
    roles: dict[str, Counter[str]] = {}
    quotations: Counter[str] = Counter()
    articles: dict[str, set[int]] = {}
    for key, name, role, article_id in db.execute(
        "SELECT speaker_key, speaker, role, article_id FROM quotations WHERE speaker_key IS NOT NULL"
    ):
        names.setdefault(key, Counter())[name] += 1
        if role:
            roles.setdefault(key, Counter())[role] += 1
        quotations[key] += 1
        articles.setdefault(key, set()).add(article_id)
    found = [
        Person(key, _most_common(names[key]), _most_common(roles[key]) if key in roles else None, quotations[key], len(articles[key]))
        for key in names
    ]
    return tuple(sorted(found, key=lambda p: (-p.quotations, p.name.casefold())))


def _most_common(counts: Counter[str]) -> str:
    return max(counts.items(), key=lambda item: (item[1], len(item[0]), item[0]))[0]


@dataclass(frozen=True)
class PersonMatch:
    """Whom a name written by a user means."""

    keys: tuple[str, ...]
    """Speaker keys taken to be that person (a full name, with a bare surname's own entry); () when none."""
    name: str
    """The display name of the person meant ('' when none)."""
    others: tuple[Person, ...] = ()
    """Other people the name could also mean (another Howard), most quoted first."""


def resolve_person(db: sqlite3.Connection, name: str, *, exact: bool = False) -> PersonMatch:
    """The speaker a user means by `name`: 'Michael Howard', 'Mr Howard' and 'Howard' all mean the
    most quoted person of that surname (with articles that only say 'Mr Howard'); 'Alex Ferguson'
    finds 'Sir Alex Ferguson'; 'Sir Digby' (a knight or dame by first name) the most quoted person of that first name,
    with articles that only say 'Sir Digby'. Case and diacritics aside ('zoe muller' is Zoë Müller): the rule of
    assistant.text.names. Several full names sharing the surname (or the first name) are listed in `others`.
    With `exact`, `name` is one person's name as listed by people() and means that person only."""
    wanted = name_key(name)
    if not wanted:
        return PersonMatch((), "")
    if exact:
        found = _people_of(db, [wanted])
        return PersonMatch((wanted,), found[0].name) if found else PersonMatch((), "")
    given = names.first_name(name)
    if given is not None:
        return _by_first_name(db, name, given)
    bare = names.fold(_drop_honours(wanted))
    tokens = bare.split()
    surname = tokens[-1] if tokens else ""
    # The keys whose last word is the surname, but for 'Sir Ian', which names a first name.
    counts = {
        k: n for k, n in _keys_like(db, (_loose(surname), "% " + _loose(surname))).items()
        if _key_fold(k).split()[-1:] == [surname] and names.first_name(k) is None
    }
    folded = names.fold(wanted)

    def same_name(key: str) -> bool:
        return _key_fold(key) == folded or _key_fold(_drop_honours(key)) == bare

    exact = [k for k in counts if same_name(k)]
    namesakes = [k for k in counts if k not in exact]
    if exact and len(tokens) > 1:
        keys = sorted(exact, key=lambda k: -counts[k])
        others = [k for k in namesakes if len(_drop_honours(k).split()) > 1]
    else:
        full = sorted((k for k in exact + namesakes if len(_drop_honours(k).split()) > 1), key=lambda k: (-counts[k], k))
        bare_keys = [k for k in exact + namesakes if len(_drop_honours(k).split()) <= 1]
        if len(tokens) > 1:
            return PersonMatch((), "", _people_of(db, full))
        keys = full[:1] + bare_keys
        others = full[1:]
    return _match(db, name, keys, others)


def _by_first_name(db: sqlite3.Connection, name: str, given: str) -> PersonMatch:
    """resolve_person of 'Sir X' / 'Dame X': the most quoted full name whose first name is X, with the keys of articles
    that only say 'Sir X' (never a surname X: 'Sir Digby' is not Bob Digby)."""
    counts = _keys_like(db, (_loose(given) + " %", "% " + _loose(given)))
    matched = [k for k in counts if given in _key_fold(k).split() and names.same_person(name, k)]
    full = sorted((k for k in matched if names.first_name(k) is None), key=lambda k: (-counts[k], k))
    titled = sorted(k for k in matched if names.first_name(k) is not None)
    return _match(db, name, full[:1] + titled, full[1:])


def _match(db: sqlite3.Connection, name: str, keys: list[str], others: list[str]) -> PersonMatch:
    if not keys:
        return PersonMatch((), "")
    found = {p.key: p for p in _people_of(db, keys)}
    return PersonMatch(tuple(keys), found[keys[0]].name if keys[0] in found else name, _people_of(db, others))


def _keys_like(db: sqlite3.Connection, patterns: Sequence[str]) -> dict[str, int]:
    """Speaker key -> its quotations, for the keys matching one of the LIKE `patterns` (one pass over the speaker index)."""
    where = " OR ".join("speaker_key LIKE ? ESCAPE '\\'" for _ in patterns)
    return dict(db.execute(f"SELECT speaker_key, count(*) FROM quotations WHERE {where} GROUP BY speaker_key", list(patterns)).fetchall())


def _key_fold(key: str) -> str:
    """names.fold of a speaker key (already case folded, apostrophes straight: an ASCII key is its own fold)."""
    return key if key.isascii() else names.fold(key)


_PLAIN_LETTERS = frozenset("bfhjmpqvwx")
"""Letters a loose pattern keeps as they are: hardly a name puts a diacritic on them, and each one kept narrows the keys
read (with every letter a wildcard, 'Howard' read every key whose last word has six letters: 15 times slower over
300,000 speakers)."""


def _loose(word: str) -> str:
    """A LIKE pattern of a folded word that also matches its spellings with diacritics: a letter that may carry one
    stands for any one character ('muller' is 'm_____' and finds 'müller'; the caller compares the keys found with
    names.fold)."""
    return "".join(
        ch if ch in _PLAIN_LETTERS else "_" if ch.isalpha() else ch.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        for ch in word
    )


def _drop_honours(key: str) -> str:
    words = key.split()
    while len(words) > 1 and words[0] in _HONOURS:
        words.pop(0)
    return " ".join(words)


def _people_of(db: sqlite3.Connection, keys: Iterable[str]) -> tuple[Person, ...]:
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return ()
    marks = ",".join("?" * len(wanted))
    names: dict[str, Counter[str]] = {}
    roles: dict[str, Counter[str]] = {}
    quotations: Counter[str] = Counter()
    articles: dict[str, set[int]] = {}
    for key, speaker, role, article_id in db.execute(
        f"SELECT speaker_key, speaker, role, article_id FROM quotations WHERE speaker_key IN ({marks})", wanted
    ):
        names.setdefault(key, Counter())[speaker] += 1
        if role:
            roles.setdefault(key, Counter())[role] += 1
        quotations[key] += 1
        articles.setdefault(key, set()).add(article_id)
    found = [
        Person(k, _most_common(names[k]), _most_common(roles[k]) if k in roles else None, quotations[k], len(articles[k]))
        for k in wanted
        if k in names
    ]
    return tuple(sorted(found, key=lambda p: (-p.quotations, p.name.casefold())))


def person_matches(db: sqlite3.Connection, name: str) -> tuple[str, ...]:
    """The speaker keys `name` means (see resolve_person); () when nobody by that name is quoted."""
    return resolve_person(db, name).keys


def article_ids_by(db: sqlite3.Connection, name: str) -> set[int]:
    """Articles holding a quotation by the person `name` means."""
    keys = person_matches(db, name)
    if not keys:
        return set()
    marks = ",".join("?" * len(keys))
    return {r[0] for r in db.execute(f"SELECT DISTINCT article_id FROM quotations WHERE speaker_key IN ({marks})", keys)}


def chunk_ids_by(db: sqlite3.Connection, name: str) -> set[int]:
    """Chunks overlapping a quotation by the person `name` means (for a `speaker:` filter)."""
    keys = person_matches(db, name)
    if not keys:
        return set()
    marks = ",".join("?" * len(keys))
    rows = db.execute(
        "SELECT DISTINCT c.id FROM quotations q JOIN chunks c ON c.article_id = q.article_id"
        f" AND c.start < q.end AND c.end > q.start WHERE q.speaker_key IN ({marks})",
        keys,
    )
    return {r[0] for r in rows}


def speaker_keys_at(db: sqlite3.Connection, article_id: int, start: int, end: int) -> set[str]:
    """Keys of the speakers of quotations overlapping [start, end) (for keeping quotes by one person)."""
    rows = db.execute(
        "SELECT speaker_key FROM quotations WHERE article_id = ? AND start < ? AND end > ? AND speaker_key IS NOT NULL",
        (article_id, end, start),
    )
    return {r[0] for r in rows}


# -- quote timelines ---------------------------------------------------------------------------


def quotations_by(
    db: sqlite3.Connection, name: str, since: dt.date | None = None, until: dt.date | None = None, *, exact: bool = False
) -> tuple[Quote, ...]:
    """Every quotation by the person `name` means, once each, in date order: a quote timeline.

    Each is a Quote of the quotation where it first appeared (earliest date, undated after dated,
    then by path), with its speaker, and `also_in` the other articles where the same words appear
    again (attributed to the same person there, or to nobody; someone else's identical words are
    theirs). With since/until, only quotations that first appeared in that range. `exact`: as in
    resolve_person.
    """
    keys = resolve_person(db, name, exact=exact).keys
    if not keys:
        return ()
    marks = ",".join("?" * len(keys))
    columns = "text_key, speaker, role, attr_start, attr_end, article_id, start, end"
    rows = db.execute(f"SELECT {columns} FROM quotations WHERE speaker_key IN ({marks})", keys).fetchall()
    groups: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        groups.setdefault(row[0], []).append(row)
    # Unattributed reuses of the same words join a quotation long enough to be theirs: a stock phrase in quotation
    # marks ('"war on terror"', '"level playing field"') in a story that never names them is not their quotation.
    reusable = [key for key, group in groups.items() if max(int(r[7]) - int(r[6]) for r in group) >= REUSED_QUOTATION_CHARS]
    if reusable:
        text_marks = ",".join("?" * len(reusable))
        for row in db.execute(
            f"SELECT {columns} FROM quotations WHERE text_key IN ({text_marks}) AND speaker_key IS NULL", reusable
        ):
            groups[row[0]].append(row)
    places = _places(db, {(r[5], r[6], r[7]) for group in groups.values() for r in group})
    found: list[tuple[_Place, Speaker, list[_Place]]] = []
    for group in groups.values():
        here = sorted((places[(r[5], r[6])], r) for r in group if (r[5], r[6]) in places)
        if not here:
            continue
        first = here[0][0]
        if (since and (first.date is None or first.date < since)) or (until and (first.date is None or first.date > until)):
            continue
        # First seen unattributed (a reuse naming nobody): the speaker is as given where it is attributed.
        said = next(r for _, r in here if r[1] is not None)
        speaker = Speaker(str(said[1]), said[2], int(said[3]), int(said[4]))
        seen = {first.article_id}
        also = []
        for place, _ in here[1:]:
            if place.article_id not in seen:
                seen.add(place.article_id)
                also.append(place)
        found.append((first, speaker, also))
    found.sort(key=lambda item: item[0])
    return tuple(
        _quote(db, n, first, speaker, also) for n, (first, speaker, also) in enumerate(found, start=1)
    )


@dataclass(frozen=True, order=True)
class _Place:
    """A quotation's place, ordered by date (undated last), path, record, offset."""

    undated: bool
    day: dt.date
    path: str
    record: int
    start: int
    end: int = field(compare=False)
    article_id: int = field(compare=False)
    row: tuple[Any, ...] = field(compare=False)

    @property
    def date(self) -> dt.date | None:
        return None if self.undated else self.day


def _places(db: sqlite3.Connection, spans: Iterable[tuple[int, int, int]]) -> dict[tuple[int, int], _Place]:
    """Places of (article id, start, end) spans with their article's citation fields."""
    found: dict[tuple[int, int], _Place] = {}
    for article_id, start, end in spans:
        row = db.execute(
            "SELECT path, record, title, date, source, url, author, format, first_line,"
            " length(substr(text, 1, ?)) - length(replace(substr(text, 1, ?), char(10), '')),"
            " substr(text, ?, ?) FROM articles WHERE id = ?",
            (start, start, start + 1, end - start, article_id),
        ).fetchone()
        if row is None:
            continue
        day = dt.date.fromisoformat(row[3]) if row[3] else None
        found[(article_id, start)] = _Place(day is None, day or dt.date.min, row[0], int(row[1]), start, end, article_id, row)
    return found


def _line(place: _Place) -> int | None:
    fmt, first_line, newlines = place.row[7], place.row[8], place.row[9]
    if first_line is None:
        return None
    return int(first_line) if fmt == "jsonl" else int(first_line) + int(newlines)


def _quote(db: sqlite3.Connection, n: int, first: _Place, speaker: Speaker, also: list[_Place]) -> Quote:
    path, record, title, _, source, url, author = first.row[:7]
    return Quote(
        n=n,
        text=str(first.row[10]),
        article_id=first.article_id,
        path=path,
        record=int(record),
        title=title,
        date=first.date,
        source=source,
        url=url,
        author=author,
        paragraph=paragraph_at(db, first.article_id, first.start) or 0,
        line=_line(first),
        start=first.start,
        end=first.end,
        score=0.0,
        also_in=tuple(Location(p.path, p.row[2], _line(p), p.start, p.end) for p in also),
        speaker=speaker,
    )


def count_quotations(db: sqlite3.Connection) -> tuple[int, int]:
    """(quotations, quotations with a speaker) in the index."""
    row = db.execute("SELECT count(*), count(speaker_key) FROM quotations").fetchone()
    return int(row[0]), int(row[1])


def _same_words(a: str, b: str) -> bool:
    """Whether two passages say the same words (case, spacing and quotation-mark styles aside)."""
    return _folded(a) == _folded(b)


def _folded(text: str) -> str:
    return " ".join(text.translate(_MARKS).casefold().split())


_MARKS = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u00ab": '"', "\u00bb": '"'})
