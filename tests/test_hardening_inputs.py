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

from assistant.corpus import fields, formats
from assistant.embedding import onnx_backend, onnx_export
from assistant import settings as settings_mod
from assistant.cli import main
from assistant.embedding.base import default_model_path, model_identity
from assistant.embedding.hashing import HashEmbedder
from assistant.launch import open_engine
from assistant.search.engine import Engine
from assistant.index.indexer import build_index
from assistant.corpus.discovery import discover_files
from assistant.corpus.stream import load_file
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
        "cache": str(tmp_path / "xdg-cache" / "assistant"), "cite_style": "chicago", "store": None, "watch": "auto",
    }
    assert report["sources"]["store"] == "default" and report["sources"]["watch"] == "default"
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


# --- item 4: the ONNX cache --------------------------------------------------------------------


class FakeSession:
    def get_inputs(self) -> list[Any]:
        return []


def fake_session(path: Path, threads: int | None) -> FakeSession:
    return FakeSession()


def load_fake(cache: Path) -> Any:
    return onnx_backend.load_onnx_embedder(default_model_path(), quantized=True, cache_dir=cache,
                                           session_factory=fake_session)


def test_a_new_cache_is_private(tmp_path: Path, fake_export: list[str]) -> None:
    cache = tmp_path / "new" / "cache"
    embedder = load_fake(cache)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert stat.S_IMODE(embedder.onnx_path.parent.stat().st_mode) == 0o700


def test_a_cache_writable_by_others_is_refused(tmp_path: Path, fake_export: list[str]) -> None:
    cache = tmp_path / "shared"
    cache.mkdir()
    cache.chmod(0o770)
    with pytest.raises(ValueError) as caught:
        load_fake(cache)
    message = str(caught.value)
    assert "\n" not in message and str(cache) in message and "chmod 700" in message
    assert "ASSISTANT_CACHE_DIR" in message
    assert fake_export == [] and list(cache.iterdir()) == []
    # A model folder inside a private cache that others may write is refused too.
    cache.chmod(0o700)
    folder = load_fake(cache).onnx_path.parent
    folder.chmod(0o777)
    with pytest.raises(ValueError, match="chmod 700"):
        load_fake(cache)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_a_cache_owned_by_another_user_is_refused(tmp_path: Path, fake_export: list[str]) -> None:
    nobody = pwd.getpwnam("nobody")
    cache = tmp_path / "theirs"
    cache.mkdir(mode=0o700)
    os.chown(cache, nobody.pw_uid, nobody.pw_gid)
    with pytest.raises(ValueError) as caught:
        load_fake(cache)
    message = str(caught.value)
    assert str(cache) in message and "nobody" in message and "ASSISTANT_CACHE_DIR" in message
    assert fake_export == []


def plant(model_file: Path, data: bytes) -> None:
    """What an attacker with write access to a shared cache does: replace the model, rewrite the sidecar."""
    import hashlib

    model_file.write_bytes(data)
    sidecar = model_file.with_name(model_file.name + ".sha256")
    sidecar.write_text(f"{hashlib.sha256(data).hexdigest()}  {model_file.name}\n", encoding="ascii")


def test_a_planted_model_with_a_rewritten_sidecar_is_not_used(tmp_path: Path, fake_export: list[str]) -> None:
    cache = tmp_path / "cache"
    first = load_fake(cache)
    plant(first.onnx_path, b"int8:planted")
    again = load_fake(cache)
    assert again.onnx_path.read_bytes() == b"int8:fp32"
    assert fake_export == ["export", "quantize", "quantize"]
    # Both files planted: both exported again.
    plant(first.onnx_path.with_name("model.onnx"), b"planted fp32")
    plant(first.onnx_path, b"int8:planted fp32")
    assert load_fake(cache).onnx_path.read_bytes() == b"int8:fp32"
    assert fake_export[3:] == ["export", "quantize"]


def test_the_integrity_record_lives_in_a_private_state_folder(tmp_path: Path, fake_export: list[str]) -> None:
    """The trust anchor is the user's own state folder; one that others may write is refused like the cache."""
    load_fake(tmp_path / "cache")
    state = tmp_path / "state" / "assistant"
    records = list(state.rglob("*.json"))
    assert len(records) == 1 and stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE(records[0].stat().st_mode) == 0o600
    record = json.loads(records[0].read_text(encoding="utf-8"))
    weights = default_model_path() / "model.safetensors"
    assert record["source"]["sha256"] == onnx_export.file_sha256(weights)
    state.chmod(0o777)
    with pytest.raises(ValueError, match="chmod 700"):
        load_fake(tmp_path / "cache")


TEXTS = ["The central bank raised interest rates.", "The striker scored twice."]


@pytest.fixture(scope="module")
def real_export(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The bundled model exported for real (int8, about 10-20 s), with its own cache and state folders."""
    root = tmp_path_factory.mktemp("real-onnx")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_STATE_HOME", str(root / "state"))
        embedder = onnx_backend.load_onnx_embedder(default_model_path(), quantized=True, cache_dir=root / "cache")
        vectors = embedder.encode(TEXTS)
    return {"root": root, "file": embedder.onnx_path, "bytes": embedder.onnx_path.read_bytes(), "vectors": vectors}


@pytest.mark.model
def test_a_tampered_real_model_with_a_rewritten_sidecar_is_detected(
    real_export: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attack of the issue on the real export: weight blocks replaced (ONNX Runtime still opens the file
    and computes other vectors) and the sidecar rewritten to match. The next load must not use it."""
    import hashlib
    import random

    import numpy as np

    monkeypatch.setenv("XDG_STATE_HOME", str(real_export["root"] / "state"))
    data = bytearray(real_export["bytes"])
    rng = random.Random(1)
    for offset in (len(data) // 3, len(data) // 2, 2 * len(data) // 3):
        data[offset : offset + 65_536] = rng.randbytes(65_536)
    plant(real_export["file"], bytes(data))
    # The planted model is a working one: opened directly, it answers with other vectors.
    planted = onnx_backend.OnnxEmbedder(default_model_path(), onnx_backend.open_session(real_export["file"]),
                                        backend="onnx-int8", onnx_path=real_export["file"])
    assert not np.allclose(planted.encode(TEXTS), real_export["vectors"], atol=1e-2)
    embedder = onnx_backend.load_onnx_embedder(default_model_path(), quantized=True,
                                               cache_dir=real_export["root"] / "cache")
    assert onnx_export.file_sha256(real_export["file"]) != hashlib.sha256(bytes(data)).hexdigest()
    np.testing.assert_allclose(embedder.encode(TEXTS), real_export["vectors"], atol=1e-4)


# --- item 8: model names as cache path components ----------------------------------------------


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


# --- item 6: front matter ----------------------------------------------------------------------


def alias_bomb() -> str:
    """About 100 KB: a 2,000-character anchor and an author list of 25,000 aliases to it (50 MB expanded)."""
    aliases = ", ".join(["*a"] * 25_000)
    return f"---\nx: &a \"{'A' * 2000}\"\nauthor: [{aliases}]\ntitle: Bomb\n---\nThe body of the article.\n"


def test_a_front_matter_alias_bomb_is_refused(tmp_path: Path) -> None:
    text = alias_bomb()
    assert 90_000 < len(text) < 110_000
    path = write(tmp_path / "bomb.md", text)
    result = load_file(tmp_path, path)
    (article,) = result.articles
    assert article.author is None or len(article.author) <= 300
    assert [p.message for p in result.problems] == ["front matter uses more than 20 YAML aliases; ignored"]
    assert article.text.endswith("The body of the article.\n")


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    path = write(tmp_path / "ok.md", "---\nsource: &s Daily Planet\npublisher: *s\ntitle: Fine\n---\nBody.\n")
    (article,) = load_file(tmp_path, path).articles
    assert article.source == "Daily Planet" and article.title == "Fine"


def test_metadata_fields_are_capped(tmp_path: Path) -> None:
    long = "word " * 2000
    md = write(tmp_path / "long.md", f"---\ntitle: {long}\nauthor: [{', '.join(['Jane Doe'] * 200)}]\n"
                                      f"source: {long}\nurl: https://example.com/{'x' * 5000}\n---\nBody.\n")
    jsonl = write(tmp_path / "long.jsonl", json.dumps({"text": "Body.", "title": long, "author": long}) + "\n")
    for path in (md, jsonl):
        result = load_file(tmp_path, path)
        (article,) = result.articles
        assert len(article.title) <= fields.MAX_FIELD_CHARS["title"] == 500
        assert len(article.author or "") <= fields.MAX_FIELD_CHARS["author"] == 300
        assert len(article.source or "") <= fields.MAX_FIELD_CHARS["source"]
        assert len(article.url or "") <= fields.MAX_FIELD_CHARS["url"]
        assert any("'title' longer than 500 characters; cut" in p.message for p in result.problems), result.problems


def test_running_out_of_memory_in_one_file_is_that_files_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    write(corpus / "bomb.md", "---\nauthor: boom\n---\nThe body of the bad article.\n")
    write(corpus / "good.md", "---\nauthor: Jane Doe\n---\nThe harbour reopened after the storm.\n")
    real = formats.author_field

    def author(fields: Any, warnings: Any) -> Any:
        if fields.get("author") == "boom":
            raise MemoryError
        return real(fields, warnings)

    monkeypatch.setattr(formats, "author_field", author)
    result = load_file(corpus, corpus / "bomb.md")
    assert result.articles == () and result.problems == (LoadProblem("bomb.md", "out of memory while reading it"),)
    problems: list[LoadProblem] = []
    report = build_index(corpus, tmp_path / "index", embedder=HashEmbedder(), on_problem=problems.append)
    assert report.added == 1 and problems == [LoadProblem("bomb.md", "out of memory while reading it")]


# --- item 9: links out of the corpus, special files --------------------------------------------


def corpus_with_links(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    write(corpus / "good.txt", "Good\n\nThe ferry left the harbour at dawn.\n")
    write(tmp_path / "private" / "diary.txt", "Diary\n\nMy bank password is on the fridge.\n")
    write(corpus / "sub" / "inner.txt", "Inner\n\nThe orchard flooded in spring.\n")
    os.symlink(tmp_path / "private" / "diary.txt", corpus / "diary.txt")
    os.symlink(tmp_path / "private", corpus / "private-notes")
    os.symlink(corpus / "sub", corpus / "again")  # inside: followed, once
    os.symlink("..", corpus / "sub" / "up")  # inside (the corpus itself): no loop
    return corpus


def test_links_out_of_the_corpus_are_skipped_with_one_line_each(tmp_path: Path) -> None:
    corpus = corpus_with_links(tmp_path)
    problems: list[LoadProblem] = []
    found = [p.relative_to(corpus).as_posix() for p in discover_files(corpus, on_problem=problems.append)]
    assert found == ["again/inner.txt", "good.txt"]
    assert sorted(p.path for p in problems) == ["diary.txt", "private-notes"]
    assert all("outside the corpus" in p.message and "--follow-symlinks" in p.message for p in problems)
    followed = [p.relative_to(corpus).as_posix() for p in discover_files(corpus, follow_symlinks=True)]
    assert followed == ["again/inner.txt", "diary.txt", "good.txt", "private-notes/diary.txt"]


def test_index_skips_links_out_of_the_corpus_unless_asked(tmp_path: Path) -> None:
    corpus = corpus_with_links(tmp_path)
    index = tmp_path / "index"
    code, _, err = run("index", str(corpus), "--index", str(index), "--backend", "hash")
    assert code == 0, err
    lines = [line for line in err.splitlines() if line.startswith("skipped: ")]
    assert len(lines) == 2 and all("outside the corpus" in line for line in lines), err
    assert "bank password" not in indexed_text(index)
    code, _, err = run("index", str(corpus), "--index", str(index), "--backend", "hash", "--follow-symlinks")
    assert code == 0 and "outside the corpus" not in err, err
    assert "bank password" in indexed_text(index)


def test_the_chat_follows_links_out_of_the_corpus_only_when_asked(tmp_path: Path) -> None:
    corpus = corpus_with_links(tmp_path)
    engine = open_engine(Settings(corpus=corpus, index=tmp_path / "index", backend="hash"))
    engine.close()
    assert "bank password" not in indexed_text(tmp_path / "index")
    engine = open_engine(Settings(corpus=corpus, index=tmp_path / "index", backend="hash", follow_symlinks=True))
    engine.close()
    assert "bank password" in indexed_text(tmp_path / "index")
    code, _, err = run("--follow-symlinks", "config", "--json")
    assert code == 0 and json.loads(_)["settings"]["follow_symlinks"] is True, err


def indexed_text(index: Path) -> str:
    engine = Engine(index, embedder=HashEmbedder())
    try:
        return "\n".join(text for (text,) in engine.db.execute("SELECT text FROM articles"))
    finally:
        engine.close()


def test_a_link_to_proc_is_never_indexed(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write(corpus / "good.txt", "Good\n\nThe ferry left the harbour at dawn.\n")
    os.symlink("/proc/self/status", corpus / "status.txt")
    os.symlink("/proc/self/environ", corpus / "environ.jsonl")
    for follow in (False, True):
        index = tmp_path / f"index-{follow}"
        problems: list[LoadProblem] = []
        extra = {"follow_symlinks": True} if follow else {}  # the default first
        build_index(corpus, index, embedder=HashEmbedder(), on_problem=problems.append, **extra)
        text = indexed_text(index)
        assert "VmRSS" not in text and "PATH=" not in text
        assert sorted(p.path for p in problems) == ["environ.jsonl", "status.txt"], problems
    # Read directly through the link (as the indexer reads a followed one): not a regular file.
    result = load_file(corpus, corpus / "status.txt")
    assert result.articles == () and [p.message for p in result.problems] == ["not a regular file"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_reported_and_never_opened(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write(corpus / "good.txt", "Good\n\nThe ferry left the harbour at dawn.\n")
    os.mkfifo(corpus / "pipe.txt")
    os.mkfifo(tmp_path / "outside.fifo")
    os.symlink(tmp_path / "outside.fifo", corpus / "linked.jsonl")
    problems: list[LoadProblem] = []
    found = list(discover_files(corpus, on_problem=problems.append, follow_symlinks=True))
    assert [p.name for p in found] == ["good.txt"]
    assert sorted((p.path, p.message) for p in problems) == [
        ("linked.jsonl", "not a regular file (a FIFO)"), ("pipe.txt", "not a regular file (a FIFO)"),
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("name", ["swapped.txt", "swapped.jsonl"])
def test_a_file_swapped_for_a_fifo_after_its_stat_does_not_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """The file was regular when stat'ed and is a FIFO by the time it is opened: opening must not block."""
    regular = write(tmp_path / "regular.txt", "Title\n\nBody.\n")
    fifo = tmp_path / name
    os.mkfifo(fifo)
    real_stat = os.stat

    def stale_stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        return real_stat(regular if Path(path) == fifo else path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stale_stat)
    results: list[Any] = []
    reader = threading.Thread(target=lambda: results.append(load_file(tmp_path, fifo)), daemon=True)
    reader.start()
    reader.join(10)
    monkeypatch.undo()
    if reader.is_alive():  # blocked in open(): give it a writer so the thread can end, then fail
        with open(fifo, "wb"):
            pass
        reader.join(10)
        pytest.fail("opening a FIFO blocked")
    assert results[0].articles == () and results[0].problems[0].message == "not a regular file"
