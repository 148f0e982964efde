"""One rule for telling whether two names mean one person (QA): 'Sir Digby' is the knight whose first name is Digby,
'zoe muller' is Zoë Müller; a bare first name or another person's namesake is never taken for them. The draft check,
`quotes --by`, `mentions --speaker`, the MCP `quotes_by` tool and follow-ups all use it."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import assistant.cli as cli
from assistant.index import quotation_store
from assistant.mcp_server import Tools
from assistant.models import Answer, Filters, Quote, Speaker
from assistant.search.draft_check import check_draft, same_person as draft_same_person
from assistant.search.engine import Engine
from assistant.settings import Settings
from assistant.text.followup import shown_speaker
from assistant.text.names import same_person
from support.engines import opened
from support.indexes import index_of
from support.tui import MINISTER, QUOTAS, quote_of

ARTICLES = {
    "cbi.md": (
        "---\ntitle: Business leaders want stability\ndate: 2005-02-01\n---\n\n"
        "Sir Digby Jones, the CBI director general, spoke on Monday.\n\n"
        "\"Business needs stability more than anything else this year,\" Sir Digby said.\n\n"
        "He added: \"Firms will not invest while the rules keep changing.\"\n"
    ),
    "farm.md": (
        "---\ntitle: Farmers fear another wet winter\ndate: 2005-02-02\n---\n\n"
        "Bob Digby, a sheep farmer, was blunt about the season.\n\n"
        "\"We cannot carry on like this for another winter,\" Mr Digby said.\n"
    ),
    "bank.md": (
        "---\ntitle: Economists doubt recovery\ndate: 2005-02-03\n---\n\n"
        "Zoë Müller, an economist at Nordbank, was unimpressed.\n\n"
        "\"The figures show no sign of a recovery before the summer,\" Ms Müller said.\n"
    ),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_of(tmp_path_factory.mktemp("names"), ARTICLES)


@pytest.fixture(scope="module")
def engine(index: Path) -> Iterator[Engine]:
    with opened(index) as opened_engine:
        yield opened_engine


def test_the_rule() -> None:
    assert same_person("Sir Digby", "Sir Digby Jones") and same_person("Sir Digby Jones", "Sir Digby")
    assert same_person("Dame Kelly", "Kelly Holmes") and same_person("Sir Digby", "sir digby")
    assert not same_person("Sir Digby", "Bob Digby")  # a knight's first name is no surname
    assert not same_person("Sir Digby", "Digby") and not same_person("Sir Digby", "Mr Digby")
    assert not same_person("Digby", "Digby Jones")  # a bare first name never matches by first name
    assert not same_person("Sir Digby", "Sir Alan")
    assert same_person("zoe muller", "Zoë Müller") and same_person("Ms Muller", "Zoë Müller")
    assert same_person("Lord Kinnock", "Neil Kinnock")  # a peer is named by title and surname
    assert same_person("Olsen", "Maria Olsen") and not same_person("Maria Olsen", "Anna Olsen")


def test_the_draft_check_uses_it(engine: Engine) -> None:
    assert draft_same_person("Sir Digby", "Sir Digby Jones") and draft_same_person("Zoe Muller", "Zoë Müller")
    assert not draft_same_person("Sir Digby", "Bob Digby") and not draft_same_person("Digby", "Digby Jones")
    draft = (
        "\"Business needs stability more than anything else this year,\" Sir Digby said.\n\n"
        "\"The figures show no sign of a recovery before the summer,\" said Zoe Muller.\n\n"
        "\"We cannot carry on like this for another winter,\" Sir Digby said.\n"
    )
    assert [c.status for c in check_draft(engine, draft).checks] == ["exact", "exact", "wrong_speaker"]


def test_quotes_by_a_knight_or_without_diacritics(engine: Engine, index: Path) -> None:
    db = engine.db
    match = quotation_store.resolve_person(db, "Sir Digby")
    assert match.keys == ("digby jones",) and match.name == "Sir Digby Jones" and match.others == ()
    assert quotation_store.resolve_person(db, "Digby").keys == ("bob digby",)  # a surname stays a surname
    assert quotation_store.resolve_person(db, "Dame Zoe").name == "Zoë Müller"  # a first name, diacritics aside
    assert quotation_store.resolve_person(db, "Sir Jones").keys == ()  # Jones is no first name
    assert quotation_store.resolve_person(db, "zoe muller").name == "Zoë Müller"
    assert quotation_store.resolve_person(db, "Muller").name == "Zoë Müller"
    assert [q.speaker.name for q in quotation_store.quotations_by(db, "Sir Digby") if q.speaker] == ["Sir Digby Jones"] * 2
    runner = CliRunner()
    out = runner.invoke(cli.main, ["--index", str(index), "quotes", "--by", "Sir Digby", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["person"] == "Sir Digby Jones" and len(data["quotes"]) == 2
    out = runner.invoke(cli.main, ["--index", str(index), "quotes", "--by", "zoe muller", "--json"])
    assert json.loads(out.output)["person"] == "Zoë Müller"


def test_mentions_by_a_speaker(engine: Engine, index: Path) -> None:
    said = [q.text for q in engine.mentions("stability", filters=Filters(speaker="Sir Digby"))]
    assert said == ["\"Business needs stability more than anything else this year,\" Sir Digby said."]
    assert engine.mentions("winter speaker:\"Sir Digby\"") == ()
    assert [q.path for q in engine.mentions("recovery speaker:\"zoe muller\"")] == ["bank.md"]
    out = CliRunner().invoke(cli.main, ["mentions", "stability", "--speaker", "Sir Digby", "--index", str(index)])
    assert out.exit_code == 0 and out.output.startswith("1 mention in 1 article"), out.output


def test_the_mcp_quotes_by_tool(index: Path) -> None:
    tools = Tools(Settings(corpus=index.parent / "corpus", index=index, backend="hash"), backend="hash")
    try:
        found = tools.quotes_by("Sir Digby")["quotations"]
        assert [q["speaker"]["name"] for q in found] == ["Sir Digby Jones"] * 2
        assert [q["path"] for q in tools.quotes_by("zoe muller")["quotations"]] == ["bank.md"]
    finally:
        tools.close()


def test_a_follow_up_names_the_knight_shown() -> None:
    def by(quote: Quote, name: str) -> Quote:
        return dataclasses.replace(quote, speaker=Speaker(name, None, 0, 1))

    shown = Answer("q", "q", Filters(), True, (by(quote_of(1, MINISTER, 1), "Bob Digby"), by(quote_of(1, QUOTAS, 2), "Bob Digby"),
                                               by(quote_of(1, MINISTER, 3), "Sir Digby Jones")))
    assert shown_speaker(shown, ["Sir Digby"]) == "Sir Digby Jones"
    assert shown_speaker(shown, ["Digby"]) == "Bob Digby"
