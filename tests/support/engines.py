"""Engines opened for a test and closed after it, and the check every answer must pass: quotes are verbatim."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.embedding.hashing import HashEmbedder
from assistant.models import Answer
from assistant.search.engine import Engine


@contextmanager
def opened(index_dir: Path, **kwargs: Any) -> Iterator[Engine]:
    """Engine on index_dir (the fake embedder unless one is given), closed on the way out."""
    kwargs.setdefault("embedder", HashEmbedder())
    engine = Engine(index_dir, **kwargs)
    try:
        yield engine
    finally:
        engine.close()


def assert_quotes_verbatim(engine: Engine, answer: Answer) -> None:
    """Every quote is its article's text[start:end]."""
    for quote in answer.quotes:
        assert engine.article(quote.article_id).text[quote.start : quote.end] == quote.text


def quotes_are_verbatim(engine: Engine, question: str) -> int:
    """Ask; every quote must be its article's text[start:end]. Returns the number of quotes."""
    answer = engine.ask(question)
    assert_quotes_verbatim(engine, answer)
    return len(answer.quotes)


def check_offsets(engine: Engine, corpus: Path, answer: Answer) -> None:
    """Every quote is an exact substring of its article, and of the file for .txt/.md, with its line number."""
    assert_quotes_verbatim(engine, answer)
    for quote in answer.quotes:
        if quote.path.endswith((".txt", ".md")):
            file_text = (corpus / quote.path).read_text(encoding="utf-8")
            assert file_text[quote.start : quote.end] == quote.text
            assert quote.line == file_text.count("\n", 0, quote.start) + 1
