"""Inputs QA found mishandled: a bad inline filter exiting 0, `check` errors sharing exit 1 with inexact quotations,
hand-edited notebook entries of the wrong type, and SQuAD titles that are not file names ("AC/DC")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support.tui import HARBOUR_QUOTE, MINISTER, QUOTAS, quote_of

from assistant import notebook
from assistant.cli import main
from assistant.errors import NotebookError
from assistant.search.evaluation import write_corpus


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


DATE_HINT = "(use YYYY-MM-DD, YYYY-MM or YYYY)"


# ---------------------------------------------------------------- 1. a bad inline filter is a usage error (exit 2)


@pytest.mark.parametrize("question, value", [
    ("since:2005-13-45 budget", "2005-13-45"),
    ("budget until:notadate", "notadate"),
    ("budget from:2005-02-30", "2005-02-30"),
    ("budget to:'next year'", "next year"),
])
def test_a_bad_inline_date_in_ask_exits_2_as_the_option_does(
    small_index: tuple[Path, Path], question: str, value: str
) -> None:
    _, index = small_index
    code, out, err = run("ask", question, "--index", str(index), "--backend", "hash")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [f"Error: Invalid value for 'QUESTION': not a date: {value!r} {DATE_HINT}"]
    # The option: the same exit status and the same kind of line.
    code, _, err = run("ask", "budget", "--index", str(index), "--since", value)
    assert code == 2 and err.strip().splitlines()[-1] == f"Error: Invalid value for '--since': not a date: {value!r} {DATE_HINT}"
    # --json changes nothing: no JSON object with a message and exit 0.
    code, out, err = run("ask", question, "--index", str(index), "--backend", "hash", "--json")
    assert code == 2 and out == "" and "not a date" in err


def test_a_bad_inline_filter_is_refused_before_the_index_is_opened(tmp_path: Path) -> None:
    code, _, err = run("ask", "since:2005-13-45 budget", "--index", str(tmp_path / "none"), "--backend", "hash")
    assert code == 2 and "not a date: '2005-13-45'" in err and "no index" not in err


def test_an_inline_filter_too_long_to_match_exits_2_as_the_option_does(small_index: tuple[Path, Path]) -> None:
    _, index = small_index
    long = "x" * 1001
    code, _, err = run("ask", f"budget source:{long}", "--index", str(index), "--backend", "hash")
    assert code == 2
    assert err.strip().splitlines() == [
        "Error: Invalid value for 'QUESTION': the source filter is too long (1,001 characters; at most 1,000)"]
    code, _, err = run("ask", "budget", "--source", long, "--index", str(index), "--backend", "hash")
    assert code == 2 and "the source filter is too long" in err


def test_good_inline_filters_still_answer(small_index: tuple[Path, Path]) -> None:
    _, index = small_index
    code, out, err = run("ask", "interest rates since:2005-02 source:Reuters", "--index", str(index), "--backend", "hash",
                         "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["quotes"] and {q["source"] for q in data["quotes"]} == {"Reuters"}


@pytest.mark.parametrize("phrase, value", [("central bank since:2005-13-45", "2005-13-45"), ("until:notadate bank", "notadate")])
def test_a_bad_inline_date_in_mentions_exits_2(small_index: tuple[Path, Path], phrase: str, value: str) -> None:
    _, index = small_index
    code, out, err = run("mentions", phrase, "--index", str(index))
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [f"Error: Invalid value for 'PHRASE': not a date: {value!r} {DATE_HINT}"]
    code, _, err = run("mentions", "central bank", "--index", str(index), "--until", value)
    assert code == 2 and err.strip().splitlines()[-1] == f"Error: Invalid value for '--until': not a date: {value!r} {DATE_HINT}"


def test_a_bad_inline_date_on_one_line_of_a_batch_is_that_lines_message(small_index: tuple[Path, Path]) -> None:
    # `ask -` answers line by line: one bad line is reported in its own record, the batch goes on.
    _, index = small_index
    code, out, _ = run("ask", "-", "--index", str(index), "--backend", "hash", input="budget since:2005-13-45\nvolcano\n")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 2
    assert "not a date" in rows[0]["message"] and rows[0]["quotes"] == [] and rows[1]["quotes"]


# ---------------------------------------------------------------- 2. check: 0 all exact, 1 not exact, 2 cannot check


EXACT = '"The goalkeeper saved three penalties in a row," the paper wrote.\n'
ALTERED = 'Intro.\n\n"The goalkeeper saved four penalties in a row."\n'


def test_check_exits_0_when_every_quotation_is_exact_and_1_when_one_is_not(
    small_index: tuple[Path, Path], tmp_path: Path
) -> None:
    _, index = small_index
    good, bad = tmp_path / "good.md", tmp_path / "bad.md"
    good.write_text(EXACT, encoding="utf-8")
    bad.write_text(ALTERED, encoding="utf-8")
    code, out, err = run("check", str(good), "--index", str(index), "--backend", "hash", "--json")
    assert code == 0, err
    assert [c["status"] for c in json.loads(out)] == ["exact"]
    code, out, _ = run("check", str(bad), "--index", str(index), "--backend", "hash", "--json")
    assert code == 1 and [c["status"] for c in json.loads(out)] == ["altered"]
    code, out, _ = run("check", "-", "--index", str(index), "--backend", "hash", input=ALTERED)
    assert code == 1 and "ALTERED" in out


def one_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, lines
    return lines[0]


def test_check_exits_2_when_the_draft_cannot_be_read(small_index: tuple[Path, Path], tmp_path: Path) -> None:
    _, index = small_index
    missing = tmp_path / "missing.md"
    code, out, err = run("check", str(missing), "--index", str(index), "--backend", "hash")
    assert code == 2 and out == "" and one_error(err) == f"Error: draft: no such file: {missing}"
    code, _, err = run("check", str(tmp_path), "--index", str(index), "--backend", "hash")
    assert code == 2 and one_error(err) == f"Error: draft: {tmp_path} is a folder, not a draft file"
    binary = tmp_path / "bin.md"
    binary.write_bytes(b"\x00\x01")
    code, _, err = run("check", str(binary), "--index", str(index), "--backend", "hash")
    assert code == 2 and "binary" in one_error(err)
    latin = tmp_path / "latin.md"
    latin.write_bytes('"caf\xe9 au lait"'.encode("latin-1"))
    code, _, err = run("check", str(latin), "--index", str(index), "--backend", "hash")
    # Not UTF-8 is no reason to refuse a draft: it is read as cp1252, as the loaders read such articles, with a note.
    assert code == 1 and f"note: {latin}: not UTF-8; decoded as cp1252" in err
    code, _, err = run("check", "-", "--index", str(index), "--backend", "hash", input="a" * 5_000_001)
    assert code == 2 and "too large" in one_error(err)


def test_check_exits_2_without_an_index(tmp_path: Path) -> None:
    draft = tmp_path / "draft.md"
    draft.write_text(EXACT, encoding="utf-8")
    code, out, err = run("check", str(draft), "--index", str(tmp_path / "noindex"), "--backend", "hash")
    assert code == 2 and out == ""
    assert one_error(err) == f"Error: no index at {tmp_path / 'noindex'} (run `assistant index` first)"


def test_check_exits_2_on_a_usage_error_too() -> None:
    code, _, err = run("check")
    assert code == 2 and "Missing argument 'DRAFT'" in err


def test_check_help_documents_its_exit_statuses() -> None:
    code, out, _ = run("check", "--help")
    text = " ".join(out.split())
    assert code == 0
    assert "Exit status: 0 when every quotation is exact" in text
    assert "1 when any is not (altered, not quoted, wrong speaker or not found)" in text
    assert "2 when the draft or the index cannot be read" in text


# ---------------------------------------------------------------- 3. a hand-edited notebook entry of the wrong type


def saved_notebook(tmp_path: Path) -> tuple[Path, Path, dict[str, Any]]:
    """(index, notebook file, its JSON) with three valid pinned quotes."""
    index = tmp_path / "index"
    path = notebook.notebook_path(index)
    notebook.save(path, (notebook.Pinned(quote_of(1, MINISTER, 1), "q1"), notebook.Pinned(quote_of(2, HARBOUR_QUOTE, 2), "q2"),
                         notebook.Pinned(quote_of(1, QUOTAS, 3), "q3")))
    return index, path, json.loads(path.read_text(encoding="utf-8"))


def hand_edit(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data), encoding="utf-8")


BROKEN = [
    (lambda e: e["quote"].__setitem__("text", None), '"text" is null, not a string'),
    (lambda e: e["quote"].pop("text"), '"text" is missing'),
    (lambda e: e["quote"].__setitem__("text", 42), '"text" is a number, not a string'),
    (lambda e: e["quote"].__setitem__("path", None), '"path" is null, not a string'),
    (lambda e: e["quote"].__setitem__("n", "one"), '"n" is a string, not a whole number'),
    (lambda e: e["quote"].__setitem__("start", None), '"start" is null, not a whole number'),
    (lambda e: e["quote"].__setitem__("end", True), '"end" is true, not a whole number'),
    (lambda e: e["quote"].__setitem__("end", 1), '"start" is after "end"'),
    (lambda e: e["quote"].__setitem__("date", 2005), '"date" is a number, not a date (YYYY-MM-DD) or null'),
    (lambda e: e["quote"].__setitem__("date", "2005-13-45"), '"date" is not a date (YYYY-MM-DD)'),
    (lambda e: e["quote"].__setitem__("title", ["x"]), '"title" is a list, not a string or null'),
    (lambda e: e["quote"].__setitem__("source", {"a": 1}), '"source" is an object, not a string or null'),
    (lambda e: e["quote"].__setitem__("line", "3"), '"line" is a string, not a whole number or null'),
    (lambda e: e["quote"].__setitem__("score", "high"), '"score" is a string, not a number'),
    (lambda e: e["quote"].__setitem__("weak", "no"), '"weak" is a string, not true or false'),
    (lambda e: e["quote"].__setitem__("also_in", [{"path": "a.txt"}]), '"also_in" item 1: "title" is missing'),
    (lambda e: e["quote"].__setitem__("also_in", "a.txt"), '"also_in" is a string, not a list'),
    (lambda e: e["quote"].__setitem__("speaker", {"name": 5}), '"speaker": "name" is a number, not a string'),
    (lambda e: e["quote"].__setitem__("speaker", "Brown"), '"speaker" is a string, not an object or null'),
    (lambda e: e.__setitem__("question", 7), '"question" is a number, not a string or null'),
    (lambda e: e.__setitem__("quote", None), '"quote" is null, not an object'),
    (lambda e: e.pop("quote"), '"quote" is missing'),
]


@pytest.mark.parametrize("edit, problem", BROKEN)
def test_a_broken_notebook_entry_is_skipped_with_one_warning_naming_the_file_and_entry(
    tmp_path: Path, edit: Any, problem: str
) -> None:
    index, path, data = saved_notebook(tmp_path)
    edit(data["pinned"][1])
    hand_edit(path, data)
    code, out, err = run("notebook", "list", "--index", str(index))
    assert code == 0 and "Traceback" not in err
    assert err.strip().splitlines() == [f"warning: {path}: skipped pinned entry 2: {problem}"]
    listed = out.splitlines()
    assert len(listed) == 2 and MINISTER in listed[0] and QUOTAS in listed[1] and listed[1].startswith("[2] ")
    code, out, err = run("notebook", "list", "--index", str(index), "--json")
    assert code == 0 and [p["question"] for p in json.loads(out)["pinned"]] == ["q1", "q3"]
    assert f"skipped pinned entry 2: {problem}" in err
    # The library: strict without a callback (one line naming the file and the entry), lenient with one.
    with pytest.raises(NotebookError) as raised:
        notebook.load(path)
    assert str(raised.value) == f"malformed notebook {path}: pinned entry 2: {problem}"
    seen: list[str] = []
    assert [p.question for p in notebook.load(path, on_problem=seen.append)] == ["q1", "q3"]
    assert seen == [f"{path}: skipped pinned entry 2: {problem}"]


def test_export_and_clear_go_on_past_a_broken_entry(tmp_path: Path) -> None:
    index, path, data = saved_notebook(tmp_path)
    data["pinned"][0]["quote"]["text"] = None
    data["pinned"].append("not an entry")
    hand_edit(path, data)
    out_file = tmp_path / "notes.md"
    code, out, err = run("notebook", "export", str(out_file), "--index", str(index))
    assert code == 0 and out.strip() == f"exported 2 pinned quotes to {out_file}"
    assert err.strip().splitlines() == [
        f'warning: {path}: skipped pinned entry 1: "text" is null, not a string',
        f"warning: {path}: skipped pinned entry 4: a string, not an object",
    ]
    text = out_file.read_text(encoding="utf-8")
    assert HARBOUR_QUOTE in text and QUOTAS in text and "None" not in text
    code, out, err = run("notebook", "clear", "--index", str(index), "--json")
    assert code == 0 and json.loads(out) == {"cleared": 2} and notebook.load(path) == ()


@pytest.mark.parametrize("pinned, problem", [(None, '"pinned" is null, not a list'), ({"a": 1}, '"pinned" is an object, not a list')])
def test_a_notebook_whose_pinned_list_is_not_a_list_is_one_error_line(tmp_path: Path, pinned: Any, problem: str) -> None:
    index, path, data = saved_notebook(tmp_path)
    data["pinned"] = pinned
    hand_edit(path, data)
    code, out, err = run("notebook", "list", "--index", str(index))
    assert code == 1 and out == "" and one_error(err) == f"Error: malformed notebook {path}: {problem}"


# ---------------------------------------------------------------- 4. eval: SQuAD titles that are not file names


def squad(*titles: str) -> dict[str, Any]:
    contexts = [
        "The band played a loud concert in Sydney in 1977 before a crowd of students.",
        "The orchestra recorded its first album in Vienna during a cold winter.",
        "Farmers harvested the olives in Crete after an unusually dry summer.",
        "The museum opened a new wing in Lisbon for modern sculpture.",
    ]
    questions = [("Where did the band play a loud concert?", "Sydney"), ("Where did the orchestra record its first album?", "Vienna"),
                 ("Where did farmers harvest olives?", "Crete"), ("Where did the museum open a new wing?", "Lisbon")]
    return {"data": [
        {"title": title, "paragraphs": [{"context": contexts[i], "qas": [
            {"id": f"q{i}", "question": questions[i][0], "answers": [{"text": questions[i][1]}]}]}]}
        for i, title in enumerate(titles)
    ]}


TITLES = ("AC/DC", "AC_DC", "../../escape", "back\\slash\x07bell")


def test_squad_titles_become_distinct_safe_file_names_inside_the_corpus(tmp_path: Path) -> None:
    source = tmp_path / "squad.json"
    source.write_text(json.dumps(squad(*TITLES)), encoding="utf-8")
    corpus = tmp_path / "work" / "corpus"
    corpus.mkdir(parents=True)
    questions = write_corpus(source, corpus, exclude_titles=[])
    written = sorted(p.name for p in corpus.iterdir())
    assert written == ["000_AC_DC.txt", "001_AC_DC.txt", "002_.._.._escape.txt", "003_back_slash_bell.txt"]
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == [
        "squad.json", *(f"work/corpus/{name}" for name in written)]
    for q in questions:
        text = (corpus / q.path).read_text(encoding="utf-8")
        assert q.answers[0] in text[q.start:q.end]
    assert (corpus / "000_AC_DC.txt").read_text(encoding="utf-8").startswith("AC/DC\n\n")  # the title itself is kept


def test_eval_on_titles_with_slashes_matches_each_question_to_its_article(tmp_path: Path) -> None:
    source = tmp_path / "squad.json"
    source.write_text(json.dumps(squad(*TITLES)), encoding="utf-8")
    code, out, err = run("eval", str(source), "--backend", "hash", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["questions"] == {"answerable": 4}
    assert report["recall_at_10"] == 1.0 and report["quote_hit_at_3"] == 1.0
    code, out, err = run("eval", str(source), "--backend", "hash", "--json", "--exclude-title", "AC/DC")
    assert code == 0, err
    assert json.loads(out)["questions"] == {"answerable": 3, "outside": 1}


def test_mentions_and_timelines_say_why_a_date_filter_finds_nothing_in_an_undated_corpus(tmp_path: Path) -> None:
    """QA: on a folder without dates, `mentions --since` and `quotes --by --since` printed 'no article mentions ...' and
    '0 quotation(s)' as if nothing were there; `ask` already said that no article has a date."""
    from click.testing import CliRunner

    from assistant.cli import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(
        "Harbour plan approved\n\nThe council approved the harbour plan.\n\n"
        "\"We are delighted with the decision,\" said Jane Smith, the mayor.\n", encoding="utf-8")
    base = ["--corpus", str(corpus), "--index", str(tmp_path / "idx"), "--backend", "hash"]
    assert CliRunner().invoke(main, [*base, "index"]).exit_code == 0
    for args in (["mentions", "harbour plan", "--since", "2005-01-01"], ["mentions", "harbour plan since:2005-01-01"],
                 ["quotes", "--by", "Jane Smith", "--since", "2005-01-01"]):
        result = CliRunner().invoke(main, [*base, *args])
        assert result.exit_code == 0, result.output
        assert "no article in this corpus has a date" in result.stdout, (args, result.stdout)
    plain = CliRunner().invoke(main, [*base, "quotes", "--by", "Jane Smith"])
    assert "has a date" not in plain.stdout and "1 quotation(s)" in plain.stdout
