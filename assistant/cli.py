"""The `assistant` command: a thin click shell over the library (index, stats, ask, eval, bench, and the TUI)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

# The names only: the registry would import every backend module (hashlib, tempfile, logging...) for --help.
from assistant.settings import BACKEND_NAMES, ResolvedSettings, Settings, resolve_settings

BACKEND_CHOICES = BACKEND_NAMES
"""hash is a fast fake embedder for tests and demos, not for real use."""
CITE_CHOICES = ("chicago", "apa", "mla", "harvard", "ap", "bibtex", "csl-json")
"""assistant.text.citation_styles.STYLES, spelled out so --help needs no import."""


def _settings(ctx: click.Context, **overrides: Any) -> Settings:
    resolved = _resolve(ctx, **overrides)
    from assistant.text.sanitize import single_line, terminal_safe

    for line in resolved.warnings:
        click.echo(single_line(terminal_safe(line)), err=True)
    return resolved.settings


def _resolve(ctx: click.Context, **overrides: Any) -> ResolvedSettings:
    root: dict[str, Any] = ctx.find_root().params
    try:
        return resolve_settings(
            corpus=overrides.get("corpus") or root.get("corpus"),
            index=overrides.get("index") or root.get("index"),
            model=overrides.get("model") or root.get("model"),
            backend=overrides.get("backend") or root.get("backend"),
            # Flags: absent means "not given here", so the environment and config files still count.
            follow_symlinks=(overrides.get("follow_symlinks") or root.get("follow_symlinks")) or None,
            trust_local_config=root.get("local_config") or None,
            store=root.get("store"),
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


class _StderrProgress:
    """A one-line progress display on stderr, only when stderr is a terminal."""

    def __init__(self) -> None:
        self.live = sys.stderr.isatty()
        self.last = 0.0
        self.shown = False

    def __call__(self, progress: Any) -> None:
        if not self.live:
            return
        now = time.monotonic()
        if progress.phase in {"embed", "load"} and now - self.last < 0.2 and progress.done < progress.total:
            return
        self.last = now
        width = 24
        bar = ""
        if progress.total:
            filled = int(width * min(progress.done / progress.total, 1.0))
            bar = "[" + "#" * filled + "-" * (width - filled) + "] "
        sys.stderr.write("\r\x1b[2K" + bar + progress.message[:100])
        sys.stderr.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()


@click.group(invoke_without_command=True)
@click.option("--corpus", type=click.Path(path_type=Path), help="Folder of articles (default ./corpus).")
@click.option("--store", "store", metavar="URL", help="Keep the index in PostgreSQL (postgresql://...; docs/team.md) instead of --index.")
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index folder (default ./index).")
@click.option("--model", help="Local sentence-transformers model folder (default: bundled all-MiniLM-L6-v2).")
@click.option("--backend", type=click.Choice(BACKEND_CHOICES), help="Embedding backend (default onnx-int8).")
@click.option("--follow-symlinks", is_flag=True, help="Also index what symlinks leading out of the corpus point to.")
@click.option("--local-config", is_flag=True, help="Use ./assistant.toml from the current folder (ignored unless trusted).")
@click.option("--resume", is_flag=True, help="Reopen the last chat session instead of starting a new one.")
@click.option("--watch/--no-watch", "watch", default=None,
              help="Keep the index current while the chat runs (default: config `watch`, auto = local writable index).")
@click.version_option(package_name="assistant")
@click.pass_context
def main(
    ctx: click.Context, corpus: Path | None, index: Path | None, model: str | None, backend: str | None,
    follow_symlinks: bool, local_config: bool, resume: bool, watch: bool | None = None, store: str | None = None,
) -> None:
    """Ask questions of a folder of news articles; get verbatim quotes with citations.

    With no command, opens the chat UI on the corpus and index (building or updating the index first).
    """
    if ctx.invoked_subcommand is None:
        # `assistant` alone skips click altogether (assistant.__main__ -> tui.start.chat_with_defaults).
        from assistant.tui.start import NothingToOpen, chat

        try:
            chat(_settings(ctx), resume=resume, watch=watch)
        except NothingToOpen as exc:
            raise click.ClickException(str(exc)) from exc


MAX_FILE_MB = 1_000_000
"""Largest --max-file-mb (a terabyte): anything past it means no limit, and 1e308 would overflow the byte count."""


class InputError(click.ClickException):
    """A bad input that is no option of click's: an inline filter (`since:2005-13-45`), or a draft or index `assistant
    check` cannot read. One `Error:` line and exit 2, as click's usage errors; exit 1 stays for runtime failures, and
    for `check` means a quotation is not exact, so a script gating publication never mistakes one for the other."""

    exit_code = 2


def _check_megabytes(_: Any, __: Any, value: float) -> float:
    """--max-file-mb as given, when it is a finite number above 0 and at most MAX_FILE_MB."""
    import math

    if not math.isfinite(value) or value <= 0 or value > MAX_FILE_MB:
        raise click.BadParameter(f"{value} is not a size in MB: give a number above 0 and at most {MAX_FILE_MB:,}")
    return value


@main.command("index")
@click.argument("corpus", required=False, type=click.Path(path_type=Path))
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index folder (default ./index).")
@click.option("--model", help="Local sentence-transformers model folder.")
@click.option("--backend", type=click.Choice(BACKEND_CHOICES), help="Embedding backend.")
@click.option("--rebuild", is_flag=True, help="Delete the index and build it from nothing.")
@click.option("--strict", is_flag=True, help="Exit non-zero when any file could not be read cleanly.")
@click.option("--max-file-mb", type=float, default=20.0, show_default=True, callback=_check_megabytes,
              help="Skip single-article files larger than this.")
@click.option("--follow-symlinks", is_flag=True, help="Also index what symlinks leading out of the corpus point to.")
@click.pass_context
def index_cmd(
    ctx: click.Context,
    corpus: Path | None,
    index: Path | None,
    model: str | None,
    backend: str | None,
    rebuild: bool,
    strict: bool,
    max_file_mb: float,
    follow_symlinks: bool,
) -> None:
    """Index CORPUS (default ./corpus): only new or changed articles are embedded."""
    from assistant.errors import IndexLocked, IndexMismatch, first_line
    from assistant.index.indexer import build_index

    settings = _settings(ctx, corpus=corpus, index=index, model=model, backend=backend, follow_symlinks=follow_symlinks)
    progress = _StderrProgress()

    def problem(p: Any) -> None:
        progress.done()
        from assistant.text.sanitize import terminal_safe

        kind = "skipped" if p.skipped else "warning"
        click.echo(terminal_safe(f"{kind}: {p.path}: {p.message}").replace("\n", " "), err=True)

    try:
        report = build_index(
            settings.corpus,
            settings.location,
            model=settings.model,
            backend=settings.backend,
            rebuild=rebuild,
            on_progress=progress,
            on_problem=problem,
            max_bytes=int(max_file_mb * 1_000_000),
            follow_symlinks=settings.follow_symlinks,
        )
    except (IndexMismatch, IndexLocked, FileNotFoundError, ValueError) as exc:
        progress.done()
        raise click.ClickException(str(exc)) from exc
    except KeyboardInterrupt:
        progress.done()
        click.echo("Error: interrupted; the index keeps everything committed so far", err=True)
        raise SystemExit(130) from None  # the shell's code for Ctrl-C, as scripts expect
    except Exception as exc:  # store/vector errors carry their own one-line advice
        progress.done()
        raise click.ClickException(first_line(exc)) from exc
    progress.done()
    click.echo(
        f"{report.files:,} file{'s' * (report.files != 1)} ({report.unchanged:,} unchanged): "
        f"{report.added:,} article{'s' * (report.added != 1)} added, "
        f"{report.updated:,} updated, {report.moved:,} moved, {report.removed:,} removed; "
        f"{report.chunks_embedded:,} chunks embedded in {report.seconds:.1f}s"
        + (f"; {len(report.problems)} problem(s)" if report.problems else ""),
        err=True,
    )
    if strict and report.problems:
        raise click.ClickException(f"{len(report.problems)} file(s) could not be read cleanly (--strict)")


@main.command("stats")
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index folder (default ./index).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def stats_cmd(ctx: click.Context, index: Path | None, as_json: bool) -> None:
    """Articles, chunks, sentences, model, size on disk and last update of an index."""
    from dataclasses import asdict

    from assistant.errors import EngineError
    from assistant.search.engine import read_stats

    settings = _settings(ctx, index=index)
    try:
        stats = read_stats(settings.location)
    except EngineError as exc:
        raise click.ClickException(str(exc)) from exc
    cover = _coverage(settings.location)
    if as_json:
        extra = {"dated": cover.dated, "with_outlet": cover.with_outlet} if cover else {}
        click.echo(json.dumps({"index": _where(settings), **asdict(stats), **extra}, indent=2))
        return
    rows = [
        ("index", _where(settings)),
        ("corpus", stats.corpus or "?"),
        ("files", f"{stats.files:,}"),
        ("articles", f"{stats.articles:,}"),
        ("chunks", f"{stats.chunks:,}"),
        ("sentences", f"{stats.sentences:,}"),
        ("model", f"{stats.model} ({stats.dim} dims, {stats.backend})"),
        ("size", f"{stats.size_bytes / 1e6:,.1f} MB"),
        ("updated", stats.updated or "never"),
    ]
    if cover is not None:
        rows.insert(4, ("metadata", f"{cover.dated:,} with a date, {cover.with_outlet:,} with an outlet"))
    from assistant.text.sanitize import single_line, terminal_safe

    for key, value in rows:
        click.echo(f"{key:<10} {single_line(terminal_safe(value))}")


def _parse_day(_: Any, param: Any, value: str | None) -> Any:
    """--since as the first day of its month or year, --until as the last (as the inline since:/until: filters)."""
    if value is None:
        return None
    from assistant.errors import QuestionError
    from assistant.text.query import parse_date

    try:
        return parse_date(value, end=param.name == "until")
    except QuestionError as exc:
        raise click.BadParameter(str(exc)) from exc


@main.command("ask")
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (JSON Lines with `-`).")
@click.option("-k", "--max-quotes", type=click.IntRange(1, 50), help="Quotes at most (default: max_quotes from the config, 5).")
@click.option("--since", callback=_parse_day, help="Only articles dated on or after (YYYY-MM-DD, YYYY-MM or YYYY: its first day).")
@click.option("--until", callback=_parse_day, help="Only articles dated on or before (YYYY-MM-DD, YYYY-MM or YYYY: its last day).")
@click.option("--source", help="Only articles whose outlet contains this.")
@click.option("--article", help="Only articles whose path or title contains this.")
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index folder (default ./index).")
@click.option("--model", help="Local sentence-transformers model folder.")
@click.option("--backend", type=click.Choice(BACKEND_CHOICES), help="Embedding backend for the question.")
@click.option(
    "--cite", "cite", is_flag=False, flag_value="config", default=None, metavar="STYLE",
    type=click.Choice(("config",) + CITE_CHOICES),
    help="Cite the quotes in STYLE (chicago, apa, mla, harvard, ap); bibtex and csl-json print the records. "
    "--cite alone uses cite_style from the config.",
)
@click.pass_context
def ask_cmd(
    ctx: click.Context,
    question: str,
    as_json: bool,
    max_quotes: int | None,
    since: Any,
    until: Any,
    source: str | None,
    article: str | None,
    index: Path | None,
    model: str | None,
    backend: str | None,
    cite: str | None,
) -> None:
    """Answer QUESTION with verbatim quotes; `-` reads one question per line from stdin."""
    from assistant.errors import EngineError
    from assistant.search.engine import Engine
    from assistant.models import Filters
    from assistant.serialize import answer_to_dict

    settings = _settings(ctx, index=index, model=model)
    asked = max_quotes
    max_quotes = max_quotes or settings.max_quotes
    style = settings.cite_style if cite == "config" else cite
    filters = Filters(since=since, until=until, source=source, article=article)
    _check_filter_options(filters)
    if question != "-":  # `-`: a bad line of the batch is that line's message, the others are answered
        if not any(ch.isalnum() for ch in _inline_filters(question, "QUESTION").text):
            raise InputError("Invalid value for 'QUESTION': the question has no words to search for")
    try:
        engine = Engine(settings.location, model=settings.model, backend=backend)
    except EngineError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        if question == "-":
            # Bytes, decoded leniently: a stray non-UTF-8 byte costs one character, not the batch.
            for raw in sys.stdin.buffer:
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if not line.strip():
                    continue
                answer = engine.ask(line, filters=filters, max_quotes=max_quotes)
                record = answer_to_dict(answer)
                if style:
                    record["citations"] = cite_answer(answer, style)
                click.echo(json.dumps(record))
                sys.stdout.flush()
            return
        answer = engine.ask(question, filters=filters, max_quotes=max_quotes)
        if as_json:
            record = answer_to_dict(answer)
            if style:
                record["citations"] = cite_answer(answer, style)
            click.echo(json.dumps(record, indent=2))
        elif style in ("bibtex", "csl-json"):
            from assistant.text.citation_styles import Source, format_bibliography

            # The records alone, so the output can be redirected straight into a .bib or .json file.
            click.echo(format_bibliography([Source.from_quote(q) for q in answer.quotes], style).rstrip() or (
                "[]" if style == "csl-json" else ""))
            if not answer.quotes:
                click.echo(answer.message or "no quotes to cite", err=True)
        else:
            click.echo(render_answer(answer, style))
            if asked and answer.answered and 0 < len(answer.quotes) < asked:
                click.echo(f"note: {len(answer.quotes)} of the {asked} quotes asked for; the other passages match "
                           "too weakly to show (`assistant mentions PHRASE` lists every occurrence of a phrase)", err=True)
    finally:
        engine.close()


MENTIONS_LIMIT = 2000
"""Mentions listed at most by `assistant mentions` (a word like 'the' is in nearly every sentence)."""


@main.command("mentions")
@click.argument("phrase")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: a list of articles, each with its mentions.")
@click.option("--since", callback=_parse_day, help="Only articles dated on or after (YYYY-MM-DD, YYYY-MM or YYYY: its first day).")
@click.option("--until", callback=_parse_day, help="Only articles dated on or before (YYYY-MM-DD, YYYY-MM or YYYY: its last day).")
@click.option("--source", help="Only articles whose outlet contains this.")
@click.option("--article", help="Only articles whose path or title contains this.")
@click.option("--speaker", help="Only sentences inside quotations by this person (name variants included).")
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index folder (default ./index).")
@click.pass_context
def mentions_cmd(
    ctx: click.Context, phrase: str, as_json: bool, since: Any, until: Any, source: str | None, article: str | None,
    speaker: str | None, index: Path | None,
) -> None:
    """List every sentence of the corpus holding PHRASE, grouped by article in date order, with citations."""
    from assistant.embedding.registry import load_embedder
    from assistant.errors import EngineError
    from assistant.models import Filters
    from assistant.search.engine import Engine
    from assistant.serialize import quote_to_dict
    from assistant.text.sanitize import single_line, terminal_safe

    from assistant.errors import QuestionError
    from assistant.text.query import merge_filters

    settings = _settings(ctx, index=index)
    filters = Filters(since=since, until=until, source=source, article=article, speaker=speaker)
    _check_filter_options(filters)
    # Inline filters in the phrase ('"golden rule" since:2005-01-01') count as the options do.
    parsed = _inline_filters(phrase, "PHRASE")
    try:
        filters = merge_filters(filters, parsed.filters)
    except QuestionError as exc:
        raise InputError(f"Invalid value for 'PHRASE': {exc}") from None
    phrase = parsed.text
    if not any(ch.isalnum() for ch in phrase):
        raise InputError("Invalid value for 'PHRASE': the phrase has no words to search for")
    try:
        # Mentions are a word search: no question is embedded, so the model is not loaded.
        engine = Engine(settings.location, embedder=load_embedder(None, "hash"))
    except EngineError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        quotes = engine.mentions(phrase, filters=filters, limit=MENTIONS_LIMIT + 1)
    finally:
        engine.close()
    cut = len(quotes) > MENTIONS_LIMIT
    quotes = quotes[:MENTIONS_LIMIT]
    groups: dict[int, list[Any]] = {}
    for quote in quotes:
        groups.setdefault(quote.article_id, []).append(quote)
    if cut:
        # The list stops at the limit: say so, on stderr for --json (stdout stays the list).
        click.echo(f"only the first {MENTIONS_LIMIT:,} mentions are listed; there are more: narrow the phrase or add "
                   "--since/--until/--source/--article/--speaker", err=True)
    if as_json:
        click.echo(json.dumps([
            {"path": qs[0].path, "title": qs[0].title, "date": qs[0].date.isoformat() if qs[0].date else None,
             "mentions": [quote_to_dict(q) for q in qs]}
            for qs in groups.values()
        ], indent=2))
        return
    if not quotes:
        from assistant.corpus.metadata import why_nothing

        within = "" if filters.is_empty() else f" ({filters.describe()})"
        reason = why_nothing(filters, _coverage(settings.location))
        shown = phrase if len(phrase) <= 80 else phrase[:77].rstrip() + "..."  # a pasted paragraph is not echoed whole
        click.echo(single_line(terminal_safe(f"no article mentions {shown}{within}" + (f": {reason}" if reason else ""))))
        return
    click.echo(f"{'the first ' if cut else ''}{len(quotes):,} mention{'s' * (len(quotes) != 1)} in "
               f"{len(groups):,} article{'s' * (len(groups) != 1)}")
    for qs in groups.values():
        head = qs[0]
        date = head.date.isoformat() if head.date else "undated"
        click.echo(f"\n{single_line(terminal_safe(head.title))} ({date}) {single_line(terminal_safe(head.path))}")
        for q in qs:
            where = f"{head.path}:{q.line}" if q.line is not None else f"{head.path} [{q.start}:{q.end}]"
            click.echo(f"  - {single_line(terminal_safe(q.text))} [{single_line(terminal_safe(where))}]")


def _check_filter_options(filters: Any) -> None:
    """A --source/--article text too long to match anything is a usage error (before any model loads)."""
    from assistant.errors import QuestionError
    from assistant.text.query import check_filter_text

    for name in ("source", "article"):
        try:
            check_filter_text(name, getattr(filters, name))
        except QuestionError as exc:
            raise click.BadParameter(str(exc), param_hint=f"'--{name}'") from None


def _inline_filters(text: str, argument: str) -> Any:
    """The ParsedQuestion of `text`; a bad inline filter in it (`since:2005-13-45`, `until:soon`, a `source:`
    too long to match) is one error line naming `argument`, exit 2, as the same filter given as an option is."""
    from assistant.errors import QuestionError
    from assistant.text.query import parse_question

    try:
        return parse_question(text)
    except QuestionError as exc:
        raise InputError(f"Invalid value for '{argument}': {exc}") from None


def cite_answer(answer: Any, style: str) -> Any:
    """An answer's citations in `style`: one string per quote (chicago, apa, mla, harvard, ap),
    the BibTeX text, or the CSL-JSON items."""
    from assistant.text.citation_styles import Source, format_bibliography, format_citation, to_csl_json
    from assistant.text.citations import words_of

    sources = [Source.from_quote(q) for q in answer.quotes]
    if style == "bibtex":
        return format_bibliography(sources, style)
    if style == "csl-json":
        return [to_csl_json(s) for s in sources]
    return [format_citation(s, style, quote=q.text, speaker=words_of(q)) for s, q in zip(sources, answer.quotes)]


def render_answer(answer: Any, style: str | None = None) -> str:
    """An answer for a person: quotes with citations, then the sources with path:line.

    With a citation `style`, each quote is followed by its citation in that style.
    """
    from assistant.text.citations import location, quote_lines, reference
    from assistant.text.followup import searched_note
    from assistant.text.sanitize import single_line as name
    from assistant.text.sanitize import terminal_safe as safe

    lines: list[str] = []
    if answer.message:  # it may quote a filter or a path: kept on its line like any name
        lines += [name(safe(answer.message)), ""]
    if note := searched_note(answer.question, answer.searched):
        lines += [f"({name(safe(note))})", ""]
    cited = cite_answer(answer, style) if style else None
    for i, q in enumerate(answer.quotes):
        mark = " (weak)" if q.weak else ""
        # The words as one block (no second pair of marks on a quotation), its speaker under it.
        block = [safe(line) for line in quote_lines(q.text, getattr(q, "speaker", None))]
        lines.append(f"[{q.n}] {block[0]}{mark}")
        lines += block[1:]
        lines.append(f"    ({reference(q)})")
        if cited:
            lines += [f"    {safe(line)}" for line in cited[i].splitlines()]
        lines.append("")
    if answer.quotes:
        lines.append("Sources:")
        for q in answer.quotes:
            # Names are shown on one line: a file name with newlines must not forge source lines.
            also = "".join(f"\n      also in {name(loc.path)}" + (f":{loc.line}" if loc.line else "") for loc in q.also_in)
            lines.append(f"  [{q.n}] {location(q)}  {name(q.title)}{also}")
    return "\n".join(lines).rstrip()


@main.command("people")
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index folder (default ./index).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("-n", "--limit", type=click.IntRange(1), help="The N most quoted people only.")
@click.pass_context
def people_cmd(ctx: click.Context, index: Path | None, as_json: bool, limit: int | None) -> None:
    """Everyone quoted in the index, with their numbers of quotations and articles (most quoted first)."""
    from assistant.errors import EngineError
    from assistant.search.people import person_to_dict, read_people
    from assistant.text.sanitize import single_line, terminal_safe

    settings = _settings(ctx, index=index)
    try:
        found = read_people(settings.location)[:limit]
    except EngineError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps([person_to_dict(p) for p in found], indent=2))
        return
    if not found:
        click.echo("nobody is quoted by name in this index")
        return
    click.echo(f"{'quotes':>6} {'articles':>8}  name, role")
    for p in found:
        who = p.name + (f", {p.role}" if p.role else "")
        click.echo(f"{p.quotations:>6} {p.articles:>8}  {single_line(terminal_safe(who))}")


@main.command("quotes")
@click.option("--by", "name", required=True, help="The person: 'Michael Howard', 'Mr Howard' or 'Howard'.")
@click.option("--since", callback=_parse_day, help="Only quotations first seen on or after (YYYY-MM-DD, YYYY-MM or YYYY).")
@click.option("--until", callback=_parse_day, help="Only quotations first seen on or before (YYYY-MM-DD, YYYY-MM or YYYY: its last day).")
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index folder (default ./index).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def quotes_cmd(ctx: click.Context, name: str, since: Any, until: Any, index: Path | None, as_json: bool) -> None:
    """Every quotation by a person in date order: each once, where it first appeared and where else it was reused."""
    from assistant.errors import EngineError
    from assistant.search.people import read_timeline, timeline_to_dict

    if not name.strip():
        raise click.BadParameter("give a name", param_hint="'--by'")
    if len(name) > 200:
        raise click.BadParameter("a name of at most 200 characters", param_hint="'--by'")
    if since and until and since > until:
        raise click.BadParameter(f"--since {since} is after --until {until}")
    settings = _settings(ctx, index=index)
    try:
        found = read_timeline(settings.location, name, since, until)
    except EngineError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(timeline_to_dict(found), indent=2))
        return
    click.echo(render_timeline(found))
    if found.person.keys and not found.quotes and (since or until):
        from assistant.corpus.metadata import why_nothing
        from assistant.models import Filters

        reason = why_nothing(Filters(since=since, until=until), _coverage(settings.location))
        if reason:
            click.echo(reason)


def render_timeline(found: Any) -> str:
    """A quote timeline for a person: who was meant, then each quotation as a block with where it stands."""
    from assistant.text.citations import format_date, location, quote_lines
    from assistant.text.sanitize import single_line as name
    from assistant.text.sanitize import terminal_safe as safe

    match = found.person
    others = ", ".join(f"{p.name} ({p.quotations})" for p in match.others)
    if not match.keys:
        line = f"nobody quoted as {found.asked!r} in this index"
        return name(safe(line + (f"; did you mean: {others}" if others else "")))
    lines = [name(safe(f"{match.name}: {len(found.quotes)} quotation(s)"))]
    if others:
        lines.append(name(safe(f"(also named so: {others}; give the full name to see theirs)")))
    lines.append("")
    for q in found.quotes:
        block = [safe(line) for line in quote_lines(q.text, q.speaker)]
        lines.append(f"[{q.n}] {block[0]}")
        lines += block[1:]
        when = format_date(q.date) or "undated"
        lines.append(f"    {when} \u00b7 {location(q)} \u00b7 {name(safe(q.title))}")
        for loc in q.also_in:
            lines.append(f"    also in {name(safe(loc.path))}" + (f":{loc.line}" if loc.line else "") + f" \u00b7 {name(safe(loc.title))}")
        lines.append("")
    return "\n".join(lines).rstrip()


@main.command("eval")
@click.argument("squad_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--speakers", "speakers", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Score the index's speakers against hand-labelled quotations (docs/eval/speakers.jsonl).")
@click.option("--who-said", "who_said", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="With --speakers: also ask these who-said questions (docs/eval/who-said.jsonl).")
@click.option("--errors", "show_errors", is_flag=True, help="With --speakers: list every wrong speaker.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--exclude-title", "exclude", multiple=True, help="Leave this article out of the index; its questions become out-of-corpus.")
@click.option("--backend", type=click.Choice(BACKEND_CHOICES), help="Embedding backend.")
@click.option("--model", help="Local sentence-transformers model folder.")
@click.option("--baselines", is_flag=True, help="Lookup sets: also score BM25-only and dense-only sentence search.")
@click.pass_context
def eval_cmd(
    ctx: click.Context, squad_file: Path | None, speakers: Path | None, who_said: Path | None, show_errors: bool,
    as_json: bool, exclude: tuple[str, ...], backend: str | None, model: str | None, baselines: bool
) -> None:
    """Measure retrieval and quote quality on a SQuAD 2.0 file, or lookups (a .jsonl of question/path/start/end) on the index;
    with --speakers, the speakers stored in the index against hand-labelled quotations."""
    from dataclasses import asdict

    from assistant.errors import EngineError
    from assistant.search.evaluation import format_report, run_eval

    settings = _settings(ctx, backend=backend, model=model)
    if speakers is not None:  # issue 13: attribution as users see it, read from the index
        from assistant.search.speaker_eval import format_speakers, run_speaker_eval

        try:
            found = run_speaker_eval(settings.location, speakers, who_said=who_said, model=settings.model)
        except (ValueError, EngineError) as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(json.dumps(asdict(found), indent=2) if as_json else format_speakers(found, errors=show_errors))
        return
    if squad_file is None:
        raise click.UsageError("give a SQuAD .json or lookup .jsonl file, or --speakers FILE")
    if squad_file.suffix.lower() == ".jsonl":
        from assistant.search.evaluation import format_lookup, run_lookup_eval

        methods = ("full", "bm25", "dense") if baselines else ("full",)
        try:
            reports = run_lookup_eval(settings.location, squad_file, methods=methods, model=settings.model)
        except (ValueError, EngineError) as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(json.dumps([asdict(r) for r in reports], indent=2) if as_json else format_lookup(reports))
        return
    try:
        report = run_eval(squad_file, exclude_titles=list(exclude), model=settings.model, backend=settings.backend, store=settings.store)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    except EngineError as exc:
        raise click.ClickException(f"{squad_file}: {exc}") from None
    click.echo(json.dumps(asdict(report), indent=2) if as_json else format_report(report))


@main.command("bench", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def bench_cmd(ctx: click.Context) -> None:
    """Run the benchmark suite (see `python -m assistant.bench --help`)."""
    from assistant.bench.run import main as bench_main

    bench_main(ctx.args)


@main.command("config")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--corpus", "corpus", type=click.Path(path_type=Path), help="As the other commands take it: corpus folder.")
@click.option("--index", "index", type=click.Path(path_type=Path), help="As the other commands take it: index folder.")
@click.pass_context
def config_cmd(ctx: click.Context, as_json: bool, corpus: Path | None, index: Path | None) -> None:
    """The settings in force, where each came from, and which config files were read or ignored (and why)."""
    from assistant.embedding.base import cache_root
    from assistant.text.sanitize import single_line, terminal_safe

    resolved = _resolve(ctx, corpus=corpus, index=index)
    settings = resolved.settings
    values: dict[str, Any] = {
        "corpus": str(settings.corpus),
        "index": str(settings.index),
        "model": settings.model,
        "backend": settings.backend,
        "max_quotes": settings.max_quotes,
        "follow_symlinks": settings.follow_symlinks,
        "trust_local_config": resolved.trust_local_config,
        "cite_style": settings.cite_style,
        "store": _where(settings) if settings.store else None,
        "watch": settings.watch,
        "cache": str(cache_root()),
    }
    sources = {**resolved.sources, "cache": _cache_source()}
    files = [{"path": str(f.path), "status": f.status, "reason": f.reason} for f in resolved.files]
    for line in resolved.warnings:
        click.echo(single_line(terminal_safe(line)), err=True)
    if as_json:
        click.echo(json.dumps({"settings": values, "sources": sources, "files": files}, indent=2))
        return
    for key, value in values.items():
        shown = (
            "(bundled all-MiniLM-L6-v2)" if key == "model" and value is None
            else "(embedded, in the index folder)" if key == "store" and value is None
            else str(value).lower() if isinstance(value, bool) else str(value)
        )
        click.echo(single_line(terminal_safe(f"{key:<19} {shown}  ({sources[key]})")))
    click.echo("")
    click.echo("config files:")
    for f in resolved.files:
        note = f": {f.reason}" if f.reason else ""
        click.echo(single_line(terminal_safe(f"  {f.status:<10} {f.path}{note}")))


def _cache_source() -> str:
    import os

    for name in ("ASSISTANT_CACHE_DIR", "XDG_CACHE_HOME"):
        if os.environ.get(name):
            return f"environment {name}"
    return "default"


# ---------------------------------------------------------------- writing workflow (issue 15): check, mcp, watch


def _read_draft(draft: str) -> str:
    """The draft's text (`-` for stdin); a folder, device, binary or huge draft is a one-line error; one that is not
    UTF-8 (UTF-16 with its BOM, cp1252) is read with a note on stderr."""
    from assistant.errors import DraftError
    from assistant.search.draft_check import MAX_DRAFT_BYTES, decode_draft, read_draft

    notes: list[str] = []
    try:
        if draft == "-":
            text = decode_draft(sys.stdin.buffer.read(MAX_DRAFT_BYTES + 1), "the draft on stdin", notes)
        else:
            text = read_draft(Path(draft), notes)
        for note in notes:
            click.echo(f"note: {note}", err=True)
        return text
    except DraftError as exc:
        raise InputError(f"draft: {exc}") from None
    except OSError as exc:
        raise InputError(f"cannot read the draft on stdin: {exc.strerror or exc}") from None


@main.command("check")
@click.argument("draft")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per quotation.")
@click.option("--cite", "cite", type=click.Choice(CITE_CHOICES), help="Citation style of found sources (default: cite_style).")
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index folder (default ./index).")
@click.option("--model", help="Local sentence-transformers model folder.")
@click.option("--backend", type=click.Choice(BACKEND_CHOICES), help="Embedding backend for the look-ups.")
@click.pass_context
def check_cmd(ctx: click.Context, draft: str, as_json: bool, cite: str | None, index: Path | None, model: str | None,
              backend: str | None) -> None:
    """Check every quotation in DRAFT (Markdown or text, `-` for stdin) against the corpus.

    Each is exact, altered (word diff), not_quoted (the draft has a person say words the source does not
    quote: the reporter's narration or reported speech), wrong_speaker or not_found (with the closest passage).
    A speaker counts only when the draft names them in the quotation's own paragraph; leaving out the source's
    attribution tag ('"...," he said, "..."') is accepted.

    Exit status: 0 when every quotation is exact; 1 when any is not (altered, not quoted, wrong speaker or not found),
    so a script can gate publication on it; 2 when the draft or the index cannot be read (and on usage errors).
    """
    from assistant.errors import StoreError, VectorError, first_line
    from assistant.search.draft_check import check_draft, report_to_dicts
    from assistant.search.engine import Engine, EngineError

    try:
        settings = _settings(ctx, index=index, model=model)
    except click.ClickException as exc:  # a bad config: the check could not run
        raise InputError(exc.message) from None
    text = _read_draft(draft)
    try:
        engine = Engine(settings.location, model=settings.model, backend=backend)
    except EngineError as exc:
        raise InputError(str(exc)) from exc
    try:
        report = check_draft(engine, text, style=cite or settings.cite_style)
    except (EngineError, StoreError, VectorError) as exc:
        raise InputError(first_line(exc)) from exc
    finally:
        engine.close()
    if as_json:
        click.echo(json.dumps(report_to_dicts(report), indent=2, ensure_ascii=False))
    else:
        click.echo(render_check(report))
    if not report.ok:
        ctx.exit(1)


def render_check(report: Any) -> str:
    """A draft check for a person: one block per quotation, then the counts."""
    from assistant.text.sanitize import single_line, terminal_safe

    def one(text: str) -> str:
        return single_line(terminal_safe(text))

    lines: list[str] = []
    for c in report.checks:
        shown = c.text if len(c.text) <= 120 else c.text[:117] + "..."
        lines.append(f"line {c.line}: {c.status.upper().replace('_', ' ')}  \"{one(shown)}\"")
        if c.note:
            lines.append(f"    {one(c.note)}")
        match = c.source or c.closest
        if match is not None:
            label = "source" if c.source else "closest"
            where = f"{match.path}" + (f":{match.line}" if match.line else "")
            record = match.citation.strip("\n").split("\n")
            if len(record) == 1:
                lines.append(f"    {label}: {one(where)}  {one(record[0])}")
            else:  # a BibTeX entry or CSL-JSON: its own lines under the source, so it can be pasted as it is
                lines.append(f"    {label}: {one(where)}")
                lines += [f"        {one(line)}" for line in record]
            if c.status != "exact":
                text = one(match.text[:300])
                # A passage that opens with its own quotation mark is shown as it is, not wrapped in a second pair.
                lines.append(f"    source text: {text}" if text[:1] in "\"'“‘«„" else f"    source text: \"{text}\"")
            if match.speaker is not None:
                lines.append(f"    source speaker: {one(match.speaker.name)}")
        lines.append("")
    counts = report.counts()
    lines.append(f"{len(report.checks)} quotation(s): " + ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items()))
    return "\n".join(lines)


@main.command("mcp")
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index folder (default ./index).")
@click.option("--model", help="Local sentence-transformers model folder.")
@click.option("--backend", type=click.Choice(BACKEND_CHOICES), help="Embedding backend for questions.")
@click.pass_context
def mcp_cmd(ctx: click.Context, index: Path | None, model: str | None, backend: str | None) -> None:
    """Serve the index to AI assistants and editors over MCP (stdio): search, read, cite, check.

    Configure your client to run `assistant --index /path/to/index mcp`; see the README.
    """
    from assistant.mcp_server import run

    # Config notes go to stderr: stdout carries the protocol alone.
    run(_settings(ctx, index=index, model=model), backend=backend)


@main.command("watch")
@click.argument("corpus", required=False, type=click.Path(path_type=Path))
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index folder (default ./index).")
@click.option("--model", help="Local sentence-transformers model folder.")
@click.option("--backend", type=click.Choice(BACKEND_CHOICES), help="Embedding backend (default: the index's).")
@click.option("--follow-symlinks", is_flag=True, help="Also index what symlinks leading out of the corpus point to.")
@click.option("--debounce-ms", type=click.IntRange(20, 10_000), default=400, show_default=True,
              help="Longest wait gathering a burst of changes before indexing it.")
@click.pass_context
def watch_cmd(ctx: click.Context, corpus: Path | None, index: Path | None, model: str | None, backend: str | None,
              follow_symlinks: bool, debounce_ms: int) -> None:
    """Keep the index current while files in CORPUS (default ./corpus) are added, changed, moved or removed.

    Catches up first, then indexes each burst of changes in batches (the same crash-safe runs as
    `assistant index`); Ctrl-C stops it, keeping everything committed. Index folders only: keep a
    PostgreSQL store (--store) current with `assistant --store URL index` from cron or a timer.
    """
    from assistant.index.watch import STORE_REFUSAL, Watcher, WatchRefused
    from assistant.text.sanitize import single_line, terminal_safe

    settings = _settings(ctx, corpus=corpus, index=index, model=model, follow_symlinks=follow_symlinks)
    if settings.store:  # --store or ASSISTANT_STORE: refused before any index folder is made
        raise InputError(STORE_REFUSAL)
    if not settings.corpus.is_dir():
        raise click.ClickException(f"corpus folder not found: {settings.corpus}")
    live = _StderrProgress()
    state = {"read": ""}

    def say(line: str) -> None:
        live.done()
        click.echo(single_line(terminal_safe(f"{time.strftime('%H:%M:%S')} {line}")), err=True)

    def progress(p: Any) -> None:
        if live.live:
            live(p)
        elif p.phase == "load" and p.total:
            state["read"] = f"{p.done:,}/{p.total:,} files read"
        elif p.phase == "write" and state["read"]:
            say(f"batch: {state['read']}, writing")  # one line per committed batch of a burst

    def problem(p: Any) -> None:
        say(f"{'skipped' if p.skipped else 'warning'}: {p.path}: {p.message}")

    def update(u: Any) -> None:
        state["read"] = ""
        shown = ", ".join(u.paths[:3]) + (" ..." if len(u.paths) > 3 else "")
        say(u.describe() + (f" [{shown}]" if shown else ""))
        if not state.get("watching"):  # said once the catch-up is done: an index that refuses is never 'watched'
            state["watching"] = "yes"
            say(f"watching {settings.corpus} -> {settings.index} (Ctrl-C to stop)")

    watcher = Watcher(settings.corpus, settings.index, model=settings.model, backend=backend,
                      follow_symlinks=settings.follow_symlinks, on_update=update, on_progress=progress,
                      on_problem=problem, debounce_ms=debounce_ms)
    say(f"catching up {settings.corpus} -> {settings.index}")
    try:
        watcher.run()
    except KeyboardInterrupt:
        pass
    except (FileNotFoundError, ValueError, WatchRefused) as exc:
        live.done()
        raise click.ClickException(single_line(terminal_safe(str(exc)))) from exc
    say("stopped; the index keeps everything committed")


def _where(settings: Settings) -> str:
    """The index folder, or the store's URL without its password."""
    if settings.store:
        from assistant.index.postgres import safe_url

        return safe_url(settings.store)
    return str(settings.index)


def _coverage(index: Path | str) -> Any:
    """How many articles have a date and an outlet (None when the database cannot be read)."""
    import sqlite3

    from assistant.corpus.metadata import coverage

    if isinstance(index, str):
        from assistant.index.stores import open_store

        try:
            opened = open_store(index)
        except Exception:
            return None
        try:
            return coverage(opened.db)
        except opened.database_errors:
            return None
        finally:
            opened.close()
    try:
        db = sqlite3.connect(f"file:{index / 'index.sqlite3'}?mode=ro", uri=True)
        try:
            return coverage(db)
        finally:
            db.close()
    except sqlite3.Error:
        return None


@main.group("notebook", invoke_without_command=True)
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index folder (default ./index).")
@click.pass_context
def notebook_cmd(ctx: click.Context, index: Path | None) -> None:
    """Quotes pinned in the chat (p on a quote), kept per index in your data folder: list, export, clear."""
    ctx.ensure_object(dict)
    ctx.obj["notebook_index"] = index
    if ctx.invoked_subcommand is None:
        ctx.invoke(notebook_list)


def _notebook_file(ctx: click.Context, index: Path | None = None) -> Path:
    """The notebook of `index`: given after the subcommand (`notebook list --index X`) or before it."""
    from assistant.notebook import notebook_path

    return notebook_path(_settings(ctx, index=index or (ctx.obj or {}).get("notebook_index")).index)


_notebook_index = click.option(
    "--index", "index", type=click.Path(path_type=Path), help="Index folder (default ./index)."
)


def _pinned(path: Path) -> Any:
    """The pinned quotes of the notebook at `path`; an entry a hand edit broke is skipped with one warning line."""
    from assistant.notebook import NotebookError, load
    from assistant.text.sanitize import single_line, terminal_safe

    def skipped(line: str) -> None:
        click.echo(single_line(terminal_safe(f"warning: {line}")), err=True)

    try:
        return load(path, on_problem=skipped)
    except NotebookError as exc:
        raise click.ClickException(single_line(terminal_safe(str(exc)))) from exc


@notebook_cmd.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_notebook_index
@click.pass_context
def notebook_list(ctx: click.Context, as_json: bool = False, index: Path | None = None) -> None:
    """The pinned quotes, numbered, with their sources."""
    from assistant.serialize import quote_to_dict
    from assistant.text.citations import cite
    from assistant.text.sanitize import single_line, terminal_safe

    path = _notebook_file(ctx, index)
    pinned = _pinned(path)
    if as_json:
        click.echo(json.dumps({"notebook": str(path), "pinned": [
            {"question": p.question, "quote": quote_to_dict(p.quote)} for p in pinned]}, indent=2))
        return
    if not pinned:
        click.echo("the notebook is empty (press p on a quote in the chat to pin it)")
        return
    import dataclasses

    for n, item in enumerate(pinned, 1):
        click.echo(single_line(terminal_safe(cite(dataclasses.replace(item.quote, n=n)))))


@notebook_cmd.command("export")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--style", type=click.Choice(("chicago", "apa", "mla", "harvard", "ap")), default="chicago",
              show_default=True, help="Citation style of the numbered source list.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_notebook_index
@click.pass_context
def notebook_export(ctx: click.Context, path: Path, style: str, as_json: bool, index: Path | None = None) -> None:
    """Write the pinned quotes as Markdown to PATH (a new file, owner-only; never overwritten)."""
    from assistant.notebook import NotebookError, export

    pinned = _pinned(_notebook_file(ctx, index))
    if not pinned:
        raise click.ClickException("the notebook is empty: nothing to export")
    # Each pin is checked against the index it was pinned from: a pin whose article changed is marked in the export.
    location = _settings(ctx, index=index or (ctx.obj or {}).get("notebook_index")).location
    try:
        written = export(path, pinned, style, index=location)
    except (NotebookError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps({"path": str(written), "quotes": len(pinned), "style": style}))
    else:
        click.echo(f"exported {len(pinned)} pinned quote{'s' * (len(pinned) != 1)} to {written}")


@notebook_cmd.command("clear")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_notebook_index
@click.pass_context
def notebook_clear(ctx: click.Context, as_json: bool, index: Path | None = None) -> None:
    """Unpin every quote."""
    from assistant.notebook import save

    path = _notebook_file(ctx, index)
    count = len(_pinned(path))
    save(path, ())
    click.echo(json.dumps({"cleared": count}) if as_json else f"cleared {count} pinned quote{'s' * (count != 1)}")
