"""Reading corpus files safely (regular files only, size limits, no FIFO or /proc reads) and streaming
their articles: ArticleStream, load_file, file_fingerprint."""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from assistant.corpus.discovery import rel_path
from assistant.corpus.fields import build_article
from assistant.corpus.formats import Format, format_of, parse_jsonl_record
from assistant.corpus.metadata import apply_folder_metadata
from assistant.corpus.problems import JsonlLog, Skipped, Warnings, os_reason
from assistant.models import Article, LoadProblem, LoadResult
from assistant.text import decoding

__all__ = ["ArticleStream", "file_fingerprint", "load_file"]


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
        self.rel = rel_path(Path(os.path.abspath(root)), path)
        self.max_bytes = max_bytes
        self.max_jsonl_bytes = max_jsonl_bytes
        self.problems: list[LoadProblem] = []
        self.skipped: LoadProblem | None = None

    def __iter__(self) -> Iterator[Article]:
        # Folder defaults (assistant-corpus.toml: outlet, author, date pattern) fill what an article leaves out.
        return (apply_folder_metadata(self.root, article) for article in self._read())

    def _read(self) -> Iterator[Article]:
        fmt = format_of(os.path.splitext(str(self.path))[1])
        try:
            if fmt is None:
                raise Skipped(f"unsupported file type '{Path(self.path).suffix}'", "unsupported")
            if fmt.parse is None:
                log = JsonlLog(self.rel)
                yield from _jsonl_articles(self.rel, self.path, self.max_jsonl_bytes, self.max_bytes, log)
                self.problems.extend(log.finish())
            else:
                article, warnings = _load_document(self.rel, self.path, fmt, self.max_bytes)
                self.problems.extend(warnings)
                yield article
        except Skipped as exc:
            self.skipped = LoadProblem(self.rel, str(exc), kind=exc.kind)
            self.problems = [self.skipped]
        except (MemoryError, RecursionError) as exc:
            # One hostile file must not end the run (or the chat): it is that file's problem.
            memory = isinstance(exc, MemoryError)
            reason = "out of memory while reading it" if memory else "too deeply nested to read"
            self.skipped = LoadProblem(self.rel, reason, kind="too-large" if memory else "malformed")
            self.problems = [self.skipped]


def _load_document(rel: str, path: Path, fmt: Format, max_bytes: int) -> tuple[Article, list[LoadProblem]]:
    """A whole-file article (.txt, .md, .html) and its warnings."""
    data = _read_bytes(path, max_bytes)
    if not data.strip():
        raise Skipped("empty file", "empty")
    decoded = decoding.decode_text(data, decoding.html_charset(data) if fmt.charset_in_markup else None)
    if decoded is None:
        raise Skipped("binary file, not text", "binary")
    if not decoded.text.strip():
        raise Skipped("empty file", "empty")
    warnings = Warnings(rel)
    if decoded.warning:
        warnings.add(decoded.warning, "decoding")
    assert fmt.parse is not None  # JSONL is streamed, never read whole
    text, body_start, title, meta = fmt.parse(decoded.text, Path(path).stem, warnings)
    first_line = 1 if fmt.line_numbers else None
    return build_article(rel, 0, text, body_start, title, meta, fmt.name, first_line), warnings.problems()


# --- reading a file that may be hostile -----------------------------------------------------


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


def _read_bytes(path: Path, limit: int) -> bytes:
    """The file's bytes, or Skipped when it is missing, unreadable, not a file or too large."""
    info = _stat_regular(path, limit)
    try:
        with _open_regular(path, limit) as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise Skipped(f"cannot read file: {os_reason(exc)}", "unreadable") from None
    if len(data) > limit:  # it grew after the stat
        raise Skipped(_too_large(max(len(data), info.st_size), limit), "too-large")
    return data


def _stat_regular(path: Path, limit: int) -> os.stat_result:
    """Stat a file that is about to be opened: refuse folders, FIFOs, devices, /proc files and files over `limit`."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise Skipped(f"cannot read file: {os_reason(exc)}", "unreadable") from None
    _check_regular(info, limit, path)
    return info


def _check_regular(info: os.stat_result, limit: int, path: Path | None = None) -> None:
    """Skipped unless `info` is a regular file of at most `limit` bytes outside /proc and /sys."""
    if stat.S_ISDIR(info.st_mode):
        raise Skipped("cannot read file: Is a directory", "unreadable")
    if not stat.S_ISREG(info.st_mode) or _is_pseudo_file(info, path):
        raise Skipped("not a regular file", "special-file")  # opening a FIFO would block, a device read forever
    if info.st_size > limit:
        raise Skipped(_too_large(info.st_size, limit), "too-large")


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


# --- .jsonl, streamed ----------------------------------------------------------------------


def _jsonl_articles(
    rel: str, path: Path, max_file_bytes: int, max_record_bytes: int, log: JsonlLog
) -> Iterator[Article]:
    """One article per JSON line, streamed; a bad line is reported in `log` and the others still load."""
    _stat_regular(path, max_file_bytes)
    seen_text = False
    try:
        with _open_regular(path, max_file_bytes) as fh:
            head = fh.read(decoding.SNIFF_BYTES)
            if decoding.looks_binary(head):
                raise Skipped("binary file, not text", "binary")
            fh.seek(0)
            for line_no, line in _jsonl_lines(fh, head, max_record_bytes, log):
                if line is None or not line.strip():
                    continue
                seen_text = True
                article = parse_jsonl_record(rel, line_no, line, log)
                if article is not None:
                    yield article
    except OSError as exc:
        raise Skipped(f"cannot read file: {os_reason(exc)}", "unreadable") from None
    if not seen_text and not log.problems:
        raise Skipped("empty file", "empty")


def _jsonl_lines(
    fh: BinaryIO, head: bytes, max_record_bytes: int, log: JsonlLog
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
    wrapper: Any, text: str, line_no: int, limit: int, log: JsonlLog
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
