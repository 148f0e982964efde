"""The chat app: questions go to the engine in worker threads; quotes, reader, copy, export, filters, sessions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.worker import get_current_worker

from assistant.models import Answer, Article, Filters, Quote
from assistant.sessions import (
    Session,
    export_session,
    has_content,
    index_data_folder,
    latest_session,
    list_sessions,
    new_session,
    save_session,
)
from assistant.settings import Settings
from assistant import notebook
from assistant.corpus.metadata import Coverage, coverage, coverage_text, why_nothing
from assistant.tui.bars import FilterBar, StatusLine, WritingStatus, progress_text, stats_text
from assistant.tui.citing import STYLE_NAMES, answer_citations, known_style, next_style, quote_citation, warm_up
from assistant.tui.messages import (
    AnswerFailed,
    AnswerReady,
    CopyRequested,
    EngineFailed,
    EngineProgressed,
    EngineReady,
    MoreQuotes,
    OpenRequested,
    StatsRefreshed,
    WatchFailed,
    WatchProgressed,
    WatchUpdated,
)
from assistant.tui.protocol import EngineFactory, ProgressCallback, error_text
from assistant.tui.safe import one_line, shown
from assistant.tui.watching import WatchLink, watch_choice

if TYPE_CHECKING:
    from assistant.index.progress import Progress
    from assistant.text.followup import Context, Resolution
    from assistant.text.query import QueryShape
    from assistant.tui.filtering import FilterMenu
    from assistant.tui.turn import QuoteView, TurnView
    from assistant.search.engine import Engine
    from assistant.tui.draft_view import DraftResult, DraftScreen

PROGRESS_INTERVAL = 0.1
"""Seconds between progress updates on screen (an index build reports far more often)."""

ARTICLE_CACHE = 32
"""Articles kept in memory for the reader."""

CHAT_ONLY = {"notebook", "pin", "more_quotes", "cancel", "focus_question", "scroll_chat", "select_last_quote", "filters", "export", "sessions", "people",
             "new_session", "check_draft"}
"""Key actions that only make sense on the chat screen (not in the reader or a dialog)."""

WELCOME = (
    "Ask a question about the articles in the corpus. Answers are verbatim quotes with citations;"
    " when the corpus does not answer, you are told so. F1 lists every key."
)


class _Abandoned(BaseException):
    """Raised from the progress callback to stop an index build when the app is closing.

    A BaseException so the engine's `except Exception` handlers do not turn it into an error message."""


class QuestionInput(Input):
    """The question box; Up or Tab moves to the highlighted quote of the answer on screen."""

    BINDINGS = [Binding("up,tab", "app.select_last_quote", "Quotes", show=False)]


class ChatScroll(VerticalScroll):
    """The conversation; a new size keeps the answer being read in view."""

    def on_resize(self) -> None:
        app = self.app
        if isinstance(app, AssistantApp):
            self.call_after_refresh(app.keep_current_in_view)


def _mentions_phrase(shape: QueryShape, text: str) -> str:
    """The phrase F5 looks for after a question: its quoted phrase, what 'What did X say about Y?' asked about (Y), or
    a keyword fragment or name as typed; '' for any other question, which is no phrase to look for (the box is left
    for one: 'What did Gordon Brown say about the' found nothing)."""
    from assistant.text.query import FRAGMENT, NAME, SAID_ABOUT

    if shape.phrases:
        return shape.phrases[0]
    if shape.kind == SAID_ABOUT:
        return shape.topic or ""
    return text if shape.kind in (FRAGMENT, NAME) else ""


class AssistantApp(App[None]):
    """Chat with a corpus: each question becomes a turn of verbatim, cited quotes."""

    CSS_PATH = "app.tcss"
    TITLE = "assistant"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", show=False),
        Binding("ctrl+f", "filters", "Filters"),
        Binding("ctrl+s", "export", "Export"),
        Binding("e", "export", "Export", show=False),
        Binding("ctrl+o", "sessions", "Sessions"),
        Binding("ctrl+b", "notebook", "Notebook"),
        Binding("f2", "people", "People"),
        Binding("f3", "cycle_style", "Cite style"),
        Binding("s", "cycle_style", "Cite style", show=False),
        Binding("f4", "check_draft", "Check draft"),
        Binding("f5", "mentions", "Mentions", show=False),  # in F1 help and the palette: at 120 columns it would push F1 off
        Binding("ctrl+n", "new_session", "New session", show=False),
        Binding("ctrl+t", "toggle_dark", "Theme", show=False),
        Binding("f1,question_mark", "help", "Help"),
        Binding("i", "focus_question", "Type", show=False),
        Binding("pageup", "scroll_chat(-1)", show=False),
        Binding("pagedown", "scroll_chat(1)", show=False),
    ]

    def __init__(self, settings: Settings, engine_factory: EngineFactory, session_dir: Path, *,
                 resume: bool = False) -> None:
        super().__init__()
        self.settings = settings
        self.session_dir = session_dir
        self.resume = resume
        """Reopen the last session at start (--resume); otherwise a new session starts."""
        self.engine: Engine | None = None
        self.engine_error: str | None = None
        self.sources: list[str] = []
        self.filters = Filters()
        self.coverage: Coverage | None = None
        """How many articles have a date and an outlet (explains filters that match nothing)."""
        self.session: Session = new_session()
        self.selected: QuoteView | None = None
        self.current: TurnView | None = None
        """The turn whose answer is on screen: selection, copy and moving stay inside it."""
        self._factory = engine_factory
        self._turns: dict[int, TurnView] = {}
        self._queue: deque[TurnView] = deque()
        self._active: TurnView | None = None
        self._ids = itertools.count(1)
        # One engine call at a time: a cancelled question may still be running in its thread.
        self._engine_lock = threading.Lock()
        self._articles: dict[int, Article] = {}
        self._reported: set[str] = set()
        self.chat = ChatScroll(id="chat", can_focus=False)
        self.cite_style = known_style(settings.cite_style)
        """The citation style of the copy keys (settings.cite_style at start; F3 steps through the others)."""
        self.watch: WatchLink | None = None
        """The folder watch keeping the index current, while it runs."""
        self._watch_wanted, self._watch_reason = False, ""
        self._watch_problems: set[tuple[str, str]] | None = None
        self._last_draft = ""
        self._filter_menu: FilterMenu | None = None

    @property
    def filter_menu(self) -> FilterMenu:
        """The filter menu, built on first use (the chat's first frame does not wait for its dialogs)."""
        if self._filter_menu is None:
            from assistant.tui.filtering import FilterMenu

            self._filter_menu = FilterMenu(self, lambda: self.filters, self.set_filters, lambda: self.sources,
                                           lambda: coverage_text(self.coverage) if self.coverage else "")
        return self._filter_menu

    # ---- layout and start-up

    def compose(self) -> ComposeResult:
        with self.chat:
            yield Static(Content.styled(WELCOME, "$text-muted"), id="welcome", markup=False)
        yield FilterBar()
        yield QuestionInput(placeholder="Ask a question\u2026  (F1: keys, Ctrl+P: commands)", id="question")
        with Horizontal(id="status-row"):
            yield StatusLine()
            yield WritingStatus()
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(FilterBar).show(self.filters)
        self.query_one(StatusLine).show_loading("starting")
        self._watch_wanted, self._watch_reason = watch_choice(self.settings)
        waiting = "watch: starts with the index" if self._watch_wanted else self._watch_reason
        self.query_one(WritingStatus).show(style=STYLE_NAMES[self.cite_style], watch=waiting, kind="off")
        self._label_style_key(STYLE_NAMES[self.cite_style])
        if self.resume:
            self._restore_latest()
        self.query_one("#question").focus()
        self._open_engine()

    def keep_current_in_view(self) -> None:
        """Scroll the current answer's question to the top (after a resize rewrapped every turn above it)."""
        if self.current is not None and self.current.is_attached:
            self.chat.scroll_to_widget(self.current, top=True, animate=False)

    def on_unmount(self) -> None:
        if self.watch is not None:
            # After the current update (its committed batches stay); the engine's model must outlive it.
            self.watch.stop(wait=10.0)
        if self.engine is not None:
            try:
                self.engine.close()
            except Exception:  # noqa: BLE001 - closing on the way out must never raise
                pass

    # ---- the engine

    @work(thread=True, exclusive=True, group="engine", exit_on_error=False)
    def _open_engine(self) -> None:
        worker = get_current_worker()
        last_phase, last_time = "", 0.0

        def on_progress(progress: Progress) -> None:
            nonlocal last_phase, last_time
            if worker.is_cancelled:
                raise _Abandoned
            now = time.monotonic()
            finished = progress.total > 0 and progress.done >= progress.total
            if progress.phase != last_phase or finished or now - last_time >= PROGRESS_INTERVAL:
                last_phase, last_time = progress.phase, now
                self.post_message(EngineProgressed(progress))

        try:
            engine = self._factory(on_progress)
        except _Abandoned:
            return
        except Exception as exc:  # noqa: BLE001 - every failure is shown, the app stays up
            self.post_message(EngineFailed(error_text(exc)))
            return
        stats, sources = None, []
        try:
            stats = engine.stats()
            sources = sorted(engine.sources(), key=str.casefold)
        except Exception as exc:  # noqa: BLE001 - stats are nice to have, answering still works
            self.log.warning(f"stats/sources failed: {exc!r}")
        cover = None
        db = getattr(engine, "db", None)
        if db is not None:
            try:
                with self._engine_lock:
                    cover = coverage(db)
            except Exception as exc:  # noqa: BLE001 - the counts explain filters; answering works without
                self.log.warning(f"coverage failed: {exc!r}")
        if worker.is_cancelled or not self.post_message(EngineReady(engine, stats, sources, cover)):
            engine.close()

    def on_engine_progressed(self, message: EngineProgressed) -> None:
        if self.engine is None and message.progress.phase != "ready":
            self.query_one(StatusLine).show_loading(progress_text(message.progress))

    def on_engine_ready(self, message: EngineReady) -> None:
        self.engine, self.engine_error, self.sources = message.engine, None, message.sources
        self.coverage = message.coverage
        self.query_one(StatusLine).show_ready(stats_text(message.stats, str(self.settings.corpus)))
        self._pump()
        self._warm_style(self.cite_style)
        # Decided again now the index exists (the first start builds it).
        self._watch_wanted, self._watch_reason = watch_choice(self.settings)
        if self._watch_wanted and self.watch is None:
            self.start_watch()
        elif not self._watch_wanted:
            self.query_one(WritingStatus).show(watch=self._watch_reason, kind="off")

    def on_engine_failed(self, message: EngineFailed) -> None:
        self.engine_error = message.error
        self.query_one(StatusLine).show_failed(message.error)
        self.notify(f"Engine not available: {one_line(message.error)}", title="Cannot open the index",
                    severity="error", timeout=12, markup=False)
        while self._queue:
            self._queue.popleft().set_failed(f"engine not available: {message.error}")

    def fetch_article(self, article_id: int) -> Article:
        """The full article (called from the reader's worker thread)."""
        engine = self.engine
        if engine is None:
            raise RuntimeError("the engine is not open")
        with self._engine_lock:
            article = self._articles.get(article_id)
            if article is None:
                article = engine.article(article_id)
                if len(self._articles) >= ARTICLE_CACHE:
                    self._articles.pop(next(iter(self._articles)))
                self._articles[article_id] = article
        return article

    # ---- asking

    @on(Input.Submitted, "#question")
    async def _question_submitted(self, event: Input.Submitted) -> None:
        from assistant.tui.turn import QUEUED, RUNNING

        question = event.value.strip()
        event.input.clear()
        if not question:
            return
        last = next(reversed(self._turns.values()), None)
        if last is not None and last.question == question and last.state in (QUEUED, RUNNING):
            # Enter pressed again before the box cleared (keys typed ahead): the same question is already on its way.
            return
        await self.ask(question)

    async def ask(self, question: str) -> TurnView:
        """Add a turn for `question`; it runs now, or as soon as the engine is ready."""
        from assistant.tui.turn import TurnView

        turn = TurnView(next(self._ids), question, self.filters)
        self._turns[turn.turn_id] = turn
        self.query_one("#welcome").display = False
        await self.chat.mount(turn)
        self.chat.scroll_end(animate=False)
        if self.engine is None and self.engine_error is not None:
            turn.set_failed(f"engine not available: {self.engine_error}")
            return turn
        turn.set_waiting()
        self._queue.append(turn)
        self._pump()
        return turn

    def _pump(self) -> None:
        """Start the next queued question when the engine is free."""
        from assistant.text.followup import resolve
        from assistant.tui.turn import QUEUED

        if self.engine is None or self._active is not None:
            return
        while self._queue:
            turn = self._queue.popleft()
            if turn.state == QUEUED:
                self._active = turn
                turn.set_running()
                previous, before = self._previous(turn)
                resolution = resolve(turn.question, previous, before, is_person=self.engine.is_quoted)
                turn.resolution = resolution
                turn.refresh_meta()
                self._ask(self.engine, turn.turn_id, turn.question, resolution, turn.filters, previous,
                          self._shown_before(turn))
                return

    def _previous(self, turn: TurnView) -> tuple[Answer | None, Context | None]:
        """The answer of the last answered turn before `turn` and the conversation's context then."""
        from assistant.text.followup import resolve

        previous, context = None, None
        for other in self._turns.values():
            if other is turn:
                break
            if other.answer is not None:
                previous = other.answer
                context = other.resolution.context if other.resolution is not None else resolve(other.question, None).context
        return previous, context

    def _shown_before(self, turn: TurnView) -> set[tuple[str, int, int, int]]:
        """Every passage the turns before `turn` showed ('what else' means other ones)."""
        shown: set[tuple[str, int, int, int]] = set()
        for other in self._turns.values():
            if other is turn:
                break
            if other.answer is not None:
                shown.update((q.path, q.record, q.start, q.end) for q in other.answer.quotes)
        return shown

    @work(thread=True, group="ask", exit_on_error=False)
    def _ask(self, engine: Engine, turn_id: int, question: str, resolution: Resolution, filters: Filters,
             previous: Answer | None, shown: set[tuple[str, int, int, int]]) -> None:
        from assistant.text.followup import more_by, speaker_name

        wanted = self.settings.max_quotes
        speaker = resolution.context.speaker
        try:
            with self._engine_lock:
                if resolution.question == question:
                    # Nothing resolved: the engine's own follow-up reading (previous terms) applies.
                    answer = engine.ask(question, filters=filters, max_quotes=wanted, previous=previous)
                else:
                    asked = filters
                    # The speaker filter only where the index knows speakers (the last answer showed some):
                    # on an index without them it would match nothing at all.
                    known = previous is not None and any(speaker_name(q) for q in previous.quotes)
                    if resolution.more and speaker and known and "speaker" in {f.name for f in dataclasses.fields(Filters)}:
                        asked = dataclasses.replace(filters, speaker=speaker)
                    extra = len(shown) + wanted if resolution.more else 0
                    answer = engine.ask(resolution.question, filters=asked, max_quotes=wanted + extra)
                    if resolution.more and speaker:
                        answer = more_by(answer, speaker, shown, wanted)
                    answer = dataclasses.replace(answer, question=question)
        except Exception as exc:  # noqa: BLE001 - shown in the turn, never a crash
            self.post_message(AnswerFailed(turn_id, error_text(exc)))
        else:
            self.post_message(AnswerReady(turn_id, answer))

    def _finished(self, turn_id: int) -> TurnView | None:
        """The turn a result belongs to, or None when it was cancelled or cleared (late result)."""
        from assistant.tui.turn import RUNNING

        turn = self._turns.get(turn_id)
        if turn is not None and turn is self._active:
            self._active = None
        self._pump()
        return turn if turn is not None and turn.state == RUNNING else None

    def on_answer_ready(self, message: AnswerReady) -> None:
        turn = self._finished(message.turn_id)
        if turn is None:
            return
        answer = message.answer
        reason = why_nothing(answer.filters, self.coverage) if not answer.quotes else None
        if reason:
            # "nothing in the corpus matches (source: bbc)" on a BBC corpus needs the why.
            answer = dataclasses.replace(answer, message=reason)
        turn.set_answer(answer)
        self._record(answer)
        self.current = turn
        self.call_after_refresh(self._select_first, turn)
        self.call_after_refresh(self.chat.scroll_to_widget, turn, top=True, animate=False)

    def _select_first(self, turn: TurnView) -> None:
        """A new answer takes the selection: its first quote is highlighted (and focused when a quote
        had the focus), so nothing acts on a quote of an older answer scrolled out of view."""
        from assistant.tui.turn import QuoteView

        if turn is not self.current or not turn.is_attached:
            return
        views = turn.quote_views
        if not views:
            if self.selected is not None:
                self.selected.remove_class("-selected")
            self.selected = None
            if isinstance(self.focused, QuoteView):
                self.action_focus_question()
            return
        self._mark(views[0])
        if isinstance(self.focused, QuoteView):
            views[0].focus()

    def _mark(self, view: QuoteView) -> None:
        if self.selected is not None and self.selected is not view:
            self.selected.remove_class("-selected")
        self.selected = view
        view.add_class("-selected")

    def on_answer_failed(self, message: AnswerFailed) -> None:
        turn = self._finished(message.turn_id)
        if turn is not None:
            turn.set_failed(message.error)
            self.notify(one_line(message.error), title="Question failed", severity="error", markup=False)

    def action_cancel(self) -> None:
        """Cancel the questions in progress; their late results are dropped."""
        from assistant.tui.turn import QUEUED, RUNNING, QuoteView

        pending = [t for t in self._turns.values() if t.state in (QUEUED, RUNNING)]
        if not pending:
            if isinstance(self.focused, QuoteView):
                self.action_focus_question()
            return
        for turn in pending:
            turn.set_cancelled()
        self._queue.clear()
        self._active = None
        self.workers.cancel_group(self, "ask")
        self.notify(f"Cancelled {len(pending)} question{'s' if len(pending) > 1 else ''}.", timeout=3, markup=False)

    # ---- quotes: select, open, copy

    def on_quote_view_selected(self, message: QuoteView.Selected) -> None:
        from assistant.tui.turn import TurnView

        # Clicking a quote of an older answer makes that answer the current one.
        parent = message.view.parent
        if isinstance(parent, TurnView):
            self.current = parent
        self._mark(message.view)

    def action_select_last_quote(self) -> None:
        """Focus the highlighted quote of the current answer (its first quote when none is)."""
        turn = self.current
        views = turn.quote_views if turn is not None and turn.is_attached else []
        if not views:
            self.notify("No quotes on screen to select.", timeout=2, markup=False)
            return
        (self.selected if self.selected in views else views[0]).focus()

    def action_focus_question(self) -> None:
        self.query_one("#question").focus()

    def action_scroll_chat(self, direction: int) -> None:
        if direction > 0:
            self.chat.scroll_page_down()
        else:
            self.chat.scroll_page_up()

    def on_open_requested(self, message: OpenRequested) -> None:
        from assistant.tui.reader import ReaderScreen

        if self.engine is None:
            reason = f"engine not available: {self.engine_error}" if self.engine_error else "the model is still loading"
            self.notify(f"Cannot open the article yet: {one_line(reason)}", severity="warning", markup=False)
            return
        self.push_screen(ReaderScreen(message.answer, message.index, self.fetch_article))

    def on_copy_requested(self, message: CopyRequested) -> None:
        self.copy_answer(message.answer, message.index, whole=message.whole_answer)

    def copy_answer(self, answer: Answer, index: int, *, whole: bool) -> None:
        """Put quote `index` (or every quote) with its citation in the current style on the clipboard and say so."""
        from assistant.tui.clipboard import deliver

        style = STYLE_NAMES[self.cite_style]
        stale = self._stale_quotes(answer.quotes if whole else answer.quotes[index : index + 1])
        if stale:
            # A citation is a promise of word-for-word text: never of words the article no longer holds.
            self.notify(f"Not copied: {stale}; ask again to quote the article as it is now.", title="Not copied",
                        severity="warning", timeout=8, markup=False)
            return
        try:
            if whole:
                text, count = answer_citations(answer, self.cite_style), len(answer.quotes)
                what = f"{count} quote{'s' if count != 1 else ''} cited in {style}"
            else:
                quote = answer.quotes[index]
                text, what = quote_citation(quote, self.cite_style), f"quote [{quote.n}] cited in {style}"
        except Exception as exc:  # noqa: BLE001 - a citation the CSL processor cannot render: said, never a crash
            self.notify(f"Could not cite in {style}: {one_line(error_text(exc))}", severity="error", markup=False)
            return
        # Control characters never reach the clipboard (pasting escapes into a terminal is unsafe), and
        # bidi controls are written out, as on screen, so a pasted quote never reads reordered.
        text = shown(text)
        try:
            delivery = deliver(text, osc52=self.copy_to_clipboard, folder=index_data_folder(self.settings.index))
        except OSError as exc:
            self.notify(f"Could not copy {what}: {one_line(str(exc))}; select it in the reader instead.",
                        severity="error", markup=False)
            return
        if delivery.how == "file":
            # Saying "Copied" when nothing reached a clipboard would be a lie: say where the text is.
            self.notify(f"No clipboard reachable ({one_line(delivery.reason)}): {what} ({len(text):,} chars) "
                        f"written to {one_line(delivery.where)}; or select it in the reader (Enter).",
                        title="Not copied", severity="warning", timeout=12, markup=False)
            return
        self.notify(f"Copied {what} ({len(text):,} chars) to {delivery.where}", timeout=3, markup=False)

    def _stale_quotes(self, quotes: Sequence[Quote]) -> str:
        """Why some of `quotes` are no longer word for word in their articles as indexed now ('' when all are): the
        index changed since the answer (watch, a re-index), and a citation must hold the article's exact words."""
        engine = self.engine
        if engine is None:
            return ""
        gone = []
        for quote in quotes:
            try:
                with self._engine_lock:
                    article = engine.article(quote.article_id)
                held = article.text[quote.start : quote.end] == quote.text and article.path == quote.path
            except Exception:  # noqa: BLE001 - an article gone from the index is a changed one
                held = False
            if not held:
                gone.append(f"[{quote.n}]")
        if not gone:
            return ""
        which = "quote " + gone[0] if len(gone) == 1 else "quotes " + ", ".join(gone)
        return f"{which} no longer word for word in {'its article' if len(gone) == 1 else 'their articles'} (the index changed)"

    def _copy_selected(self, whole: bool) -> None:
        if self.selected is None or not self.selected.is_attached:
            self.notify("Select a quote first (Tab or Up from the question box).", severity="warning", markup=False)
            return
        self.copy_answer(self.selected.answer, self.selected.index, whole=whole)

    # ---- the notebook

    @property
    def notebook_file(self) -> Path:
        """The notebook of this index, in the user's data folder."""
        return notebook.notebook_path(self.settings.index)

    def _load_notebook(self) -> tuple[notebook.Pinned, ...] | None:
        try:
            return notebook.load(self.notebook_file)
        except notebook.NotebookError as exc:
            self.notify(one_line(str(exc)), severity="error", markup=False)
            return None

    def _save_notebook(self, pinned: tuple[notebook.Pinned, ...]) -> None:
        try:
            notebook.save(self.notebook_file, pinned)
        except OSError as exc:
            self.notify(f"Could not save the notebook: {one_line(str(exc))}", severity="error", markup=False)

    def action_pin(self) -> None:
        """Pin the highlighted quote to the notebook (or unpin it)."""
        from assistant.tui.turn import QuoteView

        view = self.focused if isinstance(self.focused, QuoteView) else self.selected
        if view is None or not view.is_attached:
            self.notify("Select a quote first (Up or Tab from the question box).", severity="warning", markup=False)
            return
        pinned = self._load_notebook()
        if pinned is None:
            return
        pinned, now = notebook.toggle(pinned, view.quote, view.answer.question)
        self._save_notebook(pinned)
        view.set_class(now, "-pinned")
        self.notify(f"{'Pinned' if now else 'Unpinned'} quote [{view.quote.n}] · {len(pinned)} in the notebook "
                    "(Ctrl+B)", timeout=3, markup=False)

    def action_notebook(self) -> None:
        from assistant.tui.notebook_view import NotebookScreen

        pinned = self._load_notebook()
        if pinned is not None:
            self.push_screen(NotebookScreen(pinned, self._save_notebook, self._ask_export_path))

    def _ask_export_path(self, pinned: tuple[notebook.Pinned, ...]) -> None:
        from assistant.tui.dialogs import TextPrompt

        if not pinned:
            self.notify("Nothing pinned yet.", severity="warning", markup=False)
            return
        default = str(Path.cwd() / f"notebook-{dt.datetime.now():%Y%m%d-%H%M%S}.md")
        style = self.cite_style if self.cite_style in notebook.EXPORT_STYLES else "chicago"

        def chosen(value: str | None) -> None:
            if not value:
                return
            target, _, asked = value.partition(" --style ")
            try:
                path = notebook.export(Path(target.strip()).expanduser(), pinned, asked.strip() or style,
                                       index=self.settings.location)
            except (notebook.NotebookError, OSError) as exc:
                self.notify(f"Export failed: {one_line(str(exc))}", severity="error", markup=False)
                return
            self.notify(f"Exported {len(pinned)} pinned quote{'s' if len(pinned) != 1 else ''} to "
                        f"{one_line(str(path))}", title="Notebook exported", markup=False)

        self.push_screen(TextPrompt(f"Export the notebook as Markdown ({style}; add --style apa|mla|harvard|ap|chicago)"
                                    " to:", value=default), chosen)

    def action_more_quotes(self) -> None:
        """Ask the current answer's question again for five more quotes."""
        turn = self.current
        if turn is None or turn.answer is None or self.engine is None:
            self.notify("No answer to extend yet.", severity="warning", markup=False)
            return
        self._more(self.engine, turn.turn_id, turn.answer, len(turn.answer.quotes) + 5)

    @work(thread=True, group="ask", exit_on_error=False)
    def _more(self, engine: Engine, turn_id: int, answer: Answer, wanted: int) -> None:
        try:
            with self._engine_lock:
                again = engine.ask(answer.searched, filters=answer.filters, max_quotes=wanted)
        except Exception as exc:  # noqa: BLE001 - shown, never a crash
            self.post_message(AnswerFailed(turn_id, error_text(exc)))
            return
        self.post_message(MoreQuotes(turn_id, dataclasses.replace(again, question=answer.question)))

    def on_more_quotes(self, message: MoreQuotes) -> None:
        turn = self._turns.get(message.turn_id)
        if turn is None or turn.answer is None:
            return
        added = len(message.answer.quotes) - len(turn.answer.quotes)
        if added <= 0:
            self.notify("No more quotes for this question.", markup=False, timeout=3)
            return
        old = turn.answer
        turn.replace_answer(message.answer)
        self.session = dataclasses.replace(
            self.session, answers=tuple(message.answer if a is old else a for a in self.session.answers))
        try:
            save_session(self.session_dir, self.session)
        except OSError as exc:
            self.notify(f"Could not save the session: {one_line(str(exc))}", severity="error", markup=False)
        self.notify(f"{added} more quote{'s' if added != 1 else ''}.", markup=False, timeout=3)

    # ---- sessions and export

    def _record(self, answer: Answer) -> None:
        """Add an answer to the session and save it."""
        self.session = dataclasses.replace(
            self.session, answers=(*self.session.answers, answer), updated=dt.datetime.now().astimezone(),
            filters=self.filters,
        )
        try:
            save_session(self.session_dir, self.session)
        except OSError as exc:
            self.notify(f"Could not save the session: {one_line(str(exc))}", severity="error", markup=False)

    def _report(self, problems: Iterable[str]) -> None:
        for problem in problems:
            if problem not in self._reported:
                self._reported.add(problem)
                self.notify(f"Skipped an unreadable session file: {one_line(problem)}", severity="warning",
                            timeout=8, markup=False)

    def _restore_latest(self) -> None:
        session, problems = latest_session(self.session_dir)
        self._report(problems)
        if session is not None:
            self._show_session(session)

    def _clear(self) -> None:
        """Drop every turn (in-flight questions are cancelled and their results ignored)."""
        from assistant.tui.turn import QUEUED, RUNNING, TurnView

        for turn in self._turns.values():
            if turn.state in (QUEUED, RUNNING):
                turn.set_cancelled()
        self._turns.clear()
        self._queue.clear()
        self._active = None
        self.selected = None
        self.current = None
        self.chat.query(TurnView).remove()

    def _show_session(self, session: Session) -> None:
        from assistant.tui.turn import TurnView

        self._clear()
        self.session, self.filters = session, session.filters
        self.query_one(FilterBar).show(self.filters)
        turns = []
        for answer in session.answers:
            turn = TurnView(next(self._ids), answer.question, answer.filters)
            turn.set_answer(answer)
            self._turns[turn.turn_id] = turn
            turns.append(turn)
        self.query_one("#welcome").display = not turns
        self.chat.mount_all(turns)
        answered = [t for t in turns if t.answer is not None]
        self.current = answered[-1] if answered else None
        if self.current is not None:
            self.call_after_refresh(self._select_first, self.current)
        self.call_after_refresh(self.chat.scroll_end, animate=False)

    def action_new_session(self) -> None:
        self._clear()
        self.session, self.filters = new_session(), Filters()
        self.query_one(FilterBar).show(self.filters)
        self.query_one("#welcome").display = True
        self.notify("Started a new session.", timeout=3, markup=False)

    def action_people(self) -> None:
        """The People view (issue 13): who is quoted, their quotations, the reader at each."""
        if self.engine is None:
            reason = f"engine not available: {self.engine_error}" if self.engine_error else "the model is still loading"
            self.notify(f"Cannot show people yet: {one_line(reason)}", severity="warning", markup=False)
            return
        from assistant.tui.people import PeopleScreen

        engine = self.engine
        self.push_screen(PeopleScreen(engine.people, lambda key: engine.timeline(key, exact=True), self.fetch_article))

    def action_mentions(self) -> None:
        """Every mention of a phrase (issue 12): the text in the question box, else the last question, editable there."""
        if self.engine is None:
            reason = f"engine not available: {self.engine_error}" if self.engine_error else "the model is still loading"
            self.notify(f"Cannot list mentions yet: {one_line(reason)}", severity="warning", markup=False)
            return
        from assistant.text.query import query_shape
        from assistant.tui.mentions import MentionsScreen

        typed = self.query_one("#question", Input).value.strip()
        last = self.session.answers[-1].searched if self.session.answers else ""
        phrase = typed or (_mentions_phrase(query_shape(last), last) if last else "")
        engine, filters = self.engine, self.filters
        self.push_screen(MentionsScreen(phrase, lambda text, limit: engine.mentions(text, filters=filters, limit=limit),
                                        self.fetch_article, filters))

    def action_sessions(self) -> None:
        from assistant.tui.dialogs import SessionPicker

        listing = list_sessions(self.session_dir)
        self._report(listing.problems)
        sessions = list(listing.sessions)
        # Sessions an older version kept inside the index folder are still offered (read only there);
        # a reopened one is saved in the data folder from then on.
        legacy = self.settings.index / "sessions"
        if legacy.resolve() != self.session_dir.resolve() and legacy.is_dir() and not legacy.is_symlink():
            mine = {s.id for s in sessions}
            sessions += [s for s in list_sessions(legacy).sessions if s.id not in mine]
            sessions.sort(key=lambda s: (s.updated, s.id), reverse=True)
        if not sessions:
            self.notify("No saved sessions yet.", markup=False)
            return
        listing = dataclasses.replace(listing, sessions=tuple(sessions))
        by_id = {s.id: s for s in listing.sessions}

        def chosen(session_id: str | None) -> None:
            if session_id and session_id != self.session.id and session_id in by_id:
                self._show_session(by_id[session_id])
                self.notify(f"Reopened the session of {by_id[session_id].updated:%Y-%m-%d %H:%M}.", markup=False)

        self.push_screen(SessionPicker(listing.sessions, self.session.id), chosen)

    def action_export(self) -> None:
        """Write the session as Markdown to a new ./assistant-session-YYYYmmdd-HHMMSS.md (owner-only)."""
        if not has_content(self.session):
            self.notify("Nothing to export yet: no answer in this session has a quote.", severity="warning",
                        markup=False)
            return
        try:
            path = export_session(Path.cwd(), self.session)
        except OSError as exc:
            self.notify(f"Export failed: {one_line(str(exc))}", severity="error", markup=False)
            return
        count = sum(1 for answer in self.session.answers if answer.quotes)
        self.notify(f"Exported {count} question{'s' if count != 1 else ''} to {one_line(str(path))}",
                    title="Session exported", markup=False)

    # ---- citation style

    def action_cycle_style(self) -> None:
        """Copy in the next citation style (chicago, apa, mla, harvard, ap, bibtex, csl-json, then round again)."""
        self.set_cite_style(next_style(self.cite_style))

    def set_cite_style(self, style: str) -> None:
        """The copy keys (and the draft check's citations) use `style` from now on."""
        self.cite_style = known_style(style)
        name = STYLE_NAMES[self.cite_style]
        self.query_one(WritingStatus).show(style=name)
        self._label_style_key(name)
        for screen in self.screen_stack:
            restyle = getattr(screen, "restyle", None)  # the draft check's citations (DraftScreen)
            if callable(restyle):
                restyle(self.cite_style)
        self._warm_style(self.cite_style)
        self.notify(f"Citation style: {name} (c and C copy in it; F3 for the next)", timeout=3, markup=False)

    def _label_style_key(self, name: str) -> None:
        """The footer's F3 entry names the style in force ('f3 Cite: APA')."""
        # Textual has no public way to relabel a binding; the map is replaced entry by entry and re-read.
        table = getattr(self._bindings, "key_to_bindings", None)
        if isinstance(table, dict) and "f3" in table:
            table["f3"] = [dataclasses.replace(b, description=f"Cite: {name}") for b in table["f3"]]
            self.refresh_bindings()

    @work(thread=True, group="cite-warm", exit_on_error=False)
    def _warm_style(self, style: str) -> None:
        # The CSL processor and the style file load here, so the copy key itself answers at once.
        try:
            warm_up(style)
        except Exception as exc:  # noqa: BLE001 - the copy key will say what is wrong
            self.log.warning(f"warming citation style {style} failed: {exc!r}")

    # ---- draft check

    def action_check_draft(self) -> None:
        """Ask for a draft file and show the check of its quotations (as `assistant check` does)."""
        from assistant.tui.dialogs import TextPrompt

        if self.engine is None:
            reason = f"engine not available: {self.engine_error}" if self.engine_error else "the model is still loading"
            self.notify(f"Cannot check a draft yet: {one_line(reason)}", severity="warning", markup=False)
            return

        def chosen(value: str | None) -> None:
            if value:
                self._last_draft = value
                self.open_draft(Path(value).expanduser())

        self.push_screen(TextPrompt("Check the quotations of a draft (a Markdown or text file):",
                                    value=self._last_draft or f"{Path.cwd()}/",
                                    hint="Enter checks it (as `assistant check` would), Esc cancels"), chosen)

    def open_draft(self, path: Path) -> DraftScreen:
        """Show the check of `path`'s quotations."""
        # Imported on first use: the draft view is not part of the chat's first frame.
        from assistant.tui.draft_view import DraftScreen

        screen = DraftScreen(path, self.run_draft_check, self.fetch_article, self.cite_style)
        self.push_screen(screen)
        return screen

    def run_draft_check(self, path: Path, style: str) -> DraftResult:
        """Read and check a draft with the core's checker (called in the draft screen's worker thread)."""
        from assistant.search.draft_check import check_draft, read_draft
        from assistant.tui.draft_view import build_result

        engine = self.engine
        if engine is None:
            raise RuntimeError("the engine is not open")
        text = read_draft(path)
        with self._engine_lock:
            report = check_draft(engine, text, style=style)
        return build_result(path, report, self.fetch_article, style)

    # ---- keeping the index current (folder watch)

    def start_watch(self) -> None:
        """Watch the corpus folder: every saved, changed, moved or deleted article updates the index."""
        engine = self.engine
        embedder = getattr(engine, "embedder", None)
        if engine is None or embedder is None:
            self.query_one(WritingStatus).show(watch="watch off: no model to share", kind="off")
            return
        self._watch_problems = None
        self.watch = WatchLink(self.settings, embedder, self.post_message)
        self.watch.start()
        self.query_one(WritingStatus).show(watch="watch: catching up…", kind="busy")

    def stop_watch(self) -> None:
        """Stop following the folder (an update in progress finishes its batch first)."""
        if self.watch is not None:
            self.watch.stop()
            self.watch = None
        self.query_one(WritingStatus).show(watch="watch off", kind="off")

    def action_toggle_watch(self) -> None:
        if self.watch is not None:
            self.stop_watch()
            self.notify("Stopped watching the corpus folder.", timeout=3, markup=False)
        elif self.engine is None:
            self.notify("The index is not open yet.", severity="warning", markup=False)
        elif not self.settings.corpus.is_dir():
            self.notify(f"No corpus folder to watch at {one_line(str(self.settings.corpus))}.", severity="warning",
                        markup=False)
        else:
            self.start_watch()
            self.notify("Watching the corpus folder: saved articles are indexed as they change.", timeout=3,
                        markup=False)

    def on_watch_progressed(self, message: WatchProgressed) -> None:
        if self.watch is not None:
            self.query_one(WritingStatus).show(watch=f"indexing: {progress_text(message.progress)}", kind="busy")

    def on_watch_updated(self, message: WatchUpdated) -> None:
        if self.watch is None:
            return
        update = message.update
        status = self.query_one(WritingStatus)
        if update.report is None:
            status.show(watch=f"watch: {update.error}", kind="failed")
            self.notify(f"The index could not be updated: {one_line(update.error)}", title="Watch",
                        severity="warning", timeout=8, markup=False)
            return
        report = update.report
        changed = report.added + report.updated + report.moved + report.removed
        problems = {(p.path, p.message) for p in report.problems}
        if self._watch_problems is not None:
            for path, why in sorted(problems - self._watch_problems)[:3]:
                self.notify(f"{one_line(path)}: {one_line(why)}", title="Not indexed", severity="warning",
                            timeout=8, markup=False)
        self._watch_problems = problems
        if changed:
            bits = [f"{n} {what}" for n, what in ((report.added, "added"), (report.updated, "updated"),
                                                  (report.moved, "moved"), (report.removed, "removed")) if n]
            status.show(watch=f"watching · {', '.join(bits)} at {dt.datetime.now():%H:%M:%S}", kind="idle")
            with self._engine_lock:
                self._articles.clear()  # an article changed or went: never show the old text
            self._refresh_stats()
        else:
            status.show(watch="watching · up to date", kind="idle")

    def on_watch_failed(self, message: WatchFailed) -> None:
        self.watch = None
        self.query_one(WritingStatus).show(watch=f"watch stopped: {message.error}", kind="failed")
        self.notify(f"Stopped watching the corpus: {one_line(message.error)}", title="Watch", severity="error",
                    timeout=12, markup=False)

    @work(thread=True, exclusive=True, group="stats", exit_on_error=False)
    def _refresh_stats(self) -> None:
        engine = self.engine
        if engine is None:
            return
        try:
            with self._engine_lock:
                stats = engine.stats()
                sources = sorted(engine.sources(), key=str.casefold)
                db = getattr(engine, "db", None)
                cover = coverage(db) if db is not None else None
        except Exception as exc:  # noqa: BLE001 - the counts are nice to have
            self.log.warning(f"stats after a watch update failed: {exc!r}")
            return
        self.post_message(StatsRefreshed(stats, sources, cover))

    def on_stats_refreshed(self, message: StatsRefreshed) -> None:
        self.sources, self.coverage = message.sources, message.coverage or self.coverage
        if self.engine is not None:
            self.query_one(StatusLine).show_ready(stats_text(message.stats, str(self.settings.corpus)))

    # ---- filters

    def set_filters(self, filters: Filters) -> None:
        """Replace the UI filters (applied to the next questions) and show them."""
        self.filters = filters
        self.query_one(FilterBar).show(filters)
        reason = why_nothing(filters, self.coverage)
        if reason:
            self.notify(f"This filter can match nothing: {reason}.", severity="warning", timeout=10, markup=False)
        if filters.since and filters.until and filters.since > filters.until:
            self.notify("'since' is after 'until': nothing can match.", severity="warning", markup=False)
        self.notify(f"Filters: {one_line(filters.describe() or 'none')}", timeout=3, markup=False)

    def action_filters(self) -> None:
        self.filter_menu.open()

    # ---- palette, help, theme

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for name, help_, call in self.filter_menu.entries():
            yield SystemCommand(name, help_, call)
        yield SystemCommand("Export session as Markdown", "Write ./assistant-session-\u2026.md (Ctrl+S)",
                            self.action_export)
        yield SystemCommand("New session", "Start an empty conversation (Ctrl+N)", self.action_new_session)
        yield SystemCommand("Open a past session\u2026", "List saved sessions and reopen one (Ctrl+O)",
                            self.action_sessions)
        yield SystemCommand("Copy selected quote", "With its citation (c)", partial(self._copy_selected, False))
        yield SystemCommand("Copy selected answer", "Every quote with a numbered source list (C)",
                            partial(self._copy_selected, True))
        yield SystemCommand("Citation style: next", f"Copy keys cite in {STYLE_NAMES[self.cite_style]} now (F3)",
                            self.action_cycle_style)
        yield SystemCommand("Check a draft\u2026", "Every quotation of a draft file against the corpus (F4)",
                            self.action_check_draft)
        yield SystemCommand("Stop watching the corpus folder" if self.watch is not None else "Watch the corpus folder",
                            "Keep the index current while the chat runs", self.action_toggle_watch)
        yield SystemCommand("Toggle light/dark theme", "Ctrl+T", self.action_toggle_dark)
        yield SystemCommand("Help: keys", "Every key (F1)", self.action_help)
        if self.engine_error is not None:
            yield SystemCommand("Retry opening the index", "After fixing the problem", self.action_retry_engine)

    def action_retry_engine(self) -> None:
        self.engine_error = None
        self.query_one(StatusLine).show_loading("retrying")
        self._open_engine()

    def action_help(self) -> None:
        from assistant.tui.dialogs import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in CHAT_ONLY and self.screen is not self.screen_stack[0]:
            return False
        return True


def make_app(
    settings: Settings,
    *,
    engine_factory: EngineFactory | None = None,
    session_dir: Path | None = None,
    resume: bool = False,
) -> AssistantApp:
    """The chat app; the engine opens in a worker thread through `engine_factory`. Sessions live in
    the user's data folder for this index; the last one is reopened only with `resume`."""

    def open_default(on_progress: ProgressCallback) -> Engine:
        # Imported here, in the worker thread: the engine pulls in numpy, FAISS and the model runtime.
        from assistant.launch import open_engine

        return open_engine(settings, on_progress=on_progress)

    return AssistantApp(
        settings,
        engine_factory or open_default,
        session_dir if session_dir is not None else index_data_folder(settings.index) / "sessions",
        resume=resume,
    )
