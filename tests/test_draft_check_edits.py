"""Draft checking of marked edits: brackets that change a quotation, ellipses that splice far parts, the source's own
ellipsis, diffs that stop at the source's closing quotation mark, and Markdown that holds no quotations."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.cli import render_check
from assistant.embedding.registry import HashEmbedder
from assistant.index.indexer import build_index
from assistant.search.draft_check import DraftReport, QuotationCheck, SourceMatch, check_draft, mask_markup
from assistant.search.engine import Engine

ROADS = (
    "Bridge repairs will close county road\n\n"
    "The council set its roads budget on Monday after a long meeting at the town hall.\n\n"
    "\"The repairs will take nine months and the road will stay closed until the autumn,\" said Karen Wells, "
    "the council's head of roads. \"We are sorry for the delay, but there is no cheaper way to do it safely. "
    "Every bridge in the county has been inspected twice this year.\"\n\n"
    "Residents were unhappy. \"We were promised the work would be finished by two thousand and one,\" said "
    "shopkeeper Tom Reed. The council declined to comment further on the promise.\n\n"
    "\"It is not a question of money... it is a question of time,\" Ms Wells added.\n\n"
    "\"Nobody wants the road shut. But the engineers were clear that the bridge could not carry lorries,\" she said.\n"
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = tmp_path_factory.mktemp("draft-edits")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "roads.txt").write_text(ROADS, encoding="utf-8")
    build_index(corpus, root / "index", embedder=HashEmbedder())
    found = Engine(root / "index", backend="hash")
    yield found
    found.close()


def _one(engine: Engine, draft: str) -> QuotationCheck:
    [check] = check_draft(engine, draft).checks
    if check.source is not None:
        assert ROADS[check.source.start:check.source.end] == check.source.text
    return check


def _edits(check: QuotationCheck) -> list[tuple[str, str, str]]:
    return [(d.kind, d.draft, d.source) for d in check.diff if d.kind != "same"]


def test_a_bracket_that_changes_a_number_is_an_alteration(engine: Engine) -> None:
    check = _one(engine, "\"The repairs will take [twelve] months and the road will stay closed until the autumn,\" "
                         "Wells said.")
    assert check.status == "altered"
    assert _edits(check) == [("bracket_change", "[twelve]", "nine")]
    assert "'[twelve]' for 'nine'" in check.note


def test_a_bracketed_negation_is_an_alteration(engine: Engine) -> None:
    check = _one(engine, "\"The repairs will [not] take nine months and the road will stay closed until the autumn,\" "
                         "Wells said.")
    assert check.status == "altered"
    assert _edits(check) == [("bracket_change", "[not]", "")]
    assert "'[not]' added" in check.note


def test_brackets_that_keep_the_meaning_are_accepted_and_named(engine: Engine) -> None:
    glued = _one(engine, "\"[T]he road will stay closed until the autumn,\" Wells said.")
    assert glued.status == "exact" and _edits(glued) == []
    named = _one(engine, "Councillors heard that \"the engineers were clear that [the Wye bridge] could not carry "
                         "lorries\".")
    assert named.status == "exact"
    assert _edits(named) == [("bracketed", "[the Wye bridge]", "the bridge")]
    assert "'[the Wye bridge]' for 'the bridge'" in named.note


def test_an_ellipsis_may_leave_out_many_words_of_the_same_paragraph(engine: Engine) -> None:
    check = _one(engine, "\"The repairs will take nine months ... Every bridge in the county has been inspected twice "
                         "this year,\" Wells said.")
    assert check.status == "exact", check.note
    [elided] = _edits(check)
    assert elided[0] == "elided" and elided[2].startswith("and the road will stay closed")
    assert "for 33 words" in check.note


def test_an_ellipsis_across_paragraphs_keeps_each_part_whole(engine: Engine) -> None:
    check = _one(engine, "\"Every bridge in the county has been inspected twice this year ... Nobody wants the road "
                         "shut,\" Wells said.")
    assert check.status == "exact", check.note
    assert [d.kind for d in check.diff] == ["same", "elided", "same"]
    assert check.diff[0].source == "Every bridge in the county has been inspected twice this year"
    assert check.diff[2].source == "Nobody wants the road shut"


def test_a_spliced_part_that_is_not_there_is_reported(engine: Engine) -> None:
    check = _one(engine, "\"The repairs will take nine months ... and every lorry driver will be compensated in full "
                         "by the county,\" Wells said.")
    assert check.status in ("altered", "not_found")
    assert check.status == "not_found" or any(d.kind == "added" for d in check.diff)


def test_the_sources_own_ellipsis_is_no_edit(engine: Engine) -> None:
    check = _one(engine, "\"It is not a question of money... it is a question of time,\" Ms Wells added.")
    assert check.status == "exact" and _edits(check) == []
    assert "marked edit" not in check.note


def test_a_changed_last_word_stops_at_the_sources_closing_mark(engine: Engine) -> None:
    numbers = _one(engine, "\"We were promised the work would be finished by 2001,\" said Tom Reed.")
    assert numbers.status == "altered"
    assert _edits(numbers) == [("changed", "2001", "two thousand and one")]
    longer = _one(engine, "\"We were promised the work would be finished by the end of the decade,\" said Tom Reed.")
    assert longer.status == "altered"
    assert longer.source is not None and longer.source.text.endswith("two thousand and one")
    assert all("shopkeeper" not in d.source for d in longer.diff)


def test_markdown_that_is_not_prose_holds_no_quotations(engine: Engine) -> None:
    draft = (
        "---\ntitle: \"Roads story\"\nsummary: 'closures'\n---\n\n"
        "<!-- \"check this with the desk\" -->\n"
        "See the [council's report](https://example.org/report \"Roads report 2005\") and `\"code\"`.\n\n"
        "```\nprint(\"not a quotation\")\n```\n\n"
        "\"The repairs will take nine months,\" Wells said.\n"
    )
    masked = mask_markup(draft)
    assert len(masked) == len(draft) and masked.count("\n") == draft.count("\n")
    report = check_draft(engine, draft)
    assert [(c.line, c.status) for c in report.checks] == [(13, "exact")]


def test_a_link_inside_a_quotation_is_read_as_its_text(engine: Engine) -> None:
    check = _one(engine, "\"The repairs will take nine months and [the road](https://example.org/a1) will stay "
                         "closed until the autumn,\" Wells said.")
    assert check.status == "exact", check.note
    assert "(https://example.org/a1)" in check.text  # the draft's own text is shown as written


def test_cli_shows_a_passage_with_its_own_marks_once() -> None:
    passage = "\"It is not a question of money... it is a question of time,\""
    start = ROADS.index(passage)
    closest = SourceMatch(1, "roads.txt", 0, "Bridge repairs", start, start + len(passage), passage, "Roads (n.d.)")
    check = QuotationCheck("It is a question of ferries", 3, 0, 30, "not_found", closest=closest, note="no passage")
    [line] = [x for x in render_check(DraftReport((check,))).splitlines() if "source text:" in x]
    assert line.strip() == "source text: " + passage


def test_utf16_and_cp1252_drafts_are_read_with_a_note(engine: Engine, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from assistant.cli import main

    text = "Wells said: \u201cThe repairs will take nine months,\u201d and left.\n"
    for name, raw, note in (
        ("utf16.md", text.encode("utf-16"), None),
        ("windows.md", text.encode("cp1252"), "not UTF-8; decoded as cp1252"),
    ):
        draft = tmp_path / name
        draft.write_bytes(raw)
        out = CliRunner().invoke(main, ["check", str(draft), "--index", str(engine.index_dir), "--backend", "hash"])
        assert out.exit_code == 0, out.output
        assert "EXACT" in out.output
        assert (note in out.output) if note else ("note:" not in out.output)


def test_an_inch_sign_does_not_close_an_open_quotation() -> None:
    """QA: an unclosed quotation of a draft ran to the '5"' of 'a 5" screen' and was checked as the words up to it."""
    from assistant.text.quotations import extract_quotations

    def quoted(text: str) -> list[str]:
        return [text[q.start:q.end] for q in extract_quotations(text)]

    draft = 'Wells said "the repairs will take nine months on the 5" screen models, and more besides.'
    assert quoted(draft) == [draft[draft.index('"'):]]  # unclosed: to the end of its paragraph, not to the inch sign
    assert quoted('It was about 5\' 10" tall. "We saw him clearly," she said.') == ['"We saw him clearly,"']
    # After a number and before any other word the mark closes the quotation, as news writes it.
    assert quoted('Reed said the side was "no better than a team ranked 50" to him.') == [
        '"no better than a team ranked 50"']


def test_a_bracket_at_the_end_faces_the_words_it_replaces(engine: Engine) -> None:
    """'... until [the spring]' for '... until the autumn': the bracket replaces the last words, and another season is
    no clarification of the source's; '[the Wye bridge]' for 'the bridge' and a name for a description are."""
    season = _one(engine, "\"The repairs will take nine months and the road will stay closed until [the spring],\" "
                          "Wells said.")
    assert season.status == "altered"
    assert _edits(season) == [("bracket_change", "[the spring]", "the autumn")]
    agreeing = _one(engine, "Wells said: \"[The council is] sorry for the delay, but there is no cheaper way to do it "
                            "safely.\"")
    assert agreeing.status == "exact", agreeing.note
    assert _edits(agreeing) == [("bracketed", "[The council is]", "We are")]
