"""Draft checking: every quotation in a draft looked up in the corpus and reported as exact, altered, not_quoted, wrong_speaker or not_found."""

from __future__ import annotations

import bisect
import dataclasses
import difflib
import os
import re
import stat
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import DraftError
from assistant.text.quotations import SPEECH_VERBS, Speaker, extract_quotations, reported_speakers
from assistant.text.chunking import split_paragraphs, split_sentences
from assistant.text.citations import paragraph_of  # re-exported: the citations' own rule
from assistant.text.names import name_words, same_person  # the one rule of names, re-exported

if TYPE_CHECKING:
    from assistant.models import Article
    from assistant.search.engine import Engine

__all__ = ["DiffOp", "DraftReport", "MAX_DRAFT_BYTES", "QuotationCheck", "SourceMatch", "STATUSES", "check_draft", "decode_draft",
           "mask_markup", "paragraph_of", "read_draft", "report_to_dicts", "same_person"]


MAX_DRAFT_BYTES = 5_000_000
"""A draft larger than this is refused (a book, or the wrong file)."""


def decode_draft(raw: bytes, name: str, notes: list[str] | None = None) -> str:
    """A draft's bytes as text, at most MAX_DRAFT_BYTES and not binary, decoded as the loaders decode articles: a BOM's
    UTF-8/16/32, else UTF-8, else cp1252 (what Windows editors write) with a note in `notes`; else a DraftError line."""
    from assistant.text.decoding import decode_text

    if len(raw) > MAX_DRAFT_BYTES:
        raise DraftError(f"{name} is too large for a draft (more than {MAX_DRAFT_BYTES:,} bytes)")
    decoded = decode_text(raw)
    if decoded is None:
        raise DraftError(f"{name} is a binary file, not text")
    if decoded.warning and notes is not None:
        notes.append(f"{name}: {decoded.warning}")
    return decoded.text


def read_draft(path: Path, notes: list[str] | None = None) -> str:
    """The text of a draft file: a regular, non-binary text file of at most MAX_DRAFT_BYTES (see `decode_draft`).

    Checked before it is opened: a FIFO or a device (/dev/zero) would block or never end."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise DraftError(f"no such file: {path}") from None
    except OSError as exc:
        raise DraftError(f"cannot read {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise DraftError(f"{path} is a folder, not a draft file")
    if not stat.S_ISREG(info.st_mode):
        raise DraftError(f"{path} is not a regular file")
    if info.st_size > MAX_DRAFT_BYTES:
        raise DraftError(f"{path} is too large for a draft ({info.st_size:,} bytes; at most {MAX_DRAFT_BYTES:,})")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DraftError(f"cannot read {path}: {exc.strerror or exc}") from None
    return decode_draft(raw, str(path), notes)


STATUSES = ("exact", "altered", "not_quoted", "wrong_speaker", "not_found")
"""Every status a quotation can get, from good to bad. not_quoted: the draft has a person say words the source
does not put in quotation marks (the reporter's narration, or speech it reports in its own words)."""

MIN_COVERAGE = 0.6
"""Share of the draft quotation's words that must be found in order in one passage for it to count as found."""
MAX_CANDIDATES = 8
"""Articles aligned word by word per quotation (keyword hits first, then the engine's closest passages)."""

_WORD_RE = re.compile(r"\w+(?:[\u2060'’]+\w+)*")
_MARK_RE = re.compile(r"\[\s*(?:\.\.\.|…)\s*\]|\.\s?\.\s?\.|…|\[[^\[\]\n]{1,80}\]")
_QUOTE_CHARS = "\"'“”‘’«»„‚‹›"
_ELLIPSIS = "\x00ellipsis"
_BRACKET = "\x00bracket"
MAX_TAG_WORDS = 12
"""Words an attribution tag between two parts of one quotation ('he said', 'said Mr Brown, the chairman') has at most."""
_SPEECH_WORDS = frozenset(SPEECH_VERBS)
_TITLE_DOT = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Prof|Rev|St|Sen|Gov|Gen|Col|Capt|Lt|Sgt|Jr|Sr)\.")
_TAG_BREAK = re.compile(r"[.!?;:]\s|\n")


@dataclass(frozen=True)
class DiffOp:
    """One step of the word-level diff between a draft quotation and its source passage."""

    kind: str
    """'same', 'changed' (draft words replace source words), 'added' (draft only), 'dropped' (source only,
    no ellipsis), 'elided' (source words left out at an ellipsis), 'bracketed' (a [marked] edit that keeps the meaning:
    a name for a pronoun, an added clarification, a word's form), 'bracket_change' (a [marked] edit that changes what the
    source says: another number, a negation, other words; not accepted) or 'tag' (the
    source's attribution tag between two parts of one quotation, 'he said', left out: the reporter's words)."""
    draft: str = ""
    """The draft's words of this step."""
    source: str = ""
    """The source's words of this step (exact text of the article)."""

    @property
    def accepted(self) -> bool:
        """True for the steps that do not make a quotation altered (unchanged text and marked edits)."""
        return self.kind in ("same", "elided", "bracketed", "tag")


@dataclass(frozen=True)
class SourceMatch:
    """The passage of an article a draft quotation was matched to: `article.text[start:end] == text`."""

    article_id: int
    path: str
    record: int
    title: str
    start: int
    end: int
    text: str
    citation: str
    speaker: Speaker | None = None
    """Who the source says spoke these words (None when it does not say)."""
    line: int | None = None


@dataclass(frozen=True)
class QuotationCheck:
    """The verdict on one quotation of the draft."""

    text: str
    """The quotation as written in the draft (without its quotation marks)."""
    line: int
    """1-based line of the draft where it opens."""
    start: int
    """Offset of the opening mark in the draft."""
    end: int
    """Offset after the closing mark in the draft."""
    status: str
    """One of STATUSES."""
    speaker: Speaker | None = None
    """Who the draft says spoke (the same attribution rules as the index), or None."""
    source: SourceMatch | None = None
    """The matched passage when found; for not_found, None (see `closest`)."""
    diff: tuple[DiffOp, ...] = ()
    """Word-level diff, when the quotation was found."""
    closest: SourceMatch | None = None
    """For not_found: the closest passage the engine could find, if any."""
    note: str = ""
    """One line for the reader (what is wrong, or what was accepted)."""


@dataclass(frozen=True)
class DraftReport:
    """Every quotation of a draft, in order."""

    checks: tuple[QuotationCheck, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """True when every quotation is exact (an empty draft is ok)."""
        return all(c.status == "exact" for c in self.checks)

    def counts(self) -> dict[str, int]:
        """Quotations per status."""
        return {s: sum(c.status == s for c in self.checks) for s in STATUSES}


@dataclass(frozen=True)
class _Span:
    """A quotation of a source article: `text[start:end]` with its marks, and who the article says spoke it."""

    start: int
    end: int
    speaker: Speaker | None


@dataclass(frozen=True)
class _Layout:
    """An article as the alignment reads it, worked out once per check."""

    norms: list[str]
    """Each word as compared (normalise)."""
    starts: list[int]
    """Where each word starts in the text."""
    paragraphs: list[tuple[int, int]]
    """(start, end) of each paragraph of the body (the index's split)."""


@dataclass(frozen=True)
class _Token:
    norm: str
    start: int
    end: int


def normalise(word: str) -> str:
    """A word as compared: NFKC, typographic apostrophes straightened, case folded."""
    return unicodedata.normalize("NFKC", word).replace("’", "'").replace("‘", "'").replace("\u2060", "").casefold()


def _words(text: str, offset: int = 0) -> list[_Token]:
    return [_Token(normalise(m.group()), offset + m.start(), offset + m.end()) for m in _WORD_RE.finditer(text)]


def _draft_tokens(text: str) -> list[_Token]:
    """Words of a draft quotation, with an ellipsis or a [bracketed insertion] as one marker token each.

    A bracket glued to a word ('[T]he', 'him[self]') changes letters of that word, not words: it is read as the word
    with its brackets taken out, compared like any other word ('[T]he' is the source's 'the'; '[t]wo' for 'one' is not)."""
    text = _GLUED_BRACKET.sub(lambda m: _unbracket(m.group()), text)
    tokens: list[_Token] = []
    pos = 0
    for m in _MARK_RE.finditer(text):
        tokens += _words(text[pos:m.start()], pos)
        mark = m.group()
        kind = _BRACKET if mark.startswith("[") and not re.fullmatch(r"\[\s*(?:\.\.\.|…)\s*\]", mark) else _ELLIPSIS
        tokens.append(_Token(kind, m.start(), m.end()))
        pos = m.end()
    tokens += _words(text[pos:], pos)
    return tokens


_GLUED_BRACKET = re.compile(r"\w*\[\w{1,20}\]\w+|\w+\[\w{1,20}\]\w*")


def _unbracket(word: str) -> str:
    """'[T]he' with its brackets turned into word joiners (U+2060): same length, so offsets stay put, and one word
    to the word pattern, which `normalise` reads as 'the'."""
    return word.replace("[", "\u2060").replace("]", "\u2060")


EDGE_WORDS = 4
"""More source words than the draft has a changed first or last word may face, up to the source quotation's edge."""
MAX_ELIDED_WORDS = 600
"""Source words an ellipsis of a draft quotation may leave out between two of its parts (several paragraphs)."""


STRAY_WORDS = 3
"""A match of fewer words than this counts only this many source words further on than the draft has (a stray 'the'
of the next sentence is no part of the quotation)."""


def _coherent(blocks: list[Any]) -> list[Any]:
    """The matching blocks that belong to one passage: the longest, and outward from it each next block that is long
    (STRAY_WORDS words or more) or close (its gap in the source at most STRAY_WORDS more than in the draft)."""
    if not blocks:
        return blocks
    top = max(range(len(blocks)), key=lambda k: blocks[k].size)
    kept = [blocks[top]]
    for block in blocks[top + 1:]:
        prev = kept[-1]
        if block.size < STRAY_WORDS and block.b - (prev.b + prev.size) > block.a - (prev.a + prev.size) + STRAY_WORDS:
            break
        kept.append(block)
    for block in reversed(blocks[:top]):
        nxt = kept[0]
        if block.size < STRAY_WORDS and nxt.b - (block.b + block.size) > nxt.a - (block.a + block.size) + STRAY_WORDS:
            break
        kept.insert(0, block)
    return kept


def _parts(draft: list[_Token]) -> list[tuple[int, int]]:
    """Token ranges of a draft quotation between its ellipses (leading and trailing ellipses left out)."""
    parts: list[tuple[int, int]] = []
    start = 0
    for i, token in enumerate([*draft, _Token(_ELLIPSIS, 0, 0)]):
        if token.norm == _ELLIPSIS:
            if any(not t.norm.startswith("\x00") for t in draft[start:i]):
                parts.append((start, i))
            start = i + 1
    return parts


def _inner(draft: str, start: int, end: int) -> tuple[str, int]:
    """The quotation's words without its outer marks, and the offset they start at."""
    text = draft[start:end]
    lead = len(text) - len(text.lstrip(_QUOTE_CHARS))
    body = text[lead:].rstrip()
    body = body.rstrip(_QUOTE_CHARS)
    return body, start + lead


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


class _Checker:
    """One draft check against an open engine; caches articles and their quotations."""

    def __init__(self, engine: Engine, style: str) -> None:
        self.engine = engine
        self.style = style
        self._articles: dict[int, Article] = {}
        self._tokens: dict[int, list[_Token]] = {}
        self._layouts: dict[int, _Layout] = {}
        self._quotations: dict[int, tuple[Any, ...]] = {}
        self._spans: dict[int, tuple[_Span, ...]] = {}
        self._stored: dict[int, Any] = {}
        self._draft: tuple[str, tuple[list[int], list[int]]] | None = None

    # -- look-ups

    def article(self, article_id: int) -> Article:
        if article_id not in self._articles:
            self._articles[article_id] = self.engine.article(article_id)
        return self._articles[article_id]

    def tokens(self, article_id: int) -> list[_Token]:
        if article_id not in self._tokens:
            self._tokens[article_id] = _words(self.article(article_id).text)
        return self._tokens[article_id]

    def keyword_candidates(self, words: list[str]) -> list[int]:
        """Articles whose chunks hold the quotation's words, best BM25 first (the FTS index, no embedding)."""
        distinct = list(dict.fromkeys(w for w in words if len(w) > 1 or w.isdigit()))[:40]
        if not distinct:
            return []
        query = " OR ".join('"' + w.replace('"', '""') + '"' for w in distinct)
        try:
            rows = self.engine.store.keyword_articles(query, 40)
        except self.engine.store.database_errors:
            return []
        return list(dict.fromkeys(rows))[:MAX_CANDIDATES]

    def dense_candidates(self, text: str) -> tuple[list[int], Any]:
        """Articles of the engine's closest passages, and the best passage (a Quote) itself."""
        answer = self.engine.ask(text[:2000], max_quotes=3)
        return list(dict.fromkeys(q.article_id for q in answer.quotes)), (answer.quotes[0] if answer.quotes else None)

    def source_speaker(self, article_id: int, start: int, end: int) -> Speaker | None:
        """Who the source says spoke [start, end): S's stored quotations when present, else the extractor."""
        stored = self._stored_speaker(article_id, start, end)
        if stored is not False:
            return stored  # type: ignore[return-value]
        best, overlap = None, 0
        for q in self._extracted(article_id):
            shared = min(end, q.end) - max(start, q.start)
            if shared > overlap:
                best, overlap = q, shared
        return best.speaker if best is not None else None

    def _extracted(self, article_id: int) -> tuple[Any, ...]:
        if article_id not in self._quotations:
            self._quotations[article_id] = extract_quotations(self.article(article_id).text)
        return self._quotations[article_id]

    def quotations(self, article_id: int) -> tuple[_Span, ...]:
        """The article's quotations by start: the index's stored ones when it has them, else the extractor's."""
        if article_id not in self._spans:
            stored = self._stored_quotations(article_id)
            found = stored if stored is not None else self._extracted(article_id)
            self._spans[article_id] = tuple(sorted((_Span(q.start, q.end, q.speaker) for q in found),
                                                   key=lambda q: (q.start, q.end)))
        return self._spans[article_id]

    def _stored_quotations(self, article_id: int) -> tuple[Any, ...] | None:
        """The index's quotations of an article, None when the index has no quotation table."""
        found = self._stored_article(article_id)
        return None if found is None or found.text is None else tuple(found.quotations)

    def _stored_article(self, article_id: int) -> Any:
        """The article's stored quotations as quotation_store reads them, read once per article (both the span list
        and the speaker of a span come from it); None when the index has no quotation table (an older index)."""
        if article_id not in self._stored:
            from assistant.index.quotation_store import quoted_articles

            try:
                self._stored[article_id] = quoted_articles(self.engine.db, [article_id]).get(article_id)
            except self.engine.store.database_errors:
                self._stored[article_id] = None
        return self._stored[article_id]

    def is_tag(self, article_id: int, start: int, end: int) -> bool:
        """True when the source words [start, end) are an attribution tag: outside every quotation, the only words
        between two quotations of one speaker ('"...," he said, "..."'), one short clause with a verb of speaking."""
        spans = self.quotations(article_id)
        if any(q.start < end and start < q.end for q in spans):
            return False
        before = [q for q in spans if q.end <= start]
        after = [q for q in spans if q.start >= end]
        if not before or not after:
            return False
        left, right = max(before, key=lambda q: q.end), min(after, key=lambda q: q.start)
        text = self.article(article_id).text
        if _WORD_RE.search(text, left.end, start) or _WORD_RE.search(text, end, right.start):
            return False  # other words lie between the quotations: more than the tag was left out
        tag = text[start:end]
        words = [normalise(w) for w in _WORD_RE.findall(tag)]
        if not words or len(words) > MAX_TAG_WORDS or not _SPEECH_WORDS.intersection(words):
            return False
        if _TAG_BREAK.search(_TITLE_DOT.sub("", tag)):
            return False  # a sentence or paragraph of narration, not a tag
        a, b = left.speaker, right.speaker
        if a is None or b is None:
            return a is None and b is None
        return same_person(a.name, b.name)

    def narration(self, article_id: int, ops: list[tuple[str, int, int, int, int]]) -> tuple[list[tuple[int, int]], bool]:
        """Runs (source start, end offsets) of the words the draft has unchanged that stand outside every quotation
        of the source, and whether any of its unchanged words stands inside one."""
        spans = self.quotations(article_id)
        source = self.tokens(article_id)
        runs: list[tuple[int, int]] = []
        quoted = False
        last = -2
        for tag, _, _, j1, j2 in ops:
            if tag != "equal":
                continue
            for j in range(j1, j2):
                token = source[j]
                if any(q.start <= token.start and token.end <= q.end for q in spans):
                    quoted = True
                    continue
                if runs and j == last + 1:
                    runs[-1] = (runs[-1][0], token.end)
                else:
                    runs.append((token.start, token.end))
                last = j
        return runs, quoted

    def reported(self, article_id: int, runs: list[tuple[int, int]]) -> list[Speaker]:
        """The people the source sentences holding `runs` report speaking in the reporter's words (a sentence that
        holds a quotation is left out: its verb of speaking attributes the quotation, '"...," Ms Olsen said.')."""
        text = self.article(article_id).text
        spans = self.quotations(article_id)
        sentences: list[tuple[int, int]] = []
        for p_start, p_end in self.layout(article_id).paragraphs:
            if any(start < p_end and p_start < end for start, end in runs):
                sentences += [(a, b) for a, b in split_sentences(text, p_start, p_end)
                              if any(start < b and a < end for start, end in runs)
                              and not any(q.start < b and a < q.end for q in spans)]
        people: list[Speaker] = []
        for speaker in reported_speakers(text, sentences):
            if speaker is not None and not any(same_person(speaker.name, p.name) for p in people):
                people.append(speaker)
        return people

    def not_quoted_note(self, article_id: int, ops: list[tuple[str, int, int, int, int]], speaker: Speaker | None) -> str:
        """Why the draft misquotes `speaker` when it has them say words the source does not quote, else ''."""
        if speaker is None:
            return ""  # the writer quotes the article itself
        runs, quoted = self.narration(article_id, ops)
        if not runs:
            return ""
        authors = re.split(r",\s*|\s+(?:and|&)\s+", self.article(article_id).author or "")
        if any(same_person(speaker.name, author) for author in authors if author.strip()):
            return ""  # the reporter's words are the speaker's: the draft quotes the article's author
        text = self.article(article_id).text
        if quoted:
            shown = ", ".join(f"'{text[a:b]}'" for a, b in runs[:3])
            words = "are the reporter's words" if len(runs) > 1 or len(_WORD_RE.findall(text[runs[0][0]:runs[0][1]])) > 1 \
                else "is the reporter's word"
            note = f"the source does not quote {speaker.name} saying all of this: {shown} {words}"
        else:
            note = f"the source does not quote {speaker.name} saying this: these are the reporter's words"
        for person in self.reported(article_id, runs):
            note += (f"; the source reports {person.name}'s words in its own words (reported speech); "
                     "it does not quote them")
        return note

    def _stored_speaker(self, article_id: int, start: int, end: int) -> Speaker | None | bool:
        """The stored speaker, or False when the index has no quotation table (an older index)."""
        from assistant.index.quotation_store import belongs_to

        article = self._stored_article(article_id)
        if article is None:
            return False
        found = belongs_to(article, start, end)
        return found.speaker if found is not None else None

    def claimed_speaker(self, draft: str, start: int, end: int) -> Speaker | None:
        """Whom the draft says spoke when the extraction rules name nobody: the writer's own 'Brown said: "..."' or
        '"...," Brown said' names a person the index quotes, though 'Brown' alone, also a common word, is no name the
        rules accept in an article. 'Critics said' names nobody the index quotes, so nobody."""
        before = _CLAIM_BEFORE.search(draft, max(0, start - 80), start)
        after = [pattern.match(draft, end, min(len(draft), end + 80)) for pattern in _CLAIM_AFTER]
        for found in (before, *after):
            if found is None:
                continue
            name = found.group("name")
            if name.split()[0] not in _NOT_NAMES and self.engine.is_quoted(name):
                return Speaker(name, None, found.start("name"), found.end("name"))
        return None

    def draft_paragraphs(self, draft: str) -> tuple[list[int], list[int]]:
        """Starts and ends of the draft's paragraphs, split once per draft."""
        if self._draft is None or self._draft[0] is not draft:
            spans = split_paragraphs(draft)
            self._draft = (draft, ([a for a, _ in spans], [b for _, b in spans]))
        return self._draft[1]

    def match(self, article_id: int, start: int, end: int) -> SourceMatch:
        from assistant.text.citation_styles import Source, format_citation

        article = self.article(article_id)
        # The paragraphs the passage runs over ('paras. 2–3'), by the rule every other citation uses.
        source = Source.from_passage(article, start, end)
        line = None
        if article.first_line is not None:
            line = article.first_line + article.text.count("\n", 0, start)
        return SourceMatch(
            article_id=article_id,
            path=article.path,
            record=article.record,
            title=article.title,
            start=start,
            end=end,
            text=article.text[start:end],
            citation=format_citation(source, self.style),
            speaker=self.source_speaker(article_id, start, end),
            line=line,
        )

    # -- alignment

    def align(self, draft: list[_Token], article_id: int) -> tuple[float, int, int, list[tuple[str, int, int, int, int]],
                                                                  list[tuple[int, int]]]:
        """(coverage, source start token, source end token, opcodes, each part's source tokens) of the best passage
        of one article.

        An ellipsis splits the quotation into parts, each found on its own: the longest part anywhere in the article,
        the ones before it within MAX_ELIDED_WORDS before, the ones after it within MAX_ELIDED_WORDS after, in order;
        what lies between two parts is what the ellipsis leaves out (a sentence, or paragraphs, of the same story)."""
        b = self.layout(article_id).norms
        n_words = sum(1 for t in draft if not t.norm.startswith("\x00"))
        if not b or not n_words:
            return 0.0, 0, 0, [], []
        parts = _parts(draft)
        if not parts:
            return 0.0, 0, 0, [], []
        lead = max(range(len(parts)), key=lambda k: sum(1 for t in draft[parts[k][0]:parts[k][1]]
                                                        if not t.norm.startswith("\x00")))
        found: dict[int, tuple[int, int, int, list[tuple[str, int, int, int, int]]]] = {}
        anchor = self._align_part(draft, parts[lead], article_id, 0, len(b))
        if anchor is None:
            return 0.0, 0, 0, [], []
        found[lead] = anchor
        lo = anchor[1]
        for k in range(lead - 1, -1, -1):
            got = self._align_part(draft, parts[k], article_id, max(0, lo - MAX_ELIDED_WORDS), lo)
            if got is not None:
                found[k] = got
                lo = got[1]
        hi = anchor[2]
        for k in range(lead + 1, len(parts)):
            got = self._align_part(draft, parts[k], article_id, hi, min(len(b), hi + MAX_ELIDED_WORDS))
            if got is not None:
                found[k] = got
                hi = got[2]
        ops: list[tuple[str, int, int, int, int]] = []
        matched = 0
        previous: int | None = None  # source token after the last part placed
        for k, (i1, i2) in enumerate(parts):
            if k > 0:
                marks = (parts[k - 1][1], i1)  # the ellipsis (and any marks) between two parts
                if k in found and previous is not None:
                    ops.append(("replace", marks[0], marks[1], previous, found[k][1]))
                elif marks[1] > marks[0]:
                    at = previous if previous is not None else (found[k][1] if k in found else 0)
                    ops.append(("delete", marks[0], marks[1], at, at))
            if k in found:
                part_matched, first, last, part_ops = found[k]
                matched += part_matched
                ops += part_ops
                previous = last
            else:
                at = previous if previous is not None else min(got[1] for got in found.values())
                ops.append(("delete", i1, i2, at, at))
        placed = [found[k] for k in sorted(found)]
        return matched / n_words, placed[0][1], placed[-1][2], ops, [(first, last) for _, first, last, _ in placed]

    def _align_part(self, draft: list[_Token], part: tuple[int, int], article_id: int, lo_bound: int,
                    hi_bound: int) -> tuple[int, int, int, list[tuple[str, int, int, int, int]]] | None:
        """(matched words, source start token, source end token, opcodes) of draft[part] within source tokens
        [lo_bound, hi_bound), or None when no word of it is there.

        Draft words before the first or after the last match face the source words in the same places (a
        misremembered first or last word reads as changed, not as added), but never past the source quotation,
        or else the paragraph, that holds the matched words."""
        i_lo, i_hi = part
        a = [t.norm for t in draft[i_lo:i_hi]]
        b = self.layout(article_id).norms
        if hi_bound <= lo_bound or not a:
            return None
        anchor = difflib.SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), lo_bound, hi_bound)
        if anchor.size == 0:
            return None
        slack = len(a) + 10
        lo = max(lo_bound, anchor.b - anchor.a - slack)
        hi = min(hi_bound, anchor.b + (len(a) - anchor.a) + slack)
        matcher = difflib.SequenceMatcher(None, a, b[lo:hi], autojunk=False)
        blocks = _coherent([m for m in matcher.get_matching_blocks() if m.size])
        matched = sum(m.size for m in blocks)
        first, last = lo + blocks[0].b, lo + blocks[-1].b + blocks[-1].size
        # A [bracket] at an edge faces source words too ('... than those in [2005]' for '... in 1997 or 2001').
        lead = sum(1 for t in draft[i_lo:i_lo + blocks[0].a] if t.norm != _ELLIPSIS)
        tail = sum(1 for t in draft[i_lo + blocks[-1].a + blocks[-1].size:i_hi] if t.norm != _ELLIPSIS)
        floor, ceiling = self.enclosing(article_id, first, last)
        # A changed first or last word may be a different number of words ('2001' for 'two thousand and one'):
        # when the source's quotation (or paragraph) ends a few words further on, it ends there.
        first = max(floor if lead and first - floor <= lead + EDGE_WORDS else first - lead, floor, lo_bound)
        last = min(ceiling if tail and ceiling - last <= tail + EDGE_WORDS else last + tail, ceiling, hi_bound)
        # A bracket at an edge that faces a determiner's noun faces the whole description ('[The council]' for 'the
        # town', '[the spring]' for 'the autumn'), not its last or first word alone.
        if draft[i_lo].norm == _BRACKET and first > max(floor, lo_bound) and b[first - 1] in _DETERMINERS | _PRONOUNS:
            first -= 1  # '[The council is] sorry' for 'We are sorry' too
        if draft[i_hi - 1].norm == _BRACKET and b[last - 1] in _DETERMINERS and last < min(ceiling, hi_bound):
            last += 1
        window = difflib.SequenceMatcher(None, a, b[first:last], autojunk=False)
        ops = [(tag, i_lo + i1, i_lo + i2, first + j1, first + j2) for tag, i1, i2, j1, j2 in window.get_opcodes()]
        return matched, first, last, ops

    def enclosing(self, article_id: int, first: int, last: int) -> tuple[int, int]:
        """Source tokens [floor, ceiling) of the quotation holding tokens first..last-1 (its start and end), else of
        the paragraph(s) holding them: how far a draft's unmatched first or last words may reach."""
        source, layout = self.tokens(article_id), self.layout(article_id)
        start, end = source[first].start, source[last - 1].end
        lo_char, hi_char = 0, len(self.article(article_id).text)
        for p_start, p_end in layout.paragraphs:
            if p_start <= start <= p_end:
                lo_char = p_start
            if p_start <= end <= p_end:
                hi_char = p_end
        for q in self.quotations(article_id):
            if q.start <= start < q.end:
                lo_char = max(lo_char, q.start)
            if q.start < end <= q.end:
                hi_char = min(hi_char, q.end)
        return bisect.bisect_left(layout.starts, lo_char), bisect.bisect_left(layout.starts, hi_char)

    def layout(self, article_id: int) -> _Layout:
        """The article's words as compared, where each starts, and its paragraphs: worked out once per article."""
        if article_id not in self._layouts:
            article, tokens = self.article(article_id), self.tokens(article_id)
            self._layouts[article_id] = _Layout([t.norm for t in tokens], [t.start for t in tokens],
                                                split_paragraphs(article.text, article.body_start))
        return self._layouts[article_id]

    def diff(self, draft_text: str, draft: list[_Token], article_id: int, ops: list[tuple[str, int, int, int, int]]) -> tuple[DiffOp, ...]:
        text = self.article(article_id).text
        source = self.tokens(article_id)

        def draft_words(i1: int, i2: int) -> str:
            return draft_text[draft[i1].start:draft[i2 - 1].end] if i2 > i1 else ""

        def source_words(j1: int, j2: int) -> str:
            return text[source[j1].start:source[j2 - 1].end] if j2 > j1 else ""

        def has_ellipsis(j: int) -> bool:
            """True when the source itself has an ellipsis just before source token j (the draft copies it)."""
            left = source[j - 1].end if 0 < j <= len(source) else 0
            right = source[j].start if j < len(source) else len(text)
            return bool(_SOURCE_ELLIPSIS.search(text, left, right))

        out: list[DiffOp] = []
        for tag, i1, i2, j1, j2 in ops:
            if tag == "equal":
                out.append(DiffOp("same", draft_words(i1, i2), source_words(j1, j2)))
                continue
            part = draft[i1:i2]
            marks = [t for t in part if t.norm.startswith("\x00")]
            words = [t for t in part if not t.norm.startswith("\x00")]
            if marks and not words:
                # Only marked edits on the draft side: an ellipsis stands for the source words left out,
                # a [bracket] for the words it replaces (or adds), both the writer's declared changes --
                # unless the bracket changes what the source says (a number, a negation, a word no pronoun).
                replaced = source_words(j1, j2)
                if any(t.norm == _BRACKET for t in marks):
                    kind = _bracket_kind(draft_words(i1, i2), replaced)
                elif not replaced and has_ellipsis(j1):
                    kind = "same"  # the source's own ellipsis, copied
                else:
                    kind = "elided"
                out.append(DiffOp(kind, draft_words(i1, i2), replaced))
            elif tag == "insert":
                near = [draft[k] for k in (i1 - 1, i1) if 0 <= k < len(draft)]
                brackets = [t for t in near if t.norm == _BRACKET]
                if any(t.norm == _ELLIPSIS for t in near):
                    kind = "elided"
                elif brackets:
                    bracket = draft_text[brackets[0].start:brackets[0].end]
                    kind = _bracket_kind(bracket, source_words(j1, j2))
                else:
                    kind = "dropped"
                if kind == "dropped" and self.is_tag(article_id, source[j1].start, source[j2 - 1].end):
                    kind = "tag"
                out.append(DiffOp(kind, "", source_words(j1, j2)))
            elif tag == "delete":
                out.append(DiffOp("added", draft_words(i1, i2), ""))
            else:
                out.append(DiffOp("changed", draft_words(i1, i2), source_words(j1, j2)))
        return tuple(out)

    # -- one quotation

    def check(self, draft_text: str, quotation: Any, shown: str | None = None) -> QuotationCheck:
        """One quotation's verdict; `shown` is the draft as written when `draft_text` has its markup blanked out."""
        inner, offset = _inner(draft_text, quotation.start, quotation.end)
        written = _inner(shown, quotation.start, quotation.end)[0] if shown is not None else inner
        tokens = _draft_tokens(inner)
        line = _line_of(draft_text, quotation.start)
        paragraphs = self.draft_paragraphs(draft_text)
        speaker = _own_speaker(draft_text, paragraphs, quotation.start, quotation.end, quotation.speaker)
        if speaker is None:
            speaker = _own_speaker(draft_text, paragraphs, quotation.start, quotation.end,
                                   self.claimed_speaker(draft_text, quotation.start, quotation.end))
        words = [t.norm for t in tokens if not t.norm.startswith("\x00")]
        base = dict(text=written if len(written) == len(inner) else inner, line=line, start=quotation.start, end=quotation.end, speaker=speaker)
        if not words:
            return QuotationCheck(**base, status="not_found", note="the quotation has no words to look up")
        best: tuple[float, int, int, int, list[Any], list[tuple[int, int]]] | None = None
        tried: set[int] = set()
        closest = None

        def consider(article_ids: Iterable[int]) -> None:
            nonlocal best
            for article_id in article_ids:
                if article_id in tried:
                    continue
                tried.add(article_id)
                try:
                    coverage, first, last, ops, parts = self.align(tokens, article_id)
                except Exception:  # an article deleted since the search: simply not a candidate
                    continue
                if best is None or coverage > best[0] + 1e-9:
                    best = (coverage, article_id, first, last, ops, parts)

        consider(self.keyword_candidates(words))
        if best is None or best[0] < 1.0:
            ids, closest = self.dense_candidates(inner)
            consider(ids)
        if best is None or best[0] < MIN_COVERAGE or best[3] <= best[2]:
            near = None
            if closest is not None:
                near = self.match(closest.article_id, closest.start, closest.end)
            elif best is not None and best[3] > best[2]:
                src = self.tokens(best[1])
                near = self.match(best[1], src[best[2]].start, src[best[3] - 1].end)
            return QuotationCheck(**base, status="not_found", closest=near,
                                  note="no passage of the corpus holds these words")
        _, article_id, first, last, ops, parts = best
        src = self.tokens(article_id)
        found = self.match(article_id, src[first].start, src[last - 1].end)
        mixed: list[Speaker] = []
        if len(parts) > 1:
            # Joined by an ellipsis, each part is someone's words: the parts' speakers, not the whole span's.
            for a, b in parts:
                said = self.source_speaker(article_id, src[a].start, src[b - 1].end)
                if said is not None and not any(same_person(said.name, p.name) for p in mixed):
                    mixed.append(said)
            found = dataclasses.replace(found, speaker=mixed[0] if mixed else None)
        if len(mixed) > 1:
            return QuotationCheck(**base, status="wrong_speaker", source=found, diff=self.diff(inner, tokens, article_id, ops),
                                  note="the parts joined by the ellipsis are different people's words in the source: "
                                       + ", ".join(p.name for p in mixed))
        diff = self.diff(inner, tokens, article_id, ops)
        problems = [d for d in diff if not d.accepted]
        unquoted = self.not_quoted_note(article_id, ops, speaker)
        if problems:
            kinds = sorted({d.kind for d in problems})
            note = "; ".join(_describe(k, [d for d in problems if d.kind == k]) for k in kinds)
            note = "; ".join(filter(None, [note, unquoted]))
            return QuotationCheck(**base, status="altered", source=found, diff=diff, note=note)
        if unquoted:
            return QuotationCheck(**base, status="not_quoted", source=found, diff=diff, note=unquoted)
        marked = [d for d in diff if d.kind in ("elided", "bracketed")]
        tags = [d for d in diff if d.kind == "tag"]
        note = "; ".join(filter(None, [
            ("marked edit(s) accepted: " + ", ".join(_marked(d) for d in marked)) if marked else "",
            ("attribution tag left out: " + ", ".join(f"'{d.source}'" for d in tags[:3])) if tags else "",
        ]))
        if speaker is not None and found.speaker is not None and not same_person(speaker.name, found.speaker.name):
            return QuotationCheck(**base, status="wrong_speaker", source=found, diff=diff,
                                  note=f"the draft attributes it to {speaker.name}; the source to {found.speaker.name}")
        if speaker is not None and found.speaker is None:
            note = "; ".join(filter(None, [note, "the source does not say who said it"]))
        return QuotationCheck(**base, status="exact", source=found, diff=diff, note=note)


def _own_speaker(draft: str, paragraphs: tuple[list[int], list[int]], start: int, end: int,
                 speaker: Speaker | None) -> Speaker | None:
    """`speaker` when the draft writes their name (its last word) in the quotation's own paragraph(s), outside the
    quotation; else None: a name in an earlier paragraph is no attribution the reader sees next to the words."""
    if speaker is None:
        return None
    starts, ends = paragraphs
    at = bisect.bisect_right(starts, start) - 1
    lo = starts[at] if at >= 0 and start < ends[at] else start
    later = bisect.bisect_left(ends, end)
    hi = max(end, ends[later] if later < len(ends) and starts[later] < end else end)
    surname = name_words(speaker.name)[-1:]
    if not surname:
        return None
    for part_start, part_end in ((lo, start), (end, hi)):
        for m in _WORD_RE.finditer(draft, part_start, part_end):
            if m.group()[:1].isupper() and normalise(m.group()) == surname[0]:
                return speaker
    return None


def _describe(kind: str, ops: list[DiffOp]) -> str:
    if kind == "bracket_change":
        return "bracketed edit changes the source: " + ", ".join(_marked(d) for d in ops[:3])
    shown = ", ".join(
        (f"'{d.source}' -> '{d.draft}'" if kind == "changed" else f"'{d.draft or d.source}'") for d in ops[:3]
    )
    label = {"changed": "changed", "added": "added", "dropped": "dropped without an ellipsis"}[kind]
    return f"{label}: {shown}"


def _marked(op: DiffOp) -> str:
    """One marked edit as the note names it: "'[Blair]' for 'he'", "'[not]' added", "'...' for 12 words"."""
    if op.kind == "elided":
        n = len(_WORD_RE.findall(op.source))
        return f"'{op.draft}' for {n} word{'s' if n != 1 else ''}" if n else f"'{op.draft}'"
    if not op.draft:  # source words left out next to a bracket
        return f"'{op.source}' left out"
    return f"'{op.draft}' for '{op.source}'" if op.source else f"'{op.draft}' added"


_SOURCE_ELLIPSIS = re.compile(r"\.\s?\.\s?\.|…")
_PRONOUNS = frozenset(
    "he she it they them him her his hers its their theirs we us our ours you your yours i me my mine this that these "
    "those here there then who whom which".split())
"""Words a [bracket] may replace with what they refer to ('he' -> '[Blair]', 'it' -> '[the plan]')."""
_DETERMINERS = frozenset("the a an this that these those his her its their our my your".split())
"""First words of a description a [bracket] may make precise ('the plan' -> '[the harbour plan]') or name ('the
chancellor' -> '[Gordon Brown]'), never replace by another ('the autumn' -> '[the spring]')."""
_AUXILIARIES = frozenset("is are was were has have had will would can could shall should may might must do does did "
                         "'s 're 've 'll 'd".split())
_CONNECTORS = frozenset("of the and de la von van du al bin".split())
_NEGATIONS = frozenset("not no never nothing none nobody neither nor cannot without".split())
_NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million billion trillion "
    "half quarter dozen first second third fourth fifth".split())


def _bracket_kind(bracket: str, replaced: str) -> str:
    """The DiffOp kind of a [bracket] standing for the source words `replaced`: 'bracketed' or 'bracket_change'."""
    return "bracketed" if _bracket_keeps_meaning(bracket, replaced) else "bracket_change"


def _bracket_keeps_meaning(bracket: str, replaced: str) -> bool:
    """True when a [bracketed] edit is one writers may make without changing what the source says: it adds words
    (a name, a clarification) without a negation, puts what a pronoun refers to in its place ('[Blair]' for 'he',
    '[the council is]' for 'we are'), names a description or makes it precise ('[Gordon Brown]' or '[the Labour
    chancellor]' for 'the chancellor'), or changes a word's form ('[rises]' for 'rise'); False when it brings or removes
    a negation, changes a number, or replaces other words ('[twelve]' for 'nine', '[not]', '[the spring]' for 'the
    autumn', '[good]' for 'bad')."""
    inner = [normalise(w) for w in _WORD_RE.findall(bracket)]
    source = [normalise(w) for w in _WORD_RE.findall(replaced)]

    def negated(ws: list[str]) -> bool:
        return any(w in _NEGATIONS or w.endswith("n't") for w in ws)

    def numbers(ws: list[str]) -> set[str]:
        return {w for w in ws if w in _NUMBER_WORDS or any(c.isdigit() for c in w)}

    if negated(inner) != negated(source):
        return False
    if not source:
        return True
    if numbers(inner) != numbers(source) and (numbers(inner) or numbers(source)):
        return False
    if any(w in _PRONOUNS for w in source) and all(w in _PRONOUNS or w in _AUXILIARIES for w in source):
        return True  # '[Blair]' for 'he', '[the council is]' for 'we are'
    from assistant.search.keywords import crude_stem

    stems = {crude_stem(w) for w in inner}
    if source[0] in _DETERMINERS:
        written = [w for w in _WORD_RE.findall(bracket) if any(c.isalpha() for c in w)]
        named = bool(written) and all(w[0].isupper() or w.lower() in _CONNECTORS for w in written)
        return named or {crude_stem(w) for w in source[1:]} <= stems
    return [crude_stem(w) for w in inner] == [crude_stem(w) for w in source]


_CLAIM_VERBS = r"(?:said|says|added|adds|told|tells|insisted|argued|claimed|warned|wrote|writes|stated|declared)"
_CLAIM_NAME = r"(?P<name>[A-Z][\w'’-]+(?: [A-Z][\w'’-]+){0,2})"
_CLAIM_BEFORE = re.compile(rf"(?:^|(?<=[\s(]))(?:Mr |Mrs |Ms |Dr )?{_CLAIM_NAME} {_CLAIM_VERBS}(?: \w+)?[:,]?\s*$")
_CLAIM_AFTER = (
    re.compile(rf"[,.!?]?\s*{_CLAIM_VERBS} (?:Mr |Mrs |Ms |Dr )?{_CLAIM_NAME}\b"),
    re.compile(rf"[,.!?]?\s*(?:Mr |Mrs |Ms |Dr )?{_CLAIM_NAME} {_CLAIM_VERBS}\b"),
)
_NOT_NAMES = frozenset("He She They It We I You The A An This That These Those Critics Officials Sources Analysts".split())
"""Capitalised words before 'said' that name nobody (a sentence's first word)."""


def check_draft(engine: Engine, draft: str, *, style: str = "chicago") -> DraftReport:
    """Every quotation of `draft` (found by the index's own extraction rules) checked against the corpus.

    Markdown that is no prose of the draft (front matter, comments, code, link targets and titles) is blanked out
    first, offsets kept, so its quotation marks are never taken for quotations."""
    checker = _Checker(engine, style)
    prose = mask_markup(draft)
    return DraftReport(tuple(checker.check(prose, q, shown=draft) for q in extract_quotations(prose)))


_FRONT_MATTER = re.compile(r"\A(?:\ufeff)?---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_MARKUP = re.compile(
    r"<!--.*?(?:-->|\Z)"                              # HTML comment (an unclosed one runs to the end)
    r"|^(?P<fence>[ \t]{0,3}(?:```|~~~)).*?(?:^(?P=fence)[^\n]*$|\Z)"  # fenced code block
    r"|(?<!`)(?P<ticks>`+)(?!`)[^\n]+?(?<!`)(?P=ticks)(?!`)"  # inline code
    r"|^[ \t]{0,3}\[[^\]\n]+\]:[^\n]*$"             # link reference definition: [id]: url "title"
    r"|\]\([^()\n]*(?:\([^()\n]*\)[^()\n]*)*\)"      # a link's or image's target and title: ](url "title")
    r"|<[A-Za-z/][^<>\n]*>",                         # an HTML tag, its attributes' quotes included
    re.S | re.M)


def mask_markup(draft: str) -> str:
    """The draft with its Markdown that is no prose replaced by spaces (line breaks kept, so offsets and line
    numbers stay): YAML front matter, HTML comments and tags, code blocks and spans, link targets and titles (and the
    '[' that opens a link's text, which is no [bracketed] edit)."""
    chars = list(draft)

    def blank(start: int, end: int) -> None:
        for i in range(start, end):
            if chars[i] != "\n":
                chars[i] = " "

    front = _FRONT_MATTER.match(draft)
    if front:
        blank(0, front.end())
    for m in _MARKUP.finditer(draft, front.end() if front else 0):
        blank(m.start(), m.end())
        if m.group().startswith("]("):
            opening = draft.rfind("[", 0, m.start())
            if opening >= 0 and "\n" not in draft[opening:m.start()]:
                blank(opening, opening + 1)
                if opening > 0 and draft[opening - 1] == "!":
                    blank(opening - 1, opening)
    return "".join(chars)


def _speaker_dict(speaker: Speaker | None) -> dict[str, Any] | None:
    return None if speaker is None else {"name": speaker.name, "role": speaker.role}


def _match_dict(m: SourceMatch) -> dict[str, Any]:
    return {
        "path": m.path, "record": m.record, "title": m.title, "start": m.start, "end": m.end, "line": m.line,
        "text": m.text, "citation": m.citation, "speaker": _speaker_dict(m.speaker),
    }


def report_to_dicts(report: DraftReport) -> list[dict[str, Any]]:
    """One JSON-ready object per quotation: text, line, status, speaker, note, source when found, diff when altered."""
    out = []
    for c in report.checks:
        item: dict[str, Any] = {"text": c.text, "line": c.line, "status": c.status, "speaker": _speaker_dict(c.speaker)}
        if c.source is not None:
            item["source"] = _match_dict(c.source)
        if c.status == "altered":
            item["diff"] = [{"kind": d.kind, "draft": d.draft, "source": d.source} for d in c.diff if d.kind != "same"]
        if c.closest is not None:
            item["closest"] = _match_dict(c.closest)
        if c.note:
            item["note"] = c.note
        out.append(item)
    return out
