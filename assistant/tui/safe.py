"""Article text and metadata as inert display data: control characters made visible, never markup."""

from __future__ import annotations

from textual.content import Content

from assistant.text.sanitize import reveal, visible

__all__ = ["one_line", "plain", "shown", "visible"]


def shown(text: str) -> str:
    """`text` as displayed: control characters as visible placeholders (`visible`), bidi controls
    and zero-width characters written out as '<U+202E>' so a quote never reads reordered."""
    return reveal(visible(text))


def one_line(text: str) -> str:
    """`shown(text)` folded onto a single line (for titles, status and list entries)."""
    return " ".join(shown(text).split())


def plain(text: str, style: str = "") -> Content:
    """Literal display content: no markup is parsed, control and invisible characters are made visible."""
    return Content.styled(shown(text), style) if style else Content(shown(text))
