"""Saved sessions: atomic JSON round trips, corrupt files skipped, Markdown export."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import os
from pathlib import Path

import pytest

from assistant.models import Answer, Filters, Quote
from assistant.sessions import (
    Session,
    SessionError,
    export_name,
    export_candidates,
    export_session,
    latest_session,
    list_sessions,
    load_session,
    new_session,
    save_session,
    session_markdown,
    session_path,
)

T0 = dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.timezone.utc)


def quote(n: int, text: str, start: int, *, path: str = "a.txt", weak: bool = False) -> Quote:
    return Quote(
        n=n, text=text, article_id=7, path=path, record=0, title=f"Title {path}", date=dt.date(2023, 8, 8),
        source="BBC", url=None, author=None, paragraph=2, line=3, start=start, end=start + len(text),
        score=0.5, weak=weak,
    )


def answer(question: str, *quotes: Quote, answered: bool = True, searched: str | None = None,
           filters: Filters = Filters()) -> Answer:
    return Answer(question, searched or question, filters, answered, quotes, seconds=0.1)


def session_with(*answers: Answer, at: dt.datetime = T0) -> Session:
    session = new_session(at)
    return dataclasses.replace(session, answers=answers, updated=at, filters=Filters(source="BBC"))


def test_round_trip_keeps_answers_filters_and_times(tmp_path: Path) -> None:
    original = session_with(
        answer("who said it?", quote(1, "He said it.", 10), quote(2, "She agreed.", 40)),
        answer("and then?", quote(1, "Nothing.", 90, weak=True), answered=False, searched="who said it? and then?",
               filters=Filters(since=dt.date(2023, 1, 1))),
    )
    path = save_session(tmp_path, original)
    assert path == tmp_path / f"{original.id}.json"
    loaded = load_session(path)
    assert loaded.id == original.id and loaded.created == original.created and loaded.updated == original.updated
    assert loaded.filters == Filters(source="BBC")
    assert [a.question for a in loaded.answers] == ["who said it?", "and then?"]
    assert loaded.answers[0].quotes == original.answers[0].quotes
    assert loaded.answers[1].quotes[0].weak and not loaded.answers[1].answered
    assert loaded.answers[1].filters.since == dt.date(2023, 1, 1)
    assert loaded.first_question == "who said it?"


def test_save_replaces_atomically_and_leaves_no_temp_files(tmp_path: Path) -> None:
    session = session_with(answer("one", quote(1, "A.", 0)))
    save_session(tmp_path, session)
    bigger = dataclasses.replace(session, answers=(*session.answers, answer("two", quote(1, "B.", 5))))
    save_session(tmp_path, bigger)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{session.id}.json"]
    assert len(load_session(tmp_path / f"{session.id}.json").answers) == 2


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    session = session_with(answer("one", quote(1, "A.", 0)))
    save_session(tmp_path, session)

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        save_session(tmp_path, dataclasses.replace(session, answers=()))
    monkeypatch.undo()
    assert len(load_session(tmp_path / f"{session.id}.json").answers) == 1
    assert [p.name for p in tmp_path.iterdir()] == [f"{session.id}.json"]


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        json.dumps({"format": "something-else"}),
        json.dumps({"format": "assistant-session", "version": 99}),
        json.dumps({"format": "assistant-session", "version": 1, "id": "20240501-093000-abcd"}),
        json.dumps({"format": "assistant-session", "version": 1, "id": "../../etc", "created": "x"}),
        json.dumps({"format": "assistant-session", "version": 1, "id": "20240501-093000-abcd",
                    "created": "2024-05-01T09:30:00", "updated": "2024-05-01T09:30:00",
                    "answers": [{"question": "q"}]}),
    ],
)
def test_corrupt_files_raise_session_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "20240501-093000-abcd.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SessionError):
        load_session(path)


def test_listing_skips_corrupt_files_and_sorts_newest_first(tmp_path: Path) -> None:
    old = session_with(answer("old question", quote(1, "A.", 0)), at=T0)
    new = session_with(answer("new question", quote(1, "B.", 0)), at=T0 + dt.timedelta(hours=2))
    save_session(tmp_path, old)
    save_session(tmp_path, new)
    (tmp_path / "20240101-000000-dead.json").write_bytes(b"\xff\xfe garbage")
    (tmp_path / ".20240101-000000-beef.x.tmp").write_text("half written", encoding="utf-8")
    listing = list_sessions(tmp_path)
    assert [s.first_question for s in listing.sessions] == ["new question", "old question"]
    assert len(listing.problems) == 1 and listing.problems[0].startswith("20240101-000000-dead.json:")


def test_latest_session_skips_a_corrupt_newest_file(tmp_path: Path) -> None:
    good = session_with(answer("kept", quote(1, "A.", 0)))
    save_session(tmp_path, good)
    corrupt = tmp_path / "20990101-000000-dead.json"
    corrupt.write_text("{", encoding="utf-8")
    os.utime(corrupt, (2e9, 2e9))
    found, problems = latest_session(tmp_path)
    assert found is not None and found.id == good.id
    assert len(problems) == 1 and "20990101-000000-dead.json" in problems[0]


def test_missing_folder_is_just_empty(tmp_path: Path) -> None:
    assert list_sessions(tmp_path / "nope").sessions == ()
    assert latest_session(tmp_path / "nope") == (None, ())


def test_session_path_rejects_ids_that_escape_the_folder(tmp_path: Path) -> None:
    with pytest.raises(SessionError):
        session_path(tmp_path, "../outside")


def test_markdown_numbers_sources_across_the_session_and_reuses_repeats() -> None:
    shared = quote(1, "He said it.", 10)
    session = session_with(
        answer("who said it?", shared, quote(2, "Line one.\nLine two.", 40, path="b.txt")),
        answer("again?", dataclasses.replace(shared, n=1), quote(2, "Other.", 70, path="c.txt"),
               searched="who said it? again?", filters=Filters(source="BBC")),
        answer("moon?", quote(1, "Weak.", 99, path="d.txt", weak=True), answered=False),
    )
    text = session_markdown(session)
    assert text.startswith("# Research session, 1 May 2024")
    assert "## 1. who said it?" in text and "## 2. again?" in text and "## 3. moon?" in text
    assert "_Searched:_ who said it? again?" in text and "_Filters:_ source: BBC" in text
    assert "> \u201cLine one.\n> Line two.\u201d [2]" in text
    # The repeated passage keeps number 1; the new one in the second answer gets 3.
    second = text.split("## 2. again?")[1].split("## 3.")[0]
    assert "\u201cHe said it.\u201d [1]" in second and "\u201cOther.\u201d [3]" in second
    assert "does not appear to answer" in text.split("## 3. moon?")[1]
    sources = text.split("## Sources")[1].strip().splitlines()
    assert [line.split("]")[0] for line in sources] == ["[1", "[2", "[3", "[4"]
    assert sources[0].startswith("[1] Title a.txt. BBC, 8 Aug 2023. para. 2. a.txt:3")


def test_export_name_format_and_no_overwrite(tmp_path: Path) -> None:
    moment = dt.datetime(2024, 5, 1, 9, 30, 5)
    assert export_name(moment) == "assistant-session-20240501-093005.md"
    names = [p.name for p in itertools.islice(export_candidates(tmp_path, moment), 3)]
    assert names == ["assistant-session-20240501-093005.md", "assistant-session-20240501-093005-2.md",
                     "assistant-session-20240501-093005-3.md"]
    session = session_with(answer("who said it?", quote(1, "He said it.", 10)))
    (tmp_path / names[0]).write_text("x", encoding="utf-8")
    assert export_session(tmp_path, session, moment).name == names[1]
    assert (tmp_path / names[0]).read_text(encoding="utf-8") == "x"
    assert export_session(tmp_path, session, moment).name == names[2]
    assert (tmp_path / names[1]).read_text(encoding="utf-8") == session_markdown(session)
