"""`assistant check --cite`: multi-line records printed whole, and one paragraph rule for the CLI and the TUI."""

from __future__ import annotations

import dataclasses
import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.indexes import index_of

from assistant.cli import cite_answer, main
from assistant.models import Answer, Filters, Quote
from assistant.search.draft_check import check_draft
from assistant.search.engine import Engine
from assistant.text.citation_styles import Source, format_citation, to_bibtex
from assistant.text.citations import last_paragraph, paragraph_label

ARTICLE = ("Harbour talks\n\n"
           "The port authority met on Monday to discuss the storm damage.\n\n"
           "Officials gave no timetable for the repairs to the quay.\n\n"
           "Fishing crews were told to wait for news from the council.\n\n"
           "The council meets again next week.\n")
"""Four body paragraphs; the draft quotes the end of the second and the whole third."""
SPANNING = ("Officials gave no timetable for the repairs to the quay. "
            "Fishing crews were told to wait for news from the council.")
DRAFT = f'The report said "{SPANNING}"\n'


def _index(root: Path, newline: str = "\n") -> Path:
    return index_of(root, {"harbour.txt": ARTICLE.replace("\n", newline)})


def _check(index: Path, draft: Path, style: str) -> str:
    args = ["check", str(draft), "--index", str(index), "--backend", "hash", "--cite", style]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result.output


def _record(output: str) -> str:
    """The citation block printed under the 'source:' line, as written (its indent taken off)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("    source: ")) + 1
    block = []
    for line in lines[start:]:
        if not line.startswith("        "):
            break
        block.append(line)
    return textwrap.dedent("\n".join(block))


# ------------------------------------------------------------------ 3. BibTeX and CSL-JSON records printed whole


def test_check_prints_a_bibtex_record_on_its_own_lines(tmp_path: Path) -> None:
    index = _index(tmp_path)
    draft = tmp_path / "draft.md"
    draft.write_text(DRAFT, encoding="utf-8")
    output = _check(index, draft, "bibtex")
    assert "\u240a" not in output  # QA: the record's newlines were shown as '␊' on one line
    assert output.splitlines()[1] == "    source: harbour.txt:5"
    record = _record(output)
    assert record == to_bibtex([Source(title="Harbour talks", path="harbour.txt")]).rstrip("\n")
    assert record.startswith("@misc{") and record.endswith("}") and len(record.splitlines()) == 4


def test_check_prints_csl_json_that_parses(tmp_path: Path) -> None:
    index = _index(tmp_path)
    draft = tmp_path / "draft.md"
    draft.write_text(DRAFT, encoding="utf-8")
    item = json.loads(_record(_check(index, draft, "csl-json")))
    assert item == {"id": "harbour.txt", "type": "article-newspaper", "title": "Harbour talks"}


def test_check_keeps_a_one_line_citation_on_the_source_line(tmp_path: Path) -> None:
    index = _index(tmp_path)
    draft = tmp_path / "draft.md"
    draft.write_text(DRAFT, encoding="utf-8")
    assert "    source: harbour.txt:5  Harbour Talks, n.d., paras. 2\u20133." in _check(index, draft, "chicago")


# ------------------------------------------------------------------ 4. one paragraph rule


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_a_quote_over_two_paragraphs_cites_both_in_the_cli_and_the_tui(tmp_path: Path, newline: str) -> None:
    """QA: `check` cited 'para. 2' where the TUI's draft view cited 'paras. 2–3' for the same quotation."""
    from assistant.tui.citing import source_citation
    from assistant.tui.draft_view import passage_quote

    index = _index(tmp_path, newline)
    draft = tmp_path / "draft.md"
    draft.write_text(DRAFT, encoding="utf-8")
    assert "Harbour Talks, n.d., paras. 2\u20133." in _check(index, draft, "chicago")
    engine = Engine(index, backend="hash")
    try:
        match = check_draft(engine, DRAFT, style="chicago").checks[0].source
        assert match is not None and "paras. 2\u20133" in match.citation
        quote = passage_quote(1, match, engine.article(match.article_id), weak=False)
    finally:
        engine.close()
    assert paragraph_label(quote) == "paras. 2\u20133"
    assert "paras. 2\u20133" in source_citation(quote, "chicago")


def test_a_quote_over_paragraphs_split_by_crlf_counts_them_as_the_index_does() -> None:
    """A Windows file keeps its CRLF in the index: '\\r\\n\\r\\n' parts paragraphs as '\\n\\n' does."""
    text = SPANNING.replace(". ", ".\r\n\r\n", 1)
    quote = Quote(n=1, text=text, article_id=1, path="harbour.txt", record=0, title="Harbour talks", date=None,
                  source=None, url=None, author=None, paragraph=2, line=5, start=0, end=len(text), score=1.0)
    assert last_paragraph(quote) == 3 and paragraph_label(quote) == "paras. 2\u20133"
    three_blank_lines = dataclasses.replace(quote, text=SPANNING.replace(". ", ".\n\n\n\n", 1))
    assert last_paragraph(three_blank_lines) == 3
    answer = Answer("q", "q", Filters(), True, (quote,))
    assert "paras. 2\u20133" in cite_answer(answer, "apa")[0]
    assert "paras. 2\u20133" in format_citation(Source.from_quote(quote), "chicago")
