"""The fake engine, articles and answers behind the Textual tests (no index, no model: fixed answers), and the
Pilot helpers every TUI test file shares (build, record_notes, settle, paste, ask, capture_copies, isolate, steady,
app_on_index, wait_for)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

from assistant.models import Answer, Article, Filters, IndexStats, Quote
from assistant.settings import Settings
from assistant.tui.app import AssistantApp, make_app
from assistant.tui.turn import TurnView

FILLER = (
    "Officials spent the morning on procedural matters and the afternoon on the budget timetable, "
    "which several delegations described as unrealistic."
)


def long_text(title: str, key_paragraphs: dict[int, str], paragraphs: int = 40) -> str:
    """A title line and `paragraphs` paragraphs of filler, with the given paragraphs replaced."""
    body = [key_paragraphs.get(i, f"Paragraph {i}. {FILLER}") for i in range(1, paragraphs + 1)]
    return title + "\n\n" + "\n\n".join(body) + "\n"


TRADE = long_text(
    "Trade talks collapse in Brussels",
    {
        3: "Negotiators left the building before dawn. The minister said the deal was dead for this year.",
        30: "Fishing quotas were the final obstacle. Neither side would accept a cut below forty percent.",
    },
)
HARBOUR = long_text(
    "Harbour reopens after storm",
    {2: "The harbour reopened on Tuesday after repairs costing two million pounds."},
    paragraphs=6,
)
HOSTILE_QUOTE = "Ignore [bold red]X[/] and \x1b]52;c;SGVsbG8=\x07 then \x1b[31mred\x1b[0m [link=http://x]y[/link]."
HOSTILE = long_text("[b]Evil[/b] \x1b]0;pwned\x07 title", {1: HOSTILE_QUOTE}, paragraphs=3)


def make_article(article_id: int, text: str, *, source: str = "BBC", day: str = "2023-08-08") -> Article:
    """An article whose title is its first line."""
    title = text.split("\n", 1)[0]
    return Article(
        path=f"news/{article_id:03d}.txt", record=0, text=text, body_start=len(title) + 2, title=title,
        date=dt.date.fromisoformat(day), source=source, url=f"https://example.org/{article_id}",
    )


ARTICLES = {1: make_article(1, TRADE), 2: make_article(2, HARBOUR, source="Reuters", day="2024-01-02"),
            3: make_article(3, HOSTILE, source="[i]Mallory[/i]")}


def quote_of(article_id: int, phrase: str, n: int, *, weak: bool = False, score: float = 0.8) -> Quote:
    """A Quote of `phrase` with its exact offsets in the fake article."""
    article = ARTICLES[article_id]
    start = article.text.index(phrase)
    paragraph = article.text[:start].count("\n\n")
    return Quote(
        n=n, text=phrase, article_id=article_id, path=article.path, record=0, title=article.title,
        date=article.date, source=article.source, url=article.url, author=None, paragraph=paragraph,
        line=article.text[:start].count("\n") + 1, start=start, end=start + len(phrase), score=score, weak=weak,
    )


MINISTER = "The minister said the deal was dead for this year."
QUOTAS = "Fishing quotas were the final obstacle."
HARBOUR_QUOTE = "The harbour reopened on Tuesday after repairs costing two million pounds."


def answer_for(question: str, filters: Filters, previous: Answer | None) -> Answer:
    """Fixed answers: 'hostile' quotes the hostile article, 'moon' abstains, anything else the trade talks."""
    searched = question if previous is None or len(question.split()) > 3 else f"{previous.searched} {question}"
    if not any(ch.isalnum() for ch in question):
        return Answer(question, question, filters, False, (), message="the question has no words to search for")
    if "hostile" in question:
        quotes: tuple[Quote, ...] = (quote_of(3, HOSTILE_QUOTE, 1),)
        return Answer(question, searched, filters, True, quotes, seconds=0.05)
    if "moon" in question:
        quotes = (quote_of(2, HARBOUR_QUOTE, 1, weak=True, score=0.1),)
        return Answer(question, searched, filters, False, quotes, message="nothing relevant", seconds=0.05)
    quotes = (quote_of(1, MINISTER, 1), quote_of(1, QUOTAS, 2, score=0.7), quote_of(2, HARBOUR_QUOTE, 3, score=0.5))
    return Answer(question, searched, filters, True, quotes, seconds=0.12)


@dataclass(frozen=True)
class FakeProgress:
    """Same fields as assistant.search.engine.Progress."""

    phase: str
    done: int
    total: int
    message: str


QUOTED_PEOPLE = ("Tony Blair", "Alan Milburn", "Peter Lund", "Maria Olsen")
"""The people FakeEngine.is_quoted knows (the speakers its answers' quotes may carry)."""


@dataclass
class FakeEngine:
    """Records every call; `ask_gate`, when given, holds each ask until it is set."""

    ask_gate: threading.Event | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False

    def ask(self, question: str, *, filters: Filters | None = None, max_quotes: int = 5,
            previous: Answer | None = None) -> Answer:
        self.calls.append({"question": question, "filters": filters, "max_quotes": max_quotes, "previous": previous})
        if self.ask_gate is not None:
            self.ask_gate.wait(10)
        words, merged = [], filters or Filters()
        for word in question.split():  # a tiny version of the engine's inline filter syntax
            key, _, value = word.partition(":")
            if key in ("since", "until") and value:
                merged = dataclasses.replace(merged, **{key: dt.date.fromisoformat(value)})
            elif key in ("source", "article") and value:
                merged = dataclasses.replace(merged, **{key: value})
            else:
                words.append(word)
        return dataclasses.replace(answer_for(" ".join(words), merged, previous), question=question)

    def article(self, article_id: int) -> Article:
        return ARTICLES[article_id]

    def is_quoted(self, name: str) -> bool:
        """Like Engine.is_quoted: someone these fake articles quote goes by `name`."""
        return any(name in person for person in QUOTED_PEOPLE)

    def stats(self) -> IndexStats:
        return IndexStats(articles=3, chunks=57, sentences=180, files=3, model="all-MiniLM-L6-v2", dim=384,
                          backend="onnx-int8", size_bytes=1, updated=None, corpus="corpus")

    def sources(self) -> list[str]:
        return ["Reuters", "BBC", "[i]Mallory[/i]"]

    def close(self) -> None:
        self.closed = True


def factory(engine: FakeEngine, *, gate: threading.Event | None = None, error: Exception | None = None,
            progress: Sequence[FakeProgress] = ()) -> Callable[[Callable[[Any], None]], FakeEngine]:
    """An engine factory that reports `progress`, waits for `gate`, then returns `engine` or raises `error`."""

    def open_engine(on_progress: Callable[[Any], None]) -> FakeEngine:
        for step in progress:
            on_progress(step)
        if gate is not None:
            gate.wait(10)
        if error is not None:
            raise error
        return engine

    return open_engine


def settings(tmp: Path) -> Settings:
    """Settings pointing at a temporary folder."""
    return Settings(corpus=tmp / "corpus", index=tmp / "index")


# --- Pilot helpers ---------------------------------------------------------------------------


def isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in `tmp_path` with config and data folders inside it: exports go to the working directory, and
    no config, session or notebook of the real user is read or written."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def build(
    tmp_path: Path,
    engine: FakeEngine | None = None,
    *,
    gate: threading.Event | None = None,
    error: Exception | None = None,
    progress: Sequence[FakeProgress] = (),
    **app_options: Any,
) -> tuple[AssistantApp, FakeEngine, list[str]]:
    """The app on a fake engine (opened through factory(engine, gate=, error=, progress=)), every
    notification message recorded; `app_options` go to make_app (resume=True, ...)."""
    engine = engine or FakeEngine()
    app = make_app(settings(tmp_path), engine_factory=factory(engine, gate=gate, error=error, progress=progress),
                   session_dir=tmp_path / "sessions", **app_options)
    return app, engine, record_notes(app)


def record_notes(app: AssistantApp) -> list[str]:
    """Every notification message the app shows from now on, in order (they are still shown)."""
    notes: list[str] = []
    original = app.notify

    def notify(message: str, **options: Any) -> None:
        notes.append(message)
        original(message, **options)

    app.notify = notify  # type: ignore[method-assign]
    return notes


async def settle(app: AssistantApp, pilot: Pilot[None]) -> None:
    """Every worker done and the messages it posted handled (twice: a handler may start another worker)."""
    for _ in range(2):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def paste(app: AssistantApp, pilot: Pilot[None], text: str) -> None:
    """Text arriving as a bracketed paste in the focused widget (typing key by key costs ~60 ms a key under Pilot)."""
    assert app.focused is not None
    app.focused.post_message(events.Paste(text))
    await pilot.pause()


async def ask(app: AssistantApp, pilot: Pilot[None], question: str) -> TurnView:
    """Ask `question` from the question box and wait for the answer; its turn."""
    await pilot.click("#question")
    await paste(app, pilot, question)
    await pilot.press("enter")
    await settle(app, pilot)
    return list(app.query(TurnView))[-1]


def capture_copies(app: AssistantApp, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Copies land in the returned list, as if the terminal took OSC 52."""
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    monkeypatch.setenv("TERM_PROGRAM", "WezTerm")
    monkeypatch.delenv("TMUX", raising=False)
    return copied


async def steady(pilot: Pilot[None]) -> None:
    """Text cursors shown without blinking, so a snapshot does not depend on when it was taken."""
    for screen in pilot.app.screen_stack:
        for box in screen.query(Input):
            box.cursor_blink = False
    await pilot.pause()


def app_on_index(index: Path, tmp_path: Path) -> AssistantApp:
    """The real app on a real index (the fast fake embedder), its sessions under tmp_path."""
    from assistant.embedding.hashing import HashEmbedder
    from assistant.search.engine import Engine

    return make_app(Settings(corpus=tmp_path / "corpus", index=index),
                    engine_factory=lambda progress: Engine(index, embedder=HashEmbedder()), session_dir=tmp_path / "sessions")


async def wait_for(pilot: Pilot[None], condition: Callable[[], object], tries: int = 100) -> None:
    """Pause until `condition()` holds (a worker's answer, a screen pushed); fail after `tries` pauses of 50 ms."""
    for _ in range(tries):
        await pilot.pause(0.05)
        if condition():
            return
    raise AssertionError("condition not reached")
