"""What the TUI adds to the core's contract: the callbacks it hands the engine and one-line error text."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant.errors import EngineError

if TYPE_CHECKING:
    # Types only: importing assistant.search.engine at run time would pull heavy modules onto the UI thread.
    from assistant.index.progress import Progress
    from assistant.search.engine import Engine

ProgressCallback = Callable[["Progress"], None]
EngineFactory = Callable[[ProgressCallback], "Engine"]


def error_text(exc: BaseException) -> str:
    """One line for a person: EngineError's own message, the class name for anything unexpected."""
    if isinstance(exc, EngineError):
        return str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
