"""Validate the hand-labelled speaker set (speakers.jsonl) and its "who said" questions (who-said.jsonl).

Usage (from the repository root):

    .venv/bin/python docs/eval/check_speakers.py [--corpus ../shared/data/bbc]

Checks every labelled span against the article text as Python decodes it
(`Path.read_text(encoding="utf-8")`): offsets inside the file, the span opens and closes with a
quotation mark, the kind is known, a speaker is given exactly when the kind calls for one, the
speaker's surname (and the role, when given) occurs in the article, quotations do not overlap;
then the proportions the set promises (size, share of speakers not named in the quotation's own
sentence, unattributed quotations, negatives, categories, articles, the seed article). Prints counts
by kind and by category; exits 1 with one line per problem when anything fails.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parents[2] / "shared" / "data" / "bbc"
SEED_FOLDER = HERE.parents[1] / "corpus"
SEED_PREFIX = "seed/"
SEED_QUESTION = "Who said Azerbaijan will not negotiate with the self-styled Karabakh leaders?"
SEED_SPEAKER = "Tofig Zulfugarov"

OPENING_MARKS = frozenset("\"'\u201c\u2018\u00ab\u201e")
CLOSING_MARKS = frozenset("\"'\u201d\u2019\u00bb")
NOT_SAME_SENTENCE = ("pronoun", "role", "previous-sentence", "other-paragraph")
SPEAKER_KINDS = ("same-sentence", *NOT_SAME_SENTENCE)
NO_SPEAKER_KINDS = ("unattributed", "not-a-quotation")
KINDS = (*SPEAKER_KINDS, *NO_SPEAKER_KINDS)
CATEGORIES = ("business", "entertainment", "politics", "sport", "tech", "seed")

MIN_QUOTATIONS = 170
MIN_NOT_SAME_SENTENCE_SHARE = 0.40
MIN_UNATTRIBUTED = 10
MIN_NEGATIVES = 10
MIN_ARTICLES = 60
MIN_PER_CATEGORY = 20
MIN_QUESTIONS = 60


@dataclass(frozen=True)
class Label:
    """One labelled span of speakers.jsonl."""

    line: int
    path: str
    start: int
    end: int
    speaker: str | None
    role: str | None
    kind: str

    @property
    def category(self) -> str:
        """'seed' or the BBC category folder."""
        return self.path.split("/", 1)[0]


def read_jsonl(path: Path, problems: list[str]) -> list[tuple[int, dict[str, object]]]:
    """The JSON objects of a .jsonl file with their line numbers; bad lines become problems."""
    rows: list[tuple[int, dict[str, object]]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path.name}: cannot read: {exc}")
        return rows
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path.name}:{number}: not JSON: {exc.msg}")
            continue
        if not isinstance(row, dict):
            problems.append(f"{path.name}:{number}: not a JSON object")
            continue
        rows.append((number, row))
    return rows


class Articles:
    """Article texts by labelled path, decoded once."""

    def __init__(self, corpus: Path) -> None:
        self._corpus = corpus
        self._texts: dict[str, str | None] = {}
        self.errors: dict[str, str] = {}

    def text(self, path: str) -> str | None:
        """The decoded text, or None (with the reason in `errors`) when it cannot be read."""
        if path not in self._texts:
            if path.startswith(SEED_PREFIX):
                file = SEED_FOLDER / path[len(SEED_PREFIX):]
            else:
                file = self._corpus / path
            try:
                self._texts[path] = file.read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                self._texts[path] = None
                self.errors[path] = f"not UTF-8 ({exc.reason} at byte {exc.start})"
            except OSError as exc:
                self._texts[path] = None
                self.errors[path] = f"cannot read {file}: {exc.strerror}"
        return self._texts[path]


def surname(name: str) -> str:
    """The last word of a name, without quotation marks or punctuation around it."""
    return name.split()[-1].strip("\"'\u201c\u201d.,")


def parse_label(number: int, row: dict[str, object], problems: list[str]) -> Label | None:
    """A Label from one speakers.jsonl object, or None after noting what is wrong with it."""
    where = f"speakers.jsonl:{number}"
    path, start, end, kind = row.get("path"), row.get("start"), row.get("end"), row.get("kind")
    speaker, role = row.get("speaker"), row.get("role")
    if not isinstance(path, str) or not isinstance(start, int) or not isinstance(end, int):
        problems.append(f"{where}: path must be a string, start and end integers")
        return None
    if kind not in KINDS:
        problems.append(f"{where}: unknown kind {kind!r}")
        return None
    if speaker is not None and not (isinstance(speaker, str) and speaker.strip()):
        problems.append(f"{where}: speaker must be a non-empty string or null")
        return None
    if role is not None and not (isinstance(role, str) and role.strip()):
        problems.append(f"{where}: role must be a non-empty string or null")
        return None
    if kind in SPEAKER_KINDS and speaker is None:
        problems.append(f"{where}: kind {kind} needs a speaker")
    if kind in NO_SPEAKER_KINDS and speaker is not None:
        problems.append(f"{where}: kind {kind} must have speaker null, got {speaker!r}")
    return Label(number, path, start, end, speaker, role, str(kind))


def check_span(label: Label, articles: Articles, problems: list[str]) -> None:
    """Offsets, marks, surname and role of one label against its article."""
    where = f"speakers.jsonl:{label.line} ({label.path})"
    text = articles.text(label.path)
    if text is None:
        problems.append(f"{where}: {articles.errors[label.path]}")
        return
    if not 0 <= label.start < label.end <= len(text):
        problems.append(f"{where}: offsets {label.start}-{label.end} outside the text (length {len(text)})")
        return
    span = text[label.start:label.end]
    if span[0] not in OPENING_MARKS:
        problems.append(f"{where}: span does not open with a quotation mark: {span[:20]!r}")
    if span[-1] not in CLOSING_MARKS or len(span) < 2:
        problems.append(f"{where}: span does not close with a quotation mark: {span[-20:]!r}")
    lowered = text.lower()
    if label.speaker is not None and surname(label.speaker).lower() not in lowered:
        problems.append(f"{where}: surname of {label.speaker!r} does not occur in the article")
    if label.role is not None and label.role.lower() not in lowered:
        problems.append(f"{where}: role {label.role!r} does not occur in the article")


def check_overlaps(labels: list[Label], problems: list[str]) -> None:
    """Quotations are disjoint units; a negative may sit inside one (a nested scare quote)."""
    by_path: dict[str, list[Label]] = defaultdict(list)
    for label in labels:
        by_path[label.path].append(label)
    seen: set[tuple[str, int, int]] = set()
    for path, group in by_path.items():
        for label in group:
            key = (path, label.start, label.end)
            if key in seen:
                problems.append(f"speakers.jsonl:{label.line}: span {label.start}-{label.end} of {path} labelled twice")
            seen.add(key)
        quotations = sorted((x for x in group if x.kind != "not-a-quotation"), key=lambda x: x.start)
        for before, after in zip(quotations, quotations[1:]):
            if after.start < before.end:
                problems.append(
                    f"speakers.jsonl:{after.line}: quotation {after.start}-{after.end} of {path} overlaps "
                    f"line {before.line} ({before.start}-{before.end})"
                )


def check_proportions(labels: list[Label], problems: list[str]) -> None:
    """The sizes and shares the set promises."""
    quotations = [x for x in labels if x.kind != "not-a-quotation"]
    kinds = Counter(x.kind for x in labels)
    if len(quotations) < MIN_QUOTATIONS:
        problems.append(f"only {len(quotations)} quotations (at least {MIN_QUOTATIONS})")
    elsewhere = sum(kinds[k] for k in NOT_SAME_SENTENCE)
    if quotations and elsewhere / len(quotations) < MIN_NOT_SAME_SENTENCE_SHARE:
        problems.append(
            f"speaker outside the quotation's own sentence for {elsewhere}/{len(quotations)} "
            f"(at least {MIN_NOT_SAME_SENTENCE_SHARE:.0%})"
        )
    if kinds["unattributed"] < MIN_UNATTRIBUTED:
        problems.append(f"only {kinds['unattributed']} unattributed quotations (at least {MIN_UNATTRIBUTED})")
    if kinds["not-a-quotation"] < MIN_NEGATIVES:
        problems.append(f"only {kinds['not-a-quotation']} not-a-quotation negatives (at least {MIN_NEGATIVES})")
    articles = {x.path for x in quotations}
    if len(articles) < MIN_ARTICLES:
        problems.append(f"quotations from only {len(articles)} articles (at least {MIN_ARTICLES})")
    categories = Counter(x.category for x in quotations)
    for category in CATEGORIES[:-1]:
        if categories[category] < MIN_PER_CATEGORY:
            problems.append(f"only {categories[category]} quotations from {category} (at least {MIN_PER_CATEGORY})")
    unknown = set(categories) - set(CATEGORIES)
    if unknown:
        problems.append(f"paths outside the BBC categories and seed/: {sorted(unknown)}")
    if not any(x.category == "seed" and x.speaker == SEED_SPEAKER for x in quotations):
        problems.append(f"no quotation of the seed article attributed to {SEED_SPEAKER}")


def check_questions(rows: list[tuple[int, dict[str, object]]], labels: list[Label], problems: list[str]) -> Counter[str]:
    """Each question points at a labelled quotation and names its speaker; returns counts by form."""
    by_span = {(x.path, x.start, x.end): x for x in labels if x.kind != "not-a-quotation"}
    forms: Counter[str] = Counter()
    seed_found = False
    for number, row in rows:
        where = f"who-said.jsonl:{number}"
        question, speaker = row.get("question"), row.get("speaker")
        key = (row.get("path"), row.get("start"), row.get("end"))
        forms[str(row.get("form", "unspecified"))] += 1
        if not isinstance(question, str) or not question.startswith("Who said ") or not question.endswith("?"):
            problems.append(f"{where}: question must read 'Who said ...?'")
        label = by_span.get(key)  # type: ignore[arg-type]
        if label is None:
            problems.append(f"{where}: {key} is not a labelled quotation in speakers.jsonl")
        elif label.speaker != speaker:
            problems.append(f"{where}: speaker {speaker!r} but the label says {label.speaker!r}")
        if question == SEED_QUESTION and speaker == SEED_SPEAKER:
            seed_found = True
    if len(rows) < MIN_QUESTIONS:
        problems.append(f"only {len(rows)} who-said questions (at least {MIN_QUESTIONS})")
    if not seed_found:
        problems.append(f"who-said.jsonl lacks the seed question answered by {SEED_SPEAKER}")
    return forms


def print_counts(labels: list[Label], forms: Counter[str], questions: int) -> None:
    """Counts by kind and category, as a small table."""
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for label in labels:
        table[label.kind][label.category] += 1
    width = max(len(k) for k in KINDS)
    print(f"{'kind':<{width}} " + " ".join(f"{c[:5]:>5}" for c in CATEGORIES) + "  total")
    for kind in KINDS:
        row = table[kind]
        print(f"{kind:<{width}} " + " ".join(f"{row[c]:>5}" for c in CATEGORIES) + f"  {sum(row.values()):>5}")
    quotations = [x for x in labels if x.kind != "not-a-quotation"]
    elsewhere = sum(x.kind in NOT_SAME_SENTENCE for x in quotations)
    articles = len({x.path for x in quotations})
    print(
        f"quotations {len(quotations)} from {articles} articles; speaker not in the quotation's own sentence "
        f"{elsewhere} ({elsewhere / max(1, len(quotations)):.0%}); negatives {len(labels) - len(quotations)}"
    )
    print(f"who-said questions {questions}: " + ", ".join(f"{k} {v}" for k, v in sorted(forms.items())))


def main(argv: list[str] | None = None) -> int:
    """Run every check; print counts; 0 when the set is valid."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="BBC folder (default ../shared/data/bbc)")
    parser.add_argument("--speakers", type=Path, default=HERE / "speakers.jsonl")
    parser.add_argument("--questions", type=Path, default=HERE / "who-said.jsonl")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"error: corpus folder {args.corpus} not found (give --corpus)", file=sys.stderr)
        return 2
    problems: list[str] = []
    articles = Articles(args.corpus)
    labels = [
        label
        for number, row in read_jsonl(args.speakers, problems)
        if (label := parse_label(number, row, problems)) is not None
    ]
    for label in labels:
        check_span(label, articles, problems)
    check_overlaps(labels, problems)
    check_proportions(labels, problems)
    question_rows = read_jsonl(args.questions, problems)
    forms = check_questions(question_rows, labels, problems)
    print_counts(labels, forms, len(question_rows))
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    print("ok" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
