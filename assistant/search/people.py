"""People quoted in an index and a person's quote timeline, for the shells (read without loading the model)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import EngineError, StoreError
from assistant.index import quotation_store, store
from assistant.index.quotation_store import Person, PersonMatch
from assistant.models import Quote
from assistant.serialize import quote_to_dict

__all__ = ["Person", "PersonMatch", "Timeline", "people", "read_people", "read_timeline", "timeline"]


@dataclass(frozen=True)
class Timeline:
    """Every quotation of one person in date order, each once with where else it was reused."""

    asked: str
    """The name as the user wrote it."""
    person: PersonMatch
    """Whom it was taken to mean (keys () when nobody by that name is quoted), and who else it could mean."""
    quotes: tuple[Quote, ...]
    """The quotations where they first appeared (speaker set, reuses in `also_in`), oldest first."""


def people(db: sqlite3.Connection) -> tuple[Person, ...]:
    """Every speaker with their numbers of quotations and articles, most quoted first."""
    return quotation_store.people(db)


def timeline(
    db: sqlite3.Connection, name: str, since: dt.date | None = None, until: dt.date | None = None, *, exact: bool = False
) -> Timeline:
    """The quote timeline of the person `name` means ('Howard', 'Mr Howard', 'Michael Howard'); with
    `exact`, of the one person people() lists under that name."""
    match = quotation_store.resolve_person(db, name, exact=exact)
    quotes = quotation_store.quotations_by(db, name, since, until, exact=exact) if match.keys else ()
    return Timeline(name, match, quotes)


def _open(index_dir: Path | str) -> sqlite3.Connection:
    from assistant.index.stores import open_store

    try:
        return open_store(index_dir).db
    except StoreError as exc:
        raise EngineError(" ".join(str(exc).split())) from exc


def read_people(index_dir: Path) -> tuple[Person, ...]:
    """people() of an index folder."""
    db = _open(index_dir)
    try:
        return people(db)
    except sqlite3.DatabaseError as exc:
        raise EngineError(f"index {index_dir} is damaged ({exc}); rebuild it with `assistant index --rebuild`") from exc
    finally:
        db.close()


def read_timeline(index_dir: Path, name: str, since: dt.date | None = None, until: dt.date | None = None) -> Timeline:
    """timeline() of an index folder."""
    db = _open(index_dir)
    try:
        return timeline(db, name, since, until)
    except sqlite3.DatabaseError as exc:
        raise EngineError(f"index {index_dir} is damaged ({exc}); rebuild it with `assistant index --rebuild`") from exc
    finally:
        db.close()


def person_to_dict(person: Person) -> dict[str, Any]:
    """A person as `assistant people --json` prints them."""
    return {"name": person.name, "role": person.role, "quotations": person.quotations, "articles": person.articles}


def timeline_to_dict(found: Timeline) -> dict[str, Any]:
    """A timeline as `assistant quotes --json` prints it: the person meant, then every quotation."""
    return {
        "asked": found.asked,
        "person": found.person.name or None,
        "also_matches": [person_to_dict(p) for p in found.person.others],
        "quotes": [quote_to_dict(q) for q in found.quotes],
    }
