"""The library API on a small real index (fake embedder): quotes, offsets, filters, duplicates, abstention."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.search.answer import AnswerPolicy
from assistant.errors import EngineError
from assistant.launch import open_engine
from assistant.search.engine import Engine
from assistant.models import Filters
from assistant.serialize import answer_to_dict
from assistant.settings import Settings
from support.corpus import SEED
from support.engines import assert_quotes_verbatim, check_offsets, opened

LENIENT = AnswerPolicy(abstain_below=0.05)


@pytest.fixture(scope="module")
def engine(small_index: tuple[Path, Path]) -> Iterator[Engine]:
    with opened(small_index[1], policy=LENIENT) as engine:
        yield engine


def test_seed_question_quotes_zulfugarov_first(engine: Engine, small_index: tuple[Path, Path]) -> None:
    answer = engine.ask("Who said Azerbaijan will not negotiate with the self-styled leaders?")
    assert answer.answered
    first = answer.quotes[0]
    assert "will not negotiate" in first.text and "Zulfugarov" in first.text
    assert first.title == "Relations between Baku and Karabakh Armenians"
    assert first.date == dt.date(2023, 8, 8)
    assert [q.n for q in answer.quotes] == list(range(1, len(answer.quotes) + 1))
    check_offsets(engine, small_index[0], answer)


def test_filters_apply_before_ranking(engine: Engine, small_index: tuple[Path, Path]) -> None:
    answer = engine.ask("interest rates", filters=Filters(source="bbc"))
    assert answer.quotes and {q.source for q in answer.quotes} == {"BBC"}
    inline = engine.ask("interest rates source:reuters")
    assert inline.quotes and {q.source for q in inline.quotes} == {"Reuters"}
    dated = engine.ask("penalties", filters=Filters(until=dt.date(2004, 12, 31)))
    assert dated.quotes and all(q.date and q.date <= dt.date(2004, 12, 31) for q in dated.quotes)
    only = engine.ask("Azerbaijan", filters=Filters(article="markets"))
    assert all(q.path == "markets.md" for q in only.quotes)
    none = engine.ask("Azerbaijan", filters=Filters(since=dt.date(2030, 1, 1)))
    assert not none.answered and not none.quotes and "2030" in none.message
    check_offsets(engine, small_index[0], answer)


def test_near_duplicates_appear_once_with_other_locations(engine: Engine) -> None:
    answer = engine.ask("central bank raised interest rates by a quarter point")
    texts = [q.text for q in answer.quotes]
    assert sum("quarter point" in t for t in texts) == 1
    lead = next(q for q in answer.quotes if "quarter point" in q.text)
    assert {lead.path, *(loc.path for loc in lead.also_in)} == {"markets.md", "wire.jsonl"}


def test_jsonl_quotes_point_at_their_record_line(engine: Engine) -> None:
    answer = engine.ask("volcano erupted island residents flee")
    quote = answer.quotes[0]
    assert quote.path == "wire.jsonl" and quote.record == 2 and quote.line == 2


def test_off_topic_question_abstains_with_weak_passages(small_index: tuple[Path, Path]) -> None:
    with opened(small_index[1], policy=AnswerPolicy(abstain_below=0.5)) as strict:
        answer = strict.ask("What is the boiling point of liquid nitrogen in kelvin?")
    assert not answer.answered
    assert "does not appear to answer" in answer.message
    assert all(q.weak for q in answer.quotes)


@pytest.mark.parametrize("question", ["", "   ", "?!...", "\x00\x1b[31m", "since:2020-01-01"])
def test_unsearchable_questions_get_a_message(engine: Engine, question: str) -> None:
    answer = engine.ask(question)
    assert not answer.answered and not answer.quotes and answer.message


def test_bad_inline_date_is_a_message_not_an_exception(engine: Engine) -> None:
    answer = engine.ask("rates since:someday")
    assert not answer.answered and "not a date" in answer.message


def test_very_long_question_is_answered(engine: Engine) -> None:
    answer = engine.ask("interest rates " * 700)
    assert answer.quotes


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=120))
def test_any_question_gets_an_answer_with_exact_quotes(engine: Engine, question: str) -> None:
    answer = engine.ask(question)
    assert_quotes_verbatim(engine, answer)
    # What `ask --json` and the sessions write: it survives a round trip through JSON.
    assert json.loads(json.dumps(answer_to_dict(answer))) == answer_to_dict(answer)


def test_followup_uses_the_previous_question(engine: Engine) -> None:
    first = engine.ask("What did Tofig Zulfugarov say about negotiations?")
    follow = engine.ask("what did he say about 2025?", previous=first)
    assert follow.searched != follow.question and "zulfugarov" in follow.searched.lower()
    assert any("2025" in q.text for q in follow.quotes)


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="no index"):
        Engine(tmp_path / "nowhere")


def test_stats_and_sources(engine: Engine) -> None:
    stats = engine.stats()
    assert stats.articles == 5 and stats.files == 4 and stats.chunks > 5 and stats.model == "hash"
    assert engine.sources() == ["BBC", "Daily Planet", "Reuters"]


def test_open_engine_builds_a_missing_index(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEED.parent, corpus)
    phases: list[str] = []
    settings = Settings(corpus=corpus, index=tmp_path / "index", backend="hash")
    engine = open_engine(settings, on_progress=lambda p: phases.append(p.phase))
    try:
        assert {"embed", "ready"} <= set(phases)
        assert engine.stats().articles == 1 and engine.stats().backend == "hash"
    finally:
        engine.close()
