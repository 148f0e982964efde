"""The one list of embedding backends (name -> loader), used by settings, the CLI's choices and load_embedder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.embedding.base import Embedder, quiet_environment, resolve_model_path
from assistant.embedding.hashing import HashEmbedder
from assistant.embedding.onnx_backend import load_onnx_embedder
from assistant.embedding.torch_backend import TorchEmbedder
from assistant.settings import BACKEND_NAMES, DEFAULT_BACKEND


@dataclass(frozen=True)
class Backend:
    """One way to turn texts into vectors."""

    name: str
    """What settings, the CLI and an index's metadata call it."""
    load: Callable[[Path | None, Path | None, int | None], Embedder]
    """(model folder, ONNX cache folder, threads) -> a ready embedder."""
    reads_model: bool = True
    """False for a backend that needs no model folder (the hashing fake)."""


BACKENDS: dict[str, Backend] = {
    backend.name: backend
    for backend in (
        Backend("onnx-int8", lambda path, cache, threads: load_onnx_embedder(path, quantized=True, cache_dir=cache, threads=threads)),
        Backend("onnx", lambda path, cache, threads: load_onnx_embedder(path, quantized=False, cache_dir=cache, threads=threads)),
        Backend("torch", lambda path, cache, threads: TorchEmbedder(path, threads=threads)),
        Backend("hash", lambda path, cache, threads: HashEmbedder(), reads_model=False),
    )
}
"""Every backend, in the order help texts list them; `hash` is the fast fake for tests and demos."""
if tuple(BACKENDS) != BACKEND_NAMES:
    raise RuntimeError(f"settings.BACKEND_NAMES {BACKEND_NAMES} and the registry's loaders {tuple(BACKENDS)} differ")


def reads_model(backend: str | None) -> bool:
    """True unless `backend` (None: the default) is known to need no model folder."""
    found = BACKENDS.get(backend or DEFAULT_BACKEND)
    return found is None or found.reads_model


def load_embedder(
    model: str | Path | None = None,
    backend: str | None = DEFAULT_BACKEND,
    *,
    cache_dir: Path | None = None,
    threads: int | None = None,
) -> Embedder:
    """Load `model` (None = bundled MiniLM) with `backend` (None = default); ONNX exports on first use."""
    quiet_environment()
    found = BACKENDS.get(backend or DEFAULT_BACKEND)
    if found is None:
        raise ValueError(f"unknown embedding backend {backend!r}; choose one of {', '.join(BACKEND_NAMES)}")
    path = resolve_model_path(model) if found.reads_model else None
    return found.load(path, cache_dir, threads)
