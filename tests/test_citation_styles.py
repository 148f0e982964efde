"""Citation styles: CSL output for Chicago, APA, MLA and Harvard, AP lines, BibTeX and CSL-JSON."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.text.citation_styles import (
    STYLES,
    Source,
    ap_date,
    bibtex_escape,
    format_bibliography,
    format_citation,
    parse_names,
    to_bibtex,
    to_csl_json,
)
from assistant.corpus.stream import load_file
from assistant.models import Quote

ROOT = Path(__file__).resolve().parents[1]
TITLE = "Relations between Baku and Karabakh Armenians"
SEED = Source(title=TITLE, date="2023-08-08", path="000_8c27288c5cf39a16.txt", paragraph=4)
"""The shipped seed article as the index knows it: a title and a date, nothing else."""
FULL = replace(SEED, outlet="Caliber.Az", author="Jane Doe", url="https://caliber.az/en/post/example")
OUTLET_ONLY = replace(SEED, outlet="Caliber.Az", paragraph=None)
BBC = Source(title="Ad sales boost Time Warner profit", path="business/001.txt", paragraph=2)
"""A BBC file: title line and paragraphs; no date, outlet, author or address."""
QUOTE = "These people receive their salaries from Yerevan and are citizens of Armenia."
SPECIAL = 'Profits & losses: 5 < 7 > 3, "50%" {up} #1 $2 ~x^y a_b \\o/'

CSL = ("chicago", "apa", "mla", "harvard")


# ------------------------------------------------------------------ exact output on the seed


EXPECTED = {
    ("chicago", SEED): "Relations Between Baku and Karabakh Armenians, August 8, 2023, para. 4.",
    ("chicago", FULL): "Jane Doe, \u201cRelations Between Baku and Karabakh Armenians,\u201d Caliber.Az, August 8, 2023, "
    "para. 4, https://caliber.az/en/post/example.",
    ("chicago", OUTLET_ONLY): "\u201cRelations Between Baku and Karabakh Armenians,\u201d Caliber.Az, August 8, 2023.",
    ("apa", SEED): "Relations between Baku and Karabakh Armenians. (2023, August 8).",
    ("apa", FULL): "Doe, J. (2023, August 8). Relations between Baku and Karabakh Armenians. Caliber.Az. "
    "https://caliber.az/en/post/example",
    ("apa", OUTLET_ONLY): "Relations between Baku and Karabakh Armenians. (2023, August 8). Caliber.Az.",
    ("mla", SEED): "Relations Between Baku and Karabakh Armenians. 8 Aug. 2023.",
    ("mla", FULL): "Doe, Jane. \u201cRelations Between Baku and Karabakh Armenians.\u201d Caliber.Az, 8 Aug. 2023, "
    "https://caliber.az/en/post/example.",
    ("mla", OUTLET_ONLY): "\u201cRelations Between Baku and Karabakh Armenians.\u201d Caliber.Az, 8 Aug. 2023.",
    # No author: the outlet takes its place (Cite Them Right); no outlet either: the title (not repeated in marks).
    ("harvard", SEED): "\u2018Relations between Baku and Karabakh Armenians\u2019 (2023), 8 August.",
    ("harvard", FULL): "Doe, J. (2023) \u2018Relations between Baku and Karabakh Armenians\u2019, Caliber.Az, 8 August. "
    "Available at: https://caliber.az/en/post/example.",
    ("harvard", OUTLET_ONLY): "Caliber.Az (2023) \u2018Relations between Baku and Karabakh Armenians\u2019, 8 August.",
    ("ap", SEED): "According to the article \u201cRelations between Baku and Karabakh Armenians,\u201d Aug. 8, 2023.",
    ("ap", FULL): "According to Relations between Baku and Karabakh Armenians, Caliber.Az, Aug. 8, 2023.",
    ("ap", OUTLET_ONLY): "According to Relations between Baku and Karabakh Armenians, Caliber.Az, Aug. 8, 2023.",
}


@pytest.mark.parametrize(("style", "source"), list(EXPECTED), ids=[f"{s}-{i % 3}" for i, (s, _) in enumerate(EXPECTED)])
def test_seed_article_in_each_style(style: str, source: Source) -> None:
    assert format_citation(source, style) == EXPECTED[style, source]


QUOTED = {
    "chicago": "Zulfugarov said, \u201c" + QUOTE + "\u201d\n" + EXPECTED["chicago", SEED],
    "apa": "Zulfugarov said, \u201c" + QUOTE[:-1] + "\u201d (Relations Between Baku and Karabakh Armenians, 2023, "
    "para. 4).\n" + EXPECTED["apa", SEED],
    "mla": "Zulfugarov said, \u201c" + QUOTE[:-1] + "\u201d (Relations Between Baku and Karabakh Armenians, par. 4).\n"
    + EXPECTED["mla", SEED],
    "harvard": "Zulfugarov said, \u201c" + QUOTE[:-1] + "\u201d (\u2018Relations between Baku and Karabakh Armenians\u2019, "
    "2023, para. 4).\n" + EXPECTED["harvard", SEED],
    "ap": "\u201cThese people receive their salaries from Yerevan and are citizens of Armenia,\u201d Zulfugarov said, "
    "according to the article \u201cRelations between Baku and Karabakh Armenians,\u201d Aug. 8, 2023.",
}


@pytest.mark.parametrize("style", list(QUOTED))
def test_seed_quote_with_speaker_in_each_style(style: str) -> None:
    assert format_citation(SEED, style, quote=QUOTE, speaker="Tofig Zulfugarov") == QUOTED[style]


def test_in_text_citations_name_the_author_and_paragraph() -> None:
    cited = {style: format_citation(FULL, style, quote=QUOTE).splitlines()[0] for style in ("apa", "mla", "harvard")}
    assert cited["apa"] == f"\u201c{QUOTE[:-1]}\u201d (Doe, 2023, para. 4)."
    assert cited["mla"] == f"\u201c{QUOTE[:-1]}\u201d (Doe, par. 4)."  # MLA: no year, 'par.'
    assert cited["harvard"] == f"\u201c{QUOTE[:-1]}\u201d (Doe, 2023, para. 4)."


def test_ap_line_matches_the_issue_example() -> None:
    line = format_citation(SEED, "ap", quote="Baku offers humanitarian aid.", speaker="Tofig Zulfugarov")
    assert line == ("\u201cBaku offers humanitarian aid,\u201d Zulfugarov said, according to the article \u201cRelations "
                    "between Baku and Karabakh Armenians,\u201d Aug. 8, 2023.")


# ------------------------------------------------------------------ every combination of known fields

VARIANTS = [
    Source(title=TITLE, date=date, outlet=outlet, author=author, url=url, path="seed.txt", paragraph=para)
    for date, outlet, author, url, para in itertools.product(
        (None, "2023-08-08"), (None, "Caliber.Az"), (None, "Jane Doe"), (None, "https://caliber.az/x"), (None, 4)
    )
    if para is None or url is None  # all 16 sets of date/outlet/author/url; a paragraph on those without a URL
]

# "n.d.," and an ellipsis ("...", "...,") are fine; any other run of marks is a missing field's trace
_DOUBLED = re.compile(
    r"(?<!\.)\.\.(?!\.)|,,|;;|::|,\.|;\.|:\.|[.,;:] [.,;:]|[?!][\u201d\u2019]?[.,]|(?<!n\.d)(?<!\.\.)\.,"
)


def assert_clean(text: str) -> None:
    """No trace of a missing field: no None, empty brackets or quotes, doubled punctuation, markup."""
    assert text and text == text.strip()
    assert "None" not in text and "null" not in text
    for empty in ("()", "( )", "[]", "\u201c\u201d", "\u2018\u2019", '""', "(,", ",)", "( ", " )"):
        assert empty not in text, (empty, text)
    for line in text.splitlines():
        assert line.strip() and "  " not in line, text
        assert not line.startswith((",", ".", ";", ":")) and not line.endswith((",", ";", ":")), line
        assert not _DOUBLED.search(line), (_DOUBLED.search(line), line)
        assert not re.search(r"<[a-zA-Z/][^>]*>|&[a-z]+;|&#\d+;", line), line


@pytest.mark.parametrize("style", CSL + ("ap",))
@pytest.mark.parametrize("source", VARIANTS, ids=lambda s: "".join(
    k if getattr(s, f) else "-" for k, f in zip("DOAUP", ("date", "outlet", "author", "url", "paragraph"))))
def test_every_style_with_and_without_each_field(style: str, source: Source) -> None:
    plain = format_citation(source, style)
    assert_clean(plain)
    assert TITLE.lower() in plain.lower()
    if source.outlet:
        assert "Caliber.Az" in plain
    if source.date:
        assert "2023" in plain
    if source.url and style != "ap":  # an AP attribution names no address
        assert source.url in plain
    if source.author and style in CSL:
        assert "Doe" in plain
    quoted = format_citation(source, style, quote=QUOTE, speaker="Tofig Zulfugarov")
    assert_clean(quoted)
    assert QUOTE[:-1] in quoted and "Zulfugarov said" in quoted


@pytest.mark.parametrize("style", STYLES)
def test_bbc_file_without_date_outlet_author_or_url(style: str) -> None:
    text = format_citation(BBC, style)
    if style == "csl-json":
        assert json.loads(text) == {"id": "business/001.txt", "type": "article-newspaper", "title": BBC.title}
    elif style == "bibtex":
        assert "title = {{Ad sales boost Time Warner profit}}" in text and "year" not in text
    else:
        assert_clean(text)
        assert BBC.title.lower() in text.lower()
    assert "None" not in text


BBC_DIR = Path("/work/shared/data/bbc")
BBC_FILES = ["business/001.txt", "business/184.txt", "business/242.txt", "business/266.txt", "tech/301.txt",
             "entertainment/001.txt", "politics/001.txt", "sport/001.txt"]
"""Titles with & % : ? and a closing ellipsis ('Rivals of the pounds 400 Apple...'), one per section."""


@pytest.mark.parametrize("rel", BBC_FILES)
def test_real_bbc_articles_in_every_style(rel: str) -> None:
    if not (BBC_DIR / rel).exists():
        pytest.skip("BBC corpus not available")
    article = load_file(BBC_DIR, BBC_DIR / rel).articles[0]
    source = Source.from_article(article)
    assert source.title == article.title and source.path == rel and source.date is None
    for style in CSL + ("ap",):
        text = format_citation(source, style)
        assert_clean(text)
        assert article.title.lower() in text.lower()
    bib = to_bibtex([source])
    assert_balanced(bib)
    assert _from_latex(re.search(r"title = \{\{(.*)\}\},\n", bib).group(1)) == article.title
    assert json.loads(format_citation(source, "csl-json"))["title"] == article.title


def test_undated_sources_say_so_in_each_csl_style() -> None:
    assert format_citation(BBC, "chicago") == "Ad Sales Boost Time Warner Profit, n.d., para. 2."
    assert format_citation(BBC, "apa") == "Ad sales boost Time Warner profit. (n.d.)."
    assert format_citation(BBC, "mla") == "Ad Sales Boost Time Warner Profit."
    assert format_citation(BBC, "harvard") == "\u2018Ad sales boost Time Warner profit\u2019 (no date)."
    assert format_citation(BBC, "ap") == "According to the article \u201cAd sales boost Time Warner profit.\u201d"


def test_a_source_without_a_title_is_cited_by_its_file_name() -> None:
    untitled = Source(title="", path="notes/interview.txt")
    for style in CSL + ("ap",):
        text = format_citation(untitled, style)
        assert_clean(text)
        assert "interview.txt" in text.lower()


# ------------------------------------------------------------------ punctuation and quotations


def test_titles_ending_in_a_question_mark_take_no_second_mark() -> None:
    asked = Source(title="Is the blockade over?", date="2023-08-08", outlet="Caliber.Az", author="Jane Doe", path="q.txt")
    for style in CSL + ("ap",):
        text = format_citation(asked, style)
        assert_clean(text)
        assert "over?" in text.lower()


def test_quote_words_are_never_changed() -> None:
    for style in CSL + ("ap",):
        for text in ("Will the road open?", "The door is closed", "\u201cIt is over.\u201d", "Rates hold: for now;"):
            line = format_citation(FULL, style, quote=text).splitlines()[0]
            core = text.strip("\u201c\u201d").rstrip(".;:")
            assert core in line, (style, line)
            assert "\u201c\u201c" not in line and "\u201d\u201d" not in line  # a whole quotation gets no second pair


def test_no_speaker_no_attribution() -> None:
    for style in CSL + ("ap",):
        assert "said" not in format_citation(FULL, style, quote=QUOTE)
        assert "said" not in format_citation(FULL, style, quote=QUOTE, speaker="  ")


def test_ap_quotation_punctuation() -> None:
    asked = format_citation(SEED, "ap", quote="Will the road open?", speaker="Tofig Zulfugarov")
    assert asked.startswith("\u201cWill the road open?\u201d Zulfugarov said, according to")
    whole = format_citation(OUTLET_ONLY, "ap", quote="\u201cIt is over.\u201d")
    assert whole == "\u201cIt is over,\u201d according to Relations between Baku and Karabakh Armenians, Caliber.Az, Aug. 8, 2023."
    assert format_citation(SEED, "ap", speaker="the foreign ministry").startswith("The foreign ministry said, according to")


@pytest.mark.parametrize(
    ("month", "shown"),
    [(1, "Jan."), (2, "Feb."), (3, "March"), (4, "April"), (5, "May"), (6, "June"), (7, "July"), (8, "Aug."),
     (9, "Sept."), (10, "Oct."), (11, "Nov."), (12, "Dec.")],
)
def test_ap_month_abbreviations(month: int, shown: str) -> None:
    assert ap_date(f"2023-{month:02d}-08") == f"{shown} 8, 2023"


def test_partial_dates() -> None:
    assert ap_date("2023-09") == "September 2023" and ap_date("2023") == "2023" and ap_date(None) == ""
    month = replace(SEED, date="2023-09", paragraph=None)
    assert format_citation(month, "chicago") == "Relations Between Baku and Karabakh Armenians, September 2023."
    assert to_csl_json(month)["issued"] == {"date-parts": [[2023, 9]]}


@pytest.mark.parametrize("bad", ["2023-13-01", "2023-02-30", "8 Aug 2023", "", "20230808"])
def test_bad_dates_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="bad date"):
        Source(title=TITLE, date=bad, path="x.txt")


# ------------------------------------------------------------------ special characters

_UNESCAPE = [
    (r"\textbackslash{}", "\\"), (r"\textbraceleft{}", "{"), (r"\textbraceright{}", "}"), (r"\&", "&"),
    (r"\%", "%"), (r"\$", "$"), (r"\#", "#"), (r"\_", "_"), (r"\textasciitilde{}", "~"),
    (r"\textasciicircum{}", "^"), (r"\textless{}", "<"), (r"\textgreater{}", ">"), ('{"}', '"'),
]


def _from_latex(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        for escaped, char in _UNESCAPE:
            if text.startswith(escaped, i):
                out.append(char)
                i += len(escaped)
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def test_special_characters_come_out_right_in_every_style() -> None:
    source = Source(title=SPECIAL, date="2023-08-08", outlet="R&D <Weekly>", author="Jane Doe", path="s.txt")
    for style in CSL + ("ap",):
        text = format_citation(source, style)
        # Title case may change letters, and a quoted title's own "marks" nest inside the style's: nothing else.
        assert SPECIAL.lower() in re.sub("[\u2018\u2019\u201c\u201d]", '"', text).lower(), (style, text)
        assert "R&D <Weekly>" in text and "&amp;" not in text
    item = json.loads(format_citation(source, "csl-json"))
    assert item["title"] == SPECIAL and item["container-title"] == "R&D <Weekly>"
    bib = format_citation(source, "bibtex")
    title = re.search(r"title = \{\{(.*)\}\},\n", bib).group(1)
    assert _from_latex(title) == SPECIAL
    assert _from_latex(re.search(r"journal = \{(.*)\},\n", bib).group(1)) == "R&D <Weekly>"
    assert_balanced(bib)
    for char in "&%$#_":
        assert re.search(rf"(?<!\\){re.escape(char)}", title) is None, char  # every one escaped


def test_html_entities_in_metadata_are_decoded() -> None:
    source = Source(title="Profits &amp; losses", outlet="R&amp;D", path="e.txt")
    assert format_citation(source, "chicago") == "\u201cProfits & Losses,\u201d R&D, n.d."
    assert to_csl_json(source)["title"] == "Profits & losses"


def test_bibtex_escape_leaves_no_unbalanced_brace() -> None:
    for text in ("{", "}", "}{", "a{b", "\\{", "{{}}}", SPECIAL):
        assert_balanced(bibtex_escape(text))
        assert _from_latex(bibtex_escape(text)) == text


# ------------------------------------------------------------------ BibTeX


def assert_balanced(text: str) -> None:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0, text
    assert depth == 0, text


def test_bibtex_entries_parse_with_unique_stable_keys() -> None:
    from citeproc.source.bibtex.bibparse import BibTeXParser

    twin = replace(FULL, path="other/copy.txt")  # same author, year and title: keys must still differ
    sources = [FULL, twin, replace(SEED, path="a.txt"), BBC, replace(OUTLET_ONLY, path="b.txt"),
               replace(BBC, title=SPECIAL, path="s.txt")]
    bib = to_bibtex(sources)
    assert_balanced(bib)
    entries = dict(BibTeXParser(io.StringIO(bib)))
    keys = re.findall(r"^@\w+\{([^,]+),$", bib, flags=re.MULTILINE)
    assert len(keys) == len(set(keys)) == len(sources) == len(entries)
    assert all(re.fullmatch(r"[a-z0-9_]+", key) for key in keys)
    assert keys == re.findall(r"^@\w+\{([^,]+),$", to_bibtex(sources), flags=re.MULTILINE)  # stable
    assert keys[2:] == ["anon2023relations", "anonsales", "caliberaz2023relations", "anonprofits"]
    doe = entries[keys[0]]
    assert doe["author"] == "Doe, Jane" and doe["journal"] == "Caliber.Az" and doe["year"] == "2023"
    assert doe["url"] == FULL.url and doe["title"] == "{" + TITLE + "}"
    assert bib.startswith("@article{doe2023relations_") and "@misc{anon2023relations," in bib  # no outlet: @misc
    assert "month = aug," in bib
    assert to_bibtex([FULL, replace(FULL, paragraph=9)]).count("@article") == 1  # two quotes, one article


def test_bibtex_names() -> None:
    source = replace(SEED, author="Ludwig van Beethoven and BBC News")
    bib = to_bibtex([source])
    assert "author = {van Beethoven, Ludwig and {BBC News}}" in bib
    assert bib.startswith("@misc{vanbeethoven2023relations,")


# ------------------------------------------------------------------ CSL-JSON


def test_csl_json_item() -> None:
    item = to_csl_json(FULL)
    assert item == {
        "id": "000_8c27288c5cf39a16.txt",
        "type": "article-newspaper",
        "title": TITLE,
        "container-title": "Caliber.Az",
        "author": [{"family": "Doe", "given": "Jane"}],
        "issued": {"date-parts": [[2023, 8, 8]]},
        "URL": "https://caliber.az/en/post/example",
    }
    assert to_csl_json(SEED) == {"id": SEED.path, "type": "article-newspaper", "title": TITLE,
                                 "issued": {"date-parts": [[2023, 8, 8]]}}


def test_csl_json_export_is_read_back_by_citeproc() -> None:
    from citeproc.source.json import CiteProcJSON

    text = format_bibliography([FULL, SEED, BBC, FULL], "csl-json")
    items = json.loads(text)
    assert [i["id"] for i in items] == [FULL.path, BBC.path]  # one item per article
    parsed = CiteProcJSON(items)
    assert str(parsed[FULL.path.lower()]["container_title"]) == "Caliber.Az"


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("Jane Doe", [{"family": "Doe", "given": "Jane"}]),
        ("By Jane Doe", [{"family": "Doe", "given": "Jane"}]),
        ("Doe, Jane", [{"family": "Doe", "given": "Jane"}]),
        ("Jane Doe and John Roe", [{"family": "Doe", "given": "Jane"}, {"family": "Roe", "given": "John"}]),
        ("Jane Doe, John Roe & Ann Poe", [{"family": "Doe", "given": "Jane"}, {"family": "Roe", "given": "John"},
                                          {"family": "Poe", "given": "Ann"}]),
        ("Martin Luther King Jr.", [{"family": "King", "given": "Martin Luther", "suffix": "Jr."}]),
        ("BBC News", [{"literal": "BBC News"}]),
        ("Reuters", [{"literal": "Reuters"}]),
        ("AT&T Press Office", [{"literal": "AT&T Press Office"}]),
        ("", []),
        (None, []),
    ],
)
def test_bylines_become_csl_names(byline: str | None, names: list[dict[str, str]]) -> None:
    assert parse_names(byline) == names


def test_organisation_author_is_not_split_into_initials() -> None:
    source = replace(SEED, author="BBC News", paragraph=None)
    assert format_citation(source, "apa") == "BBC News. (2023, August 8). Relations between Baku and Karabakh Armenians."


# ------------------------------------------------------------------ bibliographies


def test_chicago_bibliography_numbers_notes_in_answer_order() -> None:
    notes = format_bibliography([FULL, BBC, FULL], "chicago").splitlines()
    assert notes[0] == "1. " + EXPECTED["chicago", FULL]
    assert notes[1] == "2. Ad Sales Boost Time Warner Profit, n.d., para. 2."
    # a later note to the same article takes the style's short form
    assert notes[2] == "3. Doe, \u201cRelations Between Baku and Karabakh Armenians,\u201d August 8, 2023, para. 4."


def test_reference_lists_have_one_entry_per_article_in_style_order() -> None:
    apa = format_bibliography([FULL, BBC, replace(FULL, paragraph=9)], "apa").splitlines()
    assert apa == ["Ad sales boost Time Warner profit. (n.d.).", EXPECTED["apa", FULL]]
    for style in ("mla", "harvard", "ap"):
        lines = format_bibliography([SEED, BBC, SEED], style).splitlines()
        assert len(lines) == 2
        for line in lines:
            assert_clean(line)
    assert format_bibliography([], "apa") == ""


# ------------------------------------------------------------------ project types, errors, imports


def test_source_from_quote_and_article() -> None:
    quote = Quote(
        n=1, text=QUOTE, article_id=1, path="feeds/day.jsonl", record=3, title=TITLE, date=dt.date(2023, 8, 8),
        source="Caliber.Az", url=None, author=None, paragraph=5, line=4, start=0, end=len(QUOTE), score=1.0,
    )
    assert Source.from_quote(quote) == Source(
        title=TITLE, date="2023-08-08", outlet="Caliber.Az", author=None, url=None, path="feeds/day.jsonl:3", paragraph=5
    )
    result = load_file(ROOT / "corpus", ROOT / "corpus" / "000_8c27288c5cf39a16.txt")
    source = Source.from_article(result.articles[0])
    assert source == Source(title=TITLE, date="2023-08-08", path="000_8c27288c5cf39a16.txt")
    assert format_citation(source, "ap") == EXPECTED["ap", SEED]


@pytest.mark.parametrize("style", ["", "turabian", "chicago-notes", None])
def test_unknown_style_is_one_line_naming_the_valid_ones(style: str) -> None:
    for call in (lambda: format_citation(SEED, style), lambda: format_bibliography([SEED], style)):
        with pytest.raises(ValueError) as error:
            call()
        message = str(error.value)
        assert "\n" not in message and "unknown citation style" in message
        assert all(name in message for name in STYLES)


def test_style_names_ignore_case_and_spaces() -> None:
    assert format_citation(SEED, " APA ") == EXPECTED["apa", SEED]


def test_a_passage_with_an_inner_quotation_is_still_marked_as_quoted() -> None:
    """Narrative words holding a short quotation ('… rule "with a margin to spare", according to …') are the
    article's words, not the writer's: the copy puts them in quotation marks (the inner ones become single);
    a passage that opens with its own mark (a speaker's quotation) gets no second pair."""
    narrative = ('Chancellor Gordon Brown will meet his golden economic rule "with a margin to spare", '
                 'according to his former chief economic adviser.')
    for style in CSL + ("ap",):
        line = format_citation(FULL, style, quote=narrative).splitlines()[0]
        assert line.startswith("\u201cChancellor Gordon Brown"), (style, line)
        assert "\u2018with a margin to spare\u2019" in line, (style, line)
    speech = '"We wait," he said.'
    for style in CSL + ("ap",):
        line = format_citation(FULL, style, quote=speech).splitlines()[0]
        assert line.startswith('"We wait,"') and "\u201c\"" not in line, (style, line)
