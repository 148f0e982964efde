"""QA's citation defects: AP naming a title as the outlet, BibTeX authors joined with commas."""

from __future__ import annotations

import io

import pytest

from assistant.text.citation_styles import Source, format_bibliography, format_citation, parse_names, to_bibtex

TITLE = "Relations between Baku and Karabakh Armenians"
QUOTE = "These people receive their salaries from Yerevan and are citizens of Armenia."
SEED = Source(title=TITLE, date="2023-08-08", path="seed.txt", paragraph=4)
"""Title and date known; no outlet, author or address."""
BBC = Source(title="Ad sales boost Time Warner profit", path="business/001.txt", paragraph=2)
"""Only a title: no date, outlet, author or address."""


# ------------------------------------------------------------------ AP: an unknown outlet is left out


@pytest.mark.parametrize(
    ("source", "quote", "speaker", "line"),
    [
        (SEED, None, None,
         "According to the article \u201cRelations between Baku and Karabakh Armenians,\u201d Aug. 8, 2023."),
        (SEED, QUOTE, "Tofig Zulfugarov",
         "\u201cThese people receive their salaries from Yerevan and are citizens of Armenia,\u201d Zulfugarov said, "
         "according to the article \u201cRelations between Baku and Karabakh Armenians,\u201d Aug. 8, 2023."),
        (SEED, "It is over.", None,
         "\u201cIt is over,\u201d according to the article \u201cRelations between Baku and Karabakh Armenians,\u201d "
         "Aug. 8, 2023."),
        (BBC, None, None, "According to the article \u201cAd sales boost Time Warner profit.\u201d"),
        (BBC, "Rates hold.", "Gordon Brown",
         "\u201cRates hold,\u201d Brown said, according to the article \u201cAd sales boost Time Warner profit.\u201d"),
        (Source(title="Is the blockade over?", date="2023-08-08", path="q.txt"), None, None,
         "According to the article \u201cIs the blockade over?\u201d Aug. 8, 2023."),
        (Source(title="Is the blockade over?", path="q.txt"), None, None,
         "According to the article \u201cIs the blockade over?\u201d"),
    ],
    ids=["seed", "seed-quote-speaker", "seed-quote", "bbc", "bbc-quote-speaker", "question-dated", "question"],
)
def test_ap_without_an_outlet_never_cites_the_title_as_the_outlet(
    source: Source, quote: str | None, speaker: str | None, line: str
) -> None:
    """QA: 'according to Relations between Baku and Karabakh Armenians, Aug. 8, 2023' named the title where
    AP names the outlet; the title is now marked as the article's title and the unknown outlet is left out."""
    assert format_citation(source, "ap", quote=quote, speaker=speaker) == line


def test_ap_with_an_outlet_is_unchanged() -> None:
    known = Source(title=TITLE, date="2023-08-08", outlet="Caliber.Az", path="seed.txt")
    assert format_citation(known, "ap", quote=QUOTE, speaker="Tofig Zulfugarov") == (
        "\u201cThese people receive their salaries from Yerevan and are citizens of Armenia,\u201d Zulfugarov said, "
        "according to Relations between Baku and Karabakh Armenians, Caliber.Az, Aug. 8, 2023.")


def test_ap_source_list_keeps_title_and_date_in_their_places() -> None:
    assert format_bibliography([SEED, BBC], "ap") == (
        "Relations between Baku and Karabakh Armenians, Aug. 8, 2023.\nAd sales boost Time Warner profit.")


# ------------------------------------------------------------------ BibTeX: authors joined with ' and '


@pytest.mark.parametrize(
    ("byline", "field"),
    [
        # a JSONL author list is joined with ', ' when read (corpus.fields.author_field)
        ("Jane Doe, Reuters", "Doe, Jane and {Reuters}"),
        ("Reuters, AFP", "{Reuters} and {AFP}"),
        ("Smith, John, Doe, Jane", "Smith, John and Doe, Jane"),
        ("One, A., Two, B.", "One, A. and Two, B."),
        ("Doe, Jane, John Roe", "Doe, Jane and Roe, John"),
        ("A. One, B. Two", "One, A. and Two, B."),
        ("Jane Doe, John Roe", "Doe, Jane and Roe, John"),
        ("Jane Doe and John Roe", "Doe, Jane and Roe, John"),
        # one person, family name first, stays one person
        ("Doe, Jane", "Doe, Jane"),
        ("Doe, Mary Ann", "Doe, Mary Ann"),
        ("Garc\u00eda M\u00e1rquez, Gabriel", "Garc\u00eda M\u00e1rquez, Gabriel"),
        ("van Beethoven, Ludwig", "van Beethoven, Ludwig"),
    ],
)
def test_bibtex_joins_two_or_more_authors_with_and(byline: str, field: str) -> None:
    bib = to_bibtex([Source(title="T", author=byline, path="x.txt")])
    assert bib.splitlines()[1] == f"  author = {{{field}}},"


def test_bibtex_author_list_is_read_back_as_separate_people() -> None:
    from citeproc.source.bibtex.bibparse import BibTeXParser

    bib = to_bibtex([Source(title="T", author="Smith, John, Doe, Jane", path="x.txt")])
    (entry,) = dict(BibTeXParser(io.StringIO(bib))).values()
    assert entry["author"].split(" and ") == ["Smith, John", "Doe, Jane"]


def test_comma_listed_authors_are_separate_people_in_csl_styles_too() -> None:
    source = Source(title=TITLE, date="2023-08-08", author="Smith, John, Doe, Jane", path="x.txt")
    assert parse_names(source.author) == [{"family": "Smith", "given": "John"}, {"family": "Doe", "given": "Jane"}]
    assert format_citation(source, "apa") == (
        "Smith, J., & Doe, J. (2023, August 8). Relations between Baku and Karabakh Armenians.")


def test_bibtex_escapes_special_characters_in_titles_and_names() -> None:
    source = Source(title="Profits & {losses}: 50% #1 $2 a_b", author="Jane {Doe}_Roe, R&D #Desk",
                    outlet="R&D_#1", path="x.txt")
    assert to_bibtex([source]) == (
        "@article{doeroeprofits,\n"
        "  author = {\\textbraceleft{}Doe\\textbraceright{}\\_Roe, Jane and {R\\&D \\#Desk}},\n"
        "  title = {{Profits \\& \\textbraceleft{}losses\\textbraceright{}: 50\\% \\#1 \\$2 a\\_b}},\n"
        "  journal = {R\\&D\\_\\#1},\n"
        "  note = {Corpus file: x.txt}\n"
        "}\n"
    )
