"""The chat app: questions go to the engine in worker threads; quotes, reader, copy, export, filters, sessions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import threading
import time
from collections import deque
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.worker import get_current_worker

from assistant.text.citations import answer_markdown, quote_markdown
from assistant.text.followup import Context, Resolution, more_by, resolve, speaker_name
from assistant.models import Answer, Article, Filters
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
from assistant.tui.clipboard import deliver
from assistant.tui.notebook_view import NotebookScreen
from assistant.tui.bars import FilterBar, StatusLine, progress_text, stats_text
from assistant.tui.dialogs import HelpScreen, SessionPicker, TextPrompt
from assistant.tui.filtering import FilterMenu
from assistant.tui.messages import (
    AnswerFailed,
    AnswerReady,
    CopyRequested,
    EngineFailed,
    EngineProgressed,
    EngineReady,
    MoreQuotes,
    OpenRequested,
)
from assistant.tui.protocol import EngineFactory, ProgressCallback, error_text
from assistant.tui.reader import ReaderScreen
from assistant.tui.safe import one_line, visible
from assistant.tui.turn import QUEUED, RUNNING, QuoteView, TurnView

if TYPE_CHECKING:
    from assistant.index.progress import Progress
    from assistant.search.engine import Engine

PROGRESS_INTERVAL = 0.1
"""Seconds between progress updates on screen (an index build reports far more often)."""

ARTICLE_CACHE = 32
"""Articles kept in memory for the reader."""

CHAT_ONLY = {"notebook", "pin", "more_quotes", "cancel", "focus_question", "scroll_chat", "select_last_quote", "filters", "export", "sessions", "people",
             "new_session"}
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
        self.filter_menu = FilterMenu(self, lambda: self.filters, self.set_filters, lambda: self.sources,
                                      lambda: coverage_text(self.coverage) if self.coverage else "")

    # ---- layout and start-up

    def compose(self) -> ComposeResult:
        with self.chat:
            yield Static(Content.styled(WELCOME, "$text-muted"), id="welcome", markup=False)
        yield FilterBar()
        yield QuestionInput(placeholder="Ask a question\u2026  (F1: keys, Ctrl+P: commands)", id="question")
        yield StatusLine()
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(FilterBar).show(self.filters)
        self.query_one(StatusLine).show_loading("starting")
        if self.resume:
            self._restore_latest()
        self.query_one("#question").focus()
        self._open_engine()

    def keep_current_in_view(self) -> None:
        """Scroll the current answer's question to the top (after a resize rewrapped every turn above it)."""
        if self.current is not None and self.current.is_attached:
            self.chat.scroll_to_widget(self.current, top=True, animate=False)

    def on_unmount(self) -> None:
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
        question = event.value.strip()
        event.input.clear()
        if question:
            await self.ask(question)

    async def ask(self, question: str) -> TurnView:
        """Add a turn for `question`; it runs now, or as soon as the engine is ready."""
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
        if self.engine is None or self._active is not None:
            return
        while self._queue:
            turn = self._queue.popleft()
            if turn.state == QUEUED:
                self._active = turn
                turn.set_running()
                previous, before = self._previous(turn)
                resolution = resolve(turn.question, previous, before)
                turn.resolution = resolution
                turn.refresh_meta()
                self._ask(self.engine, turn.turn_id, turn.question, resolution, turn.filters, previous,
                          self._shown_before(turn))
                return

    def _previous(self, turn: TurnView) -> tuple[Answer | None, Context | None]:
        """The answer of the last answered turn before `turn` and the conversation's context then."""
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
        if self.engine is None:
            reason = f"engine not available: {self.engine_error}" if self.engine_error else "the model is still loading"
            self.notify(f"Cannot open the article yet: {one_line(reason)}", severity="warning", markup=False)
            return
        self.push_screen(ReaderScreen(message.answer, message.index, self.fetch_article))

    def on_copy_requested(self, message: CopyRequested) -> None:
        self.copy_answer(message.answer, message.index, whole=message.whole_answer)

    def copy_answer(self, answer: Answer, index: int, *, whole: bool) -> None:
        """Put quote `index` (or all quotes with a source list) on the clipboard and say so."""
        if whole:
            text, count = answer_markdown(answer), len(answer.quotes)
            what = f"{count} quote{'s' if count != 1 else ''} with sources"
        else:
            quote = answer.quotes[index]
            text, what = quote_markdown(quote), f"quote [{quote.n}]"
        # Control characters never reach the clipboard: pasting escapes into a terminal is unsafe.
        text = visible(text)
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
        pinned = self._load_notebook()
        if pinned is not None:
            self.push_screen(NotebookScreen(pinned, self._save_notebook, self._ask_export_path))

    def _ask_export_path(self, pinned: tuple[notebook.Pinned, ...]) -> None:
        if not pinned:
            self.notify("Nothing pinned yet.", severity="warning", markup=False)
            return
        default = str(Path.cwd() / f"notebook-{dt.datetime.now():%Y%m%d-%H%M%S}.md")
        style = getattr(self.settings, "cite_style", "chicago")
        style = style if style in notebook.EXPORT_STYLES else "chicago"

        def chosen(value: str | None) -> None:
            if not value:
                return
            target, _, asked = value.partition(" --style ")
            try:
                path = notebook.export(Path(target.strip()).expanduser(), pinned, asked.strip() or style)
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

    def action_sessions(self) -> None:
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
        yield SystemCommand("Toggle light/dark theme", "Ctrl+T", self.action_toggle_dark)
        yield SystemCommand("Help: keys", "Every key (F1)", self.action_help)
        if self.engine_error is not None:
            yield SystemCommand("Retry opening the index", "After fixing the problem", self.action_retry_engine)

    def action_retry_engine(self) -> None:
        self.engine_error = None
        self.query_one(StatusLine).show_loading("retrying")
        self._open_engine()

    def action_help(self) -> None:
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
