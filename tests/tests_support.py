"""Corpus builders shared by several test files."""

from __future__ import annotations

from pathlib import Path


def write_corpus_with_problems(folder: Path) -> Path:
    """Two good articles, a JSONL with one bad line, and a binary and an empty file."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "good.txt").write_text("A good title\n\nThe river flooded the old town overnight.\n", encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    (folder / "empty.txt").write_text("", encoding="utf-8")
    (folder / "bad.jsonl").write_text('{"text": "Fire crews fought the blaze for hours.", "title": "Fire"}\n{not json\n',
                                      encoding="utf-8")
    (folder / "latin.txt").write_bytes("Caf\xe9 news\n\nThe caf\xe9 reopened on Monday.\n".encode("cp1252"))
    return folder
