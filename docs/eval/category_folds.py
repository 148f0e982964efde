"""Approximate BBC leave-one-category-out abstention (issue 12): each category's answerable lookups asked
with that category's chunks and sentences excluded from every search, plus an estimate of what the
absent-word veto of an index built without the category would add.

Usage: .venv/bin/python docs/eval/category_folds.py --index BBC_INDEX [--corpus ../shared/data/bbc]

A true fold rebuilds the index without the category; this keeps the index (so its vocabulary still holds
the category's words) and replaces the store's allowed chunks and articles. Prints one line per category.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np

from assistant.models import Filters
from assistant.search.engine import Engine
from assistant.search.keywords import crude_stem
from assistant.text.query import QUESTION, SAID_ABOUT, WHO_SAID, content_words, query_shape, words

HERE = Path(__file__).resolve().parent
SETS = ("lookup-paraphrases.jsonl", "lookup-fragments.jsonl", "out-of-corpus-bbc.jsonl")
MATCH_ALL = Filters(article=".txt")
"""A filter every BBC file passes: it makes the engine consult the (replaced) allowed sets."""


def vetoed(question: str, others: list[str], stems: list[set[str]]) -> bool:
    """Whether the absent-word veto would fire on an index of only the `others` texts (lower-cased)."""
    shape = query_shape(question)
    for name in shape.names:
        parts = words(name)
        pattern = r"\b" + r"\W+".join(map(re.escape, parts)) + r"\b"
        if parts and not any(re.search(pattern, text) for text in others):
            return True
    if shape.kind not in (QUESTION, SAID_ABOUT, WHO_SAID):
        return False
    named = {w for name in shape.names for w in words(name)}
    return any(
        w.isalpha() and len(w) >= 4 and w not in named and not any(crude_stem(w) in s for s in stems)
        for w in content_words(question)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, default=HERE.parents[2] / "shared" / "data" / "bbc")
    args = parser.parse_args()
    items = [json.loads(line) for name in SETS for line in (HERE / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    items = [r for r in items if r.get("path")]
    categories = sorted({r["path"].split("/")[0] for r in items})
    texts = {
        c: " ".join(p.read_text(encoding="utf-8") for p in sorted((args.corpus / c).glob("*.txt"))).lower() for c in categories
    }
    stems = {c: {crude_stem(w) for w in set(re.findall(r"\w+(?:['’]\w+)*", t))} for c, t in texts.items()}
    engine = Engine(args.index)
    store = engine.store
    paths = {int(i): str(p) for i, p in store.db.execute("SELECT id, path FROM articles")}
    chunks = store.db.execute("SELECT id, article_id FROM chunks").fetchall()
    try:
        for held in categories:
            keep = {i for i, p in paths.items() if not p.startswith(held + "/")}
            allowed = np.fromiter((c for c, a in chunks if a in keep), dtype="int64")
            store.allowed_chunks = lambda _filters, ids=allowed: ids  # type: ignore[method-assign]
            store.allowed_articles = lambda _filters, ids=keep: ids  # type: ignore[method-assign]
            others = [o for o in categories if o != held]
            asked = [r for r in items if r["path"].startswith(held + "/")]
            abstained = estimate = 0
            confidence = []
            for r in asked:
                answer = engine.ask(r["question"], filters=MATCH_ALL)
                confidence.append(float(answer.extra.get("confidence", 0.0)))
                abstained += not answer.answered
                estimate += (not answer.answered) or vetoed(r["question"], [texts[o] for o in others], [stems[o] for o in others])
            n = len(asked)
            p95, p99 = np.percentile(confidence, [95, 99])
            print(
                f"{held}: {n} questions, abstained {abstained / n:.3f} (search excluded), {estimate / n:.3f} with the "
                f"absent-word veto; confidence p95 {p95:.3f} p99 {p99:.3f} max {max(confidence):.3f}"
            )
    finally:
        engine.close()


if __name__ == "__main__":
    main()
