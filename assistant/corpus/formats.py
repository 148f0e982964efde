"""The one registry of article formats (suffix -> Format) and their parsers: .txt, .md with front matter (its body as
plain text), .html through trafilatura, and one .jsonl record."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from assistant.corpus.fields import (
    PRE_CUT,
    Meta,
    author_field,
    build_article,
    capped,
    capped_meta,
    clean,
    date_field,
    text_field,
    type_name,
)
from assistant.corpus.markdown_text import Heading, plain_markdown
from assistant.corpus.problems import JsonlLog, Skipped, Warnings, first_line
from assistant.models import Article
from assistant.text import decoding

__all__ = ["FORMATS", "SUPPORTED_SUFFIXES", "Format", "format_of", "parse_jsonl_record"]

MAX_TITLE_CHARS = 300
"""A first line longer than this is a paragraph, not a title."""
MAX_YAML_ALIASES = 20
"""Front matter with more YAML aliases (`*name`) is ignored: aliases let 100 KB expand to gigabytes."""

_DATE_LINE = re.compile(r"\s*date\s+(\d{4}-\d{1,2}-\d{1,2})(?:\s+(.*?))?\s*")
_RUN_ON = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*\s+\S")  # a sentence ends and another begins
_CLAUSE_END = re.compile(r"[.,;:]\s*$")
_NON_SPACE = re.compile(r"\S")
_FRONT_MATTER_OPEN = re.compile(r"---[ \t]*\r?\n")
_FRONT_MATTER_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.MULTILINE)

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_JSONL_KEYS = ("text", "title", "date", "source", "outlet", "publisher", "url", "link", "author")

DocumentParser = Callable[[str, str, Warnings], tuple[str, int, str, Meta]]
"""(decoded text, file stem, warnings) -> (text, body start, title, metadata); raises Skipped."""


class _TooManyAliases(Exception):
    """Raised by the front matter loader past MAX_YAML_ALIASES aliases."""


# --- .txt --------------------------------------------------------------------------------


def parse_txt(text: str, stem: str, warnings: Warnings) -> tuple[str, int, str, Meta]:
    """Title line (` date YYYY-MM-DD Title` or a plain title), then paragraphs."""
    first = _NON_SPACE.search(text)
    if first is None:
        raise Skipped("empty file", "empty")
    line_start = text.rfind("\n", 0, first.start()) + 1
    line_end = _line_end(text, line_start)
    line = text[line_start:line_end]
    body = _NON_SPACE.search(text, line_end)
    dated = _DATE_LINE.fullmatch(line)
    if dated is not None:
        title = dated.group(2) or ""
        meta = Meta(date=decoding.parse_date(dated.group(1)))
        if meta.date is None:
            warnings.add(f"invalid date '{dated.group(1)}' in the title line; date ignored")
    elif _is_title(line, blank_follows=_blank_line_follows(text, line_end)):
        title, meta = line.strip(), Meta()
    else:
        return text, first.start(), "", Meta()
    if body is None:
        raise Skipped("no body text", "empty")
    return text, body.start(), capped(decoding.strip_controls(title.strip()), "title", warnings) or "", meta


def _is_title(line: str, *, blank_follows: bool) -> bool:
    """A short single-sentence line; with text right under it, not ending like a clause."""
    stripped = line.strip()
    if len(stripped) > MAX_TITLE_CHARS or _RUN_ON.search(stripped):
        return False
    return blank_follows or not _CLAUSE_END.search(stripped)


def _line_end(text: str, start: int) -> int:
    """Offset of the newline ending the line that starts at `start` (or the end of the text)."""
    end = text.find("\n", start)
    return len(text) if end < 0 else end


def _blank_line_follows(text: str, line_end: int) -> bool:
    """True when the line after `line_end` is blank or missing."""
    if line_end >= len(text):
        return True
    return not text[line_end + 1 : _line_end(text, line_end + 1)].strip()


# --- .md ---------------------------------------------------------------------------------


def parse_markdown(text: str, stem: str, warnings: Warnings) -> tuple[str, int, str, Meta]:
    """Optional YAML front matter, an optional leading `# Title`, then the body, as plain text (markdown_text): what
    quotes are offsets into has no markup, and each line stays on its line of the file. The front matter stays as
    written, before the body."""
    fields, body_from = _front_matter(text, warnings)
    title = text_field(fields, ("title",), warnings)
    meta = Meta(
        date=date_field(fields, warnings),
        source=text_field(fields, ("source", "outlet", "publisher"), warnings),
        url=text_field(fields, ("url", "link"), warnings),
        author=author_field(fields, warnings),
    )
    body = plain_markdown(text[body_from:])
    if body.first_written is None:
        raise Skipped("no body text", "empty")
    lines, top = list(body.lines), body.first_written
    opening = next((h for h in body.headings if h.first == top and h.level == 1), None)
    body_line = top
    if opening is not None and not title and _heading_text(lines, opening):
        title, body_line = _heading_text(lines, opening), opening.last + 1
    if not title:
        title = next((words for h in body.headings if h.level == 1 and (words := _heading_text(lines, h))), stem)
    _leave_out_glued_headings(lines, body.headings, body_line)
    plain = text[:body_from] + body.text(lines)
    line_start = body_from + sum(len(line) + len(brk) for line, brk in zip(lines[:body_line], body.breaks))
    start = _body_start(plain, line_start, lines[body_line] if body_line < len(lines) else "", after_title=body_line != top)
    if not plain[start:].strip():
        raise Skipped("no body text", "empty")
    return plain, start, capped(decoding.strip_controls(title.strip()), "title", warnings) or "", capped_meta(meta, warnings)


def _heading_text(lines: list[str], heading: Heading) -> str:
    """A heading's words on one line."""
    return " ".join(" ".join(lines[heading.first : heading.last + 1]).split())


def _leave_out_glued_headings(lines: list[str], headings: tuple[Heading, ...], body_line: int) -> None:
    """Blank the body's headings that touch a line of text above or below: each other heading is a paragraph of its own,
    but no blank line parts these from the prose, and adding one would move every later line off its line of the file.
    A heading is no sentence of the article; left in, it would be read as the first words of the next sentence."""
    for heading in headings:
        above, below = heading.first - 1, heading.last + 1
        if heading.first >= body_line and (
            (above >= body_line and lines[above].strip()) or (below < len(lines) and lines[below].strip())
        ):
            lines[heading.first : below] = [""] * (below - heading.first)


def _body_start(plain: str, line_start: int, line: str, *, after_title: bool) -> int:
    """Where the body starts: after a title heading, at its next words; else on the first line with anything written
    on it, at its first word (at the line's start when the line held only markup, such as a rule or a comment)."""
    if after_title:
        found = _NON_SPACE.search(plain, line_start)
        return found.start() if found is not None else len(plain)
    return line_start + len(line) - len(line.lstrip())


def _front_matter(text: str, warnings: Warnings) -> tuple[Mapping[str, object], int]:
    """The front matter's fields (lower-cased keys) and the offset just after it."""
    opening = _FRONT_MATTER_OPEN.match(text)
    if opening is None:
        return {}, 0
    closing = _FRONT_MATTER_CLOSE.search(text, opening.end())
    if closing is None:
        warnings.add("front matter has no closing '---'; read as text")
        return {}, 0
    body_from = min(len(text), closing.end() + 1)
    yaml_text = text[opening.end() : closing.start()]
    try:
        data = _load_yaml(yaml_text)
    except _TooManyAliases:
        warnings.add(f"front matter uses more than {MAX_YAML_ALIASES} YAML aliases; ignored")
        return {}, body_from
    except MemoryError:
        warnings.add("front matter too large to read; ignored")
        return {}, body_from
    except Exception as exc:  # noqa: BLE001 - PyYAML raises many types (and RecursionError)
        warnings.add(f"front matter is not valid YAML ({first_line(exc)}); ignored")
        return {}, body_from
    if data is None:
        return {}, body_from
    if not isinstance(data, dict):
        warnings.add(f"front matter is a {type(data).__name__}, not a mapping; ignored")
        return {}, body_from
    return {str(key).lower(): value for key, value in data.items()}, body_from


def _load_yaml(yaml_text: str) -> object:
    """yaml.safe_load, except that dates stay strings (one bad date spoils only itself) and more than
    MAX_YAML_ALIASES aliases raise _TooManyAliases (an alias repeats a whole node: a 'billion laughs')."""
    import yaml

    return yaml.load(yaml_text, Loader=_front_matter_loader())  # noqa: S506 - a SafeLoader subclass


@functools.cache
def _front_matter_loader() -> type:
    """A SafeLoader without the timestamp resolver (`date: 2023-13-45` must not fail the whole block)
    that counts aliases as it composes, before anything is expanded."""
    import yaml

    timestamp = "tag:yaml.org,2002:timestamp"
    resolvers = {
        first: [(tag, regexp) for tag, regexp in entries if tag != timestamp]
        for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    class FrontMatterLoader(yaml.SafeLoader):
        yaml_implicit_resolvers = resolvers
        aliases = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.events.AliasEvent):
                self.aliases += 1
                if self.aliases > MAX_YAML_ALIASES:
                    raise _TooManyAliases
            return super().compose_node(parent, index)

    return FrontMatterLoader


# --- .html -------------------------------------------------------------------------------


def parse_html(html: str, stem: str, warnings: Warnings) -> tuple[str, int, str, Meta]:
    """Main text and metadata found by trafilatura, paragraphs separated by blank lines."""
    document = _extract_html(html)
    lines = [clean(line) for line in (document.text or "").splitlines()] if document else []
    text = "\n\n".join(line for line in lines if line)
    if document is None or not text:
        raise Skipped("no article text found in HTML", "empty")
    meta = Meta(
        date=decoding.parse_date(document.date),
        source=clean((document.sitename or "")[:PRE_CUT]) or None,
        url=clean((document.url or "")[:PRE_CUT]) or None,
        author=clean((document.author or "")[:PRE_CUT]) or None,
    )
    title = capped(clean((document.title or "")[:PRE_CUT]), "title", warnings) or ""
    return text, 0, title, capped_meta(meta, warnings)


def _extract_html(html: str) -> Any:
    """trafilatura's Document for the page, or None when it finds nothing or fails."""
    import trafilatura  # heavy (~0.2 s): only when an HTML file is read
    from trafilatura.settings import Document

    try:
        # A string in and no url: trafilatura only parses it, fetching nothing and running no script.
        document = trafilatura.bare_extraction(
            html, with_metadata=True, include_comments=False, config=_trafilatura_config()
        )
    except Exception:  # any failure inside the library, RecursionError included
        return None
    return document if isinstance(document, Document) else None


@functools.cache
def _trafilatura_config() -> Any:
    """trafilatura's defaults, minus its signal-based timeout (signals fail outside the main thread)."""
    from copy import deepcopy

    from trafilatura.settings import DEFAULT_CONFIG

    config = deepcopy(DEFAULT_CONFIG)
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")
    config.set("DEFAULT", "MAX_FILE_SIZE", str(2**62))  # our own max_bytes is the limit
    return config


# --- .jsonl ------------------------------------------------------------------------------


def parse_jsonl_record(rel: str, line_no: int, line: str, log: JsonlLog) -> Article | None:
    """The Article of one JSON line, or None after reporting why the line was skipped."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        log.bad_line(line_no, f"not valid JSON: {exc.msg} (column {exc.colno})")
        return None
    except (ValueError, RecursionError) as exc:  # e.g. huge integers, absurd nesting
        log.bad_line(line_no, f"not valid JSON: {first_line(exc)}")
        return None
    if not isinstance(record, dict):
        log.bad_line(line_no, f"record is {type_name(record)}, not a JSON object")
        return None
    fields = {str(key).lower(): v for key, v in record.items()}
    value = fields.get("text")
    if value is not None and not isinstance(value, str):
        log.bad_line(line_no, f"'text' should be a string, not {type_name(value)}")
        return None
    text = decoding.replace_surrogates(decoding.strip_controls(value or ""))
    if not text.strip():
        log.bad_line(line_no, "missing or empty 'text'", "empty")
        return None
    warnings = Warnings(f"{rel}:{line_no}")
    if _SURROGATE_ESCAPE.search(line) and any(  # only a \udXXX escape makes a lone surrogate
        isinstance(fields.get(key), str) and decoding.has_surrogates(fields[key]) for key in _JSONL_KEYS
    ):
        warnings.add("lone surrogate characters replaced with U+FFFD")
    meta = Meta(
        date=date_field(fields, warnings),
        source=text_field(fields, ("source", "outlet", "publisher"), warnings),
        url=text_field(fields, ("url", "link"), warnings),
        author=author_field(fields, warnings),
    )
    title = capped(text_field(fields, ("title",), warnings), "title", warnings) or ""
    meta = capped_meta(meta, warnings)
    log.problems.extend(warnings.problems())
    return build_article(rel, line_no, text, 0, title, meta, "jsonl", line_no)


# --- the registry ------------------------------------------------------------------------


@dataclass(frozen=True)
class Format:
    """One article format: its name (Article.format) and how a file of it is read."""

    name: str
    parse: DocumentParser | None
    """The whole-document parser; None for JSONL, streamed one record at a time (parse_jsonl_record)."""
    charset_in_markup: bool = False
    """The bytes may declare their encoding (<meta charset>), which decoding then prefers."""
    line_numbers: bool = True
    """Offsets map to lines of the file (not so for text extracted from HTML)."""


_TXT = Format("txt", parse_txt)
_MD = Format("md", parse_markdown)
_HTML = Format("html", parse_html, charset_in_markup=True, line_numbers=False)
_JSONL = Format("jsonl", None)
FORMATS: Mapping[str, Format] = {
    ".txt": _TXT,
    ".md": _MD,
    ".markdown": _MD,
    ".html": _HTML,
    ".htm": _HTML,
    ".jsonl": _JSONL,
}
"""Lower-case file suffix -> its format."""
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(FORMATS)
"""File suffixes the loaders read (compared case-insensitively)."""


def format_of(suffix: str) -> Format | None:
    """The format of a file suffix ('.MD' counts as '.md'), None when it is not an article file."""
    return FORMATS.get(suffix.lower())
