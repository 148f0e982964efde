"""The `assistant` command through click's CliRunner, on small corpora and the fast fake backend."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import main
from support.corpus import write_corpus_with_problems


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_index_reports_bad_files_and_goes_on(tmp_path: Path) -> None:
    corpus = write_corpus_with_problems(tmp_path / "corpus")
    code, _, err = run("index", str(corpus), "--index", str(tmp_path / "idx"), "--backend", "hash")
    assert code == 0
    lines = err.strip().splitlines()
    assert any(line.startswith("skipped: binary.txt: ") for line in lines)
    assert any(line.startswith("skipped: empty.txt: ") for line in lines)
    assert any("bad.jsonl:2" in line for line in lines)
    assert ": 3 articles added, 0 updated" in lines[-1]  # good.txt, latin.txt and the good line of bad.jsonl
    code, out, _ = run("stats", "--index", str(tmp_path / "idx"), "--json")
    stats = json.loads(out)
    assert code == 0 and stats["articles"] == 3 and stats["backend"] == "hash"
    # --strict turns the same problems into a failure; a second run embeds nothing.
    code, _, err = run("index", str(corpus), "--index", str(tmp_path / "idx"), "--backend", "hash", "--strict")
    assert code != 0 and "--strict" in err
    assert "0 chunks embedded" in err


def test_ask_json_schema(small_index: tuple[Path, Path]) -> None:
    _, index = small_index
    code, out, _ = run("ask", "Who said Azerbaijan will not negotiate?", "--index", str(index), "--json", "-k", "3")
    assert code == 0
    data = json.loads(out)
    assert {"question", "answered", "quotes"} <= set(data)
    assert isinstance(data["answered"], bool) and 1 <= len(data["quotes"]) <= 3
    for quote in data["quotes"]:
        for key, kind in [("n", int), ("text", str), ("title", str), ("path", str), ("start", int), ("end", int),
                          ("line", int), ("paragraph", int), ("score", float)]:
            assert isinstance(quote[key], kind), key
        assert quote["date"] is None or len(quote["date"]) == 10
        assert quote["source"] is None or isinstance(quote["source"], str)
        assert quote["end"] - quote["start"] == len(quote["text"])


def test_ask_reads_questions_from_stdin_as_json_lines(small_index: tuple[Path, Path]) -> None:
    _, index = small_index
    code, out, _ = run("ask", "-", "--index", str(index), input="interest rates\n\nvolcano\n")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["question"] for r in rows] == ["interest rates", "volcano"]


def test_ask_filters_from_options(small_index: tuple[Path, Path]) -> None:
    _, index = small_index
    code, out, _ = run("ask", "interest rates", "--index", str(index), "--json", "--source", "Reuters",
                       "--since", "2005-01-01", "--until", "2005-12-31")
    data = json.loads(out)
    assert code == 0 and data["quotes"] and {q["source"] for q in data["quotes"]} == {"Reuters"}
    code, _, err = run("ask", "x", "--index", str(index), "--since", "soon")
    assert code != 0 and "not a date" in err


def test_ask_text_output_cites_and_lists_sources(small_index: tuple[Path, Path]) -> None:
    _, index = small_index
    code, out, _ = run("ask", "What did Tofig Zulfugarov say about negotiations?", "--index", str(index))
    # A passage carrying its own quotation marks is printed as it stands (issue 13), others in a pair.
    assert code == 0 and out.startswith("[1] ")
    assert "Azerbaijan will not negotiate" in out and '"\u201c' not in out and '\u201d"' not in out
    assert "(Relations between Baku and Karabakh Armenians, 8 Aug 2023, para." in out
    assert "Sources:" in out and "000_8c27288c5cf39a16.txt:" in out


def test_missing_index_is_one_clear_line(tmp_path: Path) -> None:
    code, _, err = run("ask", "anything", "--index", str(tmp_path / "none"))
    assert code == 1 and err.strip().count("\n") == 0 and "no index" in err


def test_terminal_output_strips_escape_sequences(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "evil.txt").write_text(
        "Evil \x1b]0;pwned\x07 title\n\nThe harbour \x1b[31mwas\x1b[0m closed \x1b]52;c;SGVsbG8=\x07 by the storm [bold]today[/bold].\n\n"
        + "Fishing boats stayed in port while the wind kept rising along the whole coast. " * 3 + "\n",
        encoding="utf-8",
    )
    run("index", str(corpus), "--index", str(tmp_path / "idx"), "--backend", "hash")
    code, out, _ = run("ask", "harbour closed storm", "--index", str(tmp_path / "idx"))
    assert code == 0 and "\x1b" not in out and "\x07" not in out
    assert "[bold]today[/bold]" in out
    code, out, _ = run("ask", "harbour closed storm", "--index", str(tmp_path / "idx"), "--json")
    assert "\x1b[31m" in json.loads(out)["quotes"][0]["text"]


def test_help_lists_the_commands() -> None:
    code, out, _ = run("--help")
    # Names in the Commands section, not words anywhere in the text ('index' is in most descriptions).
    listed = {line.split()[0] for line in out.partition("Commands:")[2].splitlines() if line.strip()}
    assert code == 0 and {"index", "ask", "stats", "eval", "config"} <= listed


def test_quick_help_and_version_are_what_click_prints() -> None:
    """`assistant --help` / `--version` are answered without click (issue 17); the text must stay click's."""
    import importlib.metadata

    from assistant import __version__
    from assistant.__main__ import HELP, quick_answer

    # Wider terminals wrap at 78 like 80 columns do; narrower ones, `python -m` and other arguments go to click.
    rendered = CliRunner().invoke(main, ["--help"], prog_name="assistant", terminal_width=78).output
    assert HELP == rendered, "paste the new `assistant --help` into assistant/__main__.py's HELP"
    assert quick_answer(["--help"], "assistant") == rendered
    version = CliRunner().invoke(main, ["--version"], prog_name="assistant").output
    assert quick_answer(["--version"], "assistant") == version == f"assistant, version {__version__}\n"
    assert importlib.metadata.version("assistant") == __version__
    for argv, prog in ((["--help"], "__main__.py"), (["ask", "--help"], "assistant"), (["--help", "x"], "assistant"), ([], "assistant")):
        assert quick_answer(argv, prog) is None


def test_quick_help_in_a_fresh_process_loads_neither_click_nor_the_cli(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    code = (
        "import sys\nsys.argv = ['assistant', '--help']\nfrom assistant.__main__ import run\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        "print('LOADED', sorted(m for m in sys.modules if m == 'click' or m.startswith('assistant.')))\n"
    )
    env = {**os.environ, "COLUMNS": "120"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.endswith("LOADED ['assistant.__main__']\n")
    assert out.startswith("Usage: assistant [OPTIONS] [COMMAND] [ARGS]...")
    narrow = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**env, "COLUMNS": "60"}).stdout
    assert "'click'" in narrow.splitlines()[-1]  # a 60-column terminal: click wraps the text itself


def test_the_plain_launch_opens_the_chat_as_click_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`assistant` alone opens the chat without click (issue 17): the same settings, the same errors."""
    import os
    import subprocess
    import sys

    import assistant.tui.app
    from assistant.tui.start import chat_with_defaults

    opened: list[tuple[object, bool]] = []

    class Recorder:
        def __init__(self, settings: object, resume: bool = False) -> None:
            opened.append((settings, resume))

        def run(self) -> None:
            pass

    monkeypatch.setattr(assistant.tui.app, "make_app", Recorder)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for key in [k for k in os.environ if k.startswith("ASSISTANT_")]:
        monkeypatch.delenv(key)
    (tmp_path / "corpus").mkdir()
    assert chat_with_defaults() == 0
    assert CliRunner().invoke(main, [], catch_exceptions=False).exit_code == 0
    assert len(opened) == 2 and opened[0] == opened[1]
    # No corpus and no index: the same one line and exit code both ways.
    (tmp_path / "corpus").rmdir()
    quick = subprocess.run([sys.executable, "-m", "assistant"], capture_output=True, text=True, cwd=tmp_path,
                           env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")})
    slow = subprocess.run([sys.executable, "-m", "assistant", "--resume"], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")})
    assert quick.returncode == slow.returncode == 1
    assert quick.stderr == slow.stderr and quick.stderr.startswith("Error: no corpus folder at corpus and no index at")
