"""Session 12's input fixes: a question or phrase without words is a usage error in both commands, and asking for
more quotes than the corpus can give says why fewer came back."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import main


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command, argument", [("ask", "QUESTION"), ("mentions", "PHRASE")])
@pytest.mark.parametrize("text", ["", "   ", "?!", "since:2005-01-01"])
def test_no_words_is_the_same_usage_error_in_ask_and_mentions(
    small_index: tuple[Path, Path], command: str, argument: str, text: str
) -> None:
    _, index = small_index
    options = ["--backend", "hash"] if command == "ask" else []  # mentions embeds nothing
    code, out, err = run(command, text, "--index", str(index), *options)
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [f"Error: Invalid value for '{argument}': the "
                                        f"{'question' if command == 'ask' else 'phrase'} has no words to search for"]


def test_fewer_quotes_than_asked_for_come_with_a_note(small_index: tuple[Path, Path]) -> None:
    _, index = small_index
    code, out, err = run("ask", "-k", "50", "central bank rates", "--index", str(index), "--backend", "hash")
    assert code == 0 and "[1]" in out
    shown = out.count("\n  [")
    assert 0 < shown < 50
    assert f"note: {shown} of the 50 quotes asked for" in err
    code, _, err = run("ask", "central bank rates", "--index", str(index), "--backend", "hash")
    assert code == 0 and "note:" not in err  # the default number is no request the user made


def test_config_takes_index_and_corpus_as_the_other_commands_do(small_index: tuple[Path, Path]) -> None:
    corpus, index = small_index
    code, out, err = run("config", "--index", str(index), "--corpus", str(corpus))
    assert code == 0, err
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert lines["index"].split()[1] == str(index) and "(command line)" in lines["index"]
    assert lines["corpus"].split()[1] == str(corpus) and "(command line)" in lines["corpus"]


def test_a_long_phrase_nobody_wrote_is_not_echoed_whole(small_index: tuple[Path, Path]) -> None:
    _, index = small_index
    phrase = " ".join(["zorblax quimflet"] * 60)
    code, out, _ = run("mentions", phrase, "--index", str(index))
    assert code == 0 and out.startswith("no article mentions zorblax quimflet")
    assert len(out.strip()) < 120 and out.strip().endswith("...")
