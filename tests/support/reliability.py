"""Shared pieces of the reliability suites: trial budgets, generated corpora, the CLI in a child process, index checks."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.index import store
from assistant.embedding.registry import HashEmbedder
from assistant.errors import EngineError
from assistant.search.engine import Engine
from support.corpus import prose as corpus_prose
from support.engines import assert_quotes_verbatim

CI = os.environ.get("CI", "").lower() == "true"
"""Under CI=true the fault and fuzz suites run fewer trials (docs/reliability.md gives both counts)."""

ASSISTANT = (sys.executable, "-m", "assistant")
"""The real command line, in a child process of the interpreter running the tests."""

TRACEBACK = "Traceback (most recent call last)"


def budget(full: int, ci: int) -> int:
    """Trials to run: `ci` under CI=true, else `full`."""
    return ci if CI else full


# --- generated corpora -----------------------------------------------------------------------


def prose(seed: int, sentences: int = 2, words: int = 9) -> str:
    """Deterministic sentences of made-up words, distinct per seed (so a sentence finds its article)."""
    return corpus_prose(seed, sentences, words)


def write(path: Path, content: str | bytes) -> Path:
    """Write text (UTF-8) or bytes, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def txt_article(seed: int) -> str:
    """A tiny .txt article: title line, blank line, one paragraph (one chunk, two sentences)."""
    return f"Report {seed}\n\n{prose(seed)}\n"


def md_article(seed: int) -> str:
    """A tiny Markdown article with front matter."""
    day = 1 + seed % 28
    return f"---\ntitle: Brief {seed}\ndate: 2021-03-{day:02d}\nsource: Wire {seed % 5}\n---\n\n{prose(seed)}\n"


def html_article(seed: int) -> str:
    """A small HTML page (trafilatura finds its paragraphs)."""
    paragraphs = "".join(f"<p>{prose(seed * 10 + i, sentences=3)}</p>" for i in range(3))
    return f"<html><head><title>Page {seed}</title></head><body><article><h1>Page {seed}</h1>{paragraphs}</article></body></html>"


def jsonl_records(seeds: Sequence[int]) -> str:
    """JSON Lines, one tiny record per seed."""
    return "".join(json.dumps({"title": f"Wire {s}", "text": prose(s), "source": "Wire"}) + "\n" for s in seeds)


@dataclass
class KillCorpus:
    """A generated corpus that a kill suite mutates between episodes; every article's text is unique."""

    root: Path
    next_seed: int = 0
    txt: list[Path] = field(default_factory=list)

    def add_txt(self, count: int, folder: str = "") -> None:
        """Add `count` .txt articles, spread over 20 folders."""
        for _ in range(count):
            seed = self._seed()
            path = self.root / (folder or f"desk{seed % 20:02d}") / f"story{seed:06d}.txt"
            self.txt.append(write(path, txt_article(seed)))

    def add_mixed(self, md: int, html: int, jsonl: int) -> None:
        """Markdown and HTML articles and (unless `jsonl` is 0) one JSON Lines file of that many records."""
        for _ in range(md):
            seed = self._seed()
            write(self.root / "briefs" / f"brief{seed:06d}.md", md_article(seed))
        for _ in range(html):
            seed = self._seed()
            write(self.root / "web" / f"page{seed:06d}.html", html_article(seed))
        if jsonl:
            write(self.root / "feeds" / "wire.jsonl", jsonl_records([self._seed() for _ in range(jsonl)]))

    def mutate(self, rng: random.Random, episode: int, *, added: int) -> None:
        """An update's worth of change: edits, moves, touches, JSONL edits, and `added` articles replacing as
        many deleted ones (so the corpus keeps its size however many episodes run)."""
        rng.shuffle(self.txt)
        share = max(1, len(self.txt) // 25)
        edited, moved, touched = (self.txt[i * share : (i + 1) * share] for i in range(3))
        deleted = self.txt[3 * share : 3 * share + added]
        for path in deleted:
            path.unlink()
        for path in edited:
            path.write_text(txt_article(self._seed()), encoding="utf-8")
        kept = []
        for path in moved:
            target = self.root / f"moved{episode}" / path.name
            target.parent.mkdir(exist_ok=True)
            path.rename(target)
            kept.append(target)
        for path in touched:
            os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
        self.txt = kept + self.txt[3 * share + added :] + touched + edited
        feed = self.root / "feeds" / "wire.jsonl"
        if feed.exists():  # a record removed, one edited, one inserted on top (the others shift a line)
            lines = feed.read_text(encoding="utf-8").splitlines(keepends=True)
            del lines[rng.randrange(len(lines))]
            lines[rng.randrange(len(lines))] = jsonl_records([self._seed()])
            lines.insert(0, jsonl_records([self._seed()]))
            feed.write_text("".join(lines), encoding="utf-8")
        self.add_txt(added)

    def _seed(self) -> int:
        self.next_seed += 1
        return self.next_seed


# --- the CLI in a child process --------------------------------------------------------------


def run_cli(*args: str, input: str | None = None, timeout: float = 120, env: dict[str, str] | None = None,
            **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run `assistant ARGS` to completion, capturing text output."""
    return subprocess.run(
        [*ASSISTANT, *args], input=input, capture_output=True, text=True, timeout=timeout,
        env=env, errors="surrogateescape", **kwargs,
    )


def assert_clean_error(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit code 1 and exactly one stderr line, 'Error: ...' with `words` in it, no traceback. Returns it."""
    err = result.stderr.strip()
    assert result.returncode == 1, (result.returncode, err[-2000:])
    assert TRACEBACK not in err, err[-2000:]
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), err[-2000:]
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


_PHASES = (
    ("scanning", "scan"),
    ("reading files", "load"),
    ("loading model", "model"),
    ("embedding", "embed"),
    ("writing index", "write"),
    ("index up to date", "ready"),
)
_SUMMARY = re.compile(r"^[\d,]+ files \(")
_BAR = re.compile(r"^\[[#-]*\]\s*")


@dataclass(frozen=True)
class Event:
    """One progress line of a child `assistant index`."""

    at: float
    """Seconds since the child started."""
    phase: str
    """scan, load, model, embed, write, ready or 'other'."""
    text: str
    """The line as shown."""


class IndexRun:
    """`assistant index` in a child process whose stderr is a terminal, so its progress line can be followed.

    The progress display only draws on a terminal; a pseudo-terminal gives it one, and a reader
    thread turns what it draws into Events (and keeps the rest of stderr).
    """

    def __init__(self, corpus: Path, index: Path, *extra: str) -> None:
        master, slave = pty.openpty()
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [*ASSISTANT, "index", str(corpus), "--index", str(index), "--backend", "hash", *extra],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
        )
        os.close(slave)
        self._master = master
        self.events: list[Event] = []
        self.raw = bytearray()
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        pending = b""
        while True:
            try:
                data = os.read(self._master, 65536)
            except OSError:  # EIO: the child and its terminal are gone
                data = b""
            now = time.monotonic() - self.started
            with self._changed:
                if not data:
                    self._add(pending, now)
                    self.closed = True
                    self._changed.notify_all()
                    os.close(self._master)
                    return
                self.raw += data
                *lines, pending = re.split(rb"[\r\n]", pending + data)
                for line in lines:
                    self._add(line, now)
                self._changed.notify_all()

    closed = False

    def _add(self, line: bytes, at: float) -> None:
        text = _BAR.sub("", line.replace(b"\x1b[2K", b"").decode("utf-8", "replace").strip())
        if text:
            phase = next((name for prefix, name in _PHASES if text.startswith(prefix)), "other")
            if _SUMMARY.match(text):
                phase = "exit"  # the summary is printed: everything is committed
            self.events.append(Event(at, phase, text))

    def count(self, phase: str) -> int:
        """Events of `phase` seen so far."""
        with self._changed:
            return sum(1 for e in self.events if e.phase == phase)

    def wait_for(self, phase: str, nth: int = 1, timeout: float = 60) -> bool:
        """Wait for the nth event of `phase`; False when the child ended first."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while sum(1 for e in self.events if e.phase == phase) < nth:
                if self.closed or self.process.poll() is not None:
                    return sum(1 for e in self.events if e.phase == phase) >= nth
                self._changed.wait(min(0.05, max(0.0, deadline - time.monotonic())))
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no {phase} event #{nth} within {timeout}s: {self.text()[-500:]}")
        return True

    def sleep_or_exit(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True when the child is still running afterwards."""
        try:
            self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return True
        return False

    def kill(self) -> tuple[float, str]:
        """SIGKILL the child (if still running); when it died and the last phase it showed."""
        at = time.monotonic() - self.started
        with self._changed:
            # A kill can cut a progress line in half; the last whole one says where the run was.
            last = next((e.phase for e in reversed(self.events) if e.phase != "other"), "start")
        self.process.send_signal(signal.SIGKILL)
        self.finish()
        return at, last

    def finish(self, timeout: float = 120) -> int:
        """Wait for the child and its output; its exit code."""
        self.process.wait(timeout=timeout)
        self._reader.join(timeout=10)
        assert self.process.stdout is not None
        self.process.stdout.close()
        return int(self.process.returncode)

    def text(self) -> str:
        """Everything written to the terminal, progress included."""
        return bytes(self.raw).decode("utf-8", "replace")


def summary_line(stderr: str) -> str:
    """The '... chunks embedded in ...' line of an `assistant index` run."""
    lines = [line for line in re.split(r"[\r\n]", stderr) if "chunks embedded" in line]
    assert lines, stderr[-1000:]
    return _BAR.sub("", lines[-1].replace("\x1b[2K", "")).strip()


def chunks_embedded(stderr: str) -> int:
    """N of 'N chunks embedded' in an `assistant index` summary."""
    match = re.search(r"([\d,]+) chunks embedded", summary_line(stderr))
    assert match is not None
    return int(match.group(1).replace(",", ""))


# --- looking at an index ---------------------------------------------------------------------


def committed_generation(index_dir: Path) -> int:
    """The generation SQLite names, read without migrating anything; 0 when there is none yet."""
    path = index_dir / store.DB_NAME
    if not path.exists():
        return 0
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if db.execute("PRAGMA user_version").fetchone()[0] == 0:
            return 0
        row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0
    finally:
        db.close()


def holdings(index_dir: Path) -> dict[str, frozenset[tuple[int, str]]]:
    """path -> {(record, content hash)} of every recorded file (files with no articles map to an empty set)."""
    db = sqlite3.connect(index_dir / store.DB_NAME)
    try:
        held: dict[str, set[tuple[int, str]]] = {path: set() for (path,) in db.execute("SELECT path FROM files")}
        for path, record, digest in db.execute("SELECT path, record, content_hash FROM articles"):
            held.setdefault(path, set()).add((record, digest))
        return {path: frozenset(v) for path, v in held.items()}
    finally:
        db.close()


def chunks_by_hash(index_dir: Path) -> dict[str, int]:
    """content hash -> number of chunks of that article."""
    db = sqlite3.connect(index_dir / store.DB_NAME)
    try:
        rows = db.execute("SELECT a.content_hash, count(c.id) FROM articles a JOIN chunks c ON c.article_id = a.id GROUP BY a.id")
        return {digest: n for digest, n in rows}
    finally:
        db.close()


def layout(index_dir: Path) -> dict[str, list[tuple[Any, ...]]]:
    """What an index holds, without row ids or generations: files, articles, chunks, sentences (to compare builds)."""
    db = sqlite3.connect(index_dir / store.DB_NAME)
    try:
        return {
            "files": sorted(db.execute("SELECT path, size, mtime_ns, hash FROM files")),
            "articles": sorted(db.execute("SELECT path, record, content_hash, first_line, format, body_start FROM articles")),
            "chunks": sorted(db.execute(
                "SELECT a.path, a.record, c.ord, c.start, c.end, c.paragraph, c.first_sentence, c.last_sentence"
                " FROM chunks c JOIN articles a ON a.id = c.article_id"
            )),
            "sentences": sorted(db.execute(
                "SELECT a.path, a.record, s.ord, s.start, s.end, s.paragraph FROM sentences s JOIN articles a ON a.id = s.article_id"
            )),
        }
    finally:
        db.close()


class ShapeOnlyEmbedder(HashEmbedder):
    """Same texts, chunks and hashes as the HashEmbedder, one constant vector: a reference build whose
    layout is compared, at a fraction of the cost."""

    def encode(self, texts: Sequence[str], *, batch_size: int = 8, on_batch: Any = None) -> Any:
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        out[:, 0] = 1.0
        if on_batch is not None:
            on_batch(len(texts))
        return out


def integrity_ok(index_dir: Path) -> None:
    """SQLite's own structural check of the database file."""
    db = sqlite3.connect(index_dir / store.DB_NAME)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        # FTS5's own check raises when its index is damaged.
        db.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('integrity-check')")
    finally:
        db.close()


def assert_answers(index_dir: Path) -> int:
    """Open the index (FAISS ids must equal SQLite chunk ids), ask for its newest article: it comes first,
    quoted verbatim. Returns that article's id."""
    engine = Engine(index_dir, embedder=HashEmbedder())
    try:
        row = engine.db.execute("SELECT id, text, body_start FROM articles ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            return 0
        article_id, text, body_start = row
        question = text[body_start:].split(".")[0]
        answer = engine.ask(question)
        assert answer.quotes and answer.quotes[0].article_id == article_id, (question, answer)
        assert_quotes_verbatim(engine, answer)
        return int(article_id)
    finally:
        engine.close()


def assert_not_yet_an_index(index_dir: Path) -> str:
    """An index killed before its first commit: opening it is a one-line EngineError naming `assistant index`."""
    try:
        Engine(index_dir, embedder=HashEmbedder())
    except EngineError as exc:
        message = str(exc)
        assert "\n" not in message and "assistant index" in message, message
        return message
    raise AssertionError(f"{index_dir} opened although nothing was committed")


# --- a small disk that fills up ----------------------------------------------------------------


@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted on `folder` for the block (skips the test where mounting is not allowed)."""
    import pytest

    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("disk-full tests mount a small tmpfs, which needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True)


def fill_disk(folder: Path, leave: int) -> Path:
    """Take all free space of the file system holding `folder` but `leave` bytes, in one filler file."""
    info = os.statvfs(folder)
    free = info.f_bavail * info.f_frsize
    filler = folder / "filler"
    with open(filler, "wb") as handle:
        if free - leave > 0:
            os.posix_fallocate(handle.fileno(), 0, free - leave)
    return filler
