"""The notebook: quotes pinned while researching, kept per index in the user's data folder, exported as Markdown."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import NotebookError, first_line
from assistant.models import Article, Location, Quote, Speaker
from assistant.safe_files import PRIVATE, private_folder, replace_atomically, write_new
from assistant.serialize import quote_to_dict
from assistant.sessions import index_data_folder
from assistant.text.citations import markdown_quote, paragraph_label
from assistant.text.sanitize import markdown_safe

FORMAT = "assistant-notebook"
VERSION = 1
EXPORT_STYLES = ("chicago", "apa", "mla", "harvard", "ap")
"""Citation styles a notebook export can use for its numbered source list."""


@dataclass(frozen=True)
class Pinned:
    """One pinned quote and the question it answered."""

    quote: Quote
    """The quote as it was shown (exact text and offsets)."""
    question: str = ""
    """The question that found it."""


def key(quote: Quote) -> tuple[str, int, int, int]:
    """What makes two quotes the same passage."""
    return (quote.path, quote.record, quote.start, quote.end)


def notebook_path(index: Path) -> Path:
    """Where the notebook of `index` lives: the user's data folder, never the index folder."""
    return index_data_folder(index) / "notebook.json"


def load(path: Path, *, on_problem: Callable[[str], None] | None = None) -> tuple[Pinned, ...]:
    """The pinned quotes in `path` (none when it does not exist); NotebookError when unreadable.

    An entry a hand edit broke (`"text": null`, a field missing or of the wrong type) is a NotebookError naming the
    file and the entry; with `on_problem`, that entry is skipped instead, `on_problem` gets one line naming the file,
    the entry and the field, and the other entries load."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ()
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise NotebookError(f"cannot read the notebook {path}: {' '.join(str(exc).split()) or type(exc).__name__}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
        raise NotebookError(f"{path} is not an assistant notebook")
    if not isinstance(data.get("pinned"), list):
        problem = '"pinned" is missing' if "pinned" not in data else f'"pinned" is {_kind(data["pinned"])}, not a list'
        raise NotebookError(f"malformed notebook {path}: {problem}")
    pinned: list[Pinned] = []
    for number, item in enumerate(data["pinned"], 1):
        try:
            pinned.append(_pinned(item))
        except _Malformed as exc:
            if on_problem is None:
                raise NotebookError(f"malformed notebook {path}: pinned entry {number}: {exc}") from None
            on_problem(f"{path}: skipped pinned entry {number}: {exc}")
    return tuple(pinned)


class _Malformed(Exception):
    """One field of a notebook entry that is missing or of the wrong type; str() says which and what it is."""


def _kind(value: Any) -> str:
    """What a JSON value is, in words ('null', 'a number'): never the value itself, which could be anything."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


_MISSING = object()


def _field(
    data: dict[str, Any], name: str, kind: str, *, default: Any = _MISSING, nullable: bool = False, wanted: str = ""
) -> Any:
    """data[name] when it is of `kind` (str, int, number, bool, list, dict), None when null is allowed, `default`
    when absent and one is given; else _Malformed naming the field and what it should be (`wanted`, else the kind)."""
    if name not in data:
        if default is _MISSING:
            raise _Malformed(f'"{name}" is missing')
        return default
    value = data[name]
    if value is None and nullable:
        return None
    ok = {
        "str": isinstance(value, str),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "list": isinstance(value, list),
        "dict": isinstance(value, dict),
    }[kind]
    if not ok:
        wanted = wanted or {"str": "a string", "int": "a whole number", "number": "a number", "bool": "true or false",
                  "list": "a list", "dict": "an object"}[kind]
        raise _Malformed(f'"{name}" is {_kind(value)}, not {wanted}' + (" or null" if nullable else ""))
    return value


def _offsets(data: dict[str, Any], default: Any = _MISSING) -> tuple[int, int]:
    """start and end of a passage: whole numbers, 0 <= start <= end."""
    start = _field(data, "start", "int", default=default)
    end = _field(data, "end", "int", default=default)
    if start < 0:
        raise _Malformed('"start" is negative')
    if start > end:
        raise _Malformed('"start" is after "end"')
    return start, end


def _pinned(item: Any) -> Pinned:
    """One entry of a notebook's "pinned" list, every field checked; _Malformed for the first that is wrong."""
    if not isinstance(item, dict):
        raise _Malformed(f"{_kind(item)}, not an object")
    data = _field(item, "quote", "dict")
    text = _field(data, "text", "str")
    path = _field(data, "path", "str")
    n = _field(data, "n", "int")
    start, end = _offsets(data)
    date = _field(data, "date", "str", default=None, nullable=True, wanted="a date (YYYY-MM-DD)")
    try:
        day = dt.date.fromisoformat(date) if date else None
    except ValueError:
        raise _Malformed('"date" is not a date (YYYY-MM-DD)') from None
    return Pinned(Quote(
        n=n,
        text=text,
        article_id=_field(data, "article_id", "int", default=0),
        path=path,
        record=_field(data, "record", "int", default=0),
        title=_field(data, "title", "str", default="", nullable=True) or "",
        date=day,
        source=_field(data, "source", "str", default=None, nullable=True),
        url=_field(data, "url", "str", default=None, nullable=True),
        author=_field(data, "author", "str", default=None, nullable=True),
        paragraph=_field(data, "paragraph", "int", default=0),
        line=_field(data, "line", "int", default=None, nullable=True),
        start=start,
        end=end,
        score=float(_field(data, "score", "number", default=0.0)),
        weak=_field(data, "weak", "bool", default=False),
        also_in=_also_in(data),
        speaker=_speaker(data),
    ), _field(item, "question", "str", default="", nullable=True) or "")


def _also_in(data: dict[str, Any]) -> tuple[Location, ...]:
    """A quote's "also_in" list of places, each checked."""
    found: list[Location] = []
    for n, loc in enumerate(_field(data, "also_in", "list", default=[]), 1):
        if not isinstance(loc, dict):
            raise _Malformed(f'"also_in" item {n} is {_kind(loc)}, not an object')
        try:
            path, title = _field(loc, "path", "str"), _field(loc, "title", "str")
            start, end = _offsets(loc)
            found.append(Location(path, title, _field(loc, "line", "int", default=None, nullable=True), start, end))
        except _Malformed as exc:
            raise _Malformed(f'"also_in" item {n}: {exc}') from None
    return tuple(found)


def _speaker(data: dict[str, Any]) -> Speaker | None:
    """A quote's "speaker", checked; None when there is none (or, as serialize.speaker_from_dict reads it, no name)."""
    said = _field(data, "speaker", "dict", default=None, nullable=True)
    if not said or said.get("name") is None:
        return None
    try:
        name = _field(said, "name", "str")
        role = _field(said, "role", "str", default=None, nullable=True)
        start, end = _offsets(said, default=0)
        reported = _field(said, "reported", "bool", default=False)
    except _Malformed as exc:
        raise _Malformed(f'"speaker": {exc}') from None
    return Speaker(name, role, start, end, reported) if name else None


def save(path: Path, pinned: tuple[Pinned, ...]) -> None:
    """Write the notebook atomically, owner-only, never through a link."""
    private_folder(path.parent)
    payload: dict[str, Any] = {"format": FORMAT, "version": VERSION,
                               "pinned": [{"quote": quote_to_dict(p.quote), "question": p.question} for p in pinned]}
    replace_atomically(path, json.dumps(payload, ensure_ascii=False, indent=1), PRIVATE)


def toggle(pinned: tuple[Pinned, ...], quote: Quote, question: str) -> tuple[tuple[Pinned, ...], bool]:
    """Pin `quote` (at the end), or unpin it when it is pinned; True when it is pinned now."""
    if any(key(p.quote) == key(quote) for p in pinned):
        return tuple(p for p in pinned if key(p.quote) != key(quote)), False
    return (*pinned, Pinned(quote, question)), True


def move(pinned: tuple[Pinned, ...], index: int, step: int) -> tuple[Pinned, ...]:
    """The list with item `index` moved by `step` places (kept inside the list)."""
    items = list(pinned)
    target = max(0, min(len(items) - 1, index + step))
    items.insert(target, items.pop(index))
    return tuple(items)


def pin_problem(quote: Quote, article: Article | None) -> str:
    """Why a pinned quote no longer stands word for word at its place in its article as indexed now ('' when it does):
    a citation promises the article's exact words, and the pin keeps the offsets and text it was pinned with."""
    where = f"{quote.path}:{quote.record}" if quote.record else quote.path
    if article is None:
        return (f"{where} is no longer in the index (deleted or moved since this was pinned): "
                "these words could not be checked.")
    if article.text[quote.start : quote.end] == quote.text:
        return ""
    if quote.text in article.text:
        return (f"{where} was edited after this was pinned: these words are now at another place in it "
                "(their paragraph may differ).")
    return f"{where} was edited after this was pinned: it no longer holds these words."


def pin_problems(pinned: tuple[Pinned, ...], index: Path | str) -> tuple[tuple[str, ...], str]:
    """Each pin's problem (pin_problem, in order) against the index at `index` (a folder or a store URL), and why the
    pins could not be checked at all ('' when they were: then the problems are all '' or real)."""
    from assistant.index.stores import open_store

    try:
        store = open_store(index)
    except Exception as exc:  # noqa: BLE001 - any index that cannot be read leaves the pins unchecked, not the export
        return ("",) * len(pinned), first_line(exc)
    try:
        paths: dict[int, str] | None = None
        found: list[str] = []
        for item in pinned:
            quote = item.quote
            article = store.article(quote.article_id)
            if article is None or (article.path, article.record) != (quote.path, quote.record):
                # A re-index may give the article another row id: look for it by its file (and record).
                paths = paths if paths is not None else store.article_paths()  # type: ignore[attr-defined]
                rows = (store.article(i) for i, p in paths.items() if p == quote.path)
                article = next((a for a in rows if a is not None and a.record == quote.record), None)
            found.append(pin_problem(quote, article))
        return tuple(found), ""
    except Exception as exc:  # noqa: BLE001 - as above: a read that fails midway checks nothing
        return ("",) * len(pinned), first_line(exc)
    finally:
        store.close()


def markdown(pinned: tuple[Pinned, ...], style: str = "chicago", *, index: Path | str | None = None) -> str:
    """The notebook as Markdown: the quotes in order, each marked with its source's number and its paragraph, then
    the sources, each listed once, numbered in order of first use, in `style`.

    With `index` (the folder or store URL the quotes were pinned from) each pin is checked against its article as
    indexed now: a pin whose article was deleted, or edited so that the words are not at their place, gets a one-line
    warning under it; an index that cannot be read is said once, at the top."""
    from assistant.text.citation_styles import Source, format_citation

    if style not in EXPORT_STYLES:
        raise NotebookError(f"unknown citation style {style!r} (use one of {', '.join(EXPORT_STYLES)})")
    problems, unchecked = pin_problems(pinned, index) if index is not None and pinned else (("",) * len(pinned), "")
    lines = ["# Notebook", ""]
    if unchecked:
        lines += [f"_These quotes were not checked against the index ({markdown_safe(unchecked, one_line=True)})._", ""]
    numbers: dict[tuple[str, int], int] = {}
    sources: list[Quote] = []
    for item, problem in zip(pinned, problems):
        # Quotes of one article share its number; the paragraph, the quote's own, stays beside it.
        number = numbers.setdefault((item.quote.path, item.quote.record), len(numbers) + 1)
        if number > len(sources):
            sources.append(item.quote)
        quote = dataclasses.replace(item.quote, n=number)
        if item.question:
            lines += [f"_{markdown_safe(item.question, one_line=True)}_", ""]
        lines += [markdown_quote(quote, locator=paragraph_label(quote) if quote.paragraph > 0 else ""), ""]
        if problem:
            lines += [f"**Warning:** {markdown_safe(problem, one_line=True)}", ""]
    if sources:
        lines += ["## Sources", ""]
        for number, quote in enumerate(sources, 1):
            whole = dataclasses.replace(Source.from_quote(quote), paragraph=None, last_paragraph=None)
            entry = format_citation(whole, style)
            lines.append(f"{number}. {markdown_safe(' '.join(entry.split()), one_line=True)}")
    return "\n".join(lines).rstrip() + "\n"


def export(path: Path, pinned: tuple[Pinned, ...], style: str = "chicago", *, index: Path | str | None = None) -> Path:
    """Write the notebook's Markdown to a new owner-only file at `path` (an existing file or a link
    planted there is refused, never written through); with `index`, each pin checked against it (see markdown)."""
    text = markdown(pinned, style, index=index)
    try:
        write_new(path, text, PRIVATE)
    except FileExistsError as exc:
        raise NotebookError(f"{path} already exists; choose another name") from exc
    except OSError as exc:
        # 'No such file or directory' for a missing folder, 'Permission denied', a full disk: one plain line.
        raise NotebookError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path
