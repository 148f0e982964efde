"""Writing-workflow measurements: an MCP search round trip through the SDK client, and watch latency."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

NEW_ARTICLES = (
    ("Quokka sanctuary opens in Glasgow",
     "A sanctuary for quokkas opened in Glasgow on Monday, the first of its kind in Scotland, with twelve animals "
     "flown in from Rottnest Island."),
    ("Lighthouse keeper wins chess title",
     "A retired lighthouse keeper from Orkney won the national chess championship at the age of 81, beating the "
     "defending champion in the final round."),
    ("Volcanic glass used in new phone screens",
     "Engineers in Iceland have made phone screens from volcanic glass, which they say is harder to scratch than "
     "anything now on sale."),
)
"""Made-up articles (no BBC text): each must become answerable after it is saved."""


def _assistant() -> list[str]:
    return [sys.executable, "-m", "assistant"]


def mcp_round_trips(index: Path, questions: list[str], rounds: int = 3) -> tuple[float, list[float]]:
    """(seconds of the first search, which opens the engine; warm round trips in seconds) through the SDK client."""
    import anyio
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(command=sys.executable, args=["-m", "assistant", "--index", str(index), "mcp"],
                                   env={k: v for k, v in os.environ.items() if k.startswith(("ASSISTANT_", "XDG_"))})

    async def main() -> tuple[float, list[float]]:
        # The server's stderr goes to a real file: the caller's sys.stderr may have no fileno (pytest).
        with tempfile.TemporaryFile("w+", encoding="utf-8") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    began = time.perf_counter()
                    await session.call_tool("search", {"question": "warm-up question", "k": 5})
                    first = time.perf_counter() - began
                    times = []
                    for _ in range(rounds):
                        for question in questions:
                            began = time.perf_counter()
                            result = await session.call_tool("search", {"question": question, "k": 5})
                            times.append(time.perf_counter() - began)
                            if result.is_error:
                                raise RuntimeError(f"search failed: {result.content[0].text}")
                    return first, times

    return anyio.run(main)


def mcp_read_round_trips(index: Path, article_id: int = 1, calls: int = 30) -> list[float]:
    """Seconds per `read` of one paragraph through the SDK client: the protocol's own cost (stdio, JSON-RPC,
    schema checks) with next to no engine work, so a loaded machine's search figure can be read against it."""
    import anyio
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(command=sys.executable, args=["-m", "assistant", "--index", str(index), "mcp"],
                                   env={k: v for k, v in os.environ.items() if k.startswith(("ASSISTANT_", "XDG_"))})
    arguments = {"article_id": article_id, "first_paragraph": 1, "last_paragraph": 1}

    async def main() -> list[float]:
        with tempfile.TemporaryFile("w+", encoding="utf-8") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    await session.call_tool("read", arguments)  # opens the engine
                    times = []
                    for _ in range(calls):
                        began = time.perf_counter()
                        result = await session.call_tool("read", arguments)
                        times.append(time.perf_counter() - began)
                        if result.is_error:
                            raise RuntimeError(f"read failed: {result.content[0].text}")
                    return times

    return anyio.run(main)


def engine_asks(index: Path, questions: list[str], rounds: int = 3) -> list[float]:
    """Seconds per warm Engine.ask in this process, the same questions: what the MCP layer adds is the difference."""
    from assistant.search.engine import Engine

    engine = Engine(index)
    try:
        engine.ask("warm-up question")
        times = []
        for _ in range(rounds):
            for question in questions:
                began = time.perf_counter()
                engine.ask(question, max_quotes=5)
                times.append(time.perf_counter() - began)
        return times
    finally:
        engine.close()


def watch_latency(corpus: Path, index: Path, workdir: Path, timeout: float = 60.0) -> tuple[float, list[float]]:
    """(seconds of the start-up catch-up; per new article, seconds from saving it to an answer quoting it).

    Works on copies (corpus files keep their modification times, so the catch-up finds nothing to do),
    runs `assistant watch` as its own process and asks through an Engine in this one, as a user would.
    """
    from assistant.search.engine import Engine

    folder, copy = workdir / "watch-corpus", workdir / "watch-index"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(corpus, folder, copy_function=shutil.copy2, symlinks=True)
    shutil.copytree(index, copy, copy_function=shutil.copy2)
    proc = subprocess.Popen([*_assistant(), "watch", str(folder), "--index", str(copy)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        began = time.monotonic()
        while not any("index updated" in line or "update failed" in line for line in lines):
            if proc.poll() is not None or time.monotonic() - began > 600:
                raise RuntimeError("assistant watch did not catch up: " + " | ".join(lines[-3:]))
            time.sleep(0.05)
        catch_up = time.monotonic() - began
        engine = Engine(copy)
        engine.ask("warm-up question")
        latencies = []
        for n, (title, body) in enumerate(NEW_ARTICLES):
            path = folder / f"watch-bench-{n}.txt"
            question = body.split(",")[0]
            began = time.monotonic()
            path.write_text(f"{title}\n\n{body}\n", encoding="utf-8")
            while True:
                answer = engine.ask(question, max_quotes=3)
                if any(q.path == path.name for q in answer.quotes):
                    latencies.append(time.monotonic() - began)
                    break
                if time.monotonic() - began > timeout:
                    latencies.append(float("inf"))
                    break
                time.sleep(0.05)
            time.sleep(0.5)
        engine.close()
        return catch_up, latencies
    finally:
        proc.send_signal(2)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(copy, ignore_errors=True)
