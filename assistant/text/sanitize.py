"""Making untrusted text safe to show: no escape sequences, no control characters, names kept on one line,
bidi and zero-width characters revealed, and no live HTML or remote images in Markdown."""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Sequence

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


# Bidi embeddings, overrides and isolates, marks, zero-width spaces and joiners, word joiner and
# invisible operators, deprecated format controls, BOM, Mongolian vowel separator, interlinear
# annotation: they display as nothing or reorder what follows, so a quote could read as the
# opposite of its bytes, or two different titles look the same.
_INVISIBLE = re.compile("[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]")
_JOINERS = frozenset("\u200c\u200d")


def _joins(text: str, at: int) -> bool:
    """True for a ZWNJ/ZWJ inside a word of a script that needs it (Persian, Indic) or an emoji sequence.

    There it is spelling, not disguise; between ASCII characters it only hides a difference."""
    if text[at] not in _JOINERS or at == 0 or at + 1 >= len(text):
        return False
    return all(
        ord(ch) > 0x7F and (unicodedata.category(ch)[0] in "LM" or unicodedata.category(ch) in ("So", "Sk"))
        for ch in (text[at - 1], text[at + 1])
    )


def _shown(match: re.Match[str]) -> str:
    at = match.start()
    return match.group() if _joins(match.string, at) else f"<U+{ord(match.group()):04X}>"


def reveal(text: str) -> str:
    """Bidi controls and zero-width characters written out as '<U+202E>' (joiners inside words of
    scripts that need them are kept); for display only, JSON keeps the exact text."""
    return _INVISIBLE.sub(_shown, text)


def reveal_spans(text: str, offsets: Sequence[int]) -> tuple[str, list[int]]:
    """`reveal(text)` and where each of `offsets` (into `text`) lands in it, for highlighting a quote."""
    grown: list[int] = []  # original position of each revealed character
    for match in _INVISIBLE.finditer(text):
        if not _joins(text, match.start()):
            grown.append(match.start())
    extra = len("<U+0000>") - 1
    return reveal(text), [offset + extra * bisect.bisect_left(grown, offset) for offset in offsets]


def strip_escapes(text: str) -> str:
    """Remove ESC-introduced terminal sequences (colours, titles, OSC 52 clipboard writes, ...)."""
    return _ESCAPE_SEQ.sub("", text)


def terminal_safe(text: str) -> str:
    """Remove terminal escape sequences and replace other control characters with U+FFFD.

    Bidi and zero-width characters are revealed too. Used on everything the CLI prints from
    articles; JSON output carries the original text instead.
    """
    return reveal(_CONTROL.sub("\ufffd", _ESCAPE_SEQ.sub("", text.replace("\r\n", "\n"))))


def visible(text: str) -> str:
    """`text` with every control character except newline and tab replaced by one visible
    placeholder (ESC becomes '\u241b'), so offsets into the text stay valid and no escape
    sequence can reach a terminal."""
    return text.translate(_VISIBLE)


def single_line(text: str) -> str:
    """A path or title for a one-line display or message: newline shown as '\u240a', other controls
    as `visible`, bidi and zero-width characters revealed."""
    return reveal(text.translate(_ONE_LINE))


# What opens raw HTML and autolinks (`<`), an image (`![`), a link reference definition (`[` opening
# a line), and the backslash itself (an article's own `\<` would otherwise cancel the escape). With
# these escaped a Markdown viewer shows article text: it runs no HTML and fetches no remote image
# (a tracking pixel). Other brackets stay as written, so `[sic]` still reads `[sic]`.
_MARKDOWN_ACTIVE = re.compile(r"[\\<]|(?<=!)\[")
_LINE_START_BRACKET = re.compile(r"(?m)^( {0,3})\[")


def markdown_safe(text: str, *, one_line: bool = False) -> str:
    """Article text (or, with one_line, a name) for a Markdown export: shown as `visible`/`single_line`
    would, with raw HTML, autolinks, images and link definitions made inert by backslash escapes."""
    shown = single_line(text) if one_line else reveal(visible(text))
    escaped = _MARKDOWN_ACTIVE.sub(lambda m: "\\" + m.group(), shown)
    return _LINE_START_BRACKET.sub(lambda m: m.group(1) + "\\[", escaped)
