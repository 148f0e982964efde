"""Answers and quotes to and from plain JSON-ready dicts (for `ask --json` and saved sessions)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from assistant.models import Answer, Filters, Location, Quote, Speaker


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def quote_to_dict(quote: Quote) -> dict[str, Any]:
    """A quote as a JSON-ready dict (date as YYYY-MM-DD or null)."""
    return {
        "n": quote.n,
        "text": quote.text,
        "title": quote.title,
        "date": quote.date.isoformat() if quote.date else None,
        "source": quote.source,
        "url": quote.url,
        "author": quote.author,
        "path": quote.path,
        "record": quote.record,
        "article_id": quote.article_id,
        "start": quote.start,
        "end": quote.end,
        "line": quote.line,
        "paragraph": quote.paragraph,
        "score": round(quote.score, 4),
        "weak": quote.weak,
        "also_in": [
            {"path": loc.path, "title": loc.title, "line": loc.line, "start": loc.start, "end": loc.end}
            for loc in quote.also_in
        ],
        "speaker": speaker_to_dict(quote.speaker),
    }


def speaker_to_dict(speaker: Speaker | None) -> dict[str, Any] | None:
    """A speaker as {"name", "role", "start", "end", "reported"} (offsets of the attribution; `reported` when the
    passage is the writer's account of what they said, not their words), or None when unknown."""
    if speaker is None:
        return None
    return {"name": speaker.name, "role": speaker.role, "start": speaker.start, "end": speaker.end, "reported": speaker.reported}


def speaker_from_dict(data: dict[str, Any] | None) -> Speaker | None:
    """Inverse of speaker_to_dict (a saved session from before speakers has none)."""
    if not data or not data.get("name"):
        return None
    return Speaker(
        str(data["name"]), data.get("role"), int(data.get("start", 0)), int(data.get("end", 0)), bool(data.get("reported", False))
    )


def quote_from_dict(data: dict[str, Any]) -> Quote:
    """Inverse of quote_to_dict."""
    return Quote(
        n=int(data["n"]),
        text=str(data["text"]),
        article_id=int(data.get("article_id", 0)),
        path=str(data["path"]),
        record=int(data.get("record", 0)),
        title=str(data.get("title") or ""),
        date=_day(data.get("date")),
        source=data.get("source"),
        url=data.get("url"),
        author=data.get("author"),
        paragraph=int(data.get("paragraph", 0)),
        line=data.get("line"),
        start=int(data["start"]),
        end=int(data["end"]),
        score=float(data.get("score", 0.0)),
        weak=bool(data.get("weak", False)),
        also_in=tuple(Location(**loc) for loc in data.get("also_in", [])),
        speaker=speaker_from_dict(data.get("speaker")),
    )


def filters_to_dict(filters: Filters) -> dict[str, Any]:
    """Filters as a JSON-ready dict."""
    return {
        "since": filters.since.isoformat() if filters.since else None,
        "until": filters.until.isoformat() if filters.until else None,
        "source": filters.source,
        "article": filters.article,
        "speaker": filters.speaker,
    }


def filters_from_dict(data: dict[str, Any] | None) -> Filters:
    """Inverse of filters_to_dict."""
    data = data or {}
    return Filters(
        since=_day(data.get("since")),
        until=_day(data.get("until")),
        source=data.get("source"),
        article=data.get("article"),
        speaker=data.get("speaker"),
    )


def answer_to_dict(answer: Answer) -> dict[str, Any]:
    """An answer as the JSON object `assistant ask --json` prints."""
    return {
        "question": answer.question,
        "searched": answer.searched,
        "filters": filters_to_dict(answer.filters),
        "answered": answer.answered,
        "message": answer.message,
        "seconds": round(answer.seconds, 4),
        "quotes": [quote_to_dict(q) for q in answer.quotes],
    }


def answer_from_dict(data: dict[str, Any]) -> Answer:
    """Inverse of answer_to_dict (diagnostics are not kept)."""
    return Answer(
        question=str(data["question"]),
        searched=str(data.get("searched", data["question"])),
        filters=filters_from_dict(data.get("filters")),
        answered=bool(data["answered"]),
        quotes=tuple(quote_from_dict(q) for q in data.get("quotes", [])),
        message=str(data.get("message", "")),
        seconds=float(data.get("seconds", 0.0)),
    )
