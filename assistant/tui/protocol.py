"""What the UI needs from the engine, as protocols, so the UI never imports assistant.search.engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from assistant.models import Answer, Article, Filters, IndexStats


class ProgressLike(Protocol):
    """Shape of assistant.search.engine.Progress."""

    @property
    def phase(self) -> str: ...
    @property
    def done(self) -> int: ...
    @property
    def total(self) -> int: ...
    @property
    def message(self) -> str: ...


class EngineLike(Protocol):
    """Shape of assistant.search.engine.Engine."""

    def ask(
        self,
        question: str,
        *,
        filters: Filters | None = None,
        max_quotes: int = 5,
        previous: Answer | None = None,
    ) -> Answer: ...
    def article(self, article_id: int) -> Article: ...
    def stats(self) -> IndexStats: ...
    def sources(self) -> list[str]: ...
    def close(self) -> None: ...


ProgressCallback = Callable[[ProgressLike], None]
EngineFactory = Callable[[ProgressCallback], EngineLike]


def error_text(exc: BaseException) -> str:
    """One line for a person: EngineError's own message, the class name for anything unexpected."""
    # Matched by name: importing assistant.search.engine here would pull heavy modules onto the UI thread.
    if any(cls.__name__ == "EngineError" for cls in type(exc).__mro__):
        return str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
