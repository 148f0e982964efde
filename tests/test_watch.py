"""`assistant watch`: the index follows the folder (add, change, rename, delete, bursts, changes during indexing)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.embedding.registry import HashEmbedder
from assistant.index import store
from assistant.index.indexer import Progress
from assistant.index.lock import IndexLock
from assistant.index.watch import Watcher, WatchUpdate

TIMEOUT = 120.0
"""Generous: only a broken watch takes this long; the 3 s target is measured by the benchmark, not here."""


def _article(n: int, words: str = "") -> str:
    return f"Report number {n}\n\nThe committee met on day {n} and discussed item {n} at length. {words}\n"


def _indexed(index: Path) -> dict[str, str]:
    """path -> article text of everything the index holds now."""
    if not (index / store.DB_NAME).exists():
        return {}
    db = store.connect(index)
    try:
        return {path: text for path, text in db.execute("SELECT path, text FROM articles")}
    finally:
        db.close()


def _wait(condition: Callable[[], bool], what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < TIMEOUT:
        if condition():
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _on_disk(corpus: Path) -> dict[str, str]:
    out = {}
    for p in corpus.rglob("*.txt"):
        try:
            out[p.relative_to(corpus).as_posix()] = p.read_text(encoding="utf-8")
        except FileNotFoundError:  # deleted between the listing and the read
            continue
    return out


class Running:
    """A Watcher on its thread, with every update and progress event it reported."""

    def __init__(self, corpus: Path, index: Path, **options: object) -> None:
        self.updates: list[WatchUpdate] = []
        self.progress: list[Progress] = []
        self.on_progress: Callable[[Progress], None] | None = None
        self.watcher = Watcher(corpus, index, embedder=HashEmbedder(), on_update=self.updates.append,
                               on_progress=self._progress, debounce_ms=200, **options)  # type: ignore[arg-type]
        self.thread = self.watcher.start()
        _wait(lambda: len(self.updates) >= 1, "the start-up catch-up")

    def _progress(self, p: Progress) -> None:
        self.progress.append(p)
        if self.on_progress is not None:
            self.on_progress(p)

    def stop(self) -> None:
        self.watcher.stop()
        self.thread.join(10)
        assert not self.thread.is_alive()


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[Path, Path, Running]]:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "first.txt").write_text(_article(1), encoding="utf-8")
    running = Running(corpus, index)
    yield corpus, index, running
    running.stop()


def test_add_change_rename_delete(watched: tuple[Path, Path, Running]) -> None:
    corpus, index, running = watched
    assert set(_indexed(index)) == {"first.txt"}

    (corpus / "sub").mkdir()
    (corpus / "sub" / "new.txt").write_text(_article(2, "A brand new article."), encoding="utf-8")
    _wait(lambda: "sub/new.txt" in _indexed(index), "a new file")

    (corpus / "sub" / "new.txt").write_text(_article(2, "Changed words now."), encoding="utf-8")
    _wait(lambda: "Changed words now." in _indexed(index).get("sub/new.txt", ""), "a changed file")

    before = len(running.updates)
    os.rename(corpus / "sub" / "new.txt", corpus / "renamed.txt")
    _wait(lambda: set(_indexed(index)) == {"first.txt", "renamed.txt"}, "a renamed file")
    _wait(lambda: any(u.report and u.report.moved for u in running.updates[before:]), "the move report")
    moved = [u.report for u in running.updates[before:] if u.report and u.report.moved]
    assert moved[0].chunks_embedded == 0  # a rename is matched by content, not embedded again

    (corpus / "renamed.txt").unlink()
    _wait(lambda: set(_indexed(index)) == {"first.txt"}, "a deleted file")
    assert all(u.error == "" for u in running.updates)


def test_hidden_files_and_the_index_folder_are_ignored(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    watcher = Watcher(corpus, corpus / "index", embedder=HashEmbedder())
    assert not watcher.relevant(str(corpus / "index" / "index.sqlite3"))
    assert not watcher.relevant(str(corpus / ".draft.txt.swp"))
    assert not watcher.relevant(str(corpus / "notes.pdf"))
    assert watcher.relevant(str(corpus / "a" / "b.md")) and watcher.relevant(str(corpus / "moved-folder"))
    assert watcher.relevant(str(corpus / "a" / "assistant-corpus.toml"))  # an outlet or date pattern changed


def test_a_burst_of_500_files_is_indexed_in_batches(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    running = Running(corpus, index, batch_chunks=64)
    try:
        for n in range(500):
            (corpus / f"burst-{n:03d}.txt").write_text(_article(n), encoding="utf-8")
        _wait(lambda: len(_indexed(index)) == 500, "500 files")
        assert _indexed(index) == _on_disk(corpus)
        writes = [p for p in running.progress if p.phase == "write"]
        loads = [p for p in running.progress if p.phase == "load" and p.total]
        assert len(writes) >= 500 // 64  # committed in batches, not in one transaction
        assert loads and any(p.done < p.total for p in loads)  # a progress line while reading
        assert sum(u.report.added for u in running.updates if u.report) == 500
    finally:
        running.stop()


def test_nothing_lost_when_files_change_while_indexing(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    running = Running(corpus, index, batch_chunks=16)
    touched = threading.Event()
    written = threading.Event()

    def meddle(p: Progress) -> None:
        # In the middle of an indexing run (a batch being committed): rewrite files, add new ones, delete some.
        if p.phase == "write" and written.is_set() and not touched.is_set():
            for n in range(0, 40, 4):
                (corpus / f"busy-{n:03d}.txt").write_text(_article(n, f"Rewritten during indexing {n}."), encoding="utf-8")
            for n in range(200, 210):
                (corpus / f"late-{n}.txt").write_text(_article(n, "Added during indexing."), encoding="utf-8")
            for n in range(1, 30, 10):
                (corpus / f"busy-{n:03d}.txt").unlink()
            touched.set()

    running.on_progress = meddle
    try:
        for n in range(120):
            (corpus / f"busy-{n:03d}.txt").write_text(_article(n), encoding="utf-8")
        written.set()
        # One more file, so that at least one run starts after the burst is on disk.
        (corpus / "trigger.txt").write_text(_article(999), encoding="utf-8")
        _wait(touched.is_set, "indexing to start")
        _wait(lambda: _indexed(index) == _on_disk(corpus), "the index to match the folder")
        indexed = _indexed(index)
        assert "Rewritten during indexing 8." in indexed["busy-008.txt"]
        assert "late-205.txt" in indexed and "busy-011.txt" not in indexed
    finally:
        running.stop()


def test_waits_for_another_indexer_holding_the_lock(watched: tuple[Path, Path, Running]) -> None:
    corpus, index, running = watched
    with IndexLock(index):
        (corpus / "while-locked.txt").write_text(_article(7), encoding="utf-8")
        time.sleep(1.0)
        assert "while-locked.txt" not in _indexed(index)
    _wait(lambda: "while-locked.txt" in _indexed(index), "the update after the lock is released")


def test_cli_watch_reports_updates_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "a.txt").write_text(_article(1), encoding="utf-8")
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "watch", str(corpus), "--index", str(index), "--backend", "hash"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        _wait(lambda: any("1 added" in line for line in lines), "the start-up catch-up")
        (corpus / "b.txt").write_text(_article(2), encoding="utf-8")
        _wait(lambda: sum("1 added" in line for line in lines) >= 2, "the update line")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(15)
    reader.join(5)
    assert proc.returncode == 0, lines
    assert any("watching" in line for line in lines) and any("b.txt" in line for line in lines)
    assert any("stopped" in line for line in lines) and not any("Traceback" in line for line in lines)


def test_a_file_saved_while_the_watch_starts_is_not_missed(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    updates: list[WatchUpdate] = []
    watcher = Watcher(corpus, index, embedder=HashEmbedder(), on_update=updates.append, debounce_ms=100)
    thread = watcher.start()
    try:
        for n in range(30):  # saved before, during and after the start-up catch-up
            (corpus / f"early-{n:02d}.txt").write_text(_article(n), encoding="utf-8")
            time.sleep(0.01)
        _wait(lambda: len(_indexed(index)) == 30, "every file saved around start-up")
    finally:
        watcher.stop()
        thread.join(10)
