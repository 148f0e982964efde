"""'What did X say about Y': when the index may say that X never speaks of Y (a name, not a description; a sentence
naming X and Y that is not X speaking proves nothing; X quoted in a story about Y is X speaking of it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.engines import assert_quotes_verbatim, opened
from support.indexes import index_of

from assistant.search.engine import Engine

ARTICLES = {
    "sport/wenger.md": (
        "---\ntitle: Wenger angry at missed goal\ndate: 2005-01-05\n---\n\n"
        "Arsenal boss Arsene Wenger was furious after the match at Old Trafford. "
        "\"The referee did not see the ball cross the line and that cost us the game,\" said Wenger.\n"
    ),
    "sport/squad.md": (
        "---\ntitle: Squad named for Chelsea game\ndate: 2005-01-07\n---\n\n"
        "The Arsenal manager named an unchanged squad for Saturday's game against Chelsea. "
        "Two young defenders were promoted from the reserves.\n"
    ),
    "sport/chelsea.md": (
        "---\ntitle: Mourinho defiant on Chelsea form\ndate: 2005-02-25\n---\n\n"
        "Chelsea boss Jose Mourinho has insisted that Arsene Wenger would swap places with him. "
        "\"Don't try to put pressure on me because I am never under pressure,\" Mourinho warned.\n"
    ),
    "politics/advice.md": (
        "---\ntitle: Iraq advice row grows\ndate: 2005-03-01\n---\n\n"
        "Tory leader Michael Howard called for the Attorney General's legal advice to be published in full. "
        "\"This issue will not go away,\" said Mr Howard.\n"
    ),
    "sport/minar.md": (
        "---\ntitle: Qualifier shocks Hewitt\ndate: 2005-02-10\n---\n\n"
        "Czech qualifier Ivo Minar beat Lleyton Hewitt in straight sets on Tuesday. "
        "\"I was so nervous last night I could not sleep,\" said Minar.\n"
    ),
    "politics/howard.md": (
        "---\ntitle: Howard on council tax\ndate: 2005-02-01\n---\n\n"
        "\"Council tax bills have doubled under this government,\" said Tory leader Michael Howard.\n"
    ),
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with opened(index_of(tmp_path_factory.mktemp("said-about"), ARTICLES)) as opened_engine:
        yield opened_engine


@pytest.mark.parametrize(
    ("question", "path"),
    [
        # The story says 'Arsenal boss', the question 'the Arsenal manager': the words of the description meet
        # elsewhere (sport/squad.md) but never beside 'referee'. That proves nothing about the man.
        ("What did the Arsenal manager say about the referee?", "sport/wenger.md"),
        # None of Mr Howard's words says 'Iraq', but he is quoted in a story whose title is about Iraq.
        ("What did Michael Howard say about Iraq?", "politics/advice.md"),
        # 'nerves' in the question, "nervous" in his words.
        ("What did Ivo Minar say about nerves?", "sport/minar.md"),
    ],
)
def test_x_speaking_of_y_is_not_called_silent(engine: Engine, question: str, path: str) -> None:
    answer = engine.ask(question)
    assert "speaking about" not in answer.message and "no quotation by" not in answer.message
    assert answer.quotes and answer.quotes[0].path == path
    assert_quotes_verbatim(engine, answer)


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("What did Arsene Wenger say about council tax?", "no article has Arsene Wenger speaking about council tax"),
        # 'Mourinho has insisted that Arsene Wenger would swap places': Wenger is named beside Mourinho, not speaking.
        # It says what was searched: none of his quotations, and no sentence with him saying it, mentions Mourinho.
        ("What did Arsene Wenger say about Mourinho?", "no quotation by Arsene Wenger mentions Mourinho"),
    ],
)
def test_a_name_never_speaking_of_y_is_said_so(engine: Engine, question: str, message: str) -> None:
    answer = engine.ask(question)
    assert not answer.answered
    assert message in answer.message
    assert_quotes_verbatim(engine, answer)
