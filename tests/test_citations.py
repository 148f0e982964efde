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


def test_a_signal_phrase_only_for_the_speakers_own_words() -> None:
    """'Iizuka said, "However, the economy's fragile recovery ... said Naoki Iizuka ..."' put the reporter's sentences
    in his mouth: a passage holding narration beside the quotation gets no signal phrase; the quotation alone, or a
    part of it without marks, does."""
    from assistant.models import Quote, Speaker
    from assistant.text.citations import words_of

    iizuka = Speaker("Naoki Iizuka", "senior economist", 0, 5)

    def quote(text: str) -> Quote:
        return Quote(1, text, 1, "business/044.txt", 0, "Japan economy slides", None, None, None, None, 1, None, 0,
                     len(text), 1.0, False, (), iizuka)

    narration = ("However, the recovery remains fragile. \"The results came in at the lower end,\" said Naoki Iizuka. "
                 "Japan's economy has slipped back before.")
    assert words_of(quote(narration)) is None
    assert words_of(quote('"The results came in at the lower end," said Naoki Iizuka.')) is None
    assert words_of(quote('"The results came in at the lower end."')) == "Naoki Iizuka"
    assert words_of(quote("the results came in at the lower end")) == "Naoki Iizuka"


def test_a_quote_over_several_paragraphs_cites_them_all() -> None:
    """QA: a quotation over paragraphs 2-4 was cited as 'para. 2'."""
    from assistant.text.citation_styles import Source, format_citation
    from assistant.text.citations import paragraph_label

    text = '"No politician should make the mistake.\n\n"They will pay.\n\n"We know it," he said.'
    quote = Quote(1, text, 1, "politics/021.txt", 0, "Title", None, "BBC", None, None, 2, None, 0, len(text), 1.0)
    assert paragraph_label(quote) == "paras. 2\u20134" and reference(quote).endswith("paras. 2\u20134")
    assert "paras. 2\u20134" in format_citation(Source.from_quote(quote), "chicago", quote=text)
    single = Quote(1, "One paragraph.", 1, "a.txt", 0, "Title", None, None, None, None, 3, None, 0, 14, 1.0)
    assert paragraph_label(single) == "para. 3"
