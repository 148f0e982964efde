"""The filter menu: prompts for dates and article text, the source picker, and its palette entries."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from functools import partial

from textual.app import App
from textual.command import SimpleCommand
from textual.markup import escape

from assistant.models import Filters
from assistant.errors import QuestionError
from assistant.text.query import check_filter_text
from assistant.tui.dialogs import TextPrompt
from assistant.tui.safe import one_line

Entry = tuple[str, str, Callable[[], object]]
"""A menu entry: title, help line, what it does."""


class FilterMenu:
    """Edits the UI filters through dialogs; `apply` receives every new Filters value."""

    def __init__(self, app: App[None], current: Callable[[], Filters], apply: Callable[[Filters], None],
                 sources: Callable[[], list[str]], counts: Callable[[], str] = lambda: "") -> None:
        self._app = app
        self._current = current
        self._apply = apply
        self._sources = sources
        self._counts = counts

    def entries(self) -> list[Entry]:
        """The menu, for Ctrl+F and the command palette."""
        counts = self._counts()
        known = f" ({counts})" if counts else ""
        return [
            ("Filter: since date\u2026", f"Only articles dated on or after a day{known}", partial(self.prompt_date, "since")),
            ("Filter: until date\u2026", f"Only articles dated on or before a day{known}", partial(self.prompt_date, "until")),
            ("Filter: source\u2026", f"Only articles from one outlet{known}", self.pick_source),
            ("Filter: article\u2026", "Only the article whose title or path contains some text",
             partial(self.prompt_text, "article", "Only the article whose title or path contains:")),
            ("Filter: clear all", "Search the whole corpus again", partial(self._apply, Filters())),
        ]

    def open(self) -> None:
        """Show the menu as a command palette."""
        commands = [SimpleCommand(name, call, help_) for name, help_, call in self.entries()]
        self._app.search_commands(commands, placeholder="Set a filter\u2026")

    def _set(self, **changes: object) -> None:
        self._apply(dataclasses.replace(self._current(), **changes))  # type: ignore[arg-type]

    def prompt_date(self, field: str) -> None:
        """Ask for the 'since' or 'until' day (empty clears it)."""
        current: dt.date | None = getattr(self._current(), field)
        label = "on or after" if field == "since" else "on or before"

        def done(value: str | None) -> None:
            if value is None:
                return
            try:
                self._set(**{field: dt.date.fromisoformat(value) if value else None})
            except ValueError:
                self._app.notify(f"Not a date: {one_line(value)} (use YYYY-MM-DD)", severity="error", markup=False)

        prompt = TextPrompt(f"Only articles dated {label} (YYYY-MM-DD):",
                            value=current.isoformat() if current else "", placeholder="YYYY-MM-DD")
        self._app.push_screen(prompt, done)

    def prompt_text(self, field: str, title: str) -> None:
        """Ask for the text of the 'source' or 'article' filter (empty clears it)."""

        def done(value: str | None) -> None:
            if value is None:
                return
            try:
                check_filter_text(field, value)
            except QuestionError as exc:
                self._app.notify(str(exc), severity="error", markup=False)
                return
            self._set(**{field: value or None})

        self._app.push_screen(TextPrompt(title, value=getattr(self._current(), field) or ""), done)

    def pick_source(self) -> None:
        """Pick one of the engine's outlets (or type one when the list is not known yet)."""
        sources = self._sources()
        if not sources:
            self.prompt_text("source", "Only articles whose outlet contains:")
            return
        # Palette entries are parsed as markup, so outlet names are escaped.
        commands = [SimpleCommand(escape(one_line(s)), partial(self._set, source=s)) for s in sources]
        commands.append(SimpleCommand("Any source", partial(self._set, source=None), "Clear the source filter"))
        self._app.search_commands(commands, placeholder="Only articles from\u2026")
