"""`assistant eval`: retrieval and quote quality on SQuAD 2.0, with in-corpus and out-of-corpus abstention."""

from __future__ import annotations

import json
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.search.answer import AnswerPolicy
from assistant.search.retrieval import Weights
from assistant.errors import StoreError


@dataclass(frozen=True)
class EvalQuestion:
    """One SQuAD question with where its gold paragraph sits in the written corpus file."""

    qid: str
    """SQuAD id."""
    question: str
    """Question text."""
    path: str
    """Corpus file of its article."""
    start: int
    """Gold paragraph start offset in that file's text."""
    end: int
    """Gold paragraph end offset."""
    answers: tuple[str, ...]
    """Gold answer strings (empty for unanswerable)."""
    kind: str
    """answerable, unanswerable, or outside (its article is not indexed)."""


@dataclass(frozen=True)
class EvalReport:
    """The numbers `assistant eval` prints."""

    questions: dict[str, int]
    """Questions per kind."""
    recall_at_1: float
    """Share of answerable questions whose first chunk overlaps the gold paragraph and contains an answer."""
    recall_at_5: float
    """The same within the first five chunks."""
    recall_at_10: float
    """The same within the first ten chunks."""
    mrr_at_10: float
    """Mean reciprocal rank of the first such chunk (0 beyond ten)."""
    quote_hit_at_1: float
    """The first quote contains an answer and lies in the gold paragraph."""
    quote_hit_at_3: float
    """One of the first three quotes does."""
    answered_rate: float
    """Answerable questions answered (not abstained)."""
    abstain_unanswerable: float
    """SQuAD 2.0 unanswerable questions abstained on."""
    abstain_outside: float | None
    """Questions about articles left out of the index abstained on (None without --exclude-title)."""
    queries_per_second: float
    """Questions answered per second, warm, one at a time."""
    threshold: float
    """Abstention threshold in force (on the confidence: mean of best sentence and chunk cosine)."""
    calibrated_threshold: float = 0.0
    """The threshold at which 97% of answerable questions would be answered on this data."""
    abstain_unanswerable_at_95: float = 0.0
    """Unanswerable questions abstained at the threshold that answers 95% of answerable ones."""
    scores: dict[str, list[float]] = field(default_factory=dict)
    """Confidence per question kind, for calibration."""


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def read_squad(squad_file: Path) -> list[Any]:
    """The articles of a SQuAD file (its `data` list); ValueError naming the file when it is not one."""
    try:
        data = json.loads(squad_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{squad_file}: not a readable SQuAD JSON file ({' '.join(str(exc).split())})") from None
    articles = data.get("data") if isinstance(data, dict) else None
    if not isinstance(articles, list):
        raise ValueError(f"{squad_file}: not a SQuAD file (expected an object with a \"data\" list of articles)")
    if not articles:
        raise ValueError(f"{squad_file}: the SQuAD file has no articles (its \"data\" list is empty)")
    return articles


def write_corpus(squad_file: Path, folder: Path, exclude_titles: list[str]) -> list[EvalQuestion]:
    """Write each SQuAD article as `title, blank line, paragraphs`; return the questions with gold spans.

    Raises ValueError naming the file when it is not a SQuAD file or holds no article to index or question to ask.
    """
    try:
        return _write_corpus(squad_file, read_squad(squad_file), folder, exclude_titles)
    except (KeyError, TypeError, AttributeError) as exc:
        problem = f"missing field {exc}" if isinstance(exc, KeyError) else " ".join(str(exc).split())
        raise ValueError(f"{squad_file}: not a SQuAD 2.0 file ({problem})") from None


def _write_corpus(squad_file: Path, data: list[Any], folder: Path, exclude_titles: list[str]) -> list[EvalQuestion]:
    """write_corpus on the file's articles; KeyError or TypeError when one is not shaped as SQuAD's are."""
    excluded = {t.lower().replace("_", " ") for t in exclude_titles}
    questions: list[EvalQuestion] = []
    written = 0
    for number, article in enumerate(data):
        title = article["title"].replace("_", " ")
        name = article_file_name(number, article["title"])
        outside = title.lower() in excluded
        text = title + "\n\n"
        for para in article["paragraphs"]:
            context = para["context"].strip()
            start = len(text)
            text += context + "\n\n"
            for qa in para["qas"]:
                answers = tuple(a["text"] for a in qa.get("answers", []) if a["text"].strip())
                impossible = bool(qa.get("is_impossible")) or not answers
                if outside:
                    if impossible:
                        continue
                    kind = "outside"
                else:
                    kind = "unanswerable" if impossible else "answerable"
                questions.append(EvalQuestion(qa["id"], qa["question"], name, start, start + len(context), answers, kind))
        if not outside:
            (folder / name).write_text(text, encoding="utf-8")
            written += 1
    if not written:
        raise ValueError(f"{squad_file}: every article is excluded (--exclude-title): nothing left to index")
    if not questions:
        raise ValueError(f"{squad_file}: the SQuAD file has no questions (no \"qas\" in any paragraph)")
    return questions


_UNSAFE_IN_NAMES = re.compile(r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|]')
"""Characters a file name cannot hold (the path separators, NUL) or that some systems or shells choke on."""


def article_file_name(number: int, title: str) -> str:
    """The corpus file of the `number`th SQuAD article: `NNN_` and its title's first 40 characters, each separator,
    control or otherwise unsafe character made `_` ('AC/DC' -> '000_AC_DC.txt'); the number keeps two titles that
    read the same once made safe ('AC/DC', 'AC_DC') in files of their own."""
    return f"{number:03d}_{_UNSAFE_IN_NAMES.sub('_', title[:40])}.txt"


def _hit(text: str, start: int, end: int, q: EvalQuestion) -> bool:
    if start >= q.end or end <= q.start:
        return False
    lowered = _normalise(text)
    return any(_normalise(a) in lowered for a in q.answers)


@dataclass
class Setup:
    """An indexed SQuAD corpus with its questions, reusable across weight settings."""

    engine: Any
    questions: list[EvalQuestion]
    workdir: Any


def prepare(
    squad_file: Path, *, exclude_titles: list[str] | None = None, model: str | None = None, backend: str | None = None, embedder: Any = None,
    store: str | None = None,
) -> Setup:
    """Write the corpus to a temporary folder, index it and open an engine on it (in `store`, a PostgreSQL
    URL, emptied first, when given; else in a temporary index folder)."""
    from assistant.search.engine import Engine
    from assistant.index.indexer import build_index

    workdir = tempfile.TemporaryDirectory(prefix="assistant-eval-")
    root = Path(workdir.name)
    corpus, index = root / "corpus", root / "index"
    corpus.mkdir()
    questions = write_corpus(squad_file, corpus, exclude_titles or [])
    if embedder is None:
        from assistant.embedding.registry import DEFAULT_BACKEND, load_embedder

        embedder = load_embedder(model, backend or DEFAULT_BACKEND)
    location: Path | str = store or index
    if store:
        _check_scratch_store(store)
    build_index(corpus, location, embedder=embedder, rebuild=bool(store))
    return Setup(Engine(location, embedder=embedder), questions, workdir)


def score(setup: Setup, weights: Weights | None = None, policy: AnswerPolicy | None = None) -> EvalReport:
    """Ask every question and compute the metrics."""
    engine = setup.engine
    engine.weights = weights or engine.weights
    engine.policy = policy or engine.policy
    articles = engine.store.article_paths()
    chunk_rows = engine.store.chunk_spans()
    recall = {1: 0, 5: 0, 10: 0}
    mrr = 0.0
    qhit1 = qhit3 = answered = abst_un = abst_out = 0
    counts: dict[str, int] = {}
    scores: dict[str, list[float]] = {}
    started = time.perf_counter()
    for q in setup.questions:
        counts[q.kind] = counts.get(q.kind, 0) + 1
        answer, found = engine.answer_with_evidence(q.question, max_quotes=5)
        scores.setdefault(q.kind, []).append(round(float(answer.extra.get("confidence", 0.0)), 4))
        if q.kind == "unanswerable":
            abst_un += not answer.answered
            continue
        if q.kind == "outside":
            abst_out += not answer.answered
            continue
        answered += answer.answered
        ranked = list(found.chunk_ids[:10]) if found else []
        for rank, chunk_id in enumerate(ranked, start=1):
            article_id, start, end = chunk_rows[chunk_id]
            if articles[article_id] != q.path:
                continue
            text = engine.store.text_span(article_id, start, end) or ""
            if _hit(text, start, end, q):
                for k in recall:
                    recall[k] += rank <= k
                mrr += 1.0 / rank
                break
        hits = [quote.path == q.path and _hit(quote.text, quote.start, quote.end, q) for quote in answer.quotes]
        qhit1 += bool(hits[:1] and hits[0])
        qhit3 += any(hits[:3])
    elapsed = time.perf_counter() - started
    n = max(counts.get("answerable", 0), 1)
    return EvalReport(
        questions=counts,
        recall_at_1=recall[1] / n,
        recall_at_5=recall[5] / n,
        recall_at_10=recall[10] / n,
        mrr_at_10=mrr / n,
        quote_hit_at_1=qhit1 / n,
        quote_hit_at_3=qhit3 / n,
        answered_rate=answered / n,
        abstain_unanswerable=abst_un / max(counts.get("unanswerable", 0), 1),
        abstain_outside=abst_out / counts["outside"] if counts.get("outside") else None,
        queries_per_second=len(setup.questions) / elapsed if elapsed else 0.0,
        threshold=engine.policy.abstain_below,
        calibrated_threshold=quantile(scores.get("answerable", []), 0.03),
        abstain_unanswerable_at_95=_below(scores.get("unanswerable", []), quantile(scores.get("answerable", []), 0.05)),
        scores=scores,
    )


def quantile(values: list[float], q: float) -> float:
    """The q-quantile (linear interpolation), 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _below(values: list[float], threshold: float) -> float:
    return sum(v < threshold for v in values) / len(values) if values else 0.0


def _check_scratch_store(url: str) -> None:
    """Evaluation empties the store it builds in: only an empty one, or one an earlier evaluation filled, will do
    (ASSISTANT_STORE may name a team's shared archive)."""
    from assistant.index.postgres import connect, safe_url, schema_version

    try:
        db = connect(url)
    except StoreError as exc:
        raise ValueError(str(exc)) from exc
    try:
        if schema_version(db) is None:
            return
        row = db.raw("SELECT value FROM meta WHERE key = 'corpus'").fetchone()
        articles = db.raw("SELECT count(*) FROM articles").fetchone()[0]
    finally:
        db.close()
    corpus = str(row[0]) if row else ""
    if articles and "assistant-eval-" not in corpus:
        raise ValueError(f"{safe_url(url)} holds an index of {corpus or 'another corpus'}; evaluation empties the store it "
                         "builds in, so give it an empty database")


def run_eval(
    squad_file: Path, *, exclude_titles: list[str] | None = None, model: str | None = None, backend: str | None = None,
    store: str | None = None,
) -> EvalReport:
    """Index the SQuAD file's articles in a temporary folder (or `store`) and measure everything."""
    setup = prepare(squad_file, exclude_titles=exclude_titles, model=model, backend=backend, store=store)
    try:
        return score(setup)
    finally:
        setup.engine.close()
        setup.workdir.cleanup()


def format_report(report: EvalReport) -> str:
    """A Markdown table of the report."""
    rows = [
        ("questions", ", ".join(f"{k} {v}" for k, v in sorted(report.questions.items()))),
        ("passage recall@1", f"{report.recall_at_1:.3f}"),
        ("passage recall@5", f"{report.recall_at_5:.3f}"),
        ("passage recall@10", f"{report.recall_at_10:.3f}"),
        ("MRR@10", f"{report.mrr_at_10:.3f}"),
        ("quote-hit@1", f"{report.quote_hit_at_1:.3f}"),
        ("quote-hit@3", f"{report.quote_hit_at_3:.3f}"),
        ("answered (answerable)", f"{report.answered_rate:.3f}"),
        ("abstained (SQuAD unanswerable)", f"{report.abstain_unanswerable:.3f}"),
        ("abstained (out of corpus)", "-" if report.abstain_outside is None else f"{report.abstain_outside:.3f}"),
        ("queries/second", f"{report.queries_per_second:.1f}"),
        ("abstention threshold", f"{report.threshold:.3f}"),
        ("threshold answering 97% of answerable", f"{report.calibrated_threshold:.3f}"),
        ("unanswerable abstained at 95% answered", f"{report.abstain_unanswerable_at_95:.3f}"),
    ]
    return "| metric | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)





@dataclass(frozen=True)
class LookupItem:
    """One lookup: a query and the sentence it should find (path None: the corpus cannot answer it)."""

    question: str
    path: str | None
    start: int | None
    end: int | None
    kind: str
    """The line's kind, or 'answerable' / 'unanswerable' for out-of-corpus sets."""


@dataclass(frozen=True)
class LookupReport:
    """Lookup hit rates: a hit is a quote overlapping the target span, or one listing a copy of it in also_in."""

    method: str
    """full (the engine), bm25 (sentence BM25 only) or dense (sentence cosine only)."""
    questions: dict[str, int]
    """Lookups per kind."""
    hit_at_1: float
    """Answerable lookups whose first quote is a hit."""
    hit_at_3: float
    """... one of the first three."""
    answered: float
    """Answerable lookups answered (not called weak)."""
    abstained: float | None
    """Unanswerable lookups abstained on (None when the set has none)."""
    by_kind: dict[str, dict[str, float]]
    """hit@1, hit@3 and answered per kind."""
    p50_ms: float
    """Median time per lookup."""
    misses: list[str] = field(default_factory=list)
    """Questions whose first quote missed (full method only)."""


def read_lookups(path: Path) -> list[LookupItem]:
    """Lookups from a JSONL file of {"question", "path", "start", "end"} (optional "kind", "answerable")."""
    items: list[LookupItem] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            question = str(row["question"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a lookup line ({exc})") from None
        target = row.get("path")
        if "answerable" in row:
            kind = "answerable" if row["answerable"] else "unanswerable"
        else:
            kind = str(row.get("kind") or "lookup")
        if target is not None and (not isinstance(row.get("start"), int) or not isinstance(row.get("end"), int)):
            raise ValueError(f"{path}:{number}: start and end must be integers")
        items.append(LookupItem(question, target, row.get("start"), row.get("end"), kind if target is not None else "unanswerable"))
    return items


def _overlaps(path: str, start: int, end: int, item: LookupItem) -> bool:
    return path == item.path and item.start is not None and item.end is not None and start < item.end and end > item.start


def quote_hits(quote: Any, item: LookupItem) -> bool:
    """A quote overlapping the target, or listing an overlapping copy of it in also_in."""
    if _overlaps(quote.path, quote.start, quote.end, item):
        return True
    return any(_overlaps(loc.path, loc.start, loc.end, item) for loc in quote.also_in)


def score_lookups(engine: Any, items: list[LookupItem], method: str = "full") -> LookupReport:
    """Run every lookup with the engine (or a baseline over the same index) and compute hit rates."""
    import numpy as np

    searcher = _baseline(engine, method) if method != "full" else None
    counts: dict[str, int] = {}
    per: dict[str, list[tuple[bool, bool, bool]]] = {}
    abstained: list[bool] = []
    times: list[float] = []
    misses: list[str] = []
    for item in items:
        counts[item.kind] = counts.get(item.kind, 0) + 1
        began = time.perf_counter()
        if searcher is None:
            answer = engine.ask(item.question, max_quotes=5)
            hits = [quote_hits(q, item) for q in answer.quotes]
            answered = bool(answer.answered)
        else:
            hits = [quote_hits(q, item) for q in searcher(item.question)]
            answered = bool(hits is not None)
        times.append(time.perf_counter() - began)
        if item.path is None:
            abstained.append(not answered)
            continue
        per.setdefault(item.kind, []).append((bool(hits[:1] and hits[0]), any(hits[:3]), answered))
        if searcher is None and not (hits[:1] and hits[0]):
            misses.append(item.question)
    every = [r for rows in per.values() for r in rows]

    def rates(rows: list[tuple[bool, bool, bool]]) -> dict[str, float]:
        n = max(len(rows), 1)
        return {"hit_at_1": sum(r[0] for r in rows) / n, "hit_at_3": sum(r[1] for r in rows) / n, "answered": sum(r[2] for r in rows) / n}

    total = rates(every)
    return LookupReport(
        method=method,
        questions=counts,
        hit_at_1=total["hit_at_1"],
        hit_at_3=total["hit_at_3"],
        answered=total["answered"],
        abstained=sum(abstained) / len(abstained) if abstained else None,
        by_kind={k: rates(v) for k, v in per.items()},
        p50_ms=float(np.median(times) * 1000) if times else 0.0,
        misses=misses,
    )


@dataclass(frozen=True)
class _Hit:
    path: str
    start: int
    end: int
    also_in: tuple[Any, ...] = ()


def _baseline(engine: Any, method: str) -> Any:
    """A searcher returning the best three sentences by BM25 (FTS5, porter stemming, every sentence)
    or by cosine (every stored, title-prefixed sentence vector), for comparison with the engine."""
    import numpy as np

    from assistant.search.keywords import phrase, search_words

    paths = engine.store.article_paths()
    if method == "bm25":

        def bm25(question: str) -> list[_Hit]:
            terms = search_words(question)
            if not terms:
                return []
            found = engine.store.lexical_sentences(" OR ".join(phrase(t) for t in terms), 3, engine.weights.title_weight)
            rows = {r.id: r for r in engine.store.sentences_by_id([i for i, _ in found])}
            return [_Hit(paths[rows[i].article_id], rows[i].start, rows[i].end) for i, _ in found if i in rows]

        return bm25
    if method != "dense":
        raise ValueError(f"unknown lookup method {method!r} (full, bm25 or dense)")
    rows = engine.store.all_sentences()
    matrix = np.frombuffer(b"".join(r.vector for r in rows), dtype=np.float16).reshape(len(rows), -1).astype(np.float32)

    def dense(question: str) -> list[_Hit]:
        vector = np.asarray(engine.embedder.encode([question])[0], dtype=np.float32)
        best = np.argsort(-(matrix @ vector))[:3]
        return [_Hit(paths[rows[i].article_id], rows[i].start, rows[i].end) for i in best]

    return dense


def run_lookup_eval(index_dir: Path, lookup_file: Path, *, methods: tuple[str, ...] = ("full",), model: str | None = None) -> list[LookupReport]:
    """Open the index and score the lookups of a JSONL file with each method."""
    from assistant.search.engine import Engine

    items = read_lookups(lookup_file)
    engine = Engine(index_dir, model=model)
    try:
        return [score_lookups(engine, items, m) for m in methods]
    finally:
        engine.close()


def format_lookup(reports: list[LookupReport]) -> str:
    """A Markdown table: one row per method and kind."""
    lines = ["| method | kind | n | hit@1 | hit@3 | answered | abstained | p50 ms |", "|---|---|---|---|---|---|---|---|"]
    for r in reports:
        for kind, rates in sorted(r.by_kind.items()):
            n = r.questions.get(kind, 0)
            lines.append(f"| {r.method} | {kind} | {n} | {rates['hit_at_1']:.3f} | {rates['hit_at_3']:.3f} | {rates['answered']:.3f} | | |")
        abst = "-" if r.abstained is None else f"{r.abstained:.3f}"
        lines.append(
            f"| {r.method} | all | {sum(r.questions.values())} | {r.hit_at_1:.3f} | {r.hit_at_3:.3f} | {r.answered:.3f} | {abst} | {r.p50_ms:.1f} |"
        )
    return "\n".join(lines)
