"""Sentence-aware chunking: paragraphs, sentences and ~100-word chunks by exact character offsets."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence

from assistant.models import Chunk, Sentence

MAX_SENTENCE_CHARS = 1500
"""Longer 'sentences' (a huge line with no punctuation) are cut; the only cut inside a sentence."""

CHARS_PER_WORD = 10
"""A sentence counts as at least len/CHARS_PER_WORD words, so spaceless text cannot make huge chunks."""

_BREAK = r"(?:\r\n|\r(?!\n)|\n)"
# A line break followed by one or more lines holding only whitespace: the gap between paragraphs.
# Universal newlines, as Python's text mode reads them.
_PARAGRAPH_GAP = re.compile(_BREAK + r"(?:[^\S\r\n]*" + _BREAK + r")+")
# Greedy: the match ends just after the last whitespace character of the window.
_UP_TO_LAST_SPACE = re.compile(r".*\s", re.DOTALL)
_NON_SPACE = re.compile(r"\S")
_UNSAFE = re.compile("[\0\ud800-\udfff]")
# Characters that belong to the character before them; a hard cut never lands in front of one.
_JOINERS = frozenset("\u200c\u200d\ufe0e\ufe0f")


def split_paragraphs(text: str, body_start: int = 0) -> list[tuple[int, int]]:
    """(start, end) of each paragraph of text[body_start:], trimmed; blank lines separate them."""
    spans = []
    position = body_start
    for gap in _PARAGRAPH_GAP.finditer(text, body_start):
        spans.append(_trim(text, position, gap.start()))
        position = gap.end()
    spans.append(_trim(text, position, len(text)))
    return [(start, end) for start, end in spans if start < end]


def split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of each sentence in text[start:end], trimmed, covering all its non-whitespace text."""
    segment = text[start:end]
    cuts = [0, *_sentence_starts(segment), len(segment)]
    spans = []
    for left, right in zip(cuts, cuts[1:]):
        left, right = _trim(segment, left, right)
        if left < right:
            spans.extend(_split_long(segment, left, right))
    return [(start + left, start + right) for left, right in spans]


def chunk_article(
    text: str, body_start: int = 0, *, target_words: int = 100, max_words: int = 128
) -> tuple[tuple[Sentence, ...], tuple[Chunk, ...]]:
    """Sentences of the body and the chunks built from them, in order.

    Short paragraphs are packed together up to `target_words`; a longer paragraph is cut at
    sentence boundaries into chunks of at most `target_words` that overlap by one sentence.
    An overlap may stretch a chunk to `max_words`; only a single sentence can be longer.
    Words are whitespace words, with spaceless runs counted by length (see CHARS_PER_WORD).
    """
    if not 1 <= target_words <= max_words:
        raise ValueError(f"need 1 <= target_words ({target_words}) <= max_words ({max_words})")
    sentences: list[Sentence] = []
    words: list[int] = []
    ranges: list[tuple[int, int]] = []  # per paragraph: first and last sentence index
    for number, (p_start, p_end) in enumerate(split_paragraphs(text, body_start), start=1):
        first = len(sentences)
        for s_start, s_end in split_sentences(text, p_start, p_end):
            sentences.append(Sentence(s_start, s_end, number))
            words.append(_weight(text[s_start:s_end]))
        ranges.append((first, len(sentences) - 1))
    windows = _windows(ranges, words, target_words, max_words)
    chunks = tuple(
        Chunk(sentences[i].start, sentences[j].end, sentences[i].paragraph, i, j) for i, j in windows
    )
    return tuple(sentences), chunks


def passage_for_embedding(title: str, date: dt.date | None, passage: str) -> str:
    """What the model and keyword index see: 'Title (2023-08-08). passage', parts when present."""
    head = " ".join(title.split())
    if date is not None:
        head = f"{head} ({date.isoformat()})" if head else date.isoformat()
    if not head:
        return passage
    # 'Why now? passage' reads better than 'Why now?. passage'.
    return f"{head} {passage}" if head[-1] in ".!?" else f"{head}. {passage}"


def _weight(sentence: str) -> int:
    """Whitespace words, but at least one per CHARS_PER_WORD characters.

    Ordinary prose has far fewer characters per word, so this only matters for runs without
    spaces (URLs, a pasted blob), which the tokenizer turns into many word pieces.
    """
    return max(len(sentence.split()), len(sentence) // CHARS_PER_WORD)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink text[start:end] to exclude surrounding whitespace (start == end when only whitespace)."""
    piece = text[start:end]
    stripped = piece.lstrip()
    if not stripped:
        return start, start
    start += len(piece) - len(stripped)
    return start, start + len(stripped.rstrip())


def _sentence_starts(segment: str) -> list[int]:
    """Offsets in `segment` where blingfire starts a new sentence (0 excluded), increasing."""
    import blingfire

    if not segment.strip():
        return []
    # Same length, so offsets stay valid: blingfire's C side stops at a NUL and UTF-8 cannot
    # encode a lone surrogate (left by surrogateescape decoding).
    probe = _UNSAFE.sub(lambda m: " " if m.group() == "\0" else "\ufffd", segment)
    try:
        output, offsets = blingfire.text_to_sentences_and_offsets(probe)
    except (AssertionError, IndexError):  # its Python offset mapping asserts on surprises
        output, offsets = blingfire.text_to_sentences(probe), []
    found = output.split("\n") if output else []
    if _offsets_agree(probe, found, offsets):
        starts = [begin for begin, _ in offsets]
    else:
        starts = _map_back(probe, found)
    return [s for s in starts if 0 < s < len(segment)]


def _offsets_agree(segment: str, found: Sequence[str], offsets: Sequence[tuple[int, int]]) -> bool:
    """True when every offset pair is in order and covers exactly its sentence (spacing aside)."""
    if len(found) != len(offsets):
        return False
    previous = 0
    for sentence, (begin, end) in zip(found, offsets):
        if not previous <= begin < end <= len(segment):
            return False
        if segment[begin:end].split() != sentence.split():
            return False
        previous = end
    return True


def _map_back(segment: str, found: Sequence[str]) -> list[int]:
    """Start offsets of blingfire's sentences found again in `segment`, by their non-space text.

    A sentence whose start cannot be found (blingfire changed or dropped characters) is merged
    into the one before it, so no text is ever lost.
    """
    starts = []
    position = 0
    for sentence in found:
        tokens = sentence.split()
        if not tokens:
            continue
        begin = segment.find(tokens[0], position)
        if begin < 0:
            continue
        starts.append(begin)
        position = _match_end(segment, begin, "".join(tokens))
    return starts


def _match_end(segment: str, begin: int, chars: str) -> int:
    """Offset after the longest run from `begin` whose non-space characters start `chars`."""
    position, matched = begin, 0
    while position < len(segment) and matched < len(chars):
        char = segment[position]
        if not char.isspace():
            if char != chars[matched]:
                break
            matched += 1
        position += 1
    return position


def _split_long(segment: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut a span longer than MAX_SENTENCE_CHARS at its last whitespace before the limit."""
    spans = []
    while end - start > MAX_SENTENCE_CHARS:
        limit = start + MAX_SENTENCE_CHARS
        spaced = _UP_TO_LAST_SPACE.match(segment, start + 1, limit + 1)
        cut = spaced.end() - 1 if spaced else _hard_cut(segment, start, limit)
        spans.append(_trim(segment, start, cut))
        # Search rather than _trim: slicing the whole remainder each time would be quadratic.
        start = _NON_SPACE.search(segment, cut, end).start()
    spans.append((start, end))
    return spans


def _hard_cut(segment: str, start: int, limit: int) -> int:
    """`limit`, moved back so a combining mark or joiner stays with its base character."""
    cut = limit
    while cut > start + 1 and (unicodedata.combining(segment[cut]) or segment[cut] in _JOINERS):
        cut -= 1
    return cut


def _windows(
    ranges: Sequence[tuple[int, int]], words: Sequence[int], target: int, maximum: int
) -> list[tuple[int, int]]:
    """(first, last) sentence of each chunk: short paragraphs packed, long ones split."""
    windows: list[tuple[int, int]] = []
    pack: tuple[int, int] | None = None
    pack_words = 0
    for first, last in ranges:
        size = sum(words[first : last + 1])
        if size <= target and pack is not None and pack_words + size <= target:
            pack, pack_words = (pack[0], last), pack_words + size
            continue
        if pack is not None:
            windows.append(pack)
            pack = None
        if size <= target:
            pack, pack_words = (first, last), size
        else:
            windows.extend(_split_paragraph(words, first, last, target, maximum))
    if pack is not None:
        windows.append(pack)
    return windows


def _split_paragraph(
    words: Sequence[int], first: int, last: int, target: int, maximum: int
) -> list[tuple[int, int]]:
    """Greedy windows of at most `target` words over sentences first..last, overlapping by one."""
    windows = []
    start, overlapping = first, False
    while True:
        end, total = start, words[start]
        while end < last and total + words[end + 1] <= target:
            end += 1
            total += words[end]
        if overlapping and end == start:
            # The shared sentence alone would repeat the previous chunk's tail: take the next
            # sentence as well if the pair still fits the model, otherwise give up the overlap.
            if total + words[start + 1] > maximum:
                start, overlapping = start + 1, False
                continue
            end += 1
        windows.append((start, end))
        if end == last:
            return windows
        # A one-sentence window has nothing to share without repeating itself.
        start, overlapping = (end, True) if end > start else (end + 1, False)
