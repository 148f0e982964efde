"""A speech question's gist (what was said, without who said it) is embedded beside the question, so a long
description of the speaker, or the frame of a 'Who said ...?' question, does not outweigh what the writer remembers
of the words."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support.engines import opened
from support.indexes import index_of

from assistant.embedding.hashing import HashEmbedder
from assistant.search.engine import GIST_SHARE
from assistant.text.query import speech_gist


@pytest.mark.parametrize(
    ("question", "gist"),
    [
        ("What did the foreign secretary say about any country raising its spending by a third?",
         "say about any country raising its spending by a third"),
        ("Which Dundee United player said the squad wanted the manager kept on?", "said the squad wanted the manager kept on"),
        ("How did the boss of the Universal-owned rap group praise the label's founder?", "praise the label's founder"),
        ("What did Gordon Brown say about the golden rule?", "say about the golden rule"),
        # 'Who said ...?': what was said, without the frame (and a leading 'that').
        ("Who said the Aghdam road is not for cargo from Armenia?", "the Aghdam road is not for cargo from Armenia"),
        ("Who warned that rates would rise?", "rates would rise"),
        ('Who said "golden rule" would be met?', '"golden rule" would be met'),
    ],
)
def test_the_gist_is_the_question_without_its_speaker_and_frame(question: str, gist: str) -> None:
    assert speech_gist(question) == gist


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of France?",  # no verb of speaking
        "Who said it?",  # nothing said is remembered
        "What did the union official say?",  # nothing said is remembered
        "golden rule borrowing Brown",  # a fragment
    ],
)
def test_no_gist_where_nothing_would_be_taken_away_or_left(question: str) -> None:
    assert speech_gist(question) is None


def test_the_engine_blends_the_gist_into_the_question_vector(tmp_path: Path) -> None:
    index = index_of(tmp_path, {"news/a.md": "---\ntitle: Aid\n---\n\n\"No country can triple aid,\" said Mr Straw.\n"})
    fake = HashEmbedder()
    with opened(index, embedder=fake) as engine:
        question = "What did the foreign secretary say about countries tripling aid?"
        whole, said = fake.encode([question])[0], fake.encode([speech_gist(question) or ""])[0]
        blended = (1 - GIST_SHARE) * whole + GIST_SHARE * said
        vector = engine._query_vector(question)
        assert np.allclose(vector, blended / np.linalg.norm(blended), atol=1e-6)
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
        plain = "What is the aid budget?"
        assert np.array_equal(engine._query_vector(plain), fake.encode([plain])[0])
