"""Source lookup (issue 12): query shapes, phrases and near phrases, every mention, absent names, namesakes, lookup eval."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.engines import assert_quotes_verbatim, opened
from support.indexes import index_of

from assistant.search.engine import Engine
from assistant.search.evaluation import LookupItem, read_lookups, score_lookups
from assistant.search.keywords import phrase_match, phrase_searches
from assistant.search.retrieval import Weights
from assistant.text.query import FRAGMENT, NAME, PHRASE, QUESTION, SAID_ABOUT, WHO_SAID, query_shape

ARTICLES = {
    "politics/howard.md": (
        "---\ntitle: Howard demands Iraq advice\ndate: 2005-03-02\n---\n\n"
        "Tory leader Michael Howard called for the full legal advice on the Iraq war to be published. "
        "\"The government must come clean about the legal advice on the war,\" Mr Howard said.\n\n"
        "He also spoke about discipline in schools and the cost of council tax.\n"
    ),
    "sport/howard.md": (
        "---\ntitle: Keeper saves the cup final\ndate: 2005-01-15\n---\n\n"
        "Goalkeeper Tim Howard saved two penalties in the cup final on Saturday. "
        "\"We deserved the win after a long and hard season,\" Howard said.\n"
    ),
    "business/brown-budget.md": (
        "---\ntitle: Brown keeps to his golden rule\ndate: 2005-03-16\n---\n\n"
        "Chancellor Gordon Brown said the golden rule on borrowing would be met with room to spare. "
        "Critics doubt the golden rule can survive another spending round.\n\n"
        "The budget also raised the threshold for stamp duty.\n"
    ),
    "business/brown-autumn.md": (
        "---\ntitle: Autumn statement\ndate: 2004-12-02\n---\n\n"
        "Mr Brown insisted that his golden rules for the public finances were intact. "
        "Inflation stayed low through the autumn.\n"
    ),
    "tech/security.md": (
        "---\ntitle: Banks buy new security software\ndate: 2005-02-10\n---\n\n"
        "New software from the firm will help them foil hackers who attack online bank accounts. "
        "The banks said the cost would be shared with customers.\n"
    ),
    "tech/security-copy.md": (
        "---\ntitle: Banks buy security software\ndate: 2005-02-11\n---\n\n"
        "New software from the firm will help them foil hackers who attack online bank accounts. "
        "Shares in the firm rose by four percent.\n"
    ),
}


@pytest.fixture(scope="module")
def lookup_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_of(tmp_path_factory.mktemp("lookup"), ARTICLES)


@pytest.fixture
def engine(lookup_index: Path) -> Iterator[Engine]:
    with opened(lookup_index) as opened_engine:
        yield opened_engine


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("What did Michael Howard say about Iraq?", SAID_ABOUT),
        ("what has the chancellor said on borrowing", SAID_ABOUT),
        ("Who said the government must come clean?", WHO_SAID),
        ('"help them foil"', PHRASE),
        ("“help them foil”", PHRASE),
        ("Michael Howard", NAME),
        ("Blair lessons inquiry learned mistakes", FRAGMENT),
        ("golden rule borrowing", FRAGMENT),
        ("When did the budget raise stamp duty?", QUESTION),
        ("Is the golden rule intact?", QUESTION),
        ("country with the most Eurovision wins?", QUESTION),
    ],
)
def test_query_shapes_are_recognised(query: str, kind: str) -> None:
    assert query_shape(query).kind == kind


def test_shape_parts_name_the_speaker_topic_phrases_and_names() -> None:
    shape = query_shape("What did Michael Howard say about Iraq?")
    assert (shape.speaker, shape.topic) == ("Michael Howard", "Iraq")
    assert "Michael Howard" in shape.names
    assert query_shape('"help them foil" hackers').phrases == ("help them foil",)
    assert query_shape("What did Mr Howard say about schools?").names[0] == "Howard"
    assert query_shape("golden rule borrowing").names == ()


@pytest.mark.parametrize(
    ("phrase", "text", "score"),
    [
        ("help them foil", "It will help them foil hackers.", 1.0),
        ("golden rule", "his golden rules were intact", 1.0),  # an inflected form
        ("help them stop hackers", "It will help them foil hackers.", 0.8),  # one word misremembered
        ("help foil hackers", "It will help them foil hackers.", 0.8),  # one word left out
        ("will help them to foil", "It will help them foil hackers.", 0.8),  # one word added
        ("help us stop crooks", "It will help them foil hackers.", 0.0),
    ],
)
def test_phrase_and_near_phrase_matching(phrase: str, text: str, score: float) -> None:
    assert phrase_match(phrase, text) == score


def test_a_quoted_phrase_finds_its_sentence_and_is_answered(engine: Engine) -> None:
    answer = engine.ask('"help them foil"')
    assert answer.answered, answer.message
    assert "help them foil" in answer.quotes[0].text
    assert answer.quotes[0].path.startswith("tech/security")
    assert_quotes_verbatim(engine, answer)


def test_a_near_phrase_with_one_word_wrong_still_wins(engine: Engine) -> None:
    answer = engine.ask('"help them stop hackers"')
    assert "help them foil hackers" in answer.quotes[0].text
    assert answer.answered, answer.message
    assert_quotes_verbatim(engine, answer)


def test_every_mention_across_articles_in_date_order(engine: Engine) -> None:
    quotes = engine.mentions("the firm")
    assert [q.path for q in quotes] == ["tech/security.md", "tech/security-copy.md", "tech/security-copy.md"]
    assert all("the firm" in q.text.lower() for q in quotes)
    assert [q.n for q in quotes] == [1, 2, 3]
    for quote in quotes:
        assert engine.article(quote.article_id).text[quote.start : quote.end] == quote.text
    assert engine.mentions('"the firm"') == quotes  # quotes around the phrase change nothing
    assert engine.mentions("firm the") == ()  # the words in order, not anywhere
    # The phrase itself, not its stemmed relatives: 'golden rules' (brown-autumn) is no mention of 'golden rule'.
    assert [q.path for q in engine.mentions("golden rule")] == ["business/brown-budget.md"] * 2
    assert engine.mentions("?!") == ()


def test_mentions_honour_filters(engine: Engine) -> None:
    from assistant.models import Filters

    quotes = engine.mentions("the firm", filters=Filters(article="copy"))
    assert [q.path for q in quotes] == ["tech/security-copy.md"] * 2


def test_mentions_take_inline_filters_and_a_speaker(engine: Engine, lookup_index: Path) -> None:
    from click.testing import CliRunner

    import assistant.cli as cli

    # An inline filter is a filter, not words of the phrase.
    assert [q.path for q in engine.mentions("golden rule since:2005-01-01")] == ["business/brown-budget.md"] * 2
    # speaker: keeps the sentences inside that person's quotations; none of Mr Howard's names the legal advice...
    assert [q.text for q in engine.mentions("legal advice speaker:Howard")] == [
        "\"The government must come clean about the legal advice on the war,\" Mr Howard said."
    ]
    # ... and Tim Howard's are not Michael Howard's.
    assert engine.mentions("long and hard season speaker:\"Michael Howard\"") == ()
    runner = CliRunner()
    out = runner.invoke(cli.main, ["mentions", "legal advice", "--speaker", "Michael Howard", "--index", str(lookup_index)])
    assert out.exit_code == 0 and out.output.startswith("1 mention in 1 article"), out.output
    none = runner.invoke(cli.main, ["mentions", "golden rule until:2004-01-01", "--index", str(lookup_index)])
    assert none.exit_code == 0 and none.output.strip() == "no article mentions golden rule (until 2004-01-01)"
    bad = runner.invoke(cli.main, ["mentions", "golden rule since:yesterday-ish", "--index", str(lookup_index)])
    assert bad.exit_code != 0 and len(bad.output.strip().splitlines()) == 1, bad.output


def test_someone_absent_from_the_corpus_is_named_as_absent(engine: Engine) -> None:
    answer = engine.ask("What did Boris Johnson say about the budget?")
    assert not answer.answered
    assert "no article mentions Boris Johnson" in answer.message
    assert all(q.weak for q in answer.quotes)
    assert_quotes_verbatim(engine, answer)


def test_a_speaker_who_never_speaks_of_the_topic_is_said_so(engine: Engine) -> None:
    answer = engine.ask("What did Tim Howard say about council tax?")
    assert not answer.answered
    assert "no article has Tim Howard speaking about council tax" in answer.message
    assert_quotes_verbatim(engine, answer)


def test_what_did_x_say_about_y_keeps_to_the_articles_of_x_on_y(engine: Engine) -> None:
    answer = engine.ask("What did Michael Howard say about the war?")
    assert answer.quotes[0].path == "politics/howard.md"


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("Howard government clean legal advice", "politics/howard.md"),
        ("Howard deserved win hard season", "sport/howard.md"),
    ],
)
def test_a_surname_is_decided_by_the_other_words(engine: Engine, query: str, path: str) -> None:
    answer = engine.ask(query)
    assert answer.quotes[0].path == path
    assert answer.answered, answer.message
    assert_quotes_verbatim(engine, answer)


def test_lookup_eval_counts_hits_and_duplicates(engine: Engine, tmp_path: Path) -> None:
    text = engine.article(engine.mentions("foil hackers")[0].article_id).text
    offset = text.index("New software")
    end = text.index("accounts.") + len("accounts.")
    lines = [
        {"question": "software foil hackers bank accounts", "path": "tech/security-copy.md", "start": offset, "end": end, "kind": "fragment"},
        {"question": "Howard deserved win hard season", "path": "sport/howard.md", "start": 0, "end": 5, "kind": "fragment"},
        {"question": "What did Boris Johnson say about Brexit?", "path": None, "start": None, "end": None, "answerable": False},
    ]
    file = tmp_path / "set.jsonl"
    file.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    items = read_lookups(file)
    assert [i.kind for i in items] == ["fragment", "fragment", "unanswerable"]
    report = score_lookups(engine, items)
    # The first lookup is a hit whichever copy of the story comes first (the other is in also_in);
    # the second targets the title line, which no quote overlaps.
    assert report.by_kind["fragment"]["hit_at_1"] == 0.5
    assert report.abstained == 1.0
    bm25 = score_lookups(engine, items, "bm25")
    assert bm25.by_kind["fragment"]["hit_at_1"] == 0.5


def test_a_bad_lookup_line_is_one_clear_error(tmp_path: Path) -> None:
    file = tmp_path / "bad.jsonl"
    file.write_text('{"question": "x", "path": "a.txt", "start": "one", "end": 2}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="bad.jsonl:1: start and end must be integers"):
        read_lookups(file)
    file.write_text("not json\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.jsonl:1: not a lookup line"):
        read_lookups(file)


def test_lookup_item_without_target_is_unanswerable() -> None:
    item = LookupItem("q", None, None, None, "unanswerable")
    assert item.path is None


def test_a_short_quoted_phrase_the_corpus_lacks_is_said_so(engine: Engine) -> None:
    answer = engine.ask('"help them stop"')  # only 'help them' in order is in the corpus
    assert not answer.answered
    assert answer.message.startswith('no passage holds the phrase "help them stop"')
    assert answer.quotes and all(q.weak for q in answer.quotes)
    assert_quotes_verbatim(engine, answer)


def test_on_a_large_index_a_lookup_whose_words_are_in_other_stories_is_weak(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.search.engine as engine_module

    monkeypatch.setattr(engine_module, "LARGE_INDEX_CHUNKS", 1)  # this corpus counts as large: idf is evidence
    mixed = engine.ask("Howard penalties budget stamp duty")  # words of three stories, none holds them all
    assert not mixed.answered
    assert "lack most of the query's words" in mixed.message
    assert all(q.weak for q in mixed.quotes)
    assert_quotes_verbatim(engine, mixed)
    for precise in ("Howard government clean legal advice", "Who saved two penalties in the cup final?", "What did Michael Howard say about Iraq?"):
        answer = engine.ask(precise)
        assert answer.answered, (precise, answer.message)


def test_a_question_quoting_words_no_article_holds_is_weak(engine: Engine) -> None:
    answer = engine.ask('Who said "the cup final was a disgrace"?')  # the keeper's story, not his words
    assert not answer.answered
    assert answer.message.startswith('the closest passages do not hold "the cup final was a disgrace"')
    assert all(q.weak for q in answer.quotes)
    assert_quotes_verbatim(engine, answer)
    found = engine.ask('Who said "We deserved the win"?')
    assert found.answered and found.quotes[0].path == "sport/howard.md"


def test_two_names_side_by_side_are_not_one_absent_name(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.search.engine as engine_module

    monkeypatch.setattr(engine_module, "LARGE_INDEX_CHUNKS", 1)  # on a large index a name never written counts as absent
    # 'Howard Iraq' is never written, but one sentence holds both: two names, not an absent one ('Wenger Arsenal').
    answer = engine.ask("Howard Iraq")
    assert "no article mentions" not in answer.message
    assert answer.quotes and answer.quotes[0].path == "politics/howard.md"
    # A full name beside another name ('Matt Williams Scotland', 'Joss Stone Brit'): each part is written somewhere.
    answer = engine.ask("Michael Howard Iraq legal advice")
    assert "no article mentions" not in answer.message
    assert answer.quotes and answer.quotes[0].path == "politics/howard.md"
    # A name whose words never meet in a sentence is still absent, and so is one whose parts are not written as such.
    assert "no article mentions Boris Johnson" in engine.ask("Boris Johnson budget").message
    assert "no article mentions Gordon Howard Brown" in engine.ask("Gordon Howard Brown budget").message


def test_the_mentions_command_says_when_its_list_stops(lookup_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from click.testing import CliRunner

    import assistant.cli as cli

    monkeypatch.setattr(cli, "MENTIONS_LIMIT", 2)  # 'the firm' is in 3 sentences
    runner = CliRunner()
    cut = runner.invoke(cli.main, ["mentions", "the firm", "--index", str(lookup_index)])
    assert cut.exit_code == 0 and cut.output.splitlines()[0].startswith("only the first 2 mentions are listed")
    assert "the first 2 mentions in 2 articles" in cut.output
    as_json = runner.invoke(cli.main, ["mentions", "the firm", "--json", "--index", str(lookup_index)])
    listed = json.loads(as_json.stdout)
    assert sum(len(a["mentions"]) for a in listed) == 2 and "only the first 2" in as_json.stderr
    monkeypatch.setattr(cli, "MENTIONS_LIMIT", 3)
    whole = runner.invoke(cli.main, ["mentions", "the firm", "--index", str(lookup_index)])
    assert "only the first" not in whole.output and whole.output.startswith("3 mentions in 2 articles")


def test_a_quote_lists_the_twin_story_even_when_the_twin_was_no_candidate(tmp_path: Path) -> None:
    # BBC files some stories twice under two numbers, byte for byte: the copy holds the quote at the same
    # offsets, so it is in also_in whether or not the ranking looked at it.
    from dataclasses import replace

    from assistant.search.answer import build_quotes

    story = "Banks buy new security software\n\nNew software will help banks foil hackers who raid bank accounts.\n"
    index = index_of(tmp_path, {"tech/101.txt": story, "tech/202.txt": story, "sport/1.txt": "Cup final\n\nThe cup final was won.\n"})
    with opened(index) as engine:
        _, found = engine.answer_with_evidence("software foil hackers bank accounts")
        assert found is not None and found.articles is not None
        paths = {found.articles.get(s.article_id).path: s.article_id for s in found.sentences}
        assert {"tech/101.txt", "tech/202.txt"} <= set(paths)
        keep = "tech/101.txt"
        only_one = replace(found, sentences=tuple(s for s in found.sentences if s.article_id == paths[keep]))
        quote = build_quotes(engine.store, only_one, 1, engine.policy)[0]
        assert quote.path == keep
        assert [(loc.path, loc.start, loc.end) for loc in quote.also_in] == [("tech/202.txt", quote.start, quote.end)]
        assert engine.article(paths["tech/202.txt"]).text[quote.start : quote.end] == quote.text


def test_phrase_searches_are_the_phrase_then_its_near_forms() -> None:
    exact, near = phrase_searches(("consumers aren't willing",))
    assert exact == "body : (\"consumers aren't willing\")"
    # One word wrong, left out or added: the words before some position and the words after it.
    assert near == "body : (\"aren't willing\" OR (\"consumers\" AND \"willing\") OR \"consumers aren't\")"
    assert phrase_searches(("golden rule",)) == ('body : ("golden rule")',)  # too short for a near form
    assert phrase_searches(("",)) == ()


def test_a_quoted_phrase_is_a_candidate_whatever_its_words_weigh(tmp_path: Path) -> None:
    """ "aren't" is a stopword, so the keyword search looked for 'consumers' OR 'willing' and the phrase's own sentence,
    outside the best chunk, was never scored: 'no passage holds the phrase'. A near form with one word misremembered
    ("keen" for "willing") is found the same way."""
    index = index_of(tmp_path, {
        "business/hybrids.md": (
            "---\ntitle: Hybrid cars\ndate: 2005-01-10\n---\n\n"
            "\"The average consumers aren't willing to pay that premium for a car,\" said Anthony Pratt.\n"
        ),
        "business/shoppers.md": (
            "---\ntitle: Consumers willing to spend\ndate: 2005-01-11\n---\n\n"
            "Consumers are willing to spend, and consumers said they were willing to wait for the sales. "
            "Willing consumers lifted the shops.\n"
        ),
    })
    with opened(index) as engine:
        engine.weights = dataclasses.replace(Weights(), candidates=1, lexical_k=0, dense_sentences=0, story_articles=0)
        for asked in ('"consumers aren\'t willing"', '"consumers aren\'t keen to pay"'):
            answer = engine.ask(asked)
            assert answer.quotes and "consumers aren't willing" in answer.quotes[0].text, asked
            assert answer.quotes[0].path == "business/hybrids.md"
            assert_quotes_verbatim(engine, answer)
        assert engine.ask('"consumers aren\'t willing"').answered


BAND = {
    "entertainment/band.md": (
        "---\ntitle: Band back in the studio\ndate: 2005-01-20\n---\n\n"
        "Geoff Barrow and the band have spent the winter writing new songs.\n\n"
        "\"We've just had our heads down really, we've never actually broken up, or parted. "
        "So for us it just seems like another record,\" Barrow told the magazine.\n"
    ),
}


def test_a_quotations_speaker_counts_as_its_sentences_context(tmp_path: Path) -> None:
    """A fragment's surname names the speaker, whom the story may name only after the quotation's last sentence: the
    first sentence still holds every word of 'Barrow heads broken parted actually'. For 'Who said ...?' the speaker is
    what is asked, so a name there is no evidence for that person's own words."""
    with opened(index_of(tmp_path, BAND)) as engine:
        first = engine.article(1).text.index("\"We've")
        _, found = engine.answer_with_evidence("Barrow heads broken parted actually")
        assert found is not None
        top = found.sentences[0]
        assert top.start == first
        assert top.covered == pytest.approx(1.0)
        _, asked = engine.answer_with_evidence("Who said Barrow heads broken parted actually?")
        assert asked is not None
        held = next(s for s in asked.sentences if s.start == first)
        assert held.covered < 1.0
