"""Folder metadata: an `assistant-corpus.toml` gives a folder's articles their outlet, author and date pattern."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import sqlite3
import stat
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from assistant.models import Article, Filters

FILE_NAME = "assistant-corpus.toml"
"""The file read in a corpus folder and its subfolders (the nearest one wins, field by field)."""

DATE_IN = ("name", "text", "both")
"""Values of `date_in`: where the date is looked for."""

MAX_BYTES = 64_000
"""A metadata file larger than this is ignored (it is a few lines)."""

_CODES = {
    "%Y": r"(?P<Y>\d{4})", "%m": r"(?P<m>\d{1,2})", "%d": r"(?P<d>\d{1,2})", "%y": r"(?P<y>\d{2})",
    "%b": r"(?P<b>[A-Za-z]{3})", "%B": r"(?P<B>[A-Za-z]{3,9})",
}


@dataclass(frozen=True)
class FolderMetadata:
    """What a folder's metadata file says (None: not said there)."""

    outlet: str | None = None
    """Outlet of every article below the folder that names none itself."""
    author: str | None = None
    """Default author."""
    date_pattern: str | None = None
    """strftime-style pattern ('%Y-%m-%d', '%d %B %Y') looked for in the file name, then the first lines."""
    date_in: str = "both"
    """Where the date is looked for: 'name', 'text' or 'both'."""

    def under(self, nearer: FolderMetadata) -> FolderMetadata:
        """This folder's values with a nearer folder's values on top."""
        return FolderMetadata(
            outlet=nearer.outlet or self.outlet,
            author=nearer.author or self.author,
            date_pattern=nearer.date_pattern or self.date_pattern,
            date_in=nearer.date_in if nearer.date_pattern else self.date_in,
        )


def read_folder_file(path: Path) -> FolderMetadata | None:
    """The metadata in one file; None when there is none, it is unreadable, too large or not TOML."""
    import tomllib

    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_BYTES:
            return None
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None

    def text(key: str) -> str | None:
        value = data.get(key)
        return " ".join(value.split())[:200] or None if isinstance(value, str) else None

    where = text("date_in") or "both"
    return FolderMetadata(outlet=text("outlet"), author=text("author"), date_pattern=text("date_pattern"),
                          date_in=where if where in DATE_IN else "both")


_KEYS = {"outlet", "author", "date_pattern", "date_in"}


def folder_file_problem(path: Path) -> str | None:
    """What is wrong with a folder's metadata file, in one line (None when nothing is): read_folder_file quietly
    ignores what it cannot use, and the indexer reports it so a writer knows why their articles got no outlet or date."""
    import tomllib

    try:
        if path.stat().st_size > MAX_BYTES:
            return f"larger than {MAX_BYTES:,} bytes; the folder's metadata is ignored"
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}; the folder's metadata is ignored"
    except UnicodeDecodeError:
        return "not UTF-8 text; the folder's metadata is ignored"
    except tomllib.TOMLDecodeError as exc:
        return f"not valid TOML ({exc}); the folder's metadata is ignored"
    found = []
    for key in sorted(set(data) - _KEYS):
        found.append(f"unknown key {key!r}")
    for key in sorted(_KEYS & set(data)):
        if not isinstance(data[key], str):
            found.append(f"{key} must be text, not {type(data[key]).__name__}")
    if isinstance(data.get("date_in"), str) and data["date_in"].strip() not in DATE_IN:
        found.append(f"date_in must be name, text or both, not {data['date_in']!r}")
    pattern = data.get("date_pattern")
    if isinstance(pattern, str):
        unknown = sorted(set(re.findall(r"%.", pattern)) - set(_CODES))
        if unknown or "%Y" not in pattern and "%y" not in pattern:
            found.append(f"date_pattern {pattern!r} needs %Y or %y and only {' '.join(_CODES)}")
    return "; ".join(found) + " (ignored)" if found else None


_CACHE: dict[tuple[str, float], FolderMetadata | None] = {}
_LOCK = threading.Lock()


def _cached(path: Path) -> FolderMetadata | None:
    try:
        stamp = path.stat().st_mtime
    except OSError:
        return None
    with _LOCK:
        key = (str(path), stamp)
        if key not in _CACHE:
            if len(_CACHE) > 4096:
                _CACHE.clear()
            _CACHE[key] = read_folder_file(path)
        return _CACHE[key]


def folders_of(rel: str) -> list[str]:
    """The folders whose metadata file applies to the file at `rel`, root ('') first: 'a/b/x.txt' -> ['', 'a', 'a/b']."""
    parts = rel.split(":", 1)[0].split("/")[:-1]
    return ["/".join(parts[:depth]) for depth in range(len(parts) + 1)]


def folder_metadata(root: Path, rel: str) -> FolderMetadata:
    """The metadata for the article at `rel` (relative to `root`): the root's file, then each subfolder's."""
    found = FolderMetadata()
    folder = Path(os.path.abspath(root))
    for sub in folders_of(rel):
        meta = _cached(folder / sub / FILE_NAME if sub else folder / FILE_NAME)
        if meta is not None:
            found = found.under(meta)
    return found


STAMPS_KEY = "folder_metadata"
"""Index metadata key: the metadata files' stamps (folder -> 'size:mtime_ns') when the index was last brought up to date."""


def folder_stamps(root: Path, rels: Iterable[str]) -> dict[str, str]:
    """'size:mtime_ns' of every metadata file that applies to one of the files at `rels`, by folder ('' is `root`).

    What an index records so that editing, adding or removing a metadata file re-reads the files below it."""
    folder = Path(os.path.abspath(root))
    stamps: dict[str, str] = {}
    looked: set[str] = set()
    for rel in rels:
        for sub in folders_of(rel):
            if sub in looked:
                continue
            looked.add(sub)
            try:
                st = (folder / sub / FILE_NAME).lstat()
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                stamps[sub] = f"{st.st_size}:{st.st_mtime_ns}"
    return stamps


def changed_folders(recorded: str | None, stamps: dict[str, str]) -> set[str]:
    """Folders whose metadata file was edited, added or removed since `recorded` (the index's STAMPS_KEY value)."""
    try:
        before = json.loads(recorded) if recorded else {}
    except ValueError:
        before = None
    if not isinstance(before, dict):
        return set(stamps) | {""}  # unreadable record: every folder with a file counts as changed
    return {sub for sub in set(before) | set(stamps) if before.get(sub) != stamps.get(sub)}


def affected(rel: str, folders: set[str]) -> bool:
    """True when a metadata file that applies to the file at `rel` is in `folders`."""
    return bool(folders) and any(sub in folders for sub in folders_of(rel))


def stamps_value(stamps: dict[str, str]) -> str:
    """The STAMPS_KEY value recorded for `stamps`."""
    return json.dumps(stamps, sort_keys=True, separators=(",", ":"))


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """A strftime-style pattern as a search regex (only %Y %m %d %y %b %B; everything else literal)."""
    out, i = "", 0
    while i < len(pattern):
        code = pattern[i : i + 2]
        if code in _CODES and code not in out:
            out += _CODES[code]
            i += 2
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out)


def find_date(pattern: str, text: str) -> dt.date | None:
    """The first date written as `pattern` in `text`, None when there is none (or it is no real day)."""
    for match in pattern_regex(pattern).finditer(text):
        try:
            return dt.datetime.strptime(match.group(0), pattern).date()
        except ValueError:
            continue
    return None


def apply_folder_metadata(root: Path, article: Article) -> Article:
    """`article` with its folder's defaults filled in where the article says nothing itself.

    The content hash changes with what was filled in, so a changed metadata file updates the index."""
    meta = folder_metadata(root, article.path)
    changes: dict[str, object] = {}
    if meta.outlet and not article.source:
        changes["source"] = meta.outlet
    if meta.author and not article.author:
        changes["author"] = meta.author
    if meta.date_pattern and article.date is None:
        name = article.path.rsplit("/", 1)[-1]
        head = article.text[:2000]
        places = {"name": [name], "text": [head], "both": [name, head]}[meta.date_in]
        day = next((d for d in (find_date(meta.date_pattern, p) for p in places) if d is not None), None)
        if day is not None:
            changes["date"] = day
    if not changes:
        return article
    extra = "|".join(f"{k}={changes[k]}" for k in sorted(changes))
    digest = hashlib.sha256(f"{article.content_hash}|{FILE_NAME}|{extra}".encode("utf-8", "surrogatepass")).hexdigest()
    return dataclasses.replace(article, content_hash=digest, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Coverage:
    """How much metadata the indexed articles carry (for stats and filter explanations)."""

    articles: int
    """Articles in the index."""
    dated: int
    """Articles with a date."""
    with_outlet: int
    """Articles with an outlet."""


def coverage(db: sqlite3.Connection) -> Coverage:
    """Count the articles with a date and with an outlet."""
    row = db.execute(
        "SELECT COUNT(*), COUNT(date), SUM(CASE WHEN source IS NOT NULL AND source != '' THEN 1 ELSE 0 END) FROM articles"
    ).fetchone()
    return Coverage(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))


def why_nothing(filters: Filters, cover: Coverage | None) -> str | None:
    """Why `filters` can match nothing in this corpus, or None when they might match."""
    if cover is None or cover.articles == 0:
        return None
    if (filters.since or filters.until) and cover.dated == 0:
        return (f"no article in this corpus has a date, so a date filter matches nothing "
                f"(give a folder a date_pattern in {FILE_NAME})")
    if filters.source and cover.with_outlet == 0:
        return (f"no article in this corpus has an outlet, so 'source: {filters.source}' matches nothing "
                f"(give a folder its outlet in {FILE_NAME})")
    return None


def coverage_text(cover: Coverage) -> str:
    """'2,225 articles: 0 with a date, 2,225 with an outlet'."""
    return f"{cover.articles:,} articles: {cover.dated:,} with a date, {cover.with_outlet:,} with an outlet"
