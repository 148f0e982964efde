"""Reconciling changed files with the index: what is unchanged, moved, edited, new or stale, as pending work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.corpus import stream as corpus_stream  # looked up at call time: tests put a failing ArticleStream in its place
from assistant.index import store
from assistant.index.progress import IndexReport
from assistant.models import Article, Chunk, LoadProblem, Sentence
from assistant.text.chunking import chunk_article

TRANSIENT_KINDS = frozenset({"unreadable", "special-file"})
"""Problems that may pass (permissions, a file mid-copy, a FIFO replaced by a file), as opposed to bad content."""


def _transient(problem: LoadProblem) -> bool:
    """A read failure that may pass: the file is not recorded, so the next run tries it again."""
    return problem.kind in TRANSIENT_KINDS


@dataclass
class Pending:
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
class FirstRead:
    """What the first read of a file found."""

    old: dict[int, store.StoredArticle]
    """The file's stored rows (by record) not found unchanged."""
    unchanged: set[int] = field(default_factory=set)
    """Records whose stored row has the same content."""
    fresh: list[Seen] = field(default_factory=list)
    """Changed articles whose content is stored somewhere: candidates for a move."""
    kept: list[Article] | None = field(default_factory=list)
    """The changed articles, or None when there were too many to hold (the file is read again)."""
    read_any: bool = False
    """Whether any article was read."""
    problems: list[LoadProblem] = field(default_factory=list)
    skipped: LoadProblem | None = None
    """Why the file was not read through, if it was not."""


@dataclass(frozen=True, slots=True)
class Seen:
    """Where a changed article of the file being read sits, without its text."""

    record: int
    content_hash: str
    format: str
    first_line: int | None


class Reconciler:
    """Brings changed files' articles into pending work, handing each full batch to `commit`.

    A stored article whose text reappears (in the same file under another record, or in a file that
    vanished: a rename) is moved, never embedded again.
    """

    def __init__(
        self,
        corpus: Path,
        db: Any,
        orphans: dict[str, list[store.StoredArticle]],
        report: IndexReport,
        *,
        commit: Callable[[Pending, int], None],
        on_problem: Callable[[LoadProblem], None],
        max_bytes: int,
        batch_chunks: int,
    ) -> None:
        self.corpus = corpus
        self.db = db
        self.orphans = orphans
        """Articles of vanished files by content hash: taken when their text reappears, deleted at the end."""
        self.report = report
        self.commit = commit
        self._problem = on_problem
        self.max_bytes = max_bytes
        self.batch_chunks = batch_chunks
        self.pending = Pending()

    def flush(self, files_done: int) -> None:
        """Commit the pending work and start gathering anew."""
        self.commit(self.pending, files_done)
        self.pending = Pending()

    _flush = flush

    def remove_orphans(self, vanished: list[str]) -> None:
        """Pend the deletion of articles of vanished files that reappeared nowhere, and forget those files."""
        for arts in self.orphans.values():
            for art in arts:
                self.pending.delete_ids.append(art.id)
                self.report.removed += 1
        self.pending.forget_files.extend(vanished)

    def index_file(self, rel: str, path: Path, size: int, mtime: int, files_done: int) -> None:
        """Bring one new or changed file's articles up to date in the pending work.

        The file is streamed twice at most: once for content hashes (what is unchanged, moved, stale),
        once more for the articles to embed, unless they were few enough to keep from the first read.
        A file with more new chunks than a batch is committed in batches; until its last batch the
        file has no row, so a stopped run leaves it to be finished, never recorded as done.
        """
        first = self._first_read(rel, path)
        for problem in first.problems:
            self._problem(problem)
        if first.skipped is not None and _transient(first.skipped):
            # Could not be read this time (vanished, permission, locked): not recorded, so it is
            # tried again next run, and what an earlier version put in the index stays.
            return
        try:
            # A file refused outright (too large, binary) is not read to the end just to hash it.
            digest = corpus_stream.file_fingerprint(path) if first.read_any else f"stat:{size}:{mtime}"
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

    def _first_read(self, rel: str, path: Path) -> FirstRead:
        """Stream the file once, comparing each article's content hash with the stored rows."""
        stream = corpus_stream.ArticleStream(self.corpus, path, max_bytes=self.max_bytes)
        old = {a.record: a for a in store.articles_of(self.db, rel)}
        stored = {a.content_hash for a in old.values()}
        found = FirstRead(old)
        for article in stream:
            found.read_any = True
            prev = old.get(article.record)
            if prev is not None and prev.content_hash == article.content_hash:
                del old[article.record]
                found.unchanged.add(article.record)
                continue
            if article.content_hash in stored or article.content_hash in self.orphans:
                found.fresh.append(Seen(article.record, article.content_hash, article.format, article.first_line))
            if found.kept is not None:
                found.kept.append(article)
                if len(found.kept) > self.batch_chunks:
                    found.kept = None  # too many to hold: read again
        if stream.skipped is not None:
            # Given up part-way: none of the articles read counts (refused outright: none stays).
            found = FirstRead({a.record: a for a in store.articles_of(self.db, rel)})
        found.problems, found.skipped = stream.problems, stream.skipped
        return found

    def _add_new(
        self,
        rel: str,
        path: Path,
        first: FirstRead,
        moved_to: set[int],
        stale: dict[int, store.StoredArticle],
        problems: list[LoadProblem],
        files_done: int,
    ) -> bool:
        """Pend the file's new and edited articles, committing every batch; False if it was not read through."""
        touched = bool(moved_to)
        source = first.kept if first.kept is not None else corpus_stream.ArticleStream(self.corpus, path, max_bytes=self.max_bytes)
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
        if isinstance(source, corpus_stream.ArticleStream) and source.skipped is not None:
            # Changed or unreadable since the first read: the next run finishes it (its stat changed).
            self._problem(source.skipped)
            if touched:
                self.pending.forget_files.append(rel)
            return False
        return True

    def _plan_moves(self, rel: str, old: dict[int, store.StoredArticle], fresh: list[Seen]) -> set[int]:
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
