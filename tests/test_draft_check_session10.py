"""Draft checking, session 10: dropped attribution tags, words the source does not quote, the draft's own speaker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import main
from assistant.embedding.registry import HashEmbedder
from assistant.index.indexer import build_index
from assistant.search.draft_check import STATUSES, DiffOp, check_draft, report_to_dicts
from assistant.search.engine import Engine
from support.corpus import HARBOUR_DEBATE as HARBOUR

MAC = (
    "Apple Mac mini gets warm welcome\n\n"
    "The Mac mini has been welcomed by Apple fans, industry experts and PC users.\n\n"
    "One dissenting opinion came from Brian Gammage, vice-president of research at analysts Gartner. "
    "He said: \"I don't think it changes the world.\" Although the Mac mini was very cheap for an Apple computer, "
    "it was still expensive compared to many PCs. Also, he said, it appealed in categories that few consumers care "
    "about when buying a home computer. \"The PC world is a pile-em-high, sell-em-cheap market,\" he said, \"and all "
    "of them are pretty interchangeable.\" \"Every few years it does something to give its market share a kick then "
    "it starts to go back down again,\" said Mr Gammage. The release of the Mac mini fit this pattern. \"It is "
    "the same old story,\" he said.\n\n"
    "\"It's the bravest move they have made yet,\" said Jonny Evans, news editor at Macworld magazine.\n"
)
GROCER = (
    "Grocer shares slide\n\n"
    "Shares in the grocery chain Winn-Dixie fell sharply on Monday.\n\n"
    "\"The chain has lost its way and its customers know it,\" said Evan Mann, an analyst at Gardner Partners.\n\n"
    "\"Nobody in this diocese expects the old shop to reopen before the spring,\" Cardinal Tom Reilly said.\n"
)
COLUMN = (
    "---\ntitle: Why the harbour matters\nauthor: Jane Ridley and Tom Coe\n---\n\n"
    "A town that forgets its fishermen forgets where it came from.\n"
)

SPLIT = ("\"The PC world is a pile-em-high, sell-em-cheap market, and all of them are pretty interchangeable.\"")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = tmp_path_factory.mktemp("draft-session10")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in (("mac.txt", MAC), ("harbour.txt", HARBOUR), ("grocer.txt", GROCER), ("column.md", COLUMN)):
        (corpus / name).write_text(text, encoding="utf-8")
    build_index(corpus, root / "index", embedder=HashEmbedder())
    opened = Engine(root / "index", backend="hash")
    yield opened
    opened.close()


def _one(engine: Engine, draft: str):  # type: ignore[no-untyped-def]
    [check] = check_draft(engine, draft).checks
    return check


# -- 1. a quotation split by an attribution tag


def test_a_dropped_attribution_tag_is_an_accepted_step(engine: Engine) -> None:
    """Before: ALTERED, "dropped without an ellipsis: 'he said'". The tag between two parts of one quotation is
    the reporter's, not the speaker's: leaving it out (and the comma at the join) changes none of their words."""
    check = _one(engine, f"Mr Gammage said: {SPLIT}")
    assert check.status == "exact", check.note
    assert [(d.kind, d.draft, d.source) for d in check.diff if d.kind != "same"] == [("tag", "", "he said")]
    assert DiffOp("tag", "", "he said").accepted
    assert check.note == "attribution tag left out: 'he said'"
    assert check.source is not None and check.source.path == "mac.txt"
    assert check.source.text == ("The PC world is a pile-em-high, sell-em-cheap market,\" he said, \"and all of them "
                                 "are pretty interchangeable")
    assert check.source.speaker is not None and check.source.speaker.name == "Brian Gammage"


def test_a_dropped_tag_with_another_speaker_is_a_wrong_speaker(engine: Engine) -> None:
    check = _one(engine, f"Jonny Evans said: {SPLIT}")
    assert check.status == "wrong_speaker"
    assert check.note == "the draft attributes it to Jonny Evans; the source to Brian Gammage"


def test_dropping_narration_between_two_quotations_stays_dropped(engine: Engine) -> None:
    """Only an attribution tag qualifies: a whole narration passage between two quotations is no tag."""
    check = _one(engine, "Mr Gammage said: \"Every few years it does something to give its market share a kick then "
                         "it starts to go back down again. It is the same old story.\"")
    assert check.status == "altered"
    assert [(d.kind, d.source) for d in check.diff if d.kind != "same"] == [
        ("dropped", "said Mr Gammage. The release of the Mac mini fit this pattern")]


def test_a_tag_dropped_in_the_cli(engine: Engine, tmp_path: Path) -> None:
    draft = tmp_path / "draft.md"
    draft.write_text(f"Mr Gammage said: {SPLIT}\n", encoding="utf-8")
    out = CliRunner().invoke(main, ["check", str(draft), "--index", str(engine.index_dir), "--backend", "hash"])
    assert out.exit_code == 0, out.output
    assert "line 1: EXACT" in out.output and "attribution tag left out: 'he said'" in out.output


# -- 2. words the source does not put in quotation marks


def test_reported_speech_put_in_quotation_marks_is_not_quoted(engine: Engine) -> None:
    """Before: exact ("the source does not say who said it"). The source reports Ms Olsen in its own words."""
    assert STATUSES == ("exact", "altered", "not_quoted", "wrong_speaker", "not_found")
    report = check_draft(engine, "Ms Olsen said: \"The first ships could dock by next summer.\"")
    [check] = report.checks
    assert check.status == "not_quoted"
    assert check.note == (
        "the source does not quote Ms Olsen saying this: these are the reporter's words; the source reports "
        "Maria Olsen's words in its own words (reported speech); it does not quote them"
    )
    assert check.source is not None and check.source.text == "the first ships could dock by next summer"
    assert not report.ok
    assert report.counts() == {"exact": 0, "altered": 0, "not_quoted": 1, "wrong_speaker": 0, "not_found": 0}


def test_narration_put_in_a_speakers_mouth_is_not_quoted(engine: Engine) -> None:
    check = _one(engine, "Maria Olsen said: \"The council approved the new harbour plan on Tuesday.\"")
    assert check.status == "not_quoted"
    assert check.note == "the source does not quote Maria Olsen saying this: these are the reporter's words"
    # Altered too: the word diff comes first, and the note says the words are not a quotation either.
    check = _one(engine, "Maria Olsen said: \"The council approved the new harbour plan on Monday.\"")
    assert check.status == "altered"
    assert check.note == ("changed: 'Tuesday' -> 'Monday'; the source does not quote Maria Olsen saying this: these "
                          "are the reporter's words")


def test_a_quotation_running_into_narration_is_not_quoted(engine: Engine) -> None:
    check = _one(engine, "Maria Olsen said: \"tonight the town finally said yes, council leader Maria Olsen said "
                         "after the vote.\"")
    assert check.status == "not_quoted"
    assert check.note == ("the source does not quote Maria Olsen saying all of this: 'council leader Maria Olsen said "
                          "after the vote' are the reporter's words")


def test_quoting_the_article_itself_stays_exact(engine: Engine) -> None:
    """No speaker in the draft: the writer quotes the article, which is fine."""
    check = _one(engine, "The harbour story put it plainly: \"The first ships could dock by next summer.\"")
    assert check.speaker is None and check.status == "exact"
    # A real quotation of the named person stays exact.
    assert _one(engine, "Peter Lund said: \"The plan ignores the fishermen who built this town.\"").status == "exact"
    # The article's author wrote the words: quoting them is quoting the author.
    column = _one(engine, "Jane Ridley wrote: \"A town that forgets its fishermen forgets where it came from.\"")
    assert column.status == "exact" and column.source is not None and column.source.path == "column.md"
    assert _one(engine, "Peter Lund said: \"A town that forgets its fishermen forgets where it came from.\"").status \
        == "not_quoted"


def test_not_quoted_in_the_cli_text_and_json(engine: Engine, tmp_path: Path) -> None:
    draft = tmp_path / "draft.md"
    draft.write_text("Ms Olsen said: \"The first ships could dock by next summer.\"\n", encoding="utf-8")
    args = ["check", str(draft), "--index", str(engine.index_dir), "--backend", "hash"]
    text = CliRunner().invoke(main, args)
    assert text.exit_code == 1
    assert "line 1: NOT QUOTED" in text.output and "these are the reporter's words" in text.output
    assert "1 quotation(s): 0 exact, 0 altered, 1 not quoted, 0 wrong speaker, 0 not found" in text.output
    out = CliRunner().invoke(main, [*args, "--json"])
    assert out.exit_code == 1
    [item] = json.loads(out.output)
    assert item["status"] == "not_quoted" and item["source"]["path"] == "harbour.txt"
    assert item["speaker"]["name"] == "Ms Olsen" and item["source"]["speaker"] is None


# -- 3. the draft's speaker comes from the draft's own paragraph


def test_a_name_in_another_paragraph_is_not_the_drafts_speaker(engine: Engine) -> None:
    """QA: 'Evan Mann warned about Winn-Dixie.' then, next paragraph, 'The Cardinal said: "..."' was reported as
    "the draft attributes it to Evan Mann" (wrong_speaker). The draft names nobody next to the quotation."""
    draft = ("Evan Mann warned about Winn-Dixie.\n\n"
             "The Cardinal said: \"Nobody in this diocese expects the old shop to reopen before the spring.\"\n")
    check = _one(engine, draft)
    assert check.speaker is None
    assert check.status == "exact" and check.note == ""
    assert check.source is not None and check.source.speaker is not None
    assert check.source.speaker.name == "Tom Reilly"


def test_a_name_in_the_same_paragraph_is_the_drafts_speaker(engine: Engine) -> None:
    draft = ("Evan Mann warned about Winn-Dixie. He said: \"Nobody in this diocese expects the old shop to reopen "
             "before the spring.\"\n")
    check = _one(engine, draft)
    assert check.speaker is not None and check.speaker.name == "Evan Mann"
    assert check.status == "wrong_speaker"
    assert check.note == "the draft attributes it to Evan Mann; the source to Tom Reilly"
    assert report_to_dicts(check_draft(engine, draft))[0]["status"] == "wrong_speaker"


def test_not_quoted_in_the_mcp_check_tool(engine: Engine, tmp_path: Path) -> None:
    from assistant.mcp_server import Tools
    from assistant.settings import Settings

    tools = Tools(Settings(corpus=tmp_path, index=engine.index_dir, backend="hash"), backend="hash")
    try:
        got = tools.check("Ms Olsen said: \"The first ships could dock by next summer.\"\n\n"
                          f"Mr Gammage said: {SPLIT}\n")
    finally:
        if tools._engine is not None:
            tools._engine.close()
    assert got["ok"] is False
    assert got["counts"] == {"exact": 1, "altered": 0, "not_quoted": 1, "wrong_speaker": 0, "not_found": 0}
    assert [q["status"] for q in got["quotations"]] == ["not_quoted", "exact"]
    assert got["quotations"][1]["note"] == "attribution tag left out: 'he said'"
