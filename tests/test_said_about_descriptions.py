"""'What did X say about Y' where X describes the speaker: no article's words prove that nobody so described spoke of Y."""

from __future__ import annotations

from pathlib import Path

from support.engines import assert_quotes_verbatim, opened
from support.indexes import index_of

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
    "politics/howard.md": (
        "---\ntitle: Howard on council tax\ndate: 2005-02-01\n---\n\n"
        "\"Council tax bills have doubled under this government,\" said Tory leader Michael Howard.\n"
    ),
}


def test_a_description_with_other_words_in_the_story_is_not_called_silent(tmp_path: Path) -> None:
    # The story says 'Arsenal boss', the question 'the Arsenal manager': the words of the description meet elsewhere
    # (sport/squad.md) but never beside 'referee'. That proves nothing about the man; his words are the answer.
    with opened(index_of(tmp_path, ARTICLES)) as engine:
        answer = engine.ask("What did the Arsenal manager say about the referee?")
        assert "speaking about" not in answer.message
        assert answer.quotes and answer.quotes[0].path == "sport/wenger.md"
        assert_quotes_verbatim(engine, answer)


def test_a_name_never_beside_the_topic_is_still_said_so(tmp_path: Path) -> None:
    with opened(index_of(tmp_path, ARTICLES)) as engine:
        answer = engine.ask("What did Arsene Wenger say about council tax?")
        assert not answer.answered
        assert "no article has Arsene Wenger speaking about council tax" in answer.message
        assert_quotes_verbatim(engine, answer)
