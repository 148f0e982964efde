"""Article text and metadata as inert display data: control characters made visible, never markup."""

from __future__ import annotations

from textual.content import Content


def _table() -> dict[int, str]:
    table = {code: chr(0x2400 + code) for code in range(0x20) if code not in (0x09, 0x0A)}
    # CR is almost always half of a Windows line ending; a space keeps offsets without clutter.
    table[0x0D] = " "
    table[0x7F] = "\u2421"
    table.update({code: "\ufffd" for code in range(0x80, 0xA0)})
    return table


_VISIBLE = _table()


def visible(text: str) -> str:
    """`text` with every control character except newline and tab replaced by one visible
    placeholder (ESC becomes '\u241b'), so offsets into the text stay valid and no escape
    sequence can reach the terminal."""
    return text.translate(_VISIBLE)


def one_line(text: str) -> str:
    """`visible(text)` folded onto a single line (for titles, status and list entries)."""
    return " ".join(visible(text).split())


def plain(text: str, style: str = "") -> Content:
    """Literal display content: no markup is parsed, control characters are made visible."""
    return Content.styled(visible(text), style) if style else Content(visible(text))
