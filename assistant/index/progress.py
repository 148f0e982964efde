"""What an indexing run tells its caller: progress events while it works and a report when it is done."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from assistant.models import LoadProblem


Phase = Literal["scan", "load", "embed", "write", "model", "ready"]
"""What a long step is doing: walking the corpus, reading changed files, embedding, committing, loading the model, done."""


@dataclass(frozen=True)
class Progress:
    """One progress event of a long step, for a progress bar or a status line."""

    phase: Phase
    done: int
    """Units done in this phase."""
    total: int
    """Units expected in this phase (0 when unknown)."""
    message: str
    """One line for a person."""


@dataclass
class IndexReport:
    """What one `assistant index` run did."""

    files: int = 0
    """Corpus files found."""
    unchanged: int = 0
    """Files skipped because their size and modification time had not changed."""
    added: int = 0
    """Articles added (embedded)."""
    updated: int = 0
    """Articles whose content changed (re-embedded)."""
    moved: int = 0
    """Articles found under a new path (not re-embedded)."""
    removed: int = 0
    """Articles deleted."""
    chunks_embedded: int = 0
    """Chunks sent through the model."""
    problems: list[LoadProblem] = field(default_factory=list)
    """Files that could not be read cleanly."""
    seconds: float = 0.0
    """Wall time."""
