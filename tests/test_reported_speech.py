"""Reported speech: a passage that is no quotation but says a named person spoke ('Mr Brown said he had met his
golden rule') carries that person as a `reported` speaker, shown as such and never cited as their own words; a
pronoun, a role or an organisation as the subject names nobody (unknown stays unknown)."""

from __future__ import annotations

import dataclasses

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.engines import assert_quotes_verbatim, opened
from support.indexes import index_of

from assistant.cli import cite_answer, main
from assistant.search.engine import Engine
from assistant.serialize import answer_from_dict, answer_to_dict
from assistant.text.citations import attribution, words_of
from assistant.text.quotations import reported_speakers

BUDGET = (
    "Brown targets savers in Budget\n\n"
    "Chancellor Gordon Brown unveiled his ninth Budget on Wednesday.\n\n"
    "Mr Brown said he had met his financial golden rule with a pounds 6bn surplus. "
    "The chancellor said he hoped other countries would follow suit. "
    "He said public borrowing would continue to fall. "
    "The company said profits had risen. "
    "Petrol prices rose sharply in March. "
    "Borrowing would fall over the next five years, said Mr Brown. "
    "Mr Brown welcomed the figures.\n"
)


def _sentence(text: str, opening: str) -> tuple[int, int]:
    start = text.index(opening)
    return start, text.index(". ", start) + 1 if ". " in text[start:] else len(text.rstrip())


def test_a_named_subject_of_a_verb_of_speaking_is_the_reported_speaker() -> None:
    openings = ["Mr Brown said he had", "Borrowing would fall", "The chancellor said", "He said public", "The company said",
                "Petrol prices", "Mr Brown welcomed"]
    found = dict(zip(openings, reported_speakers(BUDGET, [_sentence(BUDGET, o) for o in openings]), strict=True))
    for opening in ("Mr Brown said he had", "Borrowing would fall"):
        speaker = found[opening]
        # The name as the article first gives it in full, and where the sentence names him.
        assert speaker is not None and speaker.name == "Gordon Brown" and speaker.reported, opening
        assert BUDGET[speaker.start : speaker.end] in ("Mr Brown", "Brown"), opening
    # A role, a pronoun, an organisation, no verb of speaking, a stance: nobody is named, so nobody is given.
    for opening in ("The chancellor said", "He said public", "The company said", "Petrol prices", "Mr Brown welcomed"):
        assert found[opening] is None, opening


def test_no_verb_of_speaking_means_the_article_is_not_analysed() -> None:
    assert reported_speakers(BUDGET, [_sentence(BUDGET, "Petrol prices")]) == [None]
    assert reported_speakers(BUDGET, []) == []
    assert reported_speakers("", [(0, 0)]) == [None]


def test_attribution_and_citations_keep_the_writers_words_apart_from_the_speakers() -> None:
    from assistant.models import Speaker

    reported = Speaker("Gordon Brown", "Chancellor", 0, 8, reported=True)
    assert attribution(reported) == "\u2014 Gordon Brown, Chancellor (reported speech)"
    assert attribution(Speaker("Gordon Brown", None, 0, 8)) == "\u2014 Gordon Brown"


ARTICLES = {
    "politics/budget.md": "---\ntitle: Brown targets savers in Budget\ndate: 2005-03-16\n---\n\n" + BUDGET.split("\n\n", 1)[1],
    "politics/rates.md": (
        "---\ntitle: Rates on hold\ndate: 2005-03-10\n---\n\n"
        "Interest rates were held at 4.75% by the Bank of England. "
        '"The economy is growing in line with its trend," said Bank governor Mervyn King.\n'
    ),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_of(tmp_path_factory.mktemp("reported"), ARTICLES)


@pytest.fixture(scope="module")
def engine(index: Path) -> Iterator[Engine]:
    with opened(index) as opened_engine:
        yield opened_engine


def test_an_answer_names_the_reported_speaker_and_cites_no_quotation(engine: Engine) -> None:
    answer = engine.ask("Who said he had met his financial golden rule with a surplus?")
    assert_quotes_verbatim(engine, answer)
    first = answer.quotes[0]
    assert first.text.startswith("Mr Brown said he had met his financial golden rule")
    assert first.speaker is not None and first.speaker.name == "Gordon Brown" and first.speaker.reported
    assert answer.message.startswith("Gordon Brown, Chancellor, said it (reported speech, quote 1,")
    # A signal phrase would put the writer's words in his mouth: citations name no speaker for it.
    assert words_of(first) is None
    assert not cite_answer(answer, "ap")[0].startswith("Brown said")
    # The answer round-trips through JSON (sessions) with the flag.
    again = answer_from_dict(json.loads(json.dumps(answer_to_dict(answer))))
    assert again.quotes[0].speaker == first.speaker


def test_a_quotation_keeps_its_speaker_as_the_speakers_own_words(engine: Engine) -> None:
    answer = engine.ask("What did Mervyn King say about the economy growing?")
    first = answer.quotes[0]
    assert first.speaker is not None and first.speaker.name == "Mervyn King" and not first.speaker.reported
    # The passage holds the writer's 'said Bank governor Mervyn King' too: no 'King said, "..."' around all of it.
    assert words_of(first) is None
    # His words alone are his to sign.
    own = first.text[: first.text.index(',"') + 2]
    assert own == '"The economy is growing in line with its trend,"'
    assert words_of(dataclasses.replace(first, text=own)) == "Mervyn King"
    assert words_of(dataclasses.replace(first, text="growing in line with its trend")) == "Mervyn King"


def test_the_cli_shows_reported_speech_under_the_passage(index: Path) -> None:
    result = CliRunner().invoke(main, ["--index", str(index), "ask", "Who said he had met his financial golden rule?"])
    assert result.exit_code == 0, result.output
    assert "\u2014 Gordon Brown, Chancellor (reported speech)" in result.output
    as_json = CliRunner().invoke(main, ["--index", str(index), "ask", "--json", "Who said he had met his financial golden rule?"])
    speaker = json.loads(as_json.output)["quotes"][0]["speaker"]
    assert speaker["name"] == "Gordon Brown" and speaker["reported"] is True


def test_a_speaker_filter_keeps_quotations_only(engine: Engine) -> None:
    # 'speaker:' means the person's quotations; a passage about what he said is not one of them.
    answer = engine.ask('speaker:"Gordon Brown" golden rule')
    assert all(q.speaker is not None and not q.speaker.reported for q in answer.quotes)
