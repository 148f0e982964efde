"""Whole-process measurements for the benchmark: start-up, TUI first frame, indexing, cold and warm asks."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# Launches the real chat app headless with an engine that never arrives, and prints the wall-clock
# time of the first frame (Textual's Ready event comes after the first screen refresh).
_TUI_DRIVER = r"""
import sys, threading, time
import assistant.__main__, assistant.tui.start  # what `assistant` alone imports before the app (no click since issue 17)
from pathlib import Path
from assistant.settings import Settings
from assistant.tui.app import AssistantApp

here = Path(sys.argv[1])
gate = threading.Event()

def slow_engine(on_progress):
    gate.wait(30)  # stands in for loading the model: the UI must not wait for it
    raise RuntimeError("benchmark: no engine")

class Timed(AssistantApp):
    CSS_PATH = str(Path(sys.modules[AssistantApp.__module__].__file__).with_name("app.tcss"))

    def on_ready(self) -> None:
        print(f"FIRST_FRAME {time.time():.6f} {time.process_time():.6f}", flush=True)
        gate.set()
        self.exit()

app = Timed(Settings(corpus=here / "corpus", index=here / "index"), slow_engine, here / "sessions")
app.run(headless=True, size=(120, 36))
"""


@dataclass(frozen=True)
class Timed:
    """One child process, timed from outside."""

    seconds: float
    """Wall time from spawn to exit."""
    max_rss_mb: float
    """Peak resident memory of the child (from wait4's rusage)."""
    cpu_seconds: float
    """User plus system CPU time of the child: less disturbed than wall time by other processes."""
    returncode: int
    """Exit code."""
    stdout: str
    """What it printed."""
    stderr: str
    """What it printed on stderr."""


def assistant_command() -> list[str]:
    """The installed `assistant` script next to this Python, else `python -m assistant`."""
    script = Path(sys.executable).with_name("assistant")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "assistant"]


def child_env(workdir: Path) -> dict[str, str]:
    """The environment without ASSISTANT_* settings or a user config file: only the bench's arguments count."""
    kept = ("ASSISTANT_CACHE_DIR", "ASSISTANT_SENTENCE_VECTORS")  # the ONNX cache; pooled sentence vectors (issue 17)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_") or k in kept}
    env["XDG_CONFIG_HOME"] = str(workdir / "no-config")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_timed(cmd: Sequence[str], workdir: Path, *, stdin: Path | None = None, check: bool = True) -> Timed:
    """Run `cmd` to completion; wall time and the child's own peak RSS (not the bench's)."""
    out_path, err_path = workdir / "child.out", workdir / "child.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err, open(stdin or os.devnull, "rb") as inp:
        started = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdin=inp, stdout=out, stderr=err, env=child_env(workdir), cwd=workdir)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted (Ctrl-C, the bench killed): take the child down too
            proc.kill()
            proc.wait()
            raise
        seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    result = Timed(
        seconds,
        usage.ru_maxrss / 1024,  # kilobytes on Linux
        usage.ru_utime + usage.ru_stime,
        proc.returncode,
        out_path.read_text(encoding="utf-8", errors="replace"),
        err_path.read_text(encoding="utf-8", errors="replace"),
    )
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {result.returncode}: {result.stderr.strip()[-500:]}")
    return result


def median_seconds(cmd: Sequence[str], workdir: Path, runs: int) -> tuple[float, list[float]]:
    """Median wall time of `runs` runs of `cmd` (and every run's time)."""
    times = [run_timed(cmd, workdir).seconds for _ in range(runs)]
    return statistics.median(times), times


@dataclass(frozen=True)
class StartUp:
    """Medians of a start-up measurement over several processes."""

    seconds: float
    """Wall time (what a user waits)."""
    cpu_seconds: float
    """User plus system CPU time: what the machine's other work disturbs least."""


def median_start(cmd: Sequence[str], workdir: Path, runs: int) -> StartUp:
    """Median wall and CPU time of `runs` runs of `cmd`."""
    done = [run_timed(cmd, workdir) for _ in range(runs)]
    return StartUp(statistics.median(r.seconds for r in done), statistics.median(r.cpu_seconds for r in done))


def byte_compile() -> None:
    """Write the package's byte-code caches, as installing it does (pip compiles what it installs).

    An editable install compiles a module the first time it is imported, unless PYTHONDONTWRITEBYTECODE
    is set (it is in some shells and sandboxes): then every start of an edited module compiled it again,
    about 0.05-0.1 s of a cold start that no installed copy pays (issue 17)."""
    import compileall

    import assistant

    compileall.compile_dir(str(Path(assistant.__file__).parent), quiet=2)


def help_seconds(workdir: Path, runs: int = 5) -> StartUp:
    """`assistant --help` as a whole process."""
    return median_start([*assistant_command(), "--help"], workdir, runs)


def tui_first_frame(workdir: Path, runs: int = 5) -> StartUp:
    """Median seconds from spawning the app's process to its first painted frame (and its CPU time then)."""
    here = workdir / "tui"
    here.mkdir(exist_ok=True)
    times, cpu = [], []
    for _ in range(runs):
        started = time.time()
        proc = subprocess.run(
            [sys.executable, "-c", _TUI_DRIVER, str(here)], capture_output=True, text=True, env=child_env(workdir), cwd=workdir, timeout=60
        )
        stamps = [line.split()[1:] for line in proc.stdout.splitlines() if line.startswith("FIRST_FRAME ")]
        if not stamps:
            raise RuntimeError(f"the TUI driver painted no frame: {proc.stderr.strip()[-500:]}")
        times.append(float(stamps[0][0]) - started)
        cpu.append(float(stamps[0][1]))
    return StartUp(statistics.median(times), statistics.median(cpu))


def copy_subset(corpus: Path, target: Path, every: int) -> int:
    """Copy every `every`-th article file (sorted by path) into `target`; returns the number copied."""
    files = sorted(p for p in corpus.rglob("*.txt") if p.is_file() and not p.name.upper().startswith("README"))
    chosen = files[::every]
    for path in chosen:
        dest = target / path.relative_to(corpus)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
    return len(chosen)


@dataclass(frozen=True)
class IndexRun:
    """One `assistant index` process."""

    seconds: float
    """Wall time of the whole process (model load included)."""
    max_rss_mb: float
    """Peak resident memory."""
    cpu_seconds: float
    """CPU time (user + system) of the process."""
    chunks: int
    """Chunks in the index afterwards."""
    texts: int
    """Chunks plus sentences: every text the model embedded."""


def index_corpus(corpus: Path, index: Path, backend: str, workdir: Path) -> IndexRun:
    """`assistant index CORPUS --index INDEX --backend B` as a process, with counts read afterwards."""
    from assistant.search.engine import read_stats

    run = run_timed([*assistant_command(), "index", str(corpus), "--index", str(index), "--backend", backend], workdir)
    stats = read_stats(index)
    return IndexRun(run.seconds, run.max_rss_mb, run.cpu_seconds, stats.chunks, stats.chunks + stats.sentences)


def warm_up(corpus: Path, workdir: Path, backends: Sequence[str]) -> None:
    """Index three files with each backend, untimed: ONNX exports exist and libraries sit in the page cache."""
    tiny = workdir / "warmup-corpus"
    if not tiny.exists():
        copy_subset(corpus, tiny, max(1, len(list(corpus.rglob("*.txt"))) // 3))
    for backend in backends:
        index_corpus(tiny, workdir / f"warmup-{backend}", backend, workdir)


def titles(corpus: Path) -> list[str]:
    """First lines of the corpus's .txt files (BBC titles), sorted by path."""
    found = []
    for path in sorted(corpus.rglob("*.txt")):
        if path.name.upper().startswith("README"):
            continue
        first = path.read_text(encoding="utf-8", errors="replace").lstrip().split("\n", 1)[0].strip()
        if first:
            found.append(first)
    return found


_TEMPLATES = (
    "{t}",
    "What happened with {t}?",
    "Who said {l}?",
    "Why {l}?",
    "What did officials say about {l}?",
    "When {l}?",
    "How much {l}?",
    "what about {l}",
)


def questions(corpus: Path, count: int) -> list[str]:
    """`count` varied questions: corpus titles spread evenly, each put in one of a few templates."""
    heads = titles(corpus)
    if not heads:
        return []
    step = max(1, len(heads) // count)
    picked = [heads[(i * step) % len(heads)] for i in range(count)]
    out = []
    for i, head in enumerate(picked):
        lower = head[:1].lower() + head[1:] if head[1:2].islower() else head  # not 'uS crude prices'
        out.append(_TEMPLATES[i % len(_TEMPLATES)].format(t=head, l=lower))
    return out


def cold_ask(index: Path, question: str, workdir: Path, runs: int = 5) -> StartUp:
    """Median wall and CPU time of `assistant ask QUESTION --index INDEX` processes."""
    return median_start([*assistant_command(), "ask", question, "--index", str(index)], workdir, runs)


def warm_asks(index: Path, asked: Sequence[str], workdir: Path) -> tuple[list[float], int, float]:
    """Per-question seconds (as the engine reports them) from one `assistant ask -` batch,
    the number answered, and the whole process's wall time."""
    feed = workdir / "questions.txt"
    feed.write_text("\n".join(asked) + "\n", encoding="utf-8")
    run = run_timed([*assistant_command(), "ask", "-", "--index", str(index)], workdir, stdin=feed)
    answers = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    return [float(a["seconds"]) for a in answers], sum(bool(a["answered"]) for a in answers), run.seconds


def rerun_seconds(corpus: Path, index: Path, backend: str, workdir: Path, runs: int = 3) -> float:
    """Median wall time of `assistant index` over an unchanged corpus."""
    cmd = [*assistant_command(), "index", str(corpus), "--index", str(index), "--backend", backend]
    return median_seconds(cmd, workdir, runs)[0]
