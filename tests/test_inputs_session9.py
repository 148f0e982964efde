"""Inputs QA found mishandled: --until as a period's end, max_quotes from the config, malformed SQuAD files,
huge MCP article ids, JSONL records by path, --max-file-mb bounds, and the hash backend on a real model's index."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import main
from assistant.errors import EngineError
from assistant.search.engine import Engine
from assistant.settings import Settings, resolve_settings


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def user_config(text: str) -> Path:
    import os

    path = Path(os.environ["XDG_CONFIG_HOME"]) / "assistant" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def mentioned_paths(index: Path, *options: str) -> set[str]:
    code, out, err = run("mentions", "central bank", "--index", str(index), "--json", *options)
    assert code == 0, err
    return {group["path"] for group in json.loads(out)}


# ---------------------------------------------------------------- 1. --until YYYY-MM / YYYY: the period's end


def test_until_a_month_or_year_option_means_its_end_as_the_inline_filter_does(small_index: tuple[Path, Path]) -> None:
    _, index = small_index
    # markets.md and the first wire record are dated 2005-02-03.
    assert mentioned_paths(index, "--until", "2005-02") == {"markets.md", "wire.jsonl"}
    assert mentioned_paths(index, "--until", "2005") == {"markets.md", "wire.jsonl"}
    code, out, _ = run("mentions", "central bank until:2005-02", "--index", str(index), "--json")
    assert {group["path"] for group in json.loads(out)} == {"markets.md", "wire.jsonl"}
    # --since stays the first day; --until 2005-01 still ends before February.
    assert mentioned_paths(index, "--since", "2005-02") == {"markets.md", "wire.jsonl"}
    assert mentioned_paths(index, "--until", "2005-01") == set()


def test_until_a_month_option_counts_in_ask(small_index: tuple[Path, Path]) -> None:
    _, index = small_index
    code, out, err = run("ask", "central bank raised interest rates", "--index", str(index), "--json", "--until", "2005-02")
    assert code == 0, err
    assert "Central bank raises rates" in {q["title"] for q in json.loads(out)["quotes"]}  # dated 2005-02-03


# ---------------------------------------------------------------- 2. max_quotes from the config


def quote_counts(index: Path, *options: str) -> tuple[int, str]:
    code, out, err = run("ask", "Karabakh", "--index", str(index), "--json", *options)
    assert code == 0, err
    return len(json.loads(out)["quotes"]), err


def test_ask_takes_max_quotes_from_the_config_unless_k_is_given(
    small_index: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, index = small_index
    default, _ = quote_counts(index)
    assert default > 3
    user_config("max_quotes = 1\n")
    assert quote_counts(index)[0] == 1
    assert quote_counts(index, "-k", "3")[0] == min(3, default)
    monkeypatch.setenv("ASSISTANT_MAX_QUOTES", "2")
    assert quote_counts(index)[0] == 2
    code, out, _ = run("ask", "-", "--index", str(index), input="Karabakh\n")
    assert code == 0 and len(json.loads(out)["quotes"]) == 2


@pytest.mark.parametrize("value", ["abc", "-3", "0", "2.5", "51"])
def test_a_bad_max_quotes_is_one_warning_and_the_default(
    small_index: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    _, index = small_index
    monkeypatch.setenv("ASSISTANT_MAX_QUOTES", value)
    resolved = resolve_settings()
    assert resolved.settings.max_quotes == 5 and resolved.sources["max_quotes"] == "default"
    assert [w for w in resolved.warnings if "max_quotes" in w] == [
        f"warning: max_quotes = {value!r} is not a whole number from 1 to 50; using 5"
    ]
    count, err = quote_counts(index)
    lines = [line for line in err.splitlines() if "max_quotes" in line]
    assert len(lines) == 1 and value in lines[0]
    monkeypatch.delenv("ASSISTANT_MAX_QUOTES")
    assert count == quote_counts(index)[0]


# ---------------------------------------------------------------- 3. eval on a malformed or empty SQuAD file


@pytest.mark.parametrize("content, problem", [
    ('{"data":[]}', "no articles"),
    ('{"data":[{"paragraphs":[]}]}', "title"),
    ("[]", "not a SQuAD file"),
    ("{not json", "not a readable SQuAD JSON file"),
    ('{"data":[{"title":"A","paragraphs":[]}]}', "no questions"),
])
def test_eval_on_a_malformed_squad_file_is_one_error_line(tmp_path: Path, content: str, problem: str) -> None:
    squad = tmp_path / "squad.json"
    squad.write_text(content, encoding="utf-8")
    code, _, err = run("eval", str(squad), "--backend", "hash")
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {squad}: ") and problem in lines[0], lines


# ---------------------------------------------------------------- 4, 5. MCP article ids and JSONL records


def tools_on(index: Path):  # type: ignore[no-untyped-def]
    from assistant.mcp_server import Tools

    return Tools(Settings(corpus=index.parent / "corpus", index=index, backend="hash"), backend="hash")


@pytest.mark.parametrize("article_id", [10**30, 2**63, 0, -1])
def test_mcp_read_and_cite_refuse_an_article_id_out_of_range_in_one_line(
    small_index: tuple[Path, Path], article_id: int
) -> None:
    from pydantic import TypeAdapter, ValidationError

    from assistant.mcp_server import ArticleId

    tools = tools_on(small_index[1])
    try:
        for call in (lambda: tools.read(article_id=article_id), lambda: tools.cite(article_id=article_id)):
            with pytest.raises(ValueError, match="article_id must be a positive 63-bit integer"):
                tools.call(call)
    finally:
        tools.close()
    with pytest.raises(ValidationError, match="article_id|less than or equal|greater than or equal"):
        TypeAdapter(ArticleId).validate_python(article_id)
    assert TypeAdapter(ArticleId).validate_python(2**63 - 1) == 2**63 - 1


def test_mcp_a_jsonl_path_without_a_record_is_its_first_record(small_index: tuple[Path, Path]) -> None:
    tools = tools_on(small_index[1])
    try:
        first = tools.read(path="wire.jsonl")
        assert first["record"] == 1 and first["title"] == "Wire: rates rise"
        assert tools.read(path="wire.jsonl", record=2)["title"] == "Volcano erupts"
        assert tools.cite(path="wire.jsonl")["record"] == 1
        assert tools.read(path="markets.md")["record"] == 0
        for record in (0, 3, 99):
            with pytest.raises(ValueError, match=f"no record {record} in 'wire.jsonl'.*from 1 \\(here 1 to 2\\)"):
                tools.read(path="wire.jsonl", record=record)
        with pytest.raises(ValueError, match="not a .jsonl file of records"):
            tools.read(path="markets.md", record=2)
        with pytest.raises(ValueError, match="no article 'nothing.jsonl' in the index"):
            tools.read(path="nothing.jsonl")
    finally:
        tools.close()


# ---------------------------------------------------------------- 6. --max-file-mb bounds


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e308", "-1", "0"])
def test_index_refuses_a_max_file_mb_that_is_not_a_size(tmp_path: Path, value: str) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Title\n\nSome words here.\n", encoding="utf-8")
    code, _, err = run("index", str(corpus), "--index", str(tmp_path / "idx"), "--backend", "hash", "--max-file-mb", value)
    assert code == 2 and "'--max-file-mb'" in err and "is not a size in MB" in err
    assert not (tmp_path / "idx").exists()
    code, _, err = run("index", str(corpus), "--index", str(tmp_path / "idx"), "--backend", "hash", "--max-file-mb", "0.5")
    assert code == 0, err


# ---------------------------------------------------------------- 7. the hash backend on a real model's index


def test_the_hash_backend_refuses_an_index_built_with_a_real_model(small_index: tuple[Path, Path], tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(small_index[1], index)
    engine = Engine(index, backend="hash")  # built with the hash fake: it searches it
    assert engine.embedder.model_name == "hash"
    engine.close()
    db = sqlite3.connect(index / "index.sqlite3")
    with db:
        db.execute("UPDATE meta SET value = 'all-MiniLM-L6-v2' WHERE key = 'model'")
        db.execute("UPDATE meta SET value = 'onnx-int8' WHERE key = 'backend'")
    db.close()
    with pytest.raises(EngineError, match=f"index {index} was built with all-MiniLM-L6-v2; the hash backend cannot"):
        Engine(index, backend="hash")
    code, _, err = run("ask", "economy", "--index", str(index), "--backend", "hash")
    lines = err.strip().splitlines()
    assert code == 1 and len(lines) == 1 and "the hash backend cannot search it" in lines[0]
