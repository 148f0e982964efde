"""Markdown as the plain text a reader sees, line for line (the .md loader's body): plain_markdown, PlainMarkdown."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Heading", "PlainMarkdown", "plain_markdown"]

MAX_NESTING = 100
"""Block quotes and lists nested deeper than this keep no text (the parser recurses once per level)."""

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
"""Where markdown-it ends a line (it reads \\r\\n and a lone \\r as \\n): its line numbers count these."""
_NEWLINES = re.compile(r"[\r\n]")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_ATTRIBUTE = r"""\s+[A-Za-z_:][\w.:-]*(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?"""
_HTML_MARKUP = re.compile(
    r"<!--.*?(?:-->|\Z)"  # a comment, to its end or the end of the block
    r"|<(script|style)\b.*?(?:</\1\s*>|\Z)"  # a script or stylesheet with its content: code, not text
    r"|<\?.*?(?:\?>|\Z)|<![A-Za-z][^>]*>?|<!\[CDATA\[.*?(?:\]\]>|\Z)"
    rf"|</?(?P<tag>[A-Za-z][A-Za-z0-9-]*)(?:{_ATTRIBUTE})*\s*/?>",
    re.DOTALL | re.IGNORECASE,
)
_INLINE_TAGS = frozenset(
    "a abbr b bdi bdo cite code data del dfn em font i ins kbd mark q s samp small span strike strong sub sup time "
    "tt u var wbr".split()
)
"""Tags inside a run of words: taken out without a trace ('<b>dead</b>.' is 'dead.'); any other tag (p, div, br)
separates words and leaves a space."""


@dataclass(frozen=True)
class Heading:
    """A heading of the Markdown, by its lines."""

    first: int
    """0-based line of its first word."""
    last: int
    """Its last line (a setext heading's underline), inclusive."""
    level: int
    """1 for `# Title` (or a title underlined with ===), up to 6."""


@dataclass(frozen=True)
class PlainMarkdown:
    """Markdown turned into plain text line for line: line i shows what line i of the Markdown shows, without markup,
    so a line number in the text is the line of the file."""

    lines: tuple[str, ...]
    """The plain text of each line ('' for a line of markup only: a rule, a fence, a comment, a link definition)."""
    breaks: tuple[str, ...]
    """The line break that ends each line in the Markdown ('\\n', '\\r\\n' or '\\r'; '' after the last line)."""
    headings: tuple[Heading, ...]
    """The headings, in order; their text is in `lines`, each heading a block of its own."""
    first_written: int | None
    """The first line with anything but whitespace in the Markdown (markup included); None when there is none."""

    def text(self, lines: Sequence[str] | None = None) -> str:
        """The plain text (of `lines`, one per line, when given), with the Markdown's own line breaks."""
        shown = self.lines if lines is None else lines
        return "".join(line + brk for line, brk in zip(shown, self.breaks, strict=True))


def plain_markdown(markdown: str) -> PlainMarkdown:
    """The plain text of a Markdown document, as the HTML loader gives an HTML article's: emphasis and strike marks,
    link and image syntax (a link keeps its text, an image leaves nothing), heading marks, bullets, `>` and tags are
    taken out; backslash escapes and entities are read; code keeps its text. An ordered list keeps its numbers
    ('2005. That year' starts an ordered list too). Asterisks and underscores that mark nothing stay ('snake_case',
    '5*3', a lone '*'), as do asterisks inside words that CommonMark would pair ('sh*t and f*ck'). Lines stay where
    they are: nothing is joined or split."""
    pieces = _LINE_BREAK.split(markdown)
    breaks = [m.group() for m in _LINE_BREAK.finditer(markdown)] + [""]
    lines = [""] * len(pieces)
    headings: list[Heading] = []
    parser = _parser()
    env: dict[str, Any] = {}
    tokens = parser.parse(markdown, env)
    prefix = ""  # an ordered list item's number, put before the first line of its text
    prefix_line = -1
    for i, token in enumerate(tokens):
        if token.type == "list_item_open" and token.markup in (".", ")") and token.map:
            prefix, prefix_line = f"{token.info}{token.markup} ", token.map[0]
        elif token.type == "inline" and token.map:
            children = parser.inline.parse(token.content, parser, env, [])
            first = token.map[0]
            lead = prefix if first == prefix_line else ""
            _place(lines, first, token.map[1], lead + _inline_text(children))
            prefix_line = -1
            opening = tokens[i - 1] if i else None
            if opening is not None and opening.type == "heading_open" and opening.map:
                headings.append(Heading(first, opening.map[1] - 1, int(opening.tag[1:])))
        elif token.type in ("fence", "code_block") and token.map:
            start = token.map[0] + (token.type == "fence")
            _place(lines, start, token.map[1], token.content.removesuffix("\n"))
        elif token.type == "html_block" and token.map:
            _place(lines, token.map[0], token.map[1], _html_text(token.content.removesuffix("\n")))
    written = next((n for n, piece in enumerate(pieces) if piece.strip()), None)
    return PlainMarkdown(tuple(lines), tuple(breaks), tuple(headings), written)


@functools.cache
def _parser() -> Any:
    """A CommonMark parser with ~~strikethrough~~ that stops after the blocks: each block's words are parsed when it is
    placed, so a long document never holds the tokens of all its words at once."""
    from markdown_it import MarkdownIt

    # Deeper nesting than 100 quotes or lists is left out (as CommonMark's default of 20 would leave out more).
    parser = MarkdownIt("commonmark", options_update={"maxNesting": MAX_NESTING})
    return parser.enable("strikethrough").disable(["inline", "text_join"])


def _place(lines: list[str], first: int, end: int, text: str) -> None:
    """Put the lines of `text` on lines first..end-1. A block whose text has fewer lines than it takes in the file (a
    code span or link title broken over lines reads as one) leaves its last lines blank; more are never made."""
    if first >= len(lines):
        return
    parts = text.split("\n")
    room = max(1, min(end, len(lines)) - first)
    if len(parts) > room:
        parts[room - 1 :] = [" ".join(parts[room - 1 :])]
    lines[first : first + len(parts)] = parts


def _inline_text(tokens: Sequence[Any]) -> str:
    """The words of a block's inline tokens: markup left out, a line break where the Markdown breaks the line."""
    literal = _literal_marks(tokens)
    out: list[str] = []
    for i, token in enumerate(tokens):
        kind = token.type
        if i in literal:
            out.append(token.markup)
        elif kind in ("text", "text_special", "code_inline"):
            out.append(_NEWLINES.sub(" ", token.content))  # '&#10;' is a character, not a line of the file
        elif kind in ("softbreak", "hardbreak"):
            out.append("\n")
        elif kind == "html_inline":
            out.append(_html_text(token.content))
        elif kind == "image":  # the HTML loader drops images, and with them their alt text
            continue
        elif not token.nesting and token.content:  # a token of a rule not known here: its text, on one line
            out.append(_NEWLINES.sub(" ", token.content))
    return "".join(out)


_EMPHASIS = frozenset({"em_open", "em_close", "strong_open", "strong_close", "s_open", "s_close"})


def _literal_marks(tokens: Sequence[Any]) -> set[int]:
    """Indexes of the emphasis tokens of asterisks inside words, which mark nothing in prose ('sh*t and f*ck',
    '2*3*4', '5**2'): CommonMark reads such a pair as emphasis, and the words would lose letters."""
    literal: set[int] = set()
    opened: list[int] = []
    for i, token in enumerate(tokens):
        if token.type in ("em_open", "strong_open"):
            opened.append(i)
        elif token.type in ("em_close", "strong_close") and opened:
            start = opened.pop()
            inside_word = _beside_letter(tokens, start, -1) or _beside_letter(tokens, i, 1)
            if inside_word and tokens[start].markup.startswith("*"):
                literal.update((start, i))
    return literal


def _beside_letter(tokens: Sequence[Any], index: int, step: int) -> bool:
    """True when the nearest character before (step -1) or after (step 1) tokens[index], other emphasis marks passed
    over, is a letter or digit."""
    k = index + step
    while 0 <= k < len(tokens):
        token = tokens[k]
        if token.type in ("text", "text_special", "code_inline") and token.content:
            return (token.content[-1] if step < 0 else token.content[0]).isalnum()
        if token.type not in _EMPHASIS and token.type != "text":
            return False
        k += step
    return False


def _html_text(markup: str) -> str:
    """The text of HTML: tags and comments out (their line breaks kept), entities read."""
    def strip(match: re.Match[str]) -> str:
        breaks = "\n" * match.group().count("\n")
        tag = (match.group("tag") or "").lower()
        return breaks or ("" if tag in _INLINE_TAGS else " ")

    text = _HTML_MARKUP.sub(strip, markup)  # the parser has made every line break '\n'
    return _ENTITY.sub(lambda m: _NEWLINES.sub(" ", html.unescape(m.group())), text)
