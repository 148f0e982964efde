"""Article metadata: fields read from front matter and JSONL records, their caps, and the Article with its hash."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from assistant.corpus.problems import Warnings
from assistant.models import Article
from assistant.text import decoding

__all__ = [
    "MAX_FIELD_CHARS", "PRE_CUT", "Meta", "author_field", "build_article", "capped", "capped_meta", "clean",
    "content_hash", "date_field", "text_field", "type_name",
]

MAX_FIELD_CHARS: Mapping[str, int] = {"title": 500, "author": 300, "source": 200, "url": 2000}
"""Metadata longer than this is cut (with a warning): a title or byline is a line, not a chapter."""
PRE_CUT = 20_000
"""Metadata text is cut to this before it is cleaned, so a 20 MB 'title' is not copied around."""


@dataclass(frozen=True)
class Meta:
    """Article metadata besides the title."""

    date: dt.date | None = None
    source: str | None = None
    url: str | None = None
    author: str | None = None


def text_field(fields: Mapping[str, object], keys: tuple[str, ...], warnings: Warnings) -> str | None:
    """The first of `keys` that holds text (numbers are read as text); other types are warned about."""
    for key in keys:
        value = fields.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, str) or (isinstance(value, int | float) and not isinstance(value, bool)):
            return clean(str(value)[:PRE_CUT]) or None
        warnings.add(f"'{key}' should be text, not {type_name(value)}; ignored")
    return None


def author_field(fields: Mapping[str, object], warnings: Warnings) -> str | None:
    """`author` as text, or a list of names joined with ', '."""
    value = fields.get("author")
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        names: list[str] = []
        size = 0
        for name in (v[:PRE_CUT].strip() for v in value):
            if name:
                names.append(name)
                size += len(name) + 2
                if size > PRE_CUT:  # past any cap: the rest would be cut anyway
                    break
        return clean(", ".join(names)) or None
    return text_field(fields, ("author",), warnings)


def capped(value: str | None, name: str, warnings: Warnings) -> str | None:
    """`value` cut to MAX_FIELD_CHARS[name] characters, with a warning when it was longer."""
    limit = MAX_FIELD_CHARS[name]
    if value is None or len(value) <= limit:
        return value
    warnings.add(f"'{name}' longer than {limit:,} characters; cut")
    return value[:limit].rstrip()


def capped_meta(meta: Meta, warnings: Warnings) -> Meta:
    """The metadata with each text field capped (see MAX_FIELD_CHARS)."""
    return Meta(
        date=meta.date,
        source=capped(meta.source, "source", warnings),
        url=capped(meta.url, "url", warnings),
        author=capped(meta.author, "author", warnings),
    )


def date_field(fields: Mapping[str, object], warnings: Warnings) -> dt.date | None:
    """`date` as a datetime.date, or None with a warning when it cannot be read."""
    value = fields.get("date")
    if value is None or value == "":
        return None
    day = decoding.parse_date(value)
    if day is None:
        shown = repr(value)[:40] if isinstance(value, str) else type_name(value)
        warnings.add(f"unrecognised date {shown}; date ignored")
    return day


def clean(value: str) -> str:
    """Metadata text without control characters or lone surrogates, stripped."""
    return decoding.replace_surrogates(decoding.strip_controls(value)).strip()


def type_name(value: object) -> str:
    """'a list', 'a mapping', ... for messages."""
    if isinstance(value, dict):
        return "a mapping"
    name = type(value).__name__
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def build_article(
    rel: str, record: int, text: str, body_start: int, title: str, meta: Meta, fmt: str,
    first_line: int | None,
) -> Article:
    """Build the Article and its content hash."""
    return Article(
        path=rel,
        record=record,
        text=text,
        body_start=body_start,
        title=title,
        date=meta.date,
        source=meta.source,
        url=meta.url,
        author=meta.author,
        format=fmt,
        content_hash=content_hash(text, title, meta),
        first_line=first_line,
    )


def content_hash(text: str, title: str, meta: Meta) -> str:
    """sha256 over the text and the metadata; the path is left out so a renamed file keeps it."""
    date = meta.date.isoformat() if meta.date else None
    # Length-prefixed parts: no choice of separator could be confused with text; None differs from ''.
    parts = (text, title, date, meta.source, meta.url, meta.author)
    payload = "".join("~" if part is None else f"{len(part)}:{part}" for part in parts)
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()
