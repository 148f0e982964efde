"""Layout snapshots of the chat UI (pytest-textual-snapshot); refresh with `pytest --snapshot-update`."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.pilot import Pilot
from tui_fakes import FakeEngine, factory, settings

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


async def reading(pilot: Pilot[None]) -> None:
    """The reader open on the second quote (deep in a long article)."""
    await answered(pilot)
    await pilot.press("up", "j", "enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def test_chat_with_one_answer_120x40(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(app_on(tmp_path), terminal_size=(120, 40), run_before=answered)


def test_chat_with_one_answer_80x24(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(app_on(tmp_path), terminal_size=(80, 24), run_before=answered)


def test_reader_on_second_quote_100x30(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(app_on(tmp_path), terminal_size=(100, 30), run_before=reading)
