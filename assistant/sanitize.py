"""Making untrusted article text safe to print on a terminal: no escape sequences, no control characters."""

from __future__ import annotations

import re

# ESC-introduced sequences (CSI, OSC, DCS, ...) first, so their payload goes with them; then any other
# C0/C1 control character except tab and newline.
_ESCAPE_SEQ = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?|.)?", re.S)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_escapes(text: str) -> str:
    """Remove ESC-introduced terminal sequences (colours, titles, OSC 52 clipboard writes, ...)."""
    return _ESCAPE_SEQ.sub("", text)


def terminal_safe(text: str) -> str:
    """Remove terminal escape sequences and replace other control characters with U+FFFD.

    Used on everything the CLI prints from articles; JSON output carries the original text instead.
    """
    return _CONTROL.sub("\ufffd", _ESCAPE_SEQ.sub("", text.replace("\r\n", "\n")))
