"""The chat UI driven as a user would, through Textual's Pilot, against a fake engine."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import threading
from pathlib import Path

import pytest
from rich.console import Console
from textual.content import Span
from textual.widgets import Static
from support.tui import (
    ARTICLES,
    HOSTILE_QUOTE,
    MINISTER,
    QUOTAS,
    FakeEngine,
    FakeProgress,
    answer_for,
    ask,
    build,
    isolate,
    paste,
    settle,
)

from assistant.tui.citing import answer_citations, quote_citation
from assistant.errors import EngineError
from assistant.models import Filters
from assistant.tui.app import AssistantApp
from assistant.tui.bars import count, progress_text
from assistant.tui.dialogs import HelpScreen, SessionPicker, TextPrompt
from assistant.tui.reader import HIGHLIGHT_STYLE, ArticleView, ReaderScreen, find_span
from assistant.tui.safe import visible
from assistant.tui.turn import ANSWERED, CANCELLED, FAILED, QUEUED, QuoteView, TurnView, quoted


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path, monkeypatch)


def shown(widget: Static) -> str:
    return str(widget.render())


def screen_output(app: AssistantApp) -> str:
    """Exactly what the app would write to a terminal for a full repaint of the current screen."""
    console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor", width=app.size.width)
    update = app.screen._compositor.render_update(full=True)
    console.print(update, end="")
    return console.file.getvalue()  # type: ignore[attr-defined]


async def test_question_shows_quotes_with_citations(tmp_path: Path) -> None:
    app, engine, _ = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        turn = await ask(app, pilot, "what did the minister say")
        assert turn.state == ANSWERED
        assert "\u276f what did the minister say" in shown(turn.query_one(".question", Static))
        assert "3 quotes in 0.12s" in shown(turn.query_one(".meta", Static))
        views = turn.quote_views
        assert [v.quote.n for v in views] == [1, 2, 3]
        assert shown(views[0].query_one(".marker", Static)) == "[1]"
        body = shown(views[0].query_one(".body", Static))
        assert body.splitlines() == [f"\u201c{MINISTER}\u201d", "Trade talks collapse in Brussels, BBC, 8 Aug 2023, para. 3"]
        assert engine.calls[0]["question"] == "what did the minister say"
        assert engine.calls[0]["previous"] is None and engine.calls[0]["max_quotes"] == 5
        assert app.query_one("#question").value == ""
    assert engine.closed  # the engine is closed when the app exits


async def test_abstention_says_so_and_marks_weak_passages(tmp_path: Path) -> None:
    app, _, _ = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        turn = await ask(app, pilot, "who landed on the moon")
        status = shown(turn.query_one(".status", Static))
        assert status.splitlines() == [
            "The corpus does not appear to answer this: nothing relevant.", "Closest passages, all weak matches:"]
        (view,) = turn.quote_views
        assert view.has_class("-weak") and "weak match" in shown(view.query_one(".body", Static))
        refused = await ask(app, pilot, "???")
        assert shown(refused.query_one(".status", Static)) == "the question has no words to search for"
        assert refused.quote_views == []


async def test_earlier_turns_stay_and_follow_up_passes_previous(tmp_path: Path) -> None:
    app, engine, _ = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        first = await ask(app, pilot, "what did the minister say about the trade deal")
        second = await ask(app, pilot, "and fishing")
        assert [t.state for t in app.query(TurnView)] == [ANSWERED, ANSWERED]
        assert engine.calls[1]["previous"] == first.answer
        # The fake combines short follow-ups with the previous question; the turn says what was searched.
        meta = shown(second.query_one(".meta", Static))
        assert "searched: what did the minister say about the trade deal and fishing" in meta
        assert len(app.query(QuoteView)) == 6


async def test_reader_highlights_the_quote_and_steps_through_quotes(tmp_path: Path) -> None:
    app, _, _ = build(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        turn = await ask(app, pilot, "what did the minister say")
        await pilot.press("up", "j")  # Up selects the answer's first quote, j the next
        assert app.focused is turn.quote_views[1]
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ReaderScreen)
        view = app.screen.query_one(ArticleView)
        quote = turn.answer.quotes[1]
        assert quote.text == QUOTAS
        assert view.highlight == (quote.start, quote.end)
        assert Span(quote.start, quote.end, HIGHLIGHT_STYLE) in view.content.spans
        assert view.content.plain[quote.start : quote.end] == QUOTAS
        # Paragraph 30 of 40: the reader scrolled down to it, and the quote's row is on screen.
        scroller = app.screen.query_one("#reader-scroll")
        row = view.highlight_row(view.content_size.width) + view.styles.padding.top
        assert scroller.scroll_y > 0 and scroller.scroll_y <= row < scroller.scroll_y + scroller.size.height
        assert "quote [2] of 3" in shown(app.screen.query_one("#reader-status", Static))

        await pilot.press("n")  # next quote is in another article
        await settle(app, pilot)
        quote = turn.answer.quotes[2]
        assert view.article == ARTICLES[2] and view.highlight == (quote.start, quote.end)
        assert "Harbour reopens after storm" in shown(app.screen.query_one("#reader-title", Static))
        await pilot.press("p", "p")
        await settle(app, pilot)
        assert view.article == ARTICLES[1] and view.highlight == (turn.answer.quotes[0].start, turn.answer.quotes[0].end)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ReaderScreen)


async def test_mouse_click_selects_and_double_click_opens(tmp_path: Path) -> None:
    app, _, _ = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        turn = await ask(app, pilot, "what did the minister say")
        target = turn.quote_views[0]
        await pilot.click(target)
        assert app.focused is target and app.selected is target
        await pilot.double_click(target)
        await settle(app, pilot)
        assert isinstance(app.screen, ReaderScreen) and app.screen.index == 0


async def test_copy_quote_and_whole_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, _, notes = build(tmp_path)
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    monkeypatch.setenv("TERM_PROGRAM", "WezTerm")  # a terminal that takes OSC 52 (see tui/clipboard.py)
    monkeypatch.delenv("TMUX", raising=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        turn = await ask(app, pilot, "what did the minister say")
        await pilot.press("tab", "j")
        assert app.focused is turn.quote_views[1]
        await pilot.press("c")
        # In the configured citation style (Chicago by default; tests/test_tui_cite.py has every style).
        expected = quote_citation(turn.answer.quotes[1], "chicago")
        assert copied == [expected]
        assert notes[-1].startswith(f"Copied quote [2] cited in Chicago ({len(expected)} chars) to ")
        await pilot.press("C")
        assert copied[-1] == answer_citations(turn.answer, "chicago")
        assert notes[-1].startswith(f"Copied 3 quotes cited in Chicago ({len(copied[-1]):,} chars) to ")
        # The reader copies the quote it shows.
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("n", "c")
        assert copied[-1] == quote_citation(turn.answer.quotes[2], "chicago")


async def test_typing_in_the_question_box_never_triggers_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, _, _ = build(tmp_path)
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    monkeypatch.setenv("TERM_PROGRAM", "WezTerm")  # a terminal that takes OSC 52 (see tui/clipboard.py)
    monkeypatch.delenv("TMUX", raising=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await ask(app, pilot, "what did the minister say")
        await pilot.press(*"c C e o i j k ?")
        assert app.query_one("#question").value == "c C e o i j k ?"
        assert copied == [] and not isinstance(app.screen, HelpScreen)
        assert not list(tmp_path.glob("assistant-session-*.md"))


async def test_filters_from_the_palette_reach_the_engine(tmp_path: Path) -> None:
    app, engine, _ = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"since")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, TextPrompt)
        await paste(app, pilot, "2023-08-01")
        await pilot.press("enter")
        await pilot.pause()
        assert app.filters == Filters(since=dt.date(2023, 8, 1))

        await pilot.press("ctrl+f")  # the filter menu, then the source picker listing engine.sources()
        await pilot.press(*"sou")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press(*"reu")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.filters == Filters(since=dt.date(2023, 8, 1), source="Reuters")
        bar = shown(app.query_one("#filter-bar", Static))
        assert "since 2023-08-01, source: Reuters" in bar

        turn = await ask(app, pilot, "what did the minister say")
        assert engine.calls[-1]["filters"] == Filters(since=dt.date(2023, 8, 1), source="Reuters")
        assert "filters: since 2023-08-01, source: Reuters" in shown(turn.query_one(".meta", Static))

        app.action_filters()
        await pilot.press(*"clear")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.filters == Filters()


async def test_bad_date_is_refused_with_a_notification(tmp_path: Path) -> None:
    app, _, notes = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.filter_menu.prompt_date("until")
        await pilot.pause()
        await paste(app, pilot, "next tuesday")
        await pilot.press("enter")
        await pilot.pause()
        assert app.filters == Filters()
        assert "Not a date: next tuesday (use YYYY-MM-DD)" in notes


async def test_inline_filters_go_to_the_engine_with_the_question(tmp_path: Path) -> None:
    app, engine, _ = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        turn = await ask(app, pilot, "since:2023-08-01 source:bbc what did the minister say")
        assert engine.calls[-1]["question"] == "since:2023-08-01 source:bbc what did the minister say"
        meta = shown(turn.query_one(".meta", Static))
        assert "filters: since 2023-08-01, source: bbc" in meta
        assert "searched: what did the minister say" in meta


async def test_session_restored_after_restart_and_sessions_can_be_switched(tmp_path: Path) -> None:
    app, _, _ = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await ask(app, pilot, "what did the minister say")
        first_id = app.session.id
    assert (tmp_path / "sessions" / f"{first_id}.json").is_file()

    app, engine, notes = build(tmp_path)
    app.resume = True  # `assistant --resume`: without it the chat starts a new session
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        (restored,) = app.query(TurnView)
        assert restored.state == ANSWERED and restored.question == "what did the minister say"
        assert [v.quote.text for v in restored.quote_views][:2] == [MINISTER, QUOTAS]
        await ask(app, pilot, "and fishing")
        assert engine.calls[-1]["previous"] == restored.answer  # follow-ups continue the restored conversation
        assert app.session.id == first_id and len(app.session.answers) == 2

        await pilot.press("ctrl+n")
        await pilot.pause()
        assert not app.query(TurnView) and app.session.id != first_id
        await ask(app, pilot, "who landed on the moon")

        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, SessionPicker)
        from textual.widgets import OptionList

        options = app.screen.query_one(OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert len(labels) == 2
        assert "who landed on the moon" in labels[0] and "(1 turn)" in labels[0] and "current" in labels[0]
        assert "what did the minister say" in labels[1] and "(2 turns)" in labels[1]
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.session.id == first_id
        assert [t.question for t in app.query(TurnView)] == ["what did the minister say", "and fishing"]


async def test_corrupt_session_file_is_skipped_with_a_notification(tmp_path: Path) -> None:
    folder = tmp_path / "sessions"
    folder.mkdir()
    (folder / "20240101-000000-dead.json").write_text("{ not json", encoding="utf-8")
    app, _, notes = build(tmp_path)
    app.resume = True
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert any(n.startswith("Skipped an unreadable session file: 20240101-000000-dead.json") for n in notes)
        turn = await ask(app, pilot, "what did the minister say")
        assert turn.state == ANSWERED


async def test_hostile_article_text_is_shown_literally(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, _, _ = build(tmp_path)
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    monkeypatch.setenv("TERM_PROGRAM", "WezTerm")  # a terminal that takes OSC 52 (see tui/clipboard.py)
    monkeypatch.delenv("TMUX", raising=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        turn = await ask(app, pilot, "show me the hostile one")
        (view,) = turn.quote_views
        body = shown(view.query_one(".body", Static))
        assert "[bold red]X[/]" in body and "[link=http://x]y[/link]" in body
        assert "\u241b]52;c;SGVsbG8=\u2407" in body and "\u241b[31mred\u241b[0m" in body
        assert "[i]Mallory[/i]" in body
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", body)
        output = screen_output(app)
        assert "\x1b]" not in output and "\x07" not in output  # no OSC (clipboard, title) sequence at all
        assert not re.search(r"\x1b(?!\[[0-9;]*[mH])", output)  # only colour (SGR) and cursor moves
        assert "[bold red]X[/]" in output

        await pilot.press("up", "c")
        assert "\x1b" not in copied[-1] and "[bold red]X[/]" in copied[-1]
        await pilot.press("enter")
        await settle(app, pilot)
        title = shown(app.screen.query_one("#reader-title", Static))
        assert "[b]Evil[/b] \u241b]0;pwned\u2407 title" in title
        article = app.screen.query_one(ArticleView)
        start, end = article.highlight
        assert article.content.plain[start:end] == visible(HOSTILE_QUOTE)  # same length: offsets still hold
        output = screen_output(app)
        assert "\x1b]" not in output and "\x07" not in output
        assert not re.search(r"\x1b(?!\[[0-9;]*[mH])", output)


async def test_ui_works_before_a_slow_engine_is_ready(tmp_path: Path) -> None:
    gate = threading.Event()
    progress = [FakeProgress("embed", 1200, 5000, "embedding 1,200/5,000 chunks (310/s, ETA 12s)")]
    app, engine, _ = build(tmp_path, gate=gate, progress=progress)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            status = shown(app.query_one("#status-line", Static))
            assert "embedding 1,200/5,000 chunks" in status and "model loading\u2026" in status
            assert app.focused is app.query_one("#question")
            await pilot.press(*"minister", "enter")
            await pilot.pause()
            (turn,) = app.query(TurnView)
            assert turn.state == QUEUED and "waiting for the engine" in shown(turn.query_one(".status", Static))
            assert engine.calls == []
            gate.set()
            await settle(app, pilot)
            assert turn.state == ANSWERED and len(turn.quote_views) == 3
            assert [c["question"] for c in engine.calls] == ["minister"]
            assert "3 articles \u00b7 57 chunks \u00b7 all-MiniLM-L6-v2 (onnx-int8)" in shown(
                app.query_one("#status-line", Static))
    finally:
        gate.set()


async def test_engine_error_is_a_notification_and_the_app_stays_usable(tmp_path: Path) -> None:
    error = EngineError("index index was built with another model; re-index")
    app, _, notes = build(tmp_path, error=error)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert "Engine not available: index index was built with another model; re-index" in notes
        assert "engine not available" in shown(app.query_one("#status-line", Static))
        turn = await ask(app, pilot, "anything")
        assert turn.state == FAILED
        assert "engine not available: index index was built" in shown(turn.query_one(".status", Static))
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)


async def test_escape_cancels_a_running_question_and_drops_its_result(tmp_path: Path) -> None:
    gate = threading.Event()
    app, _, _ = build(tmp_path, engine=FakeEngine(ask_gate=gate))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            await paste(app, pilot, "what did the minister say")
            await pilot.press("enter")
            await pilot.pause()
            (turn,) = app.query(TurnView)
            assert "searching" in shown(turn.query_one(".status", Static))
            await pilot.press("escape")
            assert turn.state == CANCELLED
            gate.set()
            await settle(app, pilot)
            assert turn.state == CANCELLED and turn.quote_views == []
            assert "cancelled" in shown(turn.query_one(".status", Static))
            assert not (tmp_path / "sessions").exists()  # nothing answered, nothing saved
            later = await ask(app, pilot, "what did the minister say")
            assert later.state == ANSWERED
    finally:
        gate.set()


async def test_export_writes_the_session_as_markdown(tmp_path: Path) -> None:
    app, _, notes = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        assert notes[-1].startswith("Nothing to export yet")
        await ask(app, pilot, "what did the minister say")
        await pilot.press("ctrl+s")
        (path,) = tmp_path.glob("assistant-session-*.md")
        assert re.fullmatch(r"assistant-session-\d{8}-\d{6}\.md", path.name)
        text = path.read_text(encoding="utf-8")
        assert "## 1. what did the minister say" in text and f"\u201c{MINISTER}\u201d [1]" in text
        assert "## Sources" in text and "[3] Harbour reopens after storm. Reuters, 2 Jan 2024." in text
        assert notes[-1] == f"Exported 1 question to {path}"
        await pilot.press("up", "e")  # `e` works when not typing; a second export never overwrites the first
        assert len(list(tmp_path.glob("assistant-session-*.md"))) == 2


async def test_help_screen_lists_the_keys(tmp_path: Path) -> None:
    app, _, _ = build(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        keys = " ".join(shown(key) for key in app.screen.query(".help-key").results(Static))
        for key in ("Enter", "Esc", "Ctrl+F", "Ctrl+S", "Ctrl+N", "Ctrl+O", "Ctrl+T", "Ctrl+P", "n / p", "c / C", "F1"):
            assert key in keys
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await ask(app, pilot, "what did the minister say")
        await pilot.press("up", "question_mark")
        assert isinstance(app.screen, HelpScreen)


async def test_theme_toggles_between_dark_and_light(tmp_path: Path) -> None:
    app, _, _ = build(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        before = app.theme
        await pilot.press("ctrl+t")
        assert app.theme != before and {before, app.theme} == {"textual-dark", "textual-light"}


async def test_quote_keys_move_between_quotes_and_back_to_the_box(tmp_path: Path) -> None:
    app, _, _ = build(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        turn = await ask(app, pilot, "what did the minister say")
        views = turn.quote_views
        await pilot.press("up")  # the answer's first quote is the selected one
        assert app.focused is views[0]
        await pilot.press("j", "down")
        assert app.focused is views[2]
        await pilot.press("k", "up")
        assert app.focused is views[0]
        await pilot.press("down", "j", "j")
        assert app.focused is app.query_one("#question")
        await pilot.press("up", "escape")
        assert app.focused is app.query_one("#question")


def test_visible_keeps_offsets_and_neutralises_control_characters() -> None:
    text = "a\x1b]52;c;SGVsbG8=\x07b\r\nc\td\x7f\x9b[31m"
    shown_text = visible(text)
    assert len(shown_text) == len(text)
    assert shown_text == "a\u241b]52;c;SGVsbG8=\u2407b \nc\td\u2421\ufffd[31m"


def test_quotes_are_wrapped_in_quotation_marks_once() -> None:
    assert quoted("He left.") == "\u201cHe left.\u201d"
    assert quoted("\u201cThey try to slam the door\u201d") == "\u201cThey try to slam the door\u201d"


def test_reader_finds_a_quote_whose_offsets_moved() -> None:
    article = ARTICLES[1]
    (quote,) = [q for q in answer_for("what did the minister say", Filters(), None).quotes if q.text == QUOTAS]
    assert find_span(article, quote) == (quote.start, quote.end)
    moved = dataclasses.replace(quote, start=quote.start - 5, end=quote.end - 5)  # an older index
    assert find_span(article, moved) == (quote.start, quote.end)
    assert find_span(article, dataclasses.replace(quote, text="No longer there.")) is None


def test_status_texts() -> None:
    assert progress_text(FakeProgress("embed", 5, 10, "")) == "embed\u2026 5/10"
    assert progress_text(FakeProgress("model", 0, 0, "")) == "loading model\u2026"
    assert progress_text(FakeProgress("scan", 0, 0, "scanning\x1b[2J corpus")) == "scanning\u241b[2J corpus"
    assert count(1, "article") == "1 article" and count(2225, "article") == "2,225 articles"


async def test_enter_pressed_again_before_the_box_clears_asks_once(tmp_path: Path) -> None:
    """Keys typed ahead ('Enter Enter Enter' in tmux) submit the box's text several times before it clears: the same
    question is asked once while it is on its way; once answered it may be asked again on purpose."""
    from textual.widgets import Input

    gate = threading.Event()
    app, engine, _ = build(tmp_path, engine=FakeEngine(ask_gate=gate))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            box = app.query_one("#question", Input)
            for _ in range(3):
                box.post_message(Input.Submitted(box, "what did the minister say"))
            await pilot.pause()
            assert len(app.query(TurnView)) == 1
            gate.set()
            await settle(app, pilot)
            again = await ask(app, pilot, "what did the minister say")
            assert len(app.query(TurnView)) == 2 and again.state == ANSWERED
    finally:
        gate.set()


async def test_a_quote_its_article_no_longer_holds_is_not_copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """QA: after the article was edited (watch), the reader said the words were gone but 'c' still copied them."""
    import dataclasses

    app, engine, notes = build(tmp_path)
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    monkeypatch.setenv("TERM_PROGRAM", "WezTerm")
    monkeypatch.delenv("TMUX", raising=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        turn = await ask(app, pilot, "what did the minister say")
        quote = turn.answer.quotes[0]
        original = engine.article(quote.article_id)
        edited = dataclasses.replace(original, text=original.text[: quote.start] + "X" + original.text[quote.start + 1 :])
        monkeypatch.setattr(engine, "article", lambda article_id: edited if article_id == quote.article_id else original)
        await pilot.press("tab")
        await pilot.press("c")
        assert copied == []
        assert "Not copied: quote [1] no longer word for word in its article" in notes[-1]
        await pilot.press("C")
        assert copied == [] and "no longer word for word" in notes[-1]
