"""Crash safety of the indexer: SIGKILL or Ctrl-C at random and at chosen moments leaves a usable index."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from support.corpus import jsonl, prose, write
from support.engines import quotes_are_verbatim
from support.indexes import build, check_index, generation, snapshot, sql

from assistant.index import store
from assistant.embedding.registry import HashEmbedder
from assistant.errors import EngineError
from assistant.search.engine import Engine

WORKER = Path(__file__).parent / "support" / "workers.py"
BATCH = 24
"""Chunks per commit in the killed runs: about 13 commits over the corpus."""
SLEEP = 0.08
"""Seconds the worker's embedder sleeps per commit, so a run lasts about 2 s."""
TRIALS = 8
SEED = 1729


def story(i: int) -> str:
    """A short .txt article (one chunk, four sentences)."""
    return f"Story {i} of the crash corpus\n\n{prose(10_000 + i, sentences=4, words=8)}\n"


def make_corpus(root: Path) -> Path:
    """About 300 small articles: .txt files in six folders and one .jsonl of 30 records."""
    for i in range(270):
        write(root, f"section{i % 6}/story{i:03}.txt", story(i))
    records = [{"title": f"Wire {n}", "text": prose(20_000 + n, sentences=3), "source": "Wire"} for n in range(30)]
    write(root, "wire.jsonl", jsonl(*records))
    return root


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("crash") / "corpus")


@pytest.fixture(scope="module")
def reference(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A clean, uninterrupted build of the corpus, to compare every recovered index with."""
    index_dir = tmp_path_factory.mktemp("reference") / "index"
    build(corpus, index_dir)
    return {"snapshot": snapshot(index_dir), "counts": check_index(index_dir), "dir": index_dir}


def start_worker(corpus: Path, index_dir: Path, *, fault: str = "", sleep: float = SLEEP) -> subprocess.Popen[str]:
    """Start a slow build in a child process and wait until it is about to open the index."""
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), "build", str(corpus), str(index_dir), "--batch", str(BATCH),
         "--sleep", str(sleep), "--fault", fault],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    wait_for(worker, "started")
    return worker


def wait_for(worker: subprocess.Popen[str], wanted: str) -> None:
    """Read the child's output up to the line `wanted` (failing if it ends first)."""
    assert worker.stdout is not None
    for line in worker.stdout:
        if line.strip() == wanted:
            return
    _, err = worker.communicate(timeout=120)
    pytest.fail(f"the worker ended (code {worker.returncode}) before {wanted!r}: {err[-500:]}")


def finish_worker(worker: subprocess.Popen[str]) -> tuple[int, str, str]:
    """Wait for the child; its exit code and remaining output."""
    out, err = worker.communicate(timeout=120)
    return worker.returncode, out, err


def kill_after(worker: subprocess.Popen[str], delay: float) -> str:
    """SIGKILL the child after `delay` seconds (if it is still running); its output so far."""
    time.sleep(delay)
    worker.send_signal(signal.SIGKILL)
    _, out, _ = finish_worker(worker)
    return out


def committed_generation(index_dir: Path) -> int:
    """The generation in force, 0 when not even the schema was committed."""
    try:
        return generation(index_dir)
    except store.StoreError:
        return 0


def verify_after_crash(index_dir: Path, *states: dict[str, Any]) -> int:
    """An interrupted index opens and answers verbatim, and holds only whole files. Returns its chunk count.

    `states` are clean builds of the corpus as it was before and after the interrupted run: each
    recorded file must hold exactly the articles it has in one of them.
    """
    if committed_generation(index_dir) == 0:  # killed before the first COMMIT (or even the schema's)
        with pytest.raises(EngineError, match="assistant index"):
            Engine(index_dir, embedder=HashEmbedder())
        return 0
    counts = check_index(index_dir)
    held = snapshot(index_dir)
    for path, _ in held["files"]:
        mine = {a for a in held["articles"] if a[0] == path}
        assert any(mine == {a for a in state["snapshot"]["articles"] if a[0] == path} for state in states), path
    assert set(held["articles"]) <= {a for state in states for a in state["snapshot"]["articles"]}
    engine = Engine(index_dir, embedder=HashEmbedder())
    try:
        (article_id, text, body_start) = sql(index_dir, "SELECT id, text, body_start FROM articles ORDER BY id DESC LIMIT 1")[0]
        question = text[body_start:].split(".")[0]
        assert quotes_are_verbatim(engine, question) >= 1
        assert engine.ask(question).quotes[0].article_id == article_id
    finally:
        engine.close()
    return int(counts["chunks"])


def finish_and_compare(corpus: Path, index_dir: Path, expected: dict[str, Any], committed_chunks: int) -> None:
    """A normal run completes the work without redoing what was committed, and equals a clean build."""
    report = build(corpus, index_dir, batch_chunks=64)
    counts = check_index(index_dir)
    assert snapshot(index_dir) == expected["snapshot"]
    assert {k: counts[k] for k in ("articles", "chunks", "sentences", "files")} == {
        k: expected["counts"][k] for k in ("articles", "chunks", "sentences", "files")
    }
    assert report.chunks_embedded == expected["counts"]["chunks"] - committed_chunks
    gen = counts["generation"]
    leftovers = {p.name for p in index_dir.glob("vectors-*")}  # no orphan generation, no temp file
    assert leftovers in ({f"vectors-{gen}.faiss"}, {f"vectors-{gen - 1}.faiss", f"vectors-{gen}.faiss"})


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(TRIALS))
def test_sigkill_at_a_random_moment(corpus: Path, reference: dict[str, Any], tmp_path: Path, trial: int) -> None:
    # A random commit to wait for, then a random part of a commit's time: the kill lands in any
    # phase (embedding, SQLite writes, FAISS save, COMMIT) whatever the machine's speed. Commit 0
    # means a time from the start instead, which can land before the schema or the first commit.
    rng = random.Random(SEED + trial)
    commit = rng.randint(0, 12)
    # Odd trials aim at the few milliseconds of the commit's transaction itself.
    delay = rng.uniform(0.0, 0.4) if commit == 0 else rng.uniform(0.0, 0.02 if trial % 2 else SLEEP * 1.5)
    index_dir = tmp_path / "index"
    worker = start_worker(corpus, index_dir)
    if commit:
        wait_for(worker, f"write {commit}")
    out = kill_after(worker, delay)
    committed = verify_after_crash(index_dir, reference)
    print(f"trial {trial}: killed {delay:.2f}s after commit {commit} began, {out.count('write')} more, {committed} chunks kept")
    finish_and_compare(corpus, index_dir, reference, committed)


@pytest.mark.parametrize(
    ("fault", "generation_left", "orphan"),
    [
        ("save:1", 0, "vectors-1.faiss"),  # first FAISS file written, first COMMIT never made
        ("save:4", 3, "vectors-4.faiss"),  # a later one: generation 3 stays in force
        ("commit:4", 4, None),  # COMMIT made, old generations not yet cleaned up
    ],
)
def test_sigkill_at_the_critical_moments_of_a_commit(
    corpus: Path, reference: dict[str, Any], tmp_path: Path, fault: str, generation_left: int, orphan: str | None
) -> None:
    index_dir = tmp_path / "index"
    code, _, _ = finish_worker(start_worker(corpus, index_dir, fault=fault, sleep=0.0))
    assert code == -signal.SIGKILL
    assert generation(index_dir) == generation_left
    if orphan:
        assert (index_dir / orphan).exists()  # the file SQLite never named is still there...
    else:
        assert len(list(index_dir.glob("vectors-*.faiss"))) == 3  # ...or the old ones are
    committed = verify_after_crash(index_dir, reference)
    finish_and_compare(corpus, index_dir, reference, committed)  # ...and is cleaned up by the next run


def test_ctrl_c_inside_the_transaction_rolls_back(corpus: Path, reference: dict[str, Any], tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    code, out, err = finish_worker(start_worker(corpus, index_dir, fault="sigint-save:3", sleep=0.0))
    assert (code, out.splitlines()[-1]) == (130, "interrupted"), err
    assert generation(index_dir) == 2 and (index_dir / "vectors-3.faiss").exists()
    committed = verify_after_crash(index_dir, reference)
    finish_and_compare(corpus, index_dir, reference, committed)


def test_ctrl_c_at_a_random_moment(corpus: Path, reference: dict[str, Any], tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    worker = start_worker(corpus, index_dir)
    wait_for(worker, "write 3")
    time.sleep(random.Random(SEED).uniform(0.0, 0.1))
    worker.send_signal(signal.SIGINT)
    code, out, err = finish_worker(worker)
    assert (code, out.splitlines()[-1]) == (130, "interrupted"), err
    assert "Traceback" not in err
    committed = verify_after_crash(index_dir, reference)
    assert committed > 0
    finish_and_compare(corpus, index_dir, reference, committed)


def mutate(corpus: Path) -> None:
    """An incremental update's worth of change: deletions, edits, moves, additions, JSONL edits."""
    for i in range(0, 30, 2):
        (corpus / f"section{i % 6}/story{i:03}.txt").unlink()
    for i in range(31, 61, 2):
        write(corpus, f"section{i % 6}/story{i:03}.txt", story(i).replace("crash corpus", "edited corpus"))
    (corpus / "moved").mkdir()
    for i in range(100, 130, 2):
        source = corpus / f"section{i % 6}/story{i:03}.txt"
        source.rename(corpus / "moved" / source.name)
    for i in range(300, 330):
        write(corpus, f"new/story{i:03}.txt", story(i))
    lines = (corpus / "wire.jsonl").read_text().splitlines(keepends=True)
    del lines[3]
    lines[10] = jsonl({"title": "Wire edited", "text": prose(30_000, sentences=3), "source": "Wire"})
    write(corpus, "wire.jsonl", "".join(lines))


@pytest.mark.slow
def test_sigkill_during_an_incremental_update(reference: dict[str, Any], corpus: Path, tmp_path: Path) -> None:
    own_corpus = tmp_path / "corpus"
    shutil.copytree(corpus, own_corpus)  # copy2 keeps sizes and mtimes: the copy is "unchanged"
    index_dir = tmp_path / "index"
    shutil.copytree(reference["dir"], index_dir)
    assert build(own_corpus, index_dir).chunks_embedded == 0
    mutate(own_corpus)
    after_dir = tmp_path / "after"
    build(own_corpus, after_dir)
    after = {"snapshot": snapshot(after_dir), "counts": check_index(after_dir)}
    rng = random.Random(SEED)
    # Two interrupted runs in a row, each resuming the last one's work: the first is killed about
    # its first commit, the second at a random time.
    worker = start_worker(own_corpus, index_dir)
    wait_for(worker, "write 1")
    kill_after(worker, rng.uniform(0.0, 0.02))
    verify_after_crash(index_dir, reference, after)
    kill_after(start_worker(own_corpus, index_dir), rng.uniform(0.2, 0.6))
    verify_after_crash(index_dir, reference, after)
    report = build(own_corpus, index_dir)
    assert snapshot(index_dir) == after["snapshot"]
    check_index(index_dir)
    # Moved and unchanged articles were never embedded again, whatever the kills interrupted.
    known = {a[2] for a in reference["snapshot"]["articles"]}
    changed_chunks = sum(len(a[5]) for a in after["snapshot"]["articles"] if a[2] not in known)
    assert report.chunks_embedded <= changed_chunks
