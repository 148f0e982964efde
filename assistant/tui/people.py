"""The People view: everyone quoted in the index; pick a speaker, browse their quotations, open each in the reader."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from assistant.models import Answer, Filters
from assistant.text.citations import format_date
from assistant.tui.hanging import Hanging
from assistant.tui.protocol import error_text
from assistant.tui.reader import ArticleLoader, ReaderScreen
from assistant.tui.safe import one_line

if TYPE_CHECKING:
    from assistant.search.people import Person, Timeline

PeopleLoader = Callable[[], "tuple[Person, ...]"]
TimelineLoader = Callable[[str], "Timeline"]
"""Given a person's key (Person.key), their timeline: `lambda key: engine.timeline(key, exact=True)`."""

PREVIEW_CHARS = 160
"""Characters of a quotation shown in the list (the reader shows it whole)."""


@dataclass
class PeopleLoaded(Message):
    """The list of people arrived (or could not be read: error)."""

    people: tuple[Person, ...]
    error: str = ""


@dataclass
class TimelineLoaded(Message):
    """A person's quotations arrived (or could not be read: error)."""

    key: str
    timeline: Timeline | None
    error: str = ""


def person_label(person: Person) -> Hanging:
    """'Michael Howard, Tory leader   12 quotations · 7 articles', wrapped lines two columns in."""
    role = f", {one_line(person.role)}" if person.role else ""
    counts = f"   {person.quotations} quotation{'s' if person.quotations != 1 else ''} \u00b7 {person.articles} article{'s' if person.articles != 1 else ''}"
    return Hanging([("", Content.assemble((one_line(person.name), "bold"), role, (counts, "$text-muted")))], hang=2)


def quote_label(n: int, text: str, when: str, where: str, reused: int) -> Hanging:
    """'[3] “We will …”' then '8 Aug 2023 · politics/324.txt · reused in 2 other articles' (muted), wrapped lines
    under the words."""
    words = one_line(text)
    if len(words) > PREVIEW_CHARS:
        words = words[: PREVIEW_CHARS - 1].rstrip() + "\u2026"
    note = f" \u00b7 reused in {reused} other article{'s' if reused != 1 else ''}" if reused else ""
    mark = f"[{n}] "
    return Hanging([(mark, words), (" " * len(mark), Content.styled(one_line(f"{when} \u00b7 {where}{note}"), "$text-muted"))])


class PeopleScreen(Screen[None]):
    """Speakers on the left (type to narrow), the chosen one's quotations in date order on the right."""

    DEFAULT_CSS = """
    PeopleScreen #people-title { padding: 0 1; height: 1; }
    PeopleScreen #people-panes { height: 1fr; }
    PeopleScreen #people-side { width: 2fr; min-width: 30; }
    PeopleScreen #people-list { height: 1fr; }
    PeopleScreen #people-quotes { width: 3fr; height: 1fr; }
    PeopleScreen #people-status { padding: 0 1; height: 1; color: $text-muted; }
    """

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("left", "focus_people", "People", show=False),
        Binding("right", "focus_quotes", "Quotations", show=False),
    ]

    def __init__(self, load_people: PeopleLoader, load_timeline: TimelineLoader, load_article: ArticleLoader) -> None:
        super().__init__()
        self._load_people = load_people
        self._load_timeline = load_timeline
        self._load_article = load_article
        self.people: tuple[Person, ...] = ()
        self.shown_people: tuple[Person, ...] = ()
        self.timeline: Timeline | None = None
        self._wanted = ""

    def compose(self) -> ComposeResult:
        yield Static(Content.styled("People quoted in the index", "bold"), id="people-title", markup=False)
        with Horizontal(id="people-panes"):
            with Vertical(id="people-side"):
                yield Input(placeholder="Find a person\u2026", id="people-find")
                yield OptionList(id="people-list")
            yield OptionList(id="people-quotes")
        yield Static("", id="people-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#people-list").loading = True
        self._status("reading who is quoted\u2026")
        self._fetch_people()
        self.query_one("#people-list").focus()

    # ---- loading (worker threads; the engine's own lock keeps calls apart)

    @work(thread=True, exclusive=True, group="people", exit_on_error=False)
    def _fetch_people(self) -> None:
        try:
            self.post_message(PeopleLoaded(self._load_people()))
        except Exception as exc:  # noqa: BLE001 - shown as a message, never a crash
            self.post_message(PeopleLoaded((), error_text(exc)))

    @work(thread=True, exclusive=True, group="timeline", exit_on_error=False)
    def _fetch_timeline(self, key: str, name: str) -> None:
        try:
            self.post_message(TimelineLoaded(key, self._load_timeline(name)))
        except Exception as exc:  # noqa: BLE001
            self.post_message(TimelineLoaded(key, None, error_text(exc)))

    def on_people_loaded(self, message: PeopleLoaded) -> None:
        self.query_one("#people-list").loading = False
        if message.error:
            self._status(f"cannot read the people of this index: {message.error}")
            self.notify(f"Cannot read people: {one_line(message.error)}", severity="error", markup=False)
            return
        self.people = message.people
        self._fill_people(self.query_one("#people-find", Input).value)
        if not self.people:
            self._status("nobody is quoted by name in this index")
        else:
            self._status(f"{len(self.people)} people \u00b7 Enter shows their quotations \u00b7 Esc back")

    def on_timeline_loaded(self, message: TimelineLoaded) -> None:
        if message.key != self._wanted:
            return  # another person was chosen meanwhile
        quotes = self.query_one("#people-quotes", OptionList)
        quotes.loading = False
        if message.timeline is None:
            self._status(f"cannot read the quotations: {message.error}")
            return
        self.timeline = message.timeline
        quotes.clear_options()
        for q in message.timeline.quotes:
            where = f"{q.path}:{q.line}" if q.line is not None else q.path
            quotes.add_option(Option(quote_label(q.n, q.text, format_date(q.date) or "undated", where, len(q.also_in))))
        count = len(message.timeline.quotes)
        self._status(f"{one_line(message.timeline.person.name)}: {count} quotation{'s' if count != 1 else ''}"
                     " \u00b7 Enter opens the article \u00b7 \u2190 people \u00b7 Esc back")
        if count:
            quotes.highlighted = 0
            quotes.focus()

    # ---- choosing

    def _fill_people(self, wanted: str) -> None:
        needle = " ".join(wanted.casefold().split())
        shown = tuple(p for p in self.people if not needle or needle in p.name.casefold() or needle in (p.role or "").casefold())
        self.shown_people = shown
        listing = self.query_one("#people-list", OptionList)
        listing.clear_options()
        listing.add_options([Option(person_label(p), id=p.key) for p in shown])
        if shown:
            listing.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill_people(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.shown_people:
            self.show_person(self.shown_people[0])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_list.id == "people-list":
            self.show_person(self.shown_people[event.option_index])
        elif self.timeline is not None:
            self.open_quote(event.option_index)

    def show_person(self, person: Person) -> None:
        """List the quotations of `person` (read in a worker)."""
        self._wanted = person.key
        quotes = self.query_one("#people-quotes", OptionList)
        quotes.clear_options()
        quotes.loading = True
        self._status(f"reading the quotations of {one_line(person.name)}\u2026")
        self._fetch_timeline(person.key, person.key)

    def open_quote(self, index: int) -> None:
        """Open the reader at quotation `index`; n/p there step through this person's quotations."""
        assert self.timeline is not None
        answer = Answer(
            question=f"Quotations by {self.timeline.person.name}",
            searched=self.timeline.person.name,
            filters=Filters(speaker=self.timeline.person.name),
            answered=True,
            quotes=self.timeline.quotes,
        )
        self.app.push_screen(ReaderScreen(answer, index, self._load_article))

    # ---- keys

    def action_back(self) -> None:
        self.dismiss()

    def action_focus_people(self) -> None:
        self.query_one("#people-list").focus()

    def action_focus_quotes(self) -> None:
        self.query_one("#people-quotes").focus()

    def _status(self, text: str) -> None:
        self.query_one("#people-status", Static).update(Content(one_line(text)))
