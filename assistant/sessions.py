"""Saved chat sessions: JSON files of answered questions, written atomically, and their Markdown export."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import itertools
import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import SessionError
from assistant.text.citations import format_date, markdown_quote, source_entry
from assistant.models import Answer, Filters, Quote
from assistant.safe_files import PRIVATE, private_folder, replace_atomically, write_first_free
from assistant.text.sanitize import markdown_safe
from assistant.serialize import answer_from_dict, answer_to_dict, filters_from_dict, filters_to_dict

FORMAT = "assistant-session"
VERSION = 1
_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{4}$")
MAX_EXPORT_NAMES = 1000
"""Names tried for one export before giving up (a folder full of planted names)."""



@dataclass(frozen=True)
class Session:
    """One conversation: the answers in the order the questions were asked."""

    id: str
    """File stem, 'YYYYmmdd-HHMMSS-xxxx' (creation time plus a random suffix)."""
    created: dt.datetime
    """When the session started (timezone-aware)."""
    updated: dt.datetime
    """When the last answer was added (timezone-aware)."""
    answers: tuple[Answer, ...] = ()
    """Answered questions, oldest first; cancelled or failed questions are not kept."""
    filters: Filters = field(default_factory=Filters)
    """Filters set from the UI when the session was last saved."""

    @property
    def first_question(self) -> str:
        """The first question asked, or '' for an empty session."""
        return self.answers[0].question if self.answers else ""


@dataclass(frozen=True)
class SessionListing:
    """Saved sessions and the files that had to be skipped."""

    sessions: tuple[Session, ...]
    """Readable sessions, most recently updated first."""
    problems: tuple[str, ...] = ()
    """One line per skipped file: 'name.json: reason'."""


def user_data_folder() -> Path:
    """$XDG_DATA_HOME/assistant, or ~/.local/share/assistant: the user's own, never the index's."""
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "assistant"


def index_data_folder(index: Path) -> Path:
    """The user's folder for one index ('indexes/<name>-<hash of its absolute path>'): sessions and the
    notebook live here, so a shared index never collects other people's sessions."""
    where = str(Path(index).expanduser().absolute())
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(where).name or "index")[:40]
    return user_data_folder() / "indexes" / f"{name}-{hashlib.sha256(where.encode()).hexdigest()[:12]}"


def _now() -> dt.datetime:
    return dt.datetime.now().astimezone()


def new_session(now: dt.datetime | None = None) -> Session:
    """An empty session with a fresh id."""
    created = now or _now()
    return Session(id=f"{created:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}", created=created, updated=created)


def session_path(folder: Path, session_id: str) -> Path:
    """Where a session is stored; refuses ids that could escape the folder."""
    if not _ID.match(session_id):
        raise SessionError(f"not a session id: {session_id!r}")
    return folder / f"{session_id}.json"


def session_to_dict(session: Session) -> dict[str, Any]:
    """A session as a JSON-ready dict."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "id": session.id,
        "created": session.created.isoformat(),
        "updated": session.updated.isoformat(),
        "filters": filters_to_dict(session.filters),
        "answers": [answer_to_dict(answer) for answer in session.answers],
    }


def _moment(value: object) -> dt.datetime:
    moment = dt.datetime.fromisoformat(str(value))
    # Naive times (hand-edited files) are taken as local so sorting never mixes naive and aware.
    return moment if moment.tzinfo else moment.astimezone()


def session_from_dict(data: object) -> Session:
    """Inverse of session_to_dict; raises SessionError on anything malformed."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SessionError("not an assistant session")
    if data.get("version") != VERSION:
        raise SessionError(f"unsupported session version {data.get('version')!r}")
    try:
        session_id = str(data["id"])
        if not _ID.match(session_id):
            raise SessionError(f"bad session id {session_id!r}")
        return Session(
            id=session_id,
            created=_moment(data["created"]),
            updated=_moment(data["updated"]),
            answers=tuple(answer_from_dict(item) for item in data["answers"]),
            filters=filters_from_dict(data.get("filters")),
        )
    except SessionError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SessionError(f"malformed session: {type(exc).__name__}: {exc}") from exc


def save_session(folder: Path, session: Session) -> Path:
    """Write the session to `folder/<id>.json` atomically (temp file, fsync, os.replace), owner-only.

    The folder usually sits inside an index folder the user may not have made: neither the folder
    nor the file may be a symlink (safe_files.UnsafeFileError, one line)."""
    path = session_path(folder, session.id)
    private_folder(folder)
    payload = json.dumps(session_to_dict(session), ensure_ascii=False, indent=1)
    replace_atomically(path, payload, PRIVATE)
    return path


def load_session(path: Path) -> Session:
    """Read one session file; raises SessionError when it cannot be used."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SessionError(f"cannot read: {exc}") from exc
    session = session_from_dict(data)
    if session.id != path.stem:
        raise SessionError(f"id {session.id!r} does not match the file name")
    return session


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return [p for p in folder.glob("*.json") if not p.name.startswith(".") and p.is_file()]


def list_sessions(folder: Path) -> SessionListing:
    """Every readable session in `folder`, most recently updated first; unreadable files are reported."""
    sessions: list[Session] = []
    problems: list[str] = []
    for path in _files(folder):
        try:
            sessions.append(load_session(path))
        except SessionError as exc:
            problems.append(f"{path.name}: {exc}")
    sessions.sort(key=lambda s: (s.updated, s.id), reverse=True)
    return SessionListing(tuple(sessions), tuple(sorted(problems)))


def latest_session(folder: Path) -> tuple[Session | None, tuple[str, ...]]:
    """The most recently written readable session (by file time, so only newer files are parsed)."""
    problems: list[str] = []

    def mtime(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0

    for path in sorted(_files(folder), key=lambda p: (mtime(p), p.name), reverse=True):
        try:
            return load_session(path), tuple(problems)
        except SessionError as exc:
            problems.append(f"{path.name}: {exc}")
    return None, tuple(problems)


def export_name(now: dt.datetime | None = None) -> str:
    """Default export file name: 'assistant-session-YYYYmmdd-HHMMSS.md'."""
    return f"assistant-session-{(now or _now()):%Y%m%d-%H%M%S}.md"


def export_candidates(folder: Path, now: dt.datetime | None = None) -> Iterator[Path]:
    """Export names in the order they are tried: export_name, then '-2', '-3'…"""
    name = export_name(now)
    yield folder / name
    for counter in itertools.count(2):
        yield folder / f"{name[:-3]}-{counter}.md"


def export_session(folder: Path, session: Session, now: dt.datetime | None = None) -> Path:
    """Write the session's Markdown to a new owner-only file in `folder` and return its path.

    Each name is created exclusively without following links, so an existing file, or a dangling
    link planted under the name (`-> ~/.ssh/authorized_keys`), is skipped, never written through."""
    text = session_markdown(session)
    return write_first_free(itertools.islice(export_candidates(folder, now), MAX_EXPORT_NAMES), text, PRIVATE)


def _numbered(answers: tuple[Answer, ...]) -> tuple[list[tuple[Answer, list[Quote]]], list[Quote]]:
    """Renumber quotes across the whole session; the same passage quoted twice keeps one number."""
    numbers: dict[tuple[str, int, int, int], int] = {}
    sources: list[Quote] = []
    turns: list[tuple[Answer, list[Quote]]] = []
    for answer in answers:
        quotes: list[Quote] = []
        for quote in answer.quotes:
            key = (quote.path, quote.record, quote.start, quote.end)
            if key not in numbers:
                numbers[key] = len(sources) + 1
                sources.append(dataclasses.replace(quote, n=numbers[key]))
            quotes.append(dataclasses.replace(quote, n=numbers[key]))
        turns.append((answer, quotes))
    return turns, sources


def has_content(session: Session) -> bool:
    """True when some turn has a quote to export."""
    return any(answer.quotes for answer in session.answers)


def session_markdown(session: Session) -> str:
    """The session as Markdown: each question with its quotes, then one numbered source list.

    Everything from articles (and the questions) is inert: no raw HTML, no remote images, names on
    one line, control, bidi and zero-width characters shown."""
    lines = [f"# Research session, {format_date(session.created.date())} {session.created:%H:%M}", ""]
    # A turn with no quote (a refusal, nothing matching its filters) has nothing to keep.
    turns, sources = _numbered(tuple(a for a in session.answers if a.quotes))
    for number, (answer, quotes) in enumerate(turns, 1):
        lines += [f"## {number}. {markdown_safe(answer.question, one_line=True)}", ""]
        if answer.searched.strip() != answer.question.strip():
            lines += [f"_Searched:_ {markdown_safe(answer.searched, one_line=True)}  "]
        if not answer.filters.is_empty():
            lines += [f"_Filters:_ {markdown_safe(answer.filters.describe(), one_line=True)}  "]
        if lines[-1] != "":
            lines.append("")
        if not answer.answered:
            # One line, never a second one contradicting it: the engine's reason, when it says more.
            reason = answer.message if answer.message and "does not appear" not in answer.message else ""
            why = f" ({markdown_safe(reason, one_line=True)})" if reason else ""
            lines += [f"_The corpus does not appear to answer this question{why}; closest passages (weak):_", ""]
        elif answer.message:
            lines += [f"_{markdown_safe(answer.message, one_line=True)}_", ""]
        lines += [line for quote in quotes for line in (markdown_quote(quote), "")]
    if sources:
        lines += ["## Sources", ""]
        lines += [f"{source_entry(quote, markdown=True)}  " for quote in sources]
    return "\n".join(lines).rstrip() + "\n"
