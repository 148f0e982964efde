"""Dump, per question, the evidence abstention could use (issue 12): BBC lookup sets on the whole index,
BBC category folds on real indexes built without one category, and SQuAD with each title held out.

Usage:
  .venv/bin/python docs/eval/abstention_features.py --index BBC_INDEX --folds FOLD_DIR [--squad FILE] --out OUT.jsonl

FOLD_DIR holds `index-no-<category>` folders (see docs/retrieval.md, "BBC category folds": a copy of the whole
index re-indexed on a folder of symlinks to the other four categories, which deletes the category's articles).
Each output line: the question, where it was asked (`run`), whether it should be answered (`expect`), the
engine's decision and confidence, and word-level evidence against the first quote's article.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from assistant.search.answer import article_support
from assistant.search.engine import Engine
from assistant.search.keywords import crude_stem
from assistant.text.query import content_words, query_shape, words

from category_folds import CATEGORIES, set_rows  # beside this script: the same sets and categories


def evidence(engine: Engine, question: str) -> dict[str, Any]:
    """The engine's answer to `question` and the word evidence of its first quote's article."""
    answer, found = engine.answer_with_evidence(question, max_quotes=5)
    shape = query_shape(question)
    row: dict[str, Any] = {
        "answered": answer.answered,
        "message": answer.message,
        "shape": shape.kind,
        "speech": shape.speech,
        "names": list(shape.names),
        **{k: round(float(v), 4) for k, v in answer.extra.items()},
    }
    quotes = answer.quotes
    row["paths"] = [q.path for q in quotes[:3]]
    if found is not None and found.sentences:
        top = found.sentences[0]
        row["denses"] = [round(x, 3) for x in sorted((s.dense for s in found.sentences), reverse=True)[:60]]
        row["n_articles"] = len({s.article_id for s in found.sentences})
        row["top"] = {"phrase": top.phrase, "words": top.words, "covered": round(top.covered, 3), "dense": round(top.dense, 3)}
    row["phrase_words"] = max((len(words(p)) for p in shape.phrases), default=0)
    if not quotes or found is None or found.articles is None:
        return row
    art = found.articles.get(quotes[0].article_id)
    text = f"{art.title} {art.text}" if art else ""
    tokens = set(words(text))
    stems = {crude_stem(t) for t in tokens}
    row["name_hits"] = [[n, all(p in tokens for p in words(n)), words(n)[-1] in tokens if words(n) else False] for n in shape.names]
    cws = content_words(question)
    freq = engine.terms.frequencies(cws) if cws else []
    n = engine.terms.rows()
    row["words"] = [
        [w, f, round(math.log((n + 1) / (f + 0.5)), 3), w in tokens or crude_stem(w) in stems] for w, f in zip(cws, freq, strict=True)
    ]
    row["support"] = round(article_support(cws, list(freq), n, text), 3)
    speaker = quotes[0].speaker
    row["speaker"] = [speaker.name, speaker.role] if speaker else None
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path)
    parser.add_argument("--folds", type=Path)
    parser.add_argument("--squad", type=Path)
    parser.add_argument("--titles", nargs="*", default=None, help="SQuAD titles to hold out (default: each in turn)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    items = set_rows()
    with args.out.open("w", encoding="utf-8") as out:

        def emit(rec: dict[str, Any]) -> None:
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
            out.flush()

        if args.index:
            engine = Engine(args.index)
            try:
                for r in items:
                    expect = bool(r.get("path"))
                    emit({"run": "bbc", "set": r["set"], "kind": r.get("kind", ""), "question": r["question"], "target": r.get("path"),
                          "expect": expect, **evidence(engine, r["question"])})
            finally:
                engine.close()
        if args.folds:
            for held in CATEGORIES:
                engine = Engine(args.folds / f"index-no-{held}")
                try:
                    for r in items:
                        if r.get("path") and r["path"].startswith(held + "/"):
                            emit({"run": f"fold-{held}", "set": r["set"], "kind": r.get("kind", ""), "question": r["question"],
                                  "target": r["path"], "expect": False, **evidence(engine, r["question"])})
                finally:
                    engine.close()
        if args.squad:
            from assistant.search.evaluation import prepare

            data = json.loads(args.squad.read_text(encoding="utf-8"))
            titles = args.titles if args.titles is not None else [a["title"] for a in data["data"]]
            for title in titles:
                setup = prepare(args.squad, exclude_titles=[title])
                try:
                    for q in setup.questions:
                        if q.kind == "unanswerable":
                            continue
                        rec = {"run": f"squad-no-{title}", "set": "squad", "kind": q.kind, "question": q.question, "target": q.path,
                               "expect": q.kind == "answerable", **evidence(setup.engine, q.question)}
                        rec["hit1"] = bool(rec["paths"]) and rec["paths"][0] == q.path
                        emit(rec)
                finally:
                    setup.engine.close()
                    setup.workdir.cleanup()


if __name__ == "__main__":
    main()
