"""`assistant notebook`, the stats metadata line, and the chat's exit when there is neither corpus nor index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.tui import HARBOUR_QUOTE, MINISTER, quote_of

from assistant import notebook
from assistant.cli import main
from assistant.index.indexer import build_index


@pytest.fixture(autouse=True)
def _data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


def test_notebook_list_export_clear(tmp_path: Path) -> None:
    index = tmp_path / "index"
    path = notebook.notebook_path(index)
    notebook.save(path, (notebook.Pinned(quote_of(1, MINISTER, 4), "q1"), notebook.Pinned(quote_of(2, HARBOUR_QUOTE, 1))))
    runner = CliRunner()
    listed = runner.invoke(main, ["notebook", "--index", str(index), "list"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines()[0].startswith(f'[1] "{MINISTER}" (Trade talks collapse in Brussels, BBC, 8 Aug 2023, para. 3)')
    data = json.loads(runner.invoke(main, ["notebook", "--index", str(index), "list", "--json"]).output)
    assert data["notebook"] == str(path) and [p["question"] for p in data["pinned"]] == ["q1", ""]
    out = tmp_path / "notes.md"
    done = runner.invoke(main, ["notebook", "--index", str(index), "export", str(out), "--style", "mla", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output) == {"path": str(out), "quotes": 2, "style": "mla"}
    text = out.read_text(encoding="utf-8")
    assert f"\u201c{MINISTER}\u201d [1]" in text and "## Sources" in text and "2. " in text.split("## Sources")[1]
    assert (out.stat().st_mode & 0o777) == 0o600
    again = runner.invoke(main, ["notebook", "--index", str(index), "export", str(out)])
    assert again.exit_code == 1 and "already exists" in again.output
    link = tmp_path / "link.md"
    link.symlink_to(tmp_path / "target.md")
    planted = runner.invoke(main, ["notebook", "--index", str(index), "export", str(link)])
    assert planted.exit_code == 1 and not (tmp_path / "target.md").exists()
    cleared = runner.invoke(main, ["notebook", "--index", str(index), "clear", "--json"])
    assert json.loads(cleared.output) == {"cleared": 2} and notebook.load(path) == ()
    empty = runner.invoke(main, ["notebook", "--index", str(index)])
    assert "the notebook is empty" in empty.output


def test_notebook_subcommands_take_the_index_after_their_name(tmp_path: Path) -> None:
    # 'assistant notebook list --index X' as every other command takes it, not only 'notebook --index X list'.
    index = tmp_path / "elsewhere"
    notebook.save(notebook.notebook_path(index), (notebook.Pinned(quote_of(1, MINISTER, 4), "q1"),))
    runner = CliRunner()
    listed = runner.invoke(main, ["notebook", "list", "--index", str(index)])
    assert listed.exit_code == 0 and MINISTER in listed.output
    out = tmp_path / "notes.md"
    done = runner.invoke(main, ["notebook", "export", str(out), "--index", str(index)])
    assert done.exit_code == 0 and MINISTER in out.read_text(encoding="utf-8")
    assert "the notebook is empty" in runner.invoke(main, ["notebook", "list"]).output  # ./index has none
    cleared = runner.invoke(main, ["notebook", "clear", "--index", str(index), "--json"])
    assert json.loads(cleared.output) == {"cleared": 1}


def test_stats_says_how_many_articles_have_a_date_and_an_outlet(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Title A\n\nSome words here.\n", encoding="utf-8")
    (corpus / "b.md").write_text("---\ntitle: B\ndate: 2005-01-02\nsource: BBC\n---\n\nMore words.\n", encoding="utf-8")
    build_index(corpus, tmp_path / "index", backend="hash")
    result = CliRunner().invoke(main, ["stats", "--index", str(tmp_path / "index")])
    assert "metadata   1 with a date, 1 with an outlet" in result.output
    data = json.loads(CliRunner().invoke(main, ["stats", "--index", str(tmp_path / "index"), "--json"]).output)
    assert (data["dated"], data["with_outlet"]) == (1, 1)


def test_chat_without_corpus_or_index_exits_with_one_clear_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--corpus", str(tmp_path / "none"), "--index", str(tmp_path / "noindex")])
    assert result.exit_code == 1
    assert "no corpus folder at" in result.output and "no index at" in result.output
    assert "Engine not available" not in result.output


def test_export_into_a_missing_folder_is_one_plain_line(tmp_path: Path) -> None:
    index = tmp_path / "index"
    notebook.save(notebook.notebook_path(index), (notebook.Pinned(quote_of(1, MINISTER, 4), "q1"),))
    target = tmp_path / "no" / "such" / "notes.md"
    done = CliRunner().invoke(main, ["notebook", "--index", str(index), "export", str(target)])
    assert done.exit_code == 1
    assert done.output == f"Error: cannot write {target}: No such file or directory\n"
    assert not target.exists()
