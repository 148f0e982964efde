"""The MCP server end to end: the SDK's own client starts `assistant mcp` and calls every tool."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from assistant.embedding.registry import HashEmbedder
from assistant.index.indexer import build_index

SEED = Path(__file__).resolve().parents[1] / "corpus" / "000_8c27288c5cf39a16.txt"
SEED_SENTENCE = "It is clear that Azerbaijan will not negotiate with them at the official level"


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mcp")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    (corpus / "markets.md").write_text(
        "---\ntitle: Central bank raises rates\ndate: 2005-02-03\nsource: BBC\nauthor: Jane Doe\n---\n\n"
        "The central bank raised interest rates by a quarter point on Thursday.\n\n"
        "\"Inflation has stayed above the target for six months,\" governor Alan Reed said.\n",
        encoding="utf-8",
    )
    build_index(corpus, root / "index", embedder=HashEmbedder())
    return root / "index"


def _session(index: Path, config: Path, body: Any) -> Any:
    """Start `python -m assistant --index INDEX mcp --backend hash` under the SDK client and run body(session)."""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "assistant", "--index", str(index), "mcp", "--backend", "hash"],
        env={"XDG_CONFIG_HOME": str(config)},
    )

    async def main() -> Any:
        # The server's stderr goes to a real file: under pytest's capture sys.stderr has no fileno.
        with (config / "mcp-stderr.log").open("w", encoding="utf-8") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    return await body(session)

    return anyio.run(main)


def test_tools_end_to_end(seed_index: Path, tmp_path: Path) -> None:
    async def body(session: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"tools": (await session.list_tools()).tools}
        out["search"] = await session.call_tool("search", {"question": "Will Azerbaijan negotiate with them?", "k": 3})
        quote = out["search"].structured_content["quotes"][0]
        out["read"] = await session.call_tool("read", {"path": quote["path"], "first_paragraph": 2, "last_paragraph": 3})
        out["cite"] = await session.call_tool(
            "cite", {"path": quote["path"], "start": quote["start"], "end": quote["end"], "style": "apa"})
        out["cite_quote"] = await session.call_tool(
            "cite", {"path": "markets.md", "quote": "Inflation has stayed above the target", "style": "chicago"})
        out["check"] = await session.call_tool("check", {"draft": (
            f"Zulfugarov said: \"{SEED_SENTENCE}.\"\n\n"
            "\"Inflation has stayed above the target for seven months,\" Alan Reed said.\n")})
        out["styled"] = await session.call_tool("search", {"question": "interest rates", "k": 1, "style": "mla"})
        out["people"] = await session.call_tool("people", {})
        out["quotes_by"] = await session.call_tool("quotes_by", {"name": "Zulfugarov"})
        return out

    got = _session(seed_index, tmp_path, body)
    tools = {t.name: t for t in got["tools"]}
    assert {"search", "read", "cite", "check"} <= tools.keys()
    for tool in tools.values():
        assert tool.description and len(tool.description) > 40
        assert tool.input_schema["type"] == "object"
    search_props = tools["search"].input_schema["properties"]
    assert {"question", "k", "since", "until", "source", "speaker"} <= search_props.keys()
    assert search_props["k"]["minimum"] == 1 and "question" in tools["search"].input_schema["required"]

    result = got["search"]
    assert not result.is_error
    quotes = result.structured_content["quotes"]
    assert quotes and len(quotes) <= 3
    text = SEED.read_text(encoding="utf-8")
    for q in quotes:  # every quote is the source's exact text at its offsets
        source_text = text if q["path"] == SEED.name else None
        if source_text is not None:
            assert source_text[q["start"]:q["end"]] == q["text"]
        assert q["citation"] and "speaker" in q and q["path"]
    assert any(SEED_SENTENCE in q["text"] for q in quotes)

    read = got["read"].structured_content
    assert not got["read"].is_error and [p["n"] for p in read["paragraphs"]] == [2, 3]
    assert all(text[p["start"]:p["end"]] == p["text"] for p in read["paragraphs"])
    assert read["title"] == "Relations between Baku and Karabakh Armenians" and read["paragraph_count"] > 3

    cite = got["cite"].structured_content
    assert not got["cite"].is_error and cite["style"] == "apa"
    assert "(Relations Between Baku and Karabakh Armenians, 2023, para" in cite["citation"]  # "para." or "paras. 3–4" for a quote over two
    chicago = got["cite_quote"].structured_content["citation"]
    assert chicago.startswith("“Inflation has stayed above the target”") and "Jane Doe" in chicago and "para. 2" in chicago

    check = got["check"].structured_content
    assert not got["check"].is_error and check["ok"] is False
    assert [q["status"] for q in check["quotations"]] == ["exact", "altered"]
    assert check["quotations"][1]["diff"] == [{"kind": "changed", "draft": "seven", "source": "six"}]
    assert check["quotations"][0]["source"]["path"] == SEED.name

    people = got["people"].structured_content["people"]
    assert not got["people"].is_error and any(p["name"] == "Tofig Zulfugarov" for p in people)
    by = got["quotes_by"].structured_content["quotations"]
    assert not got["quotes_by"].is_error and by
    for q in by:  # his quotations, exact text at their offsets, with their speaker
        assert q["speaker"]["name"] == "Tofig Zulfugarov" and text[q["start"]:q["end"]] == q["text"]

    styled = got["styled"].structured_content["quotes"][0]["citation"]
    assert "Doe, Jane. “Central Bank Raises Rates.” BBC" in styled


def test_bad_arguments_are_tool_errors_and_the_server_keeps_serving(seed_index: Path, tmp_path: Path) -> None:
    async def body(session: Any) -> list[Any]:
        calls = [
            ("search", {"question": "rates", "k": 0}),
            ("search", {"question": "rates", "since": "yesterday"}),
            ("search", {}),
            ("read", {"path": "no/such/article.txt"}),
            ("read", {"path": SEED.name, "first_paragraph": 500}),
            ("read", {}),
            ("cite", {"path": SEED.name, "quote": "words the article never says"}),
            ("cite", {"path": SEED.name, "style": "vancouver"}),
            ("cite", {"path": SEED.name, "start": 10}),
            ("check", {"draft": ""}),
            ("cite", {"path": SEED.name, "quote": ""}),
            ("cite", {"path": SEED.name, "quote": "  "}),
            ("read", {"path": SEED.name, "first_paragraph": 500, "last_paragraph": 600}),
            ("search", {"question": "interest rates", "k": 1}),
        ]
        return [await session.call_tool(name, args) for name, args in calls]

    *bad, good = _session(seed_index, tmp_path, body)
    for result in bad:
        assert result.is_error
        message = result.content[0].text
        assert message and "Traceback" not in message and "Error executing tool" in message
        # One line naming the argument and the problem, not pydantic's multi-line report with its URL.
        assert "\n" not in message and "pydantic.dev" not in message, message
    assert "k:" in bad[0].content[0].text and "since:" in bad[1].content[0].text and "YYYY-MM-DD" in bad[1].content[0].text
    assert "past the end" in bad[4].content[0].text
    assert "no such" in bad[3].content[0].text.lower() or "no article" in bad[3].content[0].text
    assert "word for word" in bad[6].content[0].text
    assert "vancouver" in bad[7].content[0].text
    # An empty or blank quote is refused, not cited as the article's first characters.
    assert "quote" in bad[10].content[0].text and "quote" in bad[11].content[0].text
    assert "past the end" in bad[12].content[0].text
    assert not good.is_error and good.structured_content["quotes"]


def test_a_missing_index_is_a_tool_error_not_a_crash(tmp_path: Path) -> None:
    async def body(session: Any) -> Any:
        return await session.call_tool("search", {"question": "anything"})

    result = _session(tmp_path / "no-index", tmp_path, body)
    assert result.is_error and "index" in result.content[0].text


# ---------------------------------------------------------------- session 10: QA defects


def _ids(seed_index: Path, tmp_path: Path) -> dict[str, int]:
    """Article id of each path of the seed index, as `read` returns it."""
    async def body(session: Any) -> dict[str, int]:
        out = {}
        for path in (SEED.name, "markets.md"):
            out[path] = (await session.call_tool("read", {"path": path})).structured_content["article_id"]
        return out

    return _session(seed_index, tmp_path, body)


def test_path_and_article_id_must_name_the_same_article(seed_index: Path, tmp_path: Path) -> None:
    ids = _ids(seed_index, tmp_path)
    seed, markets = ids[SEED.name], ids["markets.md"]

    async def body(session: Any) -> list[Any]:
        calls = [
            ("read", {"path": "markets.md", "article_id": seed}),
            ("cite", {"path": "markets.md", "article_id": seed, "style": "apa"}),
            ("read", {"path": SEED.name, "article_id": markets}),
            ("read", {"article_id": markets, "record": 3}),
            ("read", {"path": "markets.md", "article_id": markets}),
            ("cite", {"path": "markets.md", "article_id": markets, "quote": "Inflation has stayed above the target"}),
            ("read", {"article_id": markets, "record": 0}),
        ]
        return [await session.call_tool(name, args) for name, args in calls]

    *conflicts, read_ok, cite_ok, record_ok = _session(seed_index, tmp_path, body)
    for result in conflicts:  # before: the path was ignored and the id's article came back
        assert result.is_error, result.content[0].text[:200]
        message = result.content[0].text
        assert "\n" not in message and "Traceback" not in message
    for result in conflicts[:3]:
        assert "give path or article_id, not both (they name different articles)" in result.content[0].text
    assert "record" in conflicts[3].content[0].text
    assert not read_ok.is_error and read_ok.structured_content["path"] == "markets.md"
    assert not cite_ok.is_error and cite_ok.structured_content["path"] == "markets.md"
    assert not record_ok.is_error and record_ok.structured_content["article_id"] == markets


def test_unknown_arguments_are_named_with_the_accepted_ones(seed_index: Path, tmp_path: Path) -> None:
    required = {"search": {"question": "rates"}, "check": {"draft": "\"words\" he said."},
                "quotes_by": {"name": "Reed"}, "read": {"path": "markets.md"}, "cite": {"path": "markets.md"}}

    async def body(session: Any) -> tuple[Any, dict[str, Any]]:
        tools = (await session.list_tools()).tools
        results = {}
        for tool in tools:
            args = dict(required.get(tool.name, {}), speakr="Blair")
            results[tool.name] = await session.call_tool(tool.name, args)
        return tools, results

    tools, results = _session(seed_index, tmp_path, body)
    assert {"search", "read", "cite", "check", "people", "quotes_by"} <= results.keys()
    for tool in tools:
        schema = tool.input_schema
        result = results[tool.name]
        assert result.is_error, f"{tool.name} accepted an unknown argument"
        message = result.content[0].text
        assert "\n" not in message and "pydantic.dev" not in message, message
        assert "unknown argument 'speakr'" in message, message
        for name in schema["properties"]:  # the accepted ones, so the client can fix its typo
            assert name in message, (tool.name, name, message)
        assert schema.get("additionalProperties") is False, tool.name  # clients see it in the schema too


def test_since_and_until_take_what_the_schema_says(seed_index: Path, tmp_path: Path) -> None:
    import re

    async def body(session: Any) -> tuple[Any, list[Any]]:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        calls = [
            ("search", {"question": "interest rates", "since": "2005", "until": "2005-02"}),
            ("search", {"question": "interest rates", "until": "2005-01"}),
            ("search", {"question": "interest rates", "since": "2005-02-03", "until": "2005-02-03"}),
            ("search", {"question": "interest rates", "since": "yesterday"}),
            ("search", {"question": "interest rates", "until": "2005-13"}),
            ("quotes_by", {"name": "Zulfugarov", "since": "2023", "until": "2023-08"}),
            ("quotes_by", {"name": "Zulfugarov", "until": "2023-07"}),
        ]
        return tools, [await session.call_tool(name, args) for name, args in calls]

    tools, (year_month, before, one_day, word, month_13, by_year, by_before) = _session(seed_index, tmp_path, body)
    for tool in ("search", "quotes_by"):
        for name in ("since", "until"):
            prop = tools[tool].input_schema["properties"][name]
            pattern = prop.get("pattern") or next(p["pattern"] for p in prop["anyOf"] if "pattern" in p)
            for ok in ("2005", "2005-03", "2005-03-04"):
                assert re.search(pattern, ok), (tool, name, ok)
            assert not re.search(pattern, "yesterday")
            assert all(f in prop["description"] for f in ("YYYY-MM-DD", "YYYY-MM", "YYYY"))
    # --until 2005-02 means the end of February, as in the CLI.
    assert not year_month.is_error, year_month.content[0].text
    quotes = year_month.structured_content["quotes"]
    assert quotes and all(q["path"] == "markets.md" for q in quotes)
    assert not before.is_error and not any(q["path"] == "markets.md" for q in before.structured_content["quotes"])
    assert not one_day.is_error and one_day.structured_content["quotes"]
    for bad, name in ((word, "since"), (month_13, "until")):
        message = bad.content[0].text
        assert bad.is_error and "\n" not in message and f"{name}:" in message, message
        assert "YYYY-MM-DD, YYYY-MM or YYYY" in message, message
    assert not by_year.is_error and by_year.structured_content["quotations"]
    assert not by_before.is_error and not by_before.structured_content["quotations"]


def test_an_unexpected_failure_is_one_clear_message_and_no_traceback(seed_index: Path, tmp_path: Path) -> None:
    import sqlite3

    damaged = tmp_path / "index"
    shutil.copytree(seed_index, damaged)
    with sqlite3.connect(damaged / "index.sqlite3") as db:  # an index damaged under the server
        db.execute("DROP TABLE quotations")
    db.close()

    async def body(session: Any) -> list[Any]:
        return [await session.call_tool(name, args) for name, args in (
            ("people", {}), ("quotes_by", {"name": "Reed"}), ("search", {"question": "interest rates"}))]

    people, by, search = _session(damaged, tmp_path, body)
    for name, result in (("people", people), ("quotes_by", by)):
        message = result.content[0].text
        assert result.is_error and "\n" not in message and "Traceback" not in message, message
        # before: only "Error executing tool people", with the cause in a traceback on stderr
        assert message.startswith(f"Error executing tool {name}: ") and "no such table: quotations" in message, message
        assert "rebuild" in message, message
    assert not search.is_error  # the server keeps serving
    stderr = (tmp_path / "mcp-stderr.log").read_text(encoding="utf-8")
    assert "Traceback" not in stderr and "╭" not in stderr, stderr  # not even rich's boxed traceback


def test_a_crashing_tool_is_one_clear_message_in_process(
    seed_index: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    """Any exception a tool body raises (here a bug: RuntimeError) reaches the client as one line naming it."""
    from mcp import Client

    from assistant.mcp_server import build_server
    from assistant.settings import Settings

    server, tools = build_server(Settings(corpus=tmp_path, index=seed_index), backend="hash")

    def crash(*_: Any, **__: Any) -> Any:
        raise RuntimeError("something\nbroke")

    tools.check = crash  # type: ignore[method-assign]

    async def main() -> tuple[Any, Any]:
        async with Client(server) as client:
            crashed = await client.call_tool("check", {"draft": "x"})
            return crashed, await client.call_tool("search", {"question": "rates"})

    try:
        crashed, after = anyio.run(main)
    finally:
        tools.close()
    message = crashed.content[0].text
    assert crashed.is_error and message == (  # before: only "Error executing tool check", and a logged traceback
        "Error executing tool check: unexpected RuntimeError: something broke "
        "(a bug in the assistant; the server keeps serving)")
    assert not after.is_error
    assert not any(r.exc_info for r in caplog.records), "a traceback was logged"
