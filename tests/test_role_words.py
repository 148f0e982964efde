"""A role as a writer remembers it: 'the Chelsea manager' is the story's 'Chelsea boss', 'the foreign minister' a
foreign secretary; and questions asking what someone praised, pointed out or summed up ask for their words."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.engines import assert_quotes_verbatim, opened
from support.indexes import index_of

from assistant.search.engine import Engine
from assistant.search.retrieval import _role_kin
from assistant.search.keywords import crude_stem
from assistant.text.query import is_speech, query_shape, speaker_description

ARTICLES = {
    "sport/chelsea.md": (
        "---\ntitle: Chelsea keep calm in title race\ndate: 2005-02-20\n---\n\n"
        "Chelsea boss Jose Mourinho was asked about the title race after the win at Goodison. "
        '"The title race will be decided in May, not now," said Mourinho. '
        "Chelsea striker Didier Drogba scored the only goal. "
        '"We want to win the title race, and the title race is what matters," said Drogba.\n'
    ),
    "politics/talks.md": (
        "---\ntitle: Talks on aid budget\ndate: 2005-03-02\n---\n\n"
        "Foreign Secretary Jack Straw met his European counterparts in Brussels on Tuesday. "
        '"No country can triple its aid budget overnight," said Mr Straw. '
        "Development campaigner Ann Pettifor, a former foreign aid adviser, disagreed. "
        '"Every country could triple its aid budget if it wanted to," said Ms Pettifor.\n'
    ),
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with opened(index_of(tmp_path_factory.mktemp("roles"), ARTICLES)) as opened_engine:
        yield opened_engine


def test_kin_role_words_share_one_stem() -> None:
    for a, b in (("manager", "boss"), ("coach", "boss"), ("minister", "secretary"), ("leader", "president"),
                 ("spokeswoman", "spokesman"), ("lawyer", "solicitor")):
        assert _role_kin(crude_stem(a)) == _role_kin(crude_stem(b)), (a, b)
    assert _role_kin(crude_stem("striker")) != _role_kin(crude_stem("boss"))
    assert _role_kin(crude_stem("minister")) != _role_kin(crude_stem("president"))


@pytest.mark.parametrize(
    ("question", "speaker", "opening"),
    [
        # Both men are Chelsea's and Drogba's words share more of the question's: the role decides.
        ("What did the Chelsea manager say about the title race?", "Jose Mourinho", '"The title race will'),
        # Ms Pettifor's introduction shares 'foreign'; Mr Straw is a secretary, which a minister is.
        ("What did the foreign minister say about countries tripling their aid budget?", "Jack Straw", '"No country'),
    ],
)
def test_a_remembered_role_finds_the_speaker_the_story_names_otherwise(
    engine: Engine, question: str, speaker: str, opening: str
) -> None:
    answer = engine.ask(question)
    assert_quotes_verbatim(engine, answer)
    first = answer.quotes[0]
    assert first.text.startswith(opening), [q.text[:40] for q in answer.quotes]
    assert first.speaker is not None and first.speaker.name == speaker


@pytest.mark.parametrize(
    ("question", "described"),
    [
        ("How did the boss of the rap label praise the founder?", "the boss of the rap label"),
        ("Which party leader pointed out that all three entered the Commons together?", "party leader"),
        ("How did the retiring forward sum up his spell with Llanelli?", "the retiring forward"),
        ("What did the columnist reveal about his recycling habits?", "the columnist"),
    ],
)
def test_more_verbs_of_speaking_make_speech_questions(question: str, described: str) -> None:
    shape = query_shape(question)
    assert shape.speech and is_speech(question), question
    assert speaker_description(question, shape) == described


@pytest.mark.parametrize("question", ["What is the capital of France?", "How many stores did the firm open?", "Where did the summit take place?"])
def test_questions_without_a_verb_of_speaking_stay_questions(question: str) -> None:
    assert not query_shape(question).speech
