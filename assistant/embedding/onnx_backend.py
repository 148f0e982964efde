"""The ONNX backends at run time: tokenizers + ONNX Runtime + numpy pooling, no torch (exports: onnx_export)."""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.embedding.base import OnBatch, encode_in_batches, model_identity, read_json, read_max_tokens, read_modules
from assistant.embedding.base import cache_component
from assistant.embedding.onnx_export import (
    FP32_FILE,
    INT8_FILE,
    ExportRecord,
    atomic_target,
    discard,
    export_dir,
    exported_file,
    is_intact,
    private_cache,
    record_checksum,
)
from assistant.embedding.pooling import SpanText, encoding_ranges, pool_batch
from assistant.embedding.tokens import load_tokenizer, pad, pad_id

if TYPE_CHECKING:
    import numpy as np


def _cpu_count() -> int:
    """CPUs this process may run on (affinity-aware where the OS says)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def open_session(path: Path, threads: int | None = None) -> Any:
    """An ONNX Runtime CPU session tuned for small batches on few cores and a low memory peak."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or _cpu_count()
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Measured at batch 8 on 1,000 passages: peak RSS 205 MB with the arena, 256-278 MB without
    # (malloc fragments across threads), and no speed difference; so keep it on.
    opts.enable_cpu_mem_arena = True
    opts.log_severity_level = 3  # errors only: ORT's warnings go straight to fd 2
    # Idle worker threads would otherwise busy-wait after each run and take the cores from the
    # SQLite and FAISS work that follows a question's encoding: warm ask p50 on BBC 66.7 -> 35.0 ms.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


class OnnxEmbedder:
    """Tokenizers + ONNX Runtime + numpy pooling; imports neither torch nor transformers."""

    def __init__(
        self, model_path: Path, session: Any, *, backend: str, onnx_path: Path, tokenizer: Any = None
    ) -> None:
        self.model_path = model_path
        self.onnx_path = onnx_path
        self.backend = backend
        self.model_name, self.dim = model_identity(model_path)
        self.max_tokens = read_max_tokens(model_path)
        self._session = session
        self._feeds = [i.name for i in session.get_inputs()]
        self._tokenizer = tokenizer if tokenizer is not None else load_tokenizer(model_path, self.max_tokens)
        self._pad_id = pad_id(model_path, self._tokenizer)

    def _run(self, encodings: Sequence[Any]) -> np.ndarray:
        """Mean-pool the token vectors over the attention mask, then L2-normalise (as sentence-transformers)."""
        import numpy as np

        arrays = pad(encodings, self._pad_id)
        (hidden,) = self._session.run(
            ["last_hidden_state"], {name: arrays[name] for name in self._feeds}
        )
        mask = arrays["attention_mask"][:, :, None].astype(np.float32)
        summed = (hidden * mask).sum(axis=1)
        pooled = summed / np.clip(mask.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 8, on_batch: OnBatch | None = None
    ) -> np.ndarray:
        """Unit float32 rows, one per text, in input order."""
        encodings = self._tokenizer.encode_batch(list(texts)) if texts else []
        return encode_in_batches(
            texts,
            [len(e.ids) for e in encodings],
            lambda batch: self._run([encodings[i] for i in batch]),
            dim=self.dim,
            batch_size=batch_size,
            on_batch=on_batch,
        )


    def encode_spans(
        self, items: Sequence[SpanText], *, batch_tokens: int = 4096, on_batch: OnBatch | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """One model pass over the items' texts: a unit row per text (as `encode`) and, per item, a
        (spans, dim) array of span vectors pooled from the same token states; NaN rows for spans that
        could not be pooled (no token, or cut off by truncation), which the caller embeds alone.

        Texts run longest first in batches of at most `batch_tokens` padded tokens: sorting keeps the
        padding small, and a token budget (not a count) keeps every batch about as costly."""
        import numpy as np

        out = np.zeros((len(items), self.dim), dtype=np.float32)
        spans: list[np.ndarray] = [np.zeros((0, self.dim), dtype=np.float32)] * len(items)
        if not items:
            return out, spans
        encodings = self._tokenizer.encode_batch([item.text for item in items])
        ranges = [encoding_ranges(enc, item) for enc, item in zip(encodings, items, strict=True)]
        order = sorted(range(len(items)), key=lambda i: len(encodings[i].ids), reverse=True)
        start = 0
        while start < len(order):
            width = len(encodings[order[start]].ids)
            size = max(1, batch_tokens // max(width, 1))
            batch = order[start : start + size]
            start += len(batch)
            arrays = pad([encodings[i] for i in batch], self._pad_id)
            (hidden,) = self._session.run(["last_hidden_state"], {name: arrays[name] for name in self._feeds})
            texts, pooled = pool_batch(hidden, [len(encodings[i].ids) for i in batch], [ranges[i] for i in batch])
            out[batch] = texts
            for i, vectors in zip(batch, pooled, strict=True):
                spans[i] = vectors
            if on_batch is not None:
                on_batch(len(batch))
        return out, spans


def _check_supported(model_path: Path) -> None:
    """Refuse models whose pipeline is more than transformer + mean pooling + normalise."""
    for module in read_modules(model_path):
        kind = str(module.get("type", "")).rsplit(".", 1)[-1]
        if kind == "Pooling":
            config = read_json(model_path / str(module.get("path", "")) / "config.json")
            if not config.get("pooling_mode_mean_tokens", True):
                raise ValueError(f"{model_path}: the ONNX backends support mean pooling only; use backend torch")
        elif kind not in ("Transformer", "Normalize"):
            raise ValueError(f"{model_path}: the ONNX backends do not support a {kind} layer; use backend torch")


def load_onnx_embedder(
    model_path: Path,
    *,
    quantized: bool,
    cache_dir: Path | None = None,
    threads: int | None = None,
    session_factory: Callable[[Path, int | None], Any] = open_session,
) -> OnnxEmbedder:
    """Open (exporting on first use) the fp32 or int8 ONNX model; rebuild a damaged cached file once.

    A cached file is checked against the sha256 recorded when it was exported (a garbled file ONNX
    Runtime can still open would silently change every vector), then opened. A cache folder that
    another user owns or may write is refused (UnsafeFolder), and so is the state folder.
    """
    _check_supported(model_path)
    # The tokenizer is read on its own thread while ONNX Runtime builds the session: both release the GIL, and a
    # cold `ask` waits for the model (tokenizer 56 ms, session 130 ms of a 0.3 s load, one after the other before).
    reading = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="assistant-tokenizer")
    tokenizing = reading.submit(load_tokenizer, model_path, read_max_tokens(model_path))
    reading.shutdown(wait=False)
    folder = export_dir(model_path, cache_dir)
    try:
        private_cache(model_path, cache_dir)
    except OSError as err:
        raise RuntimeError(f"cannot write the ONNX model cache {folder}: {err.strerror or err}") from err
    plain = folder / (INT8_FILE if quantized else FP32_FILE)
    fast = optimized_file(plain) if session_factory is open_session else None
    record = ExportRecord(folder, model_path)
    # The optimised copy stands in for its export only while the export itself is intact: a damaged or
    # planted export is noticed (and made again) at the next start, whichever file that start opens.
    if fast is not None and is_intact(plain, record) and is_intact(fast, record):
        try:
            session = session_factory(fast, threads)
        except Exception:
            discard(fast)  # intact yet unloadable (another runtime's file): made again below
        else:
            return OnnxEmbedder(
                model_path, session, backend="onnx-int8" if quantized else "onnx", onnx_path=plain, tokenizer=tokenizing.result()
            )
    path = exported_file(model_path, folder, quantized)
    try:
        session = session_factory(path, threads)
    except Exception:
        # Intact by its checksum yet unloadable (an export gone wrong): remove it (and the fp32
        # source of an int8 file) and rebuild once.
        discard(path)
        if quantized:
            discard(folder / FP32_FILE)
        path = exported_file(model_path, folder, quantized)
        try:
            session = session_factory(path, threads)
        except Exception as err:
            raise RuntimeError(f"cannot load the ONNX model {path}: {err}") from err
    if fast is not None:
        save_optimized(path, fast)
    backend = "onnx-int8" if quantized else "onnx"
    return OnnxEmbedder(model_path, session, backend=backend, onnx_path=path, tokenizer=tokenizing.result())


def optimized_file(model_file: Path) -> Path:
    """Where ONNX Runtime's optimised copy of an export is kept: beside it, named for the runtime's version."""
    import onnxruntime as ort

    return model_file.with_name(f"{model_file.stem}.ort-{cache_component(ort.__version__)}.onnx")


def save_optimized(model_file: Path, target: Path) -> None:
    """Save ONNX Runtime's graph optimisations of `model_file` (fused attention, quantised matmuls) to
    `target`, checksummed and recorded like an export, so later starts skip them.

    Opening the optimised copy takes about a third of the CPU time of optimising the export again (the
    largest part of opening the model in a cold `ask`). Level EXTENDED, not ALL: the layout
    optimisations ALL adds depend on the CPU and are applied when the copy is opened. Best effort: a
    copy that cannot be made or recorded is simply not used.
    """
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    opts.log_severity_level = 3
    opts.intra_op_num_threads = 1
    try:
        with atomic_target(target) as tmp:
            opts.optimized_model_filepath = str(tmp)
            ort.InferenceSession(str(model_file), opts, providers=["CPUExecutionProvider"])
        record_checksum(target)
    except Exception:  # noqa: BLE001 - an optimisation cache must never stop the model from loading
        discard(target)
