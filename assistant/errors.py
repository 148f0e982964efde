"""The project's exceptions, in one place: each one's str() is one line a person can act on."""

from __future__ import annotations


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, its type's name when it has none: how a failure is shown in one
    line wherever it is caught."""
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


class EngineError(Exception):
    """Something a user must fix (no index, wrong model, corpus gone); str() is one clear line."""


class StoreError(Exception):
    """The SQLite file is missing, corrupt or of an unknown schema; the message says what to do."""


class VectorError(Exception):
    """The FAISS file is missing, corrupt or does not match SQLite."""


class IndexLocked(Exception):
    """Another process holds the index lock."""


class IndexMismatch(Exception):
    """The index was built with another model or backend; the message says to re-index."""


class NotAnIndex(Exception):
    """The folder named as the index holds other files and no index: nothing in it is touched."""


class SessionError(Exception):
    """A session file that cannot be read; str(exc) is one line for a person."""


class NotebookError(Exception):
    """A notebook file that cannot be read or written; str(exc) is one line for a person."""


class QuestionError(ValueError):
    """A question that cannot be searched (empty, only punctuation, a bad filter); the message says why."""


class UnsafeFileError(OSError):
    """A path the app refused to write through (a symlink, not a regular file, ...); str(exc) is one line."""


class UnsafeFolder(ValueError):
    """A cache or state folder that another user owns or may write: a model could be planted in it."""


class QuoteMismatch(AssertionError):
    """A quote that is not an exact substring of its article: a bug, never shown to users."""


class DraftError(ValueError):
    """A draft file that cannot be checked; the message is one line naming the file and the problem."""


class StoreConnectionError(StoreError, EngineError):
    """A reader's connection to its PostgreSQL server was lost during a snapshot, or could not be made again (the
    server is down, restarting or unreachable): one line naming the store, never advice to rebuild it. An EngineError,
    so whatever reports an engine's problems (ask, the chat, the MCP tools) shows it as one line."""
