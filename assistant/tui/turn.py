"""Chat turn widgets: a question with its status and the quotes of its answer."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from assistant.text.citations import attribution, quoted, reference
from assistant.models import Answer, Filters, Quote
from assistant.text.followup import Resolution, searched_note
from assistant.tui.messages import CopyRequested, OpenRequested
from assistant.tui.safe import one_line, plain, shown

QUEUED, RUNNING, ANSWERED, CANCELLED, FAILED = "queued", "running", "answered", "cancelled", "failed"


def source_line(quote: Quote) -> str:
    """'Title, Outlet, 8 Aug 2023, para. 4' plus weak and duplicate notes, on one line."""
    line = reference(quote)
    if quote.weak:
        line = f"weak match \u00b7 {line}"
    if quote.also_in:
        places = len(quote.also_in)
        line += f" \u00b7 also in {places} other place{'s' if places > 1 else ''}"
    return one_line(line)


def notes(answer: Answer) -> tuple[str, str]:
    """The line(s) shown above the quotes and their kind: 'answered' or 'abstained'."""
    message = one_line(answer.message)
    if answer.answered:
        return message or ("" if answer.quotes else "No quotes found."), "answered"
    if not answer.quotes:
        # A refusal with a reason (a bad date, nothing matching the filters) says just that.
        return message or "The corpus does not appear to answer this.", "abstained"
    head = "The corpus does not appear to answer this"
    if message and "does not appear to answer" not in message.lower():
        head += f": {message}"
    return f"{head.rstrip('.')}.\nClosest passages, all weak matches:", "abstained"


class QuoteView(Widget, can_focus=True):
    """One quote of an answer: marker, the quoted words, and a compact source line."""

    BINDINGS = [
        Binding("enter,o", "open", "Open article"),
        Binding("c", "copy", "Copy quote"),
        Binding("C", "copy_answer", "Copy all"),
        Binding("p", "app.pin", "Pin"),
        Binding("m", "app.more_quotes", "More quotes", show=False),
        Binding("down,j,tab", "move(1)", "Next", show=False),
        Binding("up,k,shift+tab", "move(-1)", "Previous", show=False),
    ]

    @dataclass
    class Selected(Message):
        """The quote received focus."""

        view: QuoteView

    def __init__(self, answer: Answer, index: int) -> None:
        super().__init__(classes="-weak" if answer.quotes[index].weak else None)
        self.answer = answer
        self.index = index

    @property
    def quote(self) -> Quote:
        """The quote shown."""
        return self.answer.quotes[self.index]

    @property
    def body(self) -> Content:
        """The quoted words in quotation marks, then the source line (literal text)."""
        credit = attribution(self.quote.speaker)  # the speaker under the words (issue 13)
        return Content.assemble(
            quoted(shown(self.quote.text)),
            "\n",
            *((one_line(credit), "$text-accent"), "\n") if credit else (),
            (source_line(self.quote), "$text-muted"),
        )

    @property
    def plain_text(self) -> str:
        """Everything this widget shows, as plain text (for tests and screen readers)."""
        return f"[{self.quote.n}] {self.body.plain}"

    def compose(self) -> ComposeResult:
        yield Static(plain(f"[{self.quote.n}]"), classes="marker", markup=False)
        yield Static(self.body, classes="body", markup=False)

    def on_focus(self) -> None:
        self.post_message(self.Selected(self))

    def on_click(self, event: events.Click) -> None:
        # One click selects (focus happens on mouse down); a double click opens the article.
        if event.chain >= 2:
            self.action_open()

    def action_open(self) -> None:
        self.post_message(OpenRequested(self.answer, self.index))

    def action_copy(self) -> None:
        self.post_message(CopyRequested(self.answer, self.index, whole_answer=False))

    def action_copy_answer(self) -> None:
        self.post_message(CopyRequested(self.answer, self.index, whole_answer=True))

    @property
    def siblings(self) -> list[QuoteView]:
        """The quotes of the same answer, in order (moving never leaves the answer)."""
        parent = self.parent
        return list(parent.query_children(QuoteView)) if parent is not None else [self]

    def action_move(self, step: int) -> None:
        views = self.siblings
        position = views.index(self) + step
        if 0 <= position < len(views):
            views[position].focus()
        elif position >= len(views):
            # Past the last quote the natural place to go is back to the question box.
            for box in self.screen.query("#question"):
                box.focus()


class TurnView(Vertical):
    """A question, a line about what was searched, its state, and (when done) the quotes."""

    def __init__(self, turn_id: int, question: str, filters: Filters) -> None:
        super().__init__(classes="turn")
        self.turn_id = turn_id
        self.question = question
        self.filters = filters
        self.state = QUEUED
        self.answer: Answer | None = None
        self.resolution: Resolution | None = None
        """How the question was read in the conversation (who 'he' is, the topic), once it runs."""

    def compose(self) -> ComposeResult:
        yield Static(Content.assemble(("\u276f ", "bold $accent"), (one_line(self.question), "bold")),
                     classes="question", markup=False)
        yield Static("", classes="meta", markup=False)
        yield Static("", classes="status", markup=False)

    def _meta(self) -> Content:
        parts: list[str] = []
        answer = self.answer
        resolution = self.resolution
        if resolution is not None and resolution.note:
            parts.append(resolution.note)
        if answer is not None and (note := searched_note(self.question, answer.searched)):
            parts.append(note)
        elif answer is None and resolution is not None and resolution.question != self.question:
            parts.append(f"searching: {resolution.question}")
        filters = answer.filters if answer is not None else self.filters
        if not filters.is_empty():
            parts.append(f"filters: {filters.describe()}")
        if answer is not None and answer.answered:
            count = len(answer.quotes)
            parts.append(f"{count} quote{'s' if count != 1 else ''} in {answer.seconds:.2f}s")
        return plain(" \u00b7 ".join(one_line(p) for p in parts), "$text-muted")

    def _set_status(self, text: str, kind: str) -> None:
        status = self.query_one(".status", Static)
        status.update(plain(text))
        status.set_classes(f"status -{kind}")
        status.display = bool(text)

    def _update_meta(self) -> None:
        meta = self.query_one(".meta", Static)
        content = self._meta()
        meta.update(content)
        meta.display = bool(content.plain)

    def refresh_meta(self) -> None:
        """Show the meta line again (after the question was resolved)."""
        if self.is_mounted:
            self._update_meta()

    def on_mount(self) -> None:
        self._update_meta()
        if self.answer is not None:
            self._show(self.answer)

    def set_waiting(self) -> None:
        """Queued until the engine is ready."""
        self.state = QUEUED
        self._set_status("waiting for the engine\u2026 (Esc cancels)", "pending")

    def set_running(self) -> None:
        """The question is being searched."""
        self.state = RUNNING
        self._set_status("searching\u2026 (Esc cancels)", "pending")

    def set_cancelled(self) -> None:
        """Cancelled by the user; any late result is ignored."""
        self.state = CANCELLED
        self._set_status("cancelled", "cancelled")

    def set_failed(self, error: str) -> None:
        """Asking failed."""
        self.state = FAILED
        self._set_status(one_line(error), "error")

    def set_answer(self, answer: Answer) -> None:
        """Show the answer's quotes (or the abstention with weak passages)."""
        self.state = ANSWERED
        self.answer = answer
        if self.is_mounted:
            self._show(answer)

    def replace_answer(self, answer: Answer) -> None:
        """Show `answer` instead (the same question with more quotes)."""
        self.answer = answer
        if self.is_mounted:
            self.query(QuoteView).remove()
            self._show(answer)

    def _show(self, answer: Answer) -> None:
        self._update_meta()
        self._set_status(*notes(answer))
        self.mount_all(QuoteView(answer, i) for i in range(len(answer.quotes)))

    @property
    def quote_views(self) -> list[QuoteView]:
        """The quote widgets of this turn, in order."""
        return list(self.query(QuoteView))
