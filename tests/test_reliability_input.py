"""Bad input under stress: fuzzed files for every loader, huge and deep files, odd file systems and names,
and hostile questions. Zero crashes; each bad file reported once, by name."""

from __future__ import annotations

import collections
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.inputs import ENCODINGS, FILES, JSON_VALUE, QUESTION, TEXT, encode
from support.reliability import (
    ASSISTANT,
    TRACEBACK,
    KillCorpus,
    ShapeOnlyEmbedder,
    assert_answers,
    budget,
    integrity_ok,
    layout,
    prose,
    run_cli,
    write,
)

from assistant.text import decoding
from assistant.search.answer import AnswerPolicy
from assistant.text.chunking import chunk_article, passage_for_embedding
from assistant.embedding.registry import HashEmbedder
from assistant.search.engine import Engine
from assistant.index.indexer import build_index
from assistant.corpus.stream import load_file
from assistant.models import LoadProblem, LoadResult
from assistant.serialize import answer_to_dict

FUZZ_EXAMPLES = int(os.environ.get("RELIABILITY_FUZZ_EXAMPLES", 0)) or budget(1000, 300)
"""Hypothesis examples per loader."""
CORPUS_EXAMPLES = int(os.environ.get("RELIABILITY_CORPUS_EXAMPLES", 0)) or budget(200, 60)
"""Whole random corpora indexed and queried."""
QUESTION_EXAMPLES = budget(500, 200)
YAML_MARKER = Path("/tmp/assistant-yaml-pwned")
"""What a `!!python/object/apply:os.system` tag in the fuzzed front matter would create if YAML ran it."""
SUFFIXES = {"txt": ".txt", "md": ".md", "html": ".html", "jsonl": ".jsonl"}


@pytest.fixture(scope="module")
def fuzz_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def check_loaded(root: Path, path: Path, result: LoadResult, fmt: str) -> None:
    """The properties every load must have, whatever the bytes."""
    rel = path.relative_to(root).as_posix()
    assert result.articles or result.problems
    for problem in result.problems:
        assert problem.message and "\n" not in problem.message
        problem.message.encode("utf-8")
    skipped = [p for p in result.problems if p.skipped]
    if fmt == "jsonl":
        assert all(p.path == rel or p.path.startswith(rel + ":") for p in result.problems)
        per_line = collections.Counter(p.path for p in skipped)
        assert max(per_line.values(), default=0) <= 1, per_line  # each bad line reported once
    else:
        assert all(p.path == rel for p in result.problems)
        assert len(result.articles) + len(skipped) == 1  # loaded, or reported once as skipped
    embedder = HashEmbedder()
    for article in result.articles:
        assert article.path == rel
        for value in (article.text, article.title, article.source, article.url, article.author):
            (value or "").encode("utf-8")  # no lone surrogate can reach SQLite or a terminal
        assert 0 <= article.body_start < len(article.text) and article.text[article.body_start :].strip()
        sentences, chunks = chunk_article(article.text, article.body_start)
        for piece in (*sentences, *chunks):
            span = article.text[piece.start : piece.end]
            assert article.body_start <= piece.start < piece.end <= len(article.text) and span == span.strip()
        passages = [passage_for_embedding(article.title, article.date, article.text[c.start : c.end]) for c in chunks[:4]]
        assert embedder.encode(passages).shape == (len(passages), embedder.dim)


def fuzz_one(root: Path, fmt: str, text: str, encoding: str) -> None:
    path = write(root / fmt / f"case{SUFFIXES[fmt]}", encode(text, encoding))
    YAML_MARKER.unlink(missing_ok=True)
    check_loaded(root, path, load_file(root, path), fmt)
    assert not YAML_MARKER.exists(), "a YAML tag in the front matter ran a command"


FUZZ_SETTINGS = settings(max_examples=FUZZ_EXAMPLES, deadline=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                                HealthCheck.data_too_large])


@pytest.mark.slow
@FUZZ_SETTINGS
@given(text=FILES["txt"], encoding=ENCODINGS)
def test_fuzzed_txt_files(fuzz_root: Path, text: str, encoding: str) -> None:
    fuzz_one(fuzz_root, "txt", text, encoding)


@pytest.mark.slow
@FUZZ_SETTINGS
@given(text=FILES["md"], encoding=ENCODINGS)
def test_fuzzed_markdown_front_matter(fuzz_root: Path, text: str, encoding: str) -> None:
    fuzz_one(fuzz_root, "md", text, encoding)


@pytest.mark.slow
@FUZZ_SETTINGS
@given(text=FILES["html"], encoding=ENCODINGS)
def test_fuzzed_html(fuzz_root: Path, text: str, encoding: str) -> None:
    fuzz_one(fuzz_root, "html", text, encoding)


@pytest.mark.slow
@FUZZ_SETTINGS
@given(text=FILES["jsonl"], encoding=ENCODINGS)
def test_fuzzed_jsonl(fuzz_root: Path, text: str, encoding: str) -> None:
    fuzz_one(fuzz_root, "jsonl", text, encoding)


RANDOM_BYTES = st.one_of(
    st.binary(max_size=4000),
    st.lists(st.sampled_from([b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"\x1b[2J", b"\r\n", b"\n\n", b"Title", b"---\n",
                              b'{"text": "', b"<p>", b"\xc3", b"\xe2\x80", b"date: ", b" date 2023-08-08 "]), max_size=60).map(b"".join),
)


@pytest.mark.slow
@FUZZ_SETTINGS
@given(data=RANDOM_BYTES, fmt=st.sampled_from(sorted(FILES)))
def test_fuzzed_random_bytes(fuzz_root: Path, data: bytes, fmt: str) -> None:
    path = write(fuzz_root / "bytes" / f"case{SUFFIXES[fmt]}", data)
    check_loaded(fuzz_root, path, load_file(fuzz_root, path), fmt)


@settings(max_examples=budget(500, 200), deadline=None)
@given(value=st.one_of(JSON_VALUE, st.dates(), st.datetimes(), TEXT, st.text(alphabet="0123456789-/. :TZ+", max_size=30)))
def test_dates_that_do_not_parse_are_none(value: Any) -> None:
    day = decoding.parse_date(value)
    assert day is None or 1 <= day.year <= 9999


# --- whole random corpora, indexed -------------------------------------------------------------

ANCHOR = "Anchor article\n\nThe lighthouse keeper counted seventeen ships before the storm.\n"


@pytest.mark.slow
@settings(max_examples=CORPUS_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
@given(files=st.lists(st.tuples(st.sampled_from(sorted(FILES)), st.data()), min_size=1, max_size=5), encoding=ENCODINGS)
def test_random_corpora_index_and_answer(fuzz_root: Path, files: list[tuple[str, Any]], encoding: str) -> None:
    """A corpus of random files next to one good article: indexing never raises, every file is indexed or
    reported (each problem once), the index is consistent, and it answers with verbatim quotes; a second run
    embeds nothing and reports the same problems once again."""
    root = Path(tempfile.mkdtemp(dir=fuzz_root))
    corpus, index = root / "corpus", root / "index"
    write(corpus / "anchor.txt", ANCHOR)
    for n, (fmt, data) in enumerate(files):
        write(corpus / f"f{n}{SUFFIXES[fmt]}", encode(data.draw(FILES[fmt]), encoding))
    problems: list[LoadProblem] = []
    report = build_index(corpus, index, embedder=HashEmbedder(), on_problem=problems.append)
    counted = collections.Counter((p.path, p.message) for p in problems)
    assert max(counted.values(), default=1) == 1, counted
    integrity_ok(index)
    engine = Engine(index, embedder=HashEmbedder(), policy=AnswerPolicy(abstain_below=0.0))
    try:
        indexed = {path for (path,) in engine.db.execute("SELECT DISTINCT path FROM articles")}
        for n, (fmt, _) in enumerate(files):
            name = f"f{n}{SUFFIXES[fmt]}"
            assert name in indexed or any(p.skipped and p.path.split(":")[0] == name for p in problems), name
        answer = engine.ask("How many ships did the lighthouse keeper count?")
        assert answer.quotes[0].path == "anchor.txt"
        for article_id, text, body_start in engine.db.execute("SELECT id, text, body_start FROM articles"):
            question = " ".join(text[body_start:].split()[:8])
            answer = engine.ask(question)
            for quote in answer.quotes:
                assert engine.article(quote.article_id).text[quote.start : quote.end] == quote.text
            json.dumps(answer_to_dict(answer), ensure_ascii=False).encode("utf-8")
    finally:
        engine.close()
    again: list[LoadProblem] = []
    assert build_index(corpus, index, embedder=HashEmbedder(), on_problem=again.append).chunks_embedded == 0
    assert collections.Counter((p.path, p.message) for p in again) == counted
    assert report.files == len(files) + 1
    shutil.rmtree(root)


# --- huge, deep and long inputs ----------------------------------------------------------------


def index_and_check(corpus: Path, index: Path, *, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`assistant index` in a child process (a native crash cannot take the tests down): it must succeed."""
    result = run_cli("index", str(corpus), "--index", str(index), "--backend", "hash", timeout=timeout)
    assert result.returncode == 0 and TRACEBACK not in result.stderr, (result.returncode, result.stderr[-3000:])
    *problems, summary = result.stderr.splitlines()
    assert "chunks embedded" in summary  # and nothing else: no library log line or warning leaks out
    assert all(line.startswith(("skipped: ", "warning: ")) for line in problems), problems
    return result


@pytest.mark.slow
def test_huge_lines_are_indexed(tmp_path: Path) -> None:
    """Megabyte-long single lines (1.7 MB of words without punctuation, a 2 MB spaceless run, 100,000 tiny
    sentences) and a 1.5 MB JSONL record load, chunk into bounded pieces and answer."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    words = " ".join(prose(i, sentences=1).rstrip(".") for i in range(25_000))
    write(corpus / "words.txt", "A title\n\n" + words + "\n")
    write(corpus / "blob.txt", "Blob\n\n" + "x" * 2_000_000 + "\n")
    write(corpus / "tiny.txt", "Tiny sentences\n\n" + " ".join(f"S{i}." for i in range(100_000)) + "\n")
    write(corpus / "big.jsonl", json.dumps({"title": "Big", "text": words[:1_500_000]}) + "\n")
    index_and_check(corpus, index)
    integrity_ok(index)
    engine = Engine(index, embedder=HashEmbedder())
    try:
        longest = engine.db.execute("SELECT max(end - start) FROM sentences").fetchone()[0]
        assert longest <= 1500  # MAX_SENTENCE_CHARS: nothing unbounded reaches the model
        answer = engine.ask(words[800_000:800_080])
        assert answer.quotes and answer.quotes[0].path in ("words.txt", "big.jsonl")
        for quote in answer.quotes:
            assert engine.article(quote.article_id).text[quote.start : quote.end] == quote.text
    finally:
        engine.close()


@pytest.mark.slow
def test_deeply_nested_html_never_crashes(tmp_path: Path) -> None:
    """100,000 nested divs, 50,000 unclosed tags, nested tables and comments: each page is indexed or skipped
    with one line, and the process survives (lxml and trafilatura are native code and recursive)."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    text = "<p>Deep inside, the river keeper counted the boats.</p>"
    write(corpus / "divs.html", "<html><body>" + "<div>" * 100_000 + text + "</div>" * 100_000 + "</body></html>")
    write(corpus / "unclosed.html", "<html><body>" + "<b><i>" * 25_000 + text)
    write(corpus / "tables.html", "<table><tr><td>" * 5_000 + text + "</td></tr></table>" * 5_000)
    write(corpus / "comments.html", "<!--" * 20_000 + text + "-->" * 20_000)
    write(corpus / "good.txt", "Good\n\nThe ferry left the harbour at dawn.\n")
    result = index_and_check(corpus, index, timeout=600)
    names = {line.split(":")[1].strip() for line in result.stderr.splitlines() if line.startswith(("skipped:", "warning:"))}
    assert names <= {"divs.html", "unclosed.html", "tables.html", "comments.html"}
    assert all(result.stderr.count(f": {name}:") <= 1 for name in names)
    assert_answers(index)


FRONT_MATTER_CASES = {
    "title is a list": ("title: [1, 2]", "'title' should be text"),
    "date is a mapping": ("date: {day: 8}", "unrecognised date"),
    "date is impossible": ("date: 2023-13-45", "unrecognised date"),
    "date is far future": ("date: 99999-01-01", "unrecognised date"),
    "date has bad time": ("date: 2023-08-08T25:61:00", None),
    "date is a float": ("date: 1e308", "unrecognised date"),
    "binary title": ("title: !!binary aGVsbG8=", "'title' should be text"),
    "python tag": ("title: !!python/object/apply:os.system ['touch /tmp/assistant-yaml-pwned']", "not valid YAML"),
    "alias bomb": ("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ntitle: *d",
                   "more than 20 YAML aliases"),
    "undefined alias": ("title: *nowhere", "not valid YAML"),
    "front matter is a list": ("- a\n- b", "not a mapping"),
    "author of mixed types": ("author: [Ann, 3, {x: y}]", "'author' should be text"),
    "lone surrogate title": ('title: "\\ud800 lone"', None),
    "NUL in title": ("title: \"a\\0b\"", None),
}


@pytest.mark.parametrize("case", sorted(FRONT_MATTER_CASES))
def test_front_matter_with_wrong_types(tmp_path: Path, case: str) -> None:
    """Each bad field is one warning naming the file; the article still loads with the rest; no tag runs code."""
    yaml_text, warning = FRONT_MATTER_CASES[case]
    YAML_MARKER.unlink(missing_ok=True)
    path = write(tmp_path / "a.md", f"---\n{yaml_text}\n---\n\nThe ferry left the harbour at dawn.\n")
    result = load_file(tmp_path, path)
    check_loaded(tmp_path, path, result, "md")
    (article,) = result.articles
    assert article.text[article.body_start :].startswith("The ferry left")
    assert article.date is None or article.date.year < 10000
    if warning:
        assert [p.path for p in result.problems] == ["a.md"] and warning in result.problems[0].message
    assert not YAML_MARKER.exists()


@pytest.mark.slow
def test_a_million_line_jsonl(tmp_path: Path) -> None:
    """1,000,000 lines (1,000 records, the rest blank, garbage, non-objects and records without text): loaded
    in one pass with bounded memory, bad lines capped at 100 plus a summary, and indexed through the CLI."""
    import psutil

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    bad = ["", "not json", "[1, 2]", '{"title": "no text"}', '{"text": 5}', "{", '"string"']
    with open(write(corpus / "million.jsonl", b""), "w", encoding="utf-8") as handle:
        for n in range(1_000_000):
            good = n % 1000 == 0
            handle.write(json.dumps({"title": f"Record {n}", "text": prose(n)}) if good else bad[n % len(bad)])
            handle.write("\n")
    before = psutil.Process().memory_info().rss
    result = load_file(corpus, corpus / "million.jsonl")
    assert psutil.Process().memory_info().rss - before < 200_000_000
    assert len(result.articles) == 1000
    listed = [p for p in result.problems if p.path.startswith("million.jsonl:")]
    assert len(listed) == 100 and result.problems[-1].message.endswith("more bad lines not listed")
    indexed = index_and_check(corpus, index, timeout=600)
    assert len(indexed.stderr.strip().splitlines()) <= 102
    assert_answers(index)


def test_a_large_jsonl_is_committed_in_batches(tmp_path: Path) -> None:
    """The commit batch holds within a file too: one large JSONL is embedded and written a batch at a time."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write(corpus / "wire.jsonl", "".join(json.dumps({"text": prose(n)}) + "\n" for n in range(300)))
    writes = []
    build_index(corpus, index, embedder=HashEmbedder(), batch_chunks=64,
                on_progress=lambda p: writes.append(p) if p.phase == "write" else None)
    assert len(writes) >= 4


def test_a_file_too_large_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.corpus import stream

    corpus = tmp_path / "corpus"
    write(corpus / "good.txt", "Good\n\nThe ferry left the harbour at dawn.\n")
    with open(corpus / "huge.txt", "wb") as handle:
        handle.truncate(30_000_000_000)  # sparse: no disk space used
    read: list[str] = []
    real = stream.file_fingerprint

    def fingerprint(path: Path) -> str:
        read.append(Path(path).name)
        return "0" * 64 if Path(path).stat().st_size > 20_000_000 else real(path)

    monkeypatch.setattr(stream, "file_fingerprint", fingerprint)
    problems: list[LoadProblem] = []
    build_index(corpus, tmp_path / "index", embedder=HashEmbedder(), on_problem=problems.append)
    assert [p.path for p in problems] == ["huge.txt"] and "too large" in problems[0].message
    assert "huge.txt" not in read


# --- file systems: symlinks, special files, permissions, churn, names --------------------------


def problem_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(("skipped: ", "warning: "))]


def test_symlink_loops_and_special_files(tmp_path: Path) -> None:
    """Loops, chains, broken links, a device, a FIFO, a sparse 25 MB file and a folder named like an article:
    the run ends (nothing blocks or reads forever), the good files are indexed, each oddity reported once.
    Links out of the corpus (to a file elsewhere, to /dev/zero) are skipped with one line each (issue 10)."""
    corpus, index, outside = tmp_path / "corpus", tmp_path / "index", tmp_path / "outside"
    write(corpus / "good.txt", "Good\n\nThe ferry left the harbour at dawn.\n")
    write(outside / "linked.txt", "Linked\n\nThe lighthouse was painted red and white.\n")
    (corpus / "sub").mkdir()
    os.symlink("..", corpus / "sub" / "loop")
    os.symlink("self", corpus / "self")
    os.symlink("chain2.txt", corpus / "chain1.txt")
    os.symlink("chain1.txt", corpus / "chain2.txt")
    os.symlink("nowhere.txt", corpus / "broken.txt")
    os.symlink("/dev/zero", corpus / "zero.txt")
    os.symlink(outside / "linked.txt", corpus / "linked.txt")
    os.mkfifo(corpus / "fifo.txt")
    with open(corpus / "sparse.txt", "wb") as handle:
        handle.truncate(25_000_000)  # over the 20 MB limit
    (corpus / "folder.md").mkdir()
    result = index_and_check(corpus, index, timeout=120)
    lines = problem_lines(result.stderr)
    assert len(lines) == len({line.split(":")[1] for line in lines}), lines  # once each
    assert any("sparse.txt: file too large" in line for line in lines)
    assert any("fifo.txt: not a regular file (a FIFO)" in line for line in lines)
    assert any("linked.txt: symbolic link to" in line and "outside the corpus" in line for line in lines)
    assert any("zero.txt: symbolic link to /dev/zero, outside the corpus" in line for line in lines)
    # The FIFO and the device are not regular files: never opened (that would block or read forever).
    engine = Engine(index, embedder=HashEmbedder())
    try:
        paths = {path for (path,) in engine.db.execute("SELECT path FROM articles")}
        assert paths == {"good.txt"}
    finally:
        engine.close()


def run_unprivileged(*args: str) -> subprocess.CompletedProcess[str]:
    """`assistant ARGS` without the power to ignore file modes (as root: without CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH, so a mode of 000 means what it says)."""
    if os.geteuid() != 0:
        return run_cli(*args)
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: file modes cannot be enforced")
    command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *ASSISTANT, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_unreadable_files_and_folders(tmp_path: Path) -> None:
    """A file without read permission and folders that cannot be listed are each reported once by name;
    everything else is indexed; once readable, the next run picks them up."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write(corpus / "good.txt", "Good\n\nThe ferry left the harbour at dawn.\n")
    secret = write(corpus / "secret.txt", "Secret\n\nThe vault opened at midnight.\n")
    write(corpus / "closed" / "inner.txt", "Inner\n\nThe orchard flooded in spring.\n")
    write(corpus / "traverse" / "hidden.txt", "Hidden\n\nThe miller sold his mill.\n")
    secret.chmod(0)
    (corpus / "closed").chmod(0)
    (corpus / "traverse").chmod(0o111)
    result = run_unprivileged("index", str(corpus), "--index", str(index), "--backend", "hash")
    assert result.returncode == 0 and TRACEBACK not in result.stderr, result.stderr
    lines = problem_lines(result.stderr)
    assert sorted(line.split(":")[1].strip() for line in lines) == ["closed", "secret.txt", "traverse"], lines
    assert all("Permission denied" in line for line in lines)
    (corpus / "closed").chmod(0o755)
    (corpus / "traverse").chmod(0o755)
    secret.chmod(0o644)
    again = run_unprivileged("index", str(corpus), "--index", str(index), "--backend", "hash")
    assert again.returncode == 0 and not problem_lines(again.stderr), again.stderr
    assert "3 articles added" in again.stderr


CHURN_TRIALS = budget(5, 2)


@pytest.mark.slow
def test_files_changing_and_vanishing_during_an_index_run(tmp_path: Path) -> None:
    """While `assistant index` runs, another thread deletes, truncates, rewrites, renames and recreates files:
    the run never fails, the index stays consistent, and the next run matches a clean build of what is left."""
    import random

    for trial in range(CHURN_TRIALS):
        rng = random.Random(trial)
        corpus = KillCorpus(tmp_path / f"corpus{trial}")
        corpus.add_txt(3_000)
        index = tmp_path / f"index{trial}"
        stop = threading.Event()
        changes: collections.Counter[int] = collections.Counter()

        def churn() -> None:
            files = list(corpus.txt)
            while not stop.is_set():
                path = rng.choice(files)
                action = rng.randrange(5)
                try:
                    if action == 0:
                        path.unlink()
                    elif action == 1:
                        path.write_bytes(b"")
                    elif action == 2:
                        path.write_text(f"Rewritten {rng.random()}\n\n{prose(rng.randrange(10**6))}\n", encoding="utf-8")
                    elif action == 3:
                        path.rename(path.with_name("renamed-" + path.name))
                    else:
                        path.write_text(f"Back\n\n{prose(rng.randrange(10**6))}\n", encoding="utf-8")
                    changes[action] += 1
                except OSError:
                    pass
                time.sleep(0.001)

        worker = threading.Thread(target=churn)
        worker.start()
        try:
            result = run_cli("index", str(corpus.root), "--index", str(index), "--backend", "hash")
        finally:
            stop.set()
            worker.join()
        assert result.returncode == 0 and TRACEBACK not in result.stderr, result.stderr[-3000:]
        print(f"RELIABILITY churn {trial}: {sum(changes.values())} changes during the run, "
              f"{len(problem_lines(result.stderr))} problem lines")
        integrity_ok(index)
        assert_answers(index)
        assert run_cli("index", str(corpus.root), "--index", str(index), "--backend", "hash").returncode == 0
        reference = tmp_path / f"reference{trial}"
        build_index(corpus.root, reference, embedder=ShapeOnlyEmbedder())
        assert layout(index)["articles"] == layout(reference)["articles"]


ODD_NAMES = [
    "with space.txt", "  leading and trailing  .txt", "new\nline.txt", "tab\there.txt", "-starts-with-dash.txt",
    "caf\u00e9.txt", "cafe\u0301.txt", "\U0001f600 emoji.md", "\u05e2\u05d1\u05e8\u05d9\u05ea.txt", "back\\slash.txt",
    "colon:name.txt", "quote\"and'apostrophe.txt", "percent%s%n.txt", "semi;colon$(echo hi).txt",
    "x" * 240 + ".txt", "/".join(["deep"] * 60) + "/bottom.txt", "\x1b[31mred\x1b[0m.txt",
]


def test_odd_file_names(tmp_path: Path) -> None:
    """Names with spaces, newlines, tabs, shell characters, NFC and NFD twins, RTL, emoji, 240 characters,
    60 folders deep or escape sequences are all indexed under their exact names; names that are not UTF-8
    are reported once (shown with \\x escapes) and the rest of the corpus is still indexed."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    sentences = {}
    for n, name in enumerate(ODD_NAMES):
        sentences[name] = prose(70_000 + n)
        write(corpus / name, f"Article {n}\n\n{sentences[name]}\n")
    raw = os.fsencode(corpus)
    for name in (b"latin1-caf\xe9.txt", b"bad\xff\xfe.md"):
        with open(raw + b"/" + name, "w", encoding="utf-8") as handle:
            handle.write("Hidden\n\nNever indexed.\n")
    os.mkdir(raw + b"/folder\xff")
    with open(raw + b"/folder\xff/inside.txt", "w", encoding="utf-8") as handle:
        handle.write("Inside\n\nNever indexed either.\n")
    result = index_and_check(corpus, index)
    lines = problem_lines(result.stderr)
    assert sorted(lines) == sorted(f"skipped: {name}: name is not valid UTF-8; rename it to index it"
                                   for name in ("latin1-caf\\xe9.txt", "bad\\xff\\xfe.md", "folder\\xff")), lines
    asked = run_cli("ask", "-", "--index", str(index), "--backend", "hash",
                    input="\n".join(s.split(".")[0] for s in sentences.values()) + "\n")
    assert asked.returncode == 0, asked.stderr
    for name, line in zip(ODD_NAMES, asked.stdout.splitlines(), strict=True):
        top = json.loads(line)["quotes"][0]
        assert top["path"] == name and top["text"] in sentences[name]


def test_corpus_folder_with_a_non_utf8_name(tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/corpus-caf\xe9"
    os.mkdir(raw)
    with open(raw + b"/good.txt", "w", encoding="utf-8") as handle:
        handle.write("Good\n\nThe ferry left the harbour at dawn.\n")
    index_and_check(Path(os.fsdecode(raw)), tmp_path / "index")


# --- questions ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def question_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = KillCorpus(tmp_path_factory.mktemp("questions") / "corpus")
    corpus.add_txt(200)
    write(corpus.root / "special.txt", 'Special\n\nThe "quoted" NEAR(term) and AND OR NOT words; DROP TABLE x; -- 50% off.\n')
    index = corpus.root.parent / "index"
    build_index(corpus.root, index, embedder=HashEmbedder())
    return index


ODD_QUESTIONS = {
    "empty": "", "space": "   ", "punctuation": "?!.,;:-()[]{}\"'`~@#$%^&*_+=|\\/<>", "long words": "harbour " * 1250,
    "long blob": "x" * 10_000, "fts quote": '"', "fts unbalanced": '"quoted NEAR(term', "fts operators": "AND OR NOT NEAR",
    "fts star": "*", "fts column": "title:special body:words", "fts caret": "^special", "sql injection": "'; DROP TABLE articles; --",
    "sql tautology": "1' OR '1'='1", "sql union": "x UNION SELECT * FROM meta", "like wildcards": "% _ \\",
    "bad filter date": "since:2023-02-30 harbour", "bad filter year": "until:99999 harbour", "empty filter": "source: harbour",
    "escape sequences": "\x1b]52;c;SGVsbG8=\x07 \x1b[2J harbour", "control characters": "\x01\x02\x7f harbour\x9b",
    "bidi": "\u202eruobrah\u202c", "rtl": "\u05e0\u05de\u05dc \u0645\u064a\u0646\u0627\u0621", "emoji": "\U0001f6a2\u2693",
    "dash first": "-5% growth", "option-like": "--help",
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ODD_QUESTIONS))
def test_odd_questions_through_the_cli(question_index: Path, name: str) -> None:
    """Each odd question gets an answer or one clear message, in text and in JSON; never a traceback."""
    question = ODD_QUESTIONS[name]
    for extra in ((), ("--json",)):
        result = run_cli("ask", question, "--index", str(question_index), *extra)
        assert TRACEBACK not in result.stderr, result.stderr[-3000:]
        if question.startswith("-"):  # click reads it as an option: `assistant ask --index X -- "-5% growth"` works
            assert result.returncode in (0, 2) and (result.returncode == 0 or "Error:" in result.stderr)
            continue
        # A bad inline filter is a usage error, as the option `--since` is; so is a question without a word to
        # search for (the same error `mentions` gives).
        if name.startswith("bad filter") or not any(ch.isalnum() for ch in question):
            assert result.returncode == 2 and result.stderr.strip().startswith("Error:"), result.stderr
            assert len(result.stderr.strip().splitlines()) == 1 and not result.stdout
            continue
        assert result.returncode == 0, result.stderr
        if extra:
            answer = json.loads(result.stdout)
            assert answer["quotes"] or answer["message"]
        else:
            assert result.stdout.strip()
            assert "\x1b" not in result.stdout and "\x07" not in result.stdout


def ask_batch(index: Path, payload: bytes, **env: str) -> list[dict[str, Any]]:
    """`assistant ask -` fed raw bytes: exit 0, no traceback, and valid UTF-8 JSON Lines out."""
    result = subprocess.run([*ASSISTANT, "ask", "-", "--index", str(index)], input=payload, capture_output=True,
                            timeout=120, env={**os.environ, **env})
    assert result.returncode == 0 and TRACEBACK.encode() not in result.stderr, result.stderr[-3000:]
    return [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]


def test_odd_questions_in_a_batch(question_index: Path) -> None:
    """`ask -` reads NUL, CR and control characters; one JSON line per question."""
    lines = [*(q for q in ODD_QUESTIONS.values() if q.strip()), "nul\x00inside harbour", "cr only\rharbour"]
    answers = ask_batch(question_index, "\n".join(lines).encode("utf-8") + b"\n")
    assert len(answers) == len(lines)
    assert all(a["quotes"] or a["message"] for a in answers)


@pytest.mark.parametrize("io_encoding", ["utf-8:strict", "utf-8:surrogateescape"])
def test_a_batch_question_that_is_not_utf8(question_index: Path, io_encoding: str) -> None:
    answers = ask_batch(question_index, b"harbour \xff\xfe keeper\n", PYTHONIOENCODING=io_encoding)
    assert len(answers) == 1 and "\ufffd" in answers[0]["question"]


def test_undecodable_bytes_in_an_inline_filter(question_index: Path) -> None:
    result = subprocess.run([*ASSISTANT, "ask", b"source:caf\xe9 harbour", "--index", str(question_index)],
                            capture_output=True, timeout=120)
    assert TRACEBACK.encode() not in result.stderr, result.stderr[-2000:]


@settings(max_examples=QUESTION_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(question=QUESTION.map(decoding.replace_surrogates))  # lone surrogates: see the xfail test above
def test_any_question_gets_an_answer_or_a_message(question_index: Path, question: str) -> None:
    engine = Engine(question_index, embedder=HashEmbedder())
    try:
        answer = engine.ask(question)
        assert answer.quotes or answer.message
        for quote in answer.quotes:
            assert engine.article(quote.article_id).text[quote.start : quote.end] == quote.text
        json.dumps(answer_to_dict(answer))
    finally:
        engine.close()
