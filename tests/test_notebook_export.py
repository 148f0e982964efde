"""The notebook's Markdown export: each source listed once, and a pin whose article changed says so."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.indexes import build
from support.tui import HARBOUR_QUOTE, MINISTER, QUOTAS, quote_of

from assistant import notebook
from assistant.cli import main
from assistant.index.stores import open_store
from assistant.models import Quote

TRADE = "Trade talks\n\nThe minister said the deal was dead for this year.\n\nFishing quotas were the final obstacle.\n"
STORM = "Storm damage\n\nThe harbour reopened on Tuesday after repairs.\n\nThe council met on Wednesday.\n"
RATES = "Rates held\n\nThe central bank held its rate at four percent.\n"


def _sources(text: str) -> list[str]:
    return text.split("## Sources")[1].strip().splitlines()


# ------------------------------------------------------------------ each source once


@pytest.mark.parametrize("style", notebook.EXPORT_STYLES)
def test_quotes_from_one_article_list_it_once(style: str) -> None:
    """QA: three pins from two articles listed three sources, the first article twice."""
    pinned = tuple(notebook.Pinned(q) for q in (quote_of(1, MINISTER, 1), quote_of(2, HARBOUR_QUOTE, 2),
                                                quote_of(1, QUOTAS, 3)))
    text = notebook.markdown(pinned, style)
    sources = _sources(text)
    assert len(sources) == 2, sources
    assert sources[0].startswith("1. ") and "Trade" in sources[0]
    assert sources[1].startswith("2. ") and "Harbour" in sources[1]
    # Each quote points at its source's number, its own paragraph beside it.
    assert f"\u201c{MINISTER}\u201d [1], para. 3" in text
    assert f"\u201c{QUOTAS}\u201d [1], para. 30" in text
    assert f"\u201c{HARBOUR_QUOTE}\u201d [2], para. 2" in text
    assert "para." not in "\n".join(sources)  # the paragraph belongs to a quote, not to its article


def test_a_record_of_a_jsonl_file_is_its_own_source() -> None:
    first = quote_of(1, MINISTER, 1)
    other = dataclasses.replace(quote_of(1, QUOTAS, 2), record=2, title="Another record")
    assert len(_sources(notebook.markdown((notebook.Pinned(first), notebook.Pinned(other)), "apa"))) == 2


# ------------------------------------------------------------------ a pin whose article changed


def _pin(index: Path, path: str, words: str) -> Quote:
    """A Quote of `words` in the indexed article at `path`, as the chat would have pinned it."""
    store = open_store(index)
    try:
        article_id = next(i for i, p in store.article_paths().items() if p == path)  # type: ignore[attr-defined]
        article = store.article(article_id)
    finally:
        store.close()
    assert article is not None
    start = article.text.index(words)
    return Quote(n=1, text=words, article_id=article_id, path=path, record=0, title=article.title, date=None,
                 source=None, url=None, author=None, paragraph=article.text[:start].count("\n\n"), line=None,
                 start=start, end=start + len(words), score=1.0)


def _changed_corpus(tmp_path: Path) -> tuple[Path, tuple[notebook.Pinned, ...]]:
    """An index whose articles changed after four quotes were pinned: one kept, one deleted, two edited."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    for name, text in {"trade.txt": TRADE, "storm.txt": STORM, "rates.txt": RATES}.items():
        (corpus / name).write_text(text, encoding="utf-8")
    build(corpus, index)
    pinned = (
        notebook.Pinned(_pin(index, "trade.txt", "Fishing quotas were the final obstacle."), "what blocked it"),
        notebook.Pinned(_pin(index, "storm.txt", "The harbour reopened on Tuesday after repairs.")),
        notebook.Pinned(_pin(index, "rates.txt", "The central bank held its rate at four percent.")),
        notebook.Pinned(_pin(index, "storm.txt", "The council met on Wednesday.")),
    )
    (corpus / "rates.txt").unlink()
    # One pin's words are gone, the other's moved: a new paragraph was put before them.
    (corpus / "storm.txt").write_text(
        "Storm damage\n\nRepairs went on all week.\n\nThe harbour stays shut.\n\nThe council met on Wednesday.\n",
        encoding="utf-8")
    build(corpus, index)
    return index, pinned


def test_export_warns_next_to_each_pin_its_article_no_longer_holds(tmp_path: Path) -> None:
    index, pinned = _changed_corpus(tmp_path)
    text = notebook.markdown(pinned, "chicago", index=index)
    blocks = text.split("## Sources")[0].split("\n\n> ")[1:]
    assert len(blocks) == 4
    kept, edited, deleted, moved = blocks
    assert "Warning" not in kept
    assert edited.count("Warning") == 1 and "storm.txt" in edited and "no longer holds these words" in edited
    assert deleted.count("Warning") == 1 and "rates.txt" in deleted and "no longer in the index" in deleted
    assert moved.count("Warning") == 1 and "now at another place" in moved
    warnings = [line for line in text.splitlines() if "Warning" in line]
    assert len(warnings) == 3 and all(line.startswith("**Warning:** ") for line in warnings)


def test_cli_export_checks_the_pins_against_the_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index, pinned = _changed_corpus(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    notebook.save(notebook.notebook_path(index), pinned)
    out = tmp_path / "notes.md"
    done = CliRunner().invoke(main, ["notebook", "export", str(out), "--index", str(index)])
    assert done.exit_code == 0, done.output
    assert out.read_text(encoding="utf-8").count("**Warning:** ") == 3


def test_export_says_once_when_it_could_not_check_the_pins(tmp_path: Path) -> None:
    text = notebook.markdown((notebook.Pinned(quote_of(1, MINISTER, 1)),), "apa", index=tmp_path / "no-index")
    assert text.count("not checked against the index") == 1 and "Warning" not in text
    assert "not checked" not in notebook.markdown((notebook.Pinned(quote_of(1, MINISTER, 1)),), "apa")
