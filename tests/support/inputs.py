"""Hypothesis strategies for hostile article files and questions: odd Unicode, broken YAML, HTML and JSON."""

from __future__ import annotations

import json

from hypothesis import strategies as st

RTL = st.characters(min_codepoint=0x0590, max_codepoint=0x06FF)
"""Hebrew and Arabic letters and marks."""
COMBINING = st.characters(min_codepoint=0x0300, max_codepoint=0x036F)
EMOJI = st.sampled_from(["\U0001f600", "\U0001f469\u200d\U0001f469\u200d\U0001f467", "\U0001f1fa\U0001f1e6",
                         "\U0001f44d\U0001f3fd", "\u2764\ufe0f", "\U0001f9d1\u200d\U0001f4bb"])
BIDI = st.sampled_from(list("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"))
CONTROL = st.sampled_from([chr(c) for c in range(0x20)] + ["\x7f", "\x85", "\x9b", "\u2028", "\u2029", "\ufeff", "\ufffe"])
SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
PROSE = st.sampled_from([
    "The minister said the talks had collapsed.", "Mr. Smith left at 3 p.m. on Friday.", "U.S. growth was 3.5%.",
    "\u00abQuoted\u00bb words \u2014 here.", "\u05d4\u05e9\u05e8 \u05d0\u05de\u05e8.", "\u0642\u0627\u0644 \u0627\u0644\u0648\u0632\u064a\u0631.",
    "e\u0301te\u0301 cafe\u0301", "...", "?!", " ", "\t", "\n", "\n\n", "\r\n", "\r", "\n \n",
])
FRAGMENT = st.one_of(PROSE, PROSE, RTL, COMBINING, EMOJI, BIDI, CONTROL, SURROGATE, st.characters(), st.text(max_size=12))
TEXT = st.lists(FRAGMENT, max_size=60).map("".join)
"""Text mixing prose, right-to-left script, combining marks, emoji, bidi and control characters, NUL and
lone surrogates."""

ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "cp1252", "latin-1"])


def encode(text: str, encoding: str) -> bytes:
    """Bytes of `text`; lone surrogates pass through where the codec allows, else become '?'."""
    errors = "surrogatepass" if encoding.startswith("utf") else "replace"
    return text.encode(encoding, errors)


# --- .txt --------------------------------------------------------------------------------------

TXT = st.one_of(
    st.tuples(TEXT, TEXT).map(lambda p: f"{p[0]}\n\n{p[1]}"),
    st.tuples(st.dates(), TEXT, TEXT).map(lambda p: f" date {p[0].isoformat()} {p[1]}\n\n{p[2]}"),
    st.tuples(st.text(max_size=12), TEXT, TEXT).map(lambda p: f" date {p[0]} {p[1]}\n\n{p[2]}"),
    TEXT,
)

# --- .md ---------------------------------------------------------------------------------------

SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT, st.dates(), st.datetimes())
VALUE = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                     max_leaves=8)
KEYS = st.sampled_from(["title", "date", "source", "outlet", "publisher", "url", "link", "author", "tags", "Title", "DATE"])
NASTY_YAML = [
    "date: 2023-13-45", "date: 99999-01-01", "date: 0000-00-00", "date: !!timestamp 2023-08-08", "date: 1e308",
    "date: .inf", "date: 8 August 2023", "date: 2023-08-08T25:61:00", "title: !!binary aGVsbG8=",
    "title: !!python/object/apply:os.system ['touch /tmp/assistant-yaml-pwned']", "a: &a [*a]", "title: *undefined",
    "? [complex, key]\n: value", "title: [unclosed", "title: 'it''s'", 'title: "\\ud800 lone"', "\t- tab indent",
    "author: [Ann, 3, null, {x: y}]", "title: |\n  multi\n  line", "title: >\n  folded", "%YAML 1.1", "title: ~",
    "title:", "title: " + "x" * 5000, "[1, 2, 3]", "just a string", "---", "...", "title: \x00nul",
    "lol1: &a [x, x, x, x, x, x, x, x, x]\nlol2: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "lol3: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\ntitle: *c",
]
"""YAML that trips loaders: invalid dates, tags (one would run a command if the loader were unsafe),
aliases (one a 'billion laughs' bomb), wrong types, broken syntax."""
FRONT_MATTER_LINE = st.one_of(
    st.tuples(KEYS, VALUE).map(lambda kv: f"{kv[0]}: {json.dumps(kv[1], default=str)}"),
    st.sampled_from(NASTY_YAML),
    TEXT.map(lambda t: t.replace("\n", " ")),
)
MD = st.tuples(st.lists(FRONT_MATTER_LINE, max_size=6), st.booleans(), st.booleans(), TEXT, TEXT).map(
    lambda p: ("---\n" + "\n".join(p[0]) + ("\n---\n" if p[1] else "\n")) + ("# " if p[2] else "") + f"{p[3]}\n\n{p[4]}"
)

# --- .html -------------------------------------------------------------------------------------

TAGS = ["p", "div", "span", "b", "article", "main", "script", "style", "iframe", "img", "a", "table", "tr", "td",
        "ul", "li", "h1", "title", "meta", "noscript", "template", "svg", "math", "object", "embed", "form", "base",
        "link", "head", "body", "html", "pre", "code", "br"]
ATTRS = st.sampled_from([
    "", ' class="content"', ' src="http://127.0.0.1:9/x.js"', ' href="javascript:alert(1)"', ' onload="alert(1)"',
    ' style="background:url(http://127.0.0.1:9/bg.png)"', ' charset="utf-7"', ' http-equiv="refresh" content="0;url=http://127.0.0.1:9/"',
    ' property="og:title" content="[b]og[/b]"', ' name="date" content="not a date"', ' name="author" content="\x1b[31mA\x1b[0m"',
])
HTML_TEXT = st.one_of(TEXT, st.sampled_from([
    "&#0;", "&#xD800;", "&#x110000;", "&#99999999999;", "&bogus;", "&amp;", "<![CDATA[x]]>", "<!--", "-->", "</",
    "<!DOCTYPE html [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]>", "&xxe;", "<?xml version='1.0' encoding='utf-16'?>",
    "<meta charset='x-unknown'>", "<script>document.write('INJECTED')</script>",
]))
NODE = st.recursive(
    HTML_TEXT,
    lambda inner: st.tuples(st.sampled_from(TAGS), ATTRS, st.lists(inner, max_size=4), st.booleans()).map(
        lambda t: f"<{t[0]}{t[1]}>{''.join(t[2])}" + (f"</{t[0]}>" if t[3] else "")
    ),
    max_leaves=25,
)
HTML = st.one_of(
    NODE,
    st.tuples(TEXT, st.lists(NODE, max_size=5)).map(
        lambda p: f"<html><head><title>{p[0]}</title></head><body><article>{''.join(p[1])}</article></body></html>"
    ),
)

# --- .jsonl ------------------------------------------------------------------------------------

JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
DATE_LIKE = st.one_of(st.dates().map(str), st.sampled_from(["2023-02-30", "8 August 2023", "Tue, 8 Aug 2023", "yesterday", ""]),
                      JSON_VALUE)
RECORD = st.fixed_dictionaries({}, optional={
    "text": st.one_of(TEXT, TEXT, JSON_VALUE), "title": st.one_of(TEXT, JSON_VALUE), "date": DATE_LIKE,
    "source": JSON_VALUE, "url": JSON_VALUE, "author": st.one_of(JSON_VALUE, st.lists(TEXT, max_size=3)), "TEXT": TEXT,
})
NASTY_JSON = [
    '{"text": "a\\ud800b"}', '{"text": "\\udfff\\ud800"}', '{"text": "x", "text": 3}', "[" * 5000, "{" * 5000,
    '{"text": 1e999999}', '{"text": 1' + "0" * 5000 + "}", '{"text": "ok"} trailing', "NaN", '{"text": "\\u0000"}',
    '{"text": "\\u001b]52;c;SGVsbG8=\\u0007"}', '{"text": "tab\\there"}', "\ufeff{\"text\": \"bom\"}", "null", "[]", '"text"',
]
JSONL_LINE = st.one_of(
    st.tuples(RECORD, st.booleans()).map(lambda r: json.dumps(r[0], ensure_ascii=r[1])),
    JSON_VALUE.map(json.dumps),
    st.sampled_from(NASTY_JSON),
    TEXT.map(lambda t: t.replace("\n", " ")),
    st.just(""),
)
JSONL = st.lists(JSONL_LINE, max_size=25).map("\n".join)

FILES = {"txt": TXT, "md": MD, "html": HTML, "jsonl": JSONL}
"""Generators of file text per loader."""

# --- questions ---------------------------------------------------------------------------------

FTS_AND_SQL = st.sampled_from([
    '"', '"unbalanced', "NEAR(a b)", "a AND OR NOT b", "*", "title:foo", "body:x", "^start", "a + b", "(((", ")",
    "'; DROP TABLE articles; --", "1' OR '1'='1", "x UNION SELECT * FROM meta", "%", "_", "\\", "chunks_fts",
    "since:", "since:9999-99-99", "until:0000", "source:\"\"", "article:''", "since:2023-02-30", "from:2023 to:2022",
])
QUESTION = st.lists(st.one_of(FRAGMENT, FTS_AND_SQL, FTS_AND_SQL), max_size=30).map("".join)
