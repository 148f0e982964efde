"""Issue 15 in the chat: F4 opens a draft and shows the same check as `assistant check`; Enter reads the source (Pilot, real index)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.indexes import build as build_index
from support.tui import capture_copies, isolate, paste, settle
from textual.pilot import Pilot
from textual.widgets import OptionList

from assistant.cli import main
from assistant.errors import DraftError
from assistant.embedding.hashing import HashEmbedder
from assistant.search.draft_check import check_draft, read_draft, report_to_dicts
from assistant.search.engine import Engine
from assistant.settings import Settings
from assistant.tui.app import AssistantApp, make_app
from assistant.tui.citing import quote_citation
from assistant.tui.dialogs import TextPrompt
from assistant.tui.draft_view import DraftScreen
from assistant.tui.reader import ArticleView, ReaderScreen
from assistant.tui.safe import shown

HARBOUR = (
    "Harbour plan approved after long debate\n\n"
    "The council approved the new harbour plan on Tuesday after a debate that lasted six hours.\n\n"
    "\"We have waited twenty years for this harbour, and tonight the town finally said yes,\" "
    "council leader Maria Olsen said after the vote.\n\n"
    "Opponents were not convinced. \"The plan ignores the fishermen who built this town and it will "
    "cost far more than anyone admits,\" said Peter Lund, who chairs the fishermen's association.\n"
)
ORCHARD = (
    "Apple harvest smaller than expected\n\n"
    "Growers in the valley picked fewer apples this autumn after a dry spring.\n\n"
    "\"The trees simply did not get enough water when the blossom came out,\" grower Anna Berg said.\n"
)
DRAFT = "\n".join([
    "# Harbour story",
    "",
    "\"We have waited twenty years for this harbour,\" Maria Olsen said.",  # 3 exact
    "",
    "\"We have waited thirty years for this harbour,\" Maria Olsen said.",  # 5 one word changed
    "",
    "\"The plan ignores the fishermen and it will cost far more than anyone admits,\" Peter Lund said.",  # 7 dropped
    "",
    "\"We have waited twenty years for this harbour,\" said Peter Lund.",  # 9 wrong speaker
    "",
    "\"The ferry timetable will change every week from now on,\" Olsen said.",  # 11 invented
    "",
    "\"The trees simply did not get enough water when the blossom came out,\" Anna Berg said.",  # 13 exact, 2nd article
    "",
])
EXPECTED = [(3, "exact"), (5, "altered"), (7, "altered"), (9, "wrong_speaker"), (11, "not_found"), (13, "exact")]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path, monkeypatch)


@pytest.fixture
def corpus_index(tmp_path: Path) -> tuple[Path, Path]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "harbour.txt").write_text(HARBOUR, encoding="utf-8")
    (corpus / "orchard.txt").write_text(ORCHARD, encoding="utf-8")
    build_index(corpus, tmp_path / "index")
    return corpus, tmp_path / "index"


def chat(tmp_path: Path, corpus: Path, index: Path) -> AssistantApp:
    """The chat on the real engine over a hash index (no folder watch: nothing changes here)."""
    return make_app(Settings(corpus=corpus, index=index, backend="hash", watch="off"),
                    engine_factory=lambda on_progress: Engine(index, embedder=HashEmbedder()),
                    session_dir=tmp_path / "sessions")


async def open_draft(app: AssistantApp, pilot: Pilot[None], path: Path) -> DraftScreen:
    """F4, type the path as a user would (pasted), Enter; wait for the check."""
    await pilot.press("f4")
    await pilot.pause()
    assert isinstance(app.screen, TextPrompt)
    box = app.screen.query_one("#prompt-input")
    box.value = ""
    await paste(app, pilot, str(path))
    await pilot.press("enter")
    return await checked(app, pilot)


async def checked(app: AssistantApp, pilot: Pilot[None]) -> DraftScreen:
    for _ in range(3):
        await settle(app, pilot)
        await app.screen.workers.wait_for_complete()
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, DraftScreen)
    return screen


def rows(screen: DraftScreen) -> list[str]:
    listing = screen.query_one("#draft-list", OptionList)
    return [listing.get_option_at_index(i).prompt.plain for i in range(listing.option_count)]  # type: ignore[union-attr]


async def test_the_draft_view_shows_the_same_report_as_assistant_check(tmp_path: Path,
                                                                       corpus_index: tuple[Path, Path]) -> None:
    corpus, index = corpus_index
    draft = tmp_path / "draft.md"
    draft.write_text(DRAFT, encoding="utf-8")
    app = chat(tmp_path, corpus, index)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = await open_draft(app, pilot, draft)
        assert screen.result is not None
        checks = screen.result.report.checks
        assert [(c.line, c.status) for c in checks] == EXPECTED
        # The same core API as the CLI: the CLI's JSON for the same draft says the same, quotation by quotation.
        out = CliRunner().invoke(main, ["check", str(draft), "--json", "--index", str(index), "--backend", "hash"])
        cli = json.loads(out.output)
        assert [(item["line"], item["status"]) for item in cli] == EXPECTED
        assert report_to_dicts(screen.result.report) == cli  # citations too: both in the configured style
        shown_rows = rows(screen)
        title = str(screen.query_one("#draft-title").render())
        assert "6 quotations: 2 exact, 2 altered, 1 wrong speaker, 1 not found" in title
        assert shown_rows[0].splitlines()[0].split() == ["1.", "\u2714", "exact", "line", "3"]
        assert "source: harbour.txt:5" in shown_rows[0] and "Harbour Plan Approved After Long Debate" in shown_rows[0]
        # altered: the word diff, source word -> draft word, and what was dropped without an ellipsis
        assert "twenty \u2192 thirty" in shown_rows[1] and "changed: 'twenty' -> 'thirty'" in shown_rows[1]
        assert "[dropped: who built this town]" in shown_rows[2]
        assert "wrong speaker" in shown_rows[3] and "the source to Maria Olsen" in shown_rows[3]
        assert "not found" in shown_rows[4] and "closest passage: " in shown_rows[4]
        assert "source: orchard.txt:" in shown_rows[5]


async def test_enter_opens_the_source_in_the_reader_and_c_copies_its_citation(
        tmp_path: Path, corpus_index: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, index = corpus_index
    draft = tmp_path / "draft.md"
    draft.write_text(DRAFT, encoding="utf-8")
    app = chat(tmp_path, corpus, index)
    copied = capture_copies(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = await open_draft(app, pilot, draft)
        assert screen.result is not None
        await pilot.press("down")  # the altered quotation
        await pilot.press("enter")
        await settle(app, pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        view = reader.query_one(ArticleView)
        assert view.article is not None and view.highlight is not None
        source = screen.result.report.checks[1].source
        assert source is not None
        # The highlighted span is the source passage, word for word.
        assert view.shown_text[view.highlight[0]:view.highlight[1]] == source.text == HARBOUR[source.start:source.end]
        await pilot.press("n", "n", "n")  # to the closest passage of the invented quotation
        await settle(app, pilot)
        assert reader.quote.weak and "weak match" in str(reader.query_one("#reader-status").render())
        await pilot.press("escape")
        assert app.screen is screen
        await pilot.press("c")
        passage = screen.result.passages[1]
        assert passage is not None and copied[-1] == shown(quote_citation(passage, "chicago"))
        # The source's words (not the draft's 'thirty'), with the speaker the source names.
        assert copied[-1].startswith("Olsen said, \u201cWe have waited twenty years for this harbour\u201d\n")
        # F3 in the view: the citations on screen follow the new style.
        await pilot.press("f3")
        await checked(app, pilot)
        assert screen.result.style == "apa"
        assert "Harbour plan approved after long debate. (n.d.)." in rows(screen)[0]


async def test_r_checks_the_edited_draft_again(tmp_path: Path, corpus_index: tuple[Path, Path]) -> None:
    corpus, index = corpus_index
    draft = tmp_path / "draft.txt"
    draft.write_text("\"We have waited thirty years for this harbour,\" Maria Olsen said.\n", encoding="utf-8")
    app = chat(tmp_path, corpus, index)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = await open_draft(app, pilot, draft)
        assert [c.status for c in screen.result.report.checks] == ["altered"]  # type: ignore[union-attr]
        draft.write_text("\"We have waited twenty years for this harbour,\" Maria Olsen said.\n", encoding="utf-8")
        await pilot.press("r")
        await checked(app, pilot)
        assert [c.status for c in screen.result.report.checks] == ["exact"]  # type: ignore[union-attr]
        assert "1 quotation: 1 exact" in str(screen.query_one("#draft-title").render())


@pytest.mark.parametrize(("name", "content", "says"), [
    ("missing.md", None, "no such file"),
    ("folder", "dir", "is a folder"),
    ("binary.md", b"\x00\x01PNG", "is a binary file"),
])
async def test_a_bad_draft_is_one_clear_line_and_the_chat_goes_on(tmp_path: Path, corpus_index: tuple[Path, Path],
                                                                   name: str, content: bytes | str | None,
                                                                   says: str) -> None:
    corpus, index = corpus_index
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(DraftError, match=says):
        read_draft(path)
    app = chat(tmp_path, corpus, index)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = await open_draft(app, pilot, path)
        assert screen.result is None
        assert says in str(screen.query_one("#draft-title").render())
        await pilot.press("escape")
        assert not isinstance(app.screen, DraftScreen)
        turn = await app.ask("harbour plan")
        await settle(app, pilot)
        assert turn.answer is not None and turn.answer.quotes  # still answering


def test_a_draft_saved_by_a_windows_editor_is_read_with_a_note(tmp_path: Path) -> None:
    """cp1252 (or UTF-16 with its mark) is no reason to refuse a draft: it is read as the loaders read articles."""
    latin = tmp_path / "latin1.md"
    latin.write_bytes("caf\u00e9 \u201cquoted\u201d".encode("cp1252"))
    notes: list[str] = []
    assert read_draft(latin, notes) == "caf\u00e9 \u201cquoted\u201d"
    assert notes == [f"{latin}: not UTF-8; decoded as cp1252"]
    wide = tmp_path / "utf16.md"
    wide.write_bytes("\u201cquoted\u201d".encode("utf-16"))
    assert read_draft(wide) == "\u201cquoted\u201d"


async def test_a_draft_without_quotations_and_a_fifo_are_said_plainly(tmp_path: Path,
                                                                      corpus_index: tuple[Path, Path]) -> None:
    import os

    corpus, index = corpus_index
    plain = tmp_path / "plain.md"
    plain.write_text("No quotations here, only prose.\n", encoding="utf-8")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(DraftError, match="not a regular file"):
        read_draft(fifo)  # would block forever if it were opened
    app = chat(tmp_path, corpus, index)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = await open_draft(app, pilot, plain)
        assert "no quotations found in the draft" in str(screen.query_one("#draft-title").render())


async def test_f4_before_the_engine_is_ready_says_so(tmp_path: Path) -> None:
    import threading

    from support.tui import build

    gate = threading.Event()
    app, _, notes = build(tmp_path, gate=gate)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("f4")
        assert notes and notes[-1].startswith("Cannot check a draft yet")
        gate.set()
        await settle(app, pilot)


def test_the_core_report_is_what_the_view_lists(tmp_path: Path, corpus_index: tuple[Path, Path]) -> None:
    _, index = corpus_index
    engine = Engine(index, embedder=HashEmbedder())
    try:
        assert [(c.line, c.status) for c in check_draft(engine, DRAFT).checks] == EXPECTED
    finally:
        engine.close()


async def test_saving_the_draft_checks_it_again_by_itself(tmp_path: Path, corpus_index: tuple[Path, Path]) -> None:
    import asyncio
    import os
    import time

    corpus, index = corpus_index
    draft = tmp_path / "draft.md"
    draft.write_text("\"We have waited thirty years for this harbour,\" Maria Olsen said.\n", encoding="utf-8")
    app = chat(tmp_path, corpus, index)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = await open_draft(app, pilot, draft)
        assert [c.status for c in screen.result.report.checks] == ["altered"]  # type: ignore[union-attr]
        draft.write_text("\"We have waited twenty years for this harbour,\" Maria Olsen said.\n", encoding="utf-8")
        later = draft.stat().st_mtime_ns + 2_000_000_000  # same size: only the time says it was saved
        os.utime(draft, ns=(later, later))
        started = time.monotonic()
        while time.monotonic() - started < 30:
            await asyncio.sleep(0.2)
            await checked(app, pilot)
            if [c.status for c in screen.result.report.checks] == ["exact"]:  # type: ignore[union-attr]
                break
        assert [c.status for c in screen.result.report.checks] == ["exact"]  # type: ignore[union-attr]


async def test_wrapped_lines_of_a_report_entry_keep_their_indent(tmp_path: Path,
                                                                 corpus_index: tuple[Path, Path]) -> None:
    """A quotation, note or citation longer than the view wraps under its own first word, never at column 0."""
    corpus, index = corpus_index
    draft = tmp_path / "draft.md"
    draft.write_text("\"The plan ignores the fishermen who built this town and it will cost far more than anyone "
                     "admits,\" said Peter Lund.\n", encoding="utf-8")
    app = chat(tmp_path, corpus, index)
    async with app.run_test(size=(60, 40)) as pilot:
        await settle(app, pilot)
        screen = await open_draft(app, pilot, draft)
        listing = screen.query_one("#draft-list", OptionList)
        shown_lines = [listing.render_line(y).text for y in range(listing.size.height)]
        body = [line.rstrip() for line in shown_lines if line.strip()]
        first = next(i for i, line in enumerate(body) if "1." in line and "exact" in line)
        entry = body[first:]
        assert len(entry) >= 5, entry  # the quotation and the citation wrap at 60 columns
        inner = len(entry[1]) - len(entry[1].lstrip())
        assert inner >= 4 and all(len(line) - len(line.lstrip()) >= inner for line in entry[1:]), entry


async def test_words_the_source_does_not_quote_are_shown_as_not_a_quotation(tmp_path: Path,
                                                                          corpus_index: tuple[Path, Path]) -> None:
    """The reporter's narration put in Maria Olsen's mouth: its own label, colour and note, counted in the title."""
    from assistant.search.draft_check import DiffOp
    from assistant.tui.draft_view import STATUS_LOOK, diff_content

    corpus, index = corpus_index
    draft = tmp_path / "draft.md"
    draft.write_text("Maria Olsen said: \"The council approved the new harbour plan on Tuesday.\"\n\n"
                     "\"The trees simply did not get enough water when the blossom came out,\" Anna Berg said.\n",
                     encoding="utf-8")
    app = chat(tmp_path, corpus, index)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = await open_draft(app, pilot, draft)
        assert screen.result is not None
        assert [(c.line, c.status) for c in screen.result.report.checks] == [(1, "not_quoted"), (3, "exact")]
        shown_rows = rows(screen)
        assert shown_rows[0].splitlines()[0].split() == ["1.", "\u26a0", "not", "a", "quotation", "line", "1"]
        assert "the source does not quote Maria Olsen saying this: these are the reporter's words" in shown_rows[0]
        assert "source: harbour.txt:3" in shown_rows[0]
        title = str(screen.query_one("#draft-title").render())
        assert "2 quotations: 1 exact, 1 not quoted" in title
    assert STATUS_LOOK["not_quoted"] == ("\u26a0 not a quotation", "bold $accent")
    # A left-out attribution tag is an accepted step, shown muted in a word diff.
    shown_diff = diff_content((DiffOp("same", "market", "market"), DiffOp("tag", "", "he said"),
                               DiffOp("same", "and all", "and all"))).plain
    assert shown_diff == "market [tag left out: he said] and all"
