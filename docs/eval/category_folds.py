"""BBC leave-one-category-out abstention (issue 12): each category's answerable lookups asked against a real
index of the other four categories, where every one of them is out of corpus.

Usage: .venv/bin/python docs/eval/category_folds.py --index BBC_INDEX --folds FOLD_DIR [--corpus ../shared/data/bbc]

A fold index is a copy of the whole-BBC index (BBC_INDEX, built with `--follow-symlinks` over a folder linking
the five category folders, so paths read `business/001.txt`) re-indexed on a folder that links only the other
four categories: the indexer deletes the vanished category's articles, chunks, vectors, sentences, quotations
and FTS5 rows, and embeds nothing (about a second each). Missing folds are made in FOLD_DIR/index-no-<category>
(links in FOLD_DIR/corpus-no-<category>); existing ones are reused. Prints one line per category and the
in-corpus control: the same lookups asked of the whole index.
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np

from assistant.index.indexer import build_index
from assistant.search.engine import Engine

HERE = Path(__file__).resolve().parent
SETS = ("lookup-paraphrases.jsonl", "lookup-fragments.jsonl", "out-of-corpus-bbc.jsonl")
CATEGORIES = ("business", "entertainment", "politics", "sport", "tech")


def fold_index(whole: Path, corpus: Path, folds: Path, held: str) -> Path:
    """FOLD_DIR/index-no-<held>: the whole index re-indexed without the `held` category (made once)."""
    index = folds / f"index-no-{held}"
    if (index / "index.sqlite3").exists():
        return index
    links = folds / f"corpus-no-{held}"
    links.mkdir(parents=True, exist_ok=True)
    for category in CATEGORIES:
        if category != held and not (links / category).exists():
            (links / category).symlink_to((corpus / category).resolve(), target_is_directory=True)
    shutil.copytree(whole, index)
    build_index(links, index, follow_symlinks=True)
    return index


def set_rows() -> list[dict[str, object]]:
    """Every line of the three BBC sets (out-of-corpus questions too), with the set it came from."""
    items = []
    for name in SETS:
        for line in (HERE / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                row["set"] = name.split(".")[0]
                items.append(row)
    return items


def lookups() -> list[dict[str, object]]:
    """Every answerable lookup of the three BBC sets, with the set it came from."""
    return [row for row in set_rows() if row.get("path")]


def ask_all(index: Path, items: list[dict[str, object]]) -> list[tuple[bool, float, str]]:
    """(answered, confidence, kind) of each lookup asked of `index`."""
    engine = Engine(index)
    try:
        out = []
        for item in items:
            answer = engine.ask(str(item["question"]))
            kind = str(item.get("kind") or "in-corpus question")
            out.append((answer.answered, float(answer.extra.get("confidence", 0.0)), kind))
        return out
    finally:
        engine.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="whole-BBC index (copied, never changed)")
    parser.add_argument("--folds", type=Path, required=True, help="folder for the fold indexes")
    parser.add_argument("--corpus", type=Path, default=HERE.parents[2] / "shared" / "data" / "bbc")
    args = parser.parse_args()
    items = lookups()
    for held in CATEGORIES:
        asked = [r for r in items if str(r["path"]).startswith(held + "/")]
        results = ask_all(fold_index(args.index, args.corpus, args.folds, held), asked)
        n = len(results)
        abstained = sum(not a for a, _, _ in results)
        kinds, kept = Counter(k for _, _, k in results), Counter(k for a, _, k in results if not a)
        p95, p99 = np.percentile([c for _, c, _ in results], [95, 99])
        per_kind = ", ".join(f"{k} {kept[k]}/{kinds[k]}" for k in sorted(kinds))
        print(
            f"{held}: {n} lookups, abstained {abstained / n:.3f} ({per_kind}); "
            f"confidence p95 {p95:.3f} p99 {p99:.3f} max {max(c for _, c, _ in results):.3f}"
        )
    control = ask_all(args.index, items)
    by_kind, answered = Counter(k for _, _, k in control), Counter(k for a, _, k in control if a)
    print("whole index (in corpus): answered " + ", ".join(f"{k} {answered[k]}/{by_kind[k]}" for k in sorted(by_kind)))


if __name__ == "__main__":
    main()
