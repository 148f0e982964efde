"""Date filters on a corpus without dates: the answer says why nothing matches."""

from __future__ import annotations

from pathlib import Path

from support.engines import opened
from support.indexes import index_of

UNDATED = {
    "business/001.txt": "Oil prices rise\n\nOil prices rose on Monday as traders worried about supplies from the Gulf.\n",
    "business/002.txt": "Airline profits fall\n\nAirline profits fell as fuel costs climbed for a third quarter.\n",
}


def test_since_on_an_undated_corpus_says_no_article_has_a_date(tmp_path: Path) -> None:
    with opened(index_of(tmp_path, UNDATED)) as engine:
        answer = engine.ask("since:2005-01-01 oil prices")
        assert not answer.quotes and not answer.answered
        assert answer.message == (
            "nothing in the corpus matches (since 2005-01-01): no article in the index has a date, so since: and "
            "until: match none"
        )


def test_a_dated_corpus_outside_the_range_says_only_that_nothing_matches(tmp_path: Path) -> None:
    dated = dict(UNDATED, **{"business/003.md": "---\ntitle: Gold\ndate: 2005-02-01\n---\n\nGold rose again.\n"})
    with opened(index_of(tmp_path, dated)) as engine:
        answer = engine.ask("until:2004-01-01 oil prices")
        assert not answer.quotes
        assert answer.message == "nothing in the corpus matches (until 2004-01-01)"
