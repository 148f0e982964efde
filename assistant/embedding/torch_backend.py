"""The reference embedder: sentence-transformers on PyTorch, CPU only."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.embedding.base import OnBatch, encode_in_batches, model_identity, silence_transformers

if TYPE_CHECKING:
    import numpy as np


class TorchEmbedder:
    """sentence-transformers model with normalised outputs; the reference the ONNX backends match."""

    backend = "torch"

    def __init__(self, model_path: Path, *, threads: int | None = None) -> None:
        silence_transformers()
        import torch  # ~2 s of import: only when this backend is chosen
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        self.model_path = model_path
        self.model_name, self.dim = model_identity(model_path)
        self._model = SentenceTransformer(str(model_path), device="cpu")
        self.max_tokens = int(self._model.max_seq_length)

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 8, on_batch: OnBatch | None = None
    ) -> np.ndarray:
        """Unit float32 rows, one per text, in input order."""

        def run(batch: list[int]) -> np.ndarray:
            return self._model.encode(
                [texts[i] for i in batch],
                batch_size=len(batch),
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )

        return encode_in_batches(
            texts,
            [len(t) for t in texts],
            run,
            dim=self.dim,
            batch_size=batch_size,
            on_batch=on_batch,
        )
