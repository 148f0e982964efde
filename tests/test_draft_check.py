"""Draft checking: quotations of drafts with seeded changes of every kind, each classified correctly."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import main
from assistant.embedding.registry import HashEmbedder
from assistant.index.indexer import build_index
from assistant.search.draft_check import check_draft, report_to_dicts, same_person
from assistant.search.engine import Engine
from support.corpus import HARBOUR_DEBATE as HARBOUR

ORCHARD = (
    "Apple harvest smaller than expected\n\n"
    "Growers in the valley picked fewer apples this autumn after a dry spring.\n\n"
    "\"The trees simply did not get enough water when the blossom came out,\" grower Anna Berg said.\n"
)


def _index(corpus: Path, root: Path) -> Engine:
    index = root / "index"
    build_index(corpus, index, embedder=HashEmbedder())
    return Engine(index, backend="hash")


@pytest.fixture(scope="module")
def fixture_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = tmp_path_factory.mktemp("draft-fixture")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "harbour.txt").write_text(HARBOUR, encoding="utf-8")
    (corpus / "orchard.txt").write_text(ORCHARD, encoding="utf-8")
    engine = _index(corpus, root)
    yield engine
    engine.close()


def _statuses(engine: Engine, draft: str) -> list[tuple[int, str]]:
    return [(c.line, c.status) for c in check_draft(engine, draft).checks]


def test_every_kind_on_the_fixture_corpus(fixture_engine: Engine) -> None:
    draft = "\n".join([
        "# Harbour story",
        "",
        "\"We have waited twenty years for this harbour,\" Maria Olsen said.",  # 3 exact fragment
        "",
        "\"We have waited thirty years for this harbour,\" Maria Olsen said.",  # 5 one word changed
        "",
        "\"The plan ignores the fishermen and it will cost far more than anyone admits,\" Peter Lund said.",  # 7 dropped
        "",
        "\"The plan ignores the fishermen ... and it will cost far more than anyone admits,\" Lund said.",  # 9 ellipsis
        "",
        "\"We have waited twenty years for this harbour,\" said Peter Lund.",  # 11 wrong speaker
        "",
        "\"The ferry timetable will change every week from now on,\" Olsen said.",  # 13 invented
        "",
        "\"[The council] finally said yes,\" Ms Olsen said.",  # 15 bracket for other words
        "",
        "\"The trees simply did not get nearly enough water when the blossom came out,\" Anna Berg said.",  # 17 added
    ])
    report = check_draft(fixture_engine, draft)
    got = {c.line: c for c in report.checks}
    assert [(line, c.status) for line, c in got.items()] == [
        (3, "exact"), (5, "altered"), (7, "altered"), (9, "exact"), (11, "wrong_speaker"),
        (13, "not_found"), (15, "altered"), (17, "altered"),
    ]
    assert not report.ok
    # The diffs say what changed, with the source's own words.
    assert [(d.kind, d.draft, d.source) for d in got[5].diff if d.kind != "same"] == [("changed", "thirty", "twenty")]
    assert [(d.kind, d.source) for d in got[7].diff if d.kind != "same"] == [("dropped", "who built this town")]
    assert [d.kind for d in got[9].diff if d.kind != "same"] == ["elided"]
    assert [(d.kind, d.draft) for d in got[17].diff if d.kind != "same"] == [("added", "nearly")]
    # A bracket naming another thing than the source's words ('[The council]' for 'the town') changes the source.
    assert [(d.kind, d.source) for d in got[15].diff if d.kind != "same"] == [("bracket_change", "the town")]
    # Found quotations carry exact offsets into the source text.
    for c in report.checks:
        if c.source is not None:
            text = (fixture_engine.article(c.source.article_id)).text
            assert text[c.source.start:c.source.end] == c.source.text
    assert got[3].source is not None and got[3].source.path == "harbour.txt"
    assert got[3].source.speaker is not None and got[3].source.speaker.name == "Maria Olsen"
    assert "Peter Lund" in got[11].note and "Maria Olsen" in got[11].note
    assert got[13].source is None and got[13].closest is not None


def test_unattributed_draft_quotation_is_not_a_wrong_speaker(fixture_engine: Engine) -> None:
    assert _statuses(fixture_engine, "They said it plainly: \"the town finally said yes\".") == [(1, "exact")]


def test_a_draft_without_quotations_is_ok(fixture_engine: Engine) -> None:
    report = check_draft(fixture_engine, "No quotations here, only prose.\n")
    assert report.checks == () and report.ok


def test_same_person_never_guesses() -> None:
    assert same_person("Olsen", "Maria Olsen") and same_person("Ms Maria Olsen", "Maria Olsen")
    assert not same_person("Maria Olsen", "Anna Olsen") and not same_person("Lund", "Olsen")


def test_cli_json_and_exit_status(fixture_engine: Engine, tmp_path: Path) -> None:
    index = fixture_engine.index_dir
    good = tmp_path / "good.md"
    good.write_text("\"The council approved the new harbour plan on Tuesday,\" the paper wrote.\n", encoding="utf-8")
    bad = tmp_path / "bad.md"
    bad.write_text("Intro.\n\n\"The council rejected the new harbour plan on Tuesday.\"\n", encoding="utf-8")
    runner = CliRunner()
    ok = runner.invoke(main, ["check", str(good), "--index", str(index), "--backend", "hash", "--json"])
    assert ok.exit_code == 0, ok.output
    [item] = json.loads(ok.output)
    assert item["status"] == "exact" and item["line"] == 1
    assert {"path", "start", "end", "citation"} <= item["source"].keys()
    fail = runner.invoke(main, ["check", str(bad), "--index", str(index), "--backend", "hash", "--json"])
    assert fail.exit_code == 1
    [item] = json.loads(fail.output)
    assert item["status"] == "altered" and item["line"] == 3
    assert item["diff"] == [{"kind": "changed", "draft": "rejected", "source": "approved"}]
    text = runner.invoke(main, ["check", str(bad), "--index", str(index), "--backend", "hash"])
    assert text.exit_code == 1 and "ALTERED" in text.output and "'approved' -> 'rejected'" in text.output
    binary = tmp_path / "bin.md"
    binary.write_bytes(b"\x00\x01")
    err = runner.invoke(main, ["check", str(binary), "--index", str(index), "--backend", "hash"])
    assert err.exit_code == 2 and "binary" in err.output and "Traceback" not in err.output  # 1 means "not exact"
    # A device, a FIFO or a folder is refused before it is opened (reading /dev/zero never ended).
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    for odd, why in ((Path("/dev/zero"), "not a regular file"), (fifo, "not a regular file"), (tmp_path, "a folder")):
        err = runner.invoke(main, ["check", str(odd), "--index", str(index), "--backend", "hash"])
        assert err.exit_code == 2 and why in err.output and len(err.output.strip().splitlines()) == 1, err.output
    huge = runner.invoke(main, ["check", "-", "--index", str(index), "--backend", "hash"], input="a" * 5_000_001)
    assert huge.exit_code == 2 and "too large" in huge.output


def _bbc() -> Path | None:
    for root in (Path("/work/shared/data/bbc"), Path(__file__).resolve().parents[2] / "shared" / "data" / "bbc"):
        if (root / "politics" / "007.txt").is_file():
            return root
    return None


def test_seeded_changes_on_real_bbc_articles(tmp_path: Path) -> None:
    bbc = _bbc()
    if bbc is None:
        pytest.skip("the BBC data set (../shared/data/bbc) is not here")
    corpus = tmp_path / "corpus"
    for name in ("politics/007.txt", "politics/001.txt", "politics/002.txt", "business/001.txt", "sport/001.txt"):
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(bbc / name, corpus / name)
    engine = _index(corpus, tmp_path)
    try:
        draft = (
            "Election notes\n\n"
            "Dr Fox told BBC Radio: \"If you are willing to lie about the reasons for going to war, I guess you are "
            "going to lie about anything at all.\"\n\n"
            "Mr Blair said: \"I have the same passion and energy as when I first walked through the door of "
            "10 Downing Street.\"\n\n"
            "He warned, saying: \"It's a fight for the future of our country, it's a fight we have to win.\"\n\n"
            "Michael Howard said: \"If you are willing to lie about the reasons for going to war, I guess you are "
            "going to lie about anything.\"\n\n"
            "\"Britain will hold its general election on a Thursday in June,\" Mr Blair said.\n\n"
            "Mr Blair said: \"It's a fight for the future of our country ... we have to win.\"\n"
        )
        got = check_draft(engine, draft).checks
        assert [(c.line, c.status) for c in got] == [
            (3, "exact"), (5, "altered"), (7, "altered"), (9, "wrong_speaker"), (11, "not_found"), (13, "exact"),
        ]
        assert [(d.kind, d.draft, d.source) for d in got[1].diff if d.kind != "same"] == [("changed", "energy", "hunger")]
        assert [d.kind for d in got[2].diff if d.kind != "same"] == ["dropped"]
        assert got[0].source is not None and got[0].source.path == "politics/007.txt"
        assert got[3].source is not None and got[3].source.speaker is not None
        assert got[3].source.speaker.name.endswith("Fox")
        assert all(item["status"] for item in report_to_dicts(check_draft(engine, draft)))
    finally:
        engine.close()


def test_a_changed_first_or_last_word_reads_as_changed_not_added(fixture_engine: Engine) -> None:
    draft = (
        "\"We have waited twenty years for this harbour, and tonight the town finally said no,\" Maria Olsen said.\n\n"
        "\"Those trees simply did not get enough water when the blossom came out,\" Anna Berg said.\n"
    )
    got = check_draft(fixture_engine, draft).checks
    assert [c.status for c in got] == ["altered", "altered"]
    assert [(d.kind, d.draft, d.source) for d in got[0].diff if d.kind != "same"] == [("changed", "no", "yes")]
    assert [(d.kind, d.draft, d.source) for d in got[1].diff if d.kind != "same"] == [("changed", "Those", "The")]
    # The reported passage covers the source word the draft replaced.
    source = got[0].source
    assert source is not None and ORCHARD not in HARBOUR[source.start:source.end]
    assert HARBOUR[source.start:source.end].rstrip(",.\"").endswith("said yes")


def test_a_bare_surname_in_the_draft_is_checked_against_the_source(fixture_engine: Engine) -> None:
    """QA: 'Brown said: "..."' over Tony Blair's words passed as exact: a bare surname, also a common word, is no name
    the article rules accept. In a draft the writer names the speaker: a name the index quotes is compared; a word
    like 'Critics' names nobody and stays unattributed."""
    said = "\"We have waited twenty years for this harbour, and tonight the town finally said yes,\""
    assert _statuses(fixture_engine, f"Lund said: {said}") == [(1, "wrong_speaker")]
    assert _statuses(fixture_engine, f"{said} Lund said.") == [(1, "wrong_speaker")]
    assert _statuses(fixture_engine, f"Olsen said: {said}") == [(1, "exact")]
    assert _statuses(fixture_engine, f"Critics said: {said}") == [(1, "exact")]
