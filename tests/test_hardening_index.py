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
from test_indexer import article, build, check_index, generation, snapshot, write

from assistant import store, vectors
from assistant.cli import main
from assistant.embedding import HashEmbedder, OnBatch
from assistant.engine import Engine, EngineError

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
