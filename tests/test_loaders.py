"""Tests for the corpus loaders: formats, bad input, discovery and content hashes."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import hashlib
import os
import shutil
import socket
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.corpus.discovery import discover_files
from assistant.corpus.formats import SUPPORTED_SUFFIXES
from assistant.corpus.stream import file_fingerprint, load_file
from assistant.models import Article, LoadProblem, LoadResult
from support.corpus import SEED

BBC = Path("/work/shared/data/bbc")

HTML_PAGE = """<!DOCTYPE html><html><head><title>Big news today - Example News</title>
<meta property="og:title" content="Big news today">
<meta property="og:site_name" content="Example News">
<meta name="author" content="Jane Doe">
<meta property="article:published_time" content="2023-08-08T10:00:00Z">
<link rel="canonical" href="https://example.com/news/1">
<link rel="stylesheet" href="https://cdn.example.com/site.css">
<script src="https://cdn.example.com/app.js"></script>
<script>document.write("SCRIPT OUTPUT")</script></head>
<body><nav>Home | World | Sport</nav><article><h1>Big news today</h1>
<img src="https://cdn.example.com/photo.jpg">
<p>The first paragraph of the article has quite a lot of words in it so that it counts as text.</p>
<p>The second paragraph also has several words and explains more of the story for readers.</p>
</article><footer>Copyright Example News</footer></body></html>"""


def write(folder: Path, name: str, content: str | bytes) -> Path:
    """Write `content` (str as UTF-8, bytes as is) to folder/name and return the path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_bytes(content.encode("utf-8"))
    else:
        path.write_bytes(content)
    return path


def load_one(root: Path, name: str, content: str | bytes, **limits: int) -> LoadResult:
    """Write one file under root and load it."""
    return load_file(root, write(root, name, content), **limits)


def only_article(result: LoadResult) -> Article:
    """The single article of a result that must have no skipping problem."""
    assert not [p for p in result.problems if p.skipped], result.problems
    assert len(result.articles) == 1
    return result.articles[0]


def skipped_message(result: LoadResult) -> str:
    """The message of the single skipping problem of a result that yielded nothing."""
    assert result.articles == ()
    assert len(result.problems) == 1 and result.problems[0].skipped, result.problems
    return result.problems[0].message


def warnings_of(result: LoadResult) -> list[str]:
    """Messages of the non-skipping problems."""
    return [p.message for p in result.problems if not p.skipped]


# --- .txt --------------------------------------------------------------------------------


def test_txt_date_title_line(tmp_path: Path) -> None:
    text = " date 2023-08-08 Relations between two sides\n\nFirst paragraph here.\n\nSecond one.\n"
    article = only_article(load_one(tmp_path, "news/a.txt", text))
    assert article.path == "news/a.txt"
    assert article.record == 0 and article.format == "txt" and article.first_line == 1
    assert article.title == "Relations between two sides"
    assert article.date == dt.date(2023, 8, 8)
    assert article.text == text
    assert article.text[article.body_start :].startswith("First paragraph here.")


def test_txt_plain_title_line(tmp_path: Path) -> None:
    text = "Ad sales boost Time Warner profit\n\nQuarterly profits jumped 76%.\n\nMore.\n"
    article = only_article(load_one(tmp_path, "001.txt", text))
    assert article.title == "Ad sales boost Time Warner profit"
    assert article.date is None
    assert article.text[article.body_start :].startswith("Quarterly profits")


def test_txt_crlf_kept_and_offsets_are_file_offsets(tmp_path: Path) -> None:
    text = "Title here\r\n\r\nBody one.\r\n\r\nBody two.\r\n"
    article = only_article(load_one(tmp_path, "crlf.txt", text))
    assert article.text == text
    assert article.title == "Title here"
    assert article.text[article.body_start :].startswith("Body one.")


def test_txt_short_title_directly_followed_by_text(tmp_path: Path) -> None:
    article = only_article(load_one(tmp_path, "a.txt", "Could rivalry overshadow election?\nBody text.\n"))
    assert article.title == "Could rivalry overshadow election?"
    assert article.text[article.body_start :] == "Body text.\n"


def test_txt_sentence_first_line_is_not_a_title(tmp_path: Path) -> None:
    text = "This is a paragraph. It goes on for a while.\nAnd here is more of it.\n"
    article = only_article(load_one(tmp_path, "a.txt", text))
    assert article.title == ""
    assert article.body_start == 0


def test_txt_line_ending_with_period_and_text_below_is_not_a_title(tmp_path: Path) -> None:
    article = only_article(load_one(tmp_path, "a.txt", "It rained all day.\nThen it stopped.\n"))
    assert (article.title, article.body_start) == ("", 0)


def test_txt_long_first_line_is_not_a_title(tmp_path: Path) -> None:
    text = "word " * 80 + "\n\nSecond paragraph.\n"
    article = only_article(load_one(tmp_path, "a.txt", text))
    assert (article.title, article.body_start) == ("", 0)


def test_txt_leading_blank_lines_and_spaces(tmp_path: Path) -> None:
    text = "\n\n   A title\n\n  The body.\n"
    article = only_article(load_one(tmp_path, "a.txt", text))
    assert article.title == "A title"
    assert article.text[article.body_start :] == "The body.\n"


def test_txt_invalid_date_keeps_title_and_warns(tmp_path: Path) -> None:
    result = load_one(tmp_path, "a.txt", " date 2023-13-45 Some title\n\nBody.\n")
    article = only_article(result)
    assert article.title == "Some title"
    assert article.date is None
    [warning] = result.problems
    assert not warning.skipped and "2023-13-45" in warning.message and warning.path == "a.txt"


def test_txt_title_without_body_is_skipped(tmp_path: Path) -> None:
    assert skipped_message(load_one(tmp_path, "a.txt", "Only a title\n\n\n")) == "no body text"
    assert skipped_message(load_one(tmp_path, "b.txt", " date 2023-08-08 Title\n")) == "no body text"


def test_seed_article(tmp_path: Path) -> None:
    shutil.copy(SEED, tmp_path / SEED.name)
    result = load_file(tmp_path, tmp_path / SEED.name)
    article = only_article(result)
    assert result.problems == ()
    assert article.title == "Relations between Baku and Karabakh Armenians"
    assert article.date == dt.date(2023, 8, 8)
    assert article.text[article.body_start :].startswith("The situation around the part of Karabakh")
    assert article.text == SEED.read_text(encoding="utf-8")


def test_bbc_article(tmp_path: Path) -> None:
    source = BBC / "business" / "001.txt"
    if not source.exists():
        pytest.skip("BBC corpus not available")
    (tmp_path / "business").mkdir()
    shutil.copy(source, tmp_path / "business" / "001.txt")
    article = only_article(load_file(tmp_path, tmp_path / "business" / "001.txt"))
    assert article.path == "business/001.txt"
    assert article.title == "Ad sales boost Time Warner profit"
    assert article.text[article.body_start :].startswith("Quarterly profits at US media giant TimeWarner")


def test_uppercase_suffix_is_supported(tmp_path: Path) -> None:
    assert only_article(load_one(tmp_path, "A.TXT", "Title\n\nBody.\n")).title == "Title"


# --- .md ---------------------------------------------------------------------------------

FRONT_MATTER = """---
title: "Talks resume"
date: 2023-08-08
outlet: Example Times
link: https://example.com/talks
author:
  - Ann One
  - Bob Two
---

First paragraph of the story.

Second paragraph.
"""


def test_markdown_front_matter(tmp_path: Path) -> None:
    result = load_one(tmp_path, "story.md", FRONT_MATTER)
    article = only_article(result)
    assert result.problems == ()
    assert article.format == "md" and article.first_line == 1
    assert article.title == "Talks resume"
    assert article.date == dt.date(2023, 8, 8)
    assert article.source == "Example Times"
    assert article.url == "https://example.com/talks"
    assert article.author == "Ann One, Bob Two"
    assert article.text == FRONT_MATTER
    assert article.text[article.body_start :].startswith("First paragraph of the story.")


@pytest.mark.parametrize("written", ["8 August 2023", "2023/08/08", "'2023-08-08'", "2023-08-08T09:30:00Z"])
def test_markdown_date_forms(tmp_path: Path, written: str) -> None:
    text = f"---\ndate: {written}\nsource: Wire\n---\nBody.\n"
    article = only_article(load_one(tmp_path, "d.md", text))
    assert article.date == dt.date(2023, 8, 8)
    assert article.source == "Wire"


def test_markdown_heading_becomes_title(tmp_path: Path) -> None:
    text = "# The headline\n\nFirst paragraph.\n"
    article = only_article(load_one(tmp_path, "h.markdown", text))
    assert article.title == "The headline"
    assert article.text[article.body_start :] == "First paragraph.\n"


def test_markdown_front_matter_title_keeps_heading_in_body(tmp_path: Path) -> None:
    text = "---\ntitle: From YAML\n---\n# A heading\n\nBody.\n"
    article = only_article(load_one(tmp_path, "h.md", text))
    assert article.title == "From YAML"
    assert article.text[article.body_start :].startswith("A heading\n\nBody.")  # the heading as text, no markup


def test_markdown_title_falls_back_to_stem(tmp_path: Path) -> None:
    article = only_article(load_one(tmp_path, "my-notes.md", "Just text.\n\n```\n# not a heading\n```\n"))
    assert article.title == "my-notes"
    assert article.body_start == 0


@pytest.mark.parametrize(
    ("front", "expected_warning"),
    [
        ("date: [2023, 8]\ntitle: Fine", "unrecognised date"),
        ("title: {a: 1}", "'title' should be text, not a mapping"),
        ("title: [unclosed", "front matter is not valid YAML"),
        ("- just\n- a list", "not a mapping"),
        ("date: 2023-13-45\ntitle: Fine", "unrecognised date '2023-13-45'"),
        ("author: {name: x}", "'author' should be text"),
    ],
)
def test_markdown_bad_front_matter_warns_and_falls_back(
    tmp_path: Path, front: str, expected_warning: str
) -> None:
    result = load_one(tmp_path, "bad.md", f"---\n{front}\n---\n# Heading title\n\nBody.\n")
    article = only_article(result)
    assert any(expected_warning in w for w in warnings_of(result)), result.problems
    assert article.date is None
    assert article.title in ("Fine", "Heading title")
    assert article.text[article.body_start :].rstrip().endswith("Body.")


def test_markdown_unclosed_front_matter_is_text(tmp_path: Path) -> None:
    result = load_one(tmp_path, "u.md", "---\ntitle: x\nBody without end.\n")
    article = only_article(result)
    assert article.body_start == 0
    assert warnings_of(result) == ["front matter has no closing '---'; read as text"]


def test_markdown_front_matter_only_has_no_body(tmp_path: Path) -> None:
    assert skipped_message(load_one(tmp_path, "f.md", "---\ntitle: x\n---\n\n")) == "no body text"


# --- .html -------------------------------------------------------------------------------


def test_html_extracts_text_and_metadata(tmp_path: Path) -> None:
    article = only_article(load_one(tmp_path, "page.html", HTML_PAGE))
    assert article.format == "html"
    assert article.first_line is None and article.body_start == 0
    assert article.title == "Big news today"
    assert article.date == dt.date(2023, 8, 8)
    assert article.source == "Example News"
    assert article.url == "https://example.com/news/1"
    assert article.author == "Jane Doe"
    assert "SCRIPT OUTPUT" not in article.text
    first = "The first paragraph of the article has quite a lot of words in it so that it counts as text."
    second = "The second paragraph also has several words and explains more of the story for readers."
    assert f"{first}\n\n{second}" in article.text


def test_html_declared_charset_is_used(tmp_path: Path) -> None:
    page = HTML_PAGE.replace("<head>", '<head><meta charset="windows-1251">')
    page = page.replace("The first paragraph", "\u041f\u0440\u0438\u0432\u0435\u0442. The first paragraph")
    result = load_one(tmp_path, "ru.html", page.encode("cp1251"))
    assert "\u041f\u0440\u0438\u0432\u0435\u0442." in only_article(result).text
    assert result.problems == ()


def test_html_makes_no_network_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    article = only_article(load_one(tmp_path, "page.htm", HTML_PAGE))
    assert article.title == "Big news today"
    assert attempts == []


def test_html_loads_in_a_worker_thread(tmp_path: Path) -> None:
    path = write(tmp_path, "page.html", HTML_PAGE)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: load_file(tmp_path, path), range(2)))
    assert all(only_article(r).title == "Big news today" for r in results)


@pytest.mark.parametrize(
    "html",
    ["<html><head><title>Nothing</title></head><body></body></html>", "<html></html>", "just words"],
)
def test_html_without_text_is_skipped(tmp_path: Path, html: str) -> None:
    assert skipped_message(load_one(tmp_path, "e.html", html)) == "no article text found in HTML"


def test_html_deep_nesting_does_not_crash(tmp_path: Path) -> None:
    deep = "<html><body>" + "<div>" * 100_000 + "<p>deep words</p>" + "</div>" * 100_000 + "</body></html>"
    result = load_one(tmp_path, "deep.html", deep)
    assert result.articles or result.problems


def test_html_library_failure_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import trafilatura

    def explode(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(trafilatura, "bare_extraction", explode)
    assert skipped_message(load_one(tmp_path, "x.html", HTML_PAGE)) == "no article text found in HTML"


# --- .jsonl ------------------------------------------------------------------------------


def test_jsonl_records(tmp_path: Path) -> None:
    lines = [
        '{"text": "First record text.", "title": "One", "date": "2023-08-08", "source": "Wire",'
        ' "url": "https://e.com/1", "author": ["A", "B"]}',
        "",
        '{"text": "Second record.", "publisher": "Paper", "link": "https://e.com/2"}',
    ]
    result = load_one(tmp_path, "data/recs.jsonl", "\n".join(lines) + "\n")
    assert result.problems == ()
    first, second = result.articles
    assert (first.path, first.record, first.first_line, first.format) == ("data/recs.jsonl", 1, 1, "jsonl")
    assert (first.text, first.body_start, first.title) == ("First record text.", 0, "One")
    assert (first.date, first.source, first.url, first.author) == (
        dt.date(2023, 8, 8), "Wire", "https://e.com/1", "A, B"
    )
    assert (second.record, second.first_line, second.title) == (3, 3, "")
    assert (second.source, second.url) == ("Paper", "https://e.com/2")


def test_jsonl_bad_lines_are_reported_and_others_load(tmp_path: Path) -> None:
    lines = [
        '{"text": "good one"}',
        '{"text": "broken',
        '["not", "an", "object"]',
        '{"title": "no text"}',
        '{"text": "   "}',
        '{"text": 42}',
        '{"text": "good two"}',
    ]
    result = load_one(tmp_path, "r.jsonl", "\n".join(lines))
    assert [a.text for a in result.articles] == ["good one", "good two"]
    assert [a.record for a in result.articles] == [1, 7]
    assert [p.path for p in result.problems] == [f"r.jsonl:{n}" for n in (2, 3, 4, 5, 6)]
    assert all(p.skipped and "\n" not in p.message for p in result.problems)
    messages = [p.message for p in result.problems]
    assert messages[0].startswith("not valid JSON")
    assert messages[1] == "record is a list, not a JSON object"
    assert messages[2] == messages[3] == "missing or empty 'text'"
    assert messages[4] == "'text' should be a string, not an int"


def test_jsonl_lone_surrogate_is_replaced(tmp_path: Path) -> None:
    result = load_one(tmp_path, "s.jsonl", '{"text": "a\\ud800b", "title": "t\\udfff"}\n')
    [article] = result.articles
    assert article.text == "a\ufffdb" and article.title == "t\ufffd"
    article.text.encode("utf-8")  # would raise on a lone surrogate
    assert [(p.path, p.skipped) for p in result.problems] == [("s.jsonl:1", False)]


def test_jsonl_control_characters_are_removed(tmp_path: Path) -> None:
    result = load_one(tmp_path, "c.jsonl", '{"text": "a\\u0000b\\u001b[31mc\\td\\ne\\r\\nf"}\n')
    assert result.articles[0].text == "ab[31mc\td\ne\r\nf"
    assert result.problems == ()


def test_jsonl_record_larger_than_max_bytes_is_skipped(tmp_path: Path) -> None:
    content = '{"text": "' + "x" * 500 + '"}\n{"text": "small"}\n'
    result = load_one(tmp_path, "big.jsonl", content, max_bytes=100)
    assert [a.text for a in result.articles] == ["small"]
    assert [a.record for a in result.articles] == [2]
    assert result.problems[0].path == "big.jsonl:1"
    assert result.problems[0].message == "record too large (over 100 bytes)"


def test_jsonl_uses_its_own_size_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "r.jsonl", ('{"text": "' + "x" * 50 + '"}\n') * 5)
    assert len(load_file(tmp_path, path, max_bytes=100).articles) == 5
    message = skipped_message(load_file(tmp_path, path, max_jsonl_bytes=200))
    assert message == "file too large (315 bytes > 200 bytes limit)"


def test_jsonl_many_bad_lines_are_capped(tmp_path: Path) -> None:
    result = load_one(tmp_path, "bad.jsonl", "nope\n" * 150 + '{"text": "ok"}\n')
    assert len(result.articles) == 1
    assert len(result.problems) == 101
    assert result.problems[-1] == LoadProblem("bad.jsonl", "50 more bad lines not listed")


def test_jsonl_non_utf8_lines_warn_once(tmp_path: Path) -> None:
    data = '{"text": "café"}\n{"text": "naïve"}\n'.encode("cp1252")
    result = load_one(tmp_path, "w.jsonl", data)
    assert [a.text for a in result.articles] == ["café", "naïve"]
    assert warnings_of(result) == ["not UTF-8 (2 lines); decoded as cp1252"]


def test_jsonl_with_bom_and_utf16(tmp_path: Path) -> None:
    assert load_one(tmp_path, "b.jsonl", b'\xef\xbb\xbf{"text": "bom"}\n').articles[0].text == "bom"
    utf16 = '{"text": "wide"}\n{"text": "two"}\n'.encode("utf-16")
    assert [a.text for a in load_one(tmp_path, "w.jsonl", utf16).articles] == ["wide", "two"]


def test_jsonl_many_lines(tmp_path: Path) -> None:
    content = "".join(f'{{"text": "record {n}"}}\n' for n in range(20_000))
    result = load_one(tmp_path, "many.jsonl", content)
    assert len(result.articles) == 20_000 and result.problems == ()
    assert result.articles[-1].record == 20_000


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", sorted(SUPPORTED_SUFFIXES))
def test_nul_bytes_mean_binary(tmp_path: Path, suffix: str) -> None:
    message = skipped_message(load_one(tmp_path, f"x{suffix}", b"Title\n\nBody\x00\x01\x02 text\n"))
    assert message == "binary file, not text"


def test_mostly_non_text_bytes_mean_binary(tmp_path: Path) -> None:
    data = bytes(range(0x80, 0x100)) * 20
    assert skipped_message(load_one(tmp_path, "x.txt", data)) == "binary file, not text"


def test_cp1252_file_loads_with_warning(tmp_path: Path) -> None:
    text = "Caf\u00e9 news\r\n\r\nShe said \u201chello\u201d \u2013 twice.\r\n"
    result = load_one(tmp_path, "w.txt", text.encode("cp1252"))
    article = only_article(result)
    assert article.text == text and article.title == "Café news"
    assert result.problems == (LoadProblem("w.txt", "not UTF-8; decoded as cp1252", skipped=False),)


def test_latin1_is_the_last_fallback(tmp_path: Path) -> None:
    result = load_one(tmp_path, "l.txt", b"Title \x81\n\nBody caf\xe9.\n")  # 0x81 is not cp1252
    assert only_article(result).text == "Title \x81\n\nBody café.\n"
    assert warnings_of(result) == ["not UTF-8; decoded as latin-1"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_byte_order_marks(tmp_path: Path, encoding: str) -> None:
    text = "Title\n\nBody text.\n"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    result = load_one(tmp_path, "bom.txt", data)
    assert only_article(result).text == text
    assert result.problems == ()


@pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  \n"])
@pytest.mark.parametrize("suffix", [".txt", ".md", ".html", ".jsonl"])
def test_empty_files(tmp_path: Path, content: bytes, suffix: str) -> None:
    assert skipped_message(load_one(tmp_path, f"e{suffix}", content)) == "empty file"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads chmod 000 files")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path, "secret.txt", "Title\n\nBody.\n")
    path.chmod(0)
    try:
        assert skipped_message(load_file(tmp_path, path)) == "cannot read file: Permission denied"
    finally:
        path.chmod(0o644)


def test_permission_error_when_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Works as root too, where chmod 000 does not stop reading.
    path = write(tmp_path, "secret.txt", "Title\n\nBody.\n")

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("assistant.corpus.stream.open", denied, raising=False)
    assert skipped_message(load_file(tmp_path, path)) == "cannot read file: Permission denied"


def test_directory_instead_of_file(tmp_path: Path) -> None:
    (tmp_path / "folder.txt").mkdir()
    assert skipped_message(load_file(tmp_path, tmp_path / "folder.txt")) == "cannot read file: Is a directory"


@pytest.mark.parametrize("name", ["gone.txt", "gone.jsonl"])
def test_vanished_file(tmp_path: Path, name: str) -> None:
    result = load_file(tmp_path, tmp_path / name)
    assert result.problems == (LoadProblem(name, "cannot read file: No such file or directory"),)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_not_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    assert skipped_message(load_file(tmp_path, tmp_path / "pipe.txt")) == "not a regular file"


def test_file_too_large(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with open(path, "wb") as fh:
        fh.truncate(52_400_000)  # sparse: nothing is written
    assert skipped_message(load_file(tmp_path, path)) == "file too large (52.4 MB > 20.0 MB limit)"


def test_unsupported_suffix(tmp_path: Path) -> None:
    assert skipped_message(load_one(tmp_path, "doc.pdf", b"%PDF")) == "unsupported file type '.pdf'"


# --- property tests ----------------------------------------------------------------------


# Random bytes, plus text built from the pieces the parsers look for, so both paths get exercised.
_PIECES = ["---\n", "title: ", "date: ", "\n", "\r\n", "# ", " date 2023-08-08 ", '{"text": "', '"}',
           "\\ud800", "<p>", "</p>", "[", "{", ": ", "- ", "Words here. ", "\t", "```\n", "\u00e9"]
_FILE_BYTES = st.binary(max_size=3000) | st.lists(st.sampled_from(_PIECES), max_size=40).map(
    lambda parts: "".join(parts).encode("utf-8")
) | st.binary(max_size=200).map(lambda b: b"Title\n\n" + b)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_FILE_BYTES, suffix=st.sampled_from(sorted(SUPPORTED_SUFFIXES)))
def test_random_bytes_never_raise(tmp_path_factory: pytest.TempPathFactory, data: bytes, suffix: str) -> None:
    root = tmp_path_factory.getbasetemp() / "fuzz"
    path = write(root, f"f{suffix}", data)
    result = load_file(root, path)
    assert result.articles or result.problems
    for article in result.articles:
        article.text.encode("utf-8")
        article.title.encode("utf-8")
        assert 0 <= article.body_start < len(article.text)
        assert article.text[article.body_start :].strip()
        assert len(article.content_hash) == 64
    for problem in result.problems:
        assert problem.message and "\n" not in problem.message


@settings(max_examples=100, deadline=None)
@given(text=st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]) | st.sampled_from("\n\r\t ")))
def test_text_files_keep_their_exact_text(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    root = tmp_path_factory.getbasetemp() / "prop"
    result = load_file(root, write(root, "t.txt", text.encode("utf-8")))
    for article in result.articles:
        assert article.text == text.removeprefix("\ufeff")
        assert article.text[article.body_start :].strip()


# --- discovery ---------------------------------------------------------------------------


def test_discover_files_order_and_skips(tmp_path: Path) -> None:
    for name in [
        "b/2.txt", "b/1.md", "a.HTML", "c/d/e.jsonl", "z.markdown", "notes.pdf",
        ".hidden.txt", ".git/x.txt", "b/.cache/y.txt", "README.TXT", "b/readme.md",
        "LICENSE.txt", "LICENSE", "c/README",
    ]:
        write(tmp_path, name, "Title\n\nBody.\n")
    found = list(discover_files(tmp_path))
    assert all(p.is_absolute() for p in found)
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "a.HTML", "b/1.md", "b/2.txt", "c/d/e.jsonl", "z.markdown",
    ]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_discover_files_survives_symlink_loops(tmp_path: Path) -> None:
    write(tmp_path, "a/one.txt", "Title\n\nBody.\n")
    (tmp_path / "a" / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "a" / "self").symlink_to(tmp_path / "a" / "self")
    (tmp_path / "broken.txt").symlink_to(tmp_path / "missing.txt")
    (tmp_path / "b").symlink_to(tmp_path / "a", target_is_directory=True)
    problems: list[LoadProblem] = []
    found = [p.relative_to(tmp_path).as_posix() for p in discover_files(tmp_path, on_problem=problems.append)]
    assert found == ["a/one.txt"]
    assert problems == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root lists chmod 000 folders")
def test_discover_files_reports_unlistable_folder(tmp_path: Path) -> None:
    write(tmp_path, "ok.txt", "Title\n\nBody.\n")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    problems: list[LoadProblem] = []
    try:
        found = list(discover_files(tmp_path, on_problem=problems.append))
    finally:
        locked.chmod(0o755)
    assert [p.name for p in found] == ["ok.txt"]
    assert problems == [LoadProblem("locked", "cannot list folder: Permission denied")]


def test_discover_files_reports_folder_it_cannot_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "locked/inside.txt", "Title\n\nBody.\n")
    write(tmp_path, "ok.txt", "Title\n\nBody.\n")
    real_scandir = os.scandir

    def scandir(path: object) -> object:
        if Path(str(path)).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    problems: list[LoadProblem] = []
    found = list(discover_files(tmp_path, on_problem=problems.append))
    assert [p.name for p in found] == ["ok.txt"]
    assert problems == [LoadProblem("locked", "cannot list folder: Permission denied")]


def test_discover_files_missing_root_is_reported(tmp_path: Path) -> None:
    problems: list[LoadProblem] = []
    assert list(discover_files(tmp_path / "nope", on_problem=problems.append)) == []
    assert len(problems) == 1 and problems[0].skipped
    assert list(discover_files(tmp_path / "nope")) == []


# --- hashes ------------------------------------------------------------------------------


def test_content_hash_follows_content_not_path(tmp_path: Path) -> None:
    text = " date 2023-08-08 Same story\n\nSame body.\n"
    first = only_article(load_one(tmp_path, "one.txt", text))
    moved = only_article(load_one(tmp_path, "sub/two.txt", text))
    edited = only_article(load_one(tmp_path, "three.txt", text.replace("body", "text")))
    retitled = only_article(load_one(tmp_path, "four.txt", text.replace("Same story", "Other story")))
    redated = only_article(load_one(tmp_path, "five.txt", text.replace("08-08", "08-09")))
    assert first.content_hash == moved.content_hash
    hashes = {first.content_hash, edited.content_hash, retitled.content_hash, redated.content_hash}
    assert len(hashes) == 4


def test_content_hash_covers_front_matter_metadata(tmp_path: Path) -> None:
    base = only_article(load_one(tmp_path, "a.md", "---\nsource: One\n---\nBody.\n"))
    other = only_article(load_one(tmp_path, "b.md", "---\nsource: Two\n---\nBody.\n"))
    assert base.content_hash != other.content_hash


def test_file_fingerprint(tmp_path: Path) -> None:
    data = os.urandom(3 << 20)
    path = write(tmp_path, "blob.txt", data)
    assert file_fingerprint(path) == hashlib.sha256(data).hexdigest()


def test_ask_offsets_of_a_bom_and_crlf_file_are_into_its_text_as_written(tmp_path: Path) -> None:
    """What README promises for `start`/`end`: offsets into the file decoded with its BOM removed and its line ends
    as written (`open(path, encoding="utf-8-sig", newline="")`); Python's default read_text() turns CRLF into LF
    and keeps the BOM, and would be off by one per line and one for the BOM (QA, session 9)."""
    import json

    from click.testing import CliRunner

    from assistant.cli import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    path = corpus / "harbour.txt"
    path.write_bytes(
        b"\xef\xbb\xbfHarbour plan approved\r\n\r\nThe council approved the new harbour plan on Tuesday.\r\n\r\n"
        b'"We are delighted with the fishing fleet decision," said Jane Smith, the mayor.\r\n'
    )
    args = ["--corpus", str(corpus), "--index", str(tmp_path / "idx"), "--backend", "hash"]
    assert CliRunner().invoke(main, [*args, "index"]).exit_code == 0
    result = CliRunner().invoke(main, [*args, "ask", "delighted fishing fleet decision", "--json"])
    quote = json.loads(result.stdout)["quotes"][0]
    with open(path, encoding="utf-8-sig", newline="") as handle:
        written = handle.read()
    assert written[quote["start"] : quote["end"]] == quote["text"]
    assert quote["text"].startswith('"We are delighted')
