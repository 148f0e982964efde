"""Where each setting comes from: command line, then ASSISTANT_* variables, then config files, then defaults."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.settings import DEFAULT_BACKEND, Settings, load_settings, resolve_settings, user_config_path


@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A working folder of the test's own (a local assistant.toml is looked for there)."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("ASSISTANT_TRUST_LOCAL_CONFIG", raising=False)
    monkeypatch.delenv("ASSISTANT_FOLLOW_SYMLINKS", raising=False)


def user_config(text: str) -> Path:
    path = user_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_user_config_lives_under_xdg_config_home(monkeypatch: pytest.MonkeyPatch) -> None:
    assert user_config_path() == Path(os.environ["XDG_CONFIG_HOME"]) / "assistant" / "config.toml"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert user_config_path() == Path.home() / ".config" / "assistant" / "config.toml"


def test_defaults_when_nothing_is_set() -> None:
    resolved = resolve_settings()
    assert resolved.settings == Settings(corpus=Path("corpus"), index=Path("index"))
    assert resolved.settings.backend == DEFAULT_BACKEND and resolved.settings.max_quotes == 5
    assert set(resolved.sources.values()) == {"default"}
    assert [f.status for f in resolved.files] == ["not found", "not found"]


def test_command_line_beats_environment_beats_config(monkeypatch: pytest.MonkeyPatch) -> None:
    config = user_config('corpus = "from-config"\nindex = "config-index"\nbackend = "torch"\nmax_quotes = 3\n')
    monkeypatch.setenv("ASSISTANT_INDEX", "env-index")
    monkeypatch.setenv("ASSISTANT_BACKEND", "onnx")
    resolved = resolve_settings(backend="hash")
    assert resolved.settings.corpus == Path("from-config") and resolved.sources["corpus"] == str(config)
    assert resolved.settings.index == Path("env-index") and resolved.sources["index"] == "environment ASSISTANT_INDEX"
    assert resolved.settings.backend == "hash" and resolved.sources["backend"] == "command line"
    assert resolved.settings.max_quotes == 3 and resolved.sources["max_quotes"] == str(config)
    assert resolved.files[0].status == "read"


@pytest.mark.parametrize("value", ["0", "-2", '"five"', "true"])
def test_a_bad_max_quotes_falls_back_to_the_default(value: str) -> None:
    user_config(f"max_quotes = {value}\n")
    resolved = resolve_settings()
    assert resolved.settings.max_quotes == 5 and resolved.sources["max_quotes"] == "default"


def test_an_unknown_cite_style_warns_and_uses_chicago() -> None:
    user_config('cite_style = " APA "\n')
    assert load_settings().cite_style == "apa"
    user_config('cite_style = "vancouver"\n')
    resolved = resolve_settings()
    assert resolved.settings.cite_style == "chicago"
    assert any("vancouver" in w and "chicago" in w for w in resolved.warnings)


def test_an_unreadable_user_config_is_a_value_error_naming_it() -> None:
    path = user_config("corpus = [unclosed\n")
    with pytest.raises(ValueError, match=str(path)):
        load_settings()


def test_paths_expand_the_home_folder() -> None:
    settings = load_settings(corpus="~/news", index="~/news-index")
    assert settings.corpus == Path.home() / "news" and settings.index == Path.home() / "news-index"


def test_a_local_config_is_read_only_when_trusted() -> None:
    Path("assistant.toml").write_text('index = "local-index"\nmax_quotes = 2\n', encoding="utf-8")
    ignored = resolve_settings()
    assert ignored.settings.index == Path("index")
    assert [f.status for f in ignored.files] == ["not found", "ignored"]
    assert any("--local-config" in w for w in ignored.warnings)
    trusted = resolve_settings(trust_local_config=True)
    assert trusted.settings.index == Path("local-index") and trusted.settings.max_quotes == 2
    assert trusted.sources["index"] == str(Path("assistant.toml").absolute())
    assert trusted.sources["trust_local_config"] == "command line" and trusted.trust_local_config


def test_the_user_config_can_opt_in_to_local_configs() -> None:
    user_config("trust_local_config = true\n")
    Path("assistant.toml").write_text('corpus = "local-corpus"\n', encoding="utf-8")
    resolved = resolve_settings()
    assert resolved.trust_local_config and resolved.settings.corpus == Path("local-corpus")


def test_follow_symlinks_from_the_environment_is_a_boolean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_FOLLOW_SYMLINKS", "yes")
    assert load_settings().follow_symlinks is True
    monkeypatch.setenv("ASSISTANT_FOLLOW_SYMLINKS", "no")
    assert load_settings().follow_symlinks is False


def test_an_index_opened_without_a_corpus_keeps_the_folder_it_was_built_from(tmp_path: Path) -> None:
    # `assistant --index ~/bbc-index` in a folder holding another ./corpus used to rebuild the archive from
    # ./corpus, dropping every article not in it.
    from assistant.index.indexer import build_index
    from assistant.launch import open_engine

    archive = tmp_path / "archive"
    archive.mkdir()
    for n in range(3):
        (archive / f"a{n}.txt").write_text(f"Story {n}\n\nThe harbour reopened on day {n}.\n", encoding="utf-8")
    index = tmp_path / "archive-index"
    build_index(archive, index, backend="hash")
    Path("corpus").mkdir()
    Path("corpus/other.txt").write_text("Other\n\nSomething else entirely.\n", encoding="utf-8")

    resolved = resolve_settings(index=index, backend="hash")
    assert resolved.settings.corpus == archive.resolve()
    assert resolved.sources["corpus"] == f"recorded in the index {index}"
    engine = open_engine(resolved.settings)
    try:
        assert engine.stats().articles == 3
    finally:
        engine.close()
    # Said on the command line (or where the index has no record), the corpus is the one given.
    assert resolve_settings(index=index, corpus="corpus").settings.corpus == Path("corpus")
    assert resolve_settings(index=tmp_path / "none").settings.corpus == Path("corpus")




def test_a_keyword_connection_string_is_refused_without_its_password() -> None:
    from assistant.cli import main

    runner = CliRunner()
    for store in ("host=db.example password=hunter2 dbname=archive", "host=h password = 'hunter 2x'", "mysql://u:hunter2@h/db"):
        result = runner.invoke(main, ["--store", store, "ask", "anything"])
        assert result.exit_code != 0 and "is not a postgresql:// URL" in result.output, result.output
        assert "hunter" not in result.output and "***" in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1
