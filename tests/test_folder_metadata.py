"""Folder metadata (assistant-corpus.toml): outlet, author and date pattern for a folder; coverage and why filters fail."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from assistant.corpus.stream import load_file
from assistant.corpus.metadata import (
    Coverage,
    coverage,
    coverage_text,
    find_date,
    folder_metadata,
    why_nothing,
)
from assistant.index.indexer import build_index
from assistant.models import Filters

BODY = "Minister resigns\n\nThe minister resigned on Monday. \"I have no regrets,\" she said.\n"


def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "politics" / "2005").mkdir(parents=True)
    (root / "assistant-corpus.toml").write_text('outlet = "BBC News"\nauthor = "BBC"\n', encoding="utf-8")
    (root / "politics" / "assistant-corpus.toml").write_text(
        'outlet = "BBC Politics"\ndate_pattern = "%Y-%m-%d"\ndate_in = "name"\n', encoding="utf-8")
    (root / "politics" / "2005" / "2005-04-12-resigns.txt").write_text(BODY, encoding="utf-8")
    (root / "politics" / "undated.txt").write_text(BODY, encoding="utf-8")
    (root / "top.txt").write_text("Budget day\n\n14 March 2005\n\nThe budget was read.\n", encoding="utf-8")
    (root / "own.md").write_text("---\ntitle: Own\nsource: Reuters\ndate: 2004-01-02\n---\n\nText here.\n",
                                 encoding="utf-8")
    return root


def test_nearest_folder_wins_and_an_articles_own_metadata_stays(tmp_path: Path) -> None:
    root = corpus(tmp_path)
    (dated,) = load_file(root, root / "politics" / "2005" / "2005-04-12-resigns.txt").articles
    assert (dated.source, dated.author, dated.date) == ("BBC Politics", "BBC", dt.date(2005, 4, 12))
    (undated,) = load_file(root, root / "politics" / "undated.txt").articles
    assert undated.date is None and undated.source == "BBC Politics"
    (top,) = load_file(root, root / "top.txt").articles
    assert (top.source, top.date) == ("BBC News", None)  # no pattern at the root
    (own,) = load_file(root, root / "own.md").articles
    assert (own.source, own.date, own.author) == ("Reuters", dt.date(2004, 1, 2), "BBC")
    # The text stays exactly as read: offsets are untouched.
    assert dated.text == BODY


def test_metadata_changes_the_content_hash(tmp_path: Path) -> None:
    root = corpus(tmp_path)
    path = root / "politics" / "undated.txt"
    before = load_file(root, path).articles[0].content_hash
    (root / "politics" / "assistant-corpus.toml").write_text('outlet = "Other"\n', encoding="utf-8")
    assert folder_metadata(root, "politics/undated.txt").outlet == "Other"
    assert load_file(root, path).articles[0].content_hash != before


def test_dates_in_first_lines_and_bad_files() -> None:
    assert find_date("%d %B %Y", "Budget day\n\n14 March 2005\n") == dt.date(2005, 3, 14)
    assert find_date("%Y-%m-%d", "2005-13-45 then 2005-02-03") == dt.date(2005, 2, 3)
    assert find_date("%Y-%m-%d", "no date") is None


def test_unreadable_metadata_file_is_ignored(tmp_path: Path) -> None:
    root = tmp_path / "c"
    root.mkdir()
    (root / "assistant-corpus.toml").write_bytes(b"outlet = [unclosed\n\xff")
    (root / "a.txt").write_text(BODY, encoding="utf-8")
    (article,) = load_file(root, root / "a.txt").articles
    assert article.source is None


def test_coverage_and_filters_that_cannot_match(tmp_path: Path) -> None:
    root = corpus(tmp_path)
    build_index(root, tmp_path / "index", backend="hash")
    db = sqlite3.connect(tmp_path / "index" / "index.sqlite3")
    cover = coverage(db)
    assert cover == Coverage(articles=4, dated=2, with_outlet=4)
    assert coverage_text(cover) == "4 articles: 2 with a date, 4 with an outlet"
    assert why_nothing(Filters(since=dt.date(2005, 1, 1)), cover) is None
    none = Coverage(articles=2225, dated=0, with_outlet=0)
    assert why_nothing(Filters(since=dt.date(2005, 1, 1)), none).startswith("no article in this corpus has a date")
    assert "no article in this corpus has an outlet" in why_nothing(Filters(source="bbc"), none)
    assert why_nothing(Filters(article="tax"), none) is None


def test_an_edited_added_or_removed_metadata_file_updates_the_index(tmp_path: Path) -> None:
    from assistant.index.scan import is_stale

    root, index = corpus(tmp_path), tmp_path / "index"

    def outlets() -> dict[str, str | None]:
        db = sqlite3.connect(index / "index.sqlite3")
        try:
            return dict(db.execute("SELECT path, source FROM articles"))
        finally:
            db.close()

    build_index(root, index, backend="hash")
    assert outlets()["politics/undated.txt"] == "BBC Politics" and outlets()["top.txt"] == "BBC News"
    assert not is_stale(root, index)

    # Edited: only the files below that folder are read again; the others stay unchanged.
    (root / "politics" / "assistant-corpus.toml").write_text('outlet = "Westminster Desk"\n', encoding="utf-8")
    assert is_stale(root, index)
    report = build_index(root, index, backend="hash")
    assert (report.updated, report.unchanged) == (2, 2)
    assert outlets()["politics/undated.txt"] == "Westminster Desk" and outlets()["top.txt"] == "BBC News"
    assert outlets()["politics/2005/2005-04-12-resigns.txt"] == "Westminster Desk"
    assert not is_stale(root, index)
    assert build_index(root, index, backend="hash").updated == 0

    # Removed: the root's file takes over again.
    (root / "politics" / "assistant-corpus.toml").unlink()
    assert is_stale(root, index)
    build_index(root, index, backend="hash")
    assert outlets()["politics/undated.txt"] == "BBC News"

    # Added in a folder that had none.
    (root / "politics" / "2005" / "assistant-corpus.toml").write_text('outlet = "Archive"\n', encoding="utf-8")
    assert is_stale(root, index)
    report = build_index(root, index, backend="hash")
    assert (report.updated, report.unchanged) == (1, 3)
    assert outlets()["politics/2005/2005-04-12-resigns.txt"] == "Archive"
    assert not is_stale(root, index)


def test_a_bad_metadata_file_is_reported_and_ignored(tmp_path: Path) -> None:
    """QA: a malformed assistant-corpus.toml was ignored without a word, even with --strict: the articles simply got
    no outlet or date. It is now one warning line naming the file and the problem; the articles are still indexed."""
    from click.testing import CliRunner

    from assistant.cli import main

    root = tmp_path / "c"
    for folder, content in (("a", "not toml [[["), ("b", 'outlet = 5\ndate_in = "sideways"\ndate_pattern = "%Q"\n'),
                            ("ok", 'outlet = "BBC"\ndate_pattern = "%Y-%m-%d"\n')):
        (root / folder).mkdir(parents=True)
        (root / folder / "assistant-corpus.toml").write_text(content, encoding="utf-8")
        (root / folder / "x.txt").write_text(BODY, encoding="utf-8")
    result = CliRunner().invoke(main, ["--corpus", str(root), "--index", str(tmp_path / "index"), "index",
                                       "--backend", "hash", "--strict"])
    lines = result.output.splitlines()
    assert any(line.startswith("warning: a/assistant-corpus.toml: not valid TOML") for line in lines), result.output
    assert any(line.startswith("warning: b/assistant-corpus.toml: outlet must be text, not int; date_in must be name, "
                               "text or both, not 'sideways'; date_pattern '%Q' needs %Y") for line in lines), result.output
    assert not any("ok/assistant-corpus.toml" in line for line in lines)
    assert "3 articles added" in result.output and result.exit_code == 1  # --strict: not read cleanly
