"""Issue 10, inputs the user did not make: a folder's own config, a shared model cache, a model folder,
hostile front matter, and corpus links that lead out of the corpus or to special files.

Each test reproduces an attack from the issue (items 3, 4, 6, 8, 9) and fails on the code before the fix.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from assistant import loaders, onnx_backend, settings as settings_mod
from assistant.cli import main
from assistant.embedding import HashEmbedder, default_model_path, model_identity
from assistant.engine import Engine, open_engine
from assistant.indexer import build_index
from assistant.loaders import discover_files, load_file
from assistant.models import LoadProblem
from assistant.settings import Settings, load_settings


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A working folder of the test's own; no opt-in, cache or state inherited from the developer."""
    monkeypatch.chdir(tmp_path)
    for name in ("ASSISTANT_TRUST_LOCAL_CONFIG", "ASSISTANT_FOLLOW_SYMLINKS", "ASSISTANT_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def user_config() -> Path:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "assistant" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- item 3: the current folder's assistant.toml -----------------------------------------------

HOSTILE_TOML = 'corpus = "~"\nindex = "/tmp/world-readable-index"\nmodel = "/tmp/planted-model"\nbackend = "torch"\n'


def test_a_local_config_is_ignored_without_opt_in(tmp_path: Path) -> None:
    """The reproduction: `corpus = "~"` in a downloaded folder's assistant.toml made the UI index the home."""
    write(tmp_path / "assistant.toml", HOSTILE_TOML)
    settings = load_settings()
    assert settings.corpus == Path("corpus") and settings.index == Path("index")
    assert settings.model is None and settings.backend == "onnx-int8"


def test_a_trusted_local_config_may_not_name_paths_outside_the_folder(tmp_path: Path) -> None:
    """Opted in with --local-config: paths inside the folder are taken, every key leading outside is refused
    with one warning line naming the file and the key."""
    write(tmp_path / "here" / "assistant.toml",
          'corpus = "~"\nindex = "idx"\nmodel = "/tmp/planted-model"\nbackend = "../../bin/sh"\n'
          'max_quotes = 3\nfollow_symlinks = true\n')
    os.chdir(tmp_path / "here")
    code, out, err = run("--local-config", "config", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["settings"]["corpus"] == "corpus" and report["sources"]["corpus"] == "default"
    assert report["settings"]["index"] == "idx"
    assert report["sources"]["index"] == str(tmp_path / "here" / "assistant.toml")
    assert report["settings"]["model"] is None and report["settings"]["backend"] == "onnx-int8"
    assert report["settings"]["max_quotes"] == 3 and report["settings"]["follow_symlinks"] is False
    lines = err.strip().splitlines()
    refused = {key for key in ("corpus", "model", "backend", "follow_symlinks")
               if any(f"assistant.toml: {key} " in line for line in lines)}
    assert refused == {"corpus", "model", "backend", "follow_symlinks"}, lines
    assert len(lines) == 4 and all(str(tmp_path / "here" / "assistant.toml") in line for line in lines)
    # A link inside the folder that leads out of it leads outside.
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", tmp_path / "here" / "notes")
    write(tmp_path / "here" / "assistant.toml", 'corpus = "notes"\n')
    code, out, err = run("--local-config", "config", "--json")
    assert json.loads(out)["settings"]["corpus"] == "corpus" and "corpus" in err


def test_the_opt_in_can_come_from_the_user_config_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "assistant.toml", 'index = "from-local"\n')
    assert load_settings().index == Path("index")
    write(user_config(), "trust_local_config = true\n")
    assert load_settings().index == Path("from-local")
    user_config().unlink()
    monkeypatch.setenv("ASSISTANT_TRUST_LOCAL_CONFIG", "1")
    assert load_settings().index == Path("from-local")
    # The local file cannot opt itself in.
    monkeypatch.delenv("ASSISTANT_TRUST_LOCAL_CONFIG")
    write(tmp_path / "assistant.toml", 'trust_local_config = true\nindex = "from-local"\n')
    assert load_settings().index == Path("index")


def test_assistant_config_says_what_is_in_force_and_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(user_config(), 'backend = "onnx"\nmax_quotes = 7\n')
    write(tmp_path / "assistant.toml", 'index = "local-index"\n')
    monkeypatch.setenv("ASSISTANT_CORPUS", str(tmp_path / "articles"))
    code, out, err = run("config", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["settings"] == {
        "corpus": str(tmp_path / "articles"), "index": "index", "model": None, "backend": "onnx",
        "max_quotes": 7, "follow_symlinks": False, "trust_local_config": False,
        "cache": str(tmp_path / "xdg-cache" / "assistant"),
    }
    assert report["sources"]["corpus"] == "environment ASSISTANT_CORPUS"
    assert report["sources"]["backend"] == str(user_config())
    assert report["sources"]["index"] == "default"
    files = {entry["path"]: entry for entry in report["files"]}
    assert files[str(user_config())]["status"] == "read"
    local = files[str(tmp_path / "assistant.toml")]
    assert local["status"] == "ignored" and "--local-config" in local["reason"]
    # The note that a local config was ignored is one stderr line.
    assert len(err.strip().splitlines()) == 1 and "assistant.toml" in err
    # The same in text, and the command-line options count as a source.
    code, out, _ = run("--local-config", "--backend", "hash", "config")
    assert code == 0
    lines = out.splitlines()
    assert any(line.split()[:2] == ["backend", "hash"] and "command line" in line for line in lines), out
    assert any(line.split()[:2] == ["index", "local-index"] and "assistant.toml" in line for line in lines), out
    assert any("read" in line and str(tmp_path / "assistant.toml") in line for line in lines), out


# --- item 8: model names as cache path components (fake export) ------------------------------


class FakeSession:
    def get_inputs(self) -> list[Any]:
        return []


def fake_session(path: Path, threads: int | None) -> FakeSession:
    return FakeSession()


@pytest.fixture
def fake_export(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Export and quantisation replaced by writers of small marker files (no torch, no model run)."""
    calls: list[str] = []

    def export(model_path: Path, target: Path) -> None:
        calls.append("export")
        with onnx_backend._atomic_target(target) as tmp:
            tmp.write_bytes(b"fp32")

    def quantize(source: Path, target: Path) -> None:
        calls.append("quantize")
        with onnx_backend._atomic_target(target) as tmp:
            tmp.write_bytes(b"int8:" + source.read_bytes())

    monkeypatch.setattr(onnx_backend, "export_fp32", export)
    monkeypatch.setattr(onnx_backend, "quantize_int8", quantize)
    return calls




def model_folder_named_by_its_readme(tmp_path: Path, heading: str) -> Path:
    """A copy of the bundled model folder (weights left out) called `model`, whose card heading is `heading`."""
    source = default_model_path()
    folder = tmp_path / "download" / "model"
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("*.safetensors", "*.bin", "README.md"))
    (folder / "README.md").write_text(f"# {heading}\n\nA model.\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("heading", ["../../x", "..", "/etc/cron.d/x", "a/../../../b", "x\x1b]0;t\x07"])
def test_a_model_card_heading_cannot_leave_the_cache(tmp_path: Path, fake_export: list[str], heading: str) -> None:
    model = model_folder_named_by_its_readme(tmp_path, heading)
    cache = tmp_path / "a" / "b" / "cache"
    folder = onnx_backend.export_dir(model, cache)
    assert folder.parent == cache and folder.name not in (".", "..")
    assert all(c.isalnum() or c in "._-" for c in folder.name), folder.name
    name, _ = model_identity(model)
    assert "/" not in name and ".." not in name and "\x1b" not in name
    embedder = onnx_backend.load_onnx_embedder(model, quantized=True, cache_dir=cache, session_factory=fake_session)
    assert embedder.onnx_path.resolve().is_relative_to(cache.resolve())
    assert {p.name for p in tmp_path.iterdir()} <= {"a", "download", "state", "xdg-cache"}
