"""The article reader: the full text with the quoted span highlighted and scrolled into view."""

from __future__ import annotations

from collections.abc import Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from assistant.text.citations import format_date
from assistant.models import Answer, Article, Quote
from assistant.text.sanitize import reveal_spans
from assistant.tui.messages import ArticleLoaded, CopyRequested
from assistant.tui.protocol import error_text
from assistant.tui.safe import one_line, visible

HIGHLIGHT_STYLE = "bold $text on $warning 35%"
"""Style of the quoted span (a theme-aware background that reads in dark and light themes)."""

ArticleLoader = Callable[[int], Article]


def find_span(article: Article, quote: Quote) -> tuple[int, int] | None:
    """Where the quote is in the article: its own offsets, or (after a re-index) wherever the
    exact words now are; None when they are gone."""
    if article.text[quote.start : quote.end] == quote.text:
        return quote.start, quote.end
    at = article.text.find(quote.text) if quote.text else -1
    return (at, at + len(quote.text)) if at >= 0 else None


class ArticleView(Static):
    """The article text as literal content, with `highlight` (start, end, offsets into what is shown) styled."""

    def __init__(self) -> None:
        super().__init__("", markup=False, id="article")
        self.article: Article | None = None
        self.highlight: tuple[int, int] | None = None
        self.shown_text = ""

    def show(self, article: Article, highlight: tuple[int, int] | None) -> None:
        """Display `article`, highlighting the character range `highlight` (offsets into article.text)."""
        # visible() keeps one character per character; reveal_spans moves the offsets past each
        # '<U+202E>' it writes out, so the quote is still the highlighted span.
        wanted = [article.body_start, *(highlight or ())]
        text, (body_start, *span) = reveal_spans(visible(article.text), wanted)
        content = Content(text)
        if 0 < article.body_start <= len(article.text):
            content = content.stylize("bold", 0, body_start)
        shown_span = (span[0], span[1]) if highlight is not None else None
        if shown_span is not None:
            content = content.stylize(HIGHLIGHT_STYLE, *shown_span)
        self.article, self.highlight, self.shown_text = article, shown_span, text
        self.update(content)  # Static.content now returns this Content (spans included)

    def highlight_row(self, width: int) -> int:
        """The wrapped line (0-based) on which the highlight starts at `width` cells."""
        if self.article is None or self.highlight is None or width <= 0:
            return 0
        # Greedy wrapping of the text before the span breaks lines exactly as the full text does.
        before = Content(self.shown_text[: self.highlight[0]])
        return max(0, len(before.wrap(width)) - 1)


class ReaderScreen(Screen[None]):
    """Reads the articles behind one answer's quotes; n/p step through the quotes."""

    BINDINGS = [
        Binding("escape,q", "back", "Back"),
        Binding("n", "step(1)", "Next quote"),
        Binding("p", "step(-1)", "Previous quote"),
        Binding("c", "copy", "Copy quote"),
        Binding("C", "copy_answer", "Copy all"),
    ]

    def __init__(self, answer: Answer, index: int, load_article: ArticleLoader) -> None:
        super().__init__()
        self.answer = answer
        self.index = index
        self._load_article = load_article
        self._article: Article | None = None
        self._article_id = -1

    @property
    def quote(self) -> Quote:
        """The quote currently shown."""
        return self.answer.quotes[self.index]

    def compose(self) -> ComposeResult:
        yield Static("", id="reader-title", markup=False)
        with VerticalScroll(id="reader-scroll"):
            yield ArticleView()
        yield Static("", id="reader-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.show_quote(self.index)

    def show_quote(self, index: int) -> None:
        """Show quote `index`, loading its article when it is not the one on screen."""
        self.index = index
        self._update_status()
        if self._article is not None and self._article_id == self.quote.article_id:
            self._apply()
            return
        self.query_one("#reader-scroll").loading = True
        self._fetch(self.quote.article_id)

    @work(thread=True, exclusive=True, group="reader", exit_on_error=False)
    def _fetch(self, article_id: int) -> None:
        try:
            self.post_message(ArticleLoaded(article_id, self._load_article(article_id)))
        except Exception as exc:  # noqa: BLE001 - any failure becomes a message, never a crash
            self.post_message(ArticleLoaded(article_id, None, error_text(exc)))

    def on_article_loaded(self, message: ArticleLoaded) -> None:
        if message.article_id != self.quote.article_id:
            return  # the user moved on to another quote meanwhile
        self.query_one("#reader-scroll").loading = False
        if message.article is None:
            self.notify(f"Cannot open the article: {one_line(message.error)}", severity="error", markup=False)
            self.query_one("#reader-status", Static).update(Content(f"cannot open the article: {one_line(message.error)}"))
            return
        self._article, self._article_id = message.article, message.article_id
        self._apply()

    def _apply(self) -> None:
        assert self._article is not None
        span = find_span(self._article, self.quote)
        self.query_one(ArticleView).show(self._article, span)
        self._update_title(self._article)
        if span is None:
            self.notify("The quoted words are no longer in this article (the index changed).",
                        severity="warning", markup=False)
        self.call_after_refresh(self._scroll_to_highlight)

    def _scroll_to_highlight(self) -> None:
        view = self.query_one(ArticleView)
        scroller = self.query_one("#reader-scroll", VerticalScroll)
        row = view.highlight_row(view.content_size.width)
        # A third of the way down leaves some context above the quote.
        scroller.scroll_to(y=max(0, row - scroller.size.height // 3), animate=False)

    def _update_title(self, article: Article) -> None:
        bits = [article.source or "", format_date(article.date), article.author or "", article.path]
        title = Content.assemble(
            (one_line(article.title or article.path), "bold"),
            (" \u00b7 " + one_line(" \u00b7 ".join(b for b in bits if b)), "$text-muted"),
        )
        self.query_one("#reader-title", Static).update(title)

    def _update_status(self) -> None:
        total = len(self.answer.quotes)
        weak = " (weak match)" if self.quote.weak else ""
        text = f"quote [{self.quote.n}] of {total}{weak} \u00b7 n/p next/previous \u00b7 c copy \u00b7 Esc back"
        self.query_one("#reader-status", Static).update(Content(text))

    def action_back(self) -> None:
        self.dismiss()

    def action_step(self, step: int) -> None:
        index = self.index + step
        if 0 <= index < len(self.answer.quotes):
            self.show_quote(index)
        else:
            self.notify("No more quotes in this answer." if step > 0 else "This is the first quote.",
                        markup=False, timeout=2)

    def action_copy(self) -> None:
        self.post_message(CopyRequested(self.answer, self.index, whole_answer=False))

    def action_copy_answer(self) -> None:
        self.post_message(CopyRequested(self.answer, self.index, whole_answer=True))
