"""Question parsing: inline filters, FTS5 escaping, follow-ups."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.models import Answer, Filters
from assistant.query import QuestionError, followup_text, fts_query, merge_filters, parse_date, parse_question


def test_inline_filters_are_pulled_out_of_the_question() -> None:
    parsed = parse_question('who raised rates since:2005-01 until:2005-02-15 source:"BBC News" article:markets')
    assert parsed.text == "who raised rates"
    assert parsed.filters == Filters(
        since=dt.date(2005, 1, 1), until=dt.date(2005, 2, 15), source="BBC News", article="markets"
    )


def test_until_a_month_means_its_last_day() -> None:
    assert parse_date("2024-02", end=True) == dt.date(2024, 2, 29)
    assert parse_date("2023", end=True) == dt.date(2023, 12, 31)


def test_bad_date_is_a_clear_error() -> None:
    with pytest.raises(QuestionError, match="not a date"):
        parse_question("rates since:yesterday")


def test_question_filters_override_outside_ones() -> None:
    merged = merge_filters(Filters(source="BBC", since=dt.date(2000, 1, 1)), Filters(source="Reuters"))
    assert merged.source == "Reuters" and merged.since == dt.date(2000, 1, 1)


@pytest.mark.parametrize(
    "question",
    ['NOT OR AND', '"unbalanced', "col:umn * - ( )", "NEAR(a b)", "'; DROP TABLE articles; --", "a* OR b^"],
)
def test_fts_query_is_valid_fts5(question: str) -> None:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='porter unicode61')")
    db.execute("INSERT INTO t VALUES ('not or and unbalanced column near drop table articles')")
    match = fts_query(question)
    assert match is not None
    db.execute("SELECT * FROM t WHERE t MATCH ?", (match,)).fetchall()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_fts_query_never_produces_a_syntax_error(question: str) -> None:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='porter unicode61 remove_diacritics 2')")
    db.execute("INSERT INTO t VALUES ('some text here')")
    match = fts_query(question)
    if match is not None:
        db.execute("SELECT * FROM t WHERE t MATCH ?", (match,)).fetchall()


def test_followup_carries_the_previous_terms() -> None:
    previous = Answer("What did Tofig Zulfugarov say?", "What did Tofig Zulfugarov say?", Filters(), True, ())
    searched = followup_text("what did he say about 2025?", previous)
    assert "2025" in searched and "zulfugarov" in searched.lower()
    # A full new question stands alone.
    assert followup_text("Who won the football cup final in November?", previous) == (
        "Who won the football cup final in November?"
    )
