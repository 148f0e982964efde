"""Citation text: quotation marks that never stutter, references with what is known."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.text.citations import STRAIGHT, cite, quoted, reference
from assistant.models import Quote


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Rates will hold.", "\u201cRates will hold.\u201d"),
        ('"Rates will hold."', '"Rates will hold."'),  # one whole quotation: no second pair
        ("\u201cRates will hold.\u201d", "\u201cRates will hold.\u201d"),
        ('"It\'s over."', '"It\'s over."'),
        ('"We wait," he said.', '"We wait," he said.'),  # carries its own marks: a block, no added pair (issue 13)
        ('"A," he said, "B."', '"A," he said, "B."'),
        ('"', '"'),
    ],
)
def test_quoted_adds_marks_unless_the_text_is_one_quotation(text: str, shown: str) -> None:
    assert quoted(text) == shown
    assert text in quoted(text, STRAIGHT)  # the words themselves never change


def test_cite_and_reference() -> None:
    quote = Quote(
        n=2, text='"Rates will hold."', article_id=1, path="business/290.txt", record=0, title="Bank holds rate",
        date=dt.date(2005, 2, 3), source="BBC", url=None, author=None, paragraph=5, line=11, start=10, end=28,
        score=1.0, weak=False, also_in=(),
    )
    assert reference(quote) == "Bank holds rate, BBC, 3 Feb 2005, para. 5"
    assert cite(quote) == '[2] "Rates will hold." (Bank holds rate, BBC, 3 Feb 2005, para. 5)'
