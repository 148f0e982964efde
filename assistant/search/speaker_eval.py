"""Speaker attribution measured on an index, as users see it: hand-labelled quotations
(docs/eval/speakers.jsonl) and "who said ...?" questions (docs/eval/who-said.jsonl)."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import EngineError, StoreError
from assistant.text.citations import attribution

NOT_SAME_SENTENCE = ("pronoun", "role", "previous-sentence", "other-paragraph")
KINDS = ("same-sentence", *NOT_SAME_SENTENCE, "unattributed")
SEED_PREFIX = "seed/"
"""Labels of the repository's corpus/ article are written `seed/<file>`."""
_TITLES = re.compile(r"^(?:(?:mr|mrs|ms|miss|dr|prof|professor)\.?\s+)+")


def norm_name(name: str | None) -> str | None:
    """A name compared without Mr/Mrs/Ms/Dr/Prof, case and extra spaces (as score_speakers.py does)."""
    if name is None:
        return None
    return _TITLES.sub("", " ".join(name.casefold().split()))


def _norm_role(role: str | None) -> str | None:
    if role is None:
        return None
    return " ".join(re.sub(r"^(?:a|an|the)\s+", "", role.strip(), flags=re.I).casefold().split())


@dataclass
class WhoSaidReport:
    """"Who said ...?" questions asked of the engine: does the answer's first line name the speaker?"""

    questions: int = 0
    first_line_right: int = 0
    """The first line of the answer names the labelled speaker (for a null label: names nobody)."""
    first_quote_right: int = 0
    """The first quote's speaker (shown under it) is the labelled one (null label: no speaker)."""
    first_quote_holds: int = 0
    """The first quote overlaps the labelled quotation."""
    seconds: float = 0.0
    wrong: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SpeakerReport:
    """Attribution accuracy of the quotations stored in an index, by kind of label."""

    index: str
    labelled: int = 0
    articles: int = 0
    missing: list[str] = field(default_factory=list)
    """Labelled articles the index does not hold (their labels are left out)."""
    right: dict[str, int] = field(default_factory=dict)
    total: dict[str, int] = field(default_factory=dict)
    spans: dict[str, int] = field(default_factory=dict)
    negatives: int = 0
    negatives_stored: int = 0
    roles_labelled: int = 0
    roles_right: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    who_said: WhoSaidReport | None = None

    def rate(self, kinds: tuple[str, ...]) -> tuple[int, int]:
        """(right, total) over `kinds`."""
        return sum(self.right.get(k, 0) for k in kinds), sum(self.total.get(k, 0) for k in kinds)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The objects of a JSON Lines file; ValueError naming the first bad line."""
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from None
        if not isinstance(item, dict) or "path" not in item:
            raise ValueError(f"{path}:{number}: not a labelled quotation (an object with path, start, end)")
        found.append(item)
    return found


def _article_ids(db: sqlite3.Connection, paths: set[str]) -> dict[str, int]:
    """Label path -> article id; a seed label also matches the seed file at the top of the corpus."""
    found: dict[str, int] = {}
    for path in paths:
        for candidate in (path, path[len(SEED_PREFIX):] if path.startswith(SEED_PREFIX) else None):
            if candidate is None:
                continue
            row = db.execute("SELECT id FROM articles WHERE path = ? AND record = 0", (candidate,)).fetchone()
            if row:
                found[path] = int(row[0])
                break
    return found


def score_speakers(db: sqlite3.Connection, labels: list[dict[str, Any]], index: str = "") -> SpeakerReport:
    """Compare each labelled quotation with the stored quotation overlapping it most."""
    from assistant.index.quotation_store import quotation_at

    report = SpeakerReport(index=index)
    ids = _article_ids(db, {label["path"] for label in labels})
    report.missing = sorted({label["path"] for label in labels} - ids.keys())
    report.articles = len(ids)
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    spans: Counter[str] = Counter()
    for label in labels:
        article_id = ids.get(label["path"])
        if article_id is None:
            continue
        start, end = int(label["start"]), int(label["end"])
        stored = quotation_at(db, article_id, start, end)
        if label.get("kind") == "not-a-quotation":
            report.negatives += 1
            # Stored when a quotation of its own covers it, not when it sits inside a longer one.
            if stored is not None and stored.start >= start - 2 and stored.end <= end + 2:
                report.negatives_stored += 1
                report.errors.append({"path": label["path"], "start": start, "end": end, "error": "not a quotation, stored as one"})
            continue
        kind = str(label.get("kind"))
        total[kind] += 1
        if stored is None:
            spans["missed"] += 1
        elif (stored.start, stored.end) == (start, end):
            spans["exact"] += 1
        else:
            spans["overlapping"] += 1
        speaker = stored.speaker if stored is not None else None
        got = speaker.name if speaker is not None else None
        if norm_name(got) == norm_name(label.get("speaker")):
            right[kind] += 1
            if label.get("speaker") is not None and label.get("role"):
                report.roles_labelled += 1
                report.roles_right += _norm_role(speaker.role if speaker else None) == _norm_role(label["role"])
        else:
            report.errors.append({"path": label["path"], "start": start, "end": end, "kind": kind,
                                  "want": label.get("speaker"), "got": got})
    report.labelled = sum(total.values())
    report.right, report.total, report.spans = dict(right), dict(total), dict(spans)
    return report


def score_who_said(engine: Any, questions: list[dict[str, Any]]) -> WhoSaidReport:
    """Ask each question; the first line of the answer (its message, else its first quote with the
    speaker line under it) must name the labelled speaker, or nobody for a null label."""
    report = WhoSaidReport()
    started = time.perf_counter()
    for item in questions:
        report.questions += 1
        answer = engine.ask(item["question"], max_quotes=5)
        first = answer.quotes[0] if answer.quotes else None
        line = first_line(answer)
        want = norm_name(item.get("speaker"))
        speaker = first.speaker if first is not None else None
        got = norm_name(speaker.name) if speaker is not None else None
        if want is None:
            names_someone = bool(line) and _names_a_person(engine, line)
            line_ok = not names_someone
        else:
            line_ok = want in " ".join((line or "").casefold().split())
        report.first_line_right += line_ok
        report.first_quote_right += got == want
        holds = first is not None and _overlaps(first, item)
        report.first_quote_holds += holds
        if not line_ok:
            report.wrong.append({"question": item["question"], "want": item.get("speaker"), "first_line": line,
                                 "first_quote_speaker": speaker.name if speaker else None})
    report.seconds = time.perf_counter() - started
    return report


def first_line(answer: Any) -> str:
    """The line a reader sees first: the answer's own first line (its message), else the first
    quote's speaker line ('— Name, role'), else ''."""

    if answer.message:
        return answer.message.splitlines()[0]
    if answer.quotes:
        return attribution(answer.quotes[0].speaker)
    return ""


def _overlaps(quote: Any, item: dict[str, Any]) -> bool:
    path = str(item.get("path", ""))
    same = quote.path == path or (path.startswith(SEED_PREFIX) and quote.path == path[len(SEED_PREFIX):])
    return same and quote.start < int(item["end"]) and quote.end > int(item["start"])


def _names_a_person(engine: Any, line: str) -> bool:
    text = " ".join(line.casefold().split())
    return any(p.name.casefold() in text for p in engine.people())


def run_speaker_eval(index_dir: Path, labels_file: Path, *, who_said: Path | None = None, model: str | None = None) -> SpeakerReport:
    """Score the index's stored speakers against `labels_file`; with `who_said`, also ask its questions."""
    from assistant.index.stores import open_store

    labels = read_jsonl(labels_file)
    try:
        db = open_store(index_dir).db
    except StoreError as exc:
        raise EngineError(" ".join(str(exc).split())) from exc
    try:
        report = score_speakers(db, labels, str(index_dir))
    finally:
        db.close()
    if who_said is not None:
        from assistant.search.engine import Engine

        questions = [q for q in read_jsonl(who_said) if "question" in q]
        engine = Engine(index_dir, model=model)
        try:
            report.who_said = score_who_said(engine, questions)
        finally:
            engine.close()
    return report


def format_speakers(report: SpeakerReport, *, errors: bool = False) -> str:
    """The report as lines, targets beside the figures."""
    n_right, n_all = report.rate(KINDS)
    r, a = report.rate(NOT_SAME_SENTENCE)
    bad = report.total.get("unattributed", 0) - report.right.get("unattributed", 0)
    lines = [
        f"speakers in index {report.index}: {n_all} labelled quotations in {report.articles} articles"
        + (f" ({len(report.missing)} labelled articles not in the index: left out)" if report.missing else ""),
        f"speaker accuracy overall: {n_right}/{n_all} = {n_right / max(1, n_all):.3f}   (target >= 0.92)",
        f"not in the quotation's own sentence: {r}/{a} = {r / max(1, a):.3f}   (target >= 0.85)",
        f"speaker given where the article names nobody: {bad}/{report.total.get('unattributed', 0)} = "
        f"{bad / max(1, report.total.get('unattributed', 0)):.3f}   (target <= 0.02)",
    ]
    for kind in KINDS:
        if report.total.get(kind):
            lines.append(f"  {kind:18} {report.right.get(kind, 0):4}/{report.total[kind]:<4} = {report.right.get(kind, 0) / report.total[kind]:.3f}")
    lines.append(f"spans: {report.spans.get('exact', 0)} exact, {report.spans.get('overlapping', 0)} overlapping, {report.spans.get('missed', 0)} missed")
    lines.append(f"not-a-quotation negatives stored as quotations: {report.negatives_stored}/{report.negatives}")
    if report.roles_labelled:
        lines.append(f"role right (right speaker, labelled role): {report.roles_right}/{report.roles_labelled} = {report.roles_right / report.roles_labelled:.3f}")
    w = report.who_said
    if w is not None and w.questions:
        lines.append(f"who-said questions: {w.questions} in {w.seconds:.1f}s")
        lines.append(f"  first line names the speaker: {w.first_line_right}/{w.questions} = {w.first_line_right / w.questions:.3f}   (target >= 0.85)")
        lines.append(f"  first quote's speaker right:  {w.first_quote_right}/{w.questions} = {w.first_quote_right / w.questions:.3f}")
        lines.append(f"  first quote holds the quotation: {w.first_quote_holds}/{w.questions} = {w.first_quote_holds / w.questions:.3f}")
    if errors:
        lines += [f"- {e}" for e in report.errors]
        if w is not None:
            lines += [f"- who-said: {e}" for e in w.wrong]
    return "\n".join(lines)
