"""Issue 14, the chat as a journalist's notebook: selection, follow-ups, honest copy, notebook, sessions (Pilot)."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Static
from support.tui import (
    HARBOUR_QUOTE, HOSTILE_QUOTE, MINISTER, QUOTAS, FakeEngine, ask, build, capture_copies, factory, isolate, quote_of,
    settings, settle,
)

from assistant import notebook
from assistant.models import Filters, Speaker
from assistant.tui.notebook_view import NotebookScreen
from assistant.sessions import index_data_folder
from assistant.tui import clipboard
from assistant.tui.clipboard import osc52_verdict, system_tool

from assistant.tui.citing import quote_citation
from assistant.tui.app import make_app
from assistant.tui.turn import QuoteView, TurnView


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path, monkeypatch)


# ---- 1. selection belongs to the answer on screen


async def test_new_answer_takes_the_selection_and_up_stays_inside_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, _, notes = build(tmp_path)
    copied = capture_copies(app, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        first = await ask(app, pilot, "what did the minister say")
        await pilot.press("up", "j", "j")  # quote [3] of the first answer
        assert app.focused is first.quote_views[2]
        await pilot.press("i")
        second = await ask(app, pilot, "who landed on the moon")  # the issue's "iPod answer"
        assert app.selected is second.quote_views[0] and app.selected.has_class("-selected")
        assert not first.quote_views[2].has_class("-selected")
        await pilot.press("up")
        assert app.focused is second.quote_views[0]
        await pilot.press("up", "k", "down", "j")  # never into the first answer
        assert app.focused in (second.quote_views[0], app.query_one("#question"))
        await pilot.press("up", "c")
        assert copied[-1] == quote_citation(second.answer.quotes[0], "chicago")
        assert HARBOUR_QUOTE in copied[-1] and MINISTER not in copied[-1]
        assert notes[-1].startswith("Copied quote [1]")


async def test_tab_goes_to_the_current_answer_not_the_first_of_the_session(tmp_path: Path) -> None:
    app, _, _ = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await ask(app, pilot, "what did the minister say")
        second = await ask(app, pilot, "the trade deal and fishing quotas")
        await pilot.press("tab")
        assert app.focused is second.quote_views[0]
        await pilot.press("tab", "tab")
        assert app.focused is second.quote_views[2]
        await pilot.press("tab")  # past the last quote: back to the box, not into another answer
        assert app.focused is app.query_one("#question")


async def test_an_answer_arriving_while_a_quote_has_focus_moves_focus_and_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, _, _ = build(tmp_path)
    copied = capture_copies(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        first = await ask(app, pilot, "who landed on the moon")
        await pilot.press("up")
        assert app.focused is first.quote_views[0]
        await app.ask("what did the minister say")  # e.g. a queued question finishing
        await settle(app, pilot)
        second = list(app.query(TurnView))[-1]
        assert app.focused is second.quote_views[0]
        await pilot.press("j", "c")
        assert copied == [quote_citation(second.answer.quotes[1], "chicago")] and QUOTAS in copied[0]


async def test_resizing_keeps_the_current_answer_in_view(tmp_path: Path) -> None:
    app, _, _ = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        for question in ("what did the minister say", "the trade deal", "fishing quotas and the harbour"):
            last = await ask(app, pilot, question)
        await pilot.resize_terminal(80, 24)
        await settle(app, pilot)
        chat = app.chat
        assert chat.scroll_y > 0
        top = last.region.y - chat.region.y
        assert 0 <= top < chat.size.height  # the question of the current answer is on screen


# ---- 2. follow-ups use the conversation's people and topic


class SpeakerEngine(FakeEngine):
    """Quotes [1] and [3] are Tony Blair's, [2] Alan Milburn's; asking for more quotes finds one more of Blair's."""

    def ask(self, question: str, **options: Any) -> Any:
        answer = super().ask(question, **options)
        names = ["Tony Blair", "Alan Milburn", "Tony Blair"]
        quotes = [dataclasses.replace(q, speaker=Speaker(names[i % 3], None, 0, 1)) for i, q in enumerate(answer.quotes)]
        if options.get("max_quotes", 5) > 5:
            quotes.append(dataclasses.replace(quote_of(3, HOSTILE_QUOTE, 4), speaker=Speaker("Tony Blair", None, 0, 1)))
        return dataclasses.replace(answer, quotes=tuple(quotes))


async def test_he_resolves_to_the_speaker_shown_and_what_else_means_more_of_their_quotes(tmp_path: Path) -> None:
    app, engine, _ = build(tmp_path, SpeakerEngine())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await ask(app, pilot, "What did Tony Blair say about tax?")
        more = await ask(app, pilot, "what else did he say?")
        assert engine.calls[1]["question"] == "What did Tony Blair say about tax?"
        assert engine.calls[1]["previous"] is None and engine.calls[1]["max_quotes"] > 5
        meta = str(more.query_one(".meta", Static).render())
        assert "he = Tony Blair" in meta and "searched: What did Tony Blair say about tax?" in meta
        # Only Blair's quotations, none of those already shown.
        assert [v.quote.text for v in more.quote_views] == [HOSTILE_QUOTE]
        assert more.answer is not None and more.answer.question == "what else did he say?"
        europe = await ask(app, pilot, "what did he say about Europe?")
        assert engine.calls[2]["question"] == "what did Tony Blair say about Europe?"
        assert "topic: Europe" in str(europe.query_one(".meta", Static).render())
        await ask(app, pilot, "and immigration?")
        assert engine.calls[3]["question"] == "What did Tony Blair say about immigration?"


# ---- 3. honest copy


def test_osc52_verdicts() -> None:
    assert osc52_verdict({"TMUX": "/tmp/t,1,0", "TERM_PROGRAM": "WezTerm"}, lambda: "off")[0] is False
    assert "set-clipboard is off" in osc52_verdict({"TMUX": "x"}, lambda: "off")[1]
    assert osc52_verdict({"TMUX": "x"}, lambda: "on") == (True, "")
    # tmux's default 'external' forwards to the outer terminal, which may swallow it (the issue's plain tmux).
    assert osc52_verdict({"TMUX": "x", "TERM_PROGRAM": "tmux", "TERM": "tmux-256color"}, lambda: "external")[0] is False
    assert osc52_verdict({"TMUX": "x", "LC_TERMINAL": "iTerm.app"}, lambda: "external") == (True, "")
    assert osc52_verdict({"TERM_PROGRAM": "iTerm.app"}, lambda: None) == (True, "")
    assert osc52_verdict({"TERM": "xterm-kitty"}, lambda: None)[0] is True
    assert osc52_verdict({"TERM": "xterm-256color", "TERM_PROGRAM": "gnome-terminal"}, lambda: None)[0] is False
    tools = {"xclip": "/usr/bin/xclip", "wl-copy": "/usr/bin/wl-copy"}
    assert system_tool({"DISPLAY": ":0"}, tools.get, "linux") == ["/usr/bin/xclip", "-selection", "clipboard"]
    assert system_tool({"WAYLAND_DISPLAY": "w", "DISPLAY": ":0"}, tools.get, "linux") == ["/usr/bin/wl-copy"]
    assert system_tool({}, tools.get, "linux") is None


async def test_copy_in_plain_tmux_says_where_the_text_went(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, _, notes = build(tmp_path)
    sent: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", sent.append)
    monkeypatch.setenv("TMUX", "/tmp/tmux-0/default,1,0")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(clipboard, "tmux_set_clipboard", lambda: "off")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        turn = await ask(app, pilot, "what did the minister say")
        await pilot.press("up", "j", "j", "c")
        assert sent == []  # OSC 52 would be swallowed by tmux: not sent, and not called a copy
        note = notes[-1]
        assert note.startswith("No clipboard reachable (tmux's set-clipboard is off") and "Copied" not in note
        path = index_data_folder(tmp_path / "index") / "copied.md"
        assert str(path) in note and "select it in the reader" in note
        text = path.read_text(encoding="utf-8")
        assert text == quote_citation(turn.answer.quotes[2], "chicago")
        assert (path.stat().st_mode & 0o777) == 0o600
        # The pasted citation carries the paragraph, like every other citation.
        assert "Reuters, January 2, 2024, para. 2" in text


# ---- 4. the notebook


async def pinned_two(pilot: Pilot[None]) -> None:
    """Quotes [3] and [1] pinned, the notebook open."""
    app = pilot.app
    await settle(app, pilot)  # type: ignore[arg-type]
    app.query_one("#question").post_message(events.Paste("what did the minister say"))
    await pilot.pause()
    await pilot.press("enter")
    await settle(app, pilot)  # type: ignore[arg-type]
    await pilot.press("up", "j", "j", "p", "k", "k", "p", "ctrl+b")
    app.clear_notifications()  # the "Pinned" toasts would make the snapshot depend on timing
    await pilot.pause()


async def test_pin_reorder_remove_and_export_the_notebook(tmp_path: Path) -> None:
    app, _, notes = build(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pinned_two(pilot)
        screen = app.screen
        assert isinstance(screen, NotebookScreen)
        assert [p.quote.text for p in screen.pinned] == [HARBOUR_QUOTE, MINISTER]
        path = notebook.notebook_path(tmp_path / "index")
        assert str(path).startswith(str(tmp_path / "data" / "assistant")) and (path.stat().st_mode & 0o777) == 0o600
        await pilot.press("J")  # the first entry moves down
        assert [p.quote.text for p in notebook.load(path)] == [MINISTER, HARBOUR_QUOTE]
        await pilot.press("x")
        prompt = app.screen
        target = tmp_path / "out" / "notes.md"
        target.parent.mkdir()
        prompt.query_one(Input).value = f"{target} --style apa"
        await pilot.press("enter")
        await pilot.pause()
        text = target.read_text(encoding="utf-8")
        assert text.index(MINISTER) < text.index(HARBOUR_QUOTE)
        sources = text.split("## Sources")[1].strip().splitlines()
        assert sources[0].startswith("1. ") and sources[1].startswith("2. ") and "Harbour reopens after storm" in sources[1]
        assert "(2024" in sources[1]  # APA puts the year in parentheses
        assert (target.stat().st_mode & 0o777) == 0o600 and notes[-1].startswith("Exported 2 pinned quotes")
        # An existing file (or a link planted there) is never written through.
        await pilot.press("x")
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert notes[-1].startswith("Export failed") and "already exists" in notes[-1]
        await pilot.press("d")  # the highlight followed the moved entry: the harbour quote goes
        assert [p.quote.text for p in notebook.load(path)] == [MINISTER]


def test_notebook_view_100x30(snap_compare, tmp_path: Path) -> None:
    app, _, _ = build(tmp_path)
    assert snap_compare(app, terminal_size=(100, 30), run_before=pinned_two)


# ---- 5. filters that can match nothing say why


class UndatedEngine(FakeEngine):
    """A corpus like the BBC files: no article has a date or an outlet; any filter finds nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.db.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, date TEXT, source TEXT)")
        self.db.executemany("INSERT INTO articles (date, source) VALUES (NULL, NULL)", [()] * 3)

    def ask(self, question: str, **options: Any) -> Any:
        answer = super().ask(question, **options)
        if answer.filters.is_empty():
            return answer
        return dataclasses.replace(answer, answered=False, quotes=(),
                                   message=f"nothing in the corpus matches ({answer.filters.describe()})")


async def filtered(pilot: Pilot[None]) -> None:
    app = pilot.app
    await settle(app, pilot)  # type: ignore[arg-type]
    app.query_one("#question").post_message(events.Paste("what did the minister say since:2005-01-01"))
    await pilot.pause()
    await pilot.press("enter")
    await settle(app, pilot)  # type: ignore[arg-type]
    app.clear_notifications()
    await pilot.pause()


async def test_a_filter_that_can_match_nothing_says_why(tmp_path: Path) -> None:
    app, _, notes = build(tmp_path, UndatedEngine())
    async with app.run_test(size=(100, 30)) as pilot:
        await filtered(pilot)
        turn = list(app.query(TurnView))[-1]
        status = str(turn.query_one(".status", Static).render())
        assert status.startswith("no article in this corpus has a date")
        await pilot.click("#question")
        app.set_filters(Filters(source="bbc"))
        assert any(n.startswith("This filter can match nothing: no article in this corpus has an outlet") for n in notes)
        entries = {name: help_ for name, help_, _ in app.filter_menu.entries()}
        assert entries["Filter: since date\u2026"].endswith("(3 articles: 0 with a date, 0 with an outlet)")


def test_filter_explanation_100x30(snap_compare, tmp_path: Path) -> None:
    app, _, _ = build(tmp_path, UndatedEngine())
    assert snap_compare(app, terminal_size=(100, 30), run_before=filtered)


# ---- 6. sessions in the data folder


async def test_new_session_at_start_resume_and_old_index_sessions_offered(tmp_path: Path) -> None:
    app, _, _ = build(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await ask(app, pilot, "what did the minister say")
        first = app.session.id
    app, _, _ = build(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert not app.query(TurnView) and app.session.id != first  # a new session, not the last one
    app, _, _ = build(tmp_path, resume=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.session.id == first and len(app.query(TurnView)) == 1
    # The default folder is the user's data folder, never the index folder.
    default = make_app(settings(tmp_path), engine_factory=factory(FakeEngine()))
    assert default.session_dir == index_data_folder(tmp_path / "index") / "sessions"
    assert str(default.session_dir).startswith(str(tmp_path / "data"))
    # A session an older version wrote into index/sessions is listed and can be reopened.
    old = tmp_path / "index" / "sessions"
    old.mkdir(parents=True)
    (tmp_path / "sessions" / f"{first}.json").rename(old / f"{first}.json")
    async with default.run_test(size=(100, 30)) as pilot:
        await settle(default, pilot)
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert default.session.id == first and len(default.query(TurnView)) == 1


async def test_m_asks_for_more_quotes_on_the_current_answer(tmp_path: Path) -> None:
    app, engine, notes = build(tmp_path, SpeakerEngine())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        turn = await ask(app, pilot, "what did the minister say")
        await pilot.press("up", "m")
        await settle(app, pilot)
        assert engine.calls[-1]["max_quotes"] == 8
        assert [v.quote.n for v in turn.quote_views] == [1, 2, 3, 4] and notes[-1] == "1 more quote."
        assert len(app.session.answers) == 1 and len(app.session.answers[0].quotes) == 4


def test_session_export_keeps_turns_with_quotes_and_says_things_once() -> None:
    import datetime as dt

    from assistant.models import Answer
    from assistant.sessions import new_session, session_markdown
    from assistant.text.citations import source_entry

    empty = Answer("trade since:2005-01-01", "trade", Filters(since=dt.date(2005, 1, 1)), False, (),
                   message="nothing in the corpus matches (since 2005-01-01)")
    weak = Answer("moon?", "moon?", Filters(), False, (quote_of(2, HARBOUR_QUOTE, 1, weak=True),),
                  message="the corpus does not appear to answer this question; closest passages below are weak matches")
    good = Answer("minister?", "minister?", Filters(), True, (quote_of(1, MINISTER, 1),))
    session = dataclasses.replace(new_session(), answers=(empty, weak, good))
    text = session_markdown(session)
    assert "trade since" not in text and "nothing in the corpus matches" not in text
    assert "## 1. moon?" in text and "## 2. minister?" in text
    assert text.count("does not appear to answer") == 1
    question = dataclasses.replace(quote_of(1, MINISTER, 1), title="Is the deal dead?")
    assert source_entry(question).startswith("[1] Is the deal dead? BBC, 8 Aug 2023. para. 3.")


async def test_a_long_pinned_quote_wraps_under_its_words_not_at_column_0(tmp_path: Path) -> None:
    app, _, _ = build(tmp_path)
    async with app.run_test(size=(50, 30)) as pilot:
        await pinned_two(pilot)
        listing = app.screen.query_one("#notebook-list")
        lines = [listing.render_line(y).text.rstrip() for y in range(listing.size.height)]
        entry = [line for line in lines if line.strip()]
        first = next(i for i, line in enumerate(entry) if "[1]" in line)
        second = next(i for i, line in enumerate(entry) if "[2]" in line)
        assert second - first >= 3, entry  # the quote wraps at 50 columns
        hang = entry[first].index("[1]") + len("[1] ")
        assert all(len(line) - len(line.lstrip()) >= hang for line in entry[first + 1:second]), entry
