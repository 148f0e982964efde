"""The answer builder on a small real index (hash embedder): verbatim quotes, limits, speakers, policies."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.index.indexer import build_index
from assistant.models import Filters
from assistant.search.answer import (
    ABSTAIN_THRESHOLDS,
    ATTRIBUTION_SENTENCES,
    SUPPORT_MARGIN,
    AnswerPolicy,
    _Draft,
    _grow,
    article_support,
    build_quotes,
    needs_antecedent,
    policy_for,
    support_stem,
    unsupported,
)
from assistant.search.engine import Engine
from assistant.search.retrieval import Retrieval, ScoredSentence, Weights, retrieve
from assistant.text.query import query_shape
from support.engines import check_offsets, opened

LENIENT = AnswerPolicy(abstain_below=0.05)


@pytest.fixture(scope="module")
def engine(small_index: tuple[Path, Path]) -> Iterator[Engine]:
    with opened(small_index[1], policy=LENIENT) as engine:
        yield engine


def found(engine: Engine, question: str) -> Retrieval:
    vector = engine.embedder.encode([question])[0]
    return retrieve(engine.store, vector, question, Filters(), Weights())


def test_each_model_has_its_calibrated_threshold_and_others_get_minilms() -> None:
    assert policy_for("hash").abstain_below == ABSTAIN_THRESHOLDS["hash"]
    assert policy_for("all-MiniLM-L6-v2").abstain_below == ABSTAIN_THRESHOLDS["all-MiniLM-L6-v2"]
    assert policy_for("some-other-model").abstain_below == ABSTAIN_THRESHOLDS["all-MiniLM-L6-v2"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=st.text(max_size=80), max_quotes=st.integers(min_value=0, max_value=6), weak=st.booleans())
def test_every_quote_is_its_articles_text_at_its_offsets(engine: Engine, question: str, max_quotes: int,
                                                         weak: bool) -> None:
    quotes = build_quotes(engine.store, found(engine, question), max_quotes, LENIENT, weak=weak)
    assert len(quotes) <= max_quotes
    assert [q.n for q in quotes] == list(range(1, len(quotes) + 1))
    for quote in quotes:
        article = engine.article(quote.article_id)
        assert article.text[quote.start : quote.end] == quote.text and quote.text.strip() == quote.text
        assert quote.weak is weak
        assert quote.path == article.path and quote.title == article.title


def test_no_two_quotes_overlap(engine: Engine) -> None:
    keep_all = AnswerPolicy(abstain_below=0.05, keep_ratio=0.0)
    quotes = build_quotes(engine.store, found(engine, "Baku Karabakh Armenians negotiations"), 6, keep_all)
    spans = sorted((q.article_id, q.start, q.end) for q in quotes)
    assert len(spans) >= 2
    for (a1, _, end1), (a2, start2, _) in zip(spans, spans[1:]):
        assert a1 != a2 or end1 <= start2


def sentences_in(engine: Engine, article_id: int, start: int, end: int) -> int:
    return engine.db.execute("SELECT count(*) FROM sentences WHERE article_id = ? AND start >= ? AND end <= ?",
                             (article_id, start, end)).fetchone()[0]


def test_a_quote_holds_at_most_max_sentences_besides_its_attribution(engine: Engine) -> None:
    retrieval = found(engine, "Zulfugarov negotiations self-styled leaders")
    greedy = AnswerPolicy(abstain_below=0.05, max_sentences=3, merge_ratio=0.0)
    merged = build_quotes(engine.store, retrieval, 5, greedy)
    assert max(sentences_in(engine, q.article_id, q.start, q.end) for q in merged) > 1
    single = build_quotes(engine.store, retrieval, 5, replace(greedy, max_sentences=1))
    assert single
    for quote in single:
        # Its own sentence, plus at most the sentences that name its speaker.
        assert sentences_in(engine, quote.article_id, quote.start, quote.end) <= 1 + ATTRIBUTION_SENTENCES


def test_nothing_to_quote_gives_no_quotes(engine: Engine) -> None:
    empty = Retrieval(sentences=(), chunk_ids=(), top_dense=0.0, sentence_vectors={})
    assert build_quotes(engine.store, empty, 5, LENIENT) == ()
    assert build_quotes(engine.store, found(engine, "interest rates"), 0, LENIENT) == ()


def test_a_quote_opening_on_a_pronoun_brings_the_sentence_that_names_the_speaker(
    engine: Engine, small_index: tuple[Path, Path]
) -> None:
    answer = engine.ask("Aghdam road not intended for any cargo from Armenia including humanitarian")
    first = answer.quotes[0]
    assert "he stressed that the Aghdam road" in first.text
    assert first.text.startswith("Political commentator Ilham Ismail stated")
    # Not quoted a second time on its own.
    assert sum("Ilham Ismail" in q.text for q in answer.quotes) == 1
    check_offsets(engine, small_index[0], answer)


@pytest.mark.parametrize(
    ("sentence", "needs"),
    [
        ("But at the same time, he stressed that the road is closed.", True),
        ("He added that talks would resume.", True),
        ("They said the vote was fair.", True),
        ("Her office declined to comment.", True),
        ("Ismail said he would not comment.", False),
        ("The minister said they would wait.", False),
        ("Political commentator Ilham Ismail stated that he disagreed.", False),
        ("The central bank raised interest rates.", False),
        ("“We will not negotiate,” Zulfugarov said.", False),
        ('"The Bank is having to juggle pressures against the risk of a slowdown," he said.', True),
        ("“We will wait,” she told the BBC.", True),
        ('"It is over," said Mr Brown.', False),
    ],
)
def test_which_sentences_need_their_speaker_named(sentence: str, needs: bool) -> None:
    assert needs_antecedent(sentence) is needs


def test_the_speaker_is_found_up_to_two_sentences_back_across_a_paragraph(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "balls.txt").write_text(
        "Balls rules out spree\n\nThe Treasury met on Monday.\n\n"
        "Mr Balls, who stepped down from his post, said the rule would be met. He said he hoped more would be done.\n\n"
        "He also stressed that zebra quasar rates would not matter. Markets were calm.\n",
        encoding="utf-8",
    )
    from assistant.embedding.registry import HashEmbedder

    build_index(corpus, tmp_path / "index", embedder=HashEmbedder())
    with opened(tmp_path / "index", policy=LENIENT) as engine:
        first = engine.ask("zebra quasar rates").quotes[0]
    assert first.text == (
        "Mr Balls, who stepped down from his post, said the rule would be met. He said he hoped more would be done.\n\n"
        "He also stressed that zebra quasar rates would not matter."
    )
    assert first.paragraph == 2


# Support of the quoted article (issue 12: abstention on topics never seen).


@pytest.mark.parametrize(
    ("a", "b"),
    [("countries", "country"), ("changes", "changing"), ("change", "changed"), ("Margaret's", "margaret"), ("Penalties", "penalty")],
)
def test_support_stems_meet_across_inflections(a: str, b: str) -> None:
    assert support_stem(a) == support_stem(b)


def test_support_stems_keep_different_words_apart() -> None:
    assert support_stem("class") != support_stem("clash")
    assert support_stem("goalkeeper") != support_stem("goal")


def test_article_support_is_the_share_of_idf_the_article_holds() -> None:
    text = "Keeper saves the cup final. Goalkeeper Tim Howard saved two penalties."
    # 'howard' (rare) and 'penalty' are in the text, 'budget' (common) is not; 'zzz' is in no chunk, so it does not count.
    share = article_support(["howard", "penalty", "budget", "zzz"], [2, 4, 50, 0], 100, text)
    import math

    idf = [math.log(101 / (f + 0.5)) for f in (2, 4, 50)]
    assert share == pytest.approx((idf[0] + idf[1]) / sum(idf))
    assert article_support(["zzz"], [0], 100, text) == 1.0  # nothing the index holds: no evidence either way
    assert article_support(["budget"], [50], 100, text) == 0.0


def _retrieval(phrase: float = 0.0) -> Retrieval:
    top = ScoredSentence(1, 7, 0, 0, 10, 1, 0.5, 0.5, 0.0, 0.0, 1.0, phrase=phrase)
    return Retrieval(sentences=(top,), chunk_ids=(1,), top_dense=0.5, sentence_vectors={})


MINILM = policy_for("all-MiniLM-L6-v2")


def test_the_support_floor_sits_a_margin_above_each_models_threshold() -> None:
    assert MINILM.support_floor == pytest.approx(0.70)
    assert policy_for("hash").support_floor == pytest.approx(ABSTAIN_THRESHOLDS["hash"] + SUPPORT_MARGIN)


@pytest.mark.parametrize(
    ("query", "phrase", "stands"),
    [
        ('"help them foil"', 1.0, True),  # the phrase itself
        ('"help them stop hackers"', 0.8, True),  # one word wrong in four: a near phrase
        ('"help them stop"', 0.8, False),  # one word wrong in three: two words in order are found anywhere
        ('"help them stop"', 0.0, False),
    ],
)
def test_a_quoted_phrase_must_be_found(query: str, phrase: float, stands: bool) -> None:
    reason = unsupported(query_shape(query), _retrieval(phrase), 0.9, True, lambda _a: 1.0, MINILM, large=False)
    assert (reason is None) == stands
    if not stands:
        assert reason is not None and reason.startswith('no passage holds the phrase "help them stop"')


@pytest.mark.parametrize(
    ("query", "confidence", "share", "large", "stands"),
    [
        ("What did the keeper say about the final?", 0.45, 1.0, True, True),  # every rarer word in the article
        ("What did the keeper say about the final?", 0.45, 0.3, True, False),  # another story of the same domain
        ("What did the keeper say about the final?", 0.72, 0.0, True, True),  # cosine far above any same-domain passage
        ("What did the keeper say about the final?", 0.45, 0.3, False, True),  # small index: idf says little
        ("Howard saved penalties cup final", 0.6, 0.95, True, True),  # a fragment's words are its article's
        ("Howard saved penalties cup final", 0.6, 0.8, True, False),
    ],
)
def test_cosine_evidence_needs_the_quoted_articles_support_on_a_large_index(
    query: str, confidence: float, share: float, large: bool, stands: bool
) -> None:
    reason = unsupported(query_shape(query), _retrieval(), confidence, False, lambda _a: share, MINILM, large=large)
    assert (reason is None) == stands


def test_precise_lexical_evidence_needs_no_support() -> None:
    shape = query_shape("Howard saved penalties cup final")
    assert unsupported(shape, _retrieval(), 0.2, True, lambda _a: 0.0, MINILM, large=True) is None


@pytest.mark.parametrize(
    ("following", "score", "joined"),
    [
        ("But a storm dispersed the fleet.", 0.75, True),  # refers back: joins from 70% of the lead's score
        ("There the monks kept up their singing.", 0.75, True),
        ("A storm dispersed the fleet.", 0.75, False),  # stands alone: needs the usual 85%
        ("A storm dispersed the fleet.", 0.9, True),
        ('"But we were never afraid," he said.', 0.75, False),  # a quotation's own 'But'
        ("But a storm dispersed the fleet.", 0.6, False),
    ],
)
def test_a_following_sentence_that_refers_back_joins_the_quote(following: str, score: float, joined: bool) -> None:
    texts = {1: "Richard left for Acre on 5 June.", 2: following, 0: "But the king had other plans."}

    def sentence(sid: int, ord_: int, value: float) -> ScoredSentence:
        return ScoredSentence(sid, 7, ord_, 0, 1, 1, value, value, 0.0, 0.0, value)

    before, lead, after = sentence(0, 0, 0.75), sentence(1, 1, 1.0), sentence(2, 2, score)
    draft = _Draft(lead, lead, lead, [])
    by_pos = {(7, 0): before, (7, 1): lead, (7, 2): after}
    _grow(draft, by_pos, {(7, 1)}, AnswerPolicy(), lambda s: texts[s.sentence_id])
    assert (draft.last is after) == joined
    assert draft.first is lead  # a preceding 'But ...' sentence continues something else: usual ratio


@pytest.mark.parametrize(
    ("article", "lexical", "stands"),
    [
        ("Goalkeeper Tim Howard said: our nation is in peril here.", False, True),  # the quoted words are there
        ("Goalkeeper Tim Howard said: our country is in peril here.", False, True),  # one word wrong in six: near
        ("Goalkeeper Tim Howard saved two penalties.", False, False),
        ("Goalkeeper Tim Howard saved two penalties.", True, True),  # the question's words together in one sentence
    ],
)
def test_a_question_quoting_words_needs_them_in_the_quoted_article(article: str, lexical: bool, stands: bool) -> None:
    shape = query_shape('Who said "our nation is in peril here"?')
    reason = unsupported(shape, _retrieval(), 0.9, lexical, lambda _a: 1.0, MINILM, large=False, article_text=lambda _a: article)
    assert (reason is None) == stands


def test_the_abstention_judges_the_article_ranked_first_without_its_own_support() -> None:
    """Ranking by the article's support of the query's words must not vouch for itself: the support check
    reads the article the other evidence put first ('What is the capital of France?' would otherwise find a
    story holding both words and answer from it)."""
    shape = query_shape("What did the keeper say about the final?")
    found = replace(_retrieval(), judged_article=3)
    asked: list[int] = []

    def support(article_id: int) -> float:
        asked.append(article_id)
        return {7: 1.0, 3: 0.2}[article_id]

    assert unsupported(shape, found, 0.45, False, support, MINILM, large=True) is not None
    assert asked == [3]
    assert unsupported(shape, _retrieval(), 0.45, False, support, MINILM, large=True) is None


def test_the_articles_support_does_not_merge_neighbours() -> None:
    """Every sentence of an article gets the same support term, so it does not count when the answer builder
    asks whether a neighbour is nearly as relevant as the lead."""
    lead = ScoredSentence(1, 7, 0, 0, 10, 1, 0.5, 0.5, 0.0, 0.0, 1.5, support=0.5)
    near = ScoredSentence(2, 7, 1, 11, 20, 1, 0.3, 0.5, 0.0, 0.0, 1.2, support=0.5)
    from assistant.search.answer import _Draft, _grow

    draft = _Draft(lead, lead, lead, [])
    _grow(draft, {(7, 0): lead, (7, 1): near}, {(7, 0)}, AnswerPolicy())
    assert draft.last is lead  # 0.7 < 0.85 x 1.0, though 1.2 >= 0.85 x 1.5


def test_the_article_quoted_first_may_vouch_with_its_own_cosine_and_support() -> None:
    """When the support term put another article first (one holding the query's rarest word), that article's own
    confidence plus its support may answer where the judged article's cannot."""
    shape = query_shape("What did the keeper say about the final?")

    def support(article_id: int) -> float:
        return {7: 1.0, 3: 0.2}[article_id]

    found = replace(_retrieval(), judged_article=3, first_confidence=0.5)
    assert unsupported(shape, found, 0.45, False, support, MINILM, large=True) is None
    weak = replace(_retrieval(), judged_article=3, first_confidence=0.25)
    assert unsupported(shape, weak, 0.45, False, support, MINILM, large=True) is not None
