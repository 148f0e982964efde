"""The corpus side of an index update: file paths as the index names them, and which files changed (stat only)."""

from __future__ import annotations

import os
from pathlib import Path

from assistant.corpus.loaders import discover_files
from assistant.errors import StoreError
from assistant.index import store


def relative(root: Path, path: Path) -> str:
    """`path` as the index names it: relative to the corpus folder, with forward slashes."""
    return Path(os.path.relpath(path, root)).as_posix()


def unchanged(recorded: tuple[int, int, str] | None, st: os.stat_result) -> bool:
    """True when a file's size and modification time are those recorded when it was indexed.

    The one comparison behind both an indexing run's skip and is_stale: they must never disagree.
    """
    return bool(recorded) and recorded[0] == st.st_size and recorded[1] == st.st_mtime_ns


def is_stale(corpus: Path, index_dir: Path, *, follow_symlinks: bool = False) -> bool:
    """True when the index is missing or any corpus file was added, changed or removed (stat only)."""
    corpus = Path(os.path.abspath(corpus))
    try:
        db = store.connect(index_dir)
    except StoreError:
        return True
    try:
        known = store.stored_files(db)
        # Articles of a file without a row: a run stopped inside it, so the index is not up to date.
        if any(rel not in known for rel in store.article_paths(db)):
            return True
    finally:
        db.close()
    seen = 0
    for path in discover_files(corpus, follow_symlinks=follow_symlinks):
        try:
            st = path.stat()
        except OSError:
            continue
        if not unchanged(known.get(relative(corpus, path)), st):
            return True
        seen += 1
    return seen != len(known)
