"""Bytes to text for the loaders: binary sniffing, encoding fallbacks, clean-up and date parsing."""

from __future__ import annotations

import codecs
import datetime as dt
import re
from dataclasses import dataclass

SNIFF_BYTES = 8192
"""How much of a file the binary and charset checks look at."""

# Longest BOMs first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Control bytes that never occur in text (tab, newlines, form feed and ESC aside).
_CONTROL_BYTES = frozenset(range(0x20)) - {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1B}
_CONTROL_BYTES_TABLE = bytes(sorted(_CONTROL_BYTES | {0x7F}))
_HIGH_BYTES_TABLE = bytes(range(0x80, 0x100))
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATES = re.compile("[\ud800-\udfff]")
_MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)
_MONTHS = {name: n for n, full in enumerate(_MONTH_NAMES, start=1) for name in (full, full[:3])} | {"sept": 9}
# Tried in order on a lower-cased date without commas, ordinals or weekday; a time may follow.
_DATE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern + r"(?:[ t].*)?"), order)
    for pattern, order in (
        (r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})", "ymd"),
        (r"(\d{1,2})\.(\d{1,2})\.(\d{4})", "dmy"),
        (r"(\d{1,2})[ -]([a-z]+)\.?[ -](\d{4})", "dby"),
        (r"([a-z]+)\.? (\d{1,2}) (\d{4})", "bdy"),
    )
)
_ORDINAL = re.compile(r"(?<=\d)(?:st|nd|rd|th)\b")
_WEEKDAY = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?\s+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class Decoded:
    """Text decoded from a file, and a warning when a fallback had to be used."""

    text: str
    """The decoded text (a byte order mark is dropped)."""
    encoding: str
    """Codec that decoded it."""
    warning: str = ""
    """One line for the user when the text was not clean UTF-8, else ''."""


def bom_encoding(data: bytes) -> str | None:
    """The codec named by a leading byte order mark, or None."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return None


def looks_binary(data: bytes) -> bool:
    """True when `data` is not text: any NUL byte, or a start that is mostly control or high bytes."""
    head = data[:SNIFF_BYTES]
    if not head or bom_encoding(head) in ("utf-16", "utf-32"):
        return False  # UTF-16/32 text is full of NULs; its decoded text is checked instead
    if b"\x00" in data:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES_TABLE))
    if controls > len(head) * 0.05:
        return True
    if _is_utf8_prefix(head):
        return False
    # Latin-1/cp1252 prose has a few accented letters; random bytes are half high bytes.
    high = len(head) - len(head.translate(None, _HIGH_BYTES_TABLE))
    return high > len(head) * 0.3


def text_looks_binary(text: str) -> bool:
    """True when decoded text has a NUL or is mostly control characters (UTF-16 that is not text)."""
    head = text[:SNIFF_BYTES]
    return "\x00" in text or len(_CONTROL_CHARS.findall(head)) > len(head) * 0.05


def decode(data: bytes, declared: str | None = None) -> Decoded:
    """Decode bytes: BOM, then UTF-8, then a declared charset, then cp1252, then latin-1."""
    bom = bom_encoding(data)
    if bom is not None:
        return _decode_with_bom(data, bom)
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    if declared and not declared.startswith("utf"):  # the page says what it is: no warning
        try:
            return Decoded(data.decode(declared), declared)
        except (UnicodeDecodeError, LookupError):
            pass
    return decode_legacy(data)


def decode_text(data: bytes, declared: str | None = None) -> Decoded | None:
    """Bytes as text (see `decode`), or None when they are no text: binary bytes (looks_binary), or a decoding full of
    control characters (UTF-16 that is not text). The one check of article files and of drafts alike."""
    if looks_binary(data):
        return None
    decoded = decode(data, declared)
    return None if text_looks_binary(decoded.text) else decoded


def decode_legacy(data: bytes) -> Decoded:
    """Decode bytes that are not UTF-8: cp1252 (what Windows editors write), else latin-1."""
    try:
        return Decoded(data.decode("cp1252"), "cp1252", "not UTF-8; decoded as cp1252")
    except UnicodeDecodeError:  # cp1252 leaves five bytes undefined; latin-1 maps every byte
        return Decoded(data.decode("latin-1"), "latin-1", "not UTF-8; decoded as latin-1")


def html_charset(data: bytes) -> str | None:
    """The codec declared by a `<meta charset>` near the top of an HTML page, if Python knows it."""
    match = _META_CHARSET.search(data[:SNIFF_BYTES])
    if match is None:
        return None
    try:
        return codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return None


def strip_controls(text: str) -> str:
    """Remove NUL and other control characters except tab, CR and LF (they break FTS and terminals)."""
    return _CONTROL_CHARS.sub("", text)


def has_surrogates(text: str) -> bool:
    """True when `text` holds lone surrogates (JSON '\\ud800'), which UTF-8 cannot encode."""
    return _SURROGATES.search(text) is not None


def replace_surrogates(text: str) -> str:
    """Replace lone surrogates with U+FFFD."""
    return _SURROGATES.sub("\ufffd", text)


def parse_date(value: object) -> dt.date | None:
    """A day from a date, a datetime or a string ('2023-08-08', '8 August 2023', '2023/08/08'), else None.

    The stdlib only: month names are matched here, so the result does not depend on the locale.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        return None
    text = value.strip()
    for parse in (dt.date.fromisoformat, lambda s: dt.datetime.fromisoformat(s).date()):
        try:
            return parse(text)
        except ValueError:
            pass
    return _parse_common_date(text)


def format_size(n_bytes: int) -> str:
    """'52.4 MB', '12.0 KB' or '80 bytes' (decimal units, as file managers show)."""
    if n_bytes >= 100_000:
        return f"{n_bytes / 1_000_000:.1f} MB"
    if n_bytes >= 1000:
        return f"{n_bytes / 1000:.1f} KB"
    return f"{n_bytes} bytes"


def _parse_common_date(text: str) -> dt.date | None:
    """Match the usual written forms of a date; None when none fits or the day does not exist."""
    cleaned = " ".join(_ORDINAL.sub("", text.lower()).replace(",", " ").split())
    cleaned = _WEEKDAY.sub("", cleaned)
    for pattern, order in _DATE_PATTERNS:
        match = pattern.fullmatch(cleaned)
        if match is None:
            continue
        parts = dict(zip(order, match.groups(), strict=True))
        month = _MONTHS.get(parts["b"]) if "b" in parts else int(parts["m"])
        if month is None:
            return None
        try:
            return dt.date(int(parts["y"]), month, int(parts["d"]))
        except ValueError:
            return None
    return None


def _decode_with_bom(data: bytes, encoding: str) -> Decoded:
    """Decode UTF-8/16/32 text that starts with a BOM; broken bytes become U+FFFD with a warning."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        text = data.decode(encoding, errors="replace")
        return Decoded(text, encoding, f"invalid {_codec_label(encoding)}; bad bytes replaced")
    return Decoded(text, encoding)


def _codec_label(encoding: str) -> str:
    """'UTF-16' for 'utf-16', 'UTF-8' for 'utf-8-sig'."""
    return encoding.removesuffix("-sig").upper()


def _is_utf8_prefix(head: bytes) -> bool:
    """True when `head` is valid UTF-8, allowing a character cut off at the end of the sample."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True
