"""Issue 10, part A: files the app writes are never reached through a planted link; what it prints is inert.

Each test reproduces an attack from the issue: a folder someone else made (a colleague's archive, a
download) holds links into a temporary "home", and the app must leave the home untouched.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from tui_fakes import FakeEngine, factory, settings

from assistant.embedding import HashEmbedder
from assistant.indexer import build_index
from assistant.lock import IndexLock
from assistant.settings import Settings
from assistant.tui.app import AssistantApp, make_app

BASHRC = "# the user's own shell setup\nexport PATH=$HOME/bin:$PATH\n"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The TUI exports into the working folder: keep that inside the test's folder.
    monkeypatch.chdir(tmp_path)


def home_with_bashrc(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".bashrc").write_text(BASHRC, encoding="utf-8")
    return home


def untouched(path: Path, content: str, mode: int = 0o644) -> bool:
    return path.read_text(encoding="utf-8") == content and stat.S_IMODE(path.stat().st_mode) == mode


def corpus_and_index(tmp_path: Path) -> tuple[Path, Path]:
    """A downloaded folder: a corpus of one article and an index folder (not built yet)."""
    corpus = tmp_path / "download" / "corpus"
    corpus.mkdir(parents=True)
    (corpus / "a.txt").write_text("Harbour news\n\nThe harbour reopened on Tuesday after the storm.\n",
                                  encoding="utf-8")
    index = tmp_path / "download" / "index"
    index.mkdir()
    return corpus, index


# --- item 1: index/.lock -------------------------------------------------------------------


def test_a_lock_symlink_to_a_home_file_is_refused_and_the_file_stays_untouched(tmp_path: Path) -> None:
    home = home_with_bashrc(tmp_path)
    (home / ".bashrc").chmod(0o644)
    corpus, index = corpus_and_index(tmp_path)
    (index / ".lock").symlink_to(home / ".bashrc")
    with pytest.raises(OSError) as caught:
        build_index(corpus, index, embedder=HashEmbedder())
    message = str(caught.value)
    assert "\n" not in message and str(index / ".lock") in message and "symbolic link" in message
    assert untouched(home / ".bashrc", BASHRC)
    assert (index / ".lock").is_symlink()  # refused, not "repaired" behind the user's back


def test_a_dangling_lock_symlink_creates_nothing_at_its_target(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    index = tmp_path / "index"
    index.mkdir()
    (index / ".lock").symlink_to(home / ".profile")
    with pytest.raises(OSError, match="symbolic link"):
        with IndexLock(index):
            pass
    assert list(home.iterdir()) == []


def test_a_lock_that_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    index = tmp_path / "index"
    index.mkdir()
    os.mkfifo(index / ".lock")
    with pytest.raises(OSError, match="not a regular file"):
        with IndexLock(index):
            pass


def test_a_hard_linked_lock_is_refused(tmp_path: Path) -> None:
    """On a shared machine a lock hard-linked to the user's file would be truncated just the same."""
    home = home_with_bashrc(tmp_path)
    index = tmp_path / "index"
    index.mkdir()
    os.link(home / ".bashrc", index / ".lock")
    with pytest.raises(OSError, match="hard link"):
        with IndexLock(index):
            pass
    assert (home / ".bashrc").read_text(encoding="utf-8") == BASHRC


def test_the_lock_file_is_private(tmp_path: Path) -> None:
    with IndexLock(tmp_path / "index"):
        pass
    assert stat.S_IMODE((tmp_path / "index" / ".lock").stat().st_mode) == 0o600


async def test_opening_the_chat_on_a_folder_with_a_lock_symlink_leaves_the_target_untouched(tmp_path: Path) -> None:
    """The reproduction: the UI re-indexes a stale corpus at start, through the real open_engine."""
    home = home_with_bashrc(tmp_path)
    (home / ".bashrc").chmod(0o644)
    corpus, index = corpus_and_index(tmp_path)
    (index / ".lock").symlink_to(home / ".bashrc")
    app = make_app(Settings(corpus=corpus, index=index, backend="hash"), session_dir=tmp_path / "sessions")
    notes = record_notes(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.engine is None and app.engine_error is not None
        assert ".lock" in app.engine_error and "symbolic link" in app.engine_error
        assert any("symbolic link" in note for note in notes)
    assert untouched(home / ".bashrc", BASHRC)


def record_notes(app: AssistantApp) -> list[str]:
    notes: list[str] = []
    original = app.notify

    def notify(message: str, **options: Any) -> None:
        notes.append(message)
        original(message, **options)

    app.notify = notify  # type: ignore[method-assign]
    return notes


def fake_app(tmp_path: Path, engine: FakeEngine | None = None) -> tuple[AssistantApp, list[str]]:
    app = make_app(settings(tmp_path), engine_factory=factory(engine or FakeEngine()), session_dir=tmp_path / "sessions")
    return app, record_notes(app)
