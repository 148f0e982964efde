"""The corpus side of an index update: discovery, paths as the index names them, which files changed (stat, or hash)."""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.corpus import discovery  # looked up at call time: tests wrap discover_files
from assistant.corpus import metadata
from assistant.corpus import stream as corpus_stream
from assistant.errors import StoreError
from assistant.index import store
from assistant.models import LoadProblem


def relative(root: Path, path: Path) -> str:
    """`path` as the index names it: relative to the corpus folder, with forward slashes."""
    return Path(os.path.relpath(path, root)).as_posix()


def unchanged(recorded: tuple[int, int, str] | None, st: os.stat_result) -> bool:
    """True when a file's size and modification time are those recorded when it was indexed.

    The one comparison behind both an indexing run's skip and is_stale: they must never disagree.
    """
    return bool(recorded) and recorded[0] == st.st_size and recorded[1] == st.st_mtime_ns


def is_stale(corpus: Path, index_dir: Path, *, follow_symlinks: bool = False) -> bool:
    """True when the index is missing or any corpus file was added, changed or removed (stat only)."""
    corpus = Path(os.path.abspath(corpus))
    try:
        db = store.connect(index_dir)
    except StoreError:
        return True
    try:
        known = store.stored_files(db)
        recorded_stamps = store.get_meta(db).get(metadata.STAMPS_KEY)
        # Articles of a file without a row: a run stopped inside it, so the index is not up to date.
        if any(rel not in known for rel in store.article_paths(db)):
            return True
    finally:
        db.close()
    rels: list[str] = []
    for path in discovery.discover_files(corpus, follow_symlinks=follow_symlinks):
        try:
            st = path.stat()
        except OSError:
            continue
        rel = relative(corpus, path)
        if not unchanged(known.get(rel), st):
            return True
        rels.append(rel)
    if len(rels) != len(known):
        return True
    folders = metadata.changed_folders(recorded_stamps, metadata.folder_stamps(corpus, rels))
    return any(metadata.affected(rel, folders) for rel in rels)


def same_content(recorded: tuple[int, int, str], path: Path) -> bool:
    """True when the file's bytes hash to the recorded hash (False when it cannot be read: the run says why)."""
    try:
        return corpus_stream.file_fingerprint(path) == recorded[2]
    except OSError:
        return False


@dataclass(frozen=True)
class CorpusScan:
    """What an indexing run found in the corpus folder, by stat alone."""

    on_disk: dict[str, Path]
    """Every corpus file, by its index path."""
    changed: list[tuple[str, Path, int, int]]
    """(path, file, size, mtime_ns) of new or changed files, in corpus order."""
    vanished: list[str]
    """Paths the index knows (as files, or by articles of a file a stopped run left) that are gone."""
    metadata_stamps: str | None = None
    """The folder metadata files' stamps to record once the run is done; None when the index's record is current."""


def scan_corpus(
    corpus: Path,
    db: Any,
    *,
    follow_symlinks: bool,
    on_problem: Callable[[LoadProblem], None],
    on_unchanged: Callable[[str], None],
    recheck: Collection[str] = (),
) -> CorpusScan:
    """Walk the corpus and compare each file's stat with the index's record; `on_unchanged(path)` for each file
    that need not be read.

    A path in `recheck` (one file-system events named as changed) whose stat matches is hashed too, and read
    again unless its content hash is the recorded one: an edit that kept size and mtime is not missed.
    """
    on_disk: dict[str, Path] = {}
    for path in discovery.discover_files(corpus, on_problem=on_problem, follow_symlinks=follow_symlinks):
        on_disk[relative(corpus, path)] = path
    known = store.stored_files(db)
    # An edited, added or removed metadata file changes what its folder's articles say (outlet, author,
    # date): their files are read again, and the content hash decides whether anything is rewritten.
    recorded = store.get_meta(db).get(metadata.STAMPS_KEY)
    stamps = metadata.folder_stamps(corpus, on_disk)
    folders = metadata.changed_folders(recorded, stamps)
    changed: list[tuple[str, Path, int, int]] = []
    for rel, path in on_disk.items():
        try:
            st = path.stat()
        except OSError as exc:
            on_problem(LoadProblem(rel, f"cannot read: {exc.strerror or exc}", kind="unreadable"))
            continue
        if unchanged(known.get(rel), st) and not metadata.affected(rel, folders) and (
            rel not in recheck or same_content(known[rel], path)
        ):
            on_unchanged(rel)
        else:
            changed.append((rel, path, st.st_size, st.st_mtime_ns))
    # A file a stopped run had partly committed has articles but no row (it gets one when whole):
    # on disk it is read again like a new file, gone it vanished like any other.
    unrecorded = [rel for rel in store.article_paths(db) if rel not in known]
    vanished = [rel for rel in (*known, *unrecorded) if rel not in on_disk]
    value = metadata.stamps_value(stamps)
    return CorpusScan(on_disk, changed, vanished, None if value == (recorded or metadata.stamps_value({})) else value)
