"""The hashing fake embedder: deterministic, model-free vectors for tests and demos."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from assistant.embedding.base import OnBatch, encode_in_batches

if TYPE_CHECKING:
    import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)
_SUFFIXES = ("ingly", "edly", "ing", "ies", "ied", "ed", "es", "ly", "s")
# Function words would make every pair of English texts look alike.
_STOPWORDS = frozenset(
    "a an and are as at be by did do does for from had has have he her his how i in is it its "
    "of on or she that the their they this to was were what when where which who why will with".split()
)


def _stem(word: str) -> str:
    """Crude suffix stripping, so 'elections' and 'election' share a feature."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


class HashEmbedder:
    """Deterministic, dependency-light fake embedder for tests: hashed words and char trigrams.

    Texts that share words get similar vectors, which is all unit tests of retrieval need.
    """

    backend = "hash"
    model_name = "hash"

    def __init__(self, dim: int = 384, max_tokens: int = 512) -> None:
        self.dim = dim
        self.max_tokens = max_tokens

    def _bucket(self, feature: str) -> int:
        """Stable across processes, unlike hash() which is salted per run."""
        return zlib.crc32(feature.encode("utf-8")) % self.dim

    def _vector(self, text: str) -> np.ndarray:
        """One unit vector: each word weighs 1 and its trigrams 0.5 in all, so long words do not dominate."""
        import numpy as np

        vec = np.zeros(self.dim, dtype=np.float32)
        tokens = _WORD.findall(text.lower())[: self.max_tokens]
        words = [_stem(w) for w in tokens if w not in _STOPWORDS]
        for word in words:
            vec[self._bucket("w:" + word)] += 1.0
            padded = f"<{word}>"
            grams = [padded[i : i + 3] for i in range(len(padded) - 2)]
            for gram in grams:
                vec[self._bucket("c:" + gram)] += 0.5 / len(grams)
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:
            # Empty text still needs a unit row; one fixed bucket keeps it deterministic.
            vec[self._bucket("<empty>")] = 1.0
            return vec
        return vec / norm

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 8, on_batch: OnBatch | None = None
    ) -> np.ndarray:
        """Unit float32 rows, one per text, in input order."""
        import numpy as np

        return encode_in_batches(
            texts,
            [len(t) for t in texts],
            lambda batch: np.stack([self._vector(texts[i]) for i in batch]),
            dim=self.dim,
            batch_size=batch_size,
            on_batch=on_batch,
        )
