"""Tokenizing for the ONNX backends: tokenizer.json without fixed padding, batches padded to their longest text."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.embedding.base import read_json

if TYPE_CHECKING:
    import numpy as np

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
"""The model inputs, in the order the export traces them."""


def load_tokenizer(model_path: Path, max_tokens: int) -> Any:
    """tokenizer.json with truncation set to max_tokens and no fixed padding (we pad per batch)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
    # The bundled file truncates and pads at 128; sentence-transformers reads max_seq_length.
    tokenizer.enable_truncation(max_length=max_tokens)
    tokenizer.no_padding()
    return tokenizer


def pad_id(model_path: Path, tokenizer: Any) -> int:
    """Id of the pad token named by the tokenizer config (0 for BERT)."""
    padding = tokenizer.padding or {}
    token = read_json(model_path / "special_tokens_map.json").get("pad_token", "[PAD]")
    if isinstance(token, dict):
        token = token.get("content", "[PAD]")
    found = tokenizer.token_to_id(str(token))
    return int(found if found is not None else padding.get("pad_id", 0))


def pad(encodings: Sequence[Any], pad_id: int) -> dict[str, np.ndarray]:
    """Right-pad a batch of encodings to its longest member."""
    import numpy as np

    width = max(len(e.ids) for e in encodings)
    ids = np.full((len(encodings), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(encodings), width), dtype=np.int64)
    types = np.zeros((len(encodings), width), dtype=np.int64)
    for row, enc in enumerate(encodings):
        n = len(enc.ids)
        ids[row, :n] = enc.ids
        mask[row, :n] = 1
        types[row, :n] = enc.type_ids
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def tensors(tokenizer: Any, texts: list[str], pad_id: int = 0) -> dict[str, np.ndarray]:
    """Tokenize and pad a few texts (used for the export example)."""
    return pad(tokenizer.encode_batch(texts), pad_id)
