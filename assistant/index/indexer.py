"""Build and incrementally update an index folder from a corpus folder, crash-safely."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import secrets
import sqlite3
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import IndexMismatch, NotAnIndex, StoreError
from assistant.index import store
from assistant.index import vectors
from assistant.index.consistency import check_consistency
from assistant.index.lock import IndexLock
from assistant.index.progress import IndexReport, Progress
from assistant.index.scan import relative, unchanged
from assistant.models import Article, Chunk, LoadProblem, Sentence

if TYPE_CHECKING:
    import numpy as np

    from assistant.embedding.base import Embedder

BATCH_CHUNKS = 2048
"""Chunks embedded between two commits: a kill loses at most this much work."""


REBUILD_RE = re.compile(r"^\.rebuild-[0-9a-f]{16}$")
"""Folders `--rebuild` builds the new index in, inside the index folder."""
REBUILD_MARKER = ".assistant-rebuild"
"""The file that marks such a folder as made by a rebuild (only those are ever removed)."""




@dataclass
class _Pending:
    """Work gathered for one commit."""

    new: list[tuple[Article, tuple[Sentence, ...], tuple[Chunk, ...]]] = field(default_factory=list)
    delete_ids: list[int] = field(default_factory=list)
    moves: list[store.Location] = field(default_factory=list)
    files: list[tuple[str, int, int, str]] = field(default_factory=list)
    forget_files: list[str] = field(default_factory=list)
    problems: dict[str, list[LoadProblem]] = field(default_factory=dict)
    chunks: int = 0

    def add(self, article: Article, sentences: tuple[Sentence, ...], chunks: tuple[Chunk, ...]) -> None:
        self.new.append((article, sentences, chunks))
        self.chunks += len(chunks)

    def chunk_count(self) -> int:
        return self.chunks

    def empty(self) -> bool:
        return not (self.new or self.delete_ids or self.moves or self.files or self.forget_files or self.problems)


@dataclass
class _FirstRead:
    """What the first read of a file found."""

    old: dict[int, store.StoredArticle]
    """The file's stored rows (by record) not found unchanged."""
    unchanged: set[int] = field(default_factory=set)
    """Records whose stored row has the same content."""
    fresh: list[_Seen] = field(default_factory=list)
    """Changed articles whose content is stored somewhere: candidates for a move."""
    kept: list[Article] | None = field(default_factory=list)
    """The changed articles, or None when there were too many to hold (the file is read again)."""
    read_any: bool = False
    """Whether any article was read."""
    problems: list[LoadProblem] = field(default_factory=list)
    skipped: LoadProblem | None = None
    """Why the file was not read through, if it was not."""


@dataclass(frozen=True, slots=True)
class _Seen:
    """Where a changed article of the file being read sits, without its text."""

    record: int
    content_hash: str
    format: str
    first_line: int | None


def _human_rate(done: int, total: int, started: float) -> str:
    elapsed = max(time.monotonic() - started, 1e-6)
    rate = done / elapsed
    eta = (total - done) / rate if rate > 0 and total > done else 0.0
    return f"{rate:,.0f}/s, ETA {eta:,.0f}s"


TRANSIENT_KINDS = frozenset({"unreadable", "special-file"})
"""Problems that may pass (permissions, a file mid-copy, a FIFO replaced by a file), as opposed to bad content."""


def _transient(problem: LoadProblem) -> bool:
    """A read failure that may pass: the file is not recorded, so the next run tries it again."""
    return problem.kind in TRANSIENT_KINDS


class Indexer:
    """One update of an index folder; use `build_index` rather than this class directly."""

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
    ) -> None:
        self.corpus = corpus
        self.index_dir = index_dir
        self._embedder_factory = embedder
        self._embedder: Embedder | None = None
        self.model_name, self.dim, self.backend = model_name, dim, backend
        self.on_progress = on_progress or (lambda p: None)
        self.on_problem = on_problem or (lambda p: None)
        self.max_bytes = max_bytes
        self.batch_chunks = batch_chunks
        self.follow_symlinks = follow_symlinks
        self.file_mode = file_mode
        """Mode of the files it creates (0o600 for a private corpus); None: the umask's."""
        self.report = IndexReport()
        self.db: Any = None
        self.index: Any = None
        self.generation = 0
        self.first_embedded = 0
        self.embed_started = 0.0

    # -- setup -------------------------------------------------------------------------------

    def _open(self) -> None:
        self.db = store.connect(self.index_dir, create=True, mode=self.file_mode)
        # NORMAL may lose the last commits on power loss, and their older FAISS files are deleted
        # by then; FULL costs one fsync per commit, next to the fsync of a whole FAISS file.
        self.db.execute("PRAGMA synchronous = FULL")
        meta = store.get_meta(self.db)
        if meta.get("model"):
            if meta["model"] != self.model_name or int(meta.get("dim", 0)) != self.dim:
                raise IndexMismatch(
                    f"index {self.index_dir} was built with model {meta['model']} ({meta.get('dim')} dims), "
                    f"not {self.model_name} ({self.dim}); re-index with `assistant index --rebuild`"
                )
            if meta.get("backend") != self.backend:
                raise IndexMismatch(
                    f"index {self.index_dir} was built with the {meta.get('backend')} backend, not {self.backend}; "
                    f"use `--backend {meta.get('backend')}` or re-index with `assistant index --rebuild`"
                )
        self.generation = int(meta.get("generation", 0))
        if self.generation:
            self.index = vectors.load(self.index_dir, self.generation)
            check_consistency(self.db, self.index, self.index_dir)
        else:
            self.index = vectors.new_flat(self.dim)
        vectors.cleanup(self.index_dir, keep={self.generation, self.generation - 1})

    def embedder(self) -> Embedder:
        if self._embedder is None:
            self.on_progress(Progress("model", 0, 0, f"loading model {self.model_name} ({self.backend})"))
            self._embedder = self._embedder_factory()
            # The rate and ETA count from the first embedding, not from the model load.
            self.embed_started = time.monotonic()
        return self._embedder

    # -- the run ------------------------------------------------------------------------------

    def run(self) -> IndexReport:
        from assistant.corpus.loaders import discover_files

        started = time.monotonic()
        self._open()
        self.on_progress(Progress("scan", 0, 0, f"scanning {self.corpus}"))
        on_disk: dict[str, Path] = {}
        for path in discover_files(self.corpus, on_problem=self._problem, follow_symlinks=self.follow_symlinks):
            on_disk[relative(self.corpus, path)] = path
        self.report.files = len(on_disk)
        known = store.stored_files(self.db)
        recorded_problems = store.stored_problems(self.db)
        changed: list[tuple[str, Path, int, int]] = []
        for rel, path in on_disk.items():
            try:
                st = path.stat()
            except OSError as exc:
                self._problem(LoadProblem(rel, f"cannot read: {exc.strerror or exc}", kind="unreadable"))
                continue
            old = known.get(rel)
            if unchanged(old, st):
                self.report.unchanged += 1
                for problem in recorded_problems.get(rel, ()):
                    self._problem(problem)  # still bad: said again on every run, without re-reading
            else:
                changed.append((rel, path, st.st_size, st.st_mtime_ns))
        # A file a stopped run had partly committed has articles but no row (it gets one when whole):
        # on disk it is read again like a new file, gone it vanished like any other.
        unrecorded = [rel for rel in store.article_paths(self.db) if rel not in known]
        vanished = [rel for rel in (*known, *unrecorded) if rel not in on_disk]
        # Articles of vanished files may reappear under a new path: match them by content hash.
        self.orphans: dict[str, list[store.StoredArticle]] = {}
        for rel in vanished:
            for art in store.articles_of(self.db, rel):
                self.orphans.setdefault(art.content_hash, []).append(art)
        self.pending = _Pending()
        self.embed_started = time.monotonic()
        self.total_files = len(changed)
        for done, (rel, path, size, mtime) in enumerate(changed, start=1):
            self._index_file(rel, path, size, mtime, done)
            if done % 50 == 0 or done == len(changed):
                self.on_progress(Progress("load", done, len(changed), f"reading files {done:,}/{len(changed):,}"))
            if self.pending.chunk_count() >= self.batch_chunks:
                self._flush(done)
        for arts in self.orphans.values():
            for art in arts:
                self.pending.delete_ids.append(art.id)
                self.report.removed += 1
        self.pending.forget_files.extend(vanished)
        self._flush(len(changed))
        self.report.seconds = time.monotonic() - started
        self.on_progress(Progress("ready", 1, 1, "index up to date"))
        return self.report

    def _flush(self, files_done: int) -> None:
        """Commit the pending work and start gathering anew."""
        self._commit(self.pending, files_done)
        self.pending = _Pending()

    def _problem(self, problem: LoadProblem) -> None:
        self.report.problems.append(problem)
        self.on_problem(problem)

    def _index_file(self, rel: str, path: Path, size: int, mtime: int, files_done: int) -> None:
        """Bring one new or changed file's articles up to date in the pending work.

        The file is streamed twice at most: once for content hashes (what is unchanged, moved, stale),
        once more for the articles to embed, unless they were few enough to keep from the first read.
        A file with more new chunks than a batch is committed in batches; until its last batch the
        file has no row, so a stopped run leaves it to be finished, never recorded as done.
        """
        from assistant.corpus.loaders import file_fingerprint

        first = self._first_read(rel, path)
        for problem in first.problems:
            self._problem(problem)
        if first.skipped is not None and _transient(first.skipped):
            # Could not be read this time (vanished, permission, locked): not recorded, so it is
            # tried again next run, and what an earlier version put in the index stays.
            return
        try:
            # A file refused outright (too large, binary) is not read to the end just to hash it.
            digest = file_fingerprint(path) if first.read_any else f"stat:{size}:{mtime}"
        except OSError:
            return
        moved_to = self._plan_moves(rel, first.old, first.fresh)
        # Old rows left unmatched are stale. One where a moved article lands goes in the same commit
        # as the move; one whose record gets a new article goes in the commit that inserts it (an
        # edited record is never missing in between); the rest once the file has been read through.
        stale = first.old
        for record in moved_to & stale.keys():
            self.pending.delete_ids.append(stale.pop(record).id)
            self.report.removed += 1
        # A definite verdict (binary, empty, bad lines) is recorded with the file, so an unchanged
        # bad file is not re-read but is still reported on every run.
        problems = list(first.problems)
        if not self._add_new(rel, path, first, moved_to, stale, problems, files_done):
            return
        self.pending.delete_ids.extend(row.id for row in stale.values())
        self.report.removed += len(stale)
        self.pending.problems[rel] = problems
        self.pending.files.append((rel, size, mtime, digest))

    def _first_read(self, rel: str, path: Path) -> _FirstRead:
        """Stream the file once, comparing each article's content hash with the stored rows."""
        from assistant.corpus.loaders import ArticleStream

        stream = ArticleStream(self.corpus, path, max_bytes=self.max_bytes)
        old = {a.record: a for a in store.articles_of(self.db, rel)}
        stored = {a.content_hash for a in old.values()}
        found = _FirstRead(old)
        for article in stream:
            found.read_any = True
            prev = old.get(article.record)
            if prev is not None and prev.content_hash == article.content_hash:
                del old[article.record]
                found.unchanged.add(article.record)
                continue
            if article.content_hash in stored or article.content_hash in self.orphans:
                found.fresh.append(_Seen(article.record, article.content_hash, article.format, article.first_line))
            if found.kept is not None:
                found.kept.append(article)
                if len(found.kept) > self.batch_chunks:
                    found.kept = None  # too many to hold: read again
        if stream.skipped is not None:
            # Given up part-way: none of the articles read counts (refused outright: none stays).
            found = _FirstRead({a.record: a for a in store.articles_of(self.db, rel)})
        found.problems, found.skipped = stream.problems, stream.skipped
        return found

    def _add_new(
        self,
        rel: str,
        path: Path,
        first: _FirstRead,
        moved_to: set[int],
        stale: dict[int, store.StoredArticle],
        problems: list[LoadProblem],
        files_done: int,
    ) -> bool:
        """Pend the file's new and edited articles, committing every batch; False if it was not read through."""
        from assistant.corpus.loaders import ArticleStream

        touched = bool(moved_to)
        source = first.kept if first.kept is not None else ArticleStream(self.corpus, path, max_bytes=self.max_bytes)
        for article in source:
            if article.record in first.unchanged or article.record in moved_to:
                continue
            sentences, chunks = self._chunked(article, problems)
            if not chunks:
                continue
            if self.pending.chunk_count() >= self.batch_chunks:
                if touched:
                    self.pending.forget_files.append(rel)  # holds part of the file: no row until whole
                self._flush(files_done - 1)
            replaced = stale.pop(article.record, None)
            if replaced is not None:
                self.pending.delete_ids.append(replaced.id)
                self.report.updated += 1
            else:
                self.report.added += 1
            self.pending.add(article, sentences, chunks)
            touched = True
        if isinstance(source, ArticleStream) and source.skipped is not None:
            # Changed or unreadable since the first read: the next run finishes it (its stat changed).
            self._problem(source.skipped)
            if touched:
                self.pending.forget_files.append(rel)
            return False
        return True

    def _plan_moves(self, rel: str, old: dict[int, store.StoredArticle], fresh: list[_Seen]) -> set[int]:
        """Pend moves of stored articles whose text reappears in this file; return the records they fill.

        Rows used up are taken out of `old`. A JSONL record whose line number changed (a line
        inserted or removed above it) keeps its vectors: the file's own old rows come first, then
        articles of vanished files (a renamed file).
        """
        spare: dict[str, list[store.StoredArticle]] = {}
        for stale in old.values():
            spare.setdefault(stale.content_hash, []).append(stale)
        moved_to: set[int] = set()
        rest = []
        for seen in fresh:
            same = spare.get(seen.content_hash)
            if same:
                row = same.pop()
                del old[row.record]
                self.pending.moves.append((row.id, rel, seen.record, seen.format, seen.first_line))
                moved_to.add(seen.record)
            else:
                rest.append(seen)
        for seen in rest:
            orphan = self._take_orphan(seen.content_hash)
            if orphan is None:
                continue
            self.pending.moves.append((orphan.id, rel, seen.record, seen.format, seen.first_line))
            moved_to.add(seen.record)
            self.report.moved += 1
            prev = old.pop(seen.record, None)
            if prev:
                self.pending.delete_ids.append(prev.id)
        return moved_to

    def _chunked(self, article: Article, problems: list[LoadProblem]) -> tuple[tuple[Sentence, ...], tuple[Chunk, ...]]:
        """Sentences and chunks of an article; none (and a problem) when it has no text to index."""
        from assistant.text.chunking import chunk_article

        sentences, chunks = chunk_article(article.text, article.body_start)
        if not chunks:
            # The record's old article (if any) is stale and removed: it no longer says this.
            empty = LoadProblem(article.path, "no text to index", skipped=True, kind="empty")
            self._problem(empty)
            problems.append(empty)
        return sentences, chunks

    def _take_orphan(self, content_hash: str) -> store.StoredArticle | None:
        arts = self.orphans.get(content_hash)
        return arts.pop() if arts else None

    # -- writing ------------------------------------------------------------------------------

    def _embed(self, pending: _Pending, files_done: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Vectors for every chunk and sentence of the pending articles (title-prefixed text)."""
        import numpy as np

        from assistant.text.chunking import passage_for_embedding

        texts: list[str] = []
        for article, sentences, chunks in pending.new:
            for piece in (*chunks, *sentences):
                texts.append(passage_for_embedding(article.title, article.date, article.text[piece.start : piece.end]))
        if not texts:
            return [], []
        n_chunks = pending.chunk_count()
        # Files not read yet are estimated at this batch's chunks per file, for the ETA.
        per_file = n_chunks / max(files_done, 1)
        expected = int(self.report.chunks_embedded + n_chunks + per_file * (self.total_files - files_done))
        embedder = self.embedder()
        share = n_chunks / len(texts)
        texts_done = 0

        def on_batch(count: int) -> None:
            nonlocal texts_done
            texts_done += count
            done = int(self.report.chunks_embedded + share * texts_done)
            rate = _human_rate(done - self.first_embedded, expected - self.first_embedded, self.embed_started)
            self.on_progress(Progress("embed", done, max(expected, done), f"embedding {done:,}/{expected:,} chunks ({rate})"))

        matrix = embedder.encode(texts, on_batch=on_batch)
        out_chunks: list[np.ndarray] = []
        out_sentences: list[np.ndarray] = []
        row = 0
        for _, sentences, chunks in pending.new:
            out_chunks.append(matrix[row : row + len(chunks)])
            row += len(chunks)
            out_sentences.append(matrix[row : row + len(sentences)].astype(np.float16))
            row += len(sentences)
        self.report.chunks_embedded += n_chunks
        return out_chunks, out_sentences

    def _commit(self, pending: _Pending, files_done: int) -> None:
        import numpy as np

        if pending.empty():
            return
        chunk_vecs, sentence_vecs = self._embed(pending, files_done)
        from assistant.index import quotation_store
        from assistant.text.quotations import extract_quotations

        # Quotations and speakers (issue 13), found before the write lock is taken.
        quotations = [extract_quotations(article.text) for article, _, _ in pending.new]
        self.on_progress(Progress("write", 0, 1, "writing index"))
        db = self.db
        removed: list[int] = []
        added_ids: list[int] = []
        with store.transaction(db):
            for article_id in pending.delete_ids:
                removed.extend(store.delete_article(db, article_id))
            store.relocate_articles(db, pending.moves)
            for (article, sentences, chunks), svecs, found in zip(pending.new, sentence_vecs, quotations, strict=True):
                blobs = [v.tobytes() for v in svecs]
                added_ids.extend(store.insert_article(db, article, sentences, chunks, blobs))
                quotation_store.store_article_quotations(db, article.path, article.record, article.text, found)
            for rel in pending.forget_files:
                store.delete_file(db, rel)
            for rel, size, mtime, digest in pending.files:
                store.put_file(db, rel, size, mtime, digest)
            for rel, problems in pending.problems.items():
                store.put_problems(db, rel, problems)
            if removed:
                self.index.remove_ids(np.asarray(removed, dtype="int64"))
            if added_ids:
                matrix = np.concatenate(chunk_vecs).astype("float32")
                self.index.add_with_ids(matrix, np.asarray(added_ids, dtype="int64"))
                # Past EXACT_LIMIT vectors an exact search costs more than a query's budget: switch
                # once to a compressed IVF index (saved below in the same generation as the rows).
                self.index = vectors.compress_if_large(self.index, vectors.EXACT_LIMIT)
            generation = self.generation
            # Touched, moved or unreadable files change no vector: rewriting a large FAISS file for
            # them would be wasted work (the first commit always writes one so readers can open it).
            if removed or added_ids or not generation:
                generation += 1
                # The new FAISS file is complete on disk before SQLite names it: a kill before COMMIT
                # leaves the old generation in force, a kill after leaves the new one, never a mix.
                vectors.save(self.index, self.index_dir, generation, mode=self.file_mode)
            store.set_meta(
                db,
                {
                    "generation": str(generation),
                    "model": self.model_name,
                    "dim": str(self.dim),
                    "backend": self.backend,
                    "faiss_type": vectors.kind(self.index),
                    # A folder name that is not UTF-8 comes back with lone surrogates SQLite cannot store.
                    "corpus": str(self.corpus.resolve()).encode("utf-8", "backslashreplace").decode("utf-8"),
                    "updated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                },
            )
        self.generation = generation
        # Keep the previous generation: a reader may be loading it right now.
        vectors.cleanup(self.index_dir, keep={generation, generation - 1})

    def close(self) -> None:
        if self.db is not None:
            self.db.close()


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
    from assistant.safe_files import describe

    if store.DB_NAME in names:
        # An index, damaged or not (--rebuild is the cure), unless its database is another program's.
        if _foreign_database(index_dir / store.DB_NAME):
            raise NotAnIndex(
                f"index folder {describe(index_dir)} is not an assistant index ({store.DB_NAME} is another "
                "program's SQLite database); name an empty or new folder for the index"
            )
        return
    foreign = [name for name in names if not _owned(name)]
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        raise NotAnIndex(
            f"index folder {describe(index_dir)} is not an assistant index (it holds {describe(foreign[0])!r}{more}); "
            "name an empty or new folder for the index"
        )


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
    from assistant.safe_files import write_new

    while True:
        folder = index_dir / f".rebuild-{secrets.token_hex(8)}"
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue
        write_new(folder / REBUILD_MARKER, f"assistant index --rebuild, pid {os.getpid()}\n", mode)
        return folder


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
                if store.disk_full(index_dir):
                    raise StoreError(f"cannot write {live}: the disk is full; free some space and retry") from exc
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
    index_dir: Path,
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
) -> IndexReport:
    """Bring `index_dir` up to date with `corpus`: only new or changed articles are embedded.

    The model loads only when something needs embedding, so a run over an unchanged corpus is fast.
    Pass `embedder` (e.g. a HashEmbedder in tests) to skip model loading altogether.
    """
    from assistant.embedding.base import model_identity, resolve_model_path
    from assistant.embedding.registry import DEFAULT_BACKEND, load_embedder, reads_model

    if not corpus.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {corpus}")
    corpus = Path(os.path.abspath(corpus))
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

