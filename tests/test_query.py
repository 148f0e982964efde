"""Question parsing: inline filters, follow-ups."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.models import Answer, Filters
from assistant.errors import QuestionError
from assistant.text.query import followup_text, merge_filters, parse_date, parse_question, query_names


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


def test_followup_carries_the_previous_terms() -> None:
    previous = Answer("What did Tofig Zulfugarov say?", "What did Tofig Zulfugarov say?", Filters(), True, ())
    searched = followup_text("what did he say about 2025?", previous)
    assert "2025" in searched and "zulfugarov" in searched.lower()
    # A full new question stands alone.
    assert followup_text("Who won the football cup final in November?", previous) == (
        "Who won the football cup final in November?"
    )
    # So does a quoted phrase: it asks for those words wherever they are (it searched '"golden rule" (Blair Iraq)').
    for phrase in ('"golden rule"', "“golden rule”", "'golden rule'?"):
        assert followup_text(phrase, previous) == phrase
    # And a short question of its own: 'golden rule' after a question about Boris Johnson searched
    # 'golden rule (Boris Johnson Ken Livingstone)' and quoted Johnson on Livingstone.
    for own in ("golden rule", "inflation figures", "Who criticised the budget?", "what did Blair say?"):
        assert followup_text(own, previous) == own
    # What points back, or says nothing new, carries the previous question's words.
    for pointing in ("what else did he say?", "why?", "anything else?", "in 2025?", "and the talks?"):
        assert "Zulfugarov" in followup_text(pointing, previous), pointing


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("good played O'Sullivan makes victory", ("O'Sullivan",)),  # an apostrophe before a capital is inside the name
        ("What did Ronnie O'Sullivan's coach say?", ("Ronnie O'Sullivan",)),  # a possessive still ends it
        ("What is Gordon Brown's golden rule?", ("Gordon Brown",)),
        ("Did D’Arcy score?", ("D’Arcy",)),
    ],
)
def test_names_with_an_inner_apostrophe_are_one_name(query: str, names: tuple[str, ...]) -> None:
    assert query_names(query) == names


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("What did the Renault-bound Nissan boss say?", ("Renault", "Nissan")),  # never written together
        ("Which Rio-based analyst warned of job losses?", ("Rio",)),
        ("What did Kim Jong-un say?", ("Kim Jong-un",)),  # a name's own hyphen stays
        ("Is it NP-complete?", ("NP-complete",)),
        ("Which Coca-Cola boss said it?", ("Coca-Cola",)),
    ],
)
def test_a_name_made_into_an_adjective_keeps_only_the_name(query: str, names: tuple[str, ...]) -> None:
    assert query_names(query) == names


@pytest.mark.parametrize(
    ("question", "described"),
    [
        ("Which strategist said the Korean conglomerate was dragging its feet?", "strategist"),
        ("What did the Ukrainian president call Moscow's relationship with Kiev?", "the Ukrainian president"),
        ("Which proverb did the home secretary quote when asked about burglars?", "the home secretary"),
        ("What did a sacked developer at the games studio say staff had long suspected?", "a sacked developer at the games studio"),
        ("How many books were shortlisted, according to its producer?", "its producer"),
        ("What did the author's spokesman say she was too absorbed in to think about the film deal?", "the author's spokesman"),
        ("What did Michael Howard say about Iraq?", "Michael Howard"),
        ("Who said the store chain would have been finished?", None),  # the question does not describe the speaker
        ("Why did the volcano erupt?", None),
    ],
)
def test_a_speech_question_describes_its_speaker(question: str, described: str | None) -> None:
    from assistant.text.query import query_shape, speaker_description

    assert speaker_description(question, query_shape(question)) == described
