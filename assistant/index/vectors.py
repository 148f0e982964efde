"""The FAISS half of an index: chunk vectors keyed by chunk row id, saved atomically per generation."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
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
    import faiss

    return "ivf-sq8" if isinstance(faiss.try_extract_index_ivf(index), faiss.IndexIVF) else "flat"


def stored_ids(index: Any) -> np.ndarray:
    """All ids in the index, sorted."""
    import faiss
    import numpy as np

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


def load(index_dir: Path, generation: int, *, mmap: bool = False) -> Any:
    """Read one generation's FAISS file; a missing, unreadable or non-regular file is a VectorError."""
    import faiss

    path = vector_path(index_dir, generation)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise VectorError(f"{path} is missing; rebuild with `assistant index --rebuild`") from None
    if not stat.S_ISREG(info.st_mode):
        # A planted link (to /dev/zero, to someone's file) is never read as the index's vectors.
        what = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "something else"
        raise VectorError(f"{path} is not a regular file ({what}); rebuild with `assistant index --rebuild`")
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
