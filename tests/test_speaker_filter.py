"""A `speaker:` filter searches that person's words, not the stories around them (narration and others' words)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.engines import assert_quotes_verbatim, opened
from support.indexes import index_of

from assistant.models import Filters
from assistant.search.engine import Engine

NARRATION = " ".join(
    f"The Iraq war {what} on {day}."
    for what, day in [
        ("dominated questions from reporters", "Monday"), ("drew protesters to Downing Street", "Tuesday"),
        ("cost the Treasury billions more", "Wednesday"), ("split the Labour benches again", "Thursday"),
        ("featured in the Commons debate", "Friday"), ("was raised by the Liberal Democrats", "Saturday"),
        ("led the evening news bulletins", "Sunday"),
    ]
)
ARTICLES = {
    "politics/blair.md": (
        "---\ntitle: Blair faces war questions\ndate: 2005-03-01\n---\n\n"
        f"{NARRATION}\n\n"
        "Tony Blair answered his critics in Downing Street. \"We will see the job through in Iraq,\" Mr Blair said.\n"
    ),
    "politics/protest.md": (
        "---\ntitle: Marchers in London\ndate: 2005-03-02\n---\n\n"
        f"{NARRATION}\n\n\"The Iraq war was a mistake,\" said protester Jane Hill.\n"
    ),
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with opened(index_of(tmp_path_factory.mktemp("speaker-filter"), ARTICLES)) as opened_engine:
        yield opened_engine


def test_the_speaker_filter_finds_their_words_behind_narration(engine: Engine) -> None:
    # Seven sentences per story say 'Iraq war'; Mr Blair's own words say only 'Iraq'. Searched everywhere and then
    # filtered, the five best were all narration and the answer was empty (and called answered).
    answer = engine.ask('speaker:"Tony Blair" Iraq war')
    assert answer.quotes, answer.message
    assert {q.speaker.name for q in answer.quotes if q.speaker} == {"Tony Blair"}
    assert all(q.speaker is not None for q in answer.quotes)
    assert "see the job through" in answer.quotes[0].text
    assert_quotes_verbatim(engine, answer)


def test_the_speaker_filter_narrows_the_searched_articles_and_chunks(engine: Engine) -> None:
    chunks = engine.store.allowed_chunks(Filters(speaker="Tony Blair"))
    articles = engine.store.allowed_articles(Filters(speaker="Tony Blair"))
    paths = {engine.article(a).path for a in articles or ()}
    assert paths == {"politics/blair.md"}
    assert chunks is not None and len(chunks) > 0
    owners = {article_id for _, article_id, _, _ in engine.store.chunk_sentence_ranges([int(c) for c in chunks])}
    assert {engine.article(a).path for a in owners} == {"politics/blair.md"}
    nobody = engine.store.allowed_chunks(Filters(speaker="Nobody Atall"))
    assert nobody is not None and len(nobody) == 0


def test_a_speaker_nobody_quotes_finds_nothing_and_says_so(engine: Engine) -> None:
    answer = engine.ask('speaker:"Nobody Atall" Iraq war')
    assert not answer.quotes and not answer.answered
    assert "nothing in the corpus matches (speaker: Nobody Atall)" in answer.message
