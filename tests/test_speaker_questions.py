"""'What did X say?' naming only a person or a role: the quotations by that speaker are the answer, not weak matches."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.embedding.registry import HashEmbedder
from assistant.index.indexer import build_index
from assistant.search.engine import Engine

ARTICLES = {
    "harbour.txt": (
        "Harbour plan approved after long debate\n\n"
        "The council approved the new harbour plan on Tuesday after a debate that lasted six hours.\n\n"
        "\"We have waited twenty years for this harbour, and tonight the town finally said yes,\" "
        "council leader Maria Olsen said after the vote.\n\n"
        "Opponents were not convinced. \"The plan ignores the fishermen who built this town,\" said "
        "union official Peter Lund.\n\n"
        "The ferry service to the islands would run twice as often by summer, Ms Olsen added.\n"
    ),
    "orchard.txt": (
        "Apple harvest smaller than expected\n\n"
        "Growers in the valley picked fewer apples this autumn after a dry spring.\n\n"
        "\"The trees simply did not get enough water when the blossom came out,\" grower Anna Berg said.\n"
    ),
    "quay.txt": (
        "Catch falls at the quay\n\n"
        "Fisherman Jon Dale spoke to reporters at the quay on Monday.\n\n"
        "\"The nets come back empty every morning now,\" he said.\n"
    ),
    "rail.txt": (
        "New timetable for the coast line\n\n"
        "Trains on the coast line will run every half hour from May, the operator announced.\n"
    ),
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = tmp_path_factory.mktemp("speaker-questions")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in ARTICLES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    build_index(corpus, root / "index", embedder=HashEmbedder())
    opened = Engine(root / "index", embedder=HashEmbedder())
    yield opened
    opened.close()


@pytest.mark.parametrize(
    ("question", "speaker"),
    [
        ("What did the union official say?", "Peter Lund"),
        ("What did Anna Berg say?", "Anna Berg"),
        ("what did Olsen say", "Maria Olsen"),
    ],
)
def test_a_question_naming_only_the_speaker_is_answered_by_their_quotation(engine: Engine, question: str, speaker: str) -> None:
    answer = engine.ask(question)
    assert answer.answered, answer.message
    first = answer.quotes[0]
    assert first.speaker is not None and first.speaker.name == speaker
    assert not first.weak


def test_a_speaker_the_corpus_does_not_have_stays_unanswered(engine: Engine) -> None:
    # Nobody by that name, and nobody with that role: the rule needs the speaker's own name or role.
    for question in ("What did Boris Johnson say?", "What did the railway spokesman say?"):
        answer = engine.ask(question)
        assert not answer.answered, (question, answer.message)
        assert all(q.weak for q in answer.quotes)


def test_a_speaker_who_never_speaks_of_the_topic_is_told_not_answered(engine: Engine) -> None:
    # The harbour article names Maria Olsen and "fishermen", but the fishermen are Peter Lund's words.
    answer = engine.ask("What did Maria Olsen say about the fishermen?")
    assert not answer.answered
    assert answer.message.startswith("no quotation by Maria Olsen mentions the fishermen")
    assert all(q.weak for q in answer.quotes)
    lund = engine.ask("What did Peter Lund say about the fishermen?")
    assert lund.answered, lund.message
    assert lund.quotes[0].speaker is not None and lund.quotes[0].speaker.name == "Peter Lund"
    # A word of the sentence that names her as the speaker counts too ("... Maria Olsen said after the vote").
    olsen = engine.ask("What did Maria Olsen say about the vote?")
    assert "speaking about" not in olsen.message and "no quotation by" not in olsen.message
    # Reported speech names her by surname only ('..., Ms Olsen added'): she does speak of the ferry.
    ferry = engine.ask("What did Maria Olsen say about the ferry?")
    assert "speaking about" not in ferry.message and "no quotation by" not in ferry.message
    # ... and those words of hers about the ferry come before her quotation about the harbour.
    assert ferry.quotes[0].text.endswith("Ms Olsen added.")


def test_the_engine_says_who_is_quoted(engine: Engine) -> None:
    # What the chat asks to read 'and X?': a person quoted by that name, or a new topic.
    assert engine.is_quoted("Olsen") and engine.is_quoted("Peter Lund")
    assert not engine.is_quoted("Harbour") and not engine.is_quoted("Iraq")
    # Asking it first changes no answer: what it remembers is not the sentences 'what did X say about Y' reads.
    assert engine.is_quoted("Jon Dale")
    dale = engine.ask("What did Jon Dale say about the nets?")  # his words hold 'nets'; no sentence names him with it
    assert dale.answered, dale.message
    assert dale.quotes[0].speaker is not None and dale.quotes[0].speaker.name == "Jon Dale"
