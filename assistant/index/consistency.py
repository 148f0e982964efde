"""Checks on an index folder that both the indexer and the engine make: SQLite and FAISS agree, size on disk."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from assistant.errors import VectorError
from assistant.index import store
from assistant.index.vectors import stored_ids


def check_consistency(db: Any, index: Any, index_dir: Path) -> None:
    """Chunk ids in SQLite must equal the ids in FAISS; otherwise a clear error."""
    import numpy as np

    sql_ids = np.asarray(store.all_chunk_ids(db), dtype="int64")
    faiss_ids = stored_ids(index)
    if len(sql_ids) != len(faiss_ids) or not np.array_equal(sql_ids, faiss_ids):
        raise VectorError(
            f"index {index_dir} is inconsistent ({len(sql_ids)} chunks in SQLite, {len(faiss_ids)} vectors in FAISS); "
            "rebuild it with `assistant index --rebuild`"
        )


def index_size(index_dir: Path) -> int:
    """Bytes on disk of the index files (links are not followed)."""
    total = 0
    for entry in os.scandir(index_dir):
        if entry.is_file(follow_symlinks=False):
            total += entry.stat(follow_symlinks=False).st_size
    return total
