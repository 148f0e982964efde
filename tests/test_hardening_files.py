"""Issue 10, part A: files the app writes are never reached through a planted link; what it prints is inert.

Each test reproduces an attack from the issue: a folder someone else made (a colleague's archive, a
download) holds links into a temporary "home", and the app must leave the home untouched.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from support.tui import FakeEngine, factory, record_notes, settings

from assistant.embedding.registry import HashEmbedder
from assistant.index.indexer import build_index
from assistant.index.lock import IndexLock
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


def fake_app(tmp_path: Path, engine: FakeEngine | None = None) -> tuple[AssistantApp, list[str]]:
    app = make_app(settings(tmp_path), engine_factory=factory(engine or FakeEngine()), session_dir=tmp_path / "sessions")
    return app, record_notes(app)


# --- item 2: session export, saved sessions, names with newlines ---------------------------

PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostileKeyHostileKeyHostileKeyHostileKey1 mallory@evil"
KEY_NAME = f"harbour\n{PUBLIC_KEY}\n.txt"


def hostile_download(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(folder, corpus, index): the corpus holds a file named with a newline and a public key, indexed."""
    folder = tmp_path / "download"
    corpus = folder / "corpus"
    corpus.mkdir(parents=True)
    (corpus / KEY_NAME).write_text(
        "Harbour news\n\nThe harbour reopened on Tuesday after the storm had closed it for a week.\n",
        encoding="utf-8")
    (corpus / "b.txt").write_text("Other news\n\nThe council met on Monday to discuss the budget.\n",
                                  encoding="utf-8")
    index = folder / "index"
    build_index(corpus, index, embedder=HashEmbedder())
    return folder, corpus, index


def plant_export_links(folder: Path, target: Path, seconds: int = 180) -> None:
    """Dangling links under every export name the next minutes could use (and their '-2' twins)."""
    import datetime as dt

    from assistant.sessions import export_name

    now = dt.datetime.now()
    for delta in range(-5, seconds):
        name = export_name(now + dt.timedelta(seconds=delta))
        (folder / name).symlink_to(target)


async def test_export_never_follows_a_dangling_link_and_keeps_names_on_their_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reproduction: Ctrl+S in a folder with `assistant-session-<time>.md -> ~/.ssh/authorized_keys`
    and a corpus file named with a newline and a public key created authorized_keys with that key."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    authorized = home / ".ssh" / "authorized_keys"
    folder, corpus, index = hostile_download(tmp_path)
    plant_export_links(folder, authorized)
    monkeypatch.chdir(folder)
    app = make_app(Settings(corpus=corpus, index=index, backend="hash"), session_dir=tmp_path / "sessions")
    notes = record_notes(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.engine is not None, app.engine_error
        await app.ask("when did the harbour reopen after the storm")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.session.answers and any("\n" in q.path for q in app.session.answers[0].quotes)
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert not authorized.exists() and list((home / ".ssh").iterdir()) == []
    exported = [p for p in folder.iterdir() if p.name.startswith("assistant-session-") and not p.is_symlink()]
    assert len(exported) == 1, notes
    text = exported[0].read_text(encoding="utf-8")
    assert not any(line.startswith("ssh-ed25519") for line in text.splitlines())
    assert f"harbour\u240a{PUBLIC_KEY}\u240a.txt" in text  # the name is shown, on one line
    assert stat.S_IMODE(exported[0].stat().st_mode) == 0o600
    assert any(note.startswith("Exported 1 question to ") and exported[0].name in note for note in notes)


async def test_exports_are_private_and_never_overwrite(tmp_path: Path) -> None:
    app, notes = fake_app(tmp_path)
    (tmp_path / "sessions").mkdir()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await app.ask("what did the minister say")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("ctrl+s", "ctrl+s")
        await pilot.pause()
    exports = sorted(tmp_path.glob("assistant-session-*.md"))
    assert len(exports) == 2, notes
    assert {stat.S_IMODE(p.stat().st_mode) for p in exports} == {0o600}
    assert {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "sessions").glob("*.json")} == {0o600}


async def test_a_sessions_folder_that_is_a_symlink_is_not_written_through(tmp_path: Path) -> None:
    elsewhere = tmp_path / "home" / ".config" / "autostart"
    elsewhere.mkdir(parents=True)
    app, notes = fake_app(tmp_path)
    (tmp_path / "sessions").symlink_to(elsewhere)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await app.ask("what did the minister say")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert list(elsewhere.iterdir()) == []
    assert any(note.startswith("Could not save the session:") and "symbolic link" in note for note in notes)


def test_a_session_file_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    import dataclasses

    from assistant.models import Answer, Filters
    from assistant.sessions import new_session, save_session
    from assistant.errors import UnsafeFileError

    target = tmp_path / "home" / "notes.txt"
    target.parent.mkdir()
    target.write_text("mine\n", encoding="utf-8")
    folder = tmp_path / "sessions"
    folder.mkdir()
    session = dataclasses.replace(new_session(), answers=(Answer("q", "q", Filters(), False, ()),))
    (folder / f"{session.id}.json").symlink_to(target)
    with pytest.raises(UnsafeFileError, match="symbolic link"):
        save_session(folder, session)
    assert target.read_text(encoding="utf-8") == "mine\n"
    assert (folder / f"{session.id}.json").is_symlink()


def test_ask_text_output_keeps_a_file_name_on_its_line(tmp_path: Path) -> None:
    """A file name with newlines must not forge lines of the Sources list."""
    from click.testing import CliRunner

    from assistant.cli import main

    _, _, index = hostile_download(tmp_path)
    result = CliRunner().invoke(main, ["ask", "when did the harbour reopen after the storm", "--index", str(index)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "harbour\u240a" in result.stdout
    assert not any(line.startswith("ssh-ed25519") for line in result.stdout.splitlines())
    assert not any(line.strip().startswith(".txt") for line in result.stdout.splitlines())


# --- item 9: bidi overrides and zero-width characters are shown, not obeyed -----------------

# Displayed as written, the override makes the bytes "detpecca" read "accepted".
BIDI_QUOTE = "The board said the merger was \u202edetpecca\u202c by every shareholder on Friday."
BIDI_TITLE = "Merger \u2067news\u2069 from the\u200b board\ufeff"
INVISIBLES = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def bidi_index(tmp_path: Path) -> Path:
    corpus = tmp_path / "bidi" / "corpus"
    corpus.mkdir(parents=True)
    (corpus / "merger.txt").write_text(f"{BIDI_TITLE}\n\n{BIDI_QUOTE}\n\nThe council met on Monday.\n",
                                       encoding="utf-8")
    index = tmp_path / "bidi" / "index"
    build_index(corpus, index, embedder=HashEmbedder())
    return index


def test_ask_text_shows_bidi_and_zero_width_characters_while_json_keeps_them(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from assistant.cli import main

    index = bidi_index(tmp_path)
    question = "what did the board say about the merger shareholder"
    text = CliRunner().invoke(main, ["ask", question, "--index", str(index)], catch_exceptions=False)
    assert text.exit_code == 0, text.stderr
    assert not INVISIBLES.search(text.stdout), repr(text.stdout)
    assert "merger was <U+202E>detpecca<U+202C> by every" in text.stdout
    assert "Merger <U+2067>news<U+2069> from the<U+200B> board<U+FEFF>" in text.stdout
    raw = CliRunner().invoke(main, ["ask", question, "--index", str(index), "--json"], catch_exceptions=False)
    quote = json.loads(raw.stdout)["quotes"][0]
    assert quote["text"] == BIDI_QUOTE and quote["title"] == BIDI_TITLE


def test_joiners_inside_words_of_scripts_that_need_them_stay() -> None:
    from assistant.text.sanitize import reveal

    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # ZWNJ is part of correct Persian spelling
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert reveal(persian) == persian and reveal(family) == family
    assert reveal("pay\u200dpal") == "pay<U+200D>pal"  # between Latin letters it only hides a difference
    assert reveal("a\u202eb") == "a<U+202E>b" and reveal("\u200f") == "<U+200F>"


async def test_tui_shows_bidi_and_zero_width_characters_in_quotes_titles_and_the_reader(tmp_path: Path) -> None:
    from textual.widgets import Static

    from assistant.tui.reader import ArticleView
    from assistant.tui.turn import QuoteView

    index = bidi_index(tmp_path)
    corpus = tmp_path / "bidi" / "corpus"
    app = make_app(Settings(corpus=corpus, index=index, backend="hash"), session_dir=tmp_path / "sessions")
    async with app.run_test(size=(140, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await app.ask("what did the board say about the merger shareholder")
        await app.workers.wait_for_complete()
        await pilot.pause()
        views = list(app.query(QuoteView))
        view = next(v for v in views if v.quote.text == BIDI_QUOTE)
        body = view.body.plain
        assert "merger was <U+202E>detpecca<U+202C> by every" in body and "<U+2067>news<U+2069>" in body
        assert not INVISIBLES.search(body)
        view.focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        title = str(app.screen.query_one("#reader-title", Static).render())
        assert "Merger <U+2067>news<U+2069> from the<U+200B> board<U+FEFF>" in title
        article = app.screen.query_one(ArticleView)
        start, end = article.highlight
        assert article.content.plain[start:end] == "The board said the merger was <U+202E>detpecca<U+202C> by every shareholder on Friday."
        assert not INVISIBLES.search(article.content.plain)
        output = screen_output(app)
        assert not INVISIBLES.search(output)


def screen_output(app: AssistantApp) -> str:
    """What a full repaint of the current screen writes to a terminal."""
    import io

    from rich.console import Console

    console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor", width=app.size.width)
    console.print(app.screen._compositor.render_update(full=True), end="")
    return console.file.getvalue()  # type: ignore[attr-defined]


# --- item 9: exports neutralise raw HTML and remote images ----------------------------------

PIXEL = "http://tracker.example/p.gif"
ACTIVE_QUOTE = (f'Rates held <img src="{PIXEL}"> and ![chart]({PIXEL}) and ![ref][px] and \\<b>bold\\</b> '
                "<script>alert(1)</script> today.")
ACTIVE_TITLE = f'Rates <img src="{PIXEL}?t"> held'


def active_answer() -> Any:
    from assistant.models import Answer, Filters, Quote

    quote = Quote(n=1, text=ACTIVE_QUOTE, article_id=1, path="<b>a</b>.md", record=0, title=ACTIVE_TITLE,
                  date=None, source="BBC", url=None, author=None, paragraph=1, line=3, start=0, end=len(ACTIVE_QUOTE),
                  score=0.9, weak=False)
    # On a line of its own, inside the block quote, this would define what every '[1]' links to.
    definition = Quote(n=2, text=f"Charts below.\n\n[1]: {PIXEL}\n[px]: {PIXEL}\n\nEnd.", article_id=1, path="b.md", record=0, title="Defs", date=None,
                       source=None, url=None, author=None, paragraph=2, line=5, start=0, end=10, score=0.5, weak=False)
    return Answer("what about <img src=x> rates?", "rates", Filters(), True, (quote, definition), seconds=0.1)


def assert_inert_markdown(markdown: str) -> None:
    """Rendered as CommonMark (what a Markdown viewer does), the text holds no tag and fetches nothing."""
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").render(markdown)
    assert "<img" not in html and "<script" not in html and "<b>" not in html, html
    assert PIXEL not in "".join(re.findall(r'(?:src|href)="([^"]*)"', html)), html
    assert "![chart](" in html  # shown as the words that were written
    assert "&lt;img src=" in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_session_export_neutralises_html_and_remote_images() -> None:
    import dataclasses

    from assistant.sessions import new_session, session_markdown

    session = dataclasses.replace(new_session(), answers=(active_answer(),))
    assert_inert_markdown(session_markdown(session))


def test_copied_markdown_neutralises_html_and_remote_images() -> None:
    from assistant.text.citations import answer_markdown, quote_markdown

    answer = active_answer()
    assert_inert_markdown(answer_markdown(answer))
    assert_inert_markdown(quote_markdown(answer.quotes[0]) + "\n\n" + quote_markdown(answer.quotes[1]))


async def test_exported_and_copied_markdown_reveal_bidi_characters(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    index = bidi_index(tmp_path)
    monkeypatch.chdir(tmp_path)
    app = make_app(Settings(corpus=tmp_path / "bidi" / "corpus", index=index, backend="hash"),
                   session_dir=tmp_path / "sessions")
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    monkeypatch.setenv("TERM_PROGRAM", "WezTerm")  # a terminal that takes OSC 52 (see tui/clipboard.py)
    monkeypatch.delenv("TMUX", raising=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await app.ask("what did the board say about the merger shareholder")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("up", "C", "c", "ctrl+s")
        await pilot.pause()
    (exported,) = tmp_path.glob("assistant-session-*.md")
    for text in (exported.read_text(encoding="utf-8"), *copied):
        assert not INVISIBLES.search(text), repr(text)
    assert "\\<U+2067>news\\<U+2069>" in exported.read_text(encoding="utf-8")  # the '<' escaped like any other in Markdown
    # The copy keys give citations in the configured style (plain text, not Markdown): written out, unescaped.
    assert all("<U+2067>news<U+2069>" in text for text in copied)
    assert len(copied) == 2 and "\\<U+202E>detpecca\\<U+202C>" in exported.read_text(encoding="utf-8")


# --- item 9: a 50 KB filter is a clear message, not advice to rebuild a healthy index -------

HUGE = "x" * 50_000


def cli(*args: str) -> Any:
    from click.testing import CliRunner

    from assistant.cli import main

    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.mark.parametrize("option", ["--source", "--article"])
def test_a_50kb_filter_option_is_one_clear_line(tmp_path: Path, option: str) -> None:
    index = bidi_index(tmp_path)
    result = cli("ask", "merger", "--index", str(index), option, HUGE)
    everything = result.stdout + result.stderr
    assert result.exit_code != 0 and "rebuild" not in everything
    # A usage error, like a bad --since date: click's usage lines, then one line saying what is wrong.
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert f"'{option}'" in line and "too long (50,000 characters" in line and len(line) < 200


@pytest.mark.parametrize("as_json", [False, True])
def test_a_50kb_inline_filter_is_a_clear_message(tmp_path: Path, as_json: bool) -> None:
    index = bidi_index(tmp_path)
    result = cli("ask", f"merger source:{HUGE}", "--index", str(index), *(["--json"] if as_json else []))
    # A bad inline filter is a usage error, as --source would be: exit 2 and one line on stderr (session 10).
    assert result.exit_code == 2 and not result.stdout and "rebuild" not in result.stderr
    message = result.stderr.strip()
    assert "the source filter is too long (50,000 characters" in message and len(message) < 200
    assert len(message.splitlines()) == 1


def test_merging_a_50kb_filter_is_refused_with_the_reason() -> None:
    from assistant.models import Filters
    from assistant.errors import QuestionError
    from assistant.text.query import merge_filters

    with pytest.raises(QuestionError, match="the article filter is too long"):
        merge_filters(Filters(article=HUGE), Filters())


async def test_a_50kb_filter_typed_in_the_chat_is_refused_with_a_notification(tmp_path: Path) -> None:
    from textual import events

    from assistant.models import Filters
    from assistant.tui.dialogs import TextPrompt

    app, notes = fake_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        app.filter_menu.prompt_text("source", "Only articles whose outlet contains:")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        app.screen.query_one("#prompt-input").post_message(events.Paste(HUGE))
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.filters == Filters()
        assert any(note.startswith("the source filter is too long (50,000 characters") for note in notes), notes


def test_stats_and_ask_messages_keep_names_on_their_line(tmp_path: Path) -> None:
    """A corpus folder or filter text with a newline must not add a line to `stats` or `ask` output."""
    corpus = tmp_path / "news\nfiles   forged line"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Harbour news\n\nThe harbour reopened on Tuesday after the storm.\n",
                                  encoding="utf-8")
    index = tmp_path / "index"
    build_index(corpus, index, embedder=HashEmbedder())
    stats = cli("stats", "--index", str(index))
    assert stats.exit_code == 0 and "news\u240afiles" in stats.stdout
    assert not any(line.startswith("files   forged") for line in stats.stdout.splitlines())
    answer = cli("ask", "harbour", "--index", str(index), "--article", "zz\nforged line")
    assert answer.exit_code == 0 and "zz\u240aforged line" in answer.stdout
    assert not any(line.startswith("forged") for line in answer.stdout.splitlines())
