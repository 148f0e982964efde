"""Frozen dataclasses for the data that crosses modules: articles, chunks, speakers, quotes, answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Article:
    """One article read from the corpus, with the exact text that all offsets refer to."""

    path: str
    """Path of the file relative to the corpus root, with forward slashes."""
    record: int
    """0 for a whole-file article; the 1-based line number of the record in a .jsonl file."""
    text: str
    """The text every offset points into: the whole decoded file for .txt, the file with its Markdown body as plain
    text for .md (line for line: front matter as written, no '**', link targets or '#' marks), the extracted text for
    .html, the `text` field for a .jsonl record."""
    body_start: int
    """Offset in `text` where the paragraphs start (after a title line or front matter)."""
    title: str
    """Article title ('' when none could be found)."""
    date: dt.date | None = None
    """Publication date, when known."""
    source: str | None = None
    """Outlet or publisher, when known."""
    url: str | None = None
    """Original address, when known."""
    author: str | None = None
    """Author, when known."""
    format: str = "txt"
    """Loader that read it: txt, md, html or jsonl."""
    content_hash: str = ""
    """sha256 of the article's text and metadata; decides what is re-embedded."""
    first_line: int | None = 1
    """1-based line in the file of text[0]; None when offsets do not map to file lines (HTML)."""


ProblemKind = Literal[
    "unreadable", "special-file", "symlink", "bad-name", "missing", "unsupported", "binary", "empty", "too-large",
    "malformed", "decoding", "metadata", "other",
]
"""What went wrong with a corpus file, for code (LoadProblem.kind)."""


@dataclass(frozen=True)
class LoadProblem:
    """A file (or record) that could not be read cleanly, reported as one line."""

    path: str
    """Path relative to the corpus root (with `:LINE` for a JSONL record)."""
    message: str
    """What went wrong, for a person."""
    skipped: bool = True
    """True when nothing from it was indexed; False for a warning (e.g. fallback decoding)."""
    kind: ProblemKind = field(default="other", compare=False)
    """What went wrong, for code (never parse `message`): "unreadable" (permissions, vanished, mid-copy:
    may pass), "special-file" (FIFO, device, /proc), "symlink" (leads out of the corpus), "bad-name",
    "missing" (no corpus folder), "unsupported", "binary", "empty", "too-large", "malformed",
    "decoding" (a fallback encoding was used), "metadata" (a field ignored); "other" when not known
    (problems replayed from the index keep only their wording)."""


@dataclass(frozen=True)
class LoadResult:
    """What one file yielded: its articles and any problems."""

    articles: tuple[Article, ...] = ()
    """The articles read from the file (several for .jsonl)."""
    problems: tuple[LoadProblem, ...] = ()
    """Problems met while reading it."""


@dataclass(frozen=True)
class Sentence:
    """A sentence of an article, by exact character offsets into `Article.text`."""

    start: int
    """Start offset in the article text."""
    end: int
    """End offset (exclusive) in the article text."""
    paragraph: int
    """1-based paragraph number within the article body."""


@dataclass(frozen=True)
class Chunk:
    """A run of whole sentences that is embedded and searched as one passage."""

    start: int
    """Start offset in the article text."""
    end: int
    """End offset (exclusive) in the article text."""
    paragraph: int
    """1-based paragraph number of the chunk's first sentence."""
    first_sentence: int
    """Index in the article's sentence list of the first sentence of the chunk."""
    last_sentence: int
    """Index of the last sentence of the chunk (inclusive)."""


@dataclass(frozen=True)
class Speaker:
    """Who said a quotation, as the article names them (never guessed)."""

    name: str
    """The name as first given in full in the article ("Tofig Zulfugarov")."""
    role: str | None
    """The role given with the name ("former Azerbaijani Foreign Minister"), None when none is."""
    start: int
    """Start offset in the article text of the mention attributing the quotation ("Zulfugarov", "he")."""
    end: int
    """End offset (exclusive) of that mention."""
    reported: bool = False
    """True when the passage reports them speaking in the writer's words ('Mr Brown said he had met ...'), not a
    quotation of their own: their name stands in the sentence, but the words are the journalist's."""


@dataclass(frozen=True)
class Filters:
    """Restrictions applied before ranking."""

    since: dt.date | None = None
    """Only articles dated on or after this day."""
    until: dt.date | None = None
    """Only articles dated on or before this day."""
    source: str | None = None
    """Only articles whose outlet contains this text (case-insensitive)."""
    article: str | None = None
    """Only articles whose path or title contains this text (case-insensitive)."""
    speaker: str | None = None
    """Only quotations by this person, as a user writes the name ("Howard", "Michael Howard")."""

    def is_empty(self) -> bool:
        """True when nothing is filtered."""
        return not (self.since or self.until or self.source or self.article or self.speaker)

    def describe(self) -> str:
        """A short human description such as 'since 2023-08-01, source: BBC'."""
        parts = []
        if self.since:
            parts.append(f"since {self.since.isoformat()}")
        if self.until:
            parts.append(f"until {self.until.isoformat()}")
        if self.source:
            parts.append(f"source: {self.source}")
        if self.article:
            parts.append(f"article: {self.article}")
        if self.speaker:
            parts.append(f"speaker: {self.speaker}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Location:
    """Where a passage stands in the corpus (used for duplicates of a quote)."""

    path: str
    """Path relative to the corpus root."""
    title: str
    """Article title."""
    line: int | None
    """1-based line in the file, when known."""
    start: int
    """Start offset in that article's text."""
    end: int
    """End offset in that article's text."""


@dataclass(frozen=True)
class Quote:
    """A verbatim passage: `article text[start:end] == text`, always."""

    n: int
    """Citation number, 1-based, in answer order."""
    text: str
    """The exact quoted text."""
    article_id: int
    """Row id of the article in the index (to open it in a reader)."""
    path: str
    """Path of the file relative to the corpus root."""
    record: int
    """JSONL record line, 0 for a whole-file article."""
    title: str
    """Article title."""
    date: dt.date | None
    """Article date, when known."""
    source: str | None
    """Outlet, when known."""
    url: str | None
    """Original address, when known."""
    author: str | None
    """Author, when known."""
    paragraph: int
    """1-based paragraph number in the article body."""
    line: int | None
    """1-based line in the file, when known."""
    start: int
    """Start offset in the article text."""
    end: int
    """End offset (exclusive) in the article text."""
    score: float
    """Relevance score (higher is better; comparable within one answer)."""
    weak: bool = False
    """True when listed only as a closest-but-weak passage of an abstaining answer."""
    also_in: tuple[Location, ...] = ()
    """Other places where the same passage appears (near-duplicates)."""
    speaker: Speaker | None = None
    """Who said the quotation the passage belongs to, when the article says (from the index)."""


@dataclass(frozen=True)
class Answer:
    """The reply to one question: quotes in rank order, or an abstention with weak passages."""

    question: str
    """The question as asked (filters included)."""
    searched: str
    """The text that was actually searched (filters removed, follow-up context added)."""
    filters: Filters
    """Filters in force."""
    answered: bool
    """False when the corpus does not appear to answer the question."""
    quotes: tuple[Quote, ...]
    """Quotes, best first; when not answered, the closest weak passages."""
    message: str = ""
    """A note for the reader (why it abstained, a problem with the question)."""
    seconds: float = 0.0
    """Time taken to answer."""
    extra: dict[str, float] = field(default_factory=dict, compare=False, hash=False)
    """Diagnostic numbers (top scores) for evaluation and calibration."""


@dataclass(frozen=True)
class IndexStats:
    """What `assistant stats` reports."""

    articles: int
    """Number of articles."""
    chunks: int
    """Number of chunks (= vectors in FAISS)."""
    sentences: int
    """Number of sentences."""
    files: int
    """Number of corpus files."""
    model: str
    """Embedding model name."""
    dim: int
    """Embedding dimension."""
    backend: str
    """Embedding backend that built the index."""
    size_bytes: int
    """Size of the index folder on disk."""
    updated: str | None
    """ISO timestamp of the last update."""
    corpus: str | None
    """Corpus folder the index was built from."""
    faiss_type: str = ""
    """FAISS index type in use."""
