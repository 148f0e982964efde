"""The benchmark suite: `python -m assistant.bench [--quick] [--out docs/benchmarks.md]` prints every target as a Markdown table."""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from assistant.bench.plan import Plan
from assistant.bench.report import Report, Row, load_average, render, write_doc
from assistant.bench.steps import Steps

STEPS = ("help", "tui", "index", "rerun", "ask", "warm", "scale", "real", "fts", "mcp", "watch")


def _default_corpus() -> Path:
    """../shared/data/bbc from the working folder, else from the repository that holds this package."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        candidate = (base / ".." / "shared" / "data" / "bbc").resolve()
        if candidate.is_dir():
            return candidate
    return Path("../shared/data/bbc")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="assistant bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="Small sizes: under 2 minutes.")
    p.add_argument("--out", type=Path, help="Write the report into this Markdown file (e.g. docs/benchmarks.md).")
    p.add_argument("--corpus", type=Path, default=None, help="Corpus folder (default ../shared/data/bbc).")
    p.add_argument("--index", type=Path, help="Use this existing index of the corpus for re-run/ask/warm.")
    p.add_argument("--only", help=f"Comma-separated steps to run, of: {', '.join(STEPS)}.")
    p.add_argument("--skip", default="", help="Comma-separated steps to leave out.")
    p.add_argument("--backend", default="onnx-int8", help="Backend measured (default onnx-int8).")
    p.add_argument("--baseline", default="sentence-transformers",
                   help="The indexing reference: sentence-transformers (default), or none to skip it.")
    p.add_argument("--compare-every", type=int, help="Baseline subset: every n-th file (default 10; quick 25).")
    p.add_argument("--compare-runs", type=int, help="Runs of each backend on that subset, best counts (default 2; quick 1).")
    p.add_argument("--questions", type=int, help="Warm-batch questions (default 200; quick 100).")
    p.add_argument("--runs", type=int, help="Runs per process median (default 5; quick 3).")
    p.add_argument("--scale", type=int, help="Synthetic vectors (default 1,000,000; quick 200,000).")
    p.add_argument("--real", type=int, help="Real vectors copied with noise (default 1,000,000; quick 0 = skip).")
    p.add_argument("--fts", type=int, help="Chunks of the synthetic index for the whole-query step (default 1,000,000; quick 200,000).")
    p.add_argument("--workdir", type=Path, help="Scratch folder (default a new temp folder, deleted at the end).")
    p.add_argument("--wait-load", type=float, default=0.0, help="First wait (up to 10 min) for the load average to drop below this.")
    return p


def make_plan(args: argparse.Namespace) -> Plan:
    """Resolve defaults by mode."""
    quick = bool(args.quick)
    steps = set(args.only.split(",")) if args.only else set(STEPS)
    steps -= set(filter(None, args.skip.split(",")))
    unknown = steps - set(STEPS)
    if unknown:
        raise SystemExit(f"unknown step(s): {', '.join(sorted(unknown))}; choose from {', '.join(STEPS)}")

    def pick(value: int | None, full: int, short: int) -> int:
        return value if value is not None else (short if quick else full)

    return Plan(
        corpus=(args.corpus or _default_corpus()).resolve(),
        quick=quick,
        steps=frozenset(steps),
        backend=args.backend,
        baseline=args.baseline,
        compare_every=pick(args.compare_every, 10, 25),
        compare_runs=pick(args.compare_runs, 2, 1),
        full_index=not quick and args.index is None,
        index=args.index.resolve() if args.index else None,
        questions=pick(args.questions, 200, 100),
        runs=pick(args.runs, 5, 3),
        scale=pick(args.scale, 1_000_000, 200_000),
        real=pick(args.real, 1_000_000, 0),
        fts=pick(args.fts, 1_000_000, 200_000),
    )


def _wait_for_load(limit: float, patience: float = 600.0) -> None:
    deadline = time.monotonic() + patience
    while limit and load_average() >= limit and time.monotonic() < deadline:
        print(f"waiting for the load average ({load_average():.2f}) to drop below {limit}", file=sys.stderr)
        time.sleep(20)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite, print the Markdown report, and write it to --out."""
    args = _parser().parse_args(argv)
    plan = make_plan(args)
    if not plan.corpus.is_dir():
        raise SystemExit(f"corpus folder not found: {plan.corpus} (pass --corpus)")
    _wait_for_load(args.wait_load)
    command = "python -m assistant.bench " + " ".join(sys.argv[1:] if argv is None else argv)
    report = Report(mode="quick" if plan.quick else "full", command=command.strip())
    # A plain kill must still delete the scratch folder (gigabytes at full size): exit through finally.
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum)) if main_thread else None
    own_dir = args.workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="assistant-bench-")) if own_dir else args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        Steps(plan, workdir, report, started).run_all()
    finally:
        if own_dir:
            shutil.rmtree(workdir, ignore_errors=True)
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    report.seconds = time.perf_counter() - started
    budget = 120 if plan.quick else 900
    report.rows.append(
        Row(f"This benchmark run ({report.mode})", f"{report.seconds / 60:.1f} min", f"< {budget // 60} min", report.seconds < budget)
    )
    text = render(report)
    print(text)
    if args.out:
        write_doc(args.out, report)
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
