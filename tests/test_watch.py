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


# ------------------------------------------------------------ QA defects: stores, same-stat edits, refusals, problems


STORE_URL = "postgresql://reader@db.example/news"


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_cli_watch_refuses_a_store_before_creating_anything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           how: str) -> None:
    from click.testing import CliRunner

    from assistant.cli import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(_article(1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    ran: list[Watcher] = []
    monkeypatch.setattr(Watcher, "run", lambda self: ran.append(self))  # a watch that did start returns at once
    args = ["watch", str(corpus), "--backend", "hash"]
    if how == "flag":
        args = ["--store", STORE_URL, *args]
    else:
        monkeypatch.setenv("ASSISTANT_STORE", STORE_URL)
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "watch keeps index folders only" in lines[0] and "--store URL index" in lines[0]
    assert not ran and not (tmp_path / "index").exists() and os.listdir(tmp_path) == ["corpus"]


def test_the_watcher_refuses_a_store_url(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="watch keeps index folders only"):
        Watcher(tmp_path, STORE_URL, embedder=HashEmbedder())  # type: ignore[arg-type]
    assert os.listdir(tmp_path) == []


def _same_stat_edit(path: Path, old: str, new: str) -> None:
    """Replace `old` by `new` (same length) in place, then put the size and mtime back (`touch -r`)."""
    assert len(old.encode()) == len(new.encode())
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    with open(path, "r+", encoding="utf-8") as fh:
        fh.write(text.replace(old, new))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def test_build_index_rechecks_named_files_by_content_only_when_asked(tmp_path: Path) -> None:
    from assistant.index.indexer import build_index

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "a.txt").write_text(_article(1, "The council met on Monday."), encoding="utf-8")
    (corpus / "b.txt").write_text(_article(2, "The harbour opened on Monday."), encoding="utf-8")
    build_index(corpus, index, embedder=HashEmbedder())
    _same_stat_edit(corpus / "a.txt", "Monday", "Friday")
    _same_stat_edit(corpus / "b.txt", "Monday", "Sunday")
    plain = build_index(corpus, index, embedder=HashEmbedder())
    assert plain.unchanged == 2 and "Monday" in _indexed(index)["a.txt"]  # an ordinary run goes by stat alone
    report = build_index(corpus, index, embedder=HashEmbedder(), recheck=["a.txt"])
    assert report.updated == 1 and report.unchanged == 1
    assert "Friday" in _indexed(index)["a.txt"] and "Monday" in _indexed(index)["b.txt"]
    again = build_index(corpus, index, embedder=HashEmbedder(), recheck=["a.txt", "gone.txt"])
    assert (again.unchanged, again.updated, again.chunks_embedded) == (2, 0, 0)  # same content: nothing rewritten


def test_watch_rereads_a_changed_file_whose_size_and_mtime_did_not_change(watched: tuple[Path, Path, Running]) -> None:
    corpus, index, running = watched
    path = corpus / "first.txt"
    path.write_text(_article(1, "The council met on Monday."), encoding="utf-8")
    _wait(lambda: "Monday" in _indexed(index).get("first.txt", ""), "the first version")
    time.sleep(0.5)  # past the burst of that write
    before = len(running.updates)
    _same_stat_edit(path, "Monday", "Friday")
    _wait(lambda: any("first.txt" in u.paths for u in running.updates[before:]), "the update naming the file")
    assert "Friday" in _indexed(index)["first.txt"], running.updates[before:]

    # Saved by rename over the old name, the modification time kept (rsync -t, some editors).
    before = len(running.updates)
    stat = path.stat()
    fresh = corpus / ".first.txt.tmp"
    fresh.write_text(path.read_text(encoding="utf-8").replace("Friday", "Sunday"), encoding="utf-8")
    os.utime(fresh, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(fresh, path)
    _wait(lambda: any("first.txt" in u.paths for u in running.updates[before:]), "the update naming the file")
    assert "Sunday" in _indexed(index)["first.txt"]
    assert all(u.error == "" for u in running.updates)


def _running_in_thread(watcher: Watcher) -> tuple[threading.Thread, list[BaseException]]:
    """watcher.run() on a thread, with whatever it raised."""
    raised: list[BaseException] = []

    def target() -> None:
        try:
            watcher.run()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            raised.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, raised


def _index_of_another_folder(tmp_path: Path) -> tuple[Path, Path]:
    """A corpus folder (b.txt) and an index built from another folder (a.txt)."""
    from assistant.index.indexer import build_index

    other, corpus, index = tmp_path / "other", tmp_path / "corpus", tmp_path / "index"
    other.mkdir()
    corpus.mkdir()
    (other / "a.txt").write_text(_article(1), encoding="utf-8")
    (corpus / "b.txt").write_text(_article(2), encoding="utf-8")
    build_index(other, index, embedder=HashEmbedder())
    return corpus, index


def test_watch_stops_on_an_index_of_another_folder(tmp_path: Path) -> None:
    corpus, index = _index_of_another_folder(tmp_path)
    updates: list[WatchUpdate] = []
    watcher = Watcher(corpus, index, embedder=HashEmbedder(), on_update=updates.append, debounce_ms=100)
    thread, raised = _running_in_thread(watcher)
    try:
        thread.join(20)
        assert not thread.is_alive(), [u.describe() for u in updates]
    finally:
        watcher.stop()
        thread.join(10)
    assert len(raised) == 1 and "holds 1 article from" in str(raised[0]) and len(str(raised[0]).splitlines()) == 1
    assert set(_indexed(index)) == {"a.txt"}  # nothing of the other folder's index was removed


def test_watch_stops_on_an_index_of_another_model(tmp_path: Path) -> None:
    from assistant.index.indexer import build_index

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "a.txt").write_text(_article(1), encoding="utf-8")
    build_index(corpus, index, embedder=HashEmbedder(dim=64))
    watcher = Watcher(corpus, index, embedder=HashEmbedder(), debounce_ms=100)
    thread, raised = _running_in_thread(watcher)
    try:
        thread.join(20)
        assert not thread.is_alive()
    finally:
        watcher.stop()
        thread.join(10)
    assert len(raised) == 1 and "was built with model hash (64 dims)" in str(raised[0])


def test_cli_watch_exits_with_one_line_on_a_permanent_refusal(tmp_path: Path) -> None:
    corpus, index = _index_of_another_folder(tmp_path)
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "watch", str(corpus), "--index", str(index), "--backend", "hash"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env,
    )
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
        raise AssertionError(f"still watching after a permanent refusal: {err}") from None
    assert proc.returncode != 0, err
    errors = [line for line in err.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and f"holds 1 article from {tmp_path / 'other'}" in errors[0], err
    assert "update failed" not in err and "Traceback" not in err
    assert "watching" not in err  # the refused index was never watched


@pytest.mark.parametrize(("exc", "permanent"), [
    ("mismatch", True), ("not-an-index", True), ("damaged", True), ("read-only-db", True), ("read-only-folder", True),
    ("vanished-file", False), ("locked-db", False), ("disk-full", False), ("other", False),
])
def test_permanent_refusals_are_told_from_passing_failures(tmp_path: Path, exc: str, permanent: bool) -> None:
    import errno
    import sqlite3

    from assistant.errors import IndexMismatch, NotAnIndex, StoreError
    from assistant.index.watch import is_permanent

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    errors: dict[str, BaseException] = {
        "mismatch": IndexMismatch("index was built with model x"),
        "not-an-index": NotAnIndex("index folder is not an assistant index"),
        "damaged": StoreError("index.sqlite3 is damaged; rebuild it with `assistant index --rebuild`"),
        "read-only-db": sqlite3.OperationalError("attempt to write a readonly database"),
        "read-only-folder": PermissionError(errno.EACCES, "Permission denied", str(index / ".lock")),
        "vanished-file": FileNotFoundError(errno.ENOENT, "No such file or directory", str(corpus / "gone.txt")),
        "locked-db": sqlite3.OperationalError("database is locked"),
        "disk-full": StoreError(f"cannot write {index}: the disk is full; free some space and retry"),
        "other": RuntimeError("something odd"),
    }
    assert is_permanent(errors[exc], corpus, index) is permanent


def test_watch_goes_on_after_a_passing_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from assistant.index import watch as watch_module

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    real = watch_module.build_index
    calls: list[int] = []

    def flaky(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 2:  # a file vanished while the run read it
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(corpus / "gone.txt"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(watch_module, "build_index", flaky)
    running = Running(corpus, index)
    try:
        (corpus / "gone.txt").write_text(_article(1), encoding="utf-8")
        _wait(lambda: len(running.updates) >= 2, "the failed update")
        assert running.updates[1].error and running.thread.is_alive()
        (corpus / "later.txt").write_text(_article(2), encoding="utf-8")
        _wait(lambda: set(_indexed(index)) == {"gone.txt", "later.txt"}, "the next update")
    finally:
        running.stop()


def test_a_bad_file_is_reported_once_until_it_changes_or_is_fixed(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "105.txt").write_bytes(b"")
    (corpus / "first.txt").write_text(_article(1), encoding="utf-8")
    problems: list[str] = []
    running = Running(corpus, index, on_problem=lambda p: problems.append(f"{p.path}: {p.message}"))
    try:
        assert [p for p in problems if p.startswith("105.txt")] == ["105.txt: empty file"]
        for n in range(2, 5):  # three more updates: the known bad file is not named again
            (corpus / f"more-{n}.txt").write_text(_article(n), encoding="utf-8")
            _wait(lambda: f"more-{n}.txt" in _indexed(index), f"more-{n}.txt")
        assert [p for p in problems if p.startswith("105.txt")] == ["105.txt: empty file"]
        (corpus / "105.txt").write_text(_article(105), encoding="utf-8")  # fixed
        _wait(lambda: "105.txt" in _indexed(index), "the fixed file")
        (corpus / "105.txt").write_bytes(b"")  # and broken again: named again, once
        _wait(lambda: "105.txt" not in _indexed(index), "the emptied file")
        (corpus / "more-5.txt").write_text(_article(5), encoding="utf-8")
        _wait(lambda: "more-5.txt" in _indexed(index), "more-5.txt")
        assert [p for p in problems if p.startswith("105.txt")] == ["105.txt: empty file"] * 2
        (corpus / "105.txt").write_bytes(b"\x00\x01binary")  # a different problem with it: named
        _wait(lambda: sum(p.startswith("105.txt") for p in problems) == 3, "the new problem")
    finally:
        running.stop()
