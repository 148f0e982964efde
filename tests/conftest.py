"""Shared fixtures: a private home, config, state and cache for every test; small indexes built with the
fast fake embedder; the real model, exported and loaded once per session. Helpers live in tests/support/."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from assistant.embedding.hashing import HashEmbedder
from assistant.index.indexer import build_index
from support.corpus import write_small_corpus
from support.model import onnx_folder, state_of

KEPT_VARIABLES = ("ASSISTANT_CACHE_DIR",)
"""ASSISTANT_* variables the fixtures set themselves; every other one of the developer's is removed."""


@pytest.fixture(scope="session")
def user_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home folder for the whole session, with the cache (ONNX exports) and state (export records)
    folders the code would use under a real one; private, as the code requires of a cache."""
    home = tmp_path_factory.mktemp("home")
    (home / "cache").mkdir(mode=0o700)
    return home


@pytest.fixture(autouse=True)
def _isolated_user(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory, user_home: Path) -> None:
    """Never read or write the developer's own config, state, cache, sessions or ASSISTANT_* variables.

    Config and data folders are fresh per test; home, cache and state are shared by the session, so the
    real model is exported once."""
    for name in list(os.environ):
        if name.startswith("ASSISTANT_") and name not in KEPT_VARIABLES:
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(user_home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data")))
    monkeypatch.setenv("XDG_CACHE_HOME", str(user_home / "xdg-cache"))
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(user_home / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(state_of(onnx_folder(user_home))))


@pytest.fixture(scope="session")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(corpus, index) of the small corpus, built once with the HashEmbedder."""
    root = tmp_path_factory.mktemp("small")
    corpus = write_small_corpus(root / "corpus")
    index = root / "index"
    build_index(corpus, index, embedder=HashEmbedder())
    return corpus, index


def _run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary folder of the whole run: the session's own, or under pytest-xdist the one its workers share."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def onnx_cache(user_home: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The default ONNX export, made once per run in a subprocess (so a test can check it printed nothing):
    (this session's cache folder, the export's process). Under pytest-xdist the first worker exports into a
    home the workers share and each copies the cache and its records into its own home (40 s of export once)."""
    shared = _run_folder(tmp_path_factory) / "onnx-home"
    with open(shared.with_name("onnx-home.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other workers wait here until the export is there
        if not (shared / "export.json").exists():
            (shared / "cache").mkdir(parents=True, mode=0o700, exist_ok=True)
            result = _export(shared)
            (shared / "export.json").write_text(json.dumps(
                {"returncode": result.returncode, "stdout": result.stdout, "stderr": result.stderr}), encoding="utf-8")
    done = json.loads((shared / "export.json").read_text(encoding="utf-8"))
    result = subprocess.CompletedProcess(["export"], done["returncode"], done["stdout"], done["stderr"])
    cache = onnx_folder(user_home)
    if shared != user_home:
        for source, target in ((onnx_folder(shared), cache), (state_of(onnx_folder(shared)), state_of(cache))):
            if source.exists():
                shutil.copytree(source, target, dirs_exist_ok=True)  # modes kept: the cache checks them
    return cache, result


def _export(home: Path) -> subprocess.CompletedProcess[str]:
    """Export the bundled model into `home`'s cache (and records) in a fresh interpreter."""
    cache = onnx_folder(home)
    code = f"""
        from pathlib import Path
        from assistant.embedding.registry import load_embedder
        load_embedder(backend="onnx-int8", cache_dir=Path({str(cache)!r}))
        """
    env = {**os.environ, "HOME": str(home), "ASSISTANT_CACHE_DIR": str(home / "cache"),
           "XDG_STATE_HOME": str(state_of(cache))}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.fixture(scope="session")
def real_embedder(onnx_cache: tuple[Path, Any]) -> Any:
    """The bundled model on the default backend, loaded once per session from the session's export."""
    from assistant.embedding.registry import load_embedder

    assert onnx_cache[1].returncode == 0, onnx_cache[1].stderr
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_STATE_HOME", str(state_of(onnx_cache[0])))
        return load_embedder(cache_dir=onnx_cache[0])


@pytest.fixture
def fake_export(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Export and quantisation replaced by writers of small marker files (no torch, no model run); the calls recorded."""
    from assistant.embedding import onnx_export

    calls: list[str] = []

    def export(model_path: Path, target: Path) -> None:
        calls.append("export")
        with onnx_export.atomic_target(target) as tmp:
            tmp.write_bytes(b"fp32")

    def quantize(source: Path, target: Path) -> None:
        calls.append("quantize")
        with onnx_export.atomic_target(target) as tmp:
            tmp.write_bytes(b"int8:" + source.read_bytes())

    monkeypatch.setattr(onnx_export, "export_fp32", export)
    monkeypatch.setattr(onnx_export, "quantize_int8", quantize)
    return calls
