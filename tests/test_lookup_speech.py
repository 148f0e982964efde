"""Paraphrased lookups of what someone said (issue 12): speech questions, quotations and their speakers' roles, dense candidates."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.engines import assert_quotes_verbatim, opened
from support.indexes import index_of

from assistant.search.engine import Engine
from assistant.search.retrieval import Weights
from assistant.text.query import FRAGMENT, QUESTION, SAID_ABOUT, WHO_SAID, is_speech, query_shape

# The narration shares more of the question's words than the analyst's own quotation does: only the
# quotation, its speaker's role ("an analyst") and the speech verb point at the right sentence.
ARTICLES = {
    "business/exchange.md": (
        "---\ntitle: German exchange raises its payout\ndate: 2005-01-27\n---\n\n"
        "The German exchange raised its payout to investors, a bigger payout that investors welcomed as the bid went on. "
        "\"There is a whiff of a sweetener in there,\" said Anais Faraj, an analyst at Nomura.\n\n"
        "The exchange also said profits rose in the last quarter.\n"
    ),
    "business/rival.md": (
        "---\ntitle: Rival exchange answers\ndate: 2005-01-28\n---\n\n"
        "The London exchange said its own investors wanted a bigger payout this year. "
        "Its board meets on Friday to discuss the offer.\n"
    ),
}


@pytest.fixture(scope="module")
def speech_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_of(tmp_path_factory.mktemp("speech"), ARTICLES)


@pytest.fixture
def engine(speech_index: Path) -> Iterator[Engine]:
    with opened(speech_index) as opened_engine:
        yield opened_engine


@pytest.mark.parametrize(
    ("query", "kind", "speech"),
    [
        ("What did the Ukrainian president call Moscow's relationship with Kiev?", QUESTION, True),
        ("Which analyst suspected the bigger payout was a bribe?", QUESTION, True),
        ("How did Ericsson's boss describe his firm's dream?", QUESTION, True),
        ("Which coach said his club could not risk a mistake?", QUESTION, True),
        ("Who said the clock is ticking?", WHO_SAID, True),
        ("What did Michael Howard say about Iraq?", SAID_ABOUT, True),
        # Wave 5: feelings, thoughts, denials and quotes of someone, a 'which X called Y Z' and 'according
        # to its producer' ask for what a person said too.
        ("How did the young actress playing the nanny feel about Julie Andrews coming to watch?", QUESTION, True),
        ("Did the government deny it would abandon the teenagers it sends back?", QUESTION, True),
        ("Which network monitoring executive called the surge in online play a wake-up call?", QUESTION, True),
        ("How many books were put forward for the shortlist, according to its producer?", QUESTION, True),
        ("Which film was called the best of the year?", QUESTION, False),
        ("How many people live in the city, according to the census?", QUESTION, False),
        # Naming and describing things is not speech: SQuAD-style questions keep their ranking.
        ("What is the term given to describe the baseline abstract question?", QUESTION, False),
        ("What is the Norman dynasty called?", QUESTION, False),
        ("When was the first census taken?", QUESTION, False),
        ("Blair lessons inquiry learned mistakes", FRAGMENT, False),
    ],
)
def test_speech_questions_are_recognised(query: str, kind: str, speech: bool) -> None:
    shape = query_shape(query)
    assert (shape.kind, shape.speech) == (kind, speech)


def test_a_verb_inside_a_quoted_phrase_is_not_a_speech_question() -> None:
    assert is_speech("Which analyst warned of a slowdown?")
    shape = query_shape('What is the story behind the "said and done" slogan of the campaign?')
    assert (shape.kind, shape.speech) == (QUESTION, False)


def test_a_speech_question_finds_the_quotation_of_the_role_it_names(engine: Engine) -> None:
    question = "Which analyst suspected the bigger payout was a sweetener for investors?"
    answer = engine.ask(question)
    assert answer.quotes, answer.message
    first = answer.quotes[0]
    assert first.path == "business/exchange.md"
    assert "whiff of a sweetener" in first.text
    assert first.speaker is not None and first.speaker.name == "Anais Faraj"
    assert_quotes_verbatim(engine, answer)


def test_without_the_quotation_evidence_the_narration_wins(engine: Engine) -> None:
    """The same question ranked with the speech evidence switched off puts the word-sharing narration
    first: the quotation and role bonuses are what find the analyst's words."""
    question = "Which analyst suspected the bigger payout was a sweetener for investors?"
    engine.weights = dataclasses.replace(Weights(), quotation=0.0, speaker_words=0.0)
    answer = engine.ask(question)
    assert "whiff of a sweetener" not in answer.quotes[0].text


def test_sentences_of_the_best_dense_chunks_are_candidates(engine: Engine) -> None:
    """With only one fused chunk read, dense_sentences still brings in the other articles' sentences for a
    natural question; a keyword fragment holds its passage's own words and does without them."""
    question = "When does the board meet to discuss the offer?"
    engine.weights = dataclasses.replace(Weights(), candidates=1, lexical_k=0, dense_sentences=0)
    narrow = engine.answer_with_evidence(question)[1]
    engine.weights = dataclasses.replace(Weights(), candidates=1, lexical_k=0, dense_sentences=50)
    wide = engine.answer_with_evidence(question)[1]
    fragment = engine.answer_with_evidence("board meets Friday discuss offer")[1]
    assert narrow is not None and wide is not None and fragment is not None
    assert len({s.article_id for s in narrow.sentences}) == 1
    assert len({s.article_id for s in wide.sentences}) == 2
    assert len({s.article_id for s in fragment.sentences}) == 1


def test_keywords_no_sentence_holds_together_are_ranked_as_a_question(engine: Engine) -> None:
    """A keyword fragment whose words meet in no sentence is a remembered gist, not the passage's own words:
    it is ranked by meaning like a question; one whose words are together stays lexical-led."""
    _, found = engine.answer_with_evidence("German exchange payout investors")
    assert found is not None and found.shape is not None and found.shape.kind == FRAGMENT
    _, found = engine.answer_with_evidence("Nomura whiff board Friday quarter")
    assert found is not None and found.shape is not None and found.shape.kind == QUESTION
    assert found.sentences


def test_each_candidate_carries_its_articles_support_of_the_query(engine: Engine) -> None:
    """Dense-led shapes add Weights.article_support x the share of the query's idf the sentence's article holds:
    the analyst's story holds 'sweetener' and 'analyst', the rival's only the common words."""
    question = "Which analyst suspected the bigger payout was a sweetener for investors?"
    _, found = engine.answer_with_evidence(question)
    assert found is not None
    by_article: dict[int, set[float]] = {}
    for s in found.sentences:
        by_article.setdefault(s.article_id, set()).add(round(s.support, 9))
    assert all(len(values) == 1 for values in by_article.values())
    paths = engine.store.article_paths()
    support = {paths[a]: values.pop() for a, values in by_article.items()}
    assert support["business/exchange.md"] > support["business/rival.md"] > 0
    assert support["business/exchange.md"] <= Weights().article_support
    assert found.judged_article is not None
    engine.weights = dataclasses.replace(Weights(), article_support=0.0)
    _, found = engine.answer_with_evidence(question)
    assert found is not None and all(s.support == 0.0 for s in found.sentences) and found.judged_article is None


def test_the_first_articles_own_confidence_needs_the_querys_rarest_word(engine: Engine) -> None:
    """Retrieval.first_confidence is set only when the support term changed which article is first, and that
    article holds the query's rarest word; it is then the mean of its best sentence and chunk cosines."""
    from assistant.search.keywords import KeywordQuery
    from assistant.search.retrieval import _first_article_confidence

    _, found = engine.answer_with_evidence("Which analyst suspected the bigger payout was a sweetener for investors?")
    assert found is not None and found.sentences and found.articles is not None
    scored, first = list(found.sentences), found.sentences[0]
    assert engine.store.article_paths()[first.article_id] == "business/exchange.md"
    rare_sweetener = KeywordQuery(None, ('"sweetener"', '"payout"'), (5.0, 1.0), ())
    rare_friday = KeywordQuery(None, ('"friday"', '"payout"'), (5.0, 1.0), ())
    chunks = {(first.article_id, first.ord): 0.5}
    assert _first_article_confidence(scored, first.article_id, chunks, rare_sweetener, found.articles) is None  # not changed
    own = _first_article_confidence(scored, first.article_id + 1000, chunks, rare_sweetener, found.articles)
    best = max(s.dense for s in scored if s.article_id == first.article_id)
    assert own == pytest.approx((best + 0.5) / 2)
    assert _first_article_confidence(scored, first.article_id + 1000, chunks, rare_friday, found.articles) is None


# A story of several chunks (about 100 words each): its last sentence is far from its opening chunk.
_FILLER = " ".join(f"The side trained on pitch number {n} before the cup match that week." for n in range(1, 16))
LONG_STORY = {
    "sport/qualifier.md": (
        "---\ntitle: Qualifier falls to Hewitt\ndate: 2005-01-20\n---\n\n"
        f"The Czech qualifier lost to Hewitt in four sets. {_FILLER}\n\n"
        "\"I was so nervous last night I couldn't sleep,\" said Ivo Minar, a qualifier from Prague.\n"
    ),
    "sport/other.md": "---\ntitle: Another match\ndate: 2005-01-21\n---\n\nA different team won a different match in the rain.\n",
}


@pytest.fixture(scope="module")
def story_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_of(tmp_path_factory.mktemp("story"), LONG_STORY)


def test_every_sentence_of_the_leading_stories_is_a_candidate(story_index: Path) -> None:
    """With one fused chunk read and no dense chunks' sentences, only that chunk's sentences are candidates; the story it
    belongs to is then scored whole (story_articles), unless it is longer than story_longest sentences, or only its
    story_k sentences closest to the question."""
    question = "Which Czech qualifier said nerves kept him awake before facing Hewitt?"
    narrow = Weights(candidates=1, dense_sentences=0, lexical_k=0, story_articles=0)
    with opened(story_index) as engine:
        engine.weights = narrow
        chunk_only = engine.answer_with_evidence(question)[1]
        engine.weights = dataclasses.replace(narrow, story_articles=1)
        whole = engine.answer_with_evidence(question)[1]
        engine.weights = dataclasses.replace(narrow, story_articles=1, story_longest=5)
        too_long = engine.answer_with_evidence(question)[1]
        engine.weights = dataclasses.replace(narrow, story_articles=1, story_k=2)
        closest = engine.answer_with_evidence(question)[1]
        stored = engine.store.sentences_of_articles([whole.sentences[0].article_id], 100)
        texts = [engine.article(r.article_id).text[r.start : r.end] for r in stored]
    assert chunk_only is not None and whole is not None and too_long is not None
    assert texts[0].startswith("The Czech qualifier") and texts[-1].startswith('"I was so nervous')
    assert len(stored) == 17  # the title is not a sentence: the opening, 15 of filler, the quotation
    assert len(chunk_only.sentences) < len(stored)
    assert {s.sentence_id for s in whole.sentences} == {r.id for r in stored}
    assert {s.sentence_id for s in too_long.sentences} == {s.sentence_id for s in chunk_only.sentences}
    # story_k keeps, of the sentences only the story brings, the closest to the question.
    assert closest is not None and len(closest.sentences) == len(chunk_only.sentences) + 2


REASONS = {
    "entertainment/tapes.md": (
        "---\ntitle: Elvis studio tapes to be auctioned\ndate: 2005-01-10\n---\n\n"
        "The son of the engineer who recorded Elvis will auction his father's studio tapes of Elvis next month. "
        "Nogar's son Stephen, 57, found the tapes in the family home.\n\n"
        "\"We've had them for a lot of years, and I think the people should enjoy them,\" Stephen said.\n"
    ),
}


@pytest.fixture(scope="module")
def reasons_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_of(tmp_path_factory.mktemp("reasons"), REASONS)


@pytest.mark.parametrize(
    ("question", "who"),
    [
        ("Why did the engineer's son decide to auction his father's Elvis studio tapes?", "the engineer's son decide to"),
        ("Why was the Indian teenager so desperate to win?", "the Indian teenager so desperate"),
        ("Why was the teenager upset?", "the teenager upset"),
        ("Why did Madonna earn less than Prince?", None),  # a name: no description to match
        ("What did the engineer's son decide?", None),
    ],
)
def test_a_why_question_about_someone_describes_them(question: str, who: str | None) -> None:
    from assistant.search.retrieval import _WHY_PERSON

    found = _WHY_PERSON.match(question)
    assert (found.group("who") if found else None) == who


def test_a_why_question_about_someone_favours_their_own_words(reasons_index: Path) -> None:
    """The son's quotation ('Nogar's son Stephen' introduces him) gives his reason: a why-question describing him lifts
    it by the quotation bonus; one describing someone else, or with the bonus off, does not."""

    def quote_score(question: str, weights: Weights) -> float:
        engine.weights = weights
        found = engine.answer_with_evidence(question)[1]
        assert found is not None
        return next(s.score for s in found.sentences if engine.article(s.article_id).text[s.start : s.end].startswith('"We'))

    son = "Why did the engineer's son decide to auction his father's Elvis studio tapes?"
    daughter = "Why did the engineer's daughter decide to auction his father's Elvis studio tapes?"
    with opened(reasons_index) as engine:
        lifted = quote_score(son, Weights())
        plain = quote_score(son, dataclasses.replace(Weights(), quotation=0.0))
        other = quote_score(daughter, Weights())
        other_plain = quote_score(daughter, dataclasses.replace(Weights(), quotation=0.0))
    assert lifted - plain == pytest.approx(Weights().quotation)
    assert other == pytest.approx(other_plain)


RESIGNED = {
    "sport/arnesen.md": (
        "---\ntitle: Santini leaves Spurs\ndate: 2004-11-06\n---\n\n"
        "Jacques Santini has resigned as Tottenham manager after only 13 games in charge.\n\n"
        "\"I resigned because of my own personal problems, nothing else,\" said Jacques Santini.\n\n"
        "Sporting director Frank Arnesen denied any rift. \"There is only one thing that made him resign and that is "
        "his own personal problems,\" said Mr Arnesen.\n"
    ),
    "sport/other.md": "---\ntitle: Another match\ndate: 2005-01-21\n---\n\nA different team won a different match in the rain.\n",
}


def test_who_said_about_a_named_man_is_not_his_own_words(tmp_path: Path) -> None:
    """'Who said Jacques Santini resigned only because of his own personal problems?' asks who said it of Santini:
    his own quotation, on topic and now read with his name, gets no quotation bonus (who-said 0.891 -> 0.902)."""
    index = index_of(tmp_path, RESIGNED)
    with opened(index) as engine:
        answer = engine.ask("Who said Jacques Santini resigned only because of his own personal problems?")
    assert answer.quotes and answer.quotes[0].speaker is not None
    assert answer.quotes[0].speaker.name == "Frank Arnesen"
