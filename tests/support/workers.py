"""The child process of the index tests (run as `python tests/support/workers.py`): a slow build to kill, a lock holder, an engine open."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.embedding.base import OnBatch
from assistant.embedding.hashing import HashEmbedder

INTERRUPTED = 130
"""Exit code of a build stopped by Ctrl-C (as a shell reports SIGINT)."""
ENGINE_ERROR = 3
"""Exit code when Engine refused to open the index (the message is on stderr)."""


class SlowEmbedder(HashEmbedder):
    """HashEmbedder that sleeps once per call, so a build lasts long enough to be killed mid-way."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def encode(self, texts: Sequence[str], *, batch_size: int = 8, on_batch: OnBatch | None = None) -> Any:
        time.sleep(self.delay)
        return super().encode(texts, batch_size=batch_size, on_batch=on_batch)


def _die_after(target: Any, name: str, nth: int, sig: signal.Signals, *, skip: int = 0) -> None:
    """Send `sig` to this process right after the nth call of target.name (not counting `skip` first calls).

    For cleanup the signal goes before the call: the point is "COMMIT done, old files not yet deleted".
    """
    original: Callable[..., Any] = getattr(target, name)
    calls = 0

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if name == "cleanup" and calls - skip == nth:
            os.kill(os.getpid(), sig)
        result = original(*args, **kwargs)
        if name != "cleanup" and calls - skip == nth:
            if sig == signal.SIGINT:
                # What Ctrl-C does at this point, without waiting for the signal to be delivered
                # between two bytecodes (which may be after COMMIT): deterministic.
                raise KeyboardInterrupt
            os.kill(os.getpid(), sig)
        return result

    setattr(target, name, wrapper)


def _install_fault(spec: str) -> None:
    """`save:N` kills after the Nth FAISS file is saved (before COMMIT), `commit:N` after the Nth COMMIT
    (before old files are cleaned up), `sigint-save:N` sends Ctrl-C after the Nth save (inside the transaction)."""
    from assistant.index import vectors

    if not spec:
        return
    kind, nth = spec.split(":")
    if kind == "save":
        _die_after(vectors, "save", int(nth), signal.SIGKILL)
    elif kind == "sigint-save":
        _die_after(vectors, "save", int(nth), signal.SIGINT)
    elif kind == "commit":
        # The first cleanup call is made when the index is opened, before any commit.
        _die_after(vectors, "cleanup", int(nth), signal.SIGKILL, skip=1)
    else:
        raise SystemExit(f"unknown fault {spec!r}")


def build(args: argparse.Namespace) -> int:
    """Run build_index, printing `started`, one `write N` line per commit, and `done`."""
    from assistant.index.indexer import Progress, build_index

    _install_fault(args.fault)
    # A shell that starts a command in the background (`cmd &`, as some CI runners do) sets
    # SIGINT to "ignore", and children inherit it: restore Python's Ctrl-C handling.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    writes = 0

    def on_progress(progress: Progress) -> None:
        nonlocal writes
        if progress.phase == "write":
            writes += 1
            print(f"write {writes}", flush=True)

    print("started", flush=True)
    try:
        report = build_index(
            Path(args.corpus),
            Path(args.index),
            embedder=SlowEmbedder(args.sleep),
            batch_chunks=args.batch,
            on_progress=on_progress,
        )
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        return INTERRUPTED
    print(f"done {report.chunks_embedded}", flush=True)
    return 0


def hold_lock(args: argparse.Namespace) -> int:
    """Hold the index lock until stdin closes."""
    from assistant.index.lock import IndexLock

    with IndexLock(Path(args.index)):
        print("locked", flush=True)
        sys.stdin.read()
    return 0


def open_index(args: argparse.Namespace) -> int:
    """Open an Engine and ask one question; an EngineError goes to stderr as its one line."""
    from assistant.errors import EngineError
    from assistant.search.engine import Engine

    try:
        engine = Engine(Path(args.index), embedder=HashEmbedder())
        answer = engine.ask(args.question)
    except EngineError as exc:
        print(exc, file=sys.stderr)
        return ENGINE_ERROR
    print(f"quotes {len(answer.quotes)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build_cmd = commands.add_parser("build")
    build_cmd.add_argument("corpus")
    build_cmd.add_argument("index")
    build_cmd.add_argument("--batch", type=int, default=64)
    build_cmd.add_argument("--sleep", type=float, default=0.0)
    build_cmd.add_argument("--fault", default="")
    commands.add_parser("hold-lock").add_argument("index")
    open_cmd = commands.add_parser("open")
    open_cmd.add_argument("index")
    open_cmd.add_argument("question")
    args = parser.parse_args(argv)
    handler = {"build": build, "hold-lock": hold_lock, "open": open_index}[args.command]
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
