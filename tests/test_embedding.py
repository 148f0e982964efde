"""Tests for the embedding layer: the hash fake, model lookup, the ONNX cache, and the real backends."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.embedding import onnx_backend, onnx_export
from assistant.embedding.base import (
    Embedder,
    cache_root,
    default_model_path,
    encode_in_batches,
    model_identity,
    read_max_tokens,
    resolve_model_path,
)
from assistant.embedding.hashing import HashEmbedder
from assistant.embedding.registry import BACKEND_NAMES, DEFAULT_BACKEND, load_embedder
from support.model import state_of

HEAVY = ("torch", "transformers", "sentence_transformers")


@pytest.fixture(autouse=True)
def _own_state_folder(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Export records go to a folder of the test's own, never the user's: the fake exports' records to a
    fresh one, the real export's to the one it was exported with (else it would be exported again)."""
    if "onnx_cache" in request.fixturenames:
        state = state_of(request.getfixturevalue("onnx_cache")[0])
    else:
        state = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run code in a fresh interpreter (so sys.modules tells what a code path imports)."""
    import os

    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
        check=False,
    )


# --- HashEmbedder ------------------------------------------------------------------------


def test_hash_shape_dtype_and_unit_rows() -> None:
    vectors = HashEmbedder().encode(["The cat sat.", "Stocks fell sharply on Monday", ""])
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


def test_hash_empty_input_has_zero_rows() -> None:
    assert HashEmbedder(dim=16).encode([]).shape == (0, 16)


def test_hash_is_deterministic_across_processes() -> None:
    text = "Chancellor Gordon Brown presents the budget"
    here = HashEmbedder().encode([text])[0]
    result = run_python(
        f"""
        from assistant.embedding.hashing import HashEmbedder
        print(repr(HashEmbedder().encode([{text!r}])[0].tolist()))
        """
    )
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(here, np.array(eval(result.stdout), dtype=np.float32))


def test_hash_texts_sharing_words_are_closer() -> None:
    query, near, far = HashEmbedder().encode(
        [
            "Who won the general election in Britain?",
            "Labour won the British general election of 2005.",
            "The striker scored twice in the cup final.",
        ]
    )
    assert float(query @ near) > float(query @ far) + 0.2


def test_hash_rows_do_not_depend_on_batching_or_neighbours() -> None:
    texts = [f"article number {i} about {'tax ' * i}" for i in range(7)]
    embedder = HashEmbedder()
    together = embedder.encode(texts, batch_size=3)
    alone = np.vstack([embedder.encode([t]) for t in texts])
    np.testing.assert_array_equal(together, alone)


def test_on_batch_reports_every_text_once_in_batches() -> None:
    seen: list[int] = []
    HashEmbedder().encode([f"text {i}" for i in range(10)], batch_size=4, on_batch=seen.append)
    assert seen == [4, 4, 2]


def test_encode_in_batches_sorts_by_length_and_restores_order() -> None:
    texts = ["bb", "a", "dddd", "ccc"]
    batches: list[list[int]] = []

    def encode_batch(batch: list[int]) -> np.ndarray:
        batches.append(batch)
        return np.array([[float(i), 0.0] for i in batch], dtype=np.float32)

    out = encode_in_batches(
        texts, [len(t) for t in texts], encode_batch, dim=2, batch_size=2, on_batch=None
    )
    assert out[:, 0].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert batches == [[2, 3], [0, 1]]  # longest first, similar lengths together


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        HashEmbedder().encode(["x"], batch_size=0)


def test_load_embedder_hash_and_unknown_backend() -> None:
    embedder = load_embedder(backend="hash")
    assert isinstance(embedder, Embedder)
    assert (embedder.backend, embedder.model_name, embedder.dim) == ("hash", "hash", 384)
    with pytest.raises(ValueError, match="unknown embedding backend"):
        load_embedder(backend="tensorflow")


def test_an_unknown_backend_names_every_known_one() -> None:
    assert DEFAULT_BACKEND in BACKEND_NAMES
    with pytest.raises(ValueError) as caught:
        load_embedder(backend="tensorflow")
    assert all(name in str(caught.value) for name in BACKEND_NAMES), str(caught.value)


# --- model lookup ------------------------------------------------------------------------


def test_default_model_identity_and_max_tokens() -> None:
    path = resolve_model_path(None)
    assert path == default_model_path().resolve()
    assert model_identity(path) == ("all-MiniLM-L6-v2", 384)
    sbert = json.loads((path / "sentence_bert_config.json").read_text())
    assert read_max_tokens(path) == sbert["max_seq_length"]


def test_resolve_model_path_accepts_the_bundled_name() -> None:
    assert resolve_model_path("all-MiniLM-L6-v2") == resolve_model_path(None)


def test_resolve_model_path_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="model folder not found: .*missing"):
        resolve_model_path(tmp_path / "missing")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ValueError, match="model folder not found"):
        resolve_model_path(tmp_path / "file.txt")
    with pytest.raises(ValueError, match="no config.json"):
        resolve_model_path(tmp_path)


def test_model_identity_of_other_folders(tmp_path: Path) -> None:
    named = tmp_path / "my-encoder"
    (named / "1_Pooling").mkdir(parents=True)
    (named / "config.json").write_text(json.dumps({"hidden_size": 768}))
    assert model_identity(named) == ("my-encoder", 768)
    (named / "modules.json").write_text(
        json.dumps([{"path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}])
    )
    (named / "1_Pooling" / "config.json").write_text(json.dumps({"word_embedding_dimension": 512}))
    assert model_identity(named) == ("my-encoder", 512)

    generic = tmp_path / "acme" / "model"
    generic.mkdir(parents=True)
    (generic / "config.json").write_text(json.dumps({"hidden_size": 64}))
    assert model_identity(generic) == ("acme", 64)
    (generic / "README.md").write_text("---\ntags: []\n---\n\n# tiny-encoder-v1\nText.\n")
    assert model_identity(generic) == ("tiny-encoder-v1", 64)


def test_cache_root_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ASSISTANT_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_root() == tmp_path / ".cache" / "assistant"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "assistant"
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_root() == tmp_path / "mine"


def test_lookup_and_module_imports_stay_light() -> None:
    result = run_python(
        """
        import sys
        from assistant.embedding.base import default_model_path, model_identity
        import assistant.embedding.onnx_backend, assistant.embedding.torch_backend
        model_identity(default_model_path())
        print(sorted(m for m in ("torch", "transformers", "sentence_transformers", "onnxruntime",
                                 "onnx", "tokenizers") if m in sys.modules))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --- ONNX cache handling (fakes: no export, no model run) --------------------------------


class FakeSession:
    """Stands in for an InferenceSession; only the input list is read at construction."""

    def get_inputs(self) -> list[Any]:
        return []


def _factory(bad: set[bytes]) -> Any:
    def open_fake(path: Path, threads: int | None) -> FakeSession:
        if path.read_bytes() in bad:
            raise RuntimeError("INVALID_PROTOBUF")
        return FakeSession()

    return open_fake


def test_export_happens_once_then_is_reused(tmp_path: Path, fake_export: list[str]) -> None:
    model = default_model_path()
    first = onnx_backend.load_onnx_embedder(
        model, quantized=True, cache_dir=tmp_path, session_factory=_factory(set())
    )
    assert first.backend == "onnx-int8" and first.onnx_path.name == "model-int8.onnx"
    assert first.onnx_path.parent.name.startswith("all-MiniLM-L6-v2-")
    again = onnx_backend.load_onnx_embedder(
        model, quantized=False, cache_dir=tmp_path, session_factory=_factory(set())
    )
    assert again.backend == "onnx" and again.onnx_path.name == "model.onnx"
    assert fake_export == ["export", "quantize"]
    assert not list(first.onnx_path.parent.glob("*.tmp"))


def test_damaged_cache_file_is_rebuilt_once(tmp_path: Path, fake_export: list[str]) -> None:
    model = default_model_path()
    folder = onnx_backend.export_dir(model, tmp_path)
    folder.mkdir(parents=True)
    (folder / "model.onnx").write_bytes(b"fp32")
    (folder / "model-int8.onnx").write_bytes(b"half a file")
    embedder = onnx_backend.load_onnx_embedder(
        model, quantized=True, cache_dir=tmp_path, session_factory=_factory({b"half a file"})
    )
    assert fake_export == ["export", "quantize"]
    assert embedder.onnx_path.read_bytes() == b"int8:fp32"


def test_cached_file_that_opens_but_fails_its_checksum_is_rebuilt(tmp_path: Path, fake_export: list[str]) -> None:
    """A garbled file ONNX Runtime would still open (the fake factory opens anything) is caught by its
    checksum: the int8 file is quantised again from the intact fp32 file, a bad fp32 file exported again."""
    model = default_model_path()
    first = onnx_backend.load_onnx_embedder(model, quantized=True, cache_dir=tmp_path, session_factory=_factory(set()))
    first.onnx_path.write_bytes(b"int8:garbled")
    again = onnx_backend.load_onnx_embedder(model, quantized=True, cache_dir=tmp_path, session_factory=_factory(set()))
    assert again.onnx_path.read_bytes() == b"int8:fp32" and onnx_export.is_intact(again.onnx_path)
    assert fake_export == ["export", "quantize", "quantize"]
    fp32 = first.onnx_path.with_name("model.onnx")
    fp32.write_bytes(b"fp33")
    onnx_backend.load_onnx_embedder(model, quantized=False, cache_dir=tmp_path, session_factory=_factory(set()))
    assert fp32.read_bytes() == b"fp32" and fake_export[3:] == ["export"]


def test_an_export_not_written_since_it_was_hashed_is_not_hashed_again(
    tmp_path: Path, fake_export: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold start skips hashing the model files it verified before (issue 17); any write since moves
    the file's ctime, so a garbled file is still hashed and refused."""
    import time

    model = default_model_path()
    path = onnx_backend.load_onnx_embedder(model, quantized=True, cache_dir=tmp_path, session_factory=_factory(set())).onnx_path
    hashed: list[Path] = []
    real_sha256 = onnx_export.file_sha256
    monkeypatch.setattr(onnx_export, "file_sha256", lambda p: hashed.append(p) or real_sha256(p))
    assert onnx_export.is_intact(path) and hashed == [path]  # written a moment ago: hashed, not remembered
    monkeypatch.setattr(onnx_export, "SETTLED_NS", -1)  # as if it had been written long ago
    assert onnx_export.is_intact(path) and len(hashed) == 2
    assert onnx_export.is_intact(path) and onnx_export.is_intact(path) and len(hashed) == 2
    time.sleep(0.05)  # past the file system clock's tick
    path.write_bytes(path.read_bytes()[:-1] + b"X")  # same size, other bytes
    assert not onnx_export.is_intact(path) and len(hashed) == 3
    again = onnx_backend.load_onnx_embedder(model, quantized=True, cache_dir=tmp_path, session_factory=_factory(set()))
    assert again.onnx_path.read_bytes() == b"int8:fp32" and fake_export == ["export", "quantize", "quantize"]


def test_cached_file_without_checksum_is_not_trusted(tmp_path: Path, fake_export: list[str]) -> None:
    """No sidecar (killed between the file and its checksum, or a cache from a version without checksums)
    counts as not exported; once re-exported, the files are reused without exporting again."""
    model = default_model_path()
    folder = onnx_backend.export_dir(model, tmp_path)
    folder.mkdir(parents=True)
    (folder / "model.onnx").write_bytes(b"old fp32")
    (folder / "model-int8.onnx").write_bytes(b"old int8")
    for _ in range(2):
        embedder = onnx_backend.load_onnx_embedder(
            model, quantized=True, cache_dir=tmp_path, session_factory=_factory(set())
        )
        assert embedder.onnx_path.read_bytes() == b"int8:fp32"
    assert fake_export == ["export", "quantize"]
    assert sorted(p.name for p in folder.iterdir()) == [
        "model-int8.onnx", "model-int8.onnx.sha256", "model.onnx", "model.onnx.sha256"
    ]


def test_cache_that_cannot_be_written_is_one_clear_error(
    tmp_path: Path, fake_export: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_only(*args: Any, **kwargs: Any) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(onnx_export, "discard", read_only)
    with pytest.raises(RuntimeError, match=r"cannot write the ONNX model cache .*: Read-only file system"):
        onnx_backend.load_onnx_embedder(
            default_model_path(), quantized=True, cache_dir=tmp_path, session_factory=_factory(set())
        )
    assert fake_export == []


def test_unloadable_model_raises_naming_the_file(tmp_path: Path, fake_export: list[str]) -> None:
    with pytest.raises(RuntimeError, match=r"cannot load the ONNX model .*model\.onnx"):
        onnx_backend.load_onnx_embedder(
            default_model_path(), quantized=False, cache_dir=tmp_path, session_factory=_factory({b"fp32"})
        )
    assert fake_export == ["export", "export"]


def test_failed_write_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "model.onnx"
    with pytest.raises(OSError), onnx_export.atomic_target(target) as tmp:
        tmp.write_bytes(b"partial")
        raise OSError("disk full")
    assert list(target.parent.iterdir()) == []


# --- the real model ----------------------------------------------------------------------

SENTENCES = [
    "Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn.",
    "The striker scored twice as Chelsea beat Newcastle in the FA Cup.",
    "Who is the chancellor who presented the budget?",
    "Broadband take-up in the UK has risen sharply.",
    # Longer than max_tokens: both backends must truncate at the same place.
    " ".join(["The government announced new measures on pensions and taxes today."] * 40),
]
# int8 agrees least on near-empty texts ("ok" ~0.95), so these only face the fp32 floor.
EDGE_CASES = ["ok", ""]


@pytest.fixture(scope="session")
def torch_embedder() -> Embedder:
    return load_embedder(backend="torch")


@pytest.mark.model
def test_export_is_silent_and_cached(onnx_cache: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    """conftest's onnx_cache: the session's one export, in a child process."""
    cache, result = onnx_cache
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", "")
    (folder,) = cache.iterdir()
    fast = onnx_backend.optimized_file(folder / "model-int8.onnx").name  # ONNX Runtime's optimised copy
    assert sorted(p.name for p in folder.iterdir()) == sorted([
        "model-int8.onnx", "model-int8.onnx.sha256", "model.onnx", "model.onnx.sha256", fast, f"{fast}.sha256"
    ])
    # `sha256sum -c` format, and each names the file as exported.
    for name in ("model.onnx", "model-int8.onnx"):
        digest, listed = (folder / f"{name}.sha256").read_text().split()
        assert listed == name and digest == onnx_export.file_sha256(folder / name)


@pytest.mark.model
@pytest.mark.parametrize(
    ("backend", "texts", "floor"),
    [("onnx-int8", SENTENCES, 0.98), ("onnx", SENTENCES + EDGE_CASES, 0.9999)],
)
def test_onnx_agrees_with_torch(
    backend: str, texts: list[str], floor: float, onnx_cache: tuple[Path, Any], torch_embedder: Embedder
) -> None:
    embedder = load_embedder(backend=backend, cache_dir=onnx_cache[0])
    assert (embedder.model_name, embedder.dim, embedder.backend) == ("all-MiniLM-L6-v2", 384, backend)
    assert embedder.max_tokens == torch_embedder.max_tokens
    ours, reference = embedder.encode(texts), torch_embedder.encode(texts)
    assert ours.dtype == np.float32 and ours.shape == (len(texts), 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, rtol=1e-5)
    assert float((ours * reference).sum(axis=1).min()) >= floor


@pytest.mark.model
def test_onnx_rows_do_not_depend_on_padding(onnx_cache: tuple[Path, Any]) -> None:
    embedder = load_embedder(backend="onnx", cache_dir=onnx_cache[0])
    texts = SENTENCES + EDGE_CASES
    batched = embedder.encode(texts, batch_size=len(texts))
    alone = np.vstack([embedder.encode([t]) for t in texts])
    np.testing.assert_allclose(batched, alone, atol=1e-5)
    assert embedder.encode([]).shape == (0, 384)


@pytest.mark.model
def test_onnx_query_path_imports_no_torch(onnx_cache: tuple[Path, Any]) -> None:
    result = run_python(
        f"""
        import sys
        from pathlib import Path
        from assistant.embedding.registry import load_embedder
        embedder = load_embedder(backend="onnx-int8", cache_dir=Path({str(onnx_cache[0])!r}))
        assert embedder.encode(["hello"]).shape == (1, 384)
        print(sorted(m for m in {HEAVY!r} if m in sys.modules))
        """
    )
    assert result.returncode == 0, result.stderr
    assert (result.stdout.strip(), result.stderr) == ("[]", "")


@pytest.mark.model
def test_backend_none_means_default(onnx_cache: tuple[Path, Any]) -> None:
    assert load_embedder(None, None, cache_dir=onnx_cache[0]).backend == DEFAULT_BACKEND


@pytest.mark.model
def test_the_optimised_copy_is_used_and_made_again_when_garbled(onnx_cache: tuple[Path, Any], real_embedder: Any) -> None:
    """Later starts open ONNX Runtime's saved optimisations (issue 17: cold start); a copy that fails its
    checksum is never opened, and is made again from the intact export."""
    cache = onnx_cache[0]
    (folder,) = cache.iterdir()
    fast = onnx_backend.optimized_file(folder / "model-int8.onnx")
    assert onnx_export.is_intact(fast)
    opened: list[str] = []
    real_open = onnx_backend.open_session

    def spy(path: Path, threads: int | None = None) -> Any:
        opened.append(Path(path).name)
        return real_open(path, threads)

    reference = real_embedder.encode(SENTENCES[:3], batch_size=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(onnx_backend, "open_session", spy)
        quick = onnx_backend.load_onnx_embedder(default_model_path(), quantized=True, cache_dir=cache, session_factory=spy)
        assert opened == [fast.name]
        np.testing.assert_allclose(quick.encode(SENTENCES[:3], batch_size=1), reference, atol=1e-6)
        data = bytearray(fast.read_bytes())
        data[len(data) // 2] ^= 0xFF
        fast.write_bytes(bytes(data))
        assert not onnx_export.is_intact(fast)
        rebuilt = onnx_backend.load_onnx_embedder(default_model_path(), quantized=True, cache_dir=cache, session_factory=spy)
    assert opened == [fast.name, "model-int8.onnx"]  # the garbled copy was never opened
    assert onnx_export.is_intact(fast)  # ... and is made again
    np.testing.assert_allclose(rebuilt.encode(SENTENCES[:3], batch_size=1), reference, atol=1e-6)
