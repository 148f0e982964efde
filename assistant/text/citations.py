"""Citation text for quotes and answers: plain lines, Markdown, and source lists."""

from __future__ import annotations

import datetime as dt

from assistant.models import Answer, Quote
from assistant.text.sanitize import markdown_safe, single_line


def format_date(day: dt.date | None) -> str:
    """'8 Aug 2023', or '' when unknown."""
    if day is None:
        return ""
    return f"{day.day} {day.strftime('%b')} {day.year}"


_OPENING, _CLOSING = "\"\u201c", "\"\u201d"


STRAIGHT = '""'
"""ASCII quotation marks, for plain-text citations."""


def quoted(text: str, marks: str = "\u201c\u201d") -> str:
    """The text in quotation marks, unless it is itself one whole quotation ('"Rates will hold."'):
    then a second pair would only stutter (the text stays exactly as in the article either way)."""
    if len(text) > 1 and text[0] in _OPENING and text[-1] in _CLOSING and not any(m in text[1:-1] for m in _OPENING + _CLOSING):
        return text
    return f"{marks[0]}{text}{marks[1]}"


def reference(quote: Quote) -> str:
    """'Title, Outlet, 8 Aug 2023, para. 4': the parts that are known, in that order, each on one line."""
    parts = [single_line(quote.title or quote.path), single_line(quote.source or ""), format_date(quote.date)]
    parts.append(f"para. {quote.paragraph}")
    return ", ".join(p for p in parts if p)


def location(quote: Quote) -> str:
    """'path:line' (or the path alone) so an editor can jump there; a newline in the path is shown, not kept."""
    path = single_line(quote.path)
    return f"{path}:{quote.line}" if quote.line is not None else path


def cite(quote: Quote) -> str:
    """'[1] "quote…" (Title, Outlet, 8 Aug 2023, para. 4)'."""
    return f"[{quote.n}] {quoted(quote.text, STRAIGHT)} ({reference(quote)})"


def source_entry(quote: Quote, *, markdown: bool = False) -> str:
    """One bibliography line: '[1] Title. Outlet, 8 Aug 2023. path:line. url' (names from articles kept
    on it); with `markdown`, the names are also made inert Markdown (no HTML, no images)."""

    def name(text: str) -> str:
        return markdown_safe(text, one_line=True) if markdown else single_line(text)

    bits = [name(quote.title or quote.path)]
    tail = ", ".join(p for p in (name(quote.source or ""), format_date(quote.date)) if p)
    if tail:
        bits.append(tail)
    bits.append(f"{name(quote.path)}:{quote.line}" if quote.line is not None else name(quote.path))
    if quote.url:
        bits.append(name(quote.url))
    return f"[{quote.n}] " + ". ".join(bits)


def markdown_quote(quote: Quote) -> str:
    """'> “quote” [1]': the words as inert Markdown, a quote spanning paragraphs kept in one block quote."""
    words = quoted(markdown_safe(quote.text)).replace("\n", "\n> ")
    return f"> {words} [{quote.n}]"


def quote_markdown(quote: Quote) -> str:
    """A Markdown block quote of one quote with its reference, ready to paste."""
    return f"{markdown_quote(quote)}\n\n[{quote.n}]: {source_entry(quote, markdown=True)[len(f'[{quote.n}] '):]}"


def answer_markdown(answer: Answer) -> str:
    """All quotes of an answer as Markdown, then a numbered source list (article text made inert)."""
    lines: list[str] = [f"**Q:** {markdown_safe(answer.question, one_line=True)}", ""]
    if not answer.answered:
        lines += ["_The corpus does not appear to answer this question; closest passages:_", ""]
    for quote in answer.quotes:
        lines += [markdown_quote(quote), ""]
    if answer.quotes:
        lines.append("Sources:")
        lines += [f"{source_entry(q, markdown=True)}  " for q in answer.quotes]
    return "\n".join(lines).rstrip() + "\n"
