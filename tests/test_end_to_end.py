"""The whole path on the real bundled model: index the shipped corpus, ask, read exact quotes.

The model is loaded once per session (conftest's real_embedder) and shared by every engine here."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.index.indexer import build_index
from assistant.search.engine import Engine
from assistant.settings import Settings
from support.corpus import SEED

pytestmark = pytest.mark.model
CORPUS = SEED.parent


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("e2e")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    index = root / "index"
    report = build_index(corpus, index, embedder=real_embedder)
    assert report.added == 1 and report.chunks_embedded > 5 and not report.problems
    return corpus, index


@pytest.fixture(scope="module")
def engine(seed_index: tuple[Path, Path], real_embedder: Any) -> Iterator[Engine]:
    opened = Engine(seed_index[1], embedder=real_embedder)
    yield opened
    opened.close()


def test_index_of_the_shipped_corpus(seed_index: tuple[Path, Path], engine: Engine, real_embedder: Any) -> None:
    corpus, index = seed_index
    stats = engine.stats()
    assert (stats.files, stats.articles) == (1, 1)
    assert stats.chunks >= 6 and stats.sentences >= 30
    assert stats.model == "all-MiniLM-L6-v2" and stats.dim == 384 and stats.backend == "onnx-int8"
    again = build_index(corpus, index, embedder=real_embedder)
    assert again.chunks_embedded == 0 and again.unchanged == 1


@pytest.mark.parametrize(
    "question",
    [
        "Who said Azerbaijan will not negotiate with the self-styled leaders?",
        "What did Tofig Zulfugarov say about negotiations?",
    ],
)
def test_zulfugarov_is_quoted_first(seed_index: tuple[Path, Path], engine: Engine, question: str) -> None:
    corpus, _ = seed_index
    answer = engine.ask(question)
    assert answer.answered
    first = answer.quotes[0]
    # The whole quotation (paragraphs 3-4, which never name him) with its speaker resolved at index
    # time, and a first line naming him (issue 13).
    assert "Azerbaijan will not negotiate with them" in first.text
    assert first.speaker is not None and first.speaker.name == "Tofig Zulfugarov"
    if question.startswith("Who said"):
        assert answer.message.startswith("Tofig Zulfugarov")
    text = (corpus / first.path).read_text(encoding="utf-8")
    for quote in answer.quotes:
        assert text[quote.start : quote.end] == quote.text
        assert quote.line == text.count("\n", 0, quote.start) + 1


def test_aghdam_road_source_lookup(engine: Engine) -> None:
    answer = engine.ask("who said the Aghdam road is not for cargo from Armenia, and when?")
    assert answer.answered
    # Who and when, in the first quote and its citation: the "he stressed ..." sentence comes with the
    # sentence before it, which names the speaker.
    first = answer.quotes[0]
    assert "Aghdam road is not intended for any cargo from Armenia" in first.text
    assert first.text.startswith("Political commentator Ilham Ismail stated")
    assert first.date is not None and first.date.isoformat() == "2023-08-08"


def test_out_of_corpus_question_abstains(engine: Engine) -> None:
    answer = engine.ask("Which team won the 2005 Six Nations rugby championship?")
    assert not answer.answered and all(q.weak for q in answer.quotes)


async def test_tui_answers_the_zulfugarov_question_on_the_real_model(
    seed_index: tuple[Path, Path], real_embedder: Any, tmp_path: Path
) -> None:
    """The chat UI over the real engine and model, driven as a user: his quote comes first, with its citation."""
    from textual import events

    from textual.widgets import Static

    from assistant.tui.app import make_app
    from assistant.tui.turn import TurnView

    corpus, index = seed_index
    settings = Settings(corpus=corpus, index=index)
    app = make_app(settings, engine_factory=lambda on_progress: Engine(index, embedder=real_embedder), session_dir=tmp_path / "sessions")
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.click("#question")
        assert app.focused is not None
        app.focused.post_message(events.Paste("What did Tofig Zulfugarov say about negotiations?"))
        await pilot.pause()
        await pilot.press("enter")
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        (turn,) = app.query(TurnView)
        first = turn.quote_views[0]
        assert first.quote.n == 1
        text = str(first.query_one(".body", Static).render())
        assert "Azerbaijan will not negotiate with them" in text and "Tofig Zulfugarov" in text
        assert "Relations between Baku and Karabakh Armenians" in text and "8 Aug 2023" in text
