"""Making untrusted text safe to show: no escape sequences, no control characters, names kept on one line."""

from __future__ import annotations

import re

# ESC-introduced sequences (CSI, OSC, DCS, ...) first, so their payload goes with them; then any other
# C0/C1 control character except tab and newline.
_ESCAPE_SEQ = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?|.)?", re.S)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _pictures() -> dict[int, str]:
    table = {code: chr(0x2400 + code) for code in range(0x20) if code not in (0x09, 0x0A)}
    # CR is almost always half of a Windows line ending; a space keeps offsets without clutter.
    table[0x0D] = " "
    table[0x7F] = "\u2421"
    table.update({code: "\ufffd" for code in range(0x80, 0xA0)})
    return table


_VISIBLE = _pictures()
# A name (path, title) must stay on its line: a newline in a file name could forge a source line.
_ONE_LINE = {**_VISIBLE, 0x0A: "\u240a", 0x09: " ", 0x0D: "\u240d"}


def strip_escapes(text: str) -> str:
    """Remove ESC-introduced terminal sequences (colours, titles, OSC 52 clipboard writes, ...)."""
    return _ESCAPE_SEQ.sub("", text)


def terminal_safe(text: str) -> str:
    """Remove terminal escape sequences and replace other control characters with U+FFFD.

    Used on everything the CLI prints from articles; JSON output carries the original text instead.
    """
    return _CONTROL.sub("\ufffd", _ESCAPE_SEQ.sub("", text.replace("\r\n", "\n")))


def visible(text: str) -> str:
    """`text` with every control character except newline and tab replaced by one visible
    placeholder (ESC becomes '\u241b'), so offsets into the text stay valid and no escape
    sequence can reach a terminal."""
    return text.translate(_VISIBLE)


def single_line(text: str) -> str:
    """A path or title for a one-line display or message: newline shown as '\u240a', other controls as `visible`."""
    return text.translate(_ONE_LINE)
