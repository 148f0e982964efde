"""Tests for paragraph, sentence and chunk splitting by exact offsets."""

from __future__ import annotations

import datetime as dt

import blingfire
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.text import chunking
from assistant.text.chunking import (
    MAX_SENTENCE_CHARS,
    chunk_article,
    passage_for_embedding,
    split_paragraphs,
    split_sentences,
)
from assistant.models import Chunk, Sentence
from support.corpus import SEED

WORDS = (
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike "
    "november oscar papa quebec romeo sierra tango"
).split()


def sentence(words: int, shift: int = 0) -> str:
    """A capitalised sentence of `words` words ending in a full stop (blingfire splits these)."""
    text = " ".join(WORDS[(shift + i) % len(WORDS)] for i in range(words))
    return text.capitalize() + "."


def paragraph(*sizes: int) -> str:
    """One paragraph made of sentences with the given word counts."""
    return " ".join(sentence(n, shift) for shift, n in enumerate(sizes))


def words_of(text: str, item: Sentence | Chunk) -> int:
    return len(text[item.start : item.end].split())


def check_invariants(
    text: str,
    body_start: int,
    sentences: tuple[Sentence, ...],
    chunks: tuple[Chunk, ...],
    max_words: int = 128,
) -> None:
    """Everything chunk_article promises about offsets, coverage and chunk shape."""
    previous_end = body_start
    for s in sentences:
        piece = text[s.start : s.end]
        assert piece and piece == piece.strip()
        assert previous_end <= s.start < s.end
        assert text[previous_end : s.start].strip() == ""  # nothing but whitespace is skipped
        previous_end = s.end
    assert text[previous_end:].strip() == ""
    assert [s.paragraph for s in sentences] == sorted(s.paragraph for s in sentences)
    if sentences:
        assert sentences[0].paragraph == 1
    covered: set[int] = set()
    for c in chunks:
        first, last = sentences[c.first_sentence], sentences[c.last_sentence]
        assert (c.start, c.end, c.paragraph) == (first.start, last.end, first.paragraph)
        assert c.first_sentence <= c.last_sentence
        if c.first_sentence < c.last_sentence:
            assert words_of(text, c) <= max_words
        if first.paragraph != last.paragraph:  # packed chunks hold whole paragraphs only
            assert c.first_sentence == 0 or sentences[c.first_sentence - 1].paragraph != first.paragraph
            assert c.last_sentence == len(sentences) - 1 or sentences[c.last_sentence + 1].paragraph != last.paragraph
        covered.update(range(c.first_sentence, c.last_sentence + 1))
    assert covered == set(range(len(sentences)))
    for before, after in zip(chunks, chunks[1:]):
        if after.first_sentence == before.last_sentence:  # overlap: only inside one paragraph
            assert sentences[after.first_sentence].paragraph == sentences[before.first_sentence].paragraph
            assert before.first_sentence < before.last_sentence
        else:
            assert after.first_sentence == before.last_sentence + 1


# ---------------------------------------------------------------- paragraphs


def test_paragraphs_split_on_blank_lines_and_are_trimmed() -> None:
    text = "  First para\nstill first.  \n\n Second.\n \t \nThird.\n\n\n"
    spans = split_paragraphs(text)
    assert [text[a:b] for a, b in spans] == ["First para\nstill first.", "Second.", "Third."]


def test_paragraphs_handle_crlf_and_body_start() -> None:
    text = "Title line\r\n\r\nOne.\r\nStill one.\r\n  \r\nTwo."
    spans = split_paragraphs(text, body_start=text.index("One"))
    assert [text[a:b] for a, b in spans] == ["One.\r\nStill one.", "Two."]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\r\n \t\n", "\u3000\u00a0\n"])
def test_paragraphs_of_whitespace_are_none(text: str) -> None:
    assert split_paragraphs(text) == []


# ---------------------------------------------------------------- sentences


def test_sentences_are_trimmed_spans() -> None:
    text = "xx  Hello world. This is a test.  Another one!  "
    spans = split_sentences(text, 2, len(text))
    assert [text[a:b] for a, b in spans] == ["Hello world.", "This is a test.", "Another one!"]


def test_sentences_keep_characters_blingfire_drops() -> None:
    # blingfire leaves the zero-width space out of its sentence; it must not be lost here.
    text = "\u200b. Zero width here. Next one."
    spans = split_sentences(text, 0, len(text))
    assert spans[0][0] == 0
    assert "".join(text[a:b] for a, b in spans).replace(" ", "") == text.replace(" ", "")


def test_long_line_is_cut_at_whitespace() -> None:
    text = "word " * 40_000  # 200 KB, no punctuation
    spans = split_sentences(text, 0, len(text))
    assert all(b - a <= MAX_SENTENCE_CHARS for a, b in spans)
    assert all(text[a:b].startswith("word") and text[a:b].endswith("word") for a, b in spans)
    assert sum(len(text[a:b].split()) for a, b in spans) == 40_000


def test_long_run_without_spaces_is_cut_hard_but_not_before_a_combining_mark() -> None:
    text = "x" * (MAX_SENTENCE_CHARS - 1) + "e\u0301" + "y" * 10
    spans = split_sentences(text, 0, len(text))
    assert [b - a for a, b in spans] == [MAX_SENTENCE_CHARS - 1, 12]
    assert text[spans[1][0] : spans[1][1]].startswith("e\u0301")


def test_map_back_finds_starts_and_merges_changed_sentences() -> None:
    segment = "Hello  world. Foo\nbar. Baz."
    assert chunking._map_back(segment, ["Hello world.", "Foo bar.", "Baz."]) == [0, 14, 23]
    # A sentence blingfire altered cannot be found: it joins the one before it.
    assert chunking._map_back(segment, ["Hello world.", "F00 bar.", "Baz."]) == [0, 23]


def test_wrong_offsets_fall_back_to_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    def shifted(text: str) -> tuple[str, list[tuple[int, int]]]:
        return "Hello world.\nFoo bar.", [(1, 12), (13, 20)]

    monkeypatch.setattr(blingfire, "text_to_sentences_and_offsets", shifted)
    text = "Hello world. Foo bar."
    assert [text[a:b] for a, b in split_sentences(text, 0, len(text))] == ["Hello world.", "Foo bar."]


def test_failing_offsets_fall_back_to_plain_sentences(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str) -> tuple[str, list[tuple[int, int]]]:
        raise AssertionError("offset mapping")

    monkeypatch.setattr(blingfire, "text_to_sentences_and_offsets", broken)
    text = "Emoji 😀 here. Next 👍🏽 one."
    assert [text[a:b] for a, b in split_sentences(text, 0, len(text))] == ["Emoji 😀 here.", "Next 👍🏽 one."]


# ---------------------------------------------------------------- chunks


def test_short_paragraphs_are_packed_up_to_target() -> None:
    text = "\n\n".join(paragraph(10, 20) for _ in range(5))  # 30 words each
    sentences, chunks = chunk_article(text)
    check_invariants(text, 0, sentences, chunks)
    assert [s.paragraph for s in sentences] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert [(c.paragraph, c.first_sentence, c.last_sentence) for c in chunks] == [(1, 0, 5), (4, 6, 9)]
    assert [words_of(text, c) for c in chunks] == [90, 60]


def test_long_paragraph_is_split_with_one_sentence_overlap() -> None:
    text = paragraph(*[20] * 12) + "\n\n" + paragraph(5)
    sentences, chunks = chunk_article(text)
    check_invariants(text, 0, sentences, chunks)
    split = [c for c in chunks if c.paragraph == 1]
    assert len(split) > 1
    assert all(words_of(text, c) <= 100 for c in split)
    for before, after in zip(split, split[1:]):
        assert after.first_sentence == before.last_sentence
    assert split[-1].last_sentence == 11
    # The next paragraph starts its own chunk: no overlap across paragraphs.
    assert (chunks[-1].paragraph, chunks[-1].first_sentence) == (2, 12)


def test_overlap_may_reach_max_words_but_no_further() -> None:
    # 70+25 fill a chunk; 25+90 exceeds the target but fits max_words, so the overlap stays.
    text = paragraph(70, 25, 90)
    _, chunks = chunk_article(text)
    assert [(c.first_sentence, c.last_sentence) for c in chunks] == [(0, 1), (1, 2)]
    # 25+110 exceeds max_words: the overlap is dropped rather than the bound.
    text = paragraph(70, 25, 110)
    sentences, chunks = chunk_article(text)
    check_invariants(text, 0, sentences, chunks)
    assert [(c.first_sentence, c.last_sentence) for c in chunks] == [(0, 1), (2, 2)]


def test_a_sentence_longer_than_max_words_stands_alone() -> None:
    text = paragraph(10, 200, 10)
    sentences, chunks = chunk_article(text)
    check_invariants(text, 0, sentences, chunks)
    assert (1, 1) in [(c.first_sentence, c.last_sentence) for c in chunks]


def test_target_and_max_words_are_honoured() -> None:
    text = "\n\n".join(paragraph(*[7 + k % 13] * (k % 9 + 1)) for k in range(30))
    sentences, chunks = chunk_article(text, target_words=40, max_words=50)
    check_invariants(text, 0, sentences, chunks, max_words=50)
    assert all(words_of(text, c) <= 50 for c in chunks)


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        chunk_article("Hello.", target_words=200, max_words=128)


def test_spaceless_runs_do_not_pack_into_huge_chunks() -> None:
    text = "x" * 200_000
    sentences, chunks = chunk_article(text)
    check_invariants(text, 0, sentences, chunks)
    assert len(chunks) == len(sentences) == -(-200_000 // MAX_SENTENCE_CHARS)


def test_seed_article_keeps_the_quote_in_one_sentence() -> None:
    text = SEED.read_text(encoding="utf-8")
    body_start = text.index("\n") + 1
    sentences, chunks = chunk_article(text, body_start)
    check_invariants(text, body_start, sentences, chunks)
    assert sentences[0].start > text.index("\n")
    quote = (
        "It is clear that Azerbaijan will not negotiate with them at the official level, "
        "especially with international mediation,\u201d Tofig Zulfugarov, former Azerbaijani "
        "Foreign Minister, commented on the situation."
    )
    holding = [s for s in sentences if "will not negotiate" in text[s.start : s.end]]
    assert len(holding) == 1
    assert quote in text[holding[0].start : holding[0].end]
    assert any(c.start <= holding[0].start and holding[0].end <= c.end for c in chunks)


@pytest.mark.parametrize("text", ["", " \n\t ", "\r\n\r\n", "\u3000\n\u00a0"])
def test_empty_bodies_give_nothing(text: str) -> None:
    assert chunk_article(text) == ((), ())


def test_body_start_past_the_title() -> None:
    text = "A title.\n\nBody one. Body two."
    sentences, _ = chunk_article(text, body_start=10)
    assert [text[s.start : s.end] for s in sentences] == ["Body one.", "Body two."]
    assert chunk_article(text, body_start=len(text)) == ((), ())


@pytest.mark.parametrize(
    "text",
    [
        "Line one.\r\nLine two.\r\n\r\nSecond paragraph.\r\n",
        "مرحبا بالعالم. هذا اختبار.\n\nשלום עולם. זה מבחן.",
        "Emoji 😀 here 👩\u200d👩\u200d👧. Flags 🇺🇸 too.\n\nCombining e\u0301 and a\u0308.",
        "Ctrl \x01 and \x07 bell.\x0b\x0cForm feed.\x1c\x1d\x1e Sep \x85 next\u2028line.",
        "NUL\x00 inside. Still fine.",
        "Lone surrogate \udcff from escaped bytes. Next.",
    ],
)
def test_unusual_text_keeps_offsets_exact(text: str) -> None:
    sentences, chunks = chunk_article(text)
    check_invariants(text, 0, sentences, chunks)
    assert sentences


def test_big_line_without_punctuation_is_fast_enough_to_finish() -> None:
    text = "Title\n\n" + "lorem ipsum dolor " * 11_200  # ~200 KB on one line
    sentences, chunks = chunk_article(text, 7)
    check_invariants(text, 7, sentences, chunks)
    assert max(s.end - s.start for s in sentences) <= MAX_SENTENCE_CHARS


def test_chunking_is_deterministic() -> None:
    text = SEED.read_text(encoding="utf-8")
    assert chunk_article(text, 10) == chunk_article(text, 10)


# ---------------------------------------------------------------- property tests

TOKENS = st.one_of(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(
        ["The", "cat", "Mr.", "e.g.", "U.S.", "3.14", "مرحبا", "שלום", "世界", "😀", "👍🏽", "e\u0301",
         "“Quote”", "(aside)", "\u200b", "\x01"]
    ),
)
SEPARATORS = st.sampled_from(
    [" ", " ", " ", "  ", ". ", "! ", "? ", ", ", "\t", "\n", "\r\n", "\n\n", "\r\n\r\n",
     "\n \n", "\u00a0", "\u3000", ".\n\n", "...", "。"]
)


@st.composite
def articles(draw: st.DrawFn) -> tuple[str, int]:
    """Paragraph-ish text: words and punctuation joined by spaces and (blank) lines."""
    parts = []
    for _ in range(draw(st.integers(0, 80))):
        parts.append(draw(TOKENS))
        parts.append(draw(SEPARATORS))
    text = "".join(parts)
    return text, draw(st.integers(0, len(text)))


@settings(max_examples=300, deadline=None)
@given(articles(), st.integers(3, 40))
def test_offsets_invariant_on_random_articles(article: tuple[str, int], target: int) -> None:
    text, body_start = article
    sentences, chunks = chunk_article(text, body_start, target_words=target, max_words=target + 10)
    check_invariants(text, body_start, sentences, chunks, max_words=target + 10)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_offsets_invariant_on_arbitrary_text(text: str) -> None:
    sentences, chunks = chunk_article(text, target_words=8, max_words=12)
    check_invariants(text, 0, sentences, chunks, max_words=12)


# ---------------------------------------------------------------- embedding text


@pytest.mark.parametrize(
    ("title", "date", "expected"),
    [
        ("Relations", dt.date(2023, 8, 8), "Relations (2023-08-08). Passage."),
        ("Relations", None, "Relations. Passage."),
        ("", dt.date(2023, 8, 8), "2023-08-08. Passage."),
        ("", None, "Passage."),
        ("  Spaced\n title ", None, "Spaced title. Passage."),
        ("Why now?", None, "Why now? Passage."),
        ("Why now?", dt.date(2023, 8, 8), "Why now? (2023-08-08). Passage."),
    ],
)
def test_passage_for_embedding(title: str, date: dt.date | None, expected: str) -> None:
    assert passage_for_embedding(title, date, "Passage.") == expected
