"""Hardening of the index folder (issue 10, items 5 and 7): rebuilds beside the live index, folders that are
not indexes, private corpora and planted symlinks."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support.corpus import article, write
from support.indexes import build, check_index, generation, snapshot

from assistant.index import store
from assistant.index import vectors
from assistant.cli import main
from assistant.embedding.base import OnBatch
from assistant.embedding.hashing import HashEmbedder
from assistant.errors import EngineError
from assistant.search.engine import Engine

TESTS = Path(__file__).parent
OLD = "Zebrafish quasar committee"
NEW = "Marmalade glacier tribunal"


def tree(folder: Path) -> dict[str, Any]:
    """Every entry under `folder` (not following links): file bytes, link targets, folders."""
    found: dict[str, Any] = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink():
                found[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                found[rel] = "dir"
            else:
                found[rel] = path.read_bytes()
    return found


def make_corpus(root: Path, *, extra: str = "") -> Path:
    """Six small articles, one of them about the committee (or `extra` instead of it)."""
    for i in range(5):
        write(root, f"news/a{i}.txt", article(i))
    if extra:
        write(root, "new.txt", f"New report\n\n{extra} met on Friday in the harbour town.\n")
    else:
        write(root, "old.txt", f"Old report\n\n{OLD} voted on Tuesday in the mountain village.\n")
    return root


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stderr


def one_line_error(code: int, err: str, *words: str) -> str:
    lines = err.strip().splitlines()
    assert code == 1 and len(lines) == 1 and lines[0].startswith("Error: "), (code, err)
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


# --- folders that are not indexes -----------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A user's folder: notes, and an onnx/ folder of their own models."""
    folder = tmp_path / "project"
    write(folder, "notes.txt", "my notes\n")
    write(folder, "onnx/model.onnx", b"\x08\x01weights")
    write(folder, "onnx/README.md", "my exported model\n")
    write(folder, "vectors-draft.tmp", "not the index's\n")
    return folder


def test_rebuild_into_a_folder_that_is_not_an_index_deletes_nothing(tmp_path: Path, project: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus")
    before = tree(project)
    code, err = cli("index", str(corpus), "--index", str(project), "--rebuild", "--backend", "hash")
    one_line_error(code, err, str(project), "not an assistant index")
    assert tree(project) == before  # not even a lock file


def test_indexing_into_a_folder_that_is_not_an_index_is_refused(tmp_path: Path, project: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus")
    before = tree(project)
    code, err = cli("index", str(corpus), "--index", str(project), "--backend", "hash")
    one_line_error(code, err, "not an assistant index")
    assert tree(project) == before
    # An empty folder, or a new one, is fine.
    (tmp_path / "empty").mkdir()
    for folder in (tmp_path / "empty", tmp_path / "new" / "index"):
        assert cli("index", str(corpus), "--index", str(folder), "--backend", "hash")[0] == 0
        check_index(folder)


def test_the_shipped_index_folder_with_its_readme_is_indexed_and_rebuilt(tmp_path: Path) -> None:
    """The repository ships index/README.md: the README's run command indexes into that folder (a
    README, .gitignore or .gitkeep alone does not make a folder someone else's), and a rebuild keeps it."""
    corpus = make_corpus(tmp_path / "corpus")
    shipped = Path(__file__).resolve().parents[1] / "index" / "README.md"
    folder = tmp_path / "index"
    write(folder, "README.md", shipped.read_text(encoding="utf-8"))
    write(folder, ".gitkeep", "")
    for extra in ((), ("--rebuild",)):
        code, err = cli("index", str(corpus), "--index", str(folder), "--backend", "hash", *extra)
        assert code == 0, err
        check_index(folder)
    assert (folder / "README.md").read_text(encoding="utf-8") == shipped.read_text(encoding="utf-8")
    assert (folder / ".gitkeep").exists()
    # A README beside the user's own files is still not an index.
    write(tmp_path / "mine", "README.md", "my project\n")
    write(tmp_path / "mine", "notes.txt", "my notes\n")
    code, err = cli("index", str(corpus), "--index", str(tmp_path / "mine"), "--backend", "hash")
    one_line_error(code, err, "not an assistant index")


def test_rebuild_of_an_index_keeps_files_it_does_not_own(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus")
    index_dir = tmp_path / "index"
    build(corpus, index_dir)
    write(index_dir, "onnx/model.onnx", b"\x08\x01weights")
    write(index_dir, "notes.txt", "kept\n")
    write(index_dir, "vectors-notes.tmp", "kept too\n")
    write(index_dir, "sessions/s1.json", "{}\n")
    write(index_dir, ".rebuild-notmine/index.sqlite3", "no marker: not a folder the index made\n")
    foreign = {k: v for k, v in tree(index_dir).items() if k.split("/")[0] in
               ("onnx", "notes.txt", "vectors-notes.tmp", "sessions", ".rebuild-notmine")}
    clean = snapshot(index_dir)
    report = build(corpus, index_dir, rebuild=True)
    assert report.added == 6
    after = tree(index_dir)
    assert {k: after.get(k) for k in foreign} == foreign
    assert snapshot(index_dir) == clean
    check_index(index_dir)
    owned = {name for name in after if "/" not in name and name not in foreign}
    gen = generation(index_dir)
    assert owned <= {store.DB_NAME, store.DB_NAME + "-wal", store.DB_NAME + "-shm", ".lock",
                     f"vectors-{gen}.faiss", f"vectors-{gen - 1}.faiss"}, owned


# --- readers during a rebuild ---------------------------------------------------------------


class GateEmbedder(HashEmbedder):
    """HashEmbedder that stops inside its `stop_at`th call until released."""

    def __init__(self, stop_at: int) -> None:
        super().__init__()
        self.calls = 0
        self.stop_at = stop_at
        self.reached = threading.Event()
        self.release = threading.Event()

    def encode(self, texts: Sequence[str], *, batch_size: int = 8, on_batch: OnBatch | None = None) -> Any:
        self.calls += 1
        if self.calls == self.stop_at:
            self.reached.set()
            assert self.release.wait(60)
        return super().encode(texts, batch_size=batch_size, on_batch=on_batch)


def first_quote(engine: Engine, question: str) -> tuple[str, str, str]:
    answer = engine.ask(question)
    assert answer.quotes, answer.message
    quote = answer.quotes[0]
    assert engine.article(quote.article_id).text[quote.start : quote.end] == quote.text
    return quote.path, quote.text, answer.message


def test_readers_answer_from_the_old_generation_during_a_rebuild(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus")
    index_dir = tmp_path / "index"
    build(corpus, index_dir)
    engine = Engine(index_dir, embedder=HashEmbedder())
    old_path, old_text, _ = first_quote(engine, f"{OLD} voted")
    assert old_path == "old.txt"
    # The corpus changes, and the index is rebuilt from it; the rebuild stops half-way.
    (corpus / "old.txt").unlink()
    make_corpus(corpus, extra=NEW)
    gate = GateEmbedder(stop_at=2)
    failure: list[BaseException] = []

    def rebuild() -> None:
        try:
            build(corpus, index_dir, embedder=gate, rebuild=True, batch_chunks=3)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failure.append(exc)

    worker = threading.Thread(target=rebuild)
    worker.start()
    try:
        assert gate.reached.wait(60), failure
        # The engine open before the rebuild, a new one, and `assistant ask` all answer from the old index.
        assert first_quote(engine, f"{OLD} voted") == (old_path, old_text, "")
        fresh = Engine(index_dir, embedder=HashEmbedder())
        assert first_quote(fresh, f"{OLD} voted") == (old_path, old_text, "")
        assert len(fresh.ask("report number").quotes) >= 3
        fresh.close()
        code = CliRunner().invoke(main, ["ask", f"{OLD} voted", "--index", str(index_dir), "--backend", "hash"])
        assert code.exit_code == 0 and OLD in code.stdout, code.stdout + code.stderr
    finally:
        gate.release.set()
        worker.join(60)
    assert not failure, failure
    # Once swapped in, the same engine answers from the new index without reopening.
    path, text, _ = first_quote(engine, f"{NEW} met")
    assert (path, text) == ("new.txt", f"{NEW} met on Friday in the harbour town.")
    assert all(q.path != "old.txt" for q in engine.ask(f"{OLD} voted").quotes)
    engine.close()
    check_index(index_dir)
    assert not list(index_dir.glob(".rebuild-*"))


KILLED_REBUILD = """
import sys
sys.path.insert(0, sys.argv[3])
from pathlib import Path
from support.workers import SlowEmbedder
from assistant.index.indexer import build_index
def progress(p):
    if p.phase == "write":
        print("write", flush=True)
build_index(Path(sys.argv[1]), Path(sys.argv[2]), embedder=SlowEmbedder(0.05), batch_chunks=3, rebuild=True,
            on_progress=progress)
print("done", flush=True)
"""


def test_a_killed_rebuild_leaves_the_old_index_in_service(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus")
    index_dir = tmp_path / "index"
    build(corpus, index_dir)
    write(index_dir, "notes.txt", "kept\n")
    before = snapshot(index_dir)
    worker = subprocess.Popen([sys.executable, "-c", KILLED_REBUILD, str(corpus), str(index_dir), str(TESTS)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert worker.stdout is not None
    writes = 0
    for line in worker.stdout:
        writes += line.strip() == "write"
        if writes == 2:
            break
    worker.send_signal(signal.SIGKILL)
    _, err = worker.communicate(timeout=60)
    assert worker.returncode == -signal.SIGKILL, err
    assert snapshot(index_dir) == before  # the old index is whole and in service
    check_index(index_dir)
    engine = Engine(index_dir, embedder=HashEmbedder())
    assert first_quote(engine, f"{OLD} voted")[:2] == ("old.txt", f"{OLD} voted on Tuesday in the mountain village.")
    engine.close()
    # The next run (plain or --rebuild) removes what the killed one left, nothing else.
    assert build(corpus, index_dir).chunks_embedded == 0
    assert not list(index_dir.glob(".rebuild-*"))
    assert (index_dir / "notes.txt").read_text() == "kept\n"
    assert build(corpus, index_dir, rebuild=True).added == 6
    assert snapshot(index_dir) == before


# --- private corpora ------------------------------------------------------------------------


def modes(index_dir: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.lstat().st_mode) for p in index_dir.iterdir()
            if p.name.startswith((store.DB_NAME, "vectors-"))}


def test_an_index_of_a_private_corpus_is_private(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus")
    corpus.chmod(0o750)  # others may not read it
    index_dir = tmp_path / "deep" / "index"
    build(corpus, index_dir)
    assert stat.S_IMODE(index_dir.stat().st_mode) == 0o700
    found = modes(index_dir)
    assert store.DB_NAME in found and any(name.endswith(".faiss") for name in found)
    assert set(found.values()) == {0o600}, found
    write(corpus, "late.txt", article(40))
    build(corpus, index_dir)
    build(corpus, index_dir, rebuild=True)
    assert set(modes(index_dir).values()) == {0o600}, modes(index_dir)


def test_an_index_made_public_before_is_tightened_when_its_corpus_is_private(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus")
    corpus.chmod(0o755)
    index_dir = tmp_path / "index"
    old = os.umask(0o022)
    try:
        build(corpus, index_dir)
        assert set(modes(index_dir).values()) == {0o644}  # a public corpus keeps the umask's modes
        corpus.chmod(0o700)
        write(corpus, "late.txt", article(40))
        build(corpus, index_dir)
    finally:
        os.umask(old)
    assert set(modes(index_dir).values()) == {0o600}, modes(index_dir)


# --- planted symlinks -----------------------------------------------------------------------


class PlantingEmbedder(HashEmbedder):
    """HashEmbedder that plants symlinks in the index folder on its first call: after the run's start-up."""

    def __init__(self, plant: Any) -> None:
        super().__init__()
        self.plant = plant

    def encode(self, texts: Sequence[str], *, batch_size: int = 8, on_batch: OnBatch | None = None) -> Any:
        if self.plant is not None:
            self.plant()
            self.plant = None
        return super().encode(texts, batch_size=batch_size, on_batch=on_batch)


@pytest.mark.parametrize("when", ["before the run", "during the run"])
def test_a_planted_vectors_symlink_is_replaced_not_followed(tmp_path: Path, when: str) -> None:
    corpus = make_corpus(tmp_path / "corpus")
    index_dir = tmp_path / "index"
    build(corpus, index_dir)
    gen = generation(index_dir)
    victims: dict[Path, bytes] = {}

    def plant() -> None:
        for name in (f"vectors-{gen + 1}.faiss", f"vectors-{gen + 1}.faiss.tmp"):
            victim = write(tmp_path, f"home/{name}.victim", "precious\n")
            os.symlink(victim, index_dir / name)
            victims[victim] = victim.read_bytes()

    if when == "before the run":
        plant()
    write(corpus, "late.txt", article(41))
    build(corpus, index_dir, embedder=PlantingEmbedder(plant if when == "during the run" else None))
    assert generation(index_dir) == gen + 1
    assert len(victims) == 2 and {v: v.read_bytes() for v in victims} == victims
    assert not (index_dir / f"vectors-{gen + 1}.faiss").is_symlink()
    check_index(index_dir)


def test_a_planted_database_symlink_is_refused(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus")
    victim = write(tmp_path, "home/victim.db", "precious\n")
    missing = tmp_path / "home" / "created.db"
    for target in (victim, missing):
        index_dir = tmp_path / f"index-{target.stem}"
        index_dir.mkdir()
        os.symlink(target, index_dir / store.DB_NAME)
        code, err = cli("index", str(corpus), "--index", str(index_dir), "--backend", "hash")
        one_line_error(code, err, store.DB_NAME, "symbolic link")
        with pytest.raises(EngineError, match="symbolic link"):
            Engine(index_dir, embedder=HashEmbedder())
    assert victim.read_text() == "precious\n"
    assert not missing.exists() and not (tmp_path / "home" / "created.db-wal").exists()


@pytest.mark.parametrize("suffix", ["-wal", "-shm"])
def test_a_planted_sqlite_side_file_symlink_is_refused(tmp_path: Path, suffix: str) -> None:
    corpus = make_corpus(tmp_path / "corpus")
    index_dir = tmp_path / "index"
    build(corpus, index_dir)
    for leftover in ("-wal", "-shm"):
        (index_dir / (store.DB_NAME + leftover)).unlink(missing_ok=True)
    victim = write(tmp_path, "home/victim", "precious\n")
    os.symlink(victim, index_dir / (store.DB_NAME + suffix))
    write(corpus, "late.txt", article(42))
    code, err = cli("index", str(corpus), "--index", str(index_dir), "--backend", "hash")
    one_line_error(code, err, store.DB_NAME + suffix, "symbolic link")
    with pytest.raises(EngineError, match="symbolic link"):
        Engine(index_dir, embedder=HashEmbedder())
    assert victim.read_text() == "precious\n"


def test_a_vectors_file_that_is_a_symlink_is_not_read(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus")
    index_dir = tmp_path / "index"
    build(corpus, index_dir)
    current = vectors.vector_path(index_dir, generation(index_dir))
    moved = current.rename(tmp_path / "elsewhere.faiss")
    os.symlink(moved, current)
    with pytest.raises(EngineError, match="not a regular file"):
        Engine(index_dir, embedder=HashEmbedder())
