"""Classify the paraphrase lookups the engine misses: where the target ranks, whether it is a candidate,
whether its speaker or role shares the question's words, and what beat it (docs/retrieval.md, wave 5).

    .venv/bin/python docs/eval/paraphrase_misses.py --index BBC_INDEX [--set docs/eval/lookup-paraphrases.jsonl] [--out F.jsonl]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _quotation_at(quotes: dict[int, list[tuple[int, int, str | None, str | None]]], article_id: int, start: int, end: int):
    """(speaker, role) of the stored quotation overlapping a span, or None."""
    for qs, qe, speaker, role in quotes.get(article_id, ()):
        if qs < end and qe > start:
            return speaker, role
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", required=True)
    parser.add_argument("--set", default=str(ROOT / "docs/eval/lookup-paraphrases.jsonl"))
    parser.add_argument("--out", default=None)
    args = parser.parse_args()

    import numpy as np

    from assistant.search.engine import Engine
    from assistant.search.evaluation import quote_hits, read_lookups
    from assistant.search.keywords import crude_stem
    from assistant.text.query import content_words

    engine = Engine(Path(args.index))
    db = sqlite3.connect(Path(args.index) / "index.sqlite3")
    path_of = dict(db.execute("SELECT id, path FROM articles"))
    id_of = {p: i for i, p in path_of.items()}
    quotes: dict[int, list[tuple[int, int, str | None, str | None]]] = {}
    for a, s, e, sp, role in db.execute("SELECT article_id, start, end, speaker, role FROM quotations"):
        quotes.setdefault(a, []).append((s, e, sp, role))
    # Every sentence vector once, for the dense-only rank of the target over the whole corpus.
    rows = db.execute("SELECT id, article_id, start, end, vector FROM sentences ORDER BY id").fetchall()
    matrix = np.frombuffer(b"".join(r[4] for r in rows), dtype=np.float16).reshape(len(rows), -1).astype(np.float32)
    sent_ids = np.array([r[0] for r in rows])
    sent_loc = {r[0]: (r[1], r[2], r[3]) for r in rows}
    texts = dict(db.execute("SELECT id, text FROM articles"))

    records = []
    for item in read_lookups(Path(args.set)):
        if item.path is None:
            continue
        answer, found = engine.answer_with_evidence(item.question, max_quotes=5)
        hits = [quote_hits(q, item) for q in answer.quotes]
        target_article = id_of[item.path]
        target_text = texts[target_article][item.start : item.end]
        # Target sentences: overlapping the span, or the same words in a duplicate story.
        targets = {sid for sid, (a, s, e) in sent_loc.items() if a == target_article and s < item.end and e > item.start}
        ranked = list(found.sentences) if found is not None else []
        rank = next((n for n, s in enumerate(ranked, 1) if s.sentence_id in targets
                     or texts[s.article_id][s.start:s.end] == target_text), None)
        vector = engine.embedder.encode([answer.searched])[0]
        cos = matrix @ np.asarray(vector, dtype=np.float32)
        order = np.argsort(-cos)
        dense_rank = next(n for n, i in enumerate(order, 1) if int(sent_ids[i]) in targets or
                          texts[sent_loc[int(sent_ids[i])][0]][sent_loc[int(sent_ids[i])][1]:sent_loc[int(sent_ids[i])][2]] == target_text)
        said = _quotation_at(quotes, target_article, item.start, item.end)
        wanted = {crude_stem(w) for w in content_words(item.question)}
        role_share = sorted(wanted & {crude_stem(w) for w in content_words(" ".join(x or "" for x in said))}) if said else []
        top = ranked[0] if ranked else None
        top_said = _quotation_at(quotes, top.article_id, top.start, top.end) if top else None
        target_score = ranked[rank - 1] if rank else None
        records.append({
            "question": item.question,
            "shape": found.shape.kind if found is not None and found.shape else None,
            "speech": bool(found is not None and found.shape and found.shape.speech),
            "hit1": bool(hits[:1] and hits[0]), "hit3": any(hits[:3]), "answered": answer.answered,
            "candidates": len(ranked), "rank": rank, "dense_rank": dense_rank,
            "target_in_quotation": said is not None, "target_speaker": said[0] if said else None,
            "target_role": said[1] if said else None, "role_share": role_share,
            "top_path": path_of.get(top.article_id) if top else None,
            "top_same_article": bool(top and top.article_id == target_article),
            "top_in_quotation": top_said is not None, "top_speaker": top_said[0] if top_said else None,
            "top_same_speaker": bool(top_said and said and top_said[0] and top_said[0] == said[0]),
            "top_score": round(top.score, 3) if top else None,
            "target_score": round(target_score.score, 3) if target_score else None,
            "target_dense": round(target_score.dense, 3) if target_score else None,
            "top_dense": round(top.dense, 3) if top else None,
        })
    misses = [r for r in records if not r["hit1"]]
    print(f"{len(records)} questions, hit@1 {sum(r['hit1'] for r in records) / len(records):.3f}, "
          f"hit@3 {sum(r['hit3'] for r in records) / len(records):.3f}, misses {len(misses)}")
    counts = Counter()
    for r in misses:
        counts["not a candidate" if r["rank"] is None else "rank 2-3" if r["rank"] <= 3 else "rank 4-10" if r["rank"] <= 10 else "rank > 10"] += 1
        counts["top in same article"] += r["top_same_article"]
        counts["top same speaker"] += r["top_same_speaker"]
        counts["target in quotation"] += r["target_in_quotation"]
        counts["target speaker known"] += bool(r["target_speaker"])
        counts["role shares a word"] += bool(r["role_share"])
        counts["top in quotation"] += r["top_in_quotation"]
        counts["speech shape"] += r["speech"]
        counts["dense-only rank <= 50"] += r["dense_rank"] <= 50
    for key, value in counts.items():
        print(f"  {key}: {value}")
    if args.out:
        Path(args.out).write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


if __name__ == "__main__":
    main()
