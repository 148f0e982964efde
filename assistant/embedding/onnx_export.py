"""ONNX exports of a sentence-transformers model: export, int8 quantisation, and the cache's integrity records."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.embedding.base import (
    cache_component,
    cache_root,
    model_identity,
    private_folder,
    read_max_tokens,
    silence_transformers,
    state_root,
)
from assistant.embedding.tokens import INPUTS, load_tokenizer, tensors

FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
CHECKSUM_SUFFIX = ".sha256"
"""Next to each export, `<file>.sha256` in `sha256sum` format: written only once the file is in place.

The sidecar catches damage, not tampering (whoever can rewrite the file can rewrite it too): the trust
anchor is the export record in the user's own state folder (see ExportRecord)."""
RECORD_VERSION = 1
KEEP_DIGESTS = 4
"""Digests of one file remembered per model (several caches of one user may hold different exports)."""
_CACHE_FIX = "set ASSISTANT_CACHE_DIR to a folder of your own"
_STATE_FIX = "set XDG_STATE_HOME to a folder of your own"
# Bump when the export recipe changes, so old cached files are not reused (2: int8 weights in 7 bits).
EXPORT_VERSION = 2
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def model_fingerprint(model_path: Path) -> str:
    """Short hash of the config, the weight file's size and its first MB: changes when the model does."""
    digest = hashlib.sha256(f"export-v{EXPORT_VERSION}".encode())
    digest.update((model_path / "config.json").read_bytes())
    for name in _WEIGHT_FILES:
        weights = model_path / name
        if weights.is_file():
            digest.update(f"{name}:{weights.stat().st_size}".encode())
            with weights.open("rb") as handle:
                digest.update(handle.read(1 << 20))
            break
    return digest.hexdigest()[:12]


def export_dir(model_path: Path, cache_dir: Path | None = None) -> Path:
    """Folder holding this model's exports: <cache_dir or cache_root()/onnx>/<name>-<fingerprint>.

    The name is reduced to [A-Za-z0-9._-]: it comes from the model folder, whoever made it.
    """
    base = cache_dir if cache_dir is not None else cache_root() / "onnx"
    name, _ = model_identity(model_path)
    return Path(base) / cache_component(f"{name}-{model_fingerprint(model_path)}")


@contextlib.contextmanager
def _silenced() -> Iterator[None]:
    """Swallow warnings, prints and root-logger output of the exporter and the quantiser.

    quantize_dynamic calls logging.warning() on the root logger, which would install a stderr
    handler (logging.basicConfig) for the rest of the process; a NullHandler prevents that.
    """
    root = logging.getLogger()
    null = logging.NullHandler()
    root.addHandler(null)
    sink = io.StringIO()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            warnings.simplefilter("ignore")
            yield
    finally:
        root.removeHandler(null)


@contextlib.contextmanager
def atomic_target(final: Path) -> Iterator[Path]:
    """A temp path next to `final`, moved onto it only when the block succeeds."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=final.name + ".", suffix=".tmp", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp makes the file private (0600); a cache file is ordinary data.
        tmp.chmod(0o644)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def export_fp32(model_path: Path, target: Path) -> None:
    """Export the HF transformer (token embeddings out) to ONNX with dynamic batch and sequence axes."""
    silence_transformers()
    import torch
    from transformers import AutoModel

    class _Wrapper(torch.nn.Module):
        """Keyword call and a single tensor output, so the graph has exactly one named output."""

        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    with _silenced():
        # Eager attention traces to plain MatMul/Softmax/Add ops that ONNX Runtime fuses well.
        model = AutoModel.from_pretrained(str(model_path), attn_implementation="eager")
        model.eval()
        tokenizer = load_tokenizer(model_path, read_max_tokens(model_path))
        # A padded example so the traced graph keeps the attention-mask path.
        example = tensors(tokenizer, ["An example sentence for export.", "Short."])
        args = tuple(torch.from_numpy(example[name]) for name in INPUTS)
        axes = {name: {0: "batch", 1: "sequence"} for name in (*INPUTS, "last_hidden_state")}
        with atomic_target(target) as tmp, torch.inference_mode():
            torch.onnx.export(
                _Wrapper(model),
                args,
                str(tmp),
                input_names=list(INPUTS),
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic int8 weights, per channel (per-tensor costs far more agreement with torch), in 7 bits (reduce_range).

    Full 8-bit weights gave answers that depend on the CPU: the same code and index scored SQuAD quote-hit@1 0.858 on
    one machine and 0.835 on another of this kind (fp32: 0.848), as ONNX Runtime's int8 kernels differ by CPU
    feature (its documentation: 7 bits 'for better accuracy on non-VNNI CPUs'). With 7 bits: 0.848 / 0.960 / 0.977,
    as fp32, and every lookup set within a question or two of it (docs/retrieval.md, session 12)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _silenced(), atomic_target(target) as tmp:
        quantize_dynamic(str(source), str(tmp), per_channel=True, reduce_range=True, weight_type=QuantType.QInt8)


SETTLED_NS = 2_000_000_000
"""A file unwritten for this long (by its ctime) is remembered as verified once hashed (see is_intact)."""


def record_path(folder: Path) -> Path:
    """The user's own record of the exports in a cache folder: <state_root()>/onnx/<folder name>.json."""
    return state_root() / "onnx" / f"{folder.name}.json"


class ExportRecord:
    """What this user exported for one model: the source weights' sha256 and each export's sha256.

    Kept in the user's state folder (0700, checked like the cache), never in the cache: an attacker who
    can write a shared cache can rewrite a model and its sidecar, not this record. An export counts only
    when its digest is recorded here, and only for the weights it was made from.
    """

    def __init__(self, folder: Path, model_path: Path | None) -> None:
        self.path = record_path(folder)
        self.model_path = model_path
        self.data: dict[str, Any] = {}
        try:
            with self.path.open(encoding="utf-8") as handle:
                loaded = json.load(handle)
            if isinstance(loaded, dict) and loaded.get("version") == RECORD_VERSION:
                self.data = loaded
        except (OSError, ValueError):
            pass  # none yet, or unreadable: nothing counts as exported
        if model_path is not None and not self._same_source(model_path):
            self.data = {}  # other weights than the exports were made from

    def _same_source(self, model_path: Path) -> bool:
        """True when the recorded source weights are still the model's (re-hashed only when their stat changed)."""
        source = self.data.get("source")
        if not isinstance(source, dict):
            return False
        current = _source_stat(model_path)
        if current is None or source.get("file") != current["file"]:
            return current is None and source.get("file") is None
        if (source.get("size"), source.get("mtime_ns")) == (current["size"], current["mtime_ns"]):
            return True
        if file_sha256(model_path / current["file"]) != source.get("sha256"):
            return False
        self.data["source"] = {**source, **current}  # touched, not changed: remember the new stat
        self._save()
        return True

    def knows(self, model_file: Path, digest: str) -> bool:
        """True when this user exported `model_file` with these exact bytes."""
        return digest in self.data.get("exports", {}).get(model_file.name, [])

    def verified(self, model_file: Path, digest: str, info: os.stat_result) -> bool:
        """True when `model_file` was hashed to `digest` before and has not been written since (the same
        inode, size, mtime and ctime: any write moves the ctime, which no user can set back)."""
        seen = self.data.get("verified", {}).get(model_file.name)
        return isinstance(seen, dict) and seen == {"sha256": digest, **_file_stat(info)}

    def remember_verified(self, model_file: Path, digest: str, info: os.stat_result) -> None:
        """Note that `model_file`, as `info` describes it, hashed to `digest` (best effort: a record that
        cannot be written only means hashing it again next time)."""
        self.data.setdefault("verified", {})[model_file.name] = {"sha256": digest, **_file_stat(info)}
        with contextlib.suppress(OSError):
            self._save()

    def add(self, model_file: Path, digest: str) -> None:
        """Remember a file just exported (and, on the first one, the weights it was made from)."""
        if "source" not in self.data and self.model_path is not None:
            current = _source_stat(self.model_path)
            weights = None if current is None else self.model_path / current["file"]
            self.data = {
                "version": RECORD_VERSION,
                "model": str(self.model_path),
                "source": {**(current or {"file": None}), "sha256": file_sha256(weights) if weights else None},
                "exports": {},
            }
        exports = self.data.setdefault("exports", {})
        kept = [d for d in exports.get(model_file.name, []) if d != digest]
        exports[model_file.name] = [digest, *kept][:KEEP_DIGESTS]
        self._save()

    def _save(self) -> None:
        """Write the record atomically, readable by the user only."""
        folder = private_folder(self.path.parent, what="the state folder", fix=_STATE_FIX)
        fd, tmp_name = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self.data, handle, indent=1)
            os.replace(tmp_name, self.path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)


def _file_stat(info: os.stat_result) -> dict[str, int]:
    """What tells a file's bytes have not been written since it was hashed."""
    return {"dev": info.st_dev, "ino": info.st_ino, "size": info.st_size, "mtime_ns": info.st_mtime_ns,
            "ctime_ns": info.st_ctime_ns}


def _source_stat(model_path: Path) -> dict[str, Any] | None:
    """The weight file's name, size and mtime (None for a folder without weights)."""
    for name in _WEIGHT_FILES:
        try:
            info = (model_path / name).stat()
        except OSError:
            continue
        return {"file": name, "size": info.st_size, "mtime_ns": info.st_mtime_ns}
    return None


def private_cache(model_path: Path, cache_dir: Path | None) -> Path:
    """This model's export folder, each level of the cache created 0700 and refused when not the user's own."""
    folder = export_dir(model_path, cache_dir)
    levels = [folder.parent, folder] if cache_dir is not None else [cache_root(), folder.parent, folder]
    for level in levels:
        private_folder(level, what="the ONNX model cache", fix=_CACHE_FIX)
    private_folder(record_path(folder).parent.parent, what="the state folder", fix=_STATE_FIX)
    private_folder(record_path(folder).parent, what="the state folder", fix=_STATE_FIX)
    return folder


def checksum_path(model_file: Path) -> Path:
    """The sidecar holding the sha256 of an exported file."""
    return model_file.with_name(model_file.name + CHECKSUM_SUFFIX)


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file (about 16 ms for the 23 MB int8 model once it is in the page cache)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def record_checksum(model_file: Path, record: ExportRecord | None = None) -> None:
    """Write the sidecar of a file just exported, then the user's record; until both exist the file
    counts as not exported."""
    digest = file_sha256(model_file)
    with atomic_target(checksum_path(model_file)) as tmp:
        tmp.write_text(f"{digest}  {model_file.name}\n", encoding="ascii")
    try:
        (record or ExportRecord(model_file.parent, None)).add(model_file, digest)
    except OSError as err:
        raise RuntimeError(f"cannot write the ONNX export record in {state_root()}: {err.strerror or err}") from err


def _owned_regular_file(path: Path) -> bool:
    """A regular file (not a link), the user's own, that no one else may write."""
    import stat

    try:
        info = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode):
        return False
    return not hasattr(os, "geteuid") or (info.st_uid == os.geteuid() and not info.st_mode & 0o022)


def is_intact(model_file: Path, record: ExportRecord | None = None) -> bool:
    """True when the file is the one this user exported: its sha256 is in the user's own record (and
    in the sidecar beside it).

    ONNX Runtime opens a file whose weight blocks are garbled and silently computes other vectors;
    only a checksum notices. No sidecar or no record (a kill before they were written, a cache from an
    older version, or files someone else put there) means not exported. A file hashed before and not
    written since (its stat, ctime included, is as the record noted) is not hashed again: that was 2 x 16 ms
    of every cold start (issue 17).
    """
    try:
        if not _owned_regular_file(model_file):
            return False
        recorded = checksum_path(model_file).read_text(encoding="ascii").split()
        if not recorded:
            return False
        known = record or ExportRecord(model_file.parent, None)
        before = os.lstat(model_file)
        if known.knows(model_file, recorded[0]) and known.verified(model_file, recorded[0], before):
            return True
        digest = file_sha256(model_file)
        if digest != recorded[0] or not known.knows(model_file, digest):
            return False
        # Remembered only for a file left alone for a while and not written while it was hashed: a write
        # within the same tick of the file system's clock as the last one would not move the ctime.
        settled = time.time_ns() - before.st_ctime_ns > SETTLED_NS
        if settled and _file_stat(os.lstat(model_file)) == _file_stat(before):
            known.remember_verified(model_file, digest, before)
        return True
    except (OSError, UnicodeDecodeError):
        return False


def discard(model_file: Path) -> None:
    """Remove an export and its sidecar (the sidecar first: a kill in between leaves 'not exported')."""
    checksum_path(model_file).unlink(missing_ok=True)
    model_file.unlink(missing_ok=True)


def _ensure_exported(model_path: Path, folder: Path, quantized: bool) -> Path:
    """Create the fp32 (and int8) files unless present and intact; return the one the backend needs."""
    fp32, int8 = folder / FP32_FILE, folder / INT8_FILE
    wanted = int8 if quantized else fp32
    record = ExportRecord(folder, model_path)
    if is_intact(wanted, record):
        return wanted
    # Damaged, half-written, never checksummed (older versions) or not this user's export: removed
    # first, so a cache that cannot be written fails here rather than after the slow export.
    discard(wanted)
    if not quantized or not is_intact(fp32, record):  # hashing the 90 MB fp32 file only on this rare path
        discard(fp32)
        export_fp32(model_path, fp32)
        record_checksum(fp32, record)
    if quantized:
        quantize_int8(fp32, int8)
        record_checksum(int8, record)
    return wanted


def exported_file(model_path: Path, folder: Path, quantized: bool) -> Path:
    """_ensure_exported, with a cache that cannot be written (read-only, full) as one clear error."""
    try:
        return _ensure_exported(model_path, folder, quantized)
    except OSError as err:
        raise RuntimeError(f"cannot write the ONNX model cache {folder}: {err.strerror or err}") from err
