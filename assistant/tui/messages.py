"""Messages that worker threads post to the app (past-tense events)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from assistant.corpus.metadata import Coverage
from assistant.models import Answer, Article, IndexStats

if TYPE_CHECKING:
    from assistant.index.progress import Progress
    from assistant.index.watch import WatchUpdate
    from assistant.search.engine import Engine


@dataclass
class EngineProgressed(Message):
    """The engine reported progress while opening."""

    progress: Progress


@dataclass
class EngineReady(Message):
    """The engine opened; stats and sources were read in the worker thread."""

    engine: Engine
    stats: IndexStats | None
    sources: list[str]
    coverage: Coverage | None = None


@dataclass
class EngineFailed(Message):
    """The engine could not be opened."""

    error: str


@dataclass
class AnswerReady(Message):
    """A question was answered."""

    turn_id: int
    answer: Answer


@dataclass
class AnswerFailed(Message):
    """Asking a question raised an error."""

    turn_id: int
    error: str


@dataclass
class ArticleLoaded(Message):
    """An article for the reader arrived (or could not be loaded: article is None)."""

    article_id: int
    article: Article | None
    error: str = ""


@dataclass
class OpenRequested(Message):
    """The user wants to read the article that quote `index` of `answer` comes from."""

    answer: Answer
    index: int


@dataclass
class CopyRequested(Message):
    """The user wants quote `index` (or, with whole_answer, every quote) on the clipboard."""

    answer: Answer
    index: int
    whole_answer: bool


@dataclass
class MoreQuotes(Message):
    """The current answer asked again for more quotes."""

    turn_id: int
    answer: Answer


@dataclass
class WatchProgressed(Message):
    """The folder watch is indexing (thinned to a few events a second)."""

    progress: Progress


@dataclass
class WatchUpdated(Message):
    """The folder watch finished one update of the index (or failed to: update.error)."""

    update: WatchUpdate


@dataclass
class WatchFailed(Message):
    """The folder watch stopped for good (the folder vanished, no inotify watches left...)."""

    error: str


@dataclass
class StatsRefreshed(Message):
    """The index changed under the open engine (the folder watch): its size, sources and coverage read again."""

    stats: IndexStats | None
    sources: list[str]
    coverage: Coverage | None = None
