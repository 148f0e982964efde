"""Sentence vectors pooled from the chunk pass (issue 17): token offsets, edge cases, the real model, and the index."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.embedding.base import default_model_path
from assistant.embedding.hashing import HashEmbedder
from assistant.embedding.pooling import TEXT_SHARE, SpanText, encoding_ranges, pool_batch, token_ranges
from assistant.embedding.tokens import load_tokenizer
from assistant.index import embed_pass, store, vectors
from assistant.index.indexer import build_index
from assistant.models import Article, Chunk, Sentence
from assistant.search.engine import Engine
from assistant.text.chunking import chunk_article, passage_for_embedding
from support.corpus import SEED, write


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    return load_tokenizer(default_model_path(), 256)


def _words(tokenizer: Any, text: str, found: tuple[int, int] | None) -> list[str]:
    """The token strings of a token range of `text`'s encoding."""
    assert found is not None
    return tokenizer.encode(text).tokens[found[0] : found[1]]


def _item(text: str, sentences: list[str], context: int = 0) -> SpanText:
    spans, position = [], context
    for sentence in sentences:
        start = text.index(sentence, position)
        spans.append((start, start + len(sentence)))
        position = start + len(sentence)
    return SpanText(text, tuple(spans), context)


# --- offsets -> token ranges ------------------------------------------------------------------


def test_each_sentence_gets_exactly_its_own_tokens(tokenizer: Any) -> None:
    text = "Rates rise. Banks worry. Markets fall sharply."
    item = _item(text, ["Rates rise.", "Banks worry.", "Markets fall sharply."])
    found = encoding_ranges(tokenizer.encode(text), item)
    assert [_words(tokenizer, text, r) for r in found.spans] == [
        ["rates", "rise", "."], ["banks", "worry", "."], ["markets", "fall", "sharply", "."],
    ]
    assert found.context == (0, 1)  # [CLS] alone: no prefix


def test_the_title_prefix_and_cls_are_the_context(tokenizer: Any) -> None:
    text = passage_for_embedding("Budget day", dt.date(2005, 3, 16), "Brown spoke.")
    item = _item(text, ["Brown spoke."], context=len(text) - len("Brown spoke."))
    found = encoding_ranges(tokenizer.encode(text), item)
    tokens = tokenizer.encode(text).tokens
    assert tokens[found.context[0] : found.context[1]][0] == "[CLS]"
    assert "budget" in tokens[found.context[0] : found.context[1]]
    assert _words(tokenizer, text, found.spans[0]) == ["brown", "spoke", "."]


def test_non_ascii_offsets_are_characters_not_bytes(tokenizer: Any) -> None:
    text = "Café Zürich est naïve. 北京 said “no” — 😀 again. Ünïcode ends."
    item = _item(text, ["Café Zürich est naïve.", "北京 said “no” — 😀 again.", "Ünïcode ends."])
    found = encoding_ranges(tokenizer.encode(text), item)
    assert _words(tokenizer, text, found.spans[0]) == ["cafe", "zurich", "est", "naive", "."]
    assert _words(tokenizer, text, found.spans[1])[:2] == ["北", "京"]
    assert "[UNK]" in _words(tokenizer, text, found.spans[1])  # the emoji stays in its sentence
    assert _words(tokenizer, text, found.spans[2])[-1] == "."


def test_a_span_with_no_token_cannot_be_pooled(tokenizer: Any) -> None:
    text = "First one. \u200b\u200b Last one."
    item = SpanText(text, ((0, 10), (11, 13), (15, 24)))
    found = encoding_ranges(tokenizer.encode(text), item)
    assert found.spans[1] is None
    assert found.spans[0] is not None and found.spans[2] is not None


def test_truncation_leaves_the_cut_and_later_sentences_unpooled() -> None:
    short = load_tokenizer(default_model_path(), 12)
    text = "One two three. Four five six seven eight nine ten eleven. Twelve thirteen."
    item = _item(text, ["One two three.", "Four five six seven eight nine ten eleven.", "Twelve thirteen."])
    encoding = short.encode(text)
    assert encoding.overflowing  # the text is cut
    found = encoding_ranges(encoding, item)
    assert found.spans[0] is not None
    assert found.spans[1] is None  # begun but cut off: its pool would miss words
    assert found.spans[2] is None  # wholly past the cut


def test_a_hard_cut_inside_a_word_gives_the_piece_to_the_span_it_starts_in(tokenizer: Any) -> None:
    text = "unbelievably"
    encoding = tokenizer.encode(text)
    assert len(encoding.tokens) > 3  # several word pieces
    cut = encoding.offsets[2][0] + 1  # inside the second piece
    found = encoding_ranges(encoding, SpanText(text, ((0, cut), (cut, len(text)))))
    first, second = found.spans
    assert first is not None and second is not None
    assert first[1] == second[0]  # every piece in exactly one span
    assert (first[0], second[1]) == (1, len(encoding.tokens) - 1)


def test_token_ranges_without_special_tokens() -> None:
    found = token_ranges([(0, 3), (4, 7)], [0, 0], SpanText("abc def", ((0, 3), (4, 7))), truncated=False)
    assert found.context == (0, 0)
    assert found.spans == ((0, 1), (1, 2))


def test_pool_batch_means_the_right_tokens() -> None:
    hidden = np.zeros((1, 5, 3), dtype=np.float32)
    hidden[0, :, 0] = [1, 0, 0, 0, 1]  # [CLS] and [SEP]
    hidden[0, 1:3, 1] = 1  # the span's tokens
    hidden[0, 3, 2] = 1  # a token of another span
    found = token_ranges([(0, 0), (0, 1), (2, 3), (4, 5), (0, 0)], [1, 0, 0, 0, 1], SpanText("ab cd e", ((0, 3), (4, 5))), truncated=False)
    texts, spans = pool_batch(hidden, [5], [found])
    mean = np.array([2, 2, 1]) / 5
    np.testing.assert_allclose(texts[0], mean / np.linalg.norm(mean), rtol=1e-6)

    def unit(v: np.ndarray) -> np.ndarray:
        return v / np.linalg.norm(v)

    # [CLS] and the span's tokens, less TEXT_SHARE of the whole text's mean.
    np.testing.assert_allclose(spans[0][0], unit(np.array([1, 2, 0]) / 3 - TEXT_SHARE * mean), rtol=1e-5)
    np.testing.assert_allclose(spans[0][1], unit(np.array([1, 0, 1]) / 2 - TEXT_SHARE * mean), rtol=1e-5)


# --- which chunk pools a sentence -----------------------------------------------------------------


def test_a_sentence_two_chunks_share_is_pooled_from_the_first() -> None:
    sentences = [Sentence(i * 10, i * 10 + 9, 1) for i in range(5)]
    chunks = [Chunk(0, 29, 1, 0, 2), Chunk(20, 49, 1, 2, 4)]
    assert embed_pass.owners(sentences, chunks) == [0, 0, 0, 1, 1]
    assert embed_pass.owners(sentences, chunks[:1]) == [0, 0, 0, None, None]


def test_span_items_point_at_each_sentence_inside_its_chunk_text() -> None:
    text = SEED.read_text(encoding="utf-8")
    title_end = text.index("\n")
    article = Article("seed.txt", 0, text, title_end + 2, "Relations between Baku and Karabakh Armenians", dt.date(2023, 8, 8))
    sentences, chunks = chunk_article(text, article.body_start)
    items, where = embed_pass.span_items(article, sentences, chunks)
    assert len(items) == len(chunks) and len(where) == len(sentences)
    for sentence, place in zip(sentences, where, strict=True):
        assert place is not None
        item = items[place[0]]
        start, end = item.spans[place[1]]
        assert item.text[start:end] == text[sentence.start : sentence.end]
        assert item.text[: item.context].startswith("Relations between Baku")


# --- the real model ---------------------------------------------------------------------------------


def _seed_batch() -> list[embed_pass.NewArticle]:
    text = SEED.read_text(encoding="utf-8")
    article = Article("seed.txt", 0, text, text.index("\n") + 2, "Relations between Baku and Karabakh Armenians", dt.date(2023, 8, 8))
    sentences, chunks = chunk_article(text, article.body_start)
    return [(article, sentences, chunks)]


def test_pooled_sentence_vectors_are_close_to_the_separately_embedded_ones(real_embedder: Any) -> None:
    batch = _seed_batch()
    pooled = embed_pass.embed(real_embedder, batch, embed_pass.POOLED)
    alone = embed_pass.embed(real_embedder, batch, embed_pass.SEPARATE)
    assert pooled.texts == len(batch[0][2])  # one pass: the chunks only
    assert alone.texts == len(batch[0][2]) + len(batch[0][1])
    # Chunk vectors are the same up to int8 noise (dynamic quantisation scales each batch by its contents).
    assert np.einsum("ij,ij->i", pooled.chunks[0], alone.chunks[0]).min() > 0.98
    p = pooled.sentences[0].astype(np.float32)
    s = alone.sentences[0].astype(np.float32)
    np.testing.assert_allclose(np.linalg.norm(p, axis=1), 1.0, atol=2e-3)
    own = np.einsum("ij,ij->i", p, s)
    assert own.mean() > 0.8 and own.min() > 0.55, own
    # Each pooled vector is nearer its own sentence than any other sentence of the article.
    nearest = (p @ s.T).argmax(axis=1)
    assert (nearest == np.arange(len(p))).mean() > 0.9


def test_a_sentence_cut_by_truncation_is_embedded_alone(real_embedder: Any) -> None:
    title = "Long"
    # Under MAX_SENTENCE_CHARS (so it stays one sentence) but far over 256 word pieces.
    long_sentence = "Then " + " ".join(f"q{i % 10}" for i in range(450)) + "."
    text = f"{title}\n\nShort opening sentence here. {long_sentence}\n"
    body = text.index("Short")
    article = Article("long.txt", 0, text, body, title)
    sentences, chunks = chunk_article(text, body)
    assert len(sentences) == 2
    assert any(real_embedder._tokenizer.encode(passage_for_embedding(title, None, text[c.start : c.end])).overflowing for c in chunks)
    found = embed_pass.embed(real_embedder, [(article, sentences, chunks)], embed_pass.POOLED)
    last = found.sentences[0][-1].astype(np.float32)
    alone = real_embedder.encode([passage_for_embedding(title, None, text[sentences[-1].start : sentences[-1].end])])[0]
    assert float(last @ alone) > 0.98  # embedded alone (int8 scales differ a little with the batch)
    assert found.texts == len(chunks) + 1
    assert np.isfinite(found.sentences[0].astype(np.float32)).all()


def test_encode_spans_gives_the_same_text_vectors_as_encode(real_embedder: Any) -> None:
    texts = ["A short one.", "A much longer text about the budget and the chancellor's plans for taxes.", "Mid length text here."]
    vectors, spans = real_embedder.encode_spans([SpanText(t, ((0, len(t)),)) for t in texts], batch_tokens=1)
    # One text per batch both ways (batch_tokens 1, batch_size 1): the same int8 scales, the same rows.
    np.testing.assert_allclose(vectors, real_embedder.encode(texts, batch_size=1), atol=1e-5)
    assert [s.shape for s in spans] == [(1, real_embedder.dim)] * 3


# --- the index ----------------------------------------------------------------------------------------


def _meta(index: Path) -> dict[str, str]:
    db = store.connect(index)
    try:
        return store.get_meta(db)
    finally:
        db.close()


def _sentence_vectors(index: Path, path: str) -> np.ndarray:
    db = store.connect(index)
    try:
        rows = db.execute(
            "SELECT s.vector FROM sentences s JOIN articles a ON a.id = s.article_id WHERE a.path = ? ORDER BY s.ord", (path,)
        ).fetchall()
    finally:
        db.close()
    return np.stack([np.frombuffer(r[0], dtype=np.float16).astype(np.float32) for r in rows])


def test_a_new_index_makes_one_pass_over_its_sentences_and_averages_them_into_chunks(tmp_path: Path, real_embedder: Any) -> None:
    corpus = tmp_path / "corpus"
    write(corpus, "seed.txt", SEED.read_text(encoding="utf-8"))
    said: list[str] = []
    build_index(corpus, tmp_path / "index", embedder=real_embedder, on_progress=lambda p: said.append(p.message))
    assert _meta(tmp_path / "index")[embed_pass.SENTENCE_VECTORS_KEY] == embed_pass.SPOKEN
    assert not [m for m in said if "--rebuild" in m]  # nothing faster to advise
    # Each chunk's vector is the normalised mean of its sentences' (stored as float16, so close, not equal).
    stored = _sentence_vectors(tmp_path / "index", "seed.txt")
    db = store.connect(tmp_path / "index")
    try:
        chunks = db.execute("SELECT id, first_sentence, last_sentence FROM chunks ORDER BY ord").fetchall()
    finally:
        db.close()
    index = vectors.load(tmp_path / "index", int(_meta(tmp_path / "index")["generation"]))
    for chunk_id, first, last in chunks:
        mean = stored[first : last + 1].mean(axis=0)
        assert float(index.reconstruct(int(chunk_id)) @ (mean / np.linalg.norm(mean))) > 0.9999
    # And the engine answers from it, verbatim.
    engine = Engine(tmp_path / "index", embedder=real_embedder)
    try:
        answer = engine.ask("Who said Azerbaijan will not negotiate with the self-styled Karabakh leaders?")
    finally:
        engine.close()
    assert answer.answered and answer.quotes[0].speaker is not None and answer.quotes[0].speaker.name == "Tofig Zulfugarov"


def test_two_passes_when_asked_for(tmp_path: Path, real_embedder: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(embed_pass.OPT_IN, "separate")
    corpus = tmp_path / "corpus"
    write(corpus, "seed.txt", SEED.read_text(encoding="utf-8"))
    build_index(corpus, tmp_path / "index", embedder=real_embedder)
    assert _meta(tmp_path / "index")[embed_pass.SENTENCE_VECTORS_KEY] == embed_pass.SEPARATE
    # An index keeps its way whatever is asked later: the next file is embedded in two passes too.
    monkeypatch.delenv(embed_pass.OPT_IN)
    write(corpus, "more.txt", "Another report\n\nThe minister said the talks would go on. Nobody else spoke.\n")
    said: list[str] = []
    build_index(corpus, tmp_path / "index", embedder=real_embedder, on_progress=lambda p: said.append(p.message))
    assert _meta(tmp_path / "index")[embed_pass.SENTENCE_VECTORS_KEY] == embed_pass.SEPARATE
    assert [m for m in said if "--rebuild" in m]  # and says a rebuild would make indexing faster


def test_a_new_index_pools_and_says_so_and_answers(tmp_path: Path, real_embedder: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(embed_pass.OPT_IN, "pooled")
    corpus = tmp_path / "corpus"
    write(corpus, "seed.txt", SEED.read_text(encoding="utf-8"))
    build_index(corpus, tmp_path / "index", embedder=real_embedder)
    assert _meta(tmp_path / "index")[embed_pass.SENTENCE_VECTORS_KEY] == embed_pass.POOLED
    engine = Engine(tmp_path / "index", embedder=real_embedder)
    try:
        answer = engine.ask("What did Tofig Zulfugarov say about negotiations?")
    finally:
        engine.close()
    assert answer.quotes
    quote = answer.quotes[0]
    text = SEED.read_text(encoding="utf-8")
    assert text[quote.start : quote.end] == quote.text


def test_an_index_built_before_pooling_keeps_embedding_sentences_alone(
    tmp_path: Path, real_embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(embed_pass.OPT_IN, "pooled")
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write(corpus, "seed.txt", SEED.read_text(encoding="utf-8"))
    build_index(corpus, index, embedder=real_embedder)
    # Make it look like an index of the previous version: separately embedded vectors and no record.
    db = store.connect(index)
    with store.transaction(db):
        db.execute("DELETE FROM meta WHERE key = ?", (embed_pass.SENTENCE_VECTORS_KEY,))
    db.close()
    write(corpus, "more.txt", "Another report\n\nThe minister said the talks would go on. Nobody else spoke.\n")
    said: list[str] = []
    build_index(corpus, index, embedder=real_embedder, on_progress=lambda p: said.append(p.message))
    assert _meta(index)[embed_pass.SENTENCE_VECTORS_KEY] == embed_pass.SEPARATE
    assert [m for m in said if "--rebuild" in m]  # pooling asked for: the older index says how to get it
    stored = _sentence_vectors(index, "more.txt")
    alone = real_embedder.encode([
        passage_for_embedding("Another report", None, "The minister said the talks would go on."),
        passage_for_embedding("Another report", None, "Nobody else spoke."),
    ])
    # Embedded alone, as before (int8 scales differ a little with the batch a text runs in).
    assert np.einsum("ij,ij->i", stored, alone).min() > 0.98


def test_the_hash_fake_keeps_two_passes(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write(corpus, "a.txt", "Title\n\nOne sentence here. Another one there.\n")
    build_index(corpus, index, embedder=HashEmbedder())
    assert _meta(index)[embed_pass.SENTENCE_VECTORS_KEY] == embed_pass.SEPARATE
    np.testing.assert_allclose(
        _sentence_vectors(index, "a.txt"),
        HashEmbedder().encode([passage_for_embedding("Title", None, "One sentence here."), passage_for_embedding("Title", None, "Another one there.")]),
        atol=2e-3,
    )


def test_sentence_mode_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    class Pools(HashEmbedder):
        def encode_spans(self, items: Any, **kwargs: Any) -> Any:  # pragma: no cover - only its presence counts
            raise NotImplementedError

    class Model(HashEmbedder):  # an embedder of a real model, as far as the rule is concerned
        backend = "onnx-int8"

    pools, plain, model = Pools(), HashEmbedder(), Model()
    assert embed_pass.sentence_mode(None, False, model) == embed_pass.SPOKEN  # the default for a new index
    assert embed_pass.sentence_mode(embed_pass.CHUNK_MEAN, True, plain) == embed_pass.CHUNK_MEAN  # as the index says
    assert embed_pass.sentence_mode(embed_pass.SPOKEN, True, plain) == embed_pass.SPOKEN
    monkeypatch.setenv(embed_pass.OPT_IN, "chunk-mean")
    assert embed_pass.sentence_mode(None, False, model) == embed_pass.CHUNK_MEAN
    assert embed_pass.sentence_mode(embed_pass.SPOKEN, True, model) == embed_pass.SPOKEN  # the index's own way wins
    assert embed_pass.sentence_mode(None, False, pools) == embed_pass.SEPARATE  # the hashing fake
    assert embed_pass.sentence_mode(None, True, model) == embed_pass.SEPARATE  # an index from before
    monkeypatch.setenv(embed_pass.OPT_IN, "pooled")
    assert embed_pass.sentence_mode(None, False, pools) == embed_pass.POOLED
    assert embed_pass.sentence_mode(None, False, plain) == embed_pass.SEPARATE
    assert embed_pass.sentence_mode(None, True, pools) == embed_pass.SEPARATE  # an index from before
    assert embed_pass.sentence_mode(embed_pass.POOLED, True, pools) == embed_pass.POOLED
    assert embed_pass.sentence_mode(embed_pass.SEPARATE, True, pools) == embed_pass.SEPARATE
    assert embed_pass.sentence_mode("mean-some-later-rule", True, pools) == embed_pass.SEPARATE
    monkeypatch.setenv(embed_pass.OPT_IN, "separate")
    assert embed_pass.sentence_mode(None, False, model) == embed_pass.SEPARATE


def test_a_quotations_sentences_are_embedded_after_its_speakers_name(tmp_path: Path, real_embedder: Any) -> None:
    """A new index (SPOKEN) embeds a sentence inside a quotation whose speaker the article names as 'Title. Speaker
    said: sentence', every other sentence as 'Title. sentence'; the stored text, offsets and keyword rows are the
    article's own. An index that began plain (CHUNK_MEAN) stays plain for the articles added to it later."""
    corpus = tmp_path / "corpus"
    text = ("Port plan\n\nThe council met on Monday to discuss the harbour.\n\n"
            "\"We will not let the harbour close,\" he said. Harbour master Jane Doyle had warned of cuts. "
            "\"Ships need a deep channel,\" said Ms Doyle.\n")
    write(corpus, "port.txt", text)
    build_index(corpus, tmp_path / "index", embedder=real_embedder)
    assert _meta(tmp_path / "index")[embed_pass.SENTENCE_VECTORS_KEY] == embed_pass.SPOKEN
    stored = _sentence_vectors(tmp_path / "index", "port.txt")
    db = store.connect(tmp_path / "index")
    try:
        spans = db.execute("SELECT s.start, s.end FROM sentences s ORDER BY s.ord").fetchall()
        ids = [row[0] for row in db.execute("SELECT id FROM sentences ORDER BY ord")]
        lexical = {row[0] for row in db.execute("SELECT rowid FROM sentences_lex WHERE sentences_lex MATCH 'body:Jane'")}
    finally:
        db.close()
    sentences = [text[a:b] for a, b in spans]
    assert sentences[-1] == '"Ships need a deep channel," said Ms Doyle.'
    wanted = [passage_for_embedding("Port plan", None, s) for s in sentences]
    wanted[-1] = passage_for_embedding("Port plan", None, "Jane Doyle said: " + sentences[-1])
    # ('he said' with nobody named before it: no name is guessed into the text of the second.)
    assert np.allclose(stored, real_embedder.encode(wanted), atol=3e-3)
    assert not np.allclose(stored, real_embedder.encode([passage_for_embedding("Port plan", None, s) for s in sentences]), atol=3e-3)
    assert lexical == {ids[2]}  # the keyword index holds the words as written: 'Jane' only where the article has it

    # An index made before (plain chunk means) keeps its way for new articles.
    plain = tmp_path / "plain"
    build_index(corpus, plain, embedder=real_embedder)
    db = store.connect(plain)
    try:
        db.execute("UPDATE meta SET value = ? WHERE key = ?", (embed_pass.CHUNK_MEAN, embed_pass.SENTENCE_VECTORS_KEY))
        db.commit()
    finally:
        db.close()
    write(corpus, "port2.txt", text.replace("Port plan", "Port plan again"))
    said: list[str] = []
    build_index(corpus, plain, embedder=real_embedder, on_progress=lambda p: said.append(p.message))
    assert _meta(plain)[embed_pass.SENTENCE_VECTORS_KEY] == embed_pass.CHUNK_MEAN
    assert [m for m in said if "--rebuild" in m and "speakers' names" in m]  # and says how to get the new way
    again = _sentence_vectors(plain, "port2.txt")
    assert np.allclose(again, real_embedder.encode([passage_for_embedding("Port plan again", None, s) for s in sentences]), atol=3e-3)
