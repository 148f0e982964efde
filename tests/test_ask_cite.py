"""`assistant ask --cite STYLE`: citations after each quote, BibTeX / CSL-JSON records, the configured default."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from assistant.cli import main

QUESTION = "central bank interest rates"


def _ask(index: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["ask", QUESTION, "--index", str(index), "--backend", "hash", "-k", "2", *args])
    return result.exit_code, result.output


def test_apa_cites_each_quote_with_its_reference(small_index: tuple[Path, Path]) -> None:
    code, out = _ask(small_index[1], "--cite", "apa")
    assert code == 0, out
    assert "(Doe, 2005, para. 1)" in out
    assert "Doe, J. (2005, February 3). Central bank raises rates. BBC." in out


def test_bibtex_prints_only_the_records(small_index: tuple[Path, Path]) -> None:
    code, out = _ask(small_index[1], "--cite", "bibtex")
    assert code == 0, out
    assert out.lstrip().startswith("@")
    assert "author = {Doe, Jane}" in out and "journal = {BBC}" in out
    assert "Sources:" not in out


def test_csl_json_is_a_json_array_of_newspaper_articles(small_index: tuple[Path, Path]) -> None:
    code, out = _ask(small_index[1], "--cite", "csl-json")
    assert code == 0, out
    items = json.loads(out)
    assert items and all(item["type"] == "article-newspaper" for item in items)
    assert {"container-title": "BBC"}.items() <= next(i for i in items if i["title"] == "Central bank raises rates").items()


def test_cite_alone_uses_the_configured_style(small_index: tuple[Path, Path], tmp_path: Path, monkeypatch) -> None:
    config = tmp_path / "xdg" / "assistant" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('cite_style = "mla"\n', encoding="utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    code, out = _ask(small_index[1], "--cite")
    assert code == 0, out
    assert "Doe, Jane. “Central Bank Raises Rates.” BBC, 3 Feb. 2005." in out
    config_out = CliRunner().invoke(main, ["config", "--json"]).output
    assert json.loads(config_out)["settings"]["cite_style"] == "mla"


def test_json_answer_carries_the_citations(small_index: tuple[Path, Path]) -> None:
    code, out = _ask(small_index[1], "--cite", "chicago", "--json")
    assert code == 0, out
    record = json.loads(out)
    assert len(record["citations"]) == len(record["quotes"]) > 0
    assert all(c.startswith("“") for c in record["citations"])


def test_unknown_style_is_a_usage_error(small_index: tuple[Path, Path]) -> None:
    code, out = _ask(small_index[1], "--cite", "vancouver")
    assert code == 2 and "vancouver" in out
