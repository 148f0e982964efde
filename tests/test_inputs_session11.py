"""Inputs QA found mishandled in session 11: Ctrl-C during `assistant index` exited 1 like any error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from assistant.cli import main
from assistant.index import indexer


def test_ctrl_c_during_index_exits_130_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Title\n\nOne sentence here.\n", encoding="utf-8")

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(indexer, "build_index", interrupted)
    result = CliRunner().invoke(main, ["--corpus", str(corpus), "--index", str(tmp_path / "index"), "index"])
    assert result.exit_code == 130  # 128 + SIGINT, as a shell reports Ctrl-C
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["Error: interrupted; the index keeps everything committed so far"]
