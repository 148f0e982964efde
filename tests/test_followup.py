"""Follow-up questions read in their conversation (assistant.text.followup): pronouns, 'what else', 'about Y'."""

from __future__ import annotations

import dataclasses

from support.tui import MINISTER, QUOTAS, HARBOUR_QUOTE, quote_of

from assistant.models import Answer, Filters, Quote, Speaker
from assistant.text.followup import Context, more_by, names_in, resolve, searched_note, shown_speaker, speaker_name


def by(quote: Quote, name: str | None) -> Quote:
    return dataclasses.replace(quote, speaker=Speaker(name, None, 0, 1) if name else None)


def answer(*quotes: Quote) -> Answer:
    return Answer("q", "q", Filters(), True, tuple(quotes))


BLAIR = answer(by(quote_of(1, MINISTER, 1), "Tony Blair"), by(quote_of(1, QUOTAS, 2), "Alan Milburn"),
               by(quote_of(2, HARBOUR_QUOTE, 3), "Tony Blair"))
MILBURN = answer(by(quote_of(1, MINISTER, 1), "Alan Milburn"), by(quote_of(1, QUOTAS, 2), None))


def test_names_skip_question_words_and_filters() -> None:
    assert names_in("What did Tony Blair say about tax? source:BBC") == ["Tony Blair"]
    assert names_in("what did he say") == []


def test_the_issue_conversation() -> None:
    first = resolve("What did Tony Blair say about tax?", None)
    assert first.question == "What did Tony Blair say about tax?" and first.context == Context("Tony Blair", "tax")
    # "what else did he say?" -> more quotations by Blair on tax, not a search for "(Tony Blair)".
    second = resolve("what else did he say?", BLAIR, first.context)
    assert second.more and second.question == "What did Tony Blair say about tax?"
    assert second.note == "he = Tony Blair; topic: tax; more quotations by Tony Blair"
    # "about Europe" replaces the topic; he is still Blair (not Howard, not Iraq).
    third = resolve("what did he say about Europe?", BLAIR, second.context)
    assert third.question == "what did Tony Blair say about Europe?" and third.context == Context("Tony Blair", "Europe")
    assert not third.more and "he = Tony Blair" in third.note
    fourth = resolve("and immigration? since:2005-01-01", BLAIR, third.context)
    assert fourth.question == "What did Tony Blair say about immigration? since:2005-01-01"
    assert fourth.context.topic == "immigration"


def test_he_is_the_speaker_of_the_quotes_just_shown() -> None:
    # The question named Howard but every quote shown is Milburn's: "he" is the person on screen.
    context = Context("Michael Howard", "tax")
    assert resolve("what else did he say?", MILBURN, context).context.speaker == "Alan Milburn"
    # Quotes of the named person win over a majority of someone else's.
    assert shown_speaker(BLAIR, ["Blair"]) == "Tony Blair"
    assert shown_speaker(answer(by(quote_of(1, MINISTER, 1), None))) is None


def test_unknown_speaker_stays_unknown() -> None:
    nobody = answer(quote_of(1, MINISTER, 1))
    resolution = resolve("what else did he say?", nobody, Context(None, "trade"))
    assert resolution.question == "what else did he say?" and resolution.note == "he = unknown"
    assert speaker_name(quote_of(1, MINISTER, 1)) is None


def test_a_new_question_with_its_own_person_is_left_alone() -> None:
    resolution = resolve("What did Michael Howard say about Iraq", BLAIR, Context("Tony Blair", "tax"))
    assert resolution.question == "What did Michael Howard say about Iraq" and resolution.note == ""
    assert resolution.context == Context("Michael Howard", "Iraq")


def test_more_by_keeps_the_speakers_new_quotes() -> None:
    shown = {(q.path, q.record, q.start, q.end) for q in BLAIR.quotes[:1]}
    more = more_by(BLAIR, "Blair", shown, 5)
    assert [q.text for q in more.quotes] == [HARBOUR_QUOTE] and [q.n for q in more.quotes] == [1]
    none = more_by(MILBURN, "Tony Blair", set(), 5)
    assert none.quotes == () and none.message == "no further quotations attributed to Tony Blair found"
    unattributed = more_by(answer(quote_of(1, MINISTER, 1)), "Tony Blair", set(), 5)
    assert len(unattributed.quotes) == 1 and "not attributed" in unattributed.message


def test_more_by_leaves_out_parts_of_passages_already_shown() -> None:
    # 'What else did he say?' listed parts of the paragraph just shown (same article, other offsets).
    first = BLAIR.quotes[0]
    part = dataclasses.replace(first, start=first.start + 5, end=first.end - 5, text=first.text[5:-5])
    more = more_by(answer(part, BLAIR.quotes[2]), "Blair", {(first.path, first.record, first.start, first.end)}, 5)
    assert [q.text for q in more.quotes] == [HARBOUR_QUOTE]


def test_and_a_name_nobody_quoted_goes_by_is_a_new_topic() -> None:
    # 'and Iraq?' after a question on Blair and Europe searched 'What did Iraq say about Europe?'.
    first = resolve("What did Tony Blair say about Europe?", None)
    quoted = {"Tony Blair", "Brown", "Gordon Brown"}.__contains__
    topic = resolve("and Iraq?", BLAIR, first.context, is_person=quoted)
    assert topic.question == "What did Tony Blair say about Iraq?" and topic.context == Context("Tony Blair", "Iraq")
    person = resolve("and Brown?", BLAIR, first.context, is_person=quoted)
    assert person.question == "What did Brown say about Europe?" and person.context.speaker == "Brown"
    # Without a way to tell, a name stays a speaker, as before.
    assert resolve("and Iraq?", BLAIR, first.context).context.speaker == "Iraq"


def test_and_y_keeps_the_person_the_last_question_named() -> None:
    # 'and Europe?' after 'What did Gordon Brown say about the golden rule?', whose quotes shown were Brown's
    # reported speech (no speaker) and one quote by Ed Balls, asked what Ed Balls said about Europe.
    first = resolve("What did Gordon Brown say about the golden rule?", None)
    shown = answer(quote_of(1, MINISTER, 1), by(quote_of(1, QUOTAS, 2), "Ed Balls"))
    topic = resolve("and Europe?", shown, first.context, is_person=lambda name: False)
    assert topic.question == "What did Gordon Brown say about Europe?"
    assert topic.context == Context("Gordon Brown", "Europe")


def test_searched_note_says_when_only_the_beginning_of_a_long_question_was_searched() -> None:
    assert searched_note("What did he say?", "What did he say?") == ""
    assert searched_note("what else did he say?", "What did Tony Blair say?") == "searched: What did Tony Blair say?"
    long = "tax " * 1500
    assert searched_note(long, long[:2000]) == "searched: the first 2,000 of the question's 6,000 characters"
    # A question with inline filters searches its words alone: that is said as it is, not as a cut question.
    assert searched_note("tax since:2020-01-01", "tax") == "searched: tax"
