"""Benchmark output: result rows, the machine description, the Markdown report and docs/benchmarks.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

PACKAGES = ("faiss-cpu", "onnxruntime", "torch", "sentence-transformers", "tokenizers", "numpy", "textual")

_DOC_HEAD = """# Benchmarks

`python -m assistant.bench` (or `assistant bench`) measures every performance target of the project
in one run and prints the table below; `--out docs/benchmarks.md` rewrites the section of this file
for the mode that ran (full or `--quick`), leaving the rest alone. The tests never assert times.

What is measured, and how:

- Start-up, `ask`, and `index` are timed as whole processes (spawn to exit), medians of several runs.
  Peak memory is the child's own `ru_maxrss` (from `wait4`).
- The TUI's first frame: a driver launches the real app headless with an engine factory that never
  returns (so the UI, not the model, is timed) and prints the wall clock at Textual's `Ready` event,
  which follows the first screen refresh; the time counts from spawning the process.
- The indexing reference is fixed (issue 17): a process that imports sentence-transformers, loads the
  model and calls `SentenceTransformer.encode` (batch 32, torch CPU) on every chunk and sentence text of
  a fixed subset of the corpus (every 10th file in a full run), as the two-pass pipeline embedded them.
  A whole `assistant index` run on the same subset is compared with it; in a full run each runs twice,
  alternating, and its best run counts: the speed of this shared VM drifts by tens of percent from one
  minute to the next. One more `assistant index` run on the subset, with timers around each stage, gives
  the per-stage split (`bench/reference.py`). `--baseline none` skips the reference.
- Warm queries are the per-question `seconds` of one `assistant ask -` process (model loaded once).
- Scale: synthetic unit vectors around 2,000 random centres in 384 dimensions (uniform random
  vectors have no real neighbours and would understate recall). The IVF-SQ8 index is trained on
  the first `EXACT_LIMIT` + one commit of vectors, as the indexer does when it switches, and then
  grows. Each index is saved, then loaded and queried one vector at a time in a fresh process
  (RSS before/after loading). Recall@10 is against exact search over the same vectors. The full run
  also checks recall on the real BBC vectors (chunks and sentences) copied with noise up to 1M and
  queried with real question embeddings.
- Whole query at scale: a synthetic index the Engine opens like any other: one million chunks of
  30-110 words drawn with the BBC corpus's word frequencies under real BBC titles (200,000
  five-paragraph articles, one sentence per chunk), clustered unit vectors in an IVF-SQ8 FAISS index
  trained at the indexer's switch size and float16 sentence vectors in SQLite. The bench questions
  go through `Engine.ask` with the real embedding model (20 to warm up, then timed): embedding,
  FAISS, pruned FTS5, sentence scoring and quotes. Retrieval over synthetic text is meaningless;
  its cost is what is measured. The keyword search alone is also timed on the same table with word
  counts not cached (`keywords.plan` + `chunk_matches`), beside the plain OR of every word.
"""


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    target: str
    """What is measured."""
    measured: str
    """The result, with units."""
    goal: str
    """The target it is held against ('' for information only)."""
    ok: bool | None = None
    """Whether the goal is met (None: no goal)."""


@dataclass
class Report:
    """Everything one bench run prints."""

    mode: str
    """'full' or 'quick'."""
    command: str
    """The command line that ran."""
    rows: list[Row] = field(default_factory=list)
    """The main table."""
    details: list[str] = field(default_factory=list)
    """Extra Markdown blocks (sweeps, per-size numbers)."""
    notes: list[str] = field(default_factory=list)
    """Bullet points: caveats, failures, load."""
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    """When the run began."""
    seconds: float = 0.0
    """Duration of the whole run."""
    loads: list[float] = field(default_factory=list)
    """1-minute load averages sampled between steps."""
    others: dict[str, float] = field(default_factory=dict)
    """Per step, the share of the machine's CPU that other processes used meanwhile."""


def load_average() -> float:
    """The 1-minute load average (0 where the OS does not say)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


def cpu_snapshot() -> tuple[float, float]:
    """(CPU seconds the whole machine has been busy, CPU seconds of this process and its waited-for children).

    The difference between two snapshots tells how much CPU other processes took meanwhile.
    """
    own = os.times()
    mine = own.user + own.system + own.children_user + own.children_system
    try:
        fields = Path("/proc/stat").read_text(encoding="ascii").split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0, mine
    ticks = [int(x) for x in fields]
    busy = sum(ticks[:3]) + sum(ticks[5:8])  # user nice system, irq softirq steal (not idle, iowait)
    return busy / os.sysconf("SC_CLK_TCK"), mine


def others_share(before: tuple[float, float], after: tuple[float, float], seconds: float) -> float:
    """Share of the machine's CPU capacity that other processes used between two snapshots."""
    capacity = seconds * (os.cpu_count() or 1)
    other = (after[0] - before[0]) - (after[1] - before[1])
    return max(0.0, other / capacity) if capacity > 0 else 0.0


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor() or "unknown CPU"
    found = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    return found.group(1).strip() if found else platform.processor() or "unknown CPU"


def _ram_gb() -> float:
    try:
        text = Path("/proc/meminfo").read_text(encoding="ascii", errors="replace")
        return int(re.search(r"^MemTotal:\s+(\d+)", text, re.M).group(1)) / 1024**2  # type: ignore[union-attr]
    except (OSError, AttributeError):
        return 0.0


def machine() -> str:
    """One paragraph: CPUs, RAM, CPU model, OS, Python and the versions of the libraries that matter."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    return (
        f"{cpus} CPUs (nproc), {_ram_gb():.1f} GB RAM, {_cpu_model()}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; " + ", ".join(versions)
    )


def _mark(ok: bool | None) -> str:
    return "—" if ok is None else ("yes" if ok else "**NO**")


def table(rows: Sequence[Row]) -> str:
    """The Markdown results table."""
    lines = ["| target | measured | goal | ok? |", "|---|---|---|---|"]
    lines += [f"| {r.target} | {r.measured} | {r.goal or '—'} | {_mark(r.ok)} |" for r in rows]
    return "\n".join(lines)


def render(report: Report) -> str:
    """The whole report of one run, as Markdown."""
    loads = report.loads or [load_average()]
    minutes, seconds = divmod(int(round(report.seconds)), 60)
    parts = [
        f"## {'Quick' if report.mode == 'quick' else 'Full'} run",
        "",
        f"- Command: `{report.command}`",
        f"- Date: {report.started:%Y-%m-%d %H:%M} UTC; the run took {minutes} min {seconds:02d} s",
        f"- Machine: {machine()}",
        f"- Load average (1 min): {loads[0]:.2f} at the start, {max(loads):.2f} at most between steps, "
        f"{loads[-1]:.2f} at the end (the bench's own processes count: up to {os.cpu_count()})",
        "- CPU taken by other processes during each step (share of the machine): "
        + (", ".join(f"{name} {share:.0%}" for name, share in report.others.items()) or "not measured"),
        "",
        table(report.rows),
        "",
    ]
    for block in report.details:
        parts += [block, ""]
    if report.notes:
        parts += ["Notes:", ""] + [f"- {note}" for note in report.notes] + [""]
    return "\n".join(parts).rstrip() + "\n"


def write_doc(path: Path, report: Report) -> None:
    """Replace this mode's section of the benchmarks document (creating the document if needed)."""
    start, end = f"<!-- bench:{report.mode}:start -->", f"<!-- bench:{report.mode}:end -->"
    section = f"{start}\n{render(report)}{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if not text.strip():
        text = _DOC_HEAD + "\n<!-- bench:full:start -->\n<!-- bench:full:end -->\n\n<!-- bench:quick:start -->\n<!-- bench:quick:end -->\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
