"""Citation text for quotes and answers: plain lines, block quotes with their speaker, Markdown, and source lists."""

from __future__ import annotations

import datetime as dt

from assistant.models import Answer, Article, Quote, Speaker
from assistant.text.chunking import split_paragraphs
from assistant.text.sanitize import markdown_safe, single_line


def format_date(day: dt.date | None) -> str:
    """'8 Aug 2023', or '' when unknown."""
    if day is None:
        return ""
    return f"{day.day} {day.strftime('%b')} {day.year}"


_OPENING, _CLOSING = "\"\u201c", "\"\u201d"


STRAIGHT = '""'
"""ASCII quotation marks, for plain-text citations."""


_DOUBLE_MARKS = frozenset('"\u201c\u201d\u201e\u201f\u00ab\u00bb\u2039\u203a\u2018\u201a')
"""Marks that are never apostrophes (straight ' and curly \u2019 are both, so only count at a word's start)."""


def carries_marks(text: str) -> bool:
    """True when the passage holds quotation marks of its own ('"We wait," he said.', a quotation's
    opening half '\u201cNow Azerbaijan ...'): it is shown as a block, not wrapped in another pair."""
    if any(ch in _DOUBLE_MARKS for ch in text):
        return True
    # A single mark opening a word ('Not yet,' he said) quotes; one inside or after a word is an apostrophe.
    return any(ch in "'\u2019" and (i == 0 or text[i - 1].isspace()) and i + 1 < len(text) and text[i + 1].isalnum()
               for i, ch in enumerate(text))


def quoted(text: str, marks: str = "\u201c\u201d") -> str:
    """The text in quotation marks, unless it carries quotation marks of its own (a whole quotation
    '"Rates will hold."', or '"We wait," he said.'): a second pair would only stutter, so it is shown
    as it stands, as a block. The text stays exactly as in the article either way."""
    if carries_marks(text):
        return text
    return f"{marks[0]}{text}{marks[1]}"


def attribution(speaker: Speaker | None) -> str:
    """'\u2014 Tofig Zulfugarov, former Azerbaijani Foreign Minister' on one line; '\u2014 Gordon Brown (reported
    speech)' when the passage reports them in the writer's words; '' when unknown."""
    if speaker is None:
        return ""
    role = single_line(speaker.role or "")
    line = f"\u2014 {single_line(speaker.name)}" + (f", {role}" if role else "")
    return f"{line} (reported speech)" if speaker.reported else line


def words_of(quote: Quote) -> str | None:
    """The name of the person whose own words a quote is, for a signal phrase ('Zulfugarov said, "..."'); None when
    unknown, for a passage that only reports them speaking (the words there are the writer's, not theirs), and for a
    passage that holds the writer's words beside theirs: 'Iizuka said, "However, the economy's fragile recovery ...
    "The results came in ...," said Naoki Iizuka ..."' put the reporter's sentences in his mouth. Their own words are
    a passage without quotation marks (a part of the quotation) or one quotation whole: opening mark first, its
    closing mark last (a full stop may follow it), no other double mark between."""
    speaker = quote.speaker
    if speaker is None or speaker.reported:
        return None
    return speaker.name if _only_quoted(quote.text) else None


def _only_quoted(text: str) -> bool:
    """True when `text` is nothing but someone's words: it holds no double quotation mark, or it is one quotation."""
    if not any(ch in _DOUBLE_MARKS for ch in text):
        return True
    body = text.strip().rstrip(".!?")
    inner = [ch for ch in body[1:-1] if ch in _DOUBLE_MARKS]
    return len(body) > 2 and body[0] in _DOUBLE_MARKS and body[-1] in _DOUBLE_MARKS and not inner


def quote_lines(text: str, speaker: Speaker | None, *, marks: str = STRAIGHT, indent: str = "    ") -> list[str]:
    """A quote as plain-text lines: the words (in `marks` unless they carry their own), every line after
    the first indented as one block, then the speaker under it when known. `text` is shown as given."""
    lines = quoted(text, marks).split("\n")
    out = [lines[0], *(f"{indent}{line}" if line else "" for line in lines[1:])]
    credit = attribution(speaker)
    if credit:
        out.append(f"{indent}{credit}")
    return out


def paragraphs_in(text: str) -> int:
    """How many paragraphs a passage runs over, split as the index splits an article body (a blank line between two,
    in any newline convention: a Windows file keeps its CRLF in the index); 1 for a passage within one paragraph."""
    return max(1, len(split_paragraphs(text)))


def last_paragraph(quote: Quote) -> int:
    """The paragraph a quote ends in: a quotation run over several paragraphs ('"No politician should ...' over
    paragraphs 2-4) holds their blank lines."""
    return quote.paragraph + paragraphs_in(quote.text) - 1


def paragraph_of(article: Article, offset: int) -> int | None:
    """1-based paragraph of the article body holding `offset` (the index's own paragraph split), None before the body."""
    for n, (_, end) in enumerate(split_paragraphs(article.text, article.body_start), 1):
        if offset < end:
            return n if offset >= article.body_start else None
    return None


def paragraph_span(article: Article, start: int, end: int) -> tuple[int, int] | None:
    """(first, last) 1-based paragraphs of the article body that text[start:end] runs over, by the rule every
    citation uses (the index's paragraph split); None for a passage before the body (the title)."""
    first = paragraph_of(article, start)
    return None if first is None else (first, first + paragraphs_in(article.text[start:end]) - 1)


def paragraph_label(quote: Quote) -> str:
    """'para. 4', or 'paras. 2–4' for a quote over several paragraphs."""
    last = last_paragraph(quote)
    return f"para. {quote.paragraph}" if last == quote.paragraph else f"paras. {quote.paragraph}–{last}"


def reference(quote: Quote) -> str:
    """'Title, Outlet, 8 Aug 2023, para. 4': the parts that are known, in that order, each on one line."""
    parts = [single_line(quote.title or quote.path), single_line(quote.source or ""), format_date(quote.date)]
    parts.append(paragraph_label(quote))
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
    # The paragraph, as in every other citation ('para. 4'), so a pasted source line still finds the quote.
    bits.append(paragraph_label(quote))
    bits.append(f"{name(quote.path)}:{quote.line}" if quote.line is not None else name(quote.path))
    if quote.url:
        bits.append(name(quote.url))
    return f"[{quote.n}] " + sentences(bits)


def sentences(bits: list[str]) -> str:
    """Bits joined as sentences: '. ' between them, but a title ending in '?' or '!' gets no '?.'."""
    out = ""
    for bit in bits:
        if out:
            out += " " if out.endswith((".", "?", "!")) else ". "
        out += bit
    return out


def markdown_quote(quote: Quote, *, locator: str = "") -> str:
    """'> “quote” [1]' (with a `locator`, '> “quote” [1], para. 4'): the words as inert Markdown, a quote spanning
    paragraphs kept in one block quote, its speaker on a line of its own under the words ('> — Tofig Zulfugarov,
    ...') when known."""
    words = quoted(markdown_safe(quote.text)).replace("\n", "\n> ")
    block = f"> {words} [{quote.n}]" + (f", {locator}" if locator else "")
    if quote.speaker is not None:
        block += "\n>\n> " + markdown_safe(attribution(quote.speaker), one_line=True)
    return block


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
