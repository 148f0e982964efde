"""Every mention of a phrase is the phrase itself (QA): the FTS query only finds candidates, each kept sentence holds
the phrase's exact words in order, symbols and all, whole words at both ends; case, spacing, line breaks and
straight or typographic apostrophes aside. The limit counts the sentences kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import assistant.cli as cli
from assistant.models import Filters
from assistant.search.engine import Engine
from support.engines import opened
from support.indexes import index_of

ARTICLES = {
    "early.md": (
        "---\ntitle: Agencies agree to share data\ndate: 2005-01-05\n---\n\n"
        "Cooperation between the agencies improved this year.\n\n"
        "Officials praised the cooperation of the two police forces.\n\n"
        "Cooperative banks were not part of the talks.\n\n"
        "The crossings at the border were closed on Monday.\n"
    ),
    "late.md": (
        "---\ntitle: Minister answers critics\ndate: 2005-03-01\n---\n\n"
        "Yvette Cooper said the plan would work.\n\n"
        "Ms Cooper's aides said little more.\n\n"
        "Mr Cross said the border would reopen.\n\n"
        "Prices rose 10% in May and 19% over the year.\n\n"
        "Prices rose 10 points in June, after a 100% rise in rents.\n\n"
        "The summit on 19-20 March will discuss the chancellor’s golden rule.\n\n"
        "New software will help them\nfoil hackers who raid bank accounts.\n"
    ),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_of(tmp_path_factory.mktemp("mentions-exact"), ARTICLES)


@pytest.fixture(scope="module")
def engine(index: Path) -> Iterator[Engine]:
    with opened(index) as opened_engine:
        yield opened_engine


def texts(engine: Engine, phrase: str, **kwargs: object) -> list[str]:
    return [q.text for q in engine.mentions(phrase, **kwargs)]  # type: ignore[arg-type]


def test_a_stemmed_relative_is_no_mention(engine: Engine) -> None:
    assert texts(engine, "cooperation") == [
        "Cooperation between the agencies improved this year.",
        "Officials praised the cooperation of the two police forces.",
    ]
    assert texts(engine, "crossings") == ["The crossings at the border were closed on Monday."]
    # The other way round: a name is a whole word ('Cooperation' and 'Cooperative' are not Cooper), a possessive counts.
    assert texts(engine, "Cooper") == ["Yvette Cooper said the plan would work.", "Ms Cooper's aides said little more."]
    assert texts(engine, "Cross") == ["Mr Cross said the border would reopen."]


def test_symbols_are_kept_and_numbers_are_whole(engine: Engine) -> None:
    assert texts(engine, "10%") == ["Prices rose 10% in May and 19% over the year."]
    assert texts(engine, "19%") == ["Prices rose 10% in May and 19% over the year."]
    assert texts(engine, "10") == ["Prices rose 10% in May and 19% over the year.", "Prices rose 10 points in June, after a 100% rise in rents."]
    assert texts(engine, "100%") == ["Prices rose 10 points in June, after a 100% rise in rents."]


def test_case_spacing_line_breaks_and_apostrophes_do_not_matter(engine: Engine) -> None:
    foil = ["New software will help them\nfoil hackers who raid bank accounts."]
    assert texts(engine, "HELP them   foil") == foil  # a line break in the text, spaces in the phrase
    assert texts(engine, '"help them foil"') == foil  # the quoted form
    assert texts(engine, "“help them foil”") == foil
    golden = ["The summit on 19-20 March will discuss the chancellor’s golden rule."]
    assert texts(engine, "chancellor's golden rule") == golden  # a straight apostrophe finds a typographic one
    assert texts(engine, "Ms Cooper’s aides") == ["Ms Cooper's aides said little more."]  # and the other way round
    assert texts(engine, "golden rules") == []


def test_the_limit_counts_the_sentences_kept(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.search.engine as engine_module

    monkeypatch.setattr(engine_module, "MENTION_BATCH", 2)  # candidates checked two at a time
    # 'cooper' is the stem of five sentences; the three earliest are no mention of Cooper, and filters drop more.
    assert texts(engine, "Cooper", limit=1) == ["Yvette Cooper said the plan would work."]
    assert texts(engine, "Cooper", limit=2) == ["Yvette Cooper said the plan would work.", "Ms Cooper's aides said little more."]
    assert texts(engine, "cooperation", filters=Filters(article="early"), limit=1) == [
        "Cooperation between the agencies improved this year."
    ]
    assert texts(engine, "cross", filters=Filters(article="late"), limit=1) == ["Mr Cross said the border would reopen."]


def test_the_mentions_command_lists_the_phrase_itself(index: Path) -> None:
    out = CliRunner().invoke(cli.main, ["mentions", "crossings", "--index", str(index)])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("1 mention in 1 article") and "Mr Cross" not in out.output
    none = CliRunner().invoke(cli.main, ["mentions", "19%", "--article", "nowhere", "--index", str(index)])
    assert none.exit_code == 0 and none.output.startswith("no article mentions 19%")
