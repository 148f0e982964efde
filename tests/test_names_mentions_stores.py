"""Exact mentions and the one name rule behave alike on the embedded store and on PostgreSQL (the portable SQL of
quotation_store, the store's phrase candidates checked on their text)."""

from __future__ import annotations

from pathlib import Path

from assistant.embedding.hashing import HashEmbedder
from assistant.index import quotation_store
from assistant.index.indexer import build_index
from assistant.models import Filters
from assistant.search.engine import Engine
from support.corpus import write_articles
from test_mentions_exact import ARTICLES as MENTIONS
from test_names import ARTICLES as NAMES
from test_postgres import location, pg_server  # noqa: F401  (fixtures: both stores, one server a session)


def test_the_same_on_both_stores(location: str | Path, tmp_path: Path) -> None:  # noqa: F811
    build_index(write_articles(tmp_path / "corpus", {**MENTIONS, **NAMES}), location, embedder=HashEmbedder())
    engine = Engine(location, embedder=HashEmbedder())
    try:
        assert [q.text for q in engine.mentions("Cooper", limit=1)] == ["Yvette Cooper said the plan would work."]
        assert [q.text for q in engine.mentions("10%")] == ["Prices rose 10% in May and 19% over the year."]
        assert [q.path for q in engine.mentions("cross", filters=Filters(article="late"), limit=1)] == ["late.md"]
        assert [q.path for q in engine.mentions("stability speaker:\"Sir Digby\"")] == ["cbi.md"]
        match = quotation_store.resolve_person(engine.db, "Sir Digby")
        assert match.keys == ("digby jones",) and match.name == "Sir Digby Jones"
        assert quotation_store.resolve_person(engine.db, "Digby").keys == ("bob digby",)
        assert quotation_store.resolve_person(engine.db, "zoe muller").name == "Zoë Müller"
        assert len(quotation_store.quotations_by(engine.db, "Sir Digby")) == 2
    finally:
        engine.close()

