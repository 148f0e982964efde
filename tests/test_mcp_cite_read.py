"""MCP `cite` never attributes a passage to someone the source does not (QA defect), and `read` says plainly what is
wrong with a reversed paragraph range or an article id the index never had. Through the MCP SDK's own client."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from assistant.embedding.registry import HashEmbedder
from assistant.index.indexer import build_index

MARKETS = (
    "---\ntitle: Central bank raises rates\ndate: 2005-02-03\nsource: BBC\nauthor: Jane Doe\n---\n\n"
    "The central bank raised interest rates by a quarter point on Thursday.\n\n"
    "\"Inflation has stayed above the target for six months,\" governor Alan Reed said.\n"
)
STATEMENT = (
    "Bank statement\n\n"
    "\"Rates will stay high for as long as it takes,\" the statement said.\n\n"
    "Gordon Brown said the bank had acted too late.\n"
)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mcp-cite")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "markets.md").write_text(MARKETS, encoding="utf-8")
    (corpus / "statement.txt").write_text(STATEMENT, encoding="utf-8")
    build_index(corpus, root / "index", embedder=HashEmbedder())
    return root / "index"


def _calls(index: Path, tmp_path: Path, body: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run body(client) against the server `assistant mcp` builds, through the SDK's in-process client."""
    from mcp import Client

    from assistant.mcp_server import build_server
    from assistant.settings import Settings

    server, tools = build_server(Settings(corpus=tmp_path, index=index), backend="hash")

    async def main() -> Any:
        async with Client(server) as client:
            return await body(client)

    try:
        return anyio.run(main)
    finally:
        tools.close()


def _error(result: Any) -> str:
    assert result.is_error, result.structured_content
    message = result.content[0].text
    assert "\n" not in message and "Traceback" not in message, message
    return message


def _cite(index: Path, tmp_path: Path, *calls: dict[str, Any]) -> list[Any]:
    async def body(client: Any) -> list[Any]:
        return [await client.call_tool("cite", args) for args in calls]

    return _calls(index, tmp_path, body)


def test_cite_refuses_a_speaker_the_source_contradicts(index: Path, tmp_path: Path) -> None:
    quote = "Inflation has stayed above the target for six months"
    wrong, by_offsets = _cite(
        index, tmp_path,
        {"path": "markets.md", "quote": quote, "speaker": "Gordon Brown", "style": "ap"},
        {"path": "markets.md", "start": MARKETS.index(quote), "end": MARKETS.index(quote) + len(quote),
         "speaker": "Gordon Brown", "style": "chicago"},
    )
    for result in (wrong, by_offsets):  # before: '"...," Brown said, according to ...'
        message = _error(result)
        assert "Gordon Brown" in message and "Alan Reed" in message, message
        assert "the source says Alan Reed" in message, message


def test_cite_with_the_sources_speaker_attributes_it(index: Path, tmp_path: Path) -> None:
    quote = "Inflation has stayed above the target for six months"
    surname, full, none = _cite(
        index, tmp_path,
        {"path": "markets.md", "quote": quote, "speaker": "Reed", "style": "ap"},
        {"path": "markets.md", "quote": quote, "speaker": "Mr Alan Reed", "style": "apa"},
        {"path": "markets.md", "quote": quote, "style": "ap"},
    )
    assert not surname.is_error and "Reed said, according to" in surname.structured_content["citation"]
    assert not full.is_error and full.structured_content["citation"].startswith("Reed said, ")
    assert not none.is_error and "said" not in none.structured_content["citation"]


def test_cite_refuses_a_speaker_where_the_source_names_none(index: Path, tmp_path: Path) -> None:
    narration, unattributed, article_only = _cite(
        index, tmp_path,
        {"path": "markets.md", "quote": "The central bank raised interest rates", "speaker": "Alan Reed", "style": "ap"},
        {"path": "statement.txt", "quote": "Rates will stay high for as long as it takes", "speaker": "Gordon Brown",
         "style": "ap"},
        {"path": "markets.md", "speaker": "Alan Reed", "style": "ap"},
    )
    for result in (narration, unattributed):
        message = _error(result)
        assert "does not name" in message and ("Alan Reed" in message or "Gordon Brown" in message), message
    assert "quote" in _error(article_only)  # a speaker is checked against a passage: none was given


def test_cite_refuses_to_make_reported_speech_a_quotation(index: Path, tmp_path: Path) -> None:
    (reported,) = _cite(index, tmp_path, {"path": "statement.txt", "quote": "Gordon Brown said the bank had acted too late",
                                          "speaker": "Brown", "style": "ap"})
    message = _error(reported)  # the writer's words: 'Brown said, "Gordon Brown said ..."' would misquote him
    assert "Gordon Brown" in message and "writer's words" in message, message


def test_read_names_what_is_wrong_with_the_arguments(index: Path, tmp_path: Path) -> None:
    async def body(client: Any) -> list[Any]:
        return [
            await client.call_tool("read", {"path": "markets.md", "first_paragraph": 2, "last_paragraph": 1}),
            await client.call_tool("read", {"path": "statement.txt", "first_paragraph": 5, "last_paragraph": 2}),
            await client.call_tool("read", {"article_id": 987654}),
            await client.call_tool("cite", {"article_id": 987654, "style": "apa"}),
            await client.call_tool("read", {"path": "markets.md", "first_paragraph": 1, "last_paragraph": 1}),
        ]

    reversed_in_range, reversed_past_end, never_read, never_cited, fine = _calls(index, tmp_path, body)
    assert _error(reversed_in_range).endswith(
        "paragraph range 2..1 is reversed: the first must not be after the last")
    assert _error(reversed_past_end).endswith(
        "paragraph range 5..2 is reversed: the first must not be after the last")
    for result in (never_read, never_cited):  # before: 'article 987654 is no longer in the index'
        message = _error(result)
        assert message.endswith("no article with id 987654 in the index"), message
    assert not fine.is_error and [p["n"] for p in fine.structured_content["paragraphs"]] == [1]


def test_cite_names_every_paragraph_a_passage_runs_over(index: Path, tmp_path: Path) -> None:
    """As the CLI and the TUI cite it: a passage over paragraphs 1-2 is 'paras. 1–2', not 'para. 1'."""
    passage = "quarter point on Thursday.\n\n\"Inflation has stayed"
    [result] = _cite(index, tmp_path, {"path": "markets.md", "quote": passage, "style": "chicago"})
    assert not result.is_error, result.content
    citation = result.structured_content["citation"]
    assert "paras. 1\u20132" in citation, citation


def test_mentions_lists_every_sentence_holding_the_phrase(index: Path, tmp_path: Path) -> None:
    """The fact-checker's `assistant mentions` from inside the editor: every sentence, grouped by article in date
    order (undated last), each with exact offsets."""
    async def body(client: Any) -> list[Any]:
        return [await client.call_tool("mentions", args) for args in (
            {"phrase": "bank"},
            {"phrase": "bank", "limit": 1},
            {"phrase": "interest rate"},  # 'interest rates' is no mention of the phrase
            {"phrase": "?!"},
            {"phrase": "bank", "since": "2005-13-01"},
            {"phrase": "bank", "speakr": "Reed"},
        )]

    every, first, none, empty, bad_date, misspelt = _calls(index, tmp_path, body)
    got = every.structured_content
    assert not every.is_error and got["count"] == 2 and not got["more"]
    assert [g["path"] for g in got["articles"]] == ["markets.md", "statement.txt"]
    statement = got["articles"][1]["mentions"]
    assert [m["text"] for m in statement] == ["Gordon Brown said the bank had acted too late."]
    assert STATEMENT[statement[0]["start"]:statement[0]["end"]] == statement[0]["text"]
    assert first.structured_content["count"] == 1 and first.structured_content["more"]
    assert not none.is_error and none.structured_content["count"] == 0
    assert "no words" in _error(empty)
    assert "2005-13-01" in _error(bad_date)
    assert "speakr" in _error(misspelt)
