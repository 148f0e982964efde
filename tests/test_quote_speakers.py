"""A quote joined from neighbouring sentences never runs into another speaker's quotation: the speaker
shown for a quote said every quoted word of it (seen on BBC: Ken Mayland's words shown under Rick Egelton)."""

from __future__ import annotations

import pytest

from assistant.embedding.registry import HashEmbedder
from assistant.search.engine import Engine
from support.indexes import index_of

JOBS = (
    "Jobs growth slows in March\n\n"
    "Employers added fewer jobs than forecast in March, official figures showed.\n\n"
    "\"It suggests that employment growth is continuing at a moderate pace,\" said Rick Egelton, deputy chief "
    "economist at BMO Financial Group. \"We are not getting the boost to employment growth that we would have "
    "got given the low value of the dollar.\" \"The economy is producing a moderate but not a satisfying amount "
    "of employment growth,\" said Ken Mayland, president of ClearView Economics. \"That means there are a "
    "limited number of new employment opportunities for workers.\"\n"
)
TRADE = (
    "Russia closer to trade body entry\n\n"
    "Russia has moved closer to joining the world trade body, officials said on Friday.\n\n"
    "But the chairman of the working party, Ambassador Stefan Johannesson of Iceland, warned that there was "
    "\"still a lot of work to be done on the trade talks\". His comments came as President George Bush said the US "
    "backed Russian entry. But he said for Russia to make progress the government must \"renew a commitment to "
    "democracy and the rule of law\".\n"
)
OTHER = (
    "Harbour plan approved\n\n"
    "The council approved the new harbour plan on Tuesday after a long debate about fishing boats.\n"
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = tmp_path_factory.mktemp("quote-speakers")
    opened = Engine(index_of(root, {"jobs.txt": JOBS, "harbour.txt": OTHER, "trade.txt": TRADE}), embedder=HashEmbedder())
    yield opened
    opened.close()


def speakers_inside(engine: Engine, quote) -> set[str | None]:
    """Speakers of the stored quotations a quote's text overlaps."""
    rows = engine.store.quotations_of([quote.article_id])
    return {speaker for _, start, end, speaker, _ in rows if start < quote.end and end > quote.start}


@pytest.mark.parametrize(
    ("question", "speaker"),
    [
        ("Who said the economy is producing a moderate amount of employment growth?", "Ken Mayland"),
        ("economy producing moderate satisfying employment growth", "Ken Mayland"),
        ("Who said they are not getting the boost to employment growth from the low dollar?", "Rick Egelton"),
        # "But he said ..." reaches back for its speaker's name, never into Johannesson's quotation.
        ("Who said Russia must renew a commitment to democracy and the rule of law?", "George Bush"),
    ],
)
def test_a_quote_holds_the_words_of_its_speaker_only(engine: Engine, question: str, speaker: str) -> None:
    answer = engine.ask(question, max_quotes=5)
    assert answer.quotes
    first = answer.quotes[0]
    assert first.speaker is not None and first.speaker.name == speaker, (first.text, first.speaker)
    for quote in answer.quotes:
        assert engine.article(quote.article_id).text[quote.start : quote.end] == quote.text
        if quote.speaker is not None:
            assert speakers_inside(engine, quote) == {quote.speaker.name}, (quote.text, quote.speaker)
