"""Large-index benchmark: exact vs IVF-SQ8 FAISS indexes on synthetic clustered vectors (latency, recall, RAM)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.bench.procs import run_timed

if TYPE_CHECKING:
    import numpy as np

DIM = 384
CLUSTERS = 2000
"""Topics in the synthetic corpus; uniform random vectors would have no near neighbours at all."""
SPREAD = 1.0
"""Noise norm relative to a cluster centre: a chunk's cosine to its centre is about 0.7."""
BLOCK = 100_000
"""Vectors generated and added at a time, so the bench never holds two full copies."""
NPROBES = (4, 8, 16, 32, 64)
"""Probe counts swept for the recall/latency trade-off."""


@dataclass(frozen=True)
class Probe:
    """What a child process measured on one saved index."""

    rss_before_mb: float
    """Resident memory after imports, before loading the index."""
    rss_after_mb: float
    """Resident memory with the index loaded."""
    load_seconds: float
    """Time to read the index file."""
    latency: dict[int, list[float]]
    """Seconds per query for each nprobe (0 for an exact index)."""
    ids: dict[int, Any]
    """Top-10 ids per query for each nprobe."""
    default_nprobe: int
    """The nprobe the engine uses on this index (0 when exact)."""


@dataclass(frozen=True)
class VectorScale:
    """Exact against compressed at one size."""

    n: int
    """Vectors in the index."""
    trained_on: int
    """Vectors the IVF index was trained on (the size at which the indexer switches)."""
    nlist: int
    """Inverted lists."""
    flat: Probe
    """The exact index."""
    ivf: Probe
    """The IVF-SQ8 index."""
    recall: dict[int, float]
    """Mean recall@10 of the IVF index against exact search, per nprobe."""
    flat_file_mb: float
    """Size of the exact index file."""
    ivf_file_mb: float
    """Size of the IVF file."""
    build_seconds: float
    """Training plus adding, for the IVF index."""
    flat_at: dict[int, float] = field(default_factory=dict)
    """p50 milliseconds of exact search at smaller sizes (where EXACT_LIMIT should sit)."""


def rss_mb() -> float:
    """Current resident memory of this process (Linux /proc; peak RSS elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def clustered(n: int, seed: int = 0, *, stream: int = 0, block: int = BLOCK) -> Iterator[np.ndarray]:
    """Unit vectors around CLUSTERS random centres (fixed by `seed`), `block` rows at a time.

    Another `stream` draws other points around the same centres: queries on the corpus's topics.
    """
    import numpy as np

    centres = np.random.default_rng(seed).standard_normal((CLUSTERS, DIM), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    for number, start in enumerate(range(0, n, block)):
        rng = np.random.default_rng([seed, stream, number])
        m = min(block, n - start)
        rows = centres[rng.integers(0, CLUSTERS, m)]
        rows += rng.standard_normal((m, DIM), dtype=np.float32) * np.float32(SPREAD / DIM**0.5)
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        yield rows


def percentile_ms(seconds: Sequence[float], q: float) -> float:
    """The q-th percentile of durations, in milliseconds."""
    import numpy as np

    return float(np.percentile(np.asarray(seconds) * 1000, q)) if len(seconds) else float("nan")


def recall_at_10(found: Any, truth: Any) -> float:
    """Mean share of the exact top 10 found in the approximate top 10."""
    hits = [len(set(f[:10].tolist()) & set(t[:10].tolist())) / 10 for f, t in zip(found, truth, strict=True)]
    return statistics.fmean(hits) if hits else float("nan")


def _flat_latency(xb: Any, sizes: Sequence[int], queries: Any) -> dict[int, float]:
    """p50 ms of single-threaded exact search over the first m vectors, for each m."""
    import faiss

    out = {}
    faiss.omp_set_num_threads(1)
    try:
        for m in sizes:
            flat = faiss.IndexFlatIP(DIM)
            flat.add(xb[:m])
            times = []
            for q in queries[:40]:
                started = time.perf_counter()
                flat.search(q.reshape(1, -1), 50)
                times.append(time.perf_counter() - started)
            out[m] = percentile_ms(times, 50)
            del flat
    finally:
        faiss.omp_set_num_threads(os.cpu_count() or 1)
    return out


def build_pair(blocks: Iterator[np.ndarray], n: int, switch_at: int) -> tuple[Any, Any, float]:
    """(exact index, IVF index, IVF build seconds); the IVF index is trained on the first
    `switch_at` vectors, as the indexer does when it switches, and then grows."""
    import faiss
    import numpy as np

    from assistant.index import vectors

    flat = vectors.new_flat(DIM)
    start = 0
    for rows in blocks:
        flat.add_with_ids(rows, np.arange(start, start + len(rows), dtype="int64"))
        start += len(rows)
    xb = faiss.rev_swig_ptr(faiss.downcast_index(flat.index).get_xb(), n * DIM).reshape(n, DIM)  # a view, no copy
    ids = np.arange(n, dtype="int64")
    started = time.perf_counter()
    ivf = vectors.build_ivf(xb[:switch_at], ids[:switch_at])
    for lo in range(switch_at, n, BLOCK):
        ivf.add_with_ids(xb[lo : lo + BLOCK], ids[lo : lo + BLOCK])
    return flat, ivf, time.perf_counter() - started


def measure_vectors(n: int, workdir: Path, *, queries: int = 200, switch_at: int | None = None) -> VectorScale:
    """Build both indexes over n clustered vectors, save them, and probe each in a fresh process."""
    import faiss
    import numpy as np

    from assistant.index import vectors
    from assistant.index.indexer import BATCH_CHUNKS

    switch_at = min(n, switch_at or vectors.EXACT_LIMIT + BATCH_CHUNKS)
    flat, ivf, build_seconds = build_pair(clustered(n, seed=0), n, switch_at)
    query_rows = np.concatenate(list(clustered(queries, seed=0, stream=1)))
    _, truth = flat.search(query_rows, 10)
    xb = faiss.rev_swig_ptr(faiss.downcast_index(flat.index).get_xb(), n * DIM).reshape(n, DIM)
    flat_at = _flat_latency(xb, [m for m in (50_000, 100_000, 200_000) if m < n], query_rows)
    del xb
    folder = workdir / "scale"
    saved = {}
    for name, index in (("flat", flat), ("ivf", ivf)):
        (folder / name).mkdir(parents=True, exist_ok=True)
        saved[name] = vectors.save(index, folder / name, 1)
    nlist = faiss.extract_index_ivf(ivf).nlist
    del flat, ivf
    np.save(folder / "queries.npy", query_rows)
    flat_probe = probe_in_child(folder / "flat", folder / "queries.npy", workdir)
    ivf_probe = probe_in_child(folder / "ivf", folder / "queries.npy", workdir)
    recall = {p: recall_at_10(ids, truth) for p, ids in ivf_probe.ids.items()}
    sizes = {name: path.stat().st_size / 1e6 for name, path in saved.items()}
    for path in saved.values():
        path.unlink()
    return VectorScale(n, switch_at, nlist, flat_probe, ivf_probe, recall, sizes["flat"], sizes["ivf"], build_seconds, flat_at)


@dataclass(frozen=True)
class RealScale:
    """IVF against exact on real BBC vectors replicated with noise, queried with real questions."""

    n: int
    """Vectors in the index."""
    sources: int
    """Distinct real vectors they were copied from."""
    recall: dict[int, float]
    """Mean recall@10 per nprobe."""
    p50_ms: dict[int, float]
    """Median single-threaded latency per nprobe."""
    default_nprobe: int
    """The nprobe the engine would use."""


def real_vectors(index_dir: Path) -> np.ndarray:
    """Every chunk and sentence vector of a built index (float32 rows)."""
    import faiss
    import numpy as np

    from assistant.index import store
    from assistant.index import vectors

    db = store.connect(index_dir)
    try:
        generation = int(store.get_meta(db)["generation"])
        blobs = [row[0] for row in db.execute("SELECT vector FROM sentences")]
    finally:
        db.close()
    index = vectors.load(index_dir, generation)
    chunks = faiss.downcast_index(index.index).reconstruct_n(0, index.ntotal)
    sentences = np.frombuffer(b"".join(blobs), dtype=np.float16).reshape(len(blobs), -1).astype(np.float32)
    return np.concatenate([chunks, sentences])


def noisy_copies(source: np.ndarray, n: int, *, noise: float = 0.3, seed: int = 0) -> Iterator[np.ndarray]:
    """n unit vectors, each a random source row plus Gaussian noise of norm about `noise`."""
    import numpy as np

    for number, start in enumerate(range(0, n, BLOCK)):
        rng = np.random.default_rng([seed, number])
        m = min(BLOCK, n - start)
        rows = source[rng.integers(0, len(source), m)]
        rows = rows + rng.standard_normal(rows.shape, dtype=np.float32) * np.float32(noise / DIM**0.5)
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        yield rows


def measure_real(index_dir: Path, n: int, queries: np.ndarray, *, switch_at: int | None = None) -> RealScale:
    """Recall and latency of the IVF index over real vectors (in this process; RAM is measured on synthetic)."""
    import faiss
    import numpy as np

    from assistant.index import vectors
    from assistant.index.indexer import BATCH_CHUNKS

    source = real_vectors(index_dir)
    switch_at = min(n, switch_at or vectors.EXACT_LIMIT + BATCH_CHUNKS)
    flat, ivf, _ = build_pair(noisy_copies(source, n), n, switch_at)
    queries = np.ascontiguousarray(queries, dtype="float32")
    _, truth = flat.search(queries, 10)
    del flat
    ivf_only = faiss.extract_index_ivf(ivf)
    default = vectors.default_nprobe(ivf_only.nlist)
    recall, p50 = {}, {}
    faiss.omp_set_num_threads(1)  # one query at a time on one thread, as vectors.search runs it
    try:
        for p in sorted({default, *NPROBES}):
            ivf_only.nprobe = p
            times, found = [], []
            for q in queries:
                started = time.perf_counter()
                _, ids = ivf.search(q.reshape(1, -1), 50)
                times.append(time.perf_counter() - started)
                found.append(ids[0][:10])
            recall[p], p50[p] = recall_at_10(found, truth), percentile_ms(times, 50)
    finally:
        faiss.omp_set_num_threads(os.cpu_count() or 1)
    return RealScale(n, len(source), recall, p50, default)


def probe_in_child(index_dir: Path, queries: Path, workdir: Path) -> Probe:
    """Load one saved index in a fresh Python and time single queries there (as the engine runs them)."""
    import numpy as np

    out = index_dir / "probe.npz"
    run_timed([sys.executable, "-m", "assistant.bench.scale", str(index_dir), str(queries), str(out)], workdir)
    data = np.load(out)
    nprobes = [int(p) for p in data["nprobes"]]
    return Probe(
        float(data["rss_before"]),
        float(data["rss_after"]),
        float(data["load_seconds"]),
        {p: data[f"lat_{p}"].tolist() for p in nprobes},
        {p: data[f"ids_{p}"] for p in nprobes},
        int(data["default_nprobe"]),
    )


def _probe_main(index_dir: Path, queries: Path, out: Path) -> None:
    """Child side of probe_in_child: load, then query one vector at a time for each nprobe."""
    import faiss
    import numpy as np

    from assistant.index import vectors

    rows = np.load(queries)
    before = rss_mb()
    started = time.perf_counter()
    index = vectors.load(index_dir, 1)
    load_seconds = time.perf_counter() - started
    after = rss_mb()
    ivf = faiss.try_extract_index_ivf(index)
    default = int(ivf.nprobe) if ivf is not None else 0
    nprobes = sorted({default, *NPROBES}) if ivf is not None else [0]
    results: dict[str, Any] = {}
    for p in nprobes:
        if ivf is not None:
            ivf.nprobe = p
        for q in rows[:3]:
            vectors.search(index, q, 50)  # first queries page the lists in
        times, found = [], []
        for q in rows:
            t = time.perf_counter()
            _, ids = vectors.search(index, q, 50)
            times.append(time.perf_counter() - t)
            found.append(np.pad(ids[:10], (0, 10 - len(ids[:10])), constant_values=-1))
        results[f"lat_{p}"], results[f"ids_{p}"] = np.asarray(times), np.asarray(found)
    np.savez(out, nprobes=np.asarray(nprobes), rss_before=before, rss_after=after, load_seconds=load_seconds,
             default_nprobe=default, **results)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Child process of the scale benchmark: probe one saved index.")
    parser.add_argument("index_dir", type=Path)
    parser.add_argument("queries", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    _probe_main(args.index_dir, args.queries, args.out)
