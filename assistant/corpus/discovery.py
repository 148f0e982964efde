"""Which files below a corpus folder are articles: the walk, what is skipped, and the rules for links and special files."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from assistant.corpus import metadata
from assistant.corpus.formats import SUPPORTED_SUFFIXES
from assistant.corpus.problems import ProblemSink, os_reason
from assistant.models import LoadProblem
from assistant.text import decoding

__all__ = ["discover_files", "is_article_name", "printable", "rel_path"]


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
                if entry.is_dir() or is_article_name(entry.name):
                    name = printable(rel_path(base, entry.path))
                    report(LoadProblem(name, "name is not valid UTF-8; rename it to index it", kind="bad-name"))
            elif entry.is_symlink() and not follow_symlinks and not _within(real_base, os.path.realpath(entry.path)):
                # A folder someone else made may link to the user's home, to / or to /proc.
                if os.path.exists(entry.path) and (entry.is_dir() or is_article_name(entry.name)):
                    target = printable(os.path.realpath(entry.path))
                    message = f"symbolic link to {target}, outside the corpus; pass --follow-symlinks to index it"
                    report(LoadProblem(printable(rel_path(base, entry.path)), message, kind="symlink"))
            elif entry.is_dir():
                real = os.path.realpath(entry.path)
                if real not in seen:
                    seen.add(real)
                    stack.append(_sorted_entries(Path(entry.path), rel_path(base, entry.path), report))
            elif entry.name == metadata.FILE_NAME and entry.is_file() and not entry.is_symlink():
                problem = metadata.folder_file_problem(Path(entry.path))
                if problem:
                    report(LoadProblem(printable(rel_path(base, entry.path)), problem, skipped=False, kind="metadata"))
            elif is_article_name(entry.name):
                if entry.is_file():
                    yield Path(entry.path)
                elif os.path.exists(entry.path):  # a FIFO, device or socket, perhaps behind a link
                    kind = _special_kind(os.stat(entry.path).st_mode)
                    report(LoadProblem(printable(rel_path(base, entry.path)), f"not a regular file ({kind})", kind="special-file"))
        except OSError as exc:
            if not entry.is_symlink():  # a symlink that cannot be followed is a broken one: ignored
                report(LoadProblem(rel_path(base, entry.path), f"cannot read entry: {os_reason(exc)}", kind="unreadable"))


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


def printable(path: str) -> str:
    """A path whose undecodable bytes (lone surrogates from os.fsdecode) are shown as \\xNN escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _sorted_entries(folder: Path, rel: str, report: ProblemSink) -> Iterator[os.DirEntry[str]]:
    """The entries of one folder sorted by name (nothing, after a report, if it cannot be listed)."""
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError as exc:
        report(LoadProblem(rel, f"cannot list folder: {os_reason(exc)}", kind="unreadable"))
        return iter(())
    return iter(entries)


def is_article_name(name: str) -> bool:
    """A supported suffix, and not dataset documentation (README.*, LICENSE*)."""
    lower = name.lower()
    if lower.startswith(("readme.", "license", "licence")):
        return False
    return os.path.splitext(lower)[1] in SUPPORTED_SUFFIXES


def rel_path(root: Path, path: str | Path) -> str:
    """`path` relative to `root`, with forward slashes (as given when it lies elsewhere)."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(root).as_posix() or "."
    except ValueError:
        return Path(path).as_posix()
