"""Keyword search: word counts through FTS5's own tokenizer, common-word pruning, local sentence BM25."""

from __future__ import annotations

import random
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.index import store
from assistant.search.keywords import KeywordQuery, TermStats, chunk_matches, idf, phrase, plan, search_words, sentence_scores
from support.corpus import prose


def chunk_table(bodies: list[str], titles: list[str] | None = None) -> sqlite3.Connection:
    """An in-memory database with the two tables keyword search reads: chunks and chunks_fts."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE chunks (id INTEGER PRIMARY KEY)")
    db.execute(f"CREATE VIRTUAL TABLE chunks_fts USING fts5 (title, body, tokenize = '{store.FTS_TOKENIZER}')")
    titles = titles or ["Title"] * len(bodies)
    for rowid, (title, body) in enumerate(zip(titles, bodies, strict=True), start=1):
        db.execute("INSERT INTO chunks (id) VALUES (?)", (rowid,))
        db.execute("INSERT INTO chunks_fts (rowid, title, body) VALUES (?, ?, ?)", (rowid, title, body))
    return db


def words_of(match: str | None) -> set[str]:
    return set() if match is None else {part.strip('()"') for part in match.replace(" AND ", " OR ").split(" OR ")}


def test_frequencies_count_chunks_through_the_stemmer() -> None:
    db = chunk_table(["Sales rose.", "The sale ended.", "Nothing here.", "Selling sales."])
    stats = TermStats(db)
    # "sales" and "sale" stem alike; "e-mail" is two tokens and counts its rarest one.
    assert stats.frequencies(["sales", "sale", "nothing", "absent", "e-mail"]) == [3, 3, 1, 0, 0]
    assert stats.rows() == 4


def test_a_small_index_searches_every_word() -> None:
    db = chunk_table([prose(n) for n in range(50)])
    query = plan(TermStats(db), "Which harbour ferry left at dawn?")
    present = [w for w, f in zip(search_words("harbour ferry left dawn"), TermStats(db).frequencies(["harbour", "ferry", "left", "dawn"]), strict=True) if f]
    assert words_of(query.match) == set(present) and query.dropped == ()


def test_common_words_beyond_the_budget_are_left_out_of_the_chunk_search() -> None:
    bodies = ["common filler text"] * 80 + ["common other words"] * 15 + ["rare common text"] * 5
    db = chunk_table(bodies)
    query = plan(TermStats(db), "rare common", budget=50)
    assert words_of(query.match) == {"rare"} and query.dropped == ("common",)
    # The sentence scoring still weighs both words, with index-wide idf.
    assert query.phrases == ('"rare"', '"common"')
    assert query.idf == (idf(100, 5), idf(100, 100))


def test_common_words_that_occur_together_rarely_are_searched_together() -> None:
    bodies = ["interest was high"] * 40 + ["rates were high"] * 40 + ["interest rates rose"] * 10 + ["chancellor spoke"] * 2
    db = chunk_table(bodies)
    query = plan(TermStats(db), "chancellor interest rates", budget=30)
    assert query.match == '"chancellor" OR ("interest" AND "rates")' and query.dropped == ()
    found = {i for i, _ in chunk_matches(db, query, 50, 0.3)}
    assert found == set(range(81, 93))
    # Too many rows even together: the pair is dropped, the rare word still searched.
    query = plan(TermStats(db), "chancellor interest rates", budget=8)
    assert query.match == '"chancellor"' and set(query.dropped) == {"interest", "rates"}


def test_a_question_of_only_common_words_searches_nothing_rather_than_everything() -> None:
    db = chunk_table(["the economy grew"] * 60)
    query = plan(TermStats(db), "economy", budget=50)
    assert query.match is None and query.dropped == ("economy",) and chunk_matches(db, query, 10, 0.3) == []


def test_chunk_matches_with_allowed_ids_equal_the_filtered_full_ranking() -> None:
    rng = random.Random(3)
    bodies = [" ".join(rng.choice(["ferry", "harbour", "dawn", "storm", "port", "crew"]) for _ in range(rng.randint(3, 12))) for _ in range(200)]
    db = chunk_table(bodies)
    query = plan(TermStats(db), "ferry storm crew")
    full = chunk_matches(db, query, 1000, 0.3)
    allowed = set(rng.sample(range(1, 201), 60))
    assert chunk_matches(db, query, 7, 0.3, allowed) == [hit for hit in full if hit[0] in allowed][:7]
    assert chunk_matches(db, query, 7, 0.3, []) == []


def test_sentence_scores_equal_fts5_bm25_when_the_candidates_are_the_whole_table() -> None:
    """Local term frequencies and global idf: over the whole table that is exactly FTS5's bm25."""
    rng = random.Random(5)
    texts = {i: (rng.choice(["Harbour news", "Storm report"]), prose(i)) for i in range(1, 41)}
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE VIRTUAL TABLE s USING fts5 (title, body, tokenize = '{store.FTS_TOKENIZER}')")
    db.executemany("INSERT INTO s (rowid, title, body) VALUES (?, ?, ?)", [(i, t, b) for i, (t, b) in texts.items()])
    question_words = search_words(prose(7) + " harbour storm")[:6]
    phrases = tuple(phrase(w) for w in question_words)
    counts = [db.execute("SELECT count(*) FROM s WHERE s MATCH ?", (p,)).fetchone()[0] for p in phrases]
    query = KeywordQuery(" OR ".join(phrases), phrases, tuple(idf(len(texts), c) for c in counts), ())
    expected = {int(i): -v for i, v in db.execute("SELECT rowid, bm25(s, 0.3, 1.0) FROM s WHERE s MATCH ?", (query.match,))}
    got = sentence_scores(db, query, texts, 0.3)
    assert got.keys() == expected.keys() and expected
    for rowid, value in expected.items():
        assert got[rowid] == pytest.approx(value, rel=1e-9)
    # The scratch table is emptied for the next question.
    assert db.execute("SELECT count(*) FROM temp.assistant_kw_sentences").fetchone()[0] == 0


@pytest.mark.parametrize(
    "question",
    ['NOT OR AND', '"unbalanced', "col:umn * - ( )", "NEAR(a b)", "'; DROP TABLE articles; --", "a* OR b^", "e-mail U.S."],
)
def test_fts5_syntax_in_a_question_is_plain_words(question: str) -> None:
    db = chunk_table(["not or and unbalanced col umn near drop table articles e-mail u.s. b"])
    query = plan(TermStats(db), question)
    assert query.match is not None
    chunk_matches(db, query, 5, 0.3)
    sentence_scores(db, query, {1: ("T", "not or and unbalanced col umn near drop table articles e-mail u.s. b")}, 0.3)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_question_plans_and_runs_without_a_syntax_error(question: str) -> None:
    db = chunk_table(["some text here", question.encode("utf-8", "replace").decode("utf-8")])
    query = plan(TermStats(db), question)
    chunk_matches(db, query, 5, 0.3, [1])
    sentence_scores(db, query, {1: ("t", "some text here")}, 0.3)
