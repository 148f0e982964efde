"""FAISS files on their own: ids are chunk ids, generations on disk, filtered search, the switch to IVF."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.index import vectors
from assistant.index.vectors import VectorError


def unit_rows(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(n, dim)).astype("float32")
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def flat_of(rows: np.ndarray, ids: list[int]) -> object:
    index = vectors.new_flat(rows.shape[1])
    index.add_with_ids(rows, np.array(ids, dtype="int64"))
    return index


def test_search_ranks_by_inner_product_and_returns_chunk_ids() -> None:
    rows = unit_rows(20)
    ids = list(range(100, 120))
    scores, found = vectors.search(flat_of(rows, ids), rows[7], k=3)
    assert found[0] == 107 and scores[0] == pytest.approx(1.0, abs=1e-5)
    assert list(scores) == sorted(scores, reverse=True) and len(found) == 3
    assert vectors.stored_ids(flat_of(rows, ids)).tolist() == ids


def test_allowed_ids_restrict_the_search_before_ranking() -> None:
    rows = unit_rows(20)
    index = flat_of(rows, list(range(20)))
    scores, found = vectors.search(index, rows[7], k=5, allowed=np.array([3, 4, 5]))
    assert set(found.tolist()) == {3, 4, 5} and 7 not in found
    empty = vectors.search(index, rows[7], k=5, allowed=np.array([], dtype="int64"))
    assert [len(part) for part in empty] == [0, 0]
    assert [len(part) for part in vectors.search(vectors.new_flat(16), rows[0], k=5)] == [0, 0]


def test_k_larger_than_the_index_returns_every_vector_once() -> None:
    rows = unit_rows(4)
    _, found = vectors.search(flat_of(rows, [1, 2, 3, 4]), rows[0], k=50)
    assert sorted(found.tolist()) == [1, 2, 3, 4]


def test_generations_are_saved_loaded_and_cleaned_up(tmp_path: Path) -> None:
    rows = unit_rows(5)
    for generation in (1, 2, 3):
        path = vectors.save(flat_of(rows[:generation], list(range(generation))), tmp_path, generation)
        assert path == vectors.vector_path(tmp_path, generation) == tmp_path / f"vectors-{generation}.faiss"
    (tmp_path / "vectors-3.faiss.0123456789abcdef.tmp").write_bytes(b"half written")
    (tmp_path / "vectors-notes.txt").write_text("not ours")
    assert vectors.newest_on_disk(tmp_path) == 3
    assert vectors.load(tmp_path, 2).ntotal == 2
    vectors.cleanup(tmp_path, keep={3})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vectors-3.faiss", "vectors-notes.txt"]
    assert vectors.stored_ids(vectors.load(tmp_path, 3, mmap=True)).tolist() == [0, 1, 2]
    assert vectors.newest_on_disk(tmp_path / "nothing-here") == 0


@pytest.mark.parametrize("make", ["missing", "garbage", "link"])
def test_an_unusable_vector_file_is_a_vector_error_that_says_rebuild(tmp_path: Path, make: str) -> None:
    path = vectors.vector_path(tmp_path, 1)
    if make == "garbage":
        path.write_bytes(b"\x00" * 100)
    elif make == "link":
        vectors.save(vectors.new_flat(4), tmp_path, 2)
        path.symlink_to(vectors.vector_path(tmp_path, 2))
    with pytest.raises(VectorError, match="rebuild") as caught:
        vectors.load(tmp_path, 1)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_a_large_flat_index_becomes_ivf_once_with_the_same_ids() -> None:
    rows = unit_rows(800, seed=3)
    ids = list(range(1000, 1800))
    flat = flat_of(rows, ids)
    assert vectors.compress_if_large(flat, limit=1000) is flat
    ivf = vectors.compress_if_large(flat, limit=500)
    assert (vectors.kind(flat), vectors.kind(ivf)) == ("flat", "ivf-sq8")
    assert vectors.stored_ids(ivf).tolist() == ids
    assert vectors.compress_if_large(ivf, limit=10) is ivf
    _, found = vectors.search(ivf, rows[42], k=1)
    assert found.tolist() == [1042]


def test_ivf_sizes_grow_with_the_corpus_within_bounds() -> None:
    assert vectors.default_nlist(10) == 1
    assert vectors.default_nlist(200_000) == 894
    assert vectors.default_nlist(10**10) == 16384
    for nlist in (1, 100, 894, 16384):
        assert 1 <= vectors.default_nprobe(nlist) <= nlist
    assert vectors.default_nprobe(16384) == 256
