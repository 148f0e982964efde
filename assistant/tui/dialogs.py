"""Modal dialogs: a one-line text prompt, the past-sessions picker and the keys help."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from assistant.sessions import Session
from assistant.tui.safe import one_line

KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Question box", (
        ("Enter", "ask the question (filters inline: since:2023-08-01 until:… source:bbc article:…)"),
        ("Up / Tab", "select the last quote / move to the quotes"),
        ("Esc", "cancel the question being searched"),
        ("PageUp / PageDown", "scroll the conversation"),
    )),
    ("Selected quote", (
        ("Up Down / k j", "previous / next quote"),
        ("Enter / o / double-click", "open the article in the reader"),
        ("c", "copy the quote with its citation in the current style (F3 changes it)"),
        ("C", "copy every quote of that answer, each with its citation (BibTeX / CSL-JSON: the records)"),
        ("p", "pin the quote to the notebook (again: unpin)"),
        ("m", "five more quotes for this answer"),
        ("e", "export the session as Markdown"),
        ("i / Esc", "back to the question box"),
        ("?", "this help"),
    )),
    ("Reader", (
        ("n / p", "next / previous quote of the answer"),
        ("c / C", "copy the quote / the whole answer"),
        ("Up Down PageUp PageDown", "scroll"),
        ("Esc / q", "back to the chat"),
    )),
    ("Draft check (F4)", (
        ("Up Down", "move through the quotations: exact, altered (word diff), wrong speaker, not found"),
        ("Enter", "open the source passage (or the closest one) in the reader; n/p there step through them"),
        ("c", "copy the source passage with its citation in the current style"),
        ("r", "check the draft again (saving it in your editor does this by itself)"),
        ("Esc / q", "back to the chat"),
    )),
    ("Anywhere", (
        ("Ctrl+F", "filters: since, until, source, article, clear"),
        ("Ctrl+S", "export the session as Markdown (./assistant-session-….md)"),
        ("Ctrl+B", "the notebook: pinned quotes; K/J reorder, d remove, x export Markdown"),
        ("Ctrl+N", "start a new session"),
        ("Ctrl+O", "open a past session"),
        ("F2", "people quoted in the index: pick one, browse their quotations, Enter opens the reader"),
        ("F3 / s", "next citation style for the copy keys: Chicago, APA, MLA, Harvard, AP, BibTeX, CSL-JSON"),
        ("F4", "check a draft: every quotation of a Markdown or text file against the corpus"),
        ("F5", "every mention of a phrase (the question box's text, else the last question): grouped by article in "
               "date order, Enter opens the reader, n/p there step through them"),
        ("Ctrl+T", "toggle light / dark theme"),
        ("Ctrl+P", "command palette (every action, filters, sessions)"),
        ("F1", "this help"),
        ("Ctrl+Q", "quit"),
    )),
)
"""Every key the app answers to, grouped by where it works (shown by HelpScreen)."""


class HelpScreen(ModalScreen[None]):
    """Lists every key."""

    BINDINGS = [Binding("escape,q,f1,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box", classes="dialog"):
            yield Static(Content.styled("Keys", "bold"), classes="dialog-title", markup=False)
            with VerticalScroll(id="help-keys"):
                for section, rows in KEYS:
                    yield Static(Content(section), classes="help-section", markup=False)
                    for key, what in rows:
                        with Horizontal(classes="help-row"):
                            yield Static(Content(key), classes="help-key", markup=False)
                            yield Static(Content(what), classes="help-what", markup=False)
            yield Static(Content.styled("Esc closes", "$text-muted"), markup=False)


class TextPrompt(ModalScreen[str | None]):
    """Asks for one line of text; Enter returns it, Esc returns None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, *, value: str = "", placeholder: str = "",
                 hint: str = "Enter sets it, an empty value clears it, Esc cancels") -> None:
        super().__init__()
        self._title = title
        self._value = value
        self._placeholder = placeholder
        self._hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog prompt"):
            yield Static(Content(one_line(self._title)), classes="dialog-title", markup=False)
            yield Input(value=self._value, placeholder=self._placeholder, id="prompt-input")
            yield Static(Content.styled(self._hint, "$text-muted"), markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


def session_label(session: Session, current: bool) -> Content:
    """'2025-11-29 15:02  What did … (3 turns)' with the current one marked."""
    turns = len(session.answers)
    first = one_line(session.first_question) or "(no questions yet)"
    return Content.assemble(
        (f"{session.updated:%Y-%m-%d %H:%M}  ", "$text-muted"),
        first,
        (f"  ({turns} turn{'s' if turns != 1 else ''})", "$text-muted"),
        ("  \u2190 current" if current else "", "bold $accent"),
    )


class SessionPicker(ModalScreen[str | None]):
    """Lists saved sessions; Enter returns the chosen session id, Esc returns None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, sessions: tuple[Session, ...], current_id: str) -> None:
        super().__init__()
        self._sessions = sessions
        self._current_id = current_id

    def compose(self) -> ComposeResult:
        with Vertical(id="sessions-box", classes="dialog"):
            yield Static(Content.styled("Past sessions", "bold"), classes="dialog-title", markup=False)
            yield OptionList(
                *(Option(session_label(s, s.id == self._current_id), id=s.id) for s in self._sessions),
                id="session-list",
            )
            yield Static(Content.styled("Enter opens, Esc cancels", "$text-muted"), markup=False)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
