"""Issue 15 in the chat: the index follows the corpus folder while the chat runs (Pilot, real index, real watchfiles)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support.indexes import build as build_index
from support.tui import isolate, settle
from textual.pilot import Pilot

from assistant.embedding.hashing import HashEmbedder
from assistant.search.engine import Engine
from assistant.settings import Settings, load_settings
from assistant.tui.app import AssistantApp, make_app
from assistant.tui.watching import watch_choice

TIMEOUT = 60.0
"""Generous: only a broken watch takes this long (the 3 s target is the benchmark's)."""

MOUNTS = """\
/dev/root / ext4 rw,relatime 0 0
tmpfs /tmp tmpfs rw 0 0
server:/export /mnt/news nfs4 rw,relatime 0 0
//nas/share /mnt/smb\\040share cifs rw 0 0
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path, monkeypatch)


def article(title: str, body: str) -> str:
    return f"{title}\n\n{body}\n"


@pytest.fixture
def corpus_index(tmp_path: Path) -> tuple[Path, Path]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "council.txt").write_text(article("Council meets", "The council met on Monday to discuss the budget."),
                                        encoding="utf-8")
    (corpus / "harbour.txt").write_text(article("Harbour reopens", "The harbour reopened after the winter storms."),
                                        encoding="utf-8")
    build_index(corpus, tmp_path / "index")
    return corpus, tmp_path / "index"


def chat(tmp_path: Path, corpus: Path, index: Path, watch: str = "auto") -> tuple[AssistantApp, list[Engine]]:
    opened: list[Engine] = []

    def open_engine(on_progress: object) -> Engine:
        opened.append(Engine(index, embedder=HashEmbedder()))
        return opened[-1]

    app = make_app(Settings(corpus=corpus, index=index, backend="hash", watch=watch), engine_factory=open_engine,
                   session_dir=tmp_path / "sessions")
    return app, opened


def status(app: AssistantApp) -> str:
    return str(app.query_one("#writing-status").render())


async def until(pilot: Pilot[None], condition: Callable[[], bool], what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < TIMEOUT:
        await pilot.pause()
        if condition():
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; status: {status(pilot.app)}")  # type: ignore[arg-type]


async def test_a_saved_article_is_answerable_in_the_running_chat(tmp_path: Path,
                                                                 corpus_index: tuple[Path, Path]) -> None:
    corpus, index = corpus_index
    app, opened = chat(tmp_path, corpus, index)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await until(pilot, lambda: "watching \u00b7 up to date" in status(app), "the catch-up")
        assert app.watch is not None and app.watch.watcher is not None
        assert app.watch.watcher.embedder() is opened[0].embedder  # the chat's model, not a second one
        assert "2 articles" in str(app.query_one("#status-line").render())

        (corpus / "quokka.txt").write_text(article("Quokka sanctuary opens",
                                                   "A sanctuary for quokkas opened in Glasgow on Monday."),
                                           encoding="utf-8")
        await until(pilot, lambda: "1 added" in status(app), "the new article")
        await until(pilot, lambda: "3 articles" in str(app.query_one("#status-line").render()), "the new count")
        turn = await app.ask("quokkas Glasgow sanctuary")
        await settle(app, pilot)
        assert turn.answer is not None and turn.answer.quotes[0].path == "quokka.txt"

        # Changed, renamed, deleted: each reaches the index the chat answers from.
        (corpus / "quokka.txt").write_text(article("Quokka sanctuary opens",
                                                   "A sanctuary for quokkas opened in Edinburgh on Monday."),
                                           encoding="utf-8")
        await until(pilot, lambda: "1 updated" in status(app), "the edit")
        (corpus / "quokka.txt").rename(corpus / "wildlife.txt")
        await until(pilot, lambda: "1 moved" in status(app), "the rename")
        turn = await app.ask("quokkas Edinburgh sanctuary")
        await settle(app, pilot)
        assert turn.answer is not None and turn.answer.quotes[0].path == "wildlife.txt"
        assert "Edinburgh" in turn.answer.quotes[0].text
        (corpus / "wildlife.txt").unlink()
        await until(pilot, lambda: "1 removed" in status(app), "the deletion")
        turn = await app.ask("quokkas Edinburgh sanctuary")
        await settle(app, pilot)
        assert turn.answer is not None and all(q.path != "wildlife.txt" for q in turn.answer.quotes)
        thread = app.watch.thread
    assert thread is not None and not thread.is_alive()  # stopped with the chat


async def test_a_bad_file_is_named_once_and_the_rest_is_indexed(tmp_path: Path,
                                                                corpus_index: tuple[Path, Path]) -> None:
    corpus, index = corpus_index
    app, _ = chat(tmp_path, corpus, index)
    notes: list[str] = []
    original = app.notify

    def notify(message: str, **options: object) -> None:
        notes.append(message)
        original(message, **options)  # type: ignore[arg-type]

    app.notify = notify  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await until(pilot, lambda: "up to date" in status(app), "the catch-up")
        (corpus / "broken.txt").write_bytes(b"\x00\x01\x02binary")
        (corpus / "fine.txt").write_text(article("Ferry timetable", "The ferry timetable changes in May."),
                                         encoding="utf-8")
        await until(pilot, lambda: "1 added" in status(app), "the good file")
        await until(pilot, lambda: any(n.startswith("broken.txt:") for n in notes), "the problem")
        assert sum(n.startswith("broken.txt:") for n in notes) == 1


async def test_watch_off_by_setting_and_toggled_from_the_palette(tmp_path: Path,
                                                                 corpus_index: tuple[Path, Path]) -> None:
    corpus, index = corpus_index
    app, _ = chat(tmp_path, corpus, index, watch="off")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.watch is None and "watch off" in status(app)
        (corpus / "late.txt").write_text(article("Late news", "Nothing watches this folder yet."), encoding="utf-8")
        app.action_toggle_watch()  # "Watch the corpus folder" in the command palette
        await until(pilot, lambda: "1 added" in status(app), "the catch-up of the file saved while off")
        link = app.watch
        app.action_toggle_watch()
        assert app.watch is None and "watch off" in status(app)
        assert link is not None and link.thread is not None
        link.thread.join(10)
        assert not link.thread.is_alive()


def test_watch_default_is_on_for_a_local_writable_corpus_only(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    index = tmp_path / "index"
    assert watch_choice(Settings(corpus=corpus, index=index), mounts=MOUNTS) == (True, "watching")
    assert watch_choice(Settings(corpus=corpus, index=index, watch="off"), mounts=MOUNTS) == (False, "watch off")
    assert watch_choice(Settings(corpus=tmp_path / "none", index=index), mounts=MOUNTS)[1] == "watch off: no corpus folder"
    (corpus / "sub").mkdir()
    nfs = MOUNTS.replace("/mnt/news", str(corpus))  # the corpus folder is an NFS mount: so is every folder below it
    assert watch_choice(Settings(corpus=corpus / "sub", index=index), mounts=nfs) == (False, "watch off: corpus on nfs4")
    smb = MOUNTS.replace("/mnt/smb\\040share", str(corpus))
    assert watch_choice(Settings(corpus=corpus, index=index), mounts=smb) == (False, "watch off: corpus on cifs")
    # watch = true forces it even there
    assert watch_choice(Settings(corpus=corpus, index=index, watch="on"), mounts=smb) == (True, "watching")
    team = Settings(corpus=corpus, index=index, watch="on", store="postgresql://db.example/news")
    assert watch_choice(team, mounts=MOUNTS) == (False, "watch off: database store")
    # Before the first build the index folder does not exist: the folder it will be made in counts.
    assert watch_choice(Settings(corpus=corpus, index=tmp_path / "new" / "index"), mounts=MOUNTS)[0]


def test_a_read_only_index_is_not_watched_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    index.mkdir()
    # Tests may run as root, for whom every folder is writable: the permission check itself is replaced.
    monkeypatch.setattr(os, "access", lambda path, mode: os.fspath(path) != str(index))
    assert watch_choice(Settings(corpus=corpus, index=index), mounts=MOUNTS) == (False, "watch off: read-only index")
    assert watch_choice(Settings(corpus=corpus, index=index, watch="on"), mounts=MOUNTS) == (True, "watching")


@pytest.mark.parametrize(("written", "mode"), [("true", "on"), ("false", "off"), ('"auto"', "auto"), ('"off"', "off")])
def test_watch_setting_from_the_config_file(tmp_path: Path, written: str, mode: str) -> None:
    config = tmp_path / "config" / "assistant" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f"watch = {written}\n", encoding="utf-8")
    assert load_settings().watch == mode


def test_a_bad_watch_value_warns_and_means_auto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.settings import resolve_settings

    monkeypatch.setenv("ASSISTANT_WATCH", "sometimes")
    resolved = resolve_settings()
    assert resolved.settings.watch == "auto" and any("watch = 'sometimes'" in w for w in resolved.warnings)
    monkeypatch.setenv("ASSISTANT_WATCH", "0")
    assert resolve_settings().settings.watch == "off"
    assert resolve_settings().sources["watch"] == "environment ASSISTANT_WATCH"


def test_the_chat_flag_overrides_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from assistant import cli

    seen: list[Settings] = []

    class Fake:
        def __init__(self, settings: Settings, **_: object) -> None:
            seen.append(settings)

        def run(self) -> None:
            return None

    monkeypatch.setattr("assistant.tui.app.make_app", Fake)
    (tmp_path / "corpus").mkdir()
    monkeypatch.setenv("ASSISTANT_WATCH", "true")
    assert CliRunner().invoke(cli.main, ["--corpus", str(tmp_path / "corpus"), "--no-watch"]).exit_code == 0
    assert CliRunner().invoke(cli.main, ["--corpus", str(tmp_path / "corpus")]).exit_code == 0
    assert [s.watch for s in seen] == ["off", "on"]


class SlowHash(HashEmbedder):
    """The hash embedder, 40 ms a batch: a burst of files takes long enough to quit in the middle of it."""

    def encode(self, texts, *, batch_size: int = 8, on_batch=None):  # type: ignore[no-untyped-def]
        time.sleep(0.04)
        return super().encode(texts, batch_size=batch_size, on_batch=on_batch)


async def test_quitting_during_a_burst_is_quick_and_loses_nothing(tmp_path: Path,
                                                                  corpus_index: tuple[Path, Path]) -> None:
    from support.indexes import check_index

    from assistant.index.indexer import build_index

    corpus, index = corpus_index
    app = make_app(Settings(corpus=corpus, index=index, backend="hash"),
                   engine_factory=lambda on_progress: Engine(index, embedder=SlowHash()), session_dir=tmp_path / "s")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await until(pilot, lambda: "up to date" in status(app), "the catch-up")
        for n in range(300):
            (corpus / f"burst-{n:03d}.txt").write_text(
                article(f"Report {n}", f"The committee met on day {n} and discussed item {n} at length. " * 30),
                encoding="utf-8")
        await until(pilot, lambda: "indexing: " in status(app), "the burst to start")
        link = app.watch
        assert link is not None and link.thread is not None
        started = time.monotonic()
    quitting = time.monotonic() - started
    assert not link.thread.is_alive()
    assert quitting < 8.0  # the update stops at its next progress event, not after the whole burst
    check_index(index)  # whatever was committed is whole: an index of the old or a newer state, never a mix
    report = build_index(corpus, index, embedder=HashEmbedder())  # the next run picks up the rest
    assert report.added > 0  # the burst really was cut short (it takes the slow embedder far longer than 8 s)
    assert len({r for r in _paths(index)}) == 302


def _paths(index: Path) -> list[str]:
    from support.indexes import sql

    return [row[0] for row in sql(index, "SELECT path FROM articles")]


def test_the_chat_never_watches_into_a_database_store(tmp_path: Path) -> None:
    """The palette's "Watch the corpus folder" starts a WatchLink whatever watch_choice said: on a store it refuses
    with one line (the chat shows it as "watch stopped: ...") and writes no index folder."""
    from assistant.tui.messages import WatchFailed
    from assistant.tui.watching import WatchLink

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "council.txt").write_text(article("Council meets", "The council met on Monday."), encoding="utf-8")
    posted: list[object] = []
    link = WatchLink(Settings(corpus=corpus, index=index, backend="hash", store="postgresql://db.example/news"),
                     HashEmbedder(), lambda message: posted.append(message) or True, debounce_ms=100)
    link.start()
    try:
        assert link.thread is not None
        link.thread.join(10)
        assert not link.thread.is_alive()
    finally:
        link.stop(wait=10)
    assert len(posted) == 1 and isinstance(posted[0], WatchFailed)
    assert "watch keeps index folders only" in posted[0].error
    assert not index.exists()
