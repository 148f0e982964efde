"""A story filed twice: a quote lists the copy's place in `also_in` with exactly the quote's text there (grown as
the quote grew), and the copy's part of the same passage never comes back as another quote."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.engines import assert_quotes_verbatim, opened
from support.indexes import index_of

STORY = (
    "Software watching while you work\n\n"
    "Firms are keeping a closer eye on what their staff do with office computers, say privacy groups.\n\n"
    "Some staff see monitoring software as a sign that managers no longer trust them to do their jobs. "
    '"That is not the case," said Tim Ellsmore, managing director of 3ami. "It is not about replacing dialogue but '
    "there are issues that you can talk through with staff. People need to recognise that work computers are there "
    'for work and that there is a legal requirement to store data," he said.\n\n'
    "The firm sells software that logs every key pressed and every website visited.\n"
)
OTHER = (
    "Broadband use keeps growing\n\n"
    "More homes than ever are online, and most use broadband, a survey found. "
    "Staff at many firms also work from home.\n"
)


@pytest.mark.parametrize(
    "question",
    [
        "What did the 3ami boss say staff must accept about their work computers?",
        "legal requirement to store data work computers",
        "Who said monitoring is not about replacing dialogue?",
    ],
)
def test_every_place_of_a_quote_holds_its_text_and_no_passage_is_shown_twice(tmp_path: Path, question: str) -> None:
    index = index_of(tmp_path, {"tech/079.txt": STORY, "tech/373.txt": STORY, "tech/100.txt": OTHER})
    with opened(index) as engine:
        answer = engine.ask(question)
        assert_quotes_verbatim(engine, answer)
    texts = {path: (tmp_path / "corpus" / path).read_text(encoding="utf-8") for path in ("tech/079.txt", "tech/373.txt")}
    shown: list[tuple[str, int, int]] = []
    for quote in answer.quotes:
        places = [(quote.path, quote.start, quote.end), *((p.path, p.start, p.end) for p in quote.also_in)]
        if quote.path in texts:
            # The copy is listed, at the offsets where it holds the very text of the quote.
            assert len(places) == 2, (quote.text, quote.also_in)
            for path, start, end in places:
                assert texts[path][start:end] == quote.text, (path, start, end)
        for path, start, end in places[:1]:
            assert not any(p == path and s < end and start < e for p, s, e in shown), (quote.n, quote.text)
        shown += places
