"""Reported speech (quotations.reported_speakers): who a sentence outside every quotation reports speaking.

Draws a fixed sample of BBC sentences that overlap no stored quotation and for which a speaker is named, and checks
each against the hand label in reported-speech.jsonl (the speaker a reader names, or null where nobody should be).

    .venv/bin/python docs/eval/reported_speech.py [--corpus ../shared/data/bbc] [--write]

--write records the current output as the labels (then correct them by hand); without it, prints precision.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from assistant.text.chunking import split_sentences
from assistant.text.quotations import extract_quotations, reported_speakers

HERE = Path(__file__).parent
LABELS = HERE / "reported-speech.jsonl"


def sample(corpus: Path, files: int = 300, size: int = 60, seed: int = 7) -> list[dict[str, object]]:
    """`size` named reported speakers from `files` random articles, in a seeded order."""
    rng = random.Random(seed)
    paths = sorted(corpus.glob("*/*.txt"))
    rng.shuffle(paths)
    found: list[dict[str, object]] = []
    for path in paths[:files]:
        text = path.read_text(encoding="utf-8")
        quotations = extract_quotations(text)
        spans = [
            (s, e) for s, e in split_sentences(text, text.index("\n") + 1, len(text))
            if not any(q.start < e and q.end > s for q in quotations)
        ]
        for (s, e), speaker in zip(spans, reported_speakers(text, spans), strict=True):
            if speaker is not None:
                found.append({"path": path.relative_to(corpus).as_posix(), "start": s, "end": e, "speaker": speaker.name})
    rng.shuffle(found)
    return found[:size]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=HERE.parents[2] / "shared" / "data" / "bbc")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    drawn = sample(args.corpus)
    if args.write:
        LABELS.write_text("".join(json.dumps(row) + "\n" for row in drawn), encoding="utf-8")
        print(f"wrote {len(drawn)} rows to {LABELS}")
        return
    labels = {(r["path"], r["start"], r["end"]): r["speaker"] for r in map(json.loads, LABELS.read_text(encoding="utf-8").splitlines())}
    right = 0
    for row in drawn:
        want = labels.get((row["path"], row["start"], row["end"]), "<unlabelled>")
        if want == row["speaker"]:
            right += 1
        else:
            print(f"{row['path']} [{row['start']}:{row['end']}]: labelled {want!r}, got {row['speaker']!r}")
    print(f"reported speakers named: {right}/{len(drawn)} right = {right / max(1, len(drawn)):.3f}")


if __name__ == "__main__":
    main()
