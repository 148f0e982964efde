"""Validate the BBC lookup evaluation sets against the corpus and print their counts.

Usage (from the repository root):

    .venv/bin/python docs/eval/check_sets.py [--corpus ../shared/data/bbc] [--show]

Checks, for every set: fields and types; offsets inside the file; each span is exactly one sentence
of `make_fragments.split_sentences` (not the title); no question twice within or across sets.
Per kind: a fragment's words all occur in its sentence; an exact phrase occurs in its sentence and
a near-phrase is one word away from a phrase of it; a paraphrase shares at most two content words
with its sentence; an unanswerable question's `absent_terms` occur nowhere in the corpus; a speaker
question other than 'What did X say about Y?' shares at most two content words with its sentence.
Prints counts per kind and category, paraphrase overlap statistics, and the targets whose sentence
also sits in another file (the same story filed twice). Exit status 1 when any check fails.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_fragments import (  # noqa: E402  (the script's own folder, not a package)
    CATEGORIES,
    DEFAULT_CORPUS,
    HERE,
    Article,
    load_corpus,
    normalise,
    sentence_copies,
    shared_content_words,
    words,
)

SETS = ("lookup-fragments.jsonl", "lookup-paraphrases.jsonl", "lookup-paraphrases-heldout.jsonl", "lookup-paraphrases-heldout2.jsonl", "lookup-paraphrases-heldout3.jsonl", "lookup-paraphrases-heldout4.jsonl", "lookup-paraphrases-heldout5.jsonl", "out-of-corpus-bbc.jsonl", "out-of-corpus-bbc-2.jsonl", "speaker-questions-blind.jsonl")
MAX_SHARED = 2
"""A paraphrase may share at most this many content words with its target sentence."""


class Report:
    """Collects failures; each is one line naming the set, the line number and the problem."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    def fail(self, where: str, message: str) -> None:
        """Record one failed check."""
        self.failures.append(f"{where}: {message}")


def load_rows(path: Path, report: Report) -> list[tuple[int, dict[str, object]]]:
    """(line number, record) for every line of a JSONL file; a bad line is a failure."""
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            report.fail(f"{path.name}:{n}", f"not JSON ({exc})")
            continue
        if not isinstance(record, dict):
            report.fail(f"{path.name}:{n}", "not an object")
            continue
        rows.append((n, record))
    return rows


def check_span(
    where: str, record: dict[str, object], articles: dict[str, Article], report: Report
) -> tuple[Article, int] | None:
    """(article, sentence number) when path/start/end name exactly one sentence of it, else None."""
    path, start, end = record.get("path"), record.get("start"), record.get("end")
    if not isinstance(path, str) or not isinstance(start, int) or not isinstance(end, int):
        report.fail(where, f"path/start/end missing or of the wrong type: {path!r} {start!r} {end!r}")
        return None
    article = articles.get(path)
    if article is None:
        report.fail(where, f"no such corpus file: {path}")
        return None
    if not 0 <= start < end <= len(article.text):
        report.fail(where, f"offsets {start}..{end} outside {path} ({len(article.text)} chars)")
        return None
    for number, sentence in enumerate(article.sentences):
        if sentence.start == start and sentence.end == end:
            return article, number
    report.fail(where, f"{path} {start}..{end} is not one sentence: {article.text[start:end][:80]!r}")
    return None


def check_fragment(where: str, question: str, article: Article, number: int, report: Report) -> str:
    """Four words of the sentence and a surname from it or the sentence before; returns where the name is."""
    sentence = article.sentences[number].text
    terms = question.split()
    if len(terms) != 5:
        report.fail(where, f"fragment has {len(terms)} words, not 5: {question!r}")
    names = [t for t in terms if t[0].isupper()]
    if len(names) != 1:
        report.fail(where, f"fragment needs exactly one capitalised surname: {question!r}")
        return "?"
    missing = [t for t in terms if t not in names and t.lower() not in _forms(sentence)]
    if missing:
        report.fail(where, f"fragment words not in the sentence: {missing}")
    if '"' not in sentence or len(words(sentence)) < 8:
        report.fail(where, "fragment target is not a quotation of 8 words or more")
    if names[0].lower() in _forms(sentence):
        return "same sentence"
    if number > 0 and names[0].lower() in _forms(article.sentences[number - 1].text):
        return "previous sentence"
    report.fail(where, f"surname {names[0]!r} neither in the sentence nor in the one before")
    return "?"


def _forms(text: str) -> set[str]:
    """Lower-cased words of `text`, each also without a possessive 's."""
    low = [w.lower() for w in words(text)]
    return set(low) | {re.sub(r"['’]s$", "", w) for w in low}


def check_phrase(where: str, kind: str, question: str, sentence: str, report: Report) -> None:
    """An exact phrase occurs in the sentence; a near-phrase is one word swapped or dropped from one."""
    if not (question.startswith('"') and question.endswith('"')):
        report.fail(where, f"phrase question is not in double quotes: {question!r}")
        return
    phrase = [w.lower() for w in question[1:-1].split()]
    if not 3 <= len(phrase) <= 6:
        report.fail(where, f"phrase has {len(phrase)} words, not 3-6")
    text = [w.lower() for w in re.findall(r"[A-Za-z0-9']+", sentence)]
    exact = any(text[i : i + len(phrase)] == phrase for i in range(len(text)))
    if kind == "phrase" and not exact:
        report.fail(where, f"phrase not in its sentence: {question!r}")
    if kind == "near-phrase":
        if exact:
            report.fail(where, f"near-phrase occurs exactly: {question!r}")
        elif not _one_word_away(phrase, text):
            report.fail(where, f"near-phrase is not one word away from the sentence: {question!r}")


def _one_word_away(phrase: list[str], text: list[str]) -> bool:
    """True when some window of `text` equals `phrase` with one word swapped, or with one word more."""
    n = len(phrase)
    for i in range(len(text)):
        window = text[i : i + n]
        if len(window) == n and sum(a != b for a, b in zip(window, phrase, strict=True)) == 1:
            return True
        longer = text[i : i + n + 1]
        if len(longer) == n + 1 and any(longer[:k] + longer[k + 1 :] == phrase for k in range(1, n)):
            return True
    return False


def absent_term_hits(term: str, corpus_text: str) -> list[str]:
    """Files whose text holds `term` as whole words, ignoring case (`corpus_text`: lower-cased `_joined`)."""
    pattern = re.compile(r"\s+".join(map(re.escape, term.lower().split())))  # a literal prefix: fast
    hits = set()
    for m in pattern.finditer(corpus_text):
        before = corpus_text[m.start() - 1] if m.start() else " "
        after = corpus_text[m.end()] if m.end() < len(corpus_text) else " "
        if not (before.isalnum() or before in "_-" or after.isalnum() or after in "_-"):
            hits.add(_path_before(corpus_text, m.start()))
    return sorted(hits)


def _joined(articles: dict[str, Article]) -> str:
    """Every article as '\x00path\x00text', one string, so a term is searched once."""
    return "".join(f"\x00{path}\x00{article.text}" for path, article in articles.items())


def _path_before(corpus_text: str, offset: int) -> str:
    """The path of the article holding `offset` in the `_joined` text."""
    text_start = corpus_text.rfind("\x00", 0, offset)
    path_start = corpus_text.rfind("\x00", 0, text_start)
    return corpus_text[path_start + 1 : text_start]


def main(argv: list[str] | None = None) -> int:
    """Run every check; print counts; 0 when all pass."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--sets", type=Path, default=HERE, help="folder holding the three JSONL files")
    parser.add_argument("--show", action="store_true", help="print each question with its target sentence")
    args = parser.parse_args(argv)

    corpus = load_corpus(args.corpus)
    articles = {a.path: a for a in corpus}
    copies = sentence_copies(corpus)
    corpus_text = _joined(articles).lower()
    report = Report()
    seen_questions: dict[str, str] = {}
    counts: Counter[tuple[str, str, str]] = Counter()
    targets_per_set: dict[str, set[str]] = defaultdict(set)
    overlaps: list[int] = []
    name_places: Counter[str] = Counter()
    duplicates: list[tuple[str, str, str, list[str]]] = []

    for name in SETS:
        path = args.sets / name
        if not path.exists():
            report.fail(name, "missing")
            continue
        for n, record in load_rows(path, report):
            where = f"{name}:{n}"
            question = record.get("question")
            if not isinstance(question, str) or not question.strip():
                report.fail(where, "no question")
                continue
            key = " ".join(question.lower().split())
            if key in seen_questions:
                report.fail(where, f"question repeated (first at {seen_questions[key]}): {question!r}")
            seen_questions.setdefault(key, where)

            answerable = record.get("answerable", True)
            kind = str(record.get("kind") or ("in-corpus" if answerable else "out-of-corpus"))
            if answerable is False:
                if any(record.get(k) is not None for k in ("path", "start", "end")):
                    report.fail(where, "unanswerable question with a path or offsets")
                terms = record.get("absent_terms")
                if not isinstance(terms, list) or not terms:
                    report.fail(where, "unanswerable question without absent_terms")
                    terms = []
                for term in terms:
                    hits = absent_term_hits(str(term), corpus_text)
                    if hits:
                        report.fail(where, f"{term!r} does occur in the corpus: {hits[:3]}")
                counts[(name, kind, "-")] += 1
                if args.show:
                    print(f"[{name} {kind}] {question}\n    absent: {terms}")
                continue

            span = check_span(where, record, articles, report)
            if span is None:
                continue
            article, number = span
            sentence = article.sentences[number].text
            target = article.path
            category = target.split("/", 1)[0]
            counts[(name, kind, category)] += 1
            targets_per_set[name].add(target)
            if kind == "fragment":
                name_places[check_fragment(where, question, article, number, report)] += 1
            elif kind in ("phrase", "near-phrase"):
                check_phrase(where, kind, question, sentence, report)
            elif kind == "paraphrase":
                shared = shared_content_words(question, sentence)
                overlaps.append(len(shared))
                if len(shared) > MAX_SHARED:
                    report.fail(where, f"paraphrase shares {len(shared)} content words: {shared}")
            elif kind == "speaker":
                # 'What did X say about Y?' may share more: X's name and Y's words are in the sentence.
                if not record.get("question", "").lower().startswith("what did") and len(shared_content_words(question, sentence)) > MAX_SHARED:
                    report.fail(where, f"speaker question shares more than {MAX_SHARED} content words")
            elif kind != "in-corpus":
                report.fail(where, f"unknown kind {kind!r}")
            others = sorted({p for p, _, _ in copies[normalise(sentence)] if p != target})
            if others:
                duplicates.append((name, target, question, others))
            if args.show:
                print(f"[{name} {kind}] {question}\n    {target}: {sentence}")

    _print_counts(counts, targets_per_set)
    _print_overlaps(overlaps)
    if name_places:
        print("Fragment surnames found in: " + ", ".join(f"{k}: {v}" for k, v in sorted(name_places.items())))
    print(f"\nTargets whose sentence also sits in another file (same story twice): {len(duplicates)}")
    for name, target, question, others in duplicates:
        print(f"  {name}: {target} = {', '.join(others)}   ({question[:60]})")
    if report.failures:
        print(f"\n{len(report.failures)} check(s) failed:")
        for line in report.failures:
            print("  " + line)
        return 1
    print("\nAll checks passed.")
    return 0


def _print_counts(counts: Counter[tuple[str, str, str]], targets: dict[str, set[str]]) -> None:
    """A table of questions per set, kind and category."""
    columns = (*CATEGORIES, "-")
    print(f"{'set':28} {'kind':14} " + " ".join(f"{c[:6]:>6}" for c in columns) + "  total  articles")
    for name in SETS:
        kinds = sorted({k for s, k, _ in counts if s == name})
        for kind in kinds:
            row = [counts[(name, kind, c)] for c in columns]
            print(f"{name:28} {kind:14} " + " ".join(f"{v:>6}" for v in row) + f"  {sum(row):>5}")
        total = sum(v for (s, _, _), v in counts.items() if s == name)
        print(f"{'':28} {'all':14} {'':>{7 * len(columns) - 1}}  {total:>5}  {len(targets.get(name, ())):>8}")


def _print_overlaps(overlaps: list[int]) -> None:
    """How many content words the paraphrases share with their target sentences."""
    if not overlaps:
        return
    spread = Counter(overlaps)
    mean = sum(overlaps) / len(overlaps)
    print(f"\nParaphrase content words shared with the target sentence (limit {MAX_SHARED}): "
          + ", ".join(f"{k}: {spread[k]}" for k in sorted(spread)) + f"; mean {mean:.2f}")


if __name__ == "__main__":
    sys.exit(main())
