"""Problems found while a corpus file is read: giving up on a file, warnings, a JSONL file's bad lines."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.models import LoadProblem, ProblemKind

__all__ = ["MAX_LINE_PROBLEMS", "JsonlLog", "ProblemSink", "Skipped", "Warnings", "first_line", "os_reason"]

MAX_LINE_PROBLEMS = 100
"""Bad JSONL lines reported one by one; the rest are summed up in one line."""
ProblemSink = Callable[[LoadProblem], None]


class Skipped(Exception):
    """Raised inside a loader to give up on a file (or record) with one line for the user."""

    def __init__(self, message: str, kind: ProblemKind) -> None:
        super().__init__(message)
        self.kind = kind
        """LoadProblem.kind."""


@dataclass
class Warnings:
    """Non-skipping problems collected for one path while it is read."""

    path: str
    messages: list[tuple[str, ProblemKind]] = field(default_factory=list)

    def add(self, message: str, kind: ProblemKind = "metadata") -> None:
        """Note one warning."""
        self.messages.append((message, kind))

    def problems(self) -> list[LoadProblem]:
        """The warnings as LoadProblems."""
        return [LoadProblem(self.path, m, skipped=False, kind=kind) for m, kind in self.messages]


@dataclass
class JsonlLog:
    """Problems of one JSONL file, with bad lines capped so a broken file stays readable."""

    rel: str
    problems: list[LoadProblem] = field(default_factory=list)
    bad_lines: int = 0
    fallback_lines: int = 0
    fallback_encoding: str = ""

    def bad_line(self, line_no: int, message: str, kind: ProblemKind = "malformed") -> None:
        """A line that was skipped."""
        self.bad_lines += 1
        if self.bad_lines <= MAX_LINE_PROBLEMS:
            self.problems.append(LoadProblem(f"{self.rel}:{line_no}", message, kind=kind))

    def finish(self) -> tuple[LoadProblem, ...]:
        """All problems, with summaries for capped lines and fallback decoding."""
        extra = []
        if self.bad_lines > MAX_LINE_PROBLEMS:
            hidden = self.bad_lines - MAX_LINE_PROBLEMS
            extra.append(LoadProblem(self.rel, f"{hidden} more bad lines not listed", kind="malformed"))
        if self.fallback_lines:
            message = f"not UTF-8 ({self.fallback_lines} lines); decoded as {self.fallback_encoding}"
            extra.append(LoadProblem(self.rel, message, skipped=False, kind="decoding"))
        return tuple(self.problems + extra)


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type when it has none)."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def os_reason(exc: OSError) -> str:
    """The OS's words for an error ('Permission denied'), without errno or path."""
    return exc.strerror or str(exc) or type(exc).__name__
