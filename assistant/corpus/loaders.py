"""Corpus files to Articles: discovery, reading, and the txt, md, html and jsonl formats."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from assistant.corpus.metadata import apply_folder_metadata
from assistant.text import decoding
from assistant.models import Article, LoadProblem, LoadResult

__all__ = ["SUPPORTED_SUFFIXES", "ArticleStream", "discover_files", "file_fingerprint", "load_file"]

_FORMATS = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".jsonl": "jsonl",
}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_FORMATS)
"""File suffixes the loaders read (compared case-insensitively)."""

MAX_TITLE_CHARS = 300
"""A first line longer than this is a paragraph, not a title."""
MAX_LINE_PROBLEMS = 100
"""Bad JSONL lines reported one by one; the rest are summed up in one line."""
MAX_FIELD_CHARS: Mapping[str, int] = {"title": 500, "author": 300, "source": 200, "url": 2000}
"""Metadata longer than this is cut (with a warning): a title or byline is a line, not a chapter."""
MAX_YAML_ALIASES = 20
"""Front matter with more YAML aliases (`*name`) is ignored: aliases let 100 KB expand to gigabytes."""
_PRE_CUT = 20_000
"""Metadata text is cut to this before it is cleaned, so a 20 MB 'title' is not copied around."""

_DATE_LINE = re.compile(r"\s*date\s+(\d{4}-\d{1,2}-\d{1,2})(?:\s+(.*?))?\s*")
_RUN_ON = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*\s+\S")  # a sentence ends and another begins
_CLAUSE_END = re.compile(r"[.,;:]\s*$")
_NON_SPACE = re.compile(r"\S")
_FRONT_MATTER_OPEN = re.compile(r"---[ \t]*\r?\n")
_FRONT_MATTER_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.MULTILINE)
_ATX_H1 = re.compile(r" {0,3}#[ \t]+(\S.*?)(?:[ \t]+#+)?[ \t]*\r?")
_FENCE = re.compile(r" {0,3}(?:```|~~~)")

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_JSONL_KEYS = ("text", "title", "date", "source", "outlet", "publisher", "url", "link", "author")
ProblemSink = Callable[[LoadProblem], None]


class _Skipped(Exception):
    """Raised inside a loader to give up on a file (or record) with one line for the user."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind
        """LoadProblem.kind."""


class _TooManyAliases(Exception):
    """Raised by the front matter loader past MAX_YAML_ALIASES aliases."""


@dataclass(frozen=True)
class _Meta:
    """Article metadata besides the title."""

    date: dt.date | None = None
    source: str | None = None
    url: str | None = None
    author: str | None = None


@dataclass
class _Warnings:
    """Non-skipping problems collected for one path while it is read."""

    path: str
    messages: list[tuple[str, str]] = field(default_factory=list)

    def add(self, message: str, kind: str = "metadata") -> None:
        """Note one warning."""
        self.messages.append((message, kind))

    def problems(self) -> list[LoadProblem]:
        """The warnings as LoadProblems."""
        return [LoadProblem(self.path, m, skipped=False, kind=kind) for m, kind in self.messages]


# --- discovery ---------------------------------------------------------------------------


def discover_files(
    root: Path, *, on_problem: ProblemSink | None = None, follow_symlinks: bool = False
) -> Iterator[Path]:
    """Every supported file below `root` (absolute paths), in order of relative path.

    Hidden entries, README.* and LICENSE* files are skipped; each folder is entered once even
    through symlinks (so loops end); folders that cannot be listed go to `on_problem`. Symlinks
    that stay inside the corpus are followed; one that leads out of it is skipped with one problem
    unless `follow_symlinks`. FIFOs, devices and sockets are reported and never yielded.
    """
    report = on_problem or (lambda problem: None)
    base = Path(os.path.abspath(root))
    if not base.is_dir():
        report(LoadProblem(base.as_posix(), "corpus folder not found or not a folder", kind="missing"))
        return
    real_base = os.path.realpath(base)
    seen = {real_base}
    # An explicit stack, not recursion, so a very deep tree cannot overflow Python's stack.
    stack: list[Iterator[os.DirEntry[str]]] = [_sorted_entries(base, ".", report)]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        if entry.name.startswith("."):
            continue
        try:
            if decoding.has_surrogates(entry.name):
                # Undecodable bytes come back as lone surrogates, which no UTF-8 store or terminal can
                # take: reported once by a printable name instead of failing the whole run later.
                if entry.is_dir() or _is_article_name(entry.name):
                    name = _printable(_rel(base, entry.path))
                    report(LoadProblem(name, "name is not valid UTF-8; rename it to index it", kind="bad-name"))
            elif entry.is_symlink() and not follow_symlinks and not _within(real_base, os.path.realpath(entry.path)):
                # A folder someone else made may link to the user's home, to / or to /proc.
                if os.path.exists(entry.path) and (entry.is_dir() or _is_article_name(entry.name)):
                    target = _printable(os.path.realpath(entry.path))
                    message = f"symbolic link to {target}, outside the corpus; pass --follow-symlinks to index it"
                    report(LoadProblem(_printable(_rel(base, entry.path)), message, kind="symlink"))
            elif entry.is_dir():
                real = os.path.realpath(entry.path)
                if real not in seen:
                    seen.add(real)
                    stack.append(_sorted_entries(Path(entry.path), _rel(base, entry.path), report))
            elif _is_article_name(entry.name):
                if entry.is_file():
                    yield Path(entry.path)
                elif os.path.exists(entry.path):  # a FIFO, device or socket, perhaps behind a link
                    kind = _special_kind(os.stat(entry.path).st_mode)
                    report(LoadProblem(_printable(_rel(base, entry.path)), f"not a regular file ({kind})", kind="special-file"))
        except OSError as exc:
            if not entry.is_symlink():  # a symlink that cannot be followed is a broken one: ignored
                report(LoadProblem(_rel(base, entry.path), f"cannot read entry: {_reason(exc)}", kind="unreadable"))


def _within(real_base: str, real: str) -> bool:
    """True when the resolved path `real` is the corpus folder or lies below it."""
    return real == real_base or real.startswith(real_base.rstrip(os.sep) + os.sep)


def _special_kind(mode: int) -> str:
    """'a FIFO', 'a device', 'a socket' for messages."""
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def _printable(path: str) -> str:
    """A path whose undecodable bytes (lone surrogates from os.fsdecode) are shown as \\xNN escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _sorted_entries(folder: Path, rel: str, report: ProblemSink) -> Iterator[os.DirEntry[str]]:
    """The entries of one folder sorted by name (nothing, after a report, if it cannot be listed)."""
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError as exc:
        report(LoadProblem(rel, f"cannot list folder: {_reason(exc)}", kind="unreadable"))
        return iter(())
    return iter(entries)


def _is_article_name(name: str) -> bool:
    """A supported suffix, and not dataset documentation (README.*, LICENSE*)."""
    lower = name.lower()
    if lower.startswith(("readme.", "license", "licence")):
        return False
    return os.path.splitext(lower)[1] in SUPPORTED_SUFFIXES


def file_fingerprint(path: Path) -> str:
    """sha256 hex of the file's bytes, read in blocks; raises OSError when it cannot be read (or is no
    longer a regular file)."""
    digest = hashlib.sha256()
    with open(path, "rb", opener=_nonblocking) as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode) or _is_pseudo_file(info):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _nonblocking(path: str, flags: int) -> int:
    """An opener for open(): adds O_NONBLOCK, so a FIFO swapped in after a stat cannot hang the run."""
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


@functools.cache
def _pseudo_devices() -> frozenset[int]:
    """Device numbers of /proc and /sys, whose 'regular' files are generated on read (size 0)."""
    devices = set()
    for folder in ("/proc", "/sys"):
        try:
            devices.add(os.stat(folder).st_dev)
        except OSError:
            pass
    return frozenset(devices)


def _is_pseudo_file(info: os.stat_result, path: Path | None = None) -> bool:
    """True for a file of /proc or /sys (a process's status or environment, kernel settings)."""
    if info.st_dev in _pseudo_devices():
        return True
    real = os.path.realpath(path) if path is not None else ""
    return real.startswith(("/proc/", "/sys/"))


# --- loading -----------------------------------------------------------------------------


def load_file(
    root: Path,
    path: Path,
    *,
    max_bytes: int = 20_000_000,
    max_jsonl_bytes: int = 2_000_000_000,
) -> LoadResult:
    """Read one corpus file into Articles; every problem becomes a LoadProblem, nothing raises."""
    stream = ArticleStream(root, path, max_bytes=max_bytes, max_jsonl_bytes=max_jsonl_bytes)
    articles = tuple(stream)
    if stream.skipped is not None:  # given up part-way: nothing of the file counts
        return LoadResult(problems=(stream.skipped,))
    return LoadResult(articles=articles, problems=tuple(stream.problems))


class ArticleStream:
    """The articles of one corpus file, read while they are iterated: a JSONL file is never held whole.

    Iterate it once (a new stream reads the file again). `problems` is complete when the iteration
    has ended; `skipped` then says why the file was not read, or not to its end (None when it was).
    """

    def __init__(
        self, root: Path, path: Path, *, max_bytes: int = 20_000_000, max_jsonl_bytes: int = 2_000_000_000
    ) -> None:
        self.path = path
        self.root = root
        self.rel = _rel(Path(os.path.abspath(root)), path)
        self.max_bytes = max_bytes
        self.max_jsonl_bytes = max_jsonl_bytes
        self.problems: list[LoadProblem] = []
        self.skipped: LoadProblem | None = None

    def __iter__(self) -> Iterator[Article]:
        # Folder defaults (assistant-corpus.toml: outlet, author, date pattern) fill what an article leaves out.
        return (apply_folder_metadata(self.root, article) for article in self._read())

    def _read(self) -> Iterator[Article]:
        fmt = _FORMATS.get(os.path.splitext(str(self.path))[1].lower())
        try:
            if fmt is None:
                raise _Skipped(f"unsupported file type '{Path(self.path).suffix}'", "unsupported")
            if fmt == "jsonl":
                log = _JsonlLog(self.rel)
                yield from _jsonl_articles(self.rel, self.path, self.max_jsonl_bytes, self.max_bytes, log)
                self.problems.extend(log.finish())
            else:
                result = _load_document(self.rel, self.path, fmt, self.max_bytes)
                self.problems.extend(result.problems)
                yield from result.articles
        except _Skipped as exc:
            self.skipped = LoadProblem(self.rel, str(exc), kind=exc.kind)
            self.problems = [self.skipped]
        except (MemoryError, RecursionError) as exc:
            # One hostile file must not end the run (or the chat): it is that file's problem.
            memory = isinstance(exc, MemoryError)
            reason = "out of memory while reading it" if memory else "too deeply nested to read"
            self.skipped = LoadProblem(self.rel, reason, kind="too-large" if memory else "malformed")
            self.problems = [self.skipped]


def _load_document(rel: str, path: Path, fmt: str, max_bytes: int) -> LoadResult:
    """A whole-file article (.txt, .md, .html)."""
    data = _read_bytes(path, max_bytes)
    if not data.strip() or decoding.looks_binary(data):
        raise _Skipped("empty file", "empty") if not data.strip() else _Skipped("binary file, not text", "binary")
    decoded = decoding.decode(data, decoding.html_charset(data) if fmt == "html" else None)
    if decoding.text_looks_binary(decoded.text):
        raise _Skipped("binary file, not text", "binary")
    if not decoded.text.strip():
        raise _Skipped("empty file", "empty")
    warnings = _Warnings(rel)
    if decoded.warning:
        warnings.add(decoded.warning, "decoding")
    parse = {"txt": _parse_txt, "md": _parse_markdown, "html": _parse_html}[fmt]
    text, body_start, title, meta = parse(decoded.text, Path(path).stem, warnings)
    first_line = None if fmt == "html" else 1
    article = _article(rel, 0, text, body_start, title, meta, fmt, first_line)
    return LoadResult(articles=(article,), problems=tuple(warnings.problems()))


def _read_bytes(path: Path, limit: int) -> bytes:
    """The file's bytes, or _Skipped when it is missing, unreadable, not a file or too large."""
    info = _stat_regular(path, limit)
    try:
        with _open_regular(path, limit) as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise _Skipped(f"cannot read file: {_reason(exc)}", "unreadable") from None
    if len(data) > limit:  # it grew after the stat
        raise _Skipped(_too_large(max(len(data), info.st_size), limit), "too-large")
    return data


def _stat_regular(path: Path, limit: int) -> os.stat_result:
    """Stat a file that is about to be opened: refuse folders, FIFOs, devices, /proc files and files over `limit`."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise _Skipped(f"cannot read file: {_reason(exc)}", "unreadable") from None
    _check_regular(info, limit, path)
    return info


def _check_regular(info: os.stat_result, limit: int, path: Path | None = None) -> None:
    """_Skipped unless `info` is a regular file of at most `limit` bytes outside /proc and /sys."""
    if stat.S_ISDIR(info.st_mode):
        raise _Skipped("cannot read file: Is a directory", "unreadable")
    if not stat.S_ISREG(info.st_mode) or _is_pseudo_file(info, path):
        raise _Skipped("not a regular file", "special-file")  # opening a FIFO would block, a device read forever
    if info.st_size > limit:
        raise _Skipped(_too_large(info.st_size, limit), "too-large")


@contextlib.contextmanager
def _open_regular(path: Path, limit: int) -> Iterator[BinaryIO]:
    """Open a file _stat_regular accepted, without blocking, and check what was opened: the name may
    lead to a FIFO or device by now (a plain open of a FIFO waits for a writer forever)."""
    fh = open(path, "rb", opener=_nonblocking)  # noqa: SIM115 - closed below or by the with
    try:
        _check_regular(os.fstat(fh.fileno()), limit)
        os.set_blocking(fh.fileno(), True)
    except BaseException:
        fh.close()
        raise
    with fh:
        yield fh


def _too_large(size: int, limit: int) -> str:
    """'file too large (52.4 MB > 20.0 MB limit)'."""
    return f"file too large ({decoding.format_size(size)} > {decoding.format_size(limit)} limit)"


# --- .txt --------------------------------------------------------------------------------


def _parse_txt(text: str, stem: str, warnings: _Warnings) -> tuple[str, int, str, _Meta]:
    """Title line (` date YYYY-MM-DD Title` or a plain title), then paragraphs."""
    first = _NON_SPACE.search(text)
    if first is None:
        raise _Skipped("empty file", "empty")
    line_start = text.rfind("\n", 0, first.start()) + 1
    line_end = _line_end(text, line_start)
    line = text[line_start:line_end]
    body = _NON_SPACE.search(text, line_end)
    dated = _DATE_LINE.fullmatch(line)
    if dated is not None:
        title = dated.group(2) or ""
        meta = _Meta(date=decoding.parse_date(dated.group(1)))
        if meta.date is None:
            warnings.add(f"invalid date '{dated.group(1)}' in the title line; date ignored")
    elif _is_title(line, blank_follows=_blank_line_follows(text, line_end)):
        title, meta = line.strip(), _Meta()
    else:
        return text, first.start(), "", _Meta()
    if body is None:
        raise _Skipped("no body text", "empty")
    return text, body.start(), _capped(decoding.strip_controls(title.strip()), "title", warnings) or "", meta


def _is_title(line: str, *, blank_follows: bool) -> bool:
    """A short single-sentence line; with text right under it, not ending like a clause."""
    stripped = line.strip()
    if len(stripped) > MAX_TITLE_CHARS or _RUN_ON.search(stripped):
        return False
    return blank_follows or not _CLAUSE_END.search(stripped)


def _line_end(text: str, start: int) -> int:
    """Offset of the newline ending the line that starts at `start` (or the end of the text)."""
    end = text.find("\n", start)
    return len(text) if end < 0 else end


def _blank_line_follows(text: str, line_end: int) -> bool:
    """True when the line after `line_end` is blank or missing."""
    if line_end >= len(text):
        return True
    return not text[line_end + 1 : _line_end(text, line_end + 1)].strip()


# --- .md ---------------------------------------------------------------------------------


def _parse_markdown(text: str, stem: str, warnings: _Warnings) -> tuple[str, int, str, _Meta]:
    """Optional YAML front matter, an optional leading `# Title`, then the body."""
    fields, body_from = _front_matter(text, warnings)
    title = _text_field(fields, ("title",), warnings)
    meta = _Meta(
        date=_date_field(fields, warnings),
        source=_text_field(fields, ("source", "outlet", "publisher"), warnings),
        url=_text_field(fields, ("url", "link"), warnings),
        author=_author_field(fields, warnings),
    )
    first = _NON_SPACE.search(text, body_from)
    if first is None:
        raise _Skipped("no body text", "empty")
    body_start = first.start()
    line_start = text.rfind("\n", 0, body_start) + 1
    heading = _ATX_H1.fullmatch(text, line_start, _line_end(text, line_start))
    if heading is not None and not title:
        title = heading.group(1)
        next_text = _NON_SPACE.search(text, heading.end())
        if next_text is None:
            raise _Skipped("no body text", "empty")
        body_start = next_text.start()
    title = title or _first_heading(text, body_from) or stem
    return text, body_start, _capped(decoding.strip_controls(title.strip()), "title", warnings) or "", _capped_meta(meta, warnings)


def _front_matter(text: str, warnings: _Warnings) -> tuple[Mapping[str, object], int]:
    """The front matter's fields (lower-cased keys) and the offset just after it."""
    opening = _FRONT_MATTER_OPEN.match(text)
    if opening is None:
        return {}, 0
    closing = _FRONT_MATTER_CLOSE.search(text, opening.end())
    if closing is None:
        warnings.add("front matter has no closing '---'; read as text")
        return {}, 0
    body_from = min(len(text), closing.end() + 1)
    yaml_text = text[opening.end() : closing.start()]
    try:
        data = _load_yaml(yaml_text)
    except _TooManyAliases:
        warnings.add(f"front matter uses more than {MAX_YAML_ALIASES} YAML aliases; ignored")
        return {}, body_from
    except MemoryError:
        warnings.add("front matter too large to read; ignored")
        return {}, body_from
    except Exception as exc:  # noqa: BLE001 - PyYAML raises many types (and RecursionError)
        warnings.add(f"front matter is not valid YAML ({_first_line(exc)}); ignored")
        return {}, body_from
    if data is None:
        return {}, body_from
    if not isinstance(data, dict):
        warnings.add(f"front matter is a {type(data).__name__}, not a mapping; ignored")
        return {}, body_from
    return {str(key).lower(): value for key, value in data.items()}, body_from


def _load_yaml(yaml_text: str) -> object:
    """yaml.safe_load, except that dates stay strings (one bad date spoils only itself) and more than
    MAX_YAML_ALIASES aliases raise _TooManyAliases (an alias repeats a whole node: a 'billion laughs')."""
    import yaml

    return yaml.load(yaml_text, Loader=_front_matter_loader())  # noqa: S506 - a SafeLoader subclass


@functools.cache
def _front_matter_loader() -> type:
    """A SafeLoader without the timestamp resolver (`date: 2023-13-45` must not fail the whole block)
    that counts aliases as it composes, before anything is expanded."""
    import yaml

    timestamp = "tag:yaml.org,2002:timestamp"
    resolvers = {
        first: [(tag, regexp) for tag, regexp in entries if tag != timestamp]
        for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    class FrontMatterLoader(yaml.SafeLoader):
        yaml_implicit_resolvers = resolvers
        aliases = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.events.AliasEvent):
                self.aliases += 1
                if self.aliases > MAX_YAML_ALIASES:
                    raise _TooManyAliases
            return super().compose_node(parent, index)

    return FrontMatterLoader


def _first_heading(text: str, start: int) -> str | None:
    """The first `# Heading` outside fenced code blocks, if any."""
    in_fence = False
    for line in text[start:].splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and (heading := _ATX_H1.fullmatch(line)):
            return heading.group(1)
    return None


# --- metadata fields (front matter and JSONL records) ------------------------------------


def _text_field(fields: Mapping[str, object], keys: tuple[str, ...], warnings: _Warnings) -> str | None:
    """The first of `keys` that holds text (numbers are read as text); other types are warned about."""
    for key in keys:
        value = fields.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, str) or (isinstance(value, int | float) and not isinstance(value, bool)):
            return _clean(str(value)[:_PRE_CUT]) or None
        warnings.add(f"'{key}' should be text, not {_type_name(value)}; ignored")
    return None


def _author_field(fields: Mapping[str, object], warnings: _Warnings) -> str | None:
    """`author` as text, or a list of names joined with ', '."""
    value = fields.get("author")
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        names: list[str] = []
        size = 0
        for name in (v[:_PRE_CUT].strip() for v in value):
            if name:
                names.append(name)
                size += len(name) + 2
                if size > _PRE_CUT:  # past any cap: the rest would be cut anyway
                    break
        return _clean(", ".join(names)) or None
    return _text_field(fields, ("author",), warnings)


def _capped(value: str | None, name: str, warnings: _Warnings) -> str | None:
    """`value` cut to MAX_FIELD_CHARS[name] characters, with a warning when it was longer."""
    limit = MAX_FIELD_CHARS[name]
    if value is None or len(value) <= limit:
        return value
    warnings.add(f"'{name}' longer than {limit:,} characters; cut")
    return value[:limit].rstrip()


def _capped_meta(meta: _Meta, warnings: _Warnings) -> _Meta:
    """The metadata with each text field capped (see MAX_FIELD_CHARS)."""
    return _Meta(
        date=meta.date,
        source=_capped(meta.source, "source", warnings),
        url=_capped(meta.url, "url", warnings),
        author=_capped(meta.author, "author", warnings),
    )


def _date_field(fields: Mapping[str, object], warnings: _Warnings) -> dt.date | None:
    """`date` as a datetime.date, or None with a warning when it cannot be read."""
    value = fields.get("date")
    if value is None or value == "":
        return None
    day = decoding.parse_date(value)
    if day is None:
        shown = repr(value)[:40] if isinstance(value, str) else _type_name(value)
        warnings.add(f"unrecognised date {shown}; date ignored")
    return day


def _clean(value: str) -> str:
    """Metadata text without control characters or lone surrogates, stripped."""
    return decoding.replace_surrogates(decoding.strip_controls(value)).strip()


def _type_name(value: object) -> str:
    """'a list', 'a mapping', ... for messages."""
    if isinstance(value, dict):
        return "a mapping"
    name = type(value).__name__
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


# --- .html -------------------------------------------------------------------------------


def _parse_html(html: str, stem: str, warnings: _Warnings) -> tuple[str, int, str, _Meta]:
    """Main text and metadata found by trafilatura, paragraphs separated by blank lines."""
    document = _extract_html(html)
    lines = [_clean(line) for line in (document.text or "").splitlines()] if document else []
    text = "\n\n".join(line for line in lines if line)
    if document is None or not text:
        raise _Skipped("no article text found in HTML", "empty")
    meta = _Meta(
        date=decoding.parse_date(document.date),
        source=_clean((document.sitename or "")[:_PRE_CUT]) or None,
        url=_clean((document.url or "")[:_PRE_CUT]) or None,
        author=_clean((document.author or "")[:_PRE_CUT]) or None,
    )
    title = _capped(_clean((document.title or "")[:_PRE_CUT]), "title", warnings) or ""
    return text, 0, title, _capped_meta(meta, warnings)


def _extract_html(html: str) -> Any:
    """trafilatura's Document for the page, or None when it finds nothing or fails."""
    import trafilatura  # heavy (~0.2 s): only when an HTML file is read
    from trafilatura.settings import Document

    try:
        # A string in and no url: trafilatura only parses it, fetching nothing and running no script.
        document = trafilatura.bare_extraction(
            html, with_metadata=True, include_comments=False, config=_trafilatura_config()
        )
    except Exception:  # any failure inside the library, RecursionError included
        return None
    return document if isinstance(document, Document) else None


@functools.cache
def _trafilatura_config() -> Any:
    """trafilatura's defaults, minus its signal-based timeout (signals fail outside the main thread)."""
    from copy import deepcopy

    from trafilatura.settings import DEFAULT_CONFIG

    config = deepcopy(DEFAULT_CONFIG)
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")
    config.set("DEFAULT", "MAX_FILE_SIZE", str(2**62))  # our own max_bytes is the limit
    return config


# --- .jsonl ------------------------------------------------------------------------------


@dataclass
class _JsonlLog:
    """Problems of one JSONL file, with bad lines capped so a broken file stays readable."""

    rel: str
    problems: list[LoadProblem] = field(default_factory=list)
    bad_lines: int = 0
    fallback_lines: int = 0
    fallback_encoding: str = ""

    def bad_line(self, line_no: int, message: str, kind: str = "malformed") -> None:
        """A line that was skipped."""
        self.bad_lines += 1
        if self.bad_lines <= MAX_LINE_PROBLEMS:
            self.problems.append(LoadProblem(f"{self.rel}:{line_no}", message, kind=kind))

    def finish(self) -> tuple[LoadProblem, ...]:
        """All problems, with summaries for capped lines and fallback decoding."""
        extra = []
        if self.bad_lines > MAX_LINE_PROBLEMS:
            hidden = self.bad_lines - MAX_LINE_PROBLEMS
            extra.append(LoadProblem(self.rel, f"{hidden} more bad lines not listed", kind="malformed"))
        if self.fallback_lines:
            message = f"not UTF-8 ({self.fallback_lines} lines); decoded as {self.fallback_encoding}"
            extra.append(LoadProblem(self.rel, message, skipped=False, kind="decoding"))
        return tuple(self.problems + extra)


def _jsonl_articles(
    rel: str, path: Path, max_file_bytes: int, max_record_bytes: int, log: _JsonlLog
) -> Iterator[Article]:
    """One article per JSON line, streamed; a bad line is reported in `log` and the others still load."""
    _stat_regular(path, max_file_bytes)
    seen_text = False
    try:
        with _open_regular(path, max_file_bytes) as fh:
            head = fh.read(decoding.SNIFF_BYTES)
            if decoding.looks_binary(head):
                raise _Skipped("binary file, not text", "binary")
            fh.seek(0)
            for line_no, line in _jsonl_lines(fh, head, max_record_bytes, log):
                if line is None or not line.strip():
                    continue
                seen_text = True
                article = _jsonl_record(rel, line_no, line, log)
                if article is not None:
                    yield article
    except OSError as exc:
        raise _Skipped(f"cannot read file: {_reason(exc)}", "unreadable") from None
    if not seen_text and not log.problems:
        raise _Skipped("empty file", "empty")


def _jsonl_lines(
    fh: BinaryIO, head: bytes, max_record_bytes: int, log: _JsonlLog
) -> Iterator[tuple[int, str | None]]:
    """(line number, decoded line) pairs, streamed; None for a line too long to be a record."""
    bom = decoding.bom_encoding(head)
    if bom in ("utf-16", "utf-32"):
        import io

        wrapper = io.TextIOWrapper(fh, encoding=bom, errors="replace", newline="\n")
        for line_no, text in enumerate(iter(lambda: wrapper.readline(max_record_bytes + 1), ""), 1):
            yield line_no, _skip_long_text_line(wrapper, text, line_no, max_record_bytes, log)
        return
    line_no = 0
    while raw := fh.readline(max_record_bytes + 1):
        line_no += 1
        if len(raw) > max_record_bytes and not raw.endswith(b"\n"):
            _discard_rest_of_line(fh)
            log.bad_line(line_no, f"record too large (over {decoding.format_size(max_record_bytes)})", "too-large")
            yield line_no, None
            continue
        if line_no == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        try:
            yield line_no, raw.decode("utf-8")
        except UnicodeDecodeError:
            decoded = decoding.decode_legacy(raw)
            log.fallback_lines += 1
            log.fallback_encoding = log.fallback_encoding or decoded.encoding
            yield line_no, decoded.text


def _skip_long_text_line(
    wrapper: Any, text: str, line_no: int, limit: int, log: _JsonlLog
) -> str | None:
    """`text`, or None after reading past the rest of an over-long line."""
    if len(text) <= limit or text.endswith("\n"):
        return text
    while (more := wrapper.readline(1 << 20)) and not more.endswith("\n"):
        pass
    log.bad_line(line_no, f"record too large (over {limit:,} characters)", "too-large")
    return None


def _discard_rest_of_line(fh: BinaryIO) -> None:
    """Read up to the end of the current line, in blocks, without keeping it."""
    while (block := fh.readline(1 << 20)) and not block.endswith(b"\n"):
        pass


def _jsonl_record(rel: str, line_no: int, line: str, log: _JsonlLog) -> Article | None:
    """The Article of one JSON line, or None after reporting why the line was skipped."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        log.bad_line(line_no, f"not valid JSON: {exc.msg} (column {exc.colno})")
        return None
    except (ValueError, RecursionError) as exc:  # e.g. huge integers, absurd nesting
        log.bad_line(line_no, f"not valid JSON: {_first_line(exc)}")
        return None
    if not isinstance(record, dict):
        log.bad_line(line_no, f"record is {_type_name(record)}, not a JSON object")
        return None
    fields = {str(key).lower(): v for key, v in record.items()}
    value = fields.get("text")
    if value is not None and not isinstance(value, str):
        log.bad_line(line_no, f"'text' should be a string, not {_type_name(value)}")
        return None
    text = decoding.replace_surrogates(decoding.strip_controls(value or ""))
    if not text.strip():
        log.bad_line(line_no, "missing or empty 'text'", "empty")
        return None
    warnings = _Warnings(f"{rel}:{line_no}")
    if _SURROGATE_ESCAPE.search(line) and any(  # only a \udXXX escape makes a lone surrogate
        isinstance(fields.get(key), str) and decoding.has_surrogates(fields[key]) for key in _JSONL_KEYS
    ):
        warnings.add("lone surrogate characters replaced with U+FFFD")
    meta = _Meta(
        date=_date_field(fields, warnings),
        source=_text_field(fields, ("source", "outlet", "publisher"), warnings),
        url=_text_field(fields, ("url", "link"), warnings),
        author=_author_field(fields, warnings),
    )
    title = _capped(_text_field(fields, ("title",), warnings), "title", warnings) or ""
    meta = _capped_meta(meta, warnings)
    log.problems.extend(warnings.problems())
    return _article(rel, line_no, text, 0, title, meta, "jsonl", line_no)


# --- shared ------------------------------------------------------------------------------


def _article(
    rel: str, record: int, text: str, body_start: int, title: str, meta: _Meta, fmt: str,
    first_line: int | None,
) -> Article:
    """Build the Article and its content hash."""
    return Article(
        path=rel,
        record=record,
        text=text,
        body_start=body_start,
        title=title,
        date=meta.date,
        source=meta.source,
        url=meta.url,
        author=meta.author,
        format=fmt,
        content_hash=_content_hash(text, title, meta),
        first_line=first_line,
    )


def _content_hash(text: str, title: str, meta: _Meta) -> str:
    """sha256 over the text and the metadata; the path is left out so a renamed file keeps it."""
    date = meta.date.isoformat() if meta.date else None
    # Length-prefixed parts: no choice of separator could be confused with text; None differs from ''.
    parts = (text, title, date, meta.source, meta.url, meta.author)
    payload = "".join("~" if part is None else f"{len(part)}:{part}" for part in parts)
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def _rel(root: Path, path: str | Path) -> str:
    """`path` relative to `root`, with forward slashes (as given when it lies elsewhere)."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(root).as_posix() or "."
    except ValueError:
        return Path(path).as_posix()


def _first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type when it has none)."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _reason(exc: OSError) -> str:
    """The OS's words for an error ('Permission denied'), without errno or path."""
    return exc.strerror or str(exc) or type(exc).__name__
