"""One-line bars: the active filters above the question box and the engine status below it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Static

from assistant.models import Filters, IndexStats
from assistant.tui.safe import one_line

if TYPE_CHECKING:
    from assistant.index.progress import Progress


class FilterBar(Static):
    """Shows the filters set from the UI (inline filters show in each turn)."""

    def __init__(self) -> None:
        super().__init__("", id="filter-bar", markup=False)

    def show(self, filters: Filters) -> None:
        """Display `filters`."""
        if filters.is_empty():
            self.update(Content.assemble(
                ("Filters: none", "$text-muted"),
                (" \u00b7 Ctrl+F, or type since:2023-08-01 source:bbc in a question", "$text-muted"),
            ))
        else:
            self.update(Content.assemble(("Filters: ", "bold"), (one_line(filters.describe()), "bold $warning"),
                                         (" \u00b7 Ctrl+F to change", "$text-muted")))
        self.set_class(not filters.is_empty(), "-active")


def progress_text(progress: Progress) -> str:
    """The engine's own line, or 'phase… done/total' when it gave none."""
    if progress.message:
        return one_line(progress.message)
    if progress.phase == "model":
        return "loading model\u2026"
    if progress.total:
        return f"{progress.phase}\u2026 {progress.done:,}/{progress.total:,}"
    return f"{progress.phase}\u2026"


def stats_text(stats: IndexStats | None, corpus: str) -> str:
    """'corpus ./corpus · 2,225 articles · 9,876 chunks · model (backend)'."""
    if stats is None:
        return f"corpus {corpus} \u00b7 ready"
    return one_line(
        f"corpus {stats.corpus or corpus} \u00b7 {count(stats.articles, 'article')} \u00b7 {count(stats.chunks, 'chunk')}"
        f" \u00b7 {stats.model} ({stats.backend})"
    )


def count(number: int, noun: str) -> str:
    """'1 article', '2,225 articles'."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


class StatusLine(Static):
    """Engine state: progress and 'model loading…', then index size and model, or the error."""

    def __init__(self) -> None:
        super().__init__("", id="status-line", markup=False)

    def show_loading(self, detail: str = "") -> None:
        """The engine is still opening."""
        lead = f"{detail} \u00b7 " if detail else ""
        self.update(Content.assemble(("\u25cc ", "$warning"), lead, ("model loading\u2026", "$warning")))
        self.set_classes("-loading")

    def show_ready(self, text: str) -> None:
        """The engine is ready; `text` describes the index."""
        self.update(Content.assemble(("\u25cf ", "$success"), text))
        self.set_classes("-ready")

    def show_failed(self, error: str) -> None:
        """The engine could not be opened."""
        self.update(Content.assemble(("\u2716 engine not available: ", "bold $error"), one_line(error)))
        self.set_classes("-failed")


class WritingStatus(Static):
    """Right of the status line: the citation style the copy keys use, and what the folder watch is doing."""

    def __init__(self) -> None:
        super().__init__("", id="writing-status", markup=False)
        self.style_name = ""
        self.watch_text = ""
        self.watch_kind = "off"

    def show(self, *, style: str | None = None, watch: str | None = None, kind: str | None = None) -> None:
        """Update the parts given: `style` (display name), `watch` (one line) and its `kind` (off, idle, busy, failed)."""
        if style is not None:
            self.style_name = style
        if watch is not None:
            self.watch_text = one_line(watch)
        if kind is not None:
            self.watch_kind = kind
        look = {"busy": "$warning", "failed": "bold $error", "idle": "$success"}.get(self.watch_kind, "$text-muted")
        # The style first: it is what the keys act on; on a narrow screen the watch line is cut instead.
        parts: list[tuple[str, str] | str] = [("cite ", "$text-muted"), (self.style_name, "bold"), (" (F3)", "$text-muted")]
        if self.watch_text:
            parts += [" \u00b7 ", (self.watch_text, look)]
        self.update(Content.assemble(*parts))
