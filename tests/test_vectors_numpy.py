"""Flat vector files read and searched with numpy (issue 17: a cold `ask` without importing faiss): the
same ids, order and scores as FAISS itself, to the last bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.index import vectors
from assistant.index.vectors import FlatVectors, VectorError


def faiss_sums_in_avx2() -> bool:
    """FlatVectors sums as FAISS's AVX2 kernels do; FAISS on another SIMD level rounds differently."""
    import faiss

    config = getattr(faiss, "SIMDConfig", None)
    return config is None or config.get_level_name() == "AVX2"


bit_for_bit = pytest.mark.skipif(not faiss_sums_in_avx2(), reason="FAISS dispatches another SIMD level here")


def rows_with_duplicates(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    """Unit rows where about a third repeat an earlier row (duplicate articles give equal scores)."""
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(n, dim)).astype("float32")
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    copies = rng.choice(n, size=n // 3, replace=False)
    rows[copies] = rows[rng.integers(0, n, size=len(copies))]
    return rows


def saved(tmp_path: Path, rows: np.ndarray, ids: np.ndarray, generation: int = 1) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    index = vectors.new_flat(rows.shape[1])
    index.add_with_ids(rows, ids)
    vectors.save(index, tmp_path, generation)
    return tmp_path


def test_a_flat_file_is_read_with_numpy_and_holds_what_faiss_reads(tmp_path: Path) -> None:
    rows = rows_with_duplicates(300)
    ids = np.arange(1000, 1300, dtype="int64")[::-1].copy()  # ids need not follow the rows
    saved(tmp_path, rows, ids)
    flat = vectors.load_for_search(tmp_path, 1)
    assert isinstance(flat, FlatVectors) and (flat.ntotal, flat.d) == (300, 32)
    assert np.array_equal(flat.matrix, rows) and np.array_equal(flat.ids, ids)
    assert vectors.kind(flat) == "flat"
    assert np.array_equal(vectors.stored_ids(flat), vectors.stored_ids(vectors.load(tmp_path, 1)))
    first = vectors.search(flat, rows[5], 10)
    assert flat.columns() is not None or vectors._blas().setter is None  # from the second search on: the column layout
    assert np.array_equal(flat.matrix, rows) and flat.matrix.shape == (300, 32)
    again = vectors.search(flat, rows[5], 10)
    assert np.array_equal(first[1], again[1]) and np.array_equal(first[0], again[0])


@bit_for_bit
def test_search_matches_faiss_ids_order_and_scores_bit_for_bit(tmp_path: Path) -> None:
    rows = rows_with_duplicates(2000, dim=64, seed=1)
    ids = np.arange(2000, dtype="int64") * 3 + 7
    saved(tmp_path, rows, ids)
    flat, index = vectors.load_for_search(tmp_path, 1), vectors.load(tmp_path, 1)
    rng = np.random.default_rng(2)
    for trial in range(300):
        if trial % 3 == 0:
            query = rows[rng.integers(0, len(rows))]  # ties at the k-th score: its duplicates
        else:
            query = rows[rng.integers(0, len(rows))] + 0.5 * rng.normal(size=64).astype("float32")
        k = int(rng.choice([1, 2, 3, 5, 10, 50, 99]))
        allowed = rng.choice(ids, size=int(rng.integers(1, 600)), replace=False) if trial % 2 else None
        got, want = vectors.search(flat, query, k, allowed), vectors.search(index, query, k, allowed)
        assert np.array_equal(got[1], want[1]), (trial, k)
        assert np.array_equal(got[0], want[0]), (trial, k)


@bit_for_bit
def test_faiss_dot_rounds_as_faiss() -> None:
    import faiss

    rows = rows_with_duplicates(500, dim=384, seed=4)
    query = rows[3] * 0.7 + rows[9] * 0.3
    index = faiss.IndexFlatIP(384)
    index.add(rows)
    scores, found = index.search(query[None], 500)
    expected = np.empty(500, dtype="float32")
    expected[found[0]] = scores[0]
    assert np.array_equal(vectors.faiss_dot(rows, query), expected)


def test_other_files_are_left_to_faiss(tmp_path: Path) -> None:
    rows = rows_with_duplicates(800, dim=16, seed=3)
    ivf = vectors.build_ivf(rows, np.arange(800, dtype="int64"), nlist=4)
    vectors.save(ivf, tmp_path, 1)
    assert vectors.kind(vectors.load_for_search(tmp_path, 1)) == "ivf-sq8"
    odd = saved(tmp_path / "odd", rows_with_duplicates(10, dim=12), np.arange(10, dtype="int64"))
    assert not isinstance(vectors.load_for_search(odd, 1), FlatVectors)  # 12 dims: not 8 lanes of FAISS's sum
    big = saved(tmp_path / "big", rows[:50], np.arange(50, dtype="int64"))
    assert vectors.read_flat(vectors.vector_path(big, 1), limit=49) is None
    assert isinstance(vectors.read_flat(vectors.vector_path(big, 1), limit=50), FlatVectors)
    whole = vectors.vector_path(big, 1).read_bytes()
    cut = tmp_path / "cut.faiss"
    cut.write_bytes(whole[:-8])
    assert vectors.read_flat(cut) is None
    empty = saved(tmp_path / "empty", np.zeros((0, 16), dtype="float32"), np.zeros(0, dtype="int64"))
    flat = vectors.load_for_search(empty, 1)
    assert flat.ntotal == 0 and [len(part) for part in vectors.search(flat, rows[0], 5)] == [0, 0]


@pytest.mark.parametrize("make", ["missing", "garbage", "truncated", "link"])
def test_an_unusable_file_is_still_a_vector_error_that_says_rebuild(tmp_path: Path, make: str) -> None:
    path = vectors.vector_path(tmp_path, 1)
    if make == "garbage":
        path.write_bytes(b"\x00" * 100)
    elif make == "truncated":
        saved(tmp_path / "whole", rows_with_duplicates(20, dim=16), np.arange(20, dtype="int64"))
        path.write_bytes(vectors.vector_path(tmp_path / "whole", 1).read_bytes()[:-100])
    elif make == "link":
        saved(tmp_path, rows_with_duplicates(5, dim=16), np.arange(5, dtype="int64"), generation=2)
        path.symlink_to(vectors.vector_path(tmp_path, 2))
    with pytest.raises(VectorError, match="rebuild") as caught:
        vectors.load_for_search(tmp_path, 1)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)
