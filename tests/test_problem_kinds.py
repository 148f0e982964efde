"""Problems carry a kind set where they are found, so code never reads their wording."""

from __future__ import annotations

import os
from pathlib import Path

from assistant.corpus.discovery import discover_files
from assistant.corpus.stream import load_file
from assistant.index.reconcile import _transient
from assistant.models import LoadProblem


def kinds_of(root: Path, name: str, data: bytes, **limits: int) -> list[str]:
    (root / name).write_bytes(data)
    return [p.kind for p in load_file(root, root / name, **limits).problems]


def test_each_loader_problem_names_its_kind(tmp_path: Path) -> None:
    assert kinds_of(tmp_path, "b.txt", b"\x00\x01\x02binary\x00" * 50) == ["binary"]
    assert kinds_of(tmp_path, "e.txt", b"   \n\n") == ["empty"]
    assert kinds_of(tmp_path, "big.txt", b"word " * 100, max_bytes=100) == ["too-large"]
    assert kinds_of(tmp_path, "w.jsonl", b'{"text": "fine"}\nnot json\n{"title": "no text"}\n') == ["malformed", "empty"]
    assert kinds_of(tmp_path, "c.txt", "Title\n\nCaf\xe9 society, then more words.".encode("cp1252")) == ["decoding"]
    gone = load_file(tmp_path, tmp_path / "missing.txt").problems
    assert [p.kind for p in gone] == ["unreadable"] and _transient(gone[0])


def test_discovery_problems_name_their_kind(tmp_path: Path) -> None:
    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    corpus.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("Secret\n\nNot for the corpus.")
    (corpus / "link.txt").symlink_to(outside / "secret.txt")
    os.mkfifo(corpus / "pipe.txt")
    problems: list[LoadProblem] = []
    assert list(discover_files(corpus, on_problem=problems.append)) == []
    assert sorted((p.path, p.kind) for p in problems) == [("link.txt", "symlink"), ("pipe.txt", "special-file")]
    assert [p.kind for p in problems if _transient(p)] == ["special-file"]
    missing: list[LoadProblem] = []
    assert list(discover_files(tmp_path / "nowhere", on_problem=missing.append)) == []
    assert [p.kind for p in missing] == ["missing"]


def test_bad_content_is_not_transient_whatever_its_wording() -> None:
    # The wording of a message no longer decides anything: only the kind does.
    assert not _transient(LoadProblem("a.txt", "cannot read this article's odd markup", kind="malformed"))
    assert _transient(LoadProblem("a.txt", "permission denied", kind="unreadable"))
