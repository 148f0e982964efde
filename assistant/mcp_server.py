"""The MCP server (`assistant mcp`): search, read, cite and check tools over stdio, a thin shell over the Engine."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from pydantic import Field

from assistant.settings import CITE_STYLES, Settings

if TYPE_CHECKING:
    from mcp.server import MCPServer
    from mcp.server.mcpserver.tools import Tool

    from assistant.models import Article, Quote, Speaker
    from assistant.search.engine import Engine

__all__ = ["Tools", "build_server", "run"]

INSTRUCTIONS = (
    "A research assistant over a local folder of news articles. `search` answers a question with verbatim "
    "quotes (exact substrings of the articles, with character offsets and citations); `mentions` lists every "
    "sentence holding a phrase, for fact-checking; `read` returns an "
    "article or some of its paragraphs; `cite` formats a quote or an article in a publication style; `check` "
    "verifies every quotation of a draft against the sources. Quote only the text these tools return: never "
    "change words inside quotation marks, and never name a speaker the tools do not give. A speaker marked "
    "`reported` is the person the passage reports speaking: the words are the journalist's, not theirs, so do not "
    "present them as that person's quotation."
)
MAX_DRAFT_CHARS = 2_000_000
"""Longest draft `check` accepts (a book-length draft is split by the caller)."""

T = TypeVar("T")
log = logging.getLogger(__name__)

# Argument types of the tools: pydantic turns them into the JSON schemas clients see.
Styles = Annotated[str | None, Field(
    description=f"Citation style: one of {', '.join(CITE_STYLES)} (default: the configured cite_style).")]
Path_ = Annotated[str | None, Field(description="Article path relative to the corpus, as `search` returns it.")]
MAX_ARTICLE_ID = 2**63 - 1
"""Largest article id: ids are SQLite integers (64-bit signed), and a larger one cannot even be looked up."""
ArticleId = Annotated[int | None, Field(
    ge=1, le=MAX_ARTICLE_ID, description="Article id, as `search` returns it (instead of path).")]
Record = Annotated[int | None, Field(ge=0, description=(
    "Record of a .jsonl file: its line number, from 1 (default: the first record, or the whole-file article)."))]
DATE_FORMATS = "YYYY-MM-DD, YYYY-MM or YYYY"
"""The date forms `since`/`until` take, as the CLI's --since/--until and the engine's parse_date."""
DATE_PATTERN = r"^[0-9]{4}(-[0-9]{1,2}|-[0-9]{2}-[0-9]{2})?$"
"""The shape of those forms (parse_date then refuses an impossible one, such as 2005-13)."""
Since = Annotated[str | None, Field(pattern=DATE_PATTERN, description=(
    f"Only on or after this date: {DATE_FORMATS} (a month or year starts on its first day)."))]
Until = Annotated[str | None, Field(pattern=DATE_PATTERN, description=(
    f"Only on or before this date: {DATE_FORMATS} "
    "(a month or year ends on its last day: 2005-03 is up to 31 March)."))]
BOTH_NAMED = "give path or article_id, not both (they name different articles)"


class Tools:
    """The tool implementations, with the engine opened once, on first use (MCP-free, so it can be tested alone)."""

    def __init__(self, settings: Settings, *, backend: str | None = None) -> None:
        self.settings = settings
        self.backend = backend
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        """Tools run in worker threads; one at a time keeps the engine's caches and connection consistent."""

    def engine(self) -> Engine:
        """The open engine (opened on the first call, not at start-up, so the client connects at once)."""
        if self._engine is None:
            from assistant.search.engine import Engine

            self._engine = Engine(self.settings.location, model=self.settings.model, backend=self.backend)
        return self._engine

    def close(self) -> None:
        """Release the engine."""
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def call(self, fn: Callable[[], T]) -> T:
        """Run one tool body under the lock; a user-fixable problem becomes a ValueError with one line."""
        from assistant.search.engine import EngineError
        from assistant.text.query import QuestionError

        with self._lock:
            try:
                return fn()
            except (EngineError, QuestionError, LookupError, OSError) as exc:
                raise ValueError(" ".join(str(exc).split()) or type(exc).__name__) from exc

    # ------------------------------------------------------------ tools

    def search(
        self, question: str, k: int = 5, since: str | None = None, until: str | None = None,
        source: str | None = None, speaker: str | None = None, article: str | None = None, style: str | None = None,
    ) -> dict[str, Any]:
        """Verbatim quotes answering `question`, best first (citations in `style` when given)."""
        if not question.strip():
            raise ValueError("question is empty")
        if style is not None and style not in CITE_STYLES:
            raise ValueError(f"unknown style {style!r}: use one of {', '.join(CITE_STYLES)}")
        filters = _filters(since, until, source, speaker, article)
        answer = self.engine().ask(question, filters=filters, max_quotes=k)
        return {
            "answered": answer.answered,
            "message": answer.message,
            "searched": answer.searched,
            "quotes": [self._quote(q, style) for q in answer.quotes],
        }

    def mentions(
        self, phrase: str, since: str | None = None, until: str | None = None, source: str | None = None,
        speaker: str | None = None, article: str | None = None, limit: int = 200,
    ) -> dict[str, Any]:
        """Every sentence holding `phrase` (the phrase itself: whole words, symbols kept), article by article in date
        order, as `assistant mentions` lists them; `more` says the list stopped at `limit`."""
        from assistant.text.query import parse_question

        if not any(ch.isalnum() for ch in parse_question(phrase).text):
            raise ValueError("phrase has no words to search for")
        filters = _filters(since, until, source, speaker, article)
        quotes = self.engine().mentions(phrase, filters=filters, limit=limit + 1)
        groups: dict[int, list[dict[str, Any]]] = {}
        for q in quotes[:limit]:
            groups.setdefault(q.article_id, []).append(self._quote(q, None))
        return {
            "phrase": phrase,
            "count": min(len(quotes), limit),
            "more": len(quotes) > limit,
            "articles": [{"path": qs[0]["path"], "title": qs[0]["title"], "date": qs[0]["date"], "mentions": qs}
                         for qs in groups.values()],
        }

    def read(
        self, path: str | None = None, article_id: int | None = None, record: int | None = None,
        first_paragraph: int | None = None, last_paragraph: int | None = None,
    ) -> dict[str, Any]:
        """An article (or paragraphs first..last of its body, 1-based, inclusive)."""
        from assistant.text.chunking import split_paragraphs

        for name, value in (("first_paragraph", first_paragraph), ("last_paragraph", last_paragraph)):
            if value is not None and value < 1:
                raise ValueError(f"{name} is {value}: paragraphs are numbered from 1")
        if first_paragraph is not None and last_paragraph is not None and first_paragraph > last_paragraph:
            raise ValueError(f"paragraph range {first_paragraph}..{last_paragraph} is reversed: "
                             "the first must not be after the last")
        found_id, found = self._find(path, article_id, record)
        spans = split_paragraphs(found.text, found.body_start)
        first = first_paragraph or 1
        last = last_paragraph or len(spans)
        if spans and first > len(spans):
            raise ValueError(f"the article has {len(spans)} paragraphs; {first} is past the end")
        chosen = list(enumerate(spans, 1))[first - 1:last]
        return {
            "article_id": found_id, "path": found.path, "record": found.record, "title": found.title,
            "date": found.date.isoformat() if found.date else None, "source": found.source,
            "author": found.author, "url": found.url,
            "paragraph_count": len(spans),
            "paragraphs": [{"n": n, "start": s, "end": e, "text": found.text[s:e]} for n, (s, e) in chosen],
        }

    def cite(
        self, path: str | None = None, article_id: int | None = None, record: int | None = None,
        style: str | None = None, quote: str | None = None, start: int | None = None, end: int | None = None,
        speaker: str | None = None,
    ) -> dict[str, Any]:
        """A citation of an article, or of a quote from it (the quote must be its exact words)."""
        from assistant.text.citations import paragraph_of
        from assistant.text.citation_styles import Source, format_citation

        style = (style or self.settings.cite_style).lower()
        if style not in CITE_STYLES:
            raise ValueError(f"unknown style {style!r}: use one of {', '.join(CITE_STYLES)}")
        if quote is not None and not quote.strip():
            raise ValueError("quote is empty: give the exact words to cite, or leave quote out to cite the article")
        found_id, found = self._find(path, article_id, record)
        if (start is None) != (end is None):
            raise ValueError("give both start and end, or neither")
        if start is not None and end is not None:
            if not start < end:
                raise ValueError(f"offsets {start}..{end} hold no text: end must be past start")
            if not end <= len(found.text):
                raise ValueError(f"offsets {start}..{end} are outside the article (0..{len(found.text)})")
            if quote is not None and found.text[start:end] != quote:
                raise ValueError("quote is not the article's text at start..end; cite the exact words")
            quote = found.text[start:end]
        elif quote is not None:
            start = found.text.find(quote)
            if start < 0:
                raise ValueError("quote is not found word for word in the article; cite only its exact words")
            end = start + len(quote)
        base = Source.from_article(found)
        paragraph = paragraph_of(found, start) if start is not None else None
        said = None
        if speaker is not None and speaker.strip():
            if quote is None or start is None or end is None:
                raise ValueError("a speaker is checked against the words they said: give quote (or start and end) "
                                 "with speaker, or leave speaker out to cite the article")
            said = self._speaker_of(found_id, found, quote, start, end, paragraph, speaker.strip())
        # A passage over several paragraphs is cited by their range ('paras. 3-4'), as the CLI and the TUI cite it.
        source = Source.from_passage(found, start, end) if start is not None and end is not None else base
        text = format_citation(source, style, quote=quote, speaker=said)
        out: dict[str, Any] = {"style": style, "citation": text, "path": found.path, "record": found.record}
        if start is not None:
            out.update(start=start, end=end, paragraph=paragraph)
        return out

    def check(self, draft: str) -> dict[str, Any]:
        """Every quotation of a draft checked against the corpus."""
        from assistant.search.draft_check import check_draft, report_to_dicts

        if len(draft) > MAX_DRAFT_CHARS:
            raise ValueError(f"draft is {len(draft):,} characters; at most {MAX_DRAFT_CHARS:,} per call")
        report = check_draft(self.engine(), draft, style=self.settings.cite_style)
        return {"ok": report.ok, "counts": report.counts(), "quotations": report_to_dicts(report)}

    def people(self, limit: int = 100) -> dict[str, Any]:
        """The people quoted in the corpus, most quoted first."""
        from assistant.index import quotation_store  # type: ignore[attr-defined]

        rows = list(quotation_store.people(self.engine().db))[:limit]
        return {"people": [_plain(r) for r in rows]}

    def quotes_by(self, name: str, since: str | None = None, until: str | None = None, limit: int = 50) -> dict[str, Any]:
        """The quotations of one person."""
        from assistant.index import quotation_store  # type: ignore[attr-defined]

        if not name.strip():
            raise ValueError("name is empty")
        first, last = _date("since", since), _date("until", until, end=True)
        rows = quotation_store.quotations_by(self.engine().db, name, since=first, until=last)
        from assistant.models import Quote

        out = []
        for row in list(rows)[:limit]:
            if isinstance(row, Quote):
                item = self._quote(row, None)
                item["also_in"] = [_plain(loc) for loc in row.also_in]
            else:
                item = _plain(row)
            out.append(item)
        return {"name": name, "quotations": out}

    # ------------------------------------------------------------ helpers

    def _speaker_of(
        self, article_id: int, article: Article, quote: str, start: int, end: int, paragraph: int | None, claimed: str,
    ) -> str:
        """The source's name for `claimed` when the source has that person say text[start:end] in their own words, as
        the CLI's and the TUI's citations name a speaker (text.citations.words_of); ValueError saying whom the source
        names instead, or that it names nobody."""
        from assistant.models import Quote
        from assistant.search.draft_check import same_person
        from assistant.text.citations import words_of

        said = _source_speaker(self.engine(), article_id, article.text, start, end)
        if said is None:
            raise ValueError(f"the source does not name who said this, so it is not attributed to {claimed}: "
                             "leave speaker out")
        if said.reported:
            if not same_person(claimed, said.name):
                raise ValueError(f"the source says {said.name} said this (in the writer's words), not {claimed}")
            raise ValueError(f"the source reports {said.name} here in the writer's words; it does not quote "
                             f"{said.name}: leave speaker out")
        if not same_person(claimed, said.name):
            raise ValueError(f"the source says {said.name} said this, not {claimed}")
        passage = Quote(
            n=1, text=quote, article_id=article_id, path=article.path, record=article.record, title=article.title,
            date=article.date, source=article.source, url=article.url, author=article.author,
            paragraph=paragraph or 1, line=None, start=start, end=end, score=0.0, speaker=said,
        )
        if words_of(passage) is None:
            raise ValueError(f"the passage holds the writer's words beside {said.name}'s: quote only the words inside "
                             "the quotation marks, or leave speaker out")
        return said.name

    def _find(self, path: str | None, article_id: int | None, record: int | None) -> tuple[int, Article]:
        """The article by id, or by path and record (None: the whole-file article, or a .jsonl file's first record)."""
        from assistant.index import store

        if article_id is not None and not 1 <= article_id <= MAX_ARTICLE_ID:
            raise ValueError(f"article_id must be a positive 63-bit integer (1 to {MAX_ARTICLE_ID}), as search returns it")
        engine = self.engine()
        if article_id is not None:
            found = engine.store.article(article_id)
            if found is None:  # an id the caller made up, or one of an article removed since: neither is here now
                raise ValueError(f"no article with id {article_id} in the index")
            if path and path != found.path:
                raise ValueError(BOTH_NAMED)
            if record is not None and record != found.record:
                where = f"record {found.record} of {found.path!r}" if found.record else f"the whole of {found.path!r}"
                raise ValueError(f"article_id {article_id} is {where}, not record {record}: "
                                 "give path and record, or article_id alone")
            return article_id, found
        if not path:
            raise ValueError("give path (as search returns it) or article_id")
        rows = sorted(store.articles_of(engine.db, path), key=lambda row: row.record)
        if not rows:
            raise ValueError(f"no article {path!r} in the index")
        chosen = rows[0] if record is None else next((row for row in rows if row.record == record), None)
        if chosen is not None:
            return chosen.id, engine.article(chosen.id)
        if rows[0].record == 0:
            raise ValueError(f"{path!r} is one article, not a .jsonl file of records: leave record out")
        raise ValueError(f"no record {record} in {path!r}: records are its line numbers, from 1 "
                         f"(here {rows[0].record} to {rows[-1].record})")

    def _quote(self, q: Quote, style: str | None) -> dict[str, Any]:
        from assistant.text.citation_styles import Source, format_citation
        from assistant.text.citations import reference

        speaker = getattr(q, "speaker", None)
        name = getattr(speaker, "name", speaker) if speaker else None
        # The house reference costs nothing; a CSL style costs a citeproc run per quote (tens of ms), so
        # only when asked for.
        citation = format_citation(Source.from_quote(q), style) if style else reference(q)
        return {
            "n": q.n,
            "text": q.text,
            "speaker": None if speaker is None else {
                "name": name, "role": getattr(speaker, "role", None), "reported": bool(getattr(speaker, "reported", False)),
            },
            "citation": citation,
            "article_id": q.article_id,
            "path": q.path,
            "record": q.record,
            "title": q.title,
            "date": q.date.isoformat() if q.date else None,
            "source": q.source,
            "line": q.line,
            "paragraph": q.paragraph,
            "start": q.start,
            "end": q.end,
            "weak": q.weak,
        }


def _source_speaker(engine: Engine, article_id: int, text: str, start: int, end: int) -> Speaker | None:
    """Who the source says spoke text[start:end]: the speaker of the quotation it overlaps most (the index's stored
    quotations; an index without them, the extractor's), else the person a sentence of narration reports speaking
    (marked `reported`), else None."""
    from assistant.index.quotation_store import quoted_articles
    from assistant.text.quotations import extract_quotations, reported_speakers

    quotations: Sequence[Any] | None
    try:
        stored = quoted_articles(engine.db, [article_id]).get(article_id)
        quotations = stored.quotations if stored is not None and stored.text is not None else None
    except engine.store.database_errors:
        quotations = None
    if quotations is None:
        quotations = extract_quotations(text)
    shared = [(min(end, q.end) - max(start, q.start), q) for q in quotations if q.start < end and q.end > start]
    if shared:
        return max(shared, key=lambda pair: pair[0])[1].speaker  # type: ignore[no-any-return]
    return reported_speakers(text, [(start, end)])[0]


def _plain(row: Any) -> Any:
    """A stored row (dataclass, tuple, mapping) as JSON-ready data."""
    if dataclasses.is_dataclass(row) and not isinstance(row, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(row).items()}
    if isinstance(row, dict):
        return {str(k): _plain(v) for k, v in row.items()}
    if isinstance(row, list | tuple):
        return [_plain(v) for v in row]
    if hasattr(row, "isoformat"):
        return row.isoformat()
    return row


def _has_quotation_store() -> bool:
    try:
        from assistant.index import quotation_store  # type: ignore[attr-defined]
    except ImportError:
        return False
    return callable(getattr(quotation_store, "people", None)) and callable(getattr(quotation_store, "quotations_by", None))


def _date(name: str, value: str | None, *, end: bool = False) -> dt.date | None:
    """A `since`/`until` argument as a day (with end=True a month or year is its last day), or ValueError naming it."""
    from assistant.errors import QuestionError
    from assistant.text.query import parse_date

    if not value:
        return None
    try:
        return parse_date(value, end=end)
    except QuestionError as exc:
        raise ValueError(f"{name}: {exc}") from None


def argument_problems(exc: Any, accepted: Sequence[str] = ()) -> str:
    """A pydantic ValidationError of a tool's arguments as one line: each argument, what is wrong, what was given.

    Unknown arguments (a client's typo in a filter name) are named with the arguments the tool takes.
    """
    parts = []
    errors = exc.errors()
    unknown = [".".join(str(p) for p in err.get("loc", ())) for err in errors if err.get("type") == "extra_forbidden"]
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        takes = f"; it takes {', '.join(accepted)}" if accepted else "; it takes no arguments"
        parts.append(f"unknown argument{'s' if len(unknown) > 1 else ''} {names}{takes}")
    for err in errors:
        if err.get("type") == "extra_forbidden":
            continue
        where = ".".join(str(part) for part in err.get("loc", ())) or "arguments"
        if err.get("type") == "string_pattern_mismatch" and where in ("since", "until"):
            problem = f"not a date (use {DATE_FORMATS})"
        else:
            problem = " ".join(str(err.get("msg", "invalid")).split())
        given = err.get("input")
        shown = "" if err.get("type") == "missing" or isinstance(given, dict) else f" (got {given!r:.60})"
        parts.append(f"{where}: {problem}{shown}")
    return "; ".join(parts) or "invalid arguments"


def unexpected_problem(exc: BaseException) -> str:
    """A crash inside a tool as one line for the client (its traceback stays out of stderr and the reply)."""
    text = " ".join(str(exc).split())[:300] or "no message"
    if isinstance(exc, sqlite3.Error):
        return f"the index database failed: {text}; if this persists, rebuild with `assistant index --rebuild`"
    return f"unexpected {type(exc).__name__}: {text} (a bug in the assistant; the server keeps serving)"


def forbid_unknown_arguments(tool: Tool) -> Tool:
    """`tool` with its argument model refusing names outside its signature (pydantic extra="forbid").

    The SDK's ArgModelBase ignores extra fields, so a misspelled filter would be dropped silently and the
    tool run unfiltered. The stricter model also publishes `additionalProperties: false` in the schema.
    """
    from pydantic import ConfigDict

    base = tool.fn_metadata.arg_model
    strict = type(base.__name__, (base,), {"__module__": base.__module__, "model_config": ConfigDict(extra="forbid")})
    tool.fn_metadata.arg_model = strict
    tool.parameters = strict.model_json_schema(by_alias=True)
    return tool


def _filters(since: str | None, until: str | None, source: str | None, speaker: str | None,
             article: str | None) -> Any:
    """The Filters of a tool's arguments; a bad date or a filter text too long to match is a ValueError line."""
    from assistant.models import Filters
    from assistant.text.query import check_filter_text

    values: dict[str, Any] = {
        "since": _date("since", since),
        "until": _date("until", until, end=True),
        "source": source or None,
        "article": article or None,
        "speaker": speaker or None,
    }
    for name in ("source", "article"):
        check_filter_text(name, values[name])
    return Filters(**values)


def build_server(settings: Settings, *, backend: str | None = None) -> tuple[MCPServer, Tools]:
    """The MCP server with its tools registered (people / quotes_by only when the index stores speakers)."""
    from mcp.server import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
    from mcp.server.mcpserver.tools import Tool
    from pydantic import ValidationError

    registered: list[Tool] = []

    class OneLineServer(MCPServer):
        """Every failed call is one line for the client: bad arguments (pydantic's multi-line report condensed,
        unknown ones named with the accepted ones) and crashes alike, never a traceback on stderr."""

        async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
            try:
                return await super().call_tool(name, arguments, context)
            except UnexpectedToolError as exc:
                cause: BaseException = exc
                while isinstance(cause, UnexpectedToolError) and cause.__cause__ is not None:
                    cause = cause.__cause__
                problem = unexpected_problem(cause)
                log.warning("tool %s failed: %s", name, problem)  # one line: the SDK would log the traceback
                raise ToolError(f"Error executing tool {name}: {problem}") from cause
            except ToolError as exc:
                if not isinstance(exc.__cause__, ValidationError):
                    raise
                accepted = next((list(t.parameters.get("properties", ())) for t in registered if t.name == name), [])
                problems = argument_problems(exc.__cause__, accepted)
                raise ToolError(f"Error executing tool {name}: {problems}") from exc.__cause__

    def tool(description: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Register a tool (as MCPServer.tool does) whose arguments refuse unknown names."""
        def register(fn: Callable[..., T]) -> Callable[..., T]:
            registered.append(forbid_unknown_arguments(Tool.from_function(fn, description=description)))
            return fn
        return register

    tools = Tools(settings, backend=backend)

    def guarded(fn: Callable[[], T]) -> T:
        try:
            return tools.call(fn)
        except ValueError as exc:
            raise ToolError(str(exc)) from exc

    @tool(description=(
        "Search the news corpus. Returns up to k verbatim quotes (exact substrings of the articles), best first, "
        "each with its speaker when the article names one, a short citation, the article path, paragraph, line and "
        "character offsets. `answered` is false when the corpus does not appear to answer: the quotes are then "
        "only the closest weak passages."))
    def search(
        question: Annotated[str, Field(min_length=1, max_length=2000, description="The question or search words.")],
        k: Annotated[int, Field(ge=1, le=50, description="Quotes at most.")] = 5,
        since: Since = None,
        until: Until = None,
        source: Annotated[str | None, Field(description="Only articles whose outlet contains this.")] = None,
        speaker: Annotated[str | None, Field(description="Only quotations by this person (when the index stores speakers).")] = None,
        article: Annotated[str | None, Field(description="Only articles whose path or title contains this.")] = None,
        style: Annotated[str | None, Field(description=(
            f"Cite each quote in this style ({', '.join(CITE_STYLES)}); default: a short reference "
            "(title, outlet, date, paragraph). Styles take longer; `cite` formats one quote."))] = None,
    ) -> dict[str, Any]:
        return guarded(lambda: tools.search(question, k, since, until, source, speaker, article, style))

    @tool(description=(
        "Every mention of a phrase in the corpus, for fact-checking: each sentence holding the phrase itself (whole "
        "words in order, case and spacing aside, symbols kept: '10%' is not '10'), grouped by article in date order, "
        "each with its citation, path, line and character offsets. Not ranked and not cut to the best few: `more` "
        "says the list stopped at `limit`."))
    def mentions(
        phrase: Annotated[str, Field(min_length=1, max_length=2000, description="The phrase, e.g. golden rule.")],
        since: Since = None,
        until: Until = None,
        source: Annotated[str | None, Field(description="Only articles whose outlet contains this.")] = None,
        speaker: Annotated[str | None, Field(description="Only sentences inside quotations by this person.")] = None,
        article: Annotated[str | None, Field(description="Only articles whose path or title contains this.")] = None,
        limit: Annotated[int, Field(ge=1, le=2000, description="Mentions at most.")] = 200,
    ) -> dict[str, Any]:
        return guarded(lambda: tools.mentions(phrase, since, until, source, speaker, article, limit))

    @tool(description=(
        "Read an article of the corpus, whole or paragraphs first_paragraph..last_paragraph (1-based, inclusive). "
        "Returns its title, date, outlet, author and each paragraph with its character offsets."))
    def read(
        path: Path_ = None,
        article_id: ArticleId = None,
        record: Record = None,
        first_paragraph: Annotated[int | None, Field(ge=1, description="First paragraph (default 1).")] = None,
        last_paragraph: Annotated[int | None, Field(ge=1, description="Last paragraph (default: the last).")] = None,
    ) -> dict[str, Any]:
        return guarded(lambda: tools.read(path, article_id, record, first_paragraph, last_paragraph))

    @tool(description=(
        "Cite an article, or a quote from it, in a publication style (chicago, apa, mla, harvard, ap; bibtex and "
        "csl-json give the record). The quote must be the article's exact words: pass `quote` (found in the "
        "article) or `start`/`end` offsets as `search` returns them."))
    def cite(
        path: Path_ = None,
        article_id: ArticleId = None,
        record: Record = None,
        style: Styles = None,
        quote: Annotated[str | None, Field(max_length=20000, description="The exact words quoted.")] = None,
        start: Annotated[int | None, Field(ge=0, description="Start offset of the quote in the article text.")] = None,
        end: Annotated[int | None, Field(ge=1, description="End offset (exclusive).")] = None,
        speaker: Annotated[str | None, Field(description=(
            "Who said it, for AP lines and signal phrases; with quote or start/end only. Checked against the source: "
            "refused when the source names someone else, nobody, or reports them in the writer's words."))] = None,
    ) -> dict[str, Any]:
        return guarded(lambda: tools.cite(path, article_id, record, style, quote, start, end, speaker))

    @tool(description=(
        "Check every quotation of a draft (Markdown or plain text) against the corpus. Each gets a status: exact "
        "(with its source and citation), altered (a word diff: changed, added, or dropped without an ellipsis; "
        "ellipses, [brackets] and a left-out attribution tag between two parts of one quotation are accepted), "
        "not_quoted (the draft has a person say words the source does not put in quotation marks: the reporter's "
        "narration, or speech it reports in its own words), wrong_speaker (the draft names someone else than the "
        "source), or not_found (with the closest passage). `ok` is true only when every quotation is exact."))
    def check(
        draft: Annotated[str, Field(min_length=1, max_length=MAX_DRAFT_CHARS, description="The draft text.")],
    ) -> dict[str, Any]:
        return guarded(lambda: tools.check(draft))

    if _has_quotation_store():
        @tool(description="People quoted in the corpus, most quoted first, with how often.")
        def people(
            limit: Annotated[int, Field(ge=1, le=1000, description="People at most.")] = 100,
        ) -> dict[str, Any]:
            return guarded(lambda: tools.people(limit))

        @tool(description="Every quotation the corpus attributes to a person, with its article and offsets.")
        def quotes_by(
            name: Annotated[str, Field(min_length=1, max_length=200, description="The person ('Blair', 'Tony Blair').")],
            since: Since = None,
            until: Until = None,
            limit: Annotated[int, Field(ge=1, le=1000, description="Quotations at most.")] = 50,
        ) -> dict[str, Any]:
            return guarded(lambda: tools.quotes_by(name, since, until, limit))

    server = OneLineServer("assistant", instructions=INSTRUCTIONS, log_level="WARNING", tools=registered)
    return server, tools


def run(settings: Settings, *, backend: str | None = None) -> None:
    """Serve over stdio until the client closes the connection."""
    server, tools = build_server(settings, backend=backend)
    try:
        server.run("stdio")
    finally:
        tools.close()
