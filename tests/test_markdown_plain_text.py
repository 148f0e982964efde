"""Markdown articles are stored as the plain text a reader sees (QA defect): no emphasis markers, link syntax,
heading marks, bullets or tags in the text quotes are offsets into, each line still on its line of the file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.corpus.markdown_text import plain_markdown
from assistant.corpus.stream import load_file
from assistant.embedding.hashing import HashEmbedder
from assistant.index.indexer import build_index
from assistant.models import Article
from assistant.search.draft_check import check_draft
from assistant.search.engine import Engine
from assistant.text.chunking import chunk_article
from assistant.text.quotations import extract_quotations

MARKED_UP = """---
title: Budget row
source: Example Times
---

The minister said the plan was **dead** and _buried_, according to [the report](http://example.com/r "Report").

## Reaction

Critics called it *a betrayal*.![chart](http://example.com/c.png) See <b>page</b> 4 &amp; the `plan_b` file \\*sic\\*.

> "We will not back down," she said.

- First point
- Second point

1. Numbered point
"""

PLAIN_BODY = """The minister said the plan was dead and buried, according to the report.

Reaction

Critics called it a betrayal. See page 4 & the plan_b file *sic*.

"We will not back down," she said.

First point
Second point

1. Numbered point
"""


def _load(root: Path, name: str, content: str | bytes) -> Article:
    path = root / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    result = load_file(root, path)
    assert not [p for p in result.problems if p.skipped], result.problems
    (article,) = result.articles
    return article


def _sentences(article: Article) -> list[str]:
    sentences, _ = chunk_article(article.text, article.body_start)
    return [article.text[s.start : s.end] for s in sentences]


def test_the_body_is_plain_text(tmp_path: Path) -> None:
    article = _load(tmp_path, "budget.md", MARKED_UP)
    assert article.title == "Budget row" and article.source == "Example Times"
    assert article.text[article.body_start :] == PLAIN_BODY
    assert article.text.startswith("---\ntitle: Budget row\n")  # the front matter stays as it was


def test_every_line_stays_on_its_line_of_the_file(tmp_path: Path) -> None:
    article = _load(tmp_path, "budget.md", MARKED_UP)
    assert article.first_line == 1
    assert article.text.count("\n") == MARKED_UP.count("\n")
    for plain, marked in (("dead and buried", "**dead**"), ("Reaction", "## Reaction"), ("a betrayal", "*a betrayal*"),
                          ("Second point", "- Second point"), ("We will not", "> \"We will not")):
        assert article.text.count("\n", 0, article.text.index(plain)) == MARKED_UP.count("\n", 0, MARKED_UP.index(marked))


def test_crlf_files_keep_their_line_endings_and_lines(tmp_path: Path) -> None:
    article = _load(tmp_path, "crlf.md", MARKED_UP.replace("\n", "\r\n"))
    assert article.text[article.body_start :] == PLAIN_BODY.replace("\n", "\r\n")


def test_a_heading_is_its_own_paragraph_never_part_of_a_sentence(tmp_path: Path) -> None:
    article = _load(tmp_path, "budget.md", MARKED_UP)
    sentences = _sentences(article)
    assert "Reaction" in sentences
    assert not any("#" in s or "**" in s or "](" in s for s in sentences), sentences


def test_a_heading_glued_to_the_prose_does_not_merge_into_its_sentence(tmp_path: Path) -> None:
    text = "# Title\n\nIntro paragraph here.\n## Reaction\nThe minister said the plan was dead.\n"
    article = _load(tmp_path, "glued.md", text)
    assert article.title == "Title"
    sentences = _sentences(article)
    assert "The minister said the plan was dead." in sentences, sentences
    assert not any("Reaction" in s for s in sentences), sentences
    assert article.text.count("\n") == text.count("\n")


def test_a_heading_title_loses_its_markup(tmp_path: Path) -> None:
    article = _load(tmp_path, "t.md", "# The **big** [news](http://x.y)\n\nFirst paragraph.\n")
    assert article.title == "The big news"
    assert article.text[article.body_start :] == "First paragraph.\n"


def test_an_underlined_title_is_the_title(tmp_path: Path) -> None:
    article = _load(tmp_path, "u.md", "Big *news*\n========\n\nFirst paragraph.\n")
    assert article.title == "Big news"
    assert article.text[article.body_start :] == "First paragraph.\n"


@pytest.mark.parametrize("written", [
    "The variable snake_case_name holds 5*3 items.",
    "Prices rose 2 * 3 per cent, a * marks the estimate.",
    "Use file_name and other_name today.",
    "He wrote * then stopped.",
    "\"Get the sh*t out, f*ck off,\" he shouted, and 2*3*4 is 24, 5**2 is 25.",
    "Odd chars: <3 and a > b but 3 < 4.",
    "AT&T and R&D stay; &not-an-entity stays too.",
    "#hashtag at the start of a line is no heading.",
    "2005. That year the plan died (a paragraph starting like an ordered list keeps its number).",
])
def test_legitimate_asterisks_underscores_and_symbols_stay(tmp_path: Path, written: str) -> None:
    article = _load(tmp_path, "ok.md", f"# Title\n\n{written}\n")
    assert article.text[article.body_start :] == f"{written}\n"


def test_html_comments_and_scripts_leave_nothing(tmp_path: Path) -> None:
    text = "<!-- a note\nover two lines -->\n\n<script>alert(1)</script>\n\nThe real text.\n"
    article = _load(tmp_path, "c.md", text)
    assert article.text.strip() == "The real text."
    assert article.text.count("\n") == text.count("\n")


def test_a_body_of_markup_only_is_skipped_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "e.md"
    path.write_text("---\ntitle: x\n---\n\n<!-- nothing -->\n\n---\n", encoding="utf-8")
    result = load_file(tmp_path, path)
    assert not result.articles and result.problems[0].message == "no body text"


def test_the_quotation_extractor_finds_a_bold_speaker(tmp_path: Path) -> None:
    article = _load(tmp_path, "s.md", "# Story\n\n\"The plan is **dead**,\" said **Tony Blair**, the prime minister.\n")
    (quotation,) = extract_quotations(article.text)
    assert quotation.speaker is not None and quotation.speaker.name == "Tony Blair"
    assert article.text[quotation.start : quotation.end] == "\"The plan is dead,\""


@pytest.fixture(scope="module")
def marked_up_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = tmp_path_factory.mktemp("markdown")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "budget.md").write_text(
        "---\ntitle: Budget row\nsource: Example Times\n---\n\n"
        "## The row\n\n"
        "\"The plan was **dead** before it was [born](http://example.com),\" said **Tony Blair**.\n\n"
        "The chancellor said the *budget* would balance.\n",
        encoding="utf-8",
    )
    build_index(corpus, root / "index", embedder=HashEmbedder())
    engine = Engine(root / "index", embedder=HashEmbedder())
    yield engine
    engine.close()


def test_a_draft_quoting_a_bold_word_correctly_is_exact(marked_up_engine: Engine) -> None:
    report = check_draft(marked_up_engine, "\"The plan was dead before it was born,\" Tony Blair said.\n")
    assert [c.status for c in report.checks] == ["exact"], report.checks
    (checked,) = report.checks
    assert checked.source is not None and checked.source.speaker is not None
    assert checked.source.speaker.name == "Tony Blair"


def test_search_quotes_are_plain_exact_and_on_their_file_line(marked_up_engine: Engine) -> None:
    answer = marked_up_engine.ask("Was the plan dead before it was born?")
    assert answer.quotes
    file_text = "---\ntitle: Budget row\nsource: Example Times\n---\n\n## The row\n\n\"The plan was"
    for quote in answer.quotes:
        assert marked_up_engine.article(quote.article_id).text[quote.start : quote.end] == quote.text
        assert "**" not in quote.text and "](" not in quote.text and "#" not in quote.text
    top = answer.quotes[0]
    assert top.text.startswith("\"The plan was dead before it was born,\"")
    assert top.line == file_text.count("\n") + 1
    assert not any(q.text.startswith("##") for q in marked_up_engine.mentions("The row"))


MARKDOWN_BITS = st.lists(st.sampled_from([
    "*", "**", "_", "__", "`", "``", "[", "]", "(", ")", "![", "<", ">", "</b>", "<b>", "<!--", "-->", "#", "## ", "- ",
    "1. ", "> ", "\\", "&amp;", "&#10;", "&#13;", "~~", "---", "===", "```", "    ", "\t", "\n", "\r\n", "\r", "\n\n",
    " ", "word", "Tony Blair", "\"", "said", ".", "[a]: http://x.y", "<script>", "</script>", "\x00", "\u2028",
]), max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(markdown=MARKDOWN_BITS)
def test_any_markdown_keeps_its_line_breaks_where_they_were(markdown: str) -> None:
    plain = plain_markdown(markdown)
    assert len(plain.lines) == len(plain.breaks)
    assert "".join(plain.breaks) == "".join(re.findall(r"\r\n|\r|\n", markdown))
    assert not any("\n" in line or "\r" in line for line in plain.lines)
