"""Hybrid retrieval on a small real index (hash embedder): fusion, question types, filters, sentence spans."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.models import Filters
from assistant.search.engine import Engine
from assistant.search.retrieval import Retrieval, Weights, answer_type, fuse, fuse_linear, retrieve
from support.engines import opened


@pytest.fixture(scope="module")
def engine(small_index: tuple[Path, Path]) -> Iterator[Engine]:
    with opened(small_index[1]) as engine:
        yield engine


def search(engine: Engine, question: str, filters: Filters | None = None, weights: Weights | None = None) -> Retrieval:
    vector = engine.embedder.encode([question])[0]
    return retrieve(engine.store, vector, question, filters or Filters(), weights or Weights())


def article_of(engine: Engine, article_id: int) -> tuple[str, str | None, dt.date | None]:
    article = engine.article(article_id)
    return article.text, article.source, article.date


def test_reciprocal_rank_fusion_adds_one_over_k_plus_rank() -> None:
    scores = fuse([[1, 2], [2, 3]], k=10.0)
    assert scores == pytest.approx({1: 1 / 11, 2: 1 / 12 + 1 / 11, 3: 1 / 12})
    assert sorted(scores, key=scores.__getitem__, reverse=True) == [2, 1, 3]
    assert fuse([], k=10.0) == {}


def test_linear_fusion_scales_bm25_by_the_best_and_floors_keyword_only_chunks() -> None:
    dense = [(1, 0.9), (2, 0.5)]
    keyword = [(2, 8.0), (3, 4.0)]
    scores = fuse_linear(dense, keyword, share=0.25)
    # 2: its cosine plus a full share; 3 (keyword only): the lowest cosine seen plus half a share.
    assert scores == pytest.approx({1: 0.9, 2: 0.5 + 0.25, 3: 0.5 + 0.125})
    assert fuse_linear(dense, [], share=0.25) == dict(dense)
    assert fuse_linear([], [(7, 2.0)], share=0.5) == pytest.approx({7: 0.5})


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When did the bank raise rates?", "number"),
        ("How many penalties did he save?", "number"),
        ("In what year was the club founded?", "number"),
        ("number of kids bunking off lessons every day", "number"),  # a fragment asking for a number
        ("What share of households watch less television?", "number"),
        ("Who said Azerbaijan will not negotiate?", "name"),
        ("whose office declined to comment", "name"),
        ("What did the governor say about inflation?", None),
        ("Why did the volcano erupt?", None),
    ],
)
def test_answer_type_of_a_question(question: str, kind: str | None) -> None:
    assert answer_type(question) == kind


def test_sentences_come_best_first_with_exact_spans(engine: Engine) -> None:
    found = search(engine, "Who said Azerbaijan will not negotiate with the self-styled leaders?")
    scores = [s.score for s in found.sentences]
    assert found.sentences and scores == sorted(scores, reverse=True)
    assert len(set(found.chunk_ids)) == len(found.chunk_ids) <= Weights().candidates
    for sentence in found.sentences:
        text = engine.article(sentence.article_id).text
        assert 0 <= sentence.start < sentence.end <= len(text)
        assert text[sentence.start : sentence.end].strip() == text[sentence.start : sentence.end]
    best = found.sentences[0]
    assert "negotiate" in engine.article(best.article_id).text[best.start : best.end]


def test_filters_restrict_both_searches_before_ranking(engine: Engine) -> None:
    everywhere = {s.article_id for s in search(engine, "interest rates").sentences}
    assert {article_of(engine, a)[1] for a in everywhere} >= {"BBC", "Reuters"}
    reuters = search(engine, "interest rates", Filters(source="reuters")).sentences
    assert reuters and {article_of(engine, s.article_id)[1] for s in reuters} == {"Reuters"}
    until = dt.date(2004, 12, 31)
    dated = search(engine, "interest rates", Filters(until=until)).sentences
    assert all((day := article_of(engine, s.article_id)[2]) is not None and day <= until for s in dated)


def test_a_filter_matching_nothing_finds_nothing(engine: Engine) -> None:
    found = search(engine, "interest rates", Filters(source="no such outlet"))
    assert found.sentences == () and found.chunk_ids == ()


def test_fewer_candidates_score_fewer_chunks(engine: Engine) -> None:
    one = search(engine, "interest rates", weights=Weights(candidates=1))
    many = search(engine, "interest rates", weights=Weights(candidates=4))
    assert len(one.chunk_ids) == 1 and len(many.chunk_ids) == 4
    assert one.chunk_ids[0] == many.chunk_ids[0]


@pytest.mark.parametrize(
    ("text", "word", "held"),
    [
        ("the countries agreed", "country", True),  # y / ies folded
        ("margaret's speech", "Margaret", True),  # possessive off
        ("prices changed at the start", "changing", True),
        ("restart the talks", "start", False),  # a stem inside another word is not that word
        ("the arts council", "art", True),
        ("a startling claim", "start", False),  # same opening, another stem
    ],
)
def test_an_articles_support_finds_a_query_words_stem_at_the_start_of_a_word(text: str, word: str, held: bool) -> None:
    from assistant.search.keywords import support_stem
    from assistant.search.retrieval import _opens_word

    stem = support_stem(word)
    opening = stem[:-1] if stem.endswith("i") else stem
    assert _opens_word(text, opening, stem, support_stem) is held


def test_said_about_finds_the_speakers_reported_words_and_weighs_the_topic_by_rarity() -> None:
    from assistant.index.fts import KeywordQuery
    from assistant.search.retrieval import _said_about, _said_about_match, _topic_share
    from assistant.text.query import query_shape

    shape = query_shape("What did Gordon Brown say about the golden rule?")
    assert _said_about_match(shape) == 'body : ("Brown" AND ("golden" OR "rule"))'
    plan = KeywordQuery(None, ('"golden"', '"rule"'), (3.0, 1.0), ())
    reports, stems = _said_about(shape, plan)
    assert reports is not None
    assert reports.search('Mr Brown said he had met his financial "golden rule"')
    assert reports.search("In his report, Mr Brown insisted he was on course")
    assert reports.search("borrowing would fall, said Mr Brown.")
    assert not reports.search('The shadow chancellor said Mr Brown’s "golden rule" had turned to dross')
    assert not reports.search("The shadow chancellor said Mr Brown's rule had turned to dross")
    assert not reports.search("Analysts said Mr Brown was wrong")
    assert _topic_share("the golden age", stems) == 0.75 and _topic_share("a rule of thumb", stems) == 0.25
    assert _said_about(query_shape("What did the union official say about pay?"), plan)[0] is None
    # A role whose capitals are an organisation's: 'The SEC said ...' is not the chairman speaking.
    assert _said_about(query_shape("What did the SEC chairman say about the golden rule?"), plan)[0] is None
    assert _said_about_match(query_shape("What did the SEC chairman say about foreign firms?")) is None
    assert _said_about_match(query_shape("What did Tory leader Michael Howard say about Europe?")) == 'body : ("Howard" AND ("europe"))'


class _Quotations:
    """A store holding only quotations: (article id, start, end, speaker, role)."""

    def __init__(self, rows: list[tuple[int, int, int, str | None, str | None]]) -> None:
        self.rows = rows

    def quotations_of(self, article_ids: set[int]) -> list[tuple[int, int, int, str | None, str | None]]:
        return [r for r in self.rows if r[0] in article_ids]


def test_a_later_mention_of_a_speaker_takes_the_role_given_at_the_first() -> None:
    from types import SimpleNamespace

    from assistant.search.retrieval import _speaker_evidence

    store = _Quotations([
        (1, 0, 50, "Kim Yungmin", "an equity strategist at Dongwon"),
        (1, 60, 120, "Yoo Ji-chang", "governor of Korean Development Bank"),
        (1, 200, 260, "Mr Kim", None),
        (1, 300, 340, "Mr Park", None),  # nobody of that name has a role
    ])
    rows = [SimpleNamespace(id=n, article_id=1, start=s, end=s + 10) for n, s in enumerate((0, 60, 200, 300))]
    # Only the words describing the speaker count: 'Korean' in the gist does not make the governor a strategist.
    assert _speaker_evidence(store, rows, "strategist") == {0: 1, 1: 0, 2: 1, 3: 0}


def test_the_words_introducing_a_speaker_describe_them_when_the_stored_role_is_cut_short() -> None:
    from types import SimpleNamespace

    from assistant.search.retrieval import _introduction, _speaker_evidence

    text = (
        "Jones medals 'must go if guilty'\n\nWorld Anti-Doping Agency (WADA) chief Dick Pound says Jones should be stripped. "
        "Jeff Joseph, from the Consumer Electronics Association, told the BBC the show was about choice. "
        '"It is about personalisation," he said. Shamil Tarpishchev said: "We would have known."'
    )
    assert _introduction(text, "Dick Pound").split() == ["World", "Anti-Doping", "Agency", "(WADA)", "chief"]
    assert _introduction(text, "Jeff Joseph").split() == ["from", "the", "Consumer", "Electronics", "Association"]
    assert _introduction(text, "Shamil Tarpishchev").split() == []
    assert _introduction(text, "Nobody Here") == ""
    pound, joseph = text.index("Jones should"), text.index('"It is')
    store = _Quotations([(1, pound, pound + 20, "Dick Pound", "chief"), (1, joseph, joseph + 20, "Jeff Joseph", None)])
    rows = [SimpleNamespace(id=0, article_id=1, start=pound, end=pound + 5), SimpleNamespace(id=1, article_id=1, start=joseph, end=joseph + 5)]
    cache = SimpleNamespace(get=lambda article_id: SimpleNamespace(text=text))
    # Without the article's words only the stored role counts ('chief'); with them 'anti-doping' and the association too.
    assert _speaker_evidence(store, rows, "the anti-doping chief") == {0: 1, 1: 0}
    assert _speaker_evidence(store, rows, "the anti-doping chief", cache) == {0: 2, 1: 0}
    assert _speaker_evidence(store, rows, "the Consumer Electronics Association spokesman", cache) == {0: 0, 1: 2}


def test_the_quotations_of_someone_the_question_names_outside_the_speakers_description_are_spoken_of() -> None:
    from types import SimpleNamespace

    from assistant.search.retrieval import _spoken_of

    store = _Quotations([
        (1, 0, 50, "Lleyton Hewitt", None),
        (1, 60, 120, "Ivo Minar", "20-year-old"),
        (2, 0, 40, "Lleyton Hewitt", None),
    ])
    rows = [SimpleNamespace(id=n, article_id=a, start=s, end=s + 10) for n, (a, s) in enumerate(((1, 0), (1, 60), (2, 0), (2, 45)))]
    # 'Which Czech qualifier said nerves kept him awake before facing Hewitt?': Hewitt is not the qualifier.
    assert _spoken_of(store, rows, ("Czech", "Hewitt"), "Czech qualifier") == {0, 2}
    # A name inside the description is the speaker's own ('What did Hewitt say ...').
    assert _spoken_of(store, rows, ("Hewitt",), "Hewitt") == set()
    assert _spoken_of(store, rows, ("Lleyton Hewitt",), "Lleyton Hewitt") == set()
    assert _spoken_of(store, rows, (), "the Czech qualifier") == set()


def test_within_an_article_the_story_names_do_not_rank_its_sentences() -> None:
    from assistant.search.retrieval import ScoredSentence, _without_story_credit

    def sentence(sid: int, article: int, score: float) -> ScoredSentence:
        return ScoredSentence(sid, article, sid, 0, 1, 1, 0.5, 0.5, 0.0, 0.0, score)

    # Article 1: the lead (1) names the story and wins by that credit alone; the quotation (2) does not name it.
    scored = [sentence(1, 1, 1.8), sentence(2, 1, 1.75), sentence(3, 2, 1.78), sentence(4, 2, 1.5)]
    ranked = sorted(_without_story_credit(scored, {1: 0.1, 4: 0.05}), key=lambda s: s.score, reverse=True)
    assert [s.sentence_id for s in ranked] == [2, 3, 1, 4]
    # Each article keeps its own scores: only which of its sentences holds them changes.
    assert sorted(s.score for s in ranked if s.article_id == 1) == [1.75, 1.8]
    assert {s.sentence_id: s.score for s in ranked if s.article_id == 2} == {3: 1.78, 4: 1.5}


def test_story_words_are_the_query_words_of_the_title_or_lead_that_a_sentence_holds() -> None:
    from types import SimpleNamespace

    from assistant.index.fts import KeywordQuery
    from assistant.search.retrieval import _story_shares

    text = "Kilroy-Silk launches party\n\nMr Kilroy-Silk said the party would avoid spin. He spoke in London.\n\nMore."
    cache = SimpleNamespace(get=lambda _: SimpleNamespace(title="Kilroy-Silk launches party", text=text))
    plan = KeywordQuery(None, ('"kilroy"', '"silk"', '"party"', '"britons"'), (2.0, 1.0, 1.0, 2.0), ())
    rows = [SimpleNamespace(id=1, article_id=7), SimpleNamespace(id=2, article_id=7), SimpleNamespace(id=3, article_id=7)]
    context = {
        1: ("", "Mr Kilroy-Silk said the party would avoid spin.", ""),
        2: ("", '"While UKIP has turned its back on the British people, I shall not," he said.', ""),
        3: ("", "Ordinary Britons, he said, were let down.", "The party split."),  # 'party' in the sentence before
    }
    shares = _story_shares(plan, cache, rows, context, {1: 0.8, 2: 0.1, 3: 0.5})
    assert shares[1] == pytest.approx(4 / 6) and shares[2] == 0.0 and shares[3] == pytest.approx(1 / 6)


def test_story_words_are_set_aside_for_speech_and_gist_questions_only() -> None:
    from assistant.search.retrieval import _story_ranks_nothing

    assert _story_ranks_nothing(True, {1: 1.0})  # what someone said: the quotation seldom names the story
    assert _story_ranks_nothing(False, {1: 0.5, 2: 0.3})  # a gist: no sentence holds most of the question's words
    assert not _story_ranks_nothing(False, {1: 0.9, 2: 0.3})  # the question copies a sentence's words (SQuAD)


@pytest.mark.parametrize(
    ("text", "reported"),
    [
        ("He believes that elements of the security services carried out renegade actions.", True),
        ("A spokesman for the Home Office said it was wholly wrong to suggest the plan.", True),
        ("He also said that the fact the woman waited a year were factors in his decision.", True),
        ("The deal will bring together famous stores like Macy's.", False),
        ("Mars underwent hip replacement surgery in October.", False),
        ("Hill, who had been suffering from cancer, co-wrote the 1978 film.", False),  # not 'wrote the'
        ('"We will win," he said.', False),  # a quotation's tail: the quotation store has it
    ],
)
def test_reported_speech_counts_as_something_said(text: str, reported: bool) -> None:
    from assistant.search.retrieval import _reports_speech

    assert _reports_speech(text) is reported
