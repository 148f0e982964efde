"""The FAISS half of an index: chunk vectors keyed by chunk row id, saved atomically per generation."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import VectorError
from assistant.index import store
from assistant.safe_files import create_new

if TYPE_CHECKING:
    import numpy as np

FILE_RE = re.compile(r"^vectors-(\d+)\.faiss$")
TEMP_RE = re.compile(r"^vectors-\d+\.faiss(?:\.[0-9a-f]{16})?\.tmp$")
"""Temp files of `save` (and the fixed `.tmp` name older versions used): the only temp files cleaned up."""
_FAISS_PREFIX = re.compile(r"^Error in .*? at \S+?:\d+: (?:Error: )?")
EXACT_LIMIT = 100_000
"""Up to this many vectors the index is exact (flat); above it, a compressed IVF index.

Measured single-threaded (docs/benchmarks.md): exact search costs 5-8 ms per 100k vectors (about
50 ms at 1M); IVF-SQ8 trained at the switch answers in about 1 ms at 1M with recall@10 near 0.97.
A BBC-sized query takes 13 ms, so past 100k exact vectors it would leave the 20 ms budget.
"""



class FlatVectors:
    """A flat FAISS file read with numpy, for searching only: importing faiss would cost a cold `ask` more
    than reading the file and searching it (issue 17). `search` ranks as FAISS does, to the last bit."""

    def __init__(self, matrix: np.ndarray, ids: np.ndarray, largest_norm: float) -> None:
        self._rows: np.ndarray | None = matrix
        self._columns: np.ndarray | None = None
        self._searches = 0
        self.ids = ids
        """(ntotal,) int64 chunk ids, one per row."""
        self.largest_norm = largest_norm
        """The longest row's length: bounds the rounding error of a matrix product (see `_flat_search`)."""

    @property
    def matrix(self) -> np.ndarray:
        """(ntotal, d) float32 rows, in the file's order (a view of `columns()` once that is made)."""
        return self._columns.T if self._columns is not None else self._rows  # type: ignore[return-value]

    def columns(self) -> np.ndarray | None:
        """The rows as the columns of a (d, ntotal) C-order matrix, made at the second search (a one-question
        process never pays the copy, 12 ms for BBC) and kept instead of the rows; None before. A BLAS product
        with the query reads it in the order memory holds it: 2.0 -> 0.7 ms for BBC's 13,530 chunks."""
        if self._columns is None:
            import numpy as np

            self._searches += 1
            if self._searches < 2 or self._rows is None:
                return None
            rows = self._rows
            columns = np.empty((rows.shape[1], rows.shape[0]), dtype=np.float32)
            for start in range(0, len(rows), _TRANSPOSE_ROWS):  # in blocks: one whole transpose copy is slower (cache misses)
                columns[:, start : start + _TRANSPOSE_ROWS] = rows[start : start + _TRANSPOSE_ROWS].T
            self._columns, self._rows = columns, None
        return self._columns

    @property
    def d(self) -> int:
        return int(self.matrix.shape[1])

    @property
    def ntotal(self) -> int:
        return int(self.matrix.shape[0])


_TRANSPOSE_ROWS = 1024


_HEADER = struct.Struct("<4siqqq?i")
"""FAISS's index header: fourcc, d, ntotal, two unused int64s, is_trained, metric (write_index_header)."""
_SIMD_LANES = 8
"""FAISS (AVX2 build) sums an inner product in 8 lanes of float32 products, then halves them: see `faiss_dot`."""


def vector_path(index_dir: Path, generation: int) -> Path:
    """The FAISS file of one generation."""
    return index_dir / f"vectors-{generation}.faiss"


def new_flat(dim: int) -> Any:
    """An empty exact inner-product index whose ids are chunk row ids."""
    import faiss  # 0.1 s; only where vectors are touched

    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def build_ivf(vectors: np.ndarray, ids: np.ndarray, *, nlist: int | None = None) -> Any:
    """A compressed (8-bit scalar quantised) IVF index trained on `vectors`, for large corpora."""
    import faiss
    import numpy as np

    n, dim = vectors.shape
    nlist = nlist or default_nlist(n)
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    # At least 39 points per centroid, or FAISS prints a warning on stderr (over the TUI).
    sample = vectors[np.random.default_rng(0).choice(n, size=min(n, nlist * 40), replace=False)]
    index.train(np.ascontiguousarray(sample, dtype="float32"))
    index.add_with_ids(np.ascontiguousarray(vectors, dtype="float32"), np.ascontiguousarray(ids, dtype="int64"))
    index.nprobe = default_nprobe(nlist)
    return index


def default_nlist(n: int) -> int:
    """Inverted lists for an index trained on n vectors: 2 sqrt(n) (894 at 200k), at most n / 39.

    The index is trained once, at the switch, and keeps growing: at 1M vectors each list holds about
    1,100 vectors and a query with 16 probes scans 18k 8-bit codes (under 1 ms); more lists cost
    training time without buying recall (measured in the benchmark).
    """
    return max(1, min(int(2 * n**0.5), n // 39, 16384))


def default_nprobe(nlist: int) -> int:
    """Probes that keep recall@10 above 0.95 against exact search (measured in the benchmark)."""
    return min(nlist, max(16, nlist // 64))


def compress_if_large(index: Any, limit: int | None = None) -> Any:
    """`index` itself, or an IVF copy of it once a flat index holds more than `limit` vectors.

    An IVF index stays IVF (new vectors are added to its trained lists), so the switch happens once.
    """
    import faiss

    limit = EXACT_LIMIT if limit is None else limit
    if index.ntotal <= limit or kind(index) != "flat":
        return index
    flat = faiss.downcast_index(index.index)
    matrix = flat.reconstruct_n(0, index.ntotal)
    ids = faiss.vector_to_array(index.id_map)
    return build_ivf(matrix, ids)


def kind(index: Any) -> str:
    """A short name of the index type ('flat' or 'ivf-sq8')."""
    if isinstance(index, FlatVectors):
        return "flat"
    import faiss

    return "ivf-sq8" if isinstance(faiss.try_extract_index_ivf(index), faiss.IndexIVF) else "flat"


def stored_ids(index: Any) -> np.ndarray:
    """All ids in the index, sorted."""
    import numpy as np

    if isinstance(index, FlatVectors):
        return np.sort(index.ids)
    import faiss

    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        invlists = ivf.invlists
        parts = [
            faiss.rev_swig_ptr(invlists.get_ids(i), invlists.list_size(i)).copy()
            for i in range(invlists.nlist)
            if invlists.list_size(i)
        ]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype="int64")
    return np.sort(faiss.vector_to_array(index.id_map))


def _regular_file(path: Path) -> None:
    """A missing or non-regular vector file is a VectorError that says to rebuild."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise VectorError(f"{path} is missing; rebuild with `assistant index --rebuild`") from None
    if not stat.S_ISREG(info.st_mode):
        # A planted link (to /dev/zero, to someone's file) is never read as the index's vectors.
        what = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "something else"
        raise VectorError(f"{path} is not a regular file ({what}); rebuild with `assistant index --rebuild`")


def load_for_search(index_dir: Path, generation: int) -> Any:
    """One generation's vectors for searching: a flat file of up to EXACT_LIMIT vectors is read with numpy
    (a FlatVectors), anything else with FAISS (`load`). Both answer `search`, `stored_ids`, `kind`, `.d`."""
    path = vector_path(index_dir, generation)
    _regular_file(path)
    flat = read_flat(path)
    return flat if flat is not None else load(index_dir, generation)


def read_flat(path: Path, limit: int = EXACT_LIMIT) -> FlatVectors | None:
    """The vectors of a FAISS file holding an IndexIDMap2 over an IndexFlatIP of at most `limit` rows whose
    size is a multiple of 8 (what the indexer writes below the switch), read with numpy; None for any other
    file, which FAISS itself then reads (and reports on, when it is damaged)."""
    import numpy as np

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with open(fd, "rb", buffering=0) as f:
        head = f.read(2 * _HEADER.size + 8)
        if len(head) != 2 * _HEADER.size + 8:
            return None
        outer = _HEADER.unpack_from(head, 0)
        inner = _HEADER.unpack_from(head, _HEADER.size)
        (floats,) = struct.unpack_from("<Q", head, 2 * _HEADER.size)
        dim, n = outer[1], outer[2]
        # metric 0 is METRIC_INNER_PRODUCT; a metric above 1 would add a field this reader does not expect.
        if (outer[0], outer[5:], inner[0], inner[1:3], inner[5:]) != (b"IxM2", (True, 0), b"IxFI", (dim, n), (True, 0)):
            return None
        if not (0 < dim and dim % _SIMD_LANES == 0 and 0 <= n <= limit and floats == n * dim):
            return None
        if os.fstat(fd).st_size != len(head) + 4 * n * dim + 8 + 8 * n:
            return None
        matrix = np.empty((n, dim), dtype="<f4")
        count = np.empty(1, dtype="<u8")
        ids = np.empty(n, dtype="<i8")
        for part in (matrix, count, ids):
            view = memoryview(part.reshape(-1).view("u1")) if part.size else memoryview(b"")
            while view:
                got = f.readinto(view)
                if not got:
                    return None
                view = view[got:]
    if int(count[0]) != n:
        return None
    largest = float(np.sqrt(np.einsum("ij,ij->i", matrix, matrix).max())) if n else 0.0
    return FlatVectors(matrix.astype(np.float32, copy=False), ids.astype(np.int64, copy=False), largest)


class _BlasThreads:
    """Numpy's OpenBLAS run on one thread for a while (found in the wheel's numpy.libs; not found, no BLAS
    is used). Its threads would otherwise spin beside the SQLite work of the question, on the same cores."""

    def __init__(self) -> None:
        self.setter: Any = None
        self.getter: Any = None
        try:
            import ctypes
            import glob

            import numpy as np

            for path in sorted(glob.glob(os.path.join(os.path.dirname(np.__file__) + ".libs", "*openblas*.so*"))):
                lib = ctypes.CDLL(path)
                for name in ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_", "openblas_set_num_threads"):
                    getter = name.replace("_set_", "_get_")
                    if hasattr(lib, name) and hasattr(lib, getter):
                        self.setter, self.getter = getattr(lib, name), getattr(lib, getter)
                        self.setter.argtypes, self.getter.restype = [ctypes.c_int], ctypes.c_int
                        return
        except (OSError, AttributeError, ImportError):
            self.setter = self.getter = None

    @contextlib.contextmanager
    def one(self) -> Iterator[None]:
        before = self.getter()
        self.setter(1)
        try:
            yield
        finally:
            self.setter(before)


_BLAS: _BlasThreads | None = None


def _blas() -> _BlasThreads:
    global _BLAS
    if _BLAS is None:
        _BLAS = _BlasThreads()
    return _BLAS


def faiss_dot(rows: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Inner products of float32 `rows` with `query`, rounded exactly as FAISS's AVX2 `fvec_inner_product`
    rounds them: products summed in 8 lanes in order, then the lanes folded in halves (8 -> 4 -> 2 -> 1).
    Checked bit for bit against FAISS in tests/test_vectors_numpy.py. (FAISS on an AVX-512 or ARM build sums
    otherwise, so there the last bits may differ from its own.)"""
    import numpy as np

    products = (rows * query).reshape(len(rows), -1, _SIMD_LANES)
    lanes = products[:, 0, :].copy()
    for step in range(1, products.shape[1]):
        lanes += products[:, step, :]
    width = _SIMD_LANES
    while width > 1:
        width //= 2
        lanes = lanes[:, :width] + lanes[:, width : 2 * width]
    return lanes[:, 0].astype(np.float32, copy=False)


def _flat_search(flat: FlatVectors, query: np.ndarray, k: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """FAISS's flat inner-product search (one thread, k < 100), in numpy: the same ids, order and scores.

    A plain sum of products ranks every row (its rounding differs from FAISS's in the last bits); every
    row that could be in FAISS's top k (within twice the rounding bound of the k-th best) is scored again
    as FAISS scores it. FAISS keeps a heap: rows scoring above the k-th best are all in it, and among rows
    tied at the k-th best score (duplicate chunks) the heap's history decides (`_tied_survivors`); it
    lists the result by score, equal scores last row first. (From k = 100 FAISS collects results another
    way, whose order among equal scores this does not copy; the engine asks for 50.)"""
    import numpy as np

    rows = np.arange(flat.ntotal)
    matrix = flat.matrix
    if allowed is not None:
        rows = np.flatnonzero(np.isin(flat.ids, np.asarray(allowed, dtype="int64")))
        matrix = matrix[rows]
    if len(rows) == 0 or k <= 0:
        return np.zeros(0, dtype="float32"), np.zeros(0, dtype="int64")
    query = np.ascontiguousarray(query.reshape(-1), dtype="float32")
    columns = flat.columns() if allowed is None and _blas().setter is not None else None
    if columns is not None:
        with _blas().one():  # one thread, like FAISS's search (BLAS threads stall on a busy machine)
            approx = query @ columns
    else:
        approx = np.einsum("ij,j->i", matrix, query)
    k = min(k, len(rows))
    kth = np.partition(approx, len(approx) - k)[len(approx) - k]
    # Any float32 sum of d products is within d * 2^-24 * |row| * |query| (to first order) of the exact
    # inner product, so the two sums differ by at most twice that, and a row in FAISS's top k scores at
    # least kth - 4 * that here; the margin is rounded up.
    margin = 4.5 * flat.d * 2.0**-24 * flat.largest_norm * float(np.sqrt(np.dot(query, query)))
    near = np.flatnonzero(approx >= kth - margin)
    exact = faiss_dot(matrix[near], query)
    last = np.partition(exact, len(exact) - k)[len(exact) - k]
    above, tied = near[exact > last], near[exact == last]
    if len(above) + len(tied) > k:
        tied = _tied_survivors(above, tied, k)
    kept = np.concatenate([above, tied])
    scores = np.concatenate([exact[exact > last], np.full(len(tied), last, dtype=np.float32)])
    order = np.lexsort((-kept, -scores))
    return scores[order], flat.ids[rows[kept[order]]]


def _tied_survivors(above: np.ndarray, tied: np.ndarray, k: int) -> np.ndarray:
    """Which rows tied at the k-th best score FAISS's heap keeps, given the rows scoring above it.

    Rows arrive in order. A tied row enters only while the heap holds fewer than k rows scoring at least
    the tie (an equal score does not beat the heap's minimum); a row scoring above it that arrives when
    the heap holds k such rows pushes out the tied row with the lowest row number (the heap orders equal
    scores by row)."""
    inside: list[int] = []
    seen_above = 0
    events = sorted([(int(r), True) for r in above] + [(int(r), False) for r in tied])
    for row, is_above in events:
        if is_above:
            if seen_above + len(inside) >= k:
                inside.pop(0)
            seen_above += 1
        elif seen_above + len(inside) < k:
            inside.append(row)
    import numpy as np

    return np.asarray(inside, dtype=np.int64)


def load(index_dir: Path, generation: int, *, mmap: bool = False) -> Any:
    """Read one generation's FAISS file; a missing, unreadable or non-regular file is a VectorError."""
    import faiss

    path = vector_path(index_dir, generation)
    _regular_file(path)
    try:
        flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if mmap else 0
        index = faiss.read_index(str(path), flags)
    except (RuntimeError, MemoryError) as exc:  # FAISS turns C++ exceptions (bad_alloc too) into these
        raise VectorError(f"{path} is corrupt ({_faiss_reason(exc)}); rebuild with `assistant index --rebuild`") from exc
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        # The file keeps the nprobe it was saved with; the current policy wins, so a re-tuned
        # default reaches old indexes without a rebuild.
        ivf.nprobe = default_nprobe(ivf.nlist)
    return index


def _faiss_reason(exc: BaseException) -> str:
    """The useful end of a FAISS error, without the C++ signature and source line that open it."""
    lines = str(exc).strip().splitlines()
    first = lines[0] if lines else type(exc).__name__
    # 'Error in void faiss::read_index_header(...) at /x/index_read.cpp:285: Error: 'ret == (1)' failed: ...'
    reason = _FAISS_PREFIX.sub("", first) or first
    return reason if len(reason) <= 160 else reason[:157] + "..."


def save(index: Any, index_dir: Path, generation: int, *, mode: int | None = None) -> Path:
    """Write a generation's file atomically: a new temp file, fsync, rename, fsync the folder.

    The temp file gets a fresh random name created with O_EXCL | O_NOFOLLOW and FAISS writes into
    that descriptor, never by path: a link planted in the index folder (`vectors-N.faiss.tmp ->
    ~/.bashrc`) is never written through, and the rename replaces a link at the final name
    instead of following it. `mode` is the file's permission (0o600 for a private corpus; by
    default what the umask leaves of 0o666, as for any new file).
    """
    import faiss

    final = vector_path(index_dir, generation)
    temp = final.with_name(f"{final.name}.{secrets.token_hex(8)}.tmp")
    try:
        fd = create_new(temp, store.new_file_mode() if mode is None else mode)
    except OSError as exc:
        raise OSError(f"cannot write {final.name}: {exc.strerror or exc}") from None
    try:
        try:
            faiss.write_index(index, faiss.PyCallbackIOWriter(lambda data: _write_all(fd, data)))
            os.fsync(fd)
        finally:
            os.close(fd)
    except (RuntimeError, OSError) as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        full = getattr(exc, "errno", None) == errno.ENOSPC or "No space" in str(exc)
        if full or store.disk_full(index_dir, margin=1024 * 1024):
            reason = "No space left on device"
        elif isinstance(exc, OSError):
            reason = exc.strerror or str(exc)
        else:
            reason = _reason(exc)
        raise OSError(f"cannot write {final.name}: {reason}") from None
    os.replace(temp, final)
    fsync_dir(index_dir)
    return final


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _reason(exc: Exception) -> str:
    """The last line of a FAISS error (its C++ location lines are no use to a reader)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1][:200] if lines else type(exc).__name__


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def cleanup(index_dir: Path, keep: set[int]) -> None:
    """Delete vector files of other generations and leftover temp files (only names `save` makes)."""
    for path in index_dir.glob("vectors-*"):
        match = FILE_RE.match(path.name)
        if TEMP_RE.match(path.name) or (match and int(match.group(1)) not in keep):
            try:
                path.unlink()  # a planted link is removed, its target untouched
            except OSError:
                pass


def newest_on_disk(index_dir: Path) -> int:
    """The highest generation number of a vector file in the folder (0 when there is none)."""
    found = [int(m.group(1)) for p in index_dir.glob("vectors-*") if (m := FILE_RE.match(p.name))]
    return max(found, default=0)


_THREADS_SET = False


def _single_thread() -> None:
    """One query at a time is fastest on one thread: OpenMP start-up costs more than it saves
    (7 ms per query on 2 cores, against 0.1 ms)."""
    global _THREADS_SET
    if not _THREADS_SET:
        import faiss

        faiss.omp_set_num_threads(1)
        _THREADS_SET = True


def search(index: Any, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (scores, ids) for one query vector; `allowed` restricts the search to those ids before ranking."""
    if isinstance(index, FlatVectors):
        return _flat_search(index, query, k, allowed)
    import faiss
    import numpy as np

    _single_thread()
    if index.ntotal == 0 or k <= 0 or (allowed is not None and len(allowed) == 0):
        return np.zeros(0, dtype="float32"), np.zeros(0, dtype="int64")
    query = np.ascontiguousarray(query.reshape(1, -1), dtype="float32")
    k = min(k, index.ntotal)
    if allowed is None:
        scores, ids = index.search(query, k)
    else:
        selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype="int64"))
        ivf = faiss.try_extract_index_ivf(index)
        params = (
            faiss.SearchParametersIVF(sel=selector, nprobe=ivf.nprobe) if ivf is not None else faiss.SearchParameters(sel=selector)
        )
        scores, ids = index.search(query, k, params=params)
    keep = ids[0] >= 0
    return scores[0][keep], ids[0][keep]
