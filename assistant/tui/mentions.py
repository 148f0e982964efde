"""The Mentions view (F5): every sentence holding a phrase, by article in date order; Enter opens the reader."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from assistant.models import Answer, Filters, Quote
from assistant.text.citations import format_date
from assistant.tui.hanging import Hanging
from assistant.tui.protocol import error_text
from assistant.tui.reader import ArticleLoader, ReaderScreen
from assistant.tui.safe import one_line

MentionsLoader = Callable[[str, int], "tuple[Quote, ...]"]
"""Given a phrase (inline filters allowed) and a limit, its mentions: `engine.mentions(phrase, filters=..., limit=n)`."""

MENTIONS_SHOWN = 2000
"""Mentions listed at most (the CLI's limit too); past it the status line says there are more."""

PREVIEW_CHARS = 220
"""Characters of a sentence shown in the list (the reader shows the article)."""


@dataclass
class MentionsLoaded(Message):
    """The mentions of a phrase arrived (or could not be read: error)."""

    phrase: str
    quotes: tuple[Quote, ...]
    error: str = ""


def article_heading(quote: Quote, count: int) -> Content:
    """'Brown targets savers (2005-03-16) politics/375.txt · 2 mentions', bold title."""
    when = format_date(quote.date) or "undated"
    note = f"{when} \u00b7 {quote.path} \u00b7 {count} mention{'s' if count != 1 else ''}"
    return Content.assemble((one_line(quote.title), "bold"), "   ", (one_line(note), "$text-muted"))


def mention_label(quote: Quote) -> Hanging:
    """'  [3] Mr Brown said he had met ...' then its place (file:line or offsets), wrapped under the words."""
    words = one_line(quote.text)
    if len(words) > PREVIEW_CHARS:
        words = words[: PREVIEW_CHARS - 1].rstrip() + "\u2026"
    where = f"{quote.path}:{quote.line}" if quote.line is not None else f"{quote.path} [{quote.start}:{quote.end}]"
    mark = f"  [{quote.n}] "
    return Hanging([(mark, words), (" " * len(mark), Content.styled(one_line(where), "$text-muted"))])


class MentionsScreen(Screen[None]):
    """A phrase box on top; below it every mention, article by article in date order (headings are not selectable)."""

    DEFAULT_CSS = """
    MentionsScreen #mentions-title { padding: 0 1; height: 1; }
    MentionsScreen #mentions-list { height: 1fr; }
    MentionsScreen #mentions-status { padding: 0 1; height: 1; color: $text-muted; }
    """

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("slash", "focus_phrase", "Phrase", show=False),
    ]

    def __init__(self, phrase: str, load_mentions: MentionsLoader, load_article: ArticleLoader, filters: Filters | None = None) -> None:
        super().__init__()
        self.phrase = phrase
        self._load_mentions = load_mentions
        self._load_article = load_article
        self.filters = filters or Filters()
        self.quotes: tuple[Quote, ...] = ()
        self._option_quote: list[int | None] = []  # option index -> index in self.quotes (None for a heading)
        self._wanted = ""

    def compose(self) -> ComposeResult:
        within = "" if self.filters.is_empty() else f"  ({self.filters.describe()})"
        yield Static(Content.assemble(("Every mention of a phrase", "bold"), (one_line(within), "$text-muted")), id="mentions-title")
        yield Input(value=self.phrase, placeholder="A phrase (its words in order; since:, speaker: ... allowed)", id="mentions-phrase")
        yield OptionList(id="mentions-list")
        yield Static("", id="mentions-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        if self.phrase.strip():
            self.search(self.phrase)
        else:
            self._status("type a phrase and press Enter \u00b7 Esc back")
            self.query_one("#mentions-phrase").focus()

    # ---- searching (a worker thread; the engine's own lock keeps calls apart)

    def search(self, phrase: str) -> None:
        """List every mention of `phrase` (read in a worker)."""
        from assistant.errors import QuestionError
        from assistant.text.query import parse_question

        try:
            words = parse_question(phrase).text  # inline filters are not words of the phrase
        except QuestionError as exc:
            self._status(str(exc))
            return
        if not any(ch.isalnum() for ch in words):
            self._status("the phrase has no words to search for")
            return
        self._wanted = phrase
        listing = self.query_one("#mentions-list", OptionList)
        listing.clear_options()
        listing.loading = True
        self._status(f"finding every mention of {one_line(phrase)}\u2026")
        self._fetch(phrase)

    @work(thread=True, exclusive=True, group="mentions", exit_on_error=False)
    def _fetch(self, phrase: str) -> None:
        try:
            self.post_message(MentionsLoaded(phrase, self._load_mentions(phrase, MENTIONS_SHOWN + 1)))
        except Exception as exc:  # noqa: BLE001 - shown as a message, never a crash
            self.post_message(MentionsLoaded(phrase, (), error_text(exc)))

    def on_mentions_loaded(self, message: MentionsLoaded) -> None:
        if message.phrase != self._wanted:
            return  # another phrase was asked for meanwhile
        listing = self.query_one("#mentions-list", OptionList)
        listing.loading = False
        if message.error:
            self._status(f"cannot list the mentions: {message.error}")
            self.notify(f"Cannot list mentions: {one_line(message.error)}", severity="error", markup=False)
            return
        cut = len(message.quotes) > MENTIONS_SHOWN
        self.quotes = message.quotes[:MENTIONS_SHOWN]
        self.phrase = message.phrase
        groups: dict[int, list[int]] = {}
        for i, quote in enumerate(self.quotes):
            groups.setdefault(quote.article_id, []).append(i)
        options: list[Option] = []
        self._option_quote = []
        for members in groups.values():
            options.append(Option(article_heading(self.quotes[members[0]], len(members)), disabled=True))
            self._option_quote.append(None)
            for i in members:
                options.append(Option(mention_label(self.quotes[i])))
                self._option_quote.append(i)
        listing.add_options(options)
        if not self.quotes:
            from assistant.corpus.metadata import why_nothing
            from assistant.text.query import merge_filters, parse_question

            active = merge_filters(self.filters, parse_question(message.phrase).filters)  # parsed before: no error
            within = "" if active.is_empty() else f" ({active.describe()})"
            reason = why_nothing(active, getattr(self.app, "coverage", None))
            because = f": {reason}" if reason else ""
            self._status(f"no article mentions {one_line(message.phrase)}{within}{because} · edit the phrase and press Enter")
            self.query_one("#mentions-phrase").focus()
            return
        count, articles = len(self.quotes), len(groups)
        first = "the first " if cut else ""
        more = " (there are more: narrow the phrase or add since:/until:/source:/speaker:)" if cut else ""
        self._status(f"{first}{count:,} mention{'s' if count != 1 else ''} in {articles:,} article{'s' if articles != 1 else ''}"
                     f"{more} \u00b7 Enter opens the article \u00b7 / phrase \u00b7 Esc back")
        listing.highlighted = 1  # the first mention, under its article's heading
        listing.focus()

    # ---- choosing

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.search(event.value)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        index = self._option_quote[event.option_index] if event.option_index < len(self._option_quote) else None
        if index is not None:
            self.open_mention(index)

    def open_mention(self, index: int) -> None:
        """Open the reader at mention `index`; n/p there step through every mention."""
        answer = Answer(question=f"Mentions of {self.phrase}", searched=self.phrase, filters=self.filters, answered=True, quotes=self.quotes)
        self.app.push_screen(ReaderScreen(answer, index, self._load_article))

    # ---- keys

    def action_back(self) -> None:
        self.dismiss()

    def action_focus_phrase(self) -> None:
        self.query_one("#mentions-phrase").focus()

    def _status(self, text: str) -> None:
        self.query_one("#mentions-status", Static).update(Content(one_line(text)))
