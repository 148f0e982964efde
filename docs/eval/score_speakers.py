"""Score the quotation extractor (assistant.text.quotations) against the hand-labelled speakers.jsonl.

Usage (from the repository root):

    .venv/bin/python docs/eval/score_speakers.py [--corpus ../shared/data/bbc] [--errors]

For each labelled quotation the extracted quotation overlapping it most is taken (none: the
quotation was missed, which counts as speaker None). A speaker is right when its name equals the
label's after dropping Mr/Mrs/Ms/Miss/Dr/Prof and case; a null label is right only when no speaker
is given. Reports accuracy overall, by kind, for speakers not named in the quotation's own sentence
(pronoun, role, previous-sentence, other-paragraph), the rate of a speaker given where the label
is null ('unattributed'), how the spans match, the not-a-quotation negatives that were extracted,
roles (compared without a leading a/an/the), and the extractor's time over the labelled files.
With --errors, one line per wrong speaker (and per negative extracted as a quotation). The
extractor and the labels agree that organisations, papers and unnamed sources give no speaker.
Not tuned on: the extractor was built on other BBC articles; this set found general error classes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from assistant.text.quotations import Quotation, extract_quotations  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "bbc"
SEED_PREFIX = "seed/"
NOT_SAME_SENTENCE = ("pronoun", "role", "previous-sentence", "other-paragraph")
KINDS = ("same-sentence", *NOT_SAME_SENTENCE, "unattributed")
_TITLES = re.compile(r"^(?:Mr|Mrs|Ms|Miss|Dr|Prof|Professor)\.?\s+")


def norm_name(name: str | None) -> str | None:
    if name is None:
        return None
    return " ".join(_TITLES.sub("", name.strip()).lower().split())


def norm_role(role: str | None) -> str | None:
    if role is None:
        return None
    return " ".join(re.sub(r"^(?:a|an|the)\s+", "", role.strip(), flags=re.I).lower().split())


def article_path(corpus: Path, path: str) -> Path:
    if path.startswith(SEED_PREFIX):
        return ROOT / "corpus" / path[len(SEED_PREFIX) :]
    return corpus / path


def best_overlap(found: tuple[Quotation, ...], start: int, end: int) -> Quotation | None:
    best, best_len = None, 0
    for q in found:
        overlap = min(end, q.end) - max(start, q.start)
        if overlap > best_len:
            best, best_len = q, overlap
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--labels", type=Path, default=HERE / "speakers.jsonl")
    parser.add_argument("--errors", action="store_true", help="print every wrong speaker")
    args = parser.parse_args(argv)

    labels = [json.loads(line) for line in args.labels.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_path: dict[str, list[dict]] = defaultdict(list)
    for label in labels:
        by_path[label["path"]].append(label)

    extracted: dict[str, tuple[str, tuple[Quotation, ...]]] = {}
    seconds = 0.0
    for path in by_path:
        text = article_path(args.corpus, path).read_text(encoding="utf-8")
        t0 = time.perf_counter()
        extracted[path] = (text, extract_quotations(text))
        seconds += time.perf_counter() - t0

    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    spans: Counter[str] = Counter()
    roles = Counter()
    negatives = Counter()
    errors = []
    for label in labels:
        text, found = extracted[label["path"]]
        q = best_overlap(found, label["start"], label["end"])
        if label["kind"] == "not-a-quotation":
            negatives["total"] += 1
            # Extracted when a quotation of its own covers it, not when it sits nested inside a
            # longer quotation (the seed's scare quotes inside Zulfugarov's words).
            if q is not None and q.start >= label["start"] - 2 and q.end <= label["end"] + 2:
                negatives["extracted"] += 1
                errors.append(("not-a-quotation extracted", label, q, text))
            continue
        kind = label["kind"]
        total[kind] += 1
        if q is None:
            spans["missed"] += 1
        elif (q.start, q.end) == (label["start"], label["end"]):
            spans["exact"] += 1
        else:
            spans["overlapping"] += 1
        speaker = q.speaker if q is not None else None
        name = speaker.name if speaker is not None else None
        ok = norm_name(name) == norm_name(label["speaker"])
        if ok:
            right[kind] += 1
            if label["speaker"] is not None and label.get("role"):
                roles["labelled"] += 1
                roles["right"] += norm_role(speaker.role if speaker else None) == norm_role(label["role"])
        else:
            errors.append((f"{kind}: want {label['speaker']!r}, got {name!r}", label, q, text))

    def rate(kinds: tuple[str, ...]) -> tuple[int, int]:
        return sum(right[k] for k in kinds), sum(total[k] for k in kinds)

    n_right, n_all = rate(KINDS)
    print(f"labelled quotations: {n_all} in {len(by_path)} articles; extractor time {seconds * 1000:.0f} ms")
    print(f"speaker accuracy overall: {n_right}/{n_all} = {n_right / max(1, n_all):.3f}   (target >= 0.92)")
    r, a = rate(NOT_SAME_SENTENCE)
    print(f"not in the quotation's own sentence: {r}/{a} = {r / max(1, a):.3f}   (target >= 0.85)")
    wrong_unattributed = total["unattributed"] - right["unattributed"]
    print(
        f"speaker given where the label is null: {wrong_unattributed}/{total['unattributed']} = "
        f"{wrong_unattributed / max(1, total['unattributed']):.3f}   (target <= 0.02)"
    )
    for kind in KINDS:
        if total[kind]:
            print(f"  {kind:18} {right[kind]:4}/{total[kind]:<4} = {right[kind] / total[kind]:.3f}")
    print(f"spans: {spans['exact']} exact, {spans['overlapping']} overlapping, {spans['missed']} missed")
    print(f"not-a-quotation negatives extracted as quotations: {negatives['extracted']}/{negatives['total']}")
    if roles["labelled"]:
        print(f"role right (right speaker, labelled role): {roles['right']}/{roles['labelled']} = {roles['right'] / roles['labelled']:.3f}")
    if args.errors:
        for message, label, q, text in errors:
            got = text[q.start : q.end] if q is not None else ""
            got = got if len(got) < 90 else got[:60] + " ... " + got[-25:]
            print(f"- {label['path']}:{label['start']}-{label['end']} {message} | {got!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
