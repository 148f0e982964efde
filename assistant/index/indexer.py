"""Build and incrementally update an index folder from a corpus folder, crash-safely."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import sqlite3
import stat
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.corpus import metadata
from assistant.errors import NotAnIndex, StoreError
from assistant.index import store
from assistant.index import vectors
from assistant.index.lock import IndexLock
from assistant.index.progress import IndexReport, Progress
from assistant.index.reconcile import Reconciler
from assistant.index.scan import scan_corpus
from assistant.index.stores import is_url
from assistant.index.writer import Writer
from assistant.models import LoadProblem
from assistant.safe_files import describe, write_new

if TYPE_CHECKING:
    from assistant.embedding.base import Embedder

BATCH_CHUNKS = 2048
"""Chunks embedded between two commits: a kill loses at most this much work."""


REBUILD_RE = re.compile(r"^\.rebuild-[0-9a-f]{16}$")
"""Folders `--rebuild` builds the new index in, inside the index folder."""
REBUILD_MARKER = ".assistant-rebuild"
"""The file that marks such a folder as made by a rebuild (only those are ever removed)."""


class Indexer:
    """One update of an index folder: scan, reconcile, write; use `build_index` rather than this class directly."""

    def __init__(
        self,
        corpus: Path,
        index_dir: Path,
        embedder: Callable[[], Embedder],
        *,
        model_name: str,
        dim: int,
        backend: str,
        on_progress: Callable[[Progress], None] | None = None,
        on_problem: Callable[[LoadProblem], None] | None = None,
        max_bytes: int = 20_000_000,
        batch_chunks: int = BATCH_CHUNKS,
        file_mode: int | None = None,
        follow_symlinks: bool = False,
        writer: type[Writer] = Writer,
        recheck: Collection[str] = (),
    ) -> None:
        self.corpus = corpus
        self.index_dir = index_dir
        self.on_progress = on_progress or (lambda p: None)
        self.on_problem = on_problem or (lambda p: None)
        self.max_bytes = max_bytes
        self.batch_chunks = batch_chunks
        self.follow_symlinks = follow_symlinks
        self.recheck = frozenset(recheck)
        """Index paths whose content is hashed even when their stat matches the record (see scan_corpus)."""
        self.report = IndexReport()
        self.writer = writer(
            corpus, index_dir, embedder, self.report,
            model_name=model_name, dim=dim, backend=backend, on_progress=self.on_progress, file_mode=file_mode,
        )

    def run(self) -> IndexReport:
        started = time.monotonic()
        writer = self.writer
        writer.open()
        db = writer.db
        self.on_progress(Progress("scan", 0, 0, f"scanning {self.corpus}"))
        recorded_problems = writer.stored_problems()

        def still_unchanged(rel: str) -> None:
            self.report.unchanged += 1
            for problem in recorded_problems.get(rel, ()):
                self._problem(problem)  # still bad: said again on every run, without re-reading

        scan = scan_corpus(
            self.corpus, db, follow_symlinks=self.follow_symlinks, on_problem=self._problem,
            on_unchanged=still_unchanged, recheck=self.recheck,
        )
        self.report.files = len(scan.on_disk)
        changed = scan.changed
        # Articles of vanished files may reappear under a new path: match them by content hash.
        orphans: dict[str, list[store.StoredArticle]] = {}
        for rel in scan.vanished:
            for art in store.articles_of(db, rel):
                orphans.setdefault(art.content_hash, []).append(art)
        reconciler = Reconciler(
            self.corpus, db, orphans, self.report,
            commit=writer.commit, on_problem=self._problem, max_bytes=self.max_bytes, batch_chunks=self.batch_chunks,
        )
        writer.embed_started = time.monotonic()
        writer.total_files = len(changed)
        for done, (rel, path, size, mtime) in enumerate(changed, start=1):
            reconciler.index_file(rel, path, size, mtime, done)
            if done % 50 == 0 or done == len(changed):
                self.on_progress(Progress("load", done, len(changed), f"reading files {done:,}/{len(changed):,}"))
            if reconciler.pending.chunk_count() >= self.batch_chunks:
                reconciler.flush(done)
        reconciler.remove_orphans(scan.vanished)
        reconciler.flush(len(changed))
        if scan.metadata_stamps is not None:
            store.put_meta_value(db, metadata.STAMPS_KEY, scan.metadata_stamps)
        self.report.seconds = time.monotonic() - started
        self.on_progress(Progress("ready", 1, 1, "index up to date"))
        return self.report

    def _problem(self, problem: LoadProblem) -> None:
        self.report.problems.append(problem)
        self.on_problem(problem)

    def close(self) -> None:
        self.writer.close()


def is_private(corpus: Path) -> bool:
    """True when others may not read the corpus folder: its index must not let them either."""
    try:
        return os.stat(corpus).st_mode & 0o004 == 0
    except OSError:
        return False


def _owned(name: str) -> bool:
    """Whether a name at the top of an index folder is one the app makes there."""
    return (
        name in (store.DB_NAME, ".lock", "sessions")
        or any(name == store.DB_NAME + suffix for suffix in store.SIDE_SUFFIXES)
        or bool(vectors.FILE_RE.match(name) or vectors.TEMP_RE.match(name) or REBUILD_RE.match(name))
    )


def check_index_folder(index_dir: Path) -> None:
    """NotAnIndex unless `index_dir` is missing, empty, an index, or holds only files an index makes.

    Called before anything is written there (not even the lock file): `--index project` must never
    turn a folder of the user's files into an index, nor `--rebuild` delete anything in it.
    """
    try:
        names = sorted(os.listdir(index_dir))
    except FileNotFoundError:
        return
    except NotADirectoryError:
        raise NotAnIndex(f"index folder {index_dir} is not a folder") from None
    except OSError as exc:
        raise NotAnIndex(f"cannot read index folder {index_dir}: {exc.strerror or exc}") from None

    if store.DB_NAME in names:
        # An index, damaged or not (--rebuild is the cure), unless its database is another program's.
        if _foreign_database(index_dir / store.DB_NAME):
            raise NotAnIndex(
                f"index folder {describe(index_dir)} is not an assistant index ({store.DB_NAME} is another "
                "program's SQLite database); name an empty or new folder for the index"
            )
        return
    foreign = [name for name in names if not _owned(name) and not _placeholder(index_dir, name)]
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        raise NotAnIndex(
            f"index folder {describe(index_dir)} is not an assistant index (it holds {describe(foreign[0])!r}{more}); "
            "name an empty or new folder for the index"
        )


PLACEHOLDERS = frozenset({"README.md", "README.txt", "README", ".gitignore", ".gitkeep", ".keep"})
"""Files a repository keeps in an empty index folder (this project ships index/README.md): they may stay
beside a new index, and the index never writes or deletes them."""


def _placeholder(index_dir: Path, name: str) -> bool:
    """Whether `name` is a small regular file a repository keeps in an empty folder (see PLACEHOLDERS)."""
    if name not in PLACEHOLDERS:
        return False
    try:
        info = os.lstat(index_dir / name)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_size <= 64 * 1024


def _foreign_database(path: Path) -> bool:
    """True for a readable SQLite database with tables but no assistant schema (user_version 0)."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False  # a link or stranger: store.check_files refuses it with its own message
        db = sqlite3.connect(path, timeout=30)
    except (OSError, sqlite3.DatabaseError):
        return False
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        return version == 0 and db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    except sqlite3.DatabaseError:
        return False  # damaged: an index to rebuild
    finally:
        db.close()


def _make_folder(index_dir: Path, private: bool) -> None:
    """Create the index folder (owner-only for a private corpus); its parents as usual."""
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        index_dir.mkdir(mode=0o700 if private else 0o777)
    except FileExistsError:
        pass


def _own_file(name: str) -> bool:
    """The database, SQLite's files beside it, a vector file or one of its temp files."""
    return name == store.DB_NAME or any(name == store.DB_NAME + suffix for suffix in store.SIDE_SUFFIXES) or bool(
        vectors.FILE_RE.match(name) or vectors.TEMP_RE.match(name)
    )


def _tighten(index_dir: Path) -> None:
    """Make the index's own files owner-only (an index of a private corpus made readable before)."""
    for entry in os.scandir(index_dir):
        if not _own_file(entry.name):
            continue
        try:
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            continue  # a link (ELOOP) or gone: nothing of ours to tighten
        try:
            info = os.fstat(fd)
            if stat.S_ISREG(info.st_mode) and info.st_mode & 0o077:
                os.fchmod(fd, 0o600)
        finally:
            os.close(fd)


def _remove_leftovers(index_dir: Path) -> None:
    """Remove the folders of rebuilds that were stopped: only marked folders, only the files an index makes."""
    for entry in os.scandir(index_dir):
        if not REBUILD_RE.match(entry.name) or not entry.is_dir(follow_symlinks=False):
            continue
        folder = Path(entry.path)
        try:
            marked = stat.S_ISREG(os.lstat(folder / REBUILD_MARKER).st_mode)
        except OSError:
            marked = False
        if marked:
            _remove_rebuild_folder(folder)


def _remove_rebuild_folder(folder: Path) -> None:
    """Delete a rebuild folder's own files (unlink never follows a link), its marker last, then the folder."""
    for entry in os.scandir(folder):
        if _own_file(entry.name) and not entry.is_dir(follow_symlinks=False):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(folder / REBUILD_MARKER)
    with contextlib.suppress(OSError):
        os.rmdir(folder)  # stays if something else was put in it


def _new_rebuild_folder(index_dir: Path, mode: int) -> Path:
    """A new, marked folder beside the live index for a rebuild to fill (mkdir fails on any existing name)."""

    while True:
        folder = index_dir / f".rebuild-{secrets.token_hex(8)}"
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue
        write_new(folder / REBUILD_MARKER, f"assistant index --rebuild, pid {os.getpid()}\n", mode)
        return folder


def _malformed(exc: sqlite3.DatabaseError) -> bool:
    """True when SQLite says the database file itself is damaged (SQLITE_CORRUPT or SQLITE_NOTADB)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (11, 26)
    return "malformed" in str(exc) or "not a database" in str(exc)


def _damaged(path: Path) -> bool:
    """True unless SQLite's quick_check finds the database at `path` sound (so a damaged rebuilt
    database is never taken for a damaged live one)."""
    try:
        db = sqlite3.connect(path, timeout=30)
        try:
            return db.execute("PRAGMA quick_check(1)").fetchone() != ("ok",)
        finally:
            db.close()
    except sqlite3.DatabaseError:
        return True


def _live_state(index_dir: Path) -> tuple[bool, int]:
    """(whether the live database opens, the generation it names: 0 when none or unreadable)."""
    path = index_dir / store.DB_NAME
    if not path.exists():
        return False, 0
    try:
        db = sqlite3.connect(path, timeout=30)
    except sqlite3.DatabaseError:
        return False, 0
    try:
        db.execute("PRAGMA user_version").fetchone()
    except sqlite3.DatabaseError:
        db.close()
        return False, 0
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return True, int(row[0]) if row else 0
    except (sqlite3.DatabaseError, ValueError):
        return True, 0  # damaged past its first page: the backup overwrites every page anyway
    finally:
        db.close()


def _swap_in(built: Path, index_dir: Path) -> None:
    """Put the index built in `built` in service in `index_dir`, in one step readers see whole.

    Its vectors go in first, as the live index's next generation (a file SQLite does not name
    yet); then SQLite's online backup copies the new database into the live one as a single
    transaction. A reader sees the old rows and generation or the new ones, never a mix, and picks
    the new ones up like any other update. A live database that cannot be opened at all (damaged:
    the reason for many rebuilds) is replaced as a file instead: nobody can be reading it.
    """
    live = index_dir / store.DB_NAME
    store.check_files(index_dir)
    usable, old_generation = _live_state(index_dir)
    generation = max(old_generation, vectors.newest_on_disk(index_dir)) + 1
    new = store.connect(built)
    try:
        built_generation = int(store.get_meta(new).get("generation", 0))
        if built_generation:
            os.replace(vectors.vector_path(built, built_generation), vectors.vector_path(index_dir, generation))
            vectors.fsync_dir(index_dir)
            with store.transaction(new):
                store.set_meta(new, {"generation": str(generation)})
        if usable:
            try:
                target = sqlite3.connect(live, timeout=30, isolation_level=None)
                try:
                    target.execute("PRAGMA synchronous = FULL")
                    new.backup(target)
                    target.execute("PRAGMA wal_checkpoint(PASSIVE)")
                finally:
                    target.close()
            except sqlite3.DatabaseError as exc:
                # The backup is one transaction: on failure the live index is as it was.
                if _malformed(exc) and _damaged(live):
                    # Opens, but its pages are damaged: nobody can read it consistently, so it is
                    # replaced as a file below, like a database that does not open at all.
                    usable = False
                elif store.disk_full(index_dir):
                    raise StoreError(f"cannot write {live}: the disk is full; free some space and retry") from exc
                else:
                    reason = " ".join(str(exc).split())[:160]
                    raise StoreError(f"cannot put the rebuilt index in service ({reason}); the old index is unchanged") from exc
    finally:
        new.close()  # the last connection: SQLite checkpoints the new database whole into its file
    if not usable:
        for suffix in store.SIDE_SUFFIXES:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(index_dir / (store.DB_NAME + suffix))
        os.replace(built / store.DB_NAME, live)
        vectors.fsync_dir(index_dir)
    # The previous generation stays for readers loading it right now; the next run removes it.
    vectors.cleanup(index_dir, keep={generation, old_generation})


def build_index(
    corpus: Path,
    index_dir: Path | str,
    *,
    model: str | None = None,
    backend: str | None = None,
    embedder: Embedder | None = None,
    rebuild: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
    on_problem: Callable[[LoadProblem], None] | None = None,
    max_bytes: int = 20_000_000,
    batch_chunks: int = BATCH_CHUNKS,
    follow_symlinks: bool = False,
    recheck: Collection[str] = (),
) -> IndexReport:
    """Bring `index_dir` up to date with `corpus`: only new or changed articles are embedded.

    The model loads only when something needs embedding, so a run over an unchanged corpus is fast.
    Pass `embedder` (e.g. a HashEmbedder in tests) to skip model loading altogether. A file is taken as
    unchanged when its size and mtime are those recorded, except the index paths in `recheck` (files the
    folder watch saw change), whose content hash is compared too.
    """
    from assistant.embedding.base import model_identity, resolve_model_path
    from assistant.embedding.registry import DEFAULT_BACKEND, load_embedder, reads_model

    if not corpus.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {corpus}")
    corpus = Path(os.path.abspath(corpus))
    if is_url(index_dir):
        private = mode = None
    else:
        index_dir = Path(index_dir)
        check_index_folder(index_dir)
        private = is_private(corpus)
        mode = 0o600 if private else store.new_file_mode()
        _make_folder(index_dir, private)
    if embedder is None and not reads_model(backend):
        embedder = load_embedder(None, backend)
    if embedder is not None:
        name, dim, chosen = embedder.model_name, embedder.dim, embedder.backend
        factory: Callable[[], Embedder] = lambda: embedder  # noqa: E731
    else:
        chosen = backend or DEFAULT_BACKEND
        path = resolve_model_path(model)
        name, dim = model_identity(path)
        factory = lambda: load_embedder(path, chosen, cache_dir=None)  # noqa: E731
    if is_url(index_dir):
        return _update_store(
            corpus, str(index_dir), factory, model_name=name, dim=dim, backend=chosen, rebuild=rebuild, on_progress=on_progress,
            on_problem=on_problem, max_bytes=max_bytes, batch_chunks=batch_chunks, follow_symlinks=follow_symlinks,
            recheck=recheck,
        )
    with IndexLock(index_dir):
        _remove_leftovers(index_dir)
        if private:
            _tighten(index_dir)
        # A rebuild fills a new folder beside the live index, which stays in service until the
        # finished one is swapped in; a stopped rebuild leaves the live index as it was.
        target = _new_rebuild_folder(index_dir, mode) if rebuild else index_dir
        indexer = Indexer(
            corpus,
            target,
            factory,
            model_name=name,
            dim=dim,
            backend=chosen,
            on_progress=on_progress,
            on_problem=on_problem,
            max_bytes=max_bytes,
            batch_chunks=batch_chunks,
            file_mode=mode,
            follow_symlinks=follow_symlinks,
            recheck=recheck,
        )
        try:
            report = indexer.run()
        except sqlite3.DatabaseError as exc:
            if type(exc) is not sqlite3.DatabaseError:  # locked, constraint, ...: not a damaged file
                raise
            raise StoreError(
                f"{target / store.DB_NAME} is damaged ({exc}); rebuild it with `assistant index --rebuild`"
            ) from exc
        finally:
            indexer.close()
        if rebuild:
            _swap_in(target, index_dir)
            _remove_rebuild_folder(target)
        if private:
            _tighten(index_dir)
        return report


def _update_store(
    corpus: Path, url: str, factory: Callable[[], Embedder], *, model_name: str, dim: int, backend: str, rebuild: bool,
    on_progress: Callable[[Progress], None] | None, on_problem: Callable[[LoadProblem], None] | None, max_bytes: int,
    batch_chunks: int, follow_symlinks: bool, recheck: Collection[str] = (),
) -> IndexReport:
    """build_index for a database store (PostgreSQL): its writer holds the store's own lock, and each
    batch is one transaction, so there is no folder to check, lock or swap."""
    from assistant.index.postgres_writer import PgWriter

    indexer = Indexer(
        corpus, url, factory, model_name=model_name, dim=dim, backend=backend, on_progress=on_progress,
        on_problem=on_problem, max_bytes=max_bytes, batch_chunks=batch_chunks, follow_symlinks=follow_symlinks, writer=PgWriter,
        recheck=recheck,
    )
    indexer.writer.rebuilding = rebuild  # emptied in one transaction when it opens, then filled batch by batch
    try:
        return indexer.run()
    finally:
        indexer.close()
