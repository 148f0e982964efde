"""QA's title defects: a source without an author cited by its title, and quotation marks inside quotation marks."""

from __future__ import annotations

import json

import pytest

from assistant.text.citation_styles import STYLES, Source, format_bibliography, format_citation

TITLE = "Ad sales boost Time Warner profit"
BARE = Source(title=TITLE, path="business/001.txt", paragraph=2)
"""A BBC file: a title and paragraphs; no author, date, outlet or address."""
ONLINE = Source(title=TITLE, outlet="BBC News", url="http://news.bbc.co.uk/1/4134335.stm", path="business/001.txt",
                paragraph=2)
"""No author and no date; the outlet and address known."""
DATED = Source(title=TITLE, date="2004-12-01", outlet="BBC News", path="business/001.txt", paragraph=2)
BLAIR = "Blair rejects \"lies\" claim"
"""The BBC's politics/010 title: a quotation inside the title."""
LIES = Source(title=BLAIR, outlet="BBC News", path="politics/010.txt", paragraph=3)
LIES_BY = Source(title=BLAIR, outlet="BBC News", author="Jane Doe", date="2004-12-01", path="politics/010.txt",
                 paragraph=3)
WORDS = "Rates will hold."


# ------------------------------------------------------------------ 1. no author: the title takes its place


def test_harvard_without_author_or_date_leads_with_the_title() -> None:
    """QA: '(no date, para. 2)' named nothing a reader could find. Harvard (Cite Them Right) puts the outlet where the
    author goes, and without an outlet either, the title, in the style's own marks."""
    assert format_citation(BARE, "harvard", quote=WORDS) == (
        f"\u201cRates will hold\u201d (\u2018{TITLE}\u2019, no date, para. 2).\n\u2018{TITLE}\u2019 (no date).")
    assert format_citation(ONLINE, "harvard", quote=WORDS) == (
        f"\u201cRates will hold\u201d (BBC News, no date, para. 2).\n"
        f"BBC News (no date) \u2018{TITLE}\u2019. Available at: http://news.bbc.co.uk/1/4134335.stm.")
    assert format_citation(DATED, "harvard") == f"BBC News (2004) \u2018{TITLE}\u2019, 1 December."


def test_harvard_reference_list_sorts_untitled_authors_by_title() -> None:
    other = Source(title="Dollar gains on Greenspan speech", path="business/002.txt")
    assert format_bibliography([other, BARE], "harvard").splitlines() == [
        f"\u2018{TITLE}\u2019 (no date).", "\u2018Dollar gains on Greenspan speech\u2019 (no date)."]


def test_harvard_with_an_author_keeps_the_title_in_its_own_place() -> None:
    by = Source(title=TITLE, author="Jane Doe", outlet="BBC News", path="business/001.txt", paragraph=2)
    assert format_citation(by, "harvard", quote=WORDS) == (
        f"\u201cRates will hold\u201d (Doe, no date, para. 2).\nDoe, J. (no date) \u2018{TITLE}\u2019, BBC News.")


@pytest.mark.parametrize("source", [BARE, ONLINE], ids=["bare", "online"])
def test_mla_without_author_leads_with_the_title(source: Source) -> None:
    cited = format_citation(source, "mla", quote=WORDS).splitlines()
    assert cited[0].startswith("\u201cRates will hold\u201d (") and "Ad Sales Boost Time Warner Profit" in cited[0]
    assert cited[1].lstrip("\u201c").startswith("Ad Sales Boost Time Warner Profit.")
    if source.outlet:
        assert cited[1] == ("\u201cAd Sales Boost Time Warner Profit.\u201d BBC News, "
                            "http://news.bbc.co.uk/1/4134335.stm.")


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("source", [BARE, ONLINE], ids=["bare", "online"])
def test_no_style_leaves_out_the_title_of_an_unsigned_undated_source(style: str, source: Source) -> None:
    """Every line a style writes for the source names it by its title (the quote's own line aside)."""
    text = format_citation(source, style, quote=WORDS)
    if style == "csl-json":
        assert json.loads(text)["title"] == TITLE
        return
    lines = text.splitlines() if style != "bibtex" else [text]
    if style == "harvard" and source.outlet:
        lines = lines[1:]  # Cite Them Right cites an unsigned article by its outlet in the text: '(BBC News, no date)'
    for line in lines:
        if line.strip("\u201c\u201d.") != "Rates will hold":  # Chicago's quote stands on a line of its own
            assert TITLE.lower() in line.lower(), (style, line)


# ------------------------------------------------------------------ 2. quotation marks inside quotation marks


@pytest.mark.parametrize(("style", "expected"), [
    ("chicago", "\u201cBlair Rejects \u2018Lies\u2019 Claim,\u201d BBC News, n.d., para. 3."),
    ("mla", "\u201cBlair Rejects \u2018Lies\u2019 Claim.\u201d BBC News."),
])
def test_a_quoted_title_holding_double_quotes_nests_single_ones(style: str, expected: str) -> None:
    """US convention: outer double, inner single, typographic like the outer pair; and title case capitalises the
    word after the inner opening mark ('lies' -> 'Lies')."""
    assert format_citation(LIES, style) == expected


def test_apa_nests_the_quoted_in_text_title_and_keeps_the_unquoted_reference_title() -> None:
    cited = format_citation(LIES, "apa", quote=WORDS).splitlines()
    assert cited[0] == "\u201cRates will hold\u201d (\u201cBlair Rejects \u2018Lies\u2019 Claim,\u201d n.d., para. 3)."
    assert cited[1] == f"{BLAIR}. (n.d.). BBC News."  # sentence case, not in quotation marks: as written


def test_with_an_author_every_quoted_title_nests_its_marks() -> None:
    assert format_citation(LIES_BY, "chicago") == (
        "Jane Doe, \u201cBlair Rejects \u2018Lies\u2019 Claim,\u201d BBC News, December 1, 2004, para. 3.")
    assert format_citation(LIES_BY, "mla") == (
        "Doe, Jane. \u201cBlair Rejects \u2018Lies\u2019 Claim.\u201d BBC News, 1 Dec. 2004.")
    # Harvard (Cite Them Right, British) quotes titles in single marks: the inner pair is double, typographic.
    assert format_citation(LIES_BY, "harvard") == (
        "Doe, J. (2004) \u2018Blair rejects \u201clies\u201d claim\u2019, BBC News, 1 December.")


def test_typographic_inner_marks_nest_too() -> None:
    curly = Source(title="Blair rejects \u201clies\u201d claim", outlet="BBC News", path="politics/010.txt")
    assert format_citation(curly, "mla") == "\u201cBlair Rejects \u2018Lies\u2019 Claim.\u201d BBC News."
    single = Source(title="Blair rejects 'lies' claim", outlet="BBC News", path="politics/010.txt")
    assert format_citation(single, "mla") == "\u201cBlair Rejects 'Lies' Claim.\u201d BBC News."


def test_us_styles_put_the_comma_or_period_inside_the_inner_mark_too() -> None:
    """'“Brown Says ‘No,’” BBC News': US punctuation goes inside both marks; an apostrophe ending a title is no mark."""
    no = Source(title='Brown says "no"', outlet="BBC News", path="politics/011.txt")
    assert format_citation(no, "chicago") == "\u201cBrown Says \u2018No,\u2019\u201d BBC News, n.d."
    assert format_citation(no, "mla") == "\u201cBrown Says \u2018No.\u2019\u201d BBC News."
    plural = Source(title="The Joneses\u2019", outlet="BBC News", path="politics/012.txt")
    assert format_citation(plural, "chicago") == "\u201cThe Joneses\u2019,\u201d BBC News, n.d."


def test_ap_title_in_quotation_marks_nests_its_marks() -> None:
    bare = Source(title=BLAIR, path="politics/010.txt")
    assert format_citation(bare, "ap") == "According to the article \u201cBlair rejects \u2018lies\u2019 claim.\u201d"


@pytest.mark.parametrize("style", ["chicago", "apa", "mla", "harvard", "ap"])
def test_a_quoted_passage_holding_a_quotation_nests_single_marks(style: str) -> None:
    """The passage is wrapped in double marks, so the quotation inside it takes single ones; its words stay."""
    narrative = ('Chancellor Gordon Brown will meet his golden economic rule "with a margin to spare", '
                 'according to his former chief economic adviser.')
    line = format_citation(DATED, style, quote=narrative).splitlines()[0]
    assert line.startswith("\u201cChancellor Gordon Brown will meet his golden economic rule "
                           "\u2018with a margin to spare\u2019, according to"), (style, line)
    assert '"' not in line


def test_a_whole_quotation_keeps_its_own_marks() -> None:
    speech = '"We wait," he said.'
    for style in ("chicago", "apa", "mla", "harvard", "ap"):
        line = format_citation(LIES_BY, style, quote=speech).splitlines()[0]
        assert line.startswith('"We wait,"') and "\u2018" not in line, (style, line)


def test_the_data_formats_keep_the_title_as_written() -> None:
    assert json.loads(format_citation(LIES, "csl-json"))["title"] == BLAIR
    assert "title = {{Blair rejects {\"}lies{\"} claim}}" in format_citation(LIES, "bibtex")
