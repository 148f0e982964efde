"""The notebook screen: pinned quotes in order; reorder, remove, export as Markdown to a path the user picks."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from assistant.notebook import Pinned, move
from assistant.text.citations import quoted, reference
from assistant.tui.hanging import Hanging
from assistant.tui.safe import one_line


def pinned_label(n: int, item: Pinned) -> Hanging:
    """'[1] “words…”' and the source line under it (literal text), wrapped lines under the words, not at column 0."""
    mark = Content.styled(f"[{n}] ", "bold $text-accent")
    return Hanging([(mark, Content(one_line(quoted(item.quote.text)))),
                    (" " * mark.cell_length, Content.styled(one_line(reference(item.quote)), "$text-muted"))])


class NotebookScreen(Screen[None]):
    """Lists the pinned quotes; `save` receives every new order."""

    BINDINGS = [
        Binding("escape,q", "back", "Back"),
        Binding("K,shift+up", "shift(-1)", "Move up"),
        Binding("J,shift+down", "shift(1)", "Move down"),
        Binding("d,delete", "remove", "Remove"),
        Binding("x", "export", "Export Markdown"),
    ]

    def __init__(self, pinned: tuple[Pinned, ...], save: Callable[[tuple[Pinned, ...]], None],
                 export: Callable[[tuple[Pinned, ...]], None]) -> None:
        super().__init__()
        self.pinned = pinned
        self._save = save
        self._export = export

    def compose(self) -> ComposeResult:
        yield Static("", id="notebook-title", markup=False)
        yield OptionList(id="notebook-list")
        yield Static(Content.styled("K/J move \u00b7 d remove \u00b7 x export as Markdown \u00b7 Esc back", "$text-muted"),
                     id="notebook-help", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._fill(0)

    def _fill(self, highlight: int) -> None:
        title = f"Notebook \u00b7 {len(self.pinned)} pinned quote{'s' if len(self.pinned) != 1 else ''}"
        if not self.pinned:
            title += " \u00b7 press p on a quote in the chat to pin it"
        self.query_one("#notebook-title", Static).update(Content.styled(title, "bold"))
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(pinned_label(n, item)) for n, item in enumerate(self.pinned, 1)])
        if self.pinned:
            options.highlighted = max(0, min(highlight, len(self.pinned) - 1))
        options.focus()

    @property
    def position(self) -> int | None:
        """The highlighted entry."""
        return self.query_one(OptionList).highlighted if self.pinned else None

    def _change(self, pinned: tuple[Pinned, ...], highlight: int) -> None:
        self.pinned = pinned
        self._save(pinned)
        self._fill(highlight)

    def action_shift(self, step: int) -> None:
        at = self.position
        if at is not None:
            self._change(move(self.pinned, at, step), max(0, min(len(self.pinned) - 1, at + step)))

    def action_remove(self) -> None:
        at = self.position
        if at is not None:
            self._change(self.pinned[:at] + self.pinned[at + 1:], at)

    def action_export(self) -> None:
        self._export(self.pinned)

    def action_back(self) -> None:
        self.dismiss()
