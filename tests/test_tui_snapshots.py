"""Layout snapshots of the chat UI (pytest-textual-snapshot); refresh with `pytest --snapshot-update`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from textual import events
from textual.pilot import Pilot
from support.tui import FakeEngine, answer_for, factory, settings, steady

from assistant.tui.app import AssistantApp, make_app


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def app_on(tmp_path: Path) -> AssistantApp:
    return make_app(settings(tmp_path), engine_factory=factory(FakeEngine()), session_dir=tmp_path / "sessions")


async def answered(pilot: Pilot[None]) -> None:
    """One answered turn, with focus back in the question box."""
    app = pilot.app
    await app.workers.wait_for_complete()
    await pilot.pause()
    app.query_one("#question").post_message(events.Paste("what did the minister say about the trade deal"))
    await pilot.pause()
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()
    await steady(pilot)


async def reading(pilot: Pilot[None]) -> None:
    """The reader open on the second quote (deep in a long article)."""
    await answered(pilot)
    await pilot.press("up", "j", "enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()
    await steady(pilot)


def test_chat_with_one_answer_120x40(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(app_on(tmp_path), terminal_size=(120, 40), run_before=answered)


def test_chat_with_one_answer_80x24(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(app_on(tmp_path), terminal_size=(80, 24), run_before=answered)


def test_reader_on_second_quote_100x30(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(app_on(tmp_path), terminal_size=(100, 30), run_before=reading)


async def asked(pilot: Pilot[None], question: str) -> None:
    """One question asked and answered, with focus back in the question box."""
    app = pilot.app
    await app.workers.wait_for_complete()
    await pilot.pause()
    app.query_one("#question").post_message(events.Paste(question))
    await pilot.pause()
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()


async def abstained(pilot: Pilot[None]) -> None:
    """An answer that abstains: a message and a weak passage."""
    await asked(pilot, "who landed on the moon")
    await steady(pilot)


async def filter_menu(pilot: Pilot[None]) -> None:
    """Ctrl+F: the filter menu over the chat."""
    await pilot.app.workers.wait_for_complete()
    await pilot.press("ctrl+f")
    await pilot.pause()
    await pilot.pause()
    await steady(pilot)


async def help_screen(pilot: Pilot[None]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.press("f1")
    await pilot.pause()
    await steady(pilot)


async def session_picker(pilot: Pilot[None]) -> None:
    """Ctrl+O with two saved sessions (fixed ids and times) besides the empty current one."""
    await pilot.app.workers.wait_for_complete()
    await pilot.press("ctrl+o")
    await pilot.pause()
    await steady(pilot)


def saved_sessions(folder: Path) -> None:
    """Two sessions of fixed ids and times in the app's session folder."""
    from assistant.models import Filters
    from assistant.sessions import Session, save_session

    zone = dt.timezone(dt.timedelta(hours=1))
    for n, questions in enumerate([["what did the minister say", "and fishing"], ["who landed on the moon"]]):
        moment = dt.datetime(2024, 3, 4 + n, 9, 30, tzinfo=zone)
        answers = tuple(answer_for(q, Filters(), None) for q in questions)
        save_session(folder, Session(id=f"2024030{4 + n}-093000-000{n}", created=moment, updated=moment, answers=answers))


def test_abstained_answer_100x30(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(app_on(tmp_path), terminal_size=(100, 30), run_before=abstained)


def test_filter_menu_100x30(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(app_on(tmp_path), terminal_size=(100, 30), run_before=filter_menu)


def test_help_screen_100x36(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(app_on(tmp_path), terminal_size=(100, 36), run_before=help_screen)


def test_sessions_dialog_100x30(snap_compare, tmp_path: Path) -> None:
    saved_sessions(tmp_path / "sessions")
    assert snap_compare(app_on(tmp_path), terminal_size=(100, 30), run_before=session_picker)
