"""Warm Engine.ask time on a lookup index: 17 questions from each docs/eval lookup set (5 warm-up), each asked
twice; prints CPU-time and wall-time medians in ms (CPU time is steadier on a shared machine).

Usage: .venv/bin/python docs/eval/ask_timing.py --index BBC_INDEX
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from assistant.search.engine import Engine

HERE = Path(__file__).resolve().parent
SETS = ("lookup-fragments.jsonl", "lookup-paraphrases.jsonl", "out-of-corpus-bbc.jsonl")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    args = parser.parse_args()
    questions: list[str] = []
    for name in SETS:
        lines = [json.loads(line)["question"] for line in (HERE / name).read_text(encoding="utf-8").splitlines() if line.strip()]
        questions += lines[:: len(lines) // 17][:17]
    engine = Engine(args.index)
    try:
        for question in questions[:5]:
            engine.ask(question)
        cpu, wall = [], []
        for _ in range(2):
            for question in questions:
                began, used = time.perf_counter(), time.process_time()
                engine.ask(question)
                wall.append((time.perf_counter() - began) * 1000)
                cpu.append((time.process_time() - used) * 1000)
    finally:
        engine.close()
    print(f"{len(questions)} questions x 2: CPU p50 {statistics.median(cpu):.1f} ms, wall p50 {statistics.median(wall):.1f} ms")


if __name__ == "__main__":
    main()
