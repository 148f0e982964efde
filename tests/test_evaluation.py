"""`assistant eval` on a tiny SQuAD-shaped file with the hash embedder: corpus, gold spans, metrics, report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.embedding.registry import HashEmbedder
from assistant.search.answer import AnswerPolicy
from assistant.search.evaluation import EvalReport, Setup, format_report, prepare, quantile, score, write_corpus

SQUAD = {
    "data": [
        {"title": "Volcano_island", "paragraphs": [
            {"context": "The volcano erupted in 1902 and destroyed the harbour town.",
             "qas": [{"id": "v1", "question": "When did the volcano erupt?", "answers": [{"text": "1902"}]},
                     {"id": "v2", "question": "Who built the lighthouse?", "answers": [], "is_impossible": True}]},
            {"context": "Fishermen rebuilt the harbour over the next ten years.",
             "qas": [{"id": "v3", "question": "Who rebuilt the harbour?", "answers": [{"text": "Fishermen"}]}]},
        ]},
        {"title": "Chess_club", "paragraphs": [
            {"context": "The chess club meets every Tuesday in the library.",
             "qas": [{"id": "c1", "question": "When does the chess club meet?", "answers": [{"text": "every Tuesday"}]}]},
        ]},
    ]
}


@pytest.fixture(scope="module")
def squad_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("squad") / "squad.json"
    path.write_text(json.dumps(SQUAD), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def setup(squad_file: Path) -> Iterator[Setup]:
    prepared = prepare(squad_file, exclude_titles=["Chess club"], embedder=HashEmbedder())
    yield prepared
    prepared.engine.close()
    prepared.workdir.cleanup()


def test_the_corpus_holds_each_article_and_the_gold_spans_point_into_it(squad_file: Path, tmp_path: Path) -> None:
    questions = write_corpus(squad_file, tmp_path, exclude_titles=[])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["000_Volcano_island.txt", "001_Chess_club.txt"]
    text = (tmp_path / "000_Volcano_island.txt").read_text(encoding="utf-8")
    assert text.startswith("Volcano island\n\nThe volcano erupted")
    by_id = {q.qid: q for q in questions}
    assert text[by_id["v3"].start : by_id["v3"].end] == SQUAD["data"][0]["paragraphs"][1]["context"]
    assert (by_id["v1"].kind, by_id["v2"].kind, by_id["c1"].kind) == ("answerable", "unanswerable", "answerable")
    assert by_id["v2"].answers == () and by_id["v1"].answers == ("1902",)


def test_an_excluded_article_is_not_written_and_its_answerable_questions_are_outside(
    squad_file: Path, tmp_path: Path
) -> None:
    questions = write_corpus(squad_file, tmp_path, exclude_titles=["chess_club"])
    assert [p.name for p in tmp_path.iterdir()] == ["000_Volcano_island.txt"]
    assert [q.qid for q in questions if q.kind == "outside"] == ["c1"]


def test_score_counts_every_kind_and_keeps_rates_in_range(setup: Setup) -> None:
    report = score(setup, policy=AnswerPolicy(abstain_below=0.05))
    assert report.questions == {"answerable": 2, "unanswerable": 1, "outside": 1}
    for value in (report.recall_at_1, report.recall_at_5, report.recall_at_10, report.mrr_at_10,
                  report.quote_hit_at_1, report.quote_hit_at_3, report.answered_rate, report.abstain_unanswerable):
        assert 0.0 <= value <= 1.0
    assert report.recall_at_1 <= report.recall_at_5 <= report.recall_at_10
    assert report.quote_hit_at_1 <= report.quote_hit_at_3
    # Two articles of two or three sentences: the gold paragraph is always among the first ten chunks.
    assert report.recall_at_10 == 1.0
    assert report.abstain_outside is not None and report.threshold == 0.05
    assert sorted(report.scores) == ["answerable", "outside", "unanswerable"]


def test_an_impossible_threshold_abstains_on_everything(setup: Setup) -> None:
    report = score(setup, policy=AnswerPolicy(abstain_below=2.0))
    assert report.answered_rate == 0.0 and report.abstain_unanswerable == 1.0 and report.abstain_outside == 1.0


def test_quantile_interpolates_linearly() -> None:
    assert quantile([], 0.5) == 0.0
    assert quantile([3.0], 0.9) == 3.0
    assert quantile([4.0, 1.0, 3.0, 2.0], 0.5) == pytest.approx(2.5)
    assert quantile([0.0, 10.0], 0.03) == pytest.approx(0.3)
    assert quantile([1.0, 2.0, 3.0], 1.0) == 3.0


def test_the_report_is_a_markdown_table_of_every_number(setup: Setup) -> None:
    report: EvalReport = score(setup, policy=AnswerPolicy(abstain_below=0.05))
    table = format_report(report)
    lines = table.splitlines()
    assert all(line.startswith("|") and line.endswith("|") for line in lines if line.strip())
    assert "answerable 2, outside 1, unanswerable 1" in table
    assert f"{report.recall_at_10:.3f}" in table and f"{report.abstain_outside:.3f}" in table
