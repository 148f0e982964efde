"""Injection: article text, titles, metadata and file names full of Rich/Textual markup and terminal escape
sequences are shown literally in the chat UI, stripped or escaped on the terminal, intact in JSON; and
nothing in an article is ever run or fetched."""

from __future__ import annotations

import http.server
import io
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.reliability import TRACEBACK, prose, run_cli, write

from assistant.search.answer import AnswerPolicy
from assistant.embedding.registry import HashEmbedder
from assistant.errors import EngineError
from assistant.search.engine import Engine
from assistant.corpus.stream import load_file
from assistant.settings import Settings

MARKUP = "[bold red]X[/] [link=https://evil]y[/link] [@click=app.quit]q[/]"
ESCAPES = "\x1b]52;c;SGVsbG8=\x07 \x1b]0;title\x07 \x1b[2J \x1b[31mred\x1b[0m \x1bP+q544e\x1b\\ \x9b6n \x07"
"""OSC 52 clipboard write, OSC 0 title change, clear screen, colour, a DCS query, an 8-bit CSI, a bell."""
HOSTILE = f"{MARKUP} {ESCAPES}"
FILLER = " ".join(prose(900 + i) for i in range(12))
"""Enough ordinary prose that the escapes stay a small share of the text (more would look like a binary file)."""
RAW_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""What must never reach a terminal from an article: C0 controls but tab and newline, DEL, C1 controls."""


def hostile_corpus(root: Path) -> dict[str, str]:
    """The same hostile sentence in every format, in titles and metadata too. Returns file -> unique sentence."""
    sentences = {name: f"The {word} keeper said {HOSTILE} and left." for name, word in
                 (("evil.txt", "lighthouse"), ("evil.md", "orchard"), ("evil.jsonl", "harbour"), ("evil.html", "granary"))}
    write(root / "evil.txt", f"{MARKUP} {ESCAPES} title\n\n{sentences['evil.txt']}\n\n{FILLER}\n")
    write(root / "evil.md", f"---\ntitle: \"{MARKUP}\"\nsource: \"[i]Mallory[/i]\"\nauthor: \"[b]Eve[/b]\"\n"
          f"url: \"javascript:alert(1)\"\n---\n\n{sentences['evil.md']}\n\n{FILLER}\n")
    write(root / "evil.jsonl", json.dumps({"title": f"{MARKUP} {ESCAPES}", "source": ESCAPES, "author": MARKUP,
                                           "text": f"{sentences['evil.jsonl']}\n\n{FILLER}"}) + "\n")
    write(root / "evil.html", f"<html><head><title>{MARKUP} wire</title></head><body><article>"
          f"<p>{sentences['evil.html']}</p><p>{FILLER}</p></article></body></html>")
    return sentences


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("hostile")
    corpus, index = root / "corpus", root / "index"
    sentences = hostile_corpus(corpus)
    result = run_cli("index", str(corpus), "--index", str(index), "--backend", "hash")
    assert result.returncode == 0, result.stderr
    return {"corpus": corpus, "index": index, "sentences": sentences}


QUESTIONS = {"evil.txt": "What did the lighthouse keeper say?", "evil.md": "What did the orchard keeper say?",
             "evil.jsonl": "What did the harbour keeper say?", "evil.html": "What did the granary keeper say?"}


# --- the command line ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_cli_text_output_has_no_escape_sequences(hostile: dict[str, Any], name: str) -> None:
    """`assistant ask` prints the quote with markup literal and every escape sequence and control removed."""
    result = run_cli("ask", QUESTIONS[name], "--index", str(hostile["index"]))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert not RAW_CONTROLS.search(out), repr(out[:400])
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert f"[{1}]" in out and name in out
    assert "[bold red]X[/] [link=https://evil]y[/link]" in out  # markup is text, shown as written
    if name in ("evil.txt", "evil.md"):  # their text keeps its escapes; each goes whole, payload included
        (quote_line,) = [line for line in out.splitlines() if line.startswith("[1] ")]
        assert "SGVsbG8=" not in quote_line and "keeper said [bold red]X[/]" in quote_line


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_json_output_carries_the_text_intact(hostile: dict[str, Any], name: str) -> None:
    """`--json` holds the quoted text exactly as indexed, escape characters included, as JSON escapes."""
    result = run_cli("ask", QUESTIONS[name], "--index", str(hostile["index"]), "--json")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout  # JSON escapes C0 controls
    quote = json.loads(result.stdout)["quotes"][0]
    assert quote["path"] == name
    engine = Engine(hostile["index"], embedder=HashEmbedder())
    try:
        assert engine.article(quote["article_id"]).text[quote["start"] : quote["end"]] == quote["text"]
    finally:
        engine.close()
    if name in ("evil.txt", "evil.md"):  # offsets are file offsets: the very bytes of the file
        text = (hostile["corpus"] / name).read_text(encoding="utf-8")
        assert text[quote["start"] : quote["end"]] == quote["text"]
        assert ESCAPES in quote["text"] and MARKUP in quote["text"]


def test_json_output_has_no_raw_control_characters(hostile: dict[str, Any]) -> None:
    result = run_cli("ask", QUESTIONS["evil.txt"], "--index", str(hostile["index"]), "--json")
    assert result.returncode == 0 and "\x9b" in json.loads(result.stdout)["quotes"][0]["text"]
    assert not RAW_CONTROLS.search(result.stdout), "raw control characters in the JSON text"


def test_index_problem_lines_have_no_escape_sequences(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write(corpus / "good.txt", "Good\n\nThe ferry left the harbour at dawn.\n")
    write(corpus / f"{ESCAPES[:40]}.txt", b"\x00\x01binary")
    result = run_cli("index", str(corpus), "--index", str(tmp_path / "index"), "--backend", "hash")
    assert result.returncode == 0
    assert "skipped: " in result.stderr and not RAW_CONTROLS.search(result.stderr), repr(result.stderr)


def test_stats_output_has_no_escape_sequences(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus \x1b]0;pwned\x07"
    write(corpus / "good.txt", "Good\n\nThe ferry left the harbour at dawn.\n")
    assert run_cli("index", str(corpus), "--index", str(tmp_path / "index"), "--backend", "hash").returncode == 0
    result = run_cli("stats", "--index", str(tmp_path / "index"))
    assert result.returncode == 0 and "corpus" in result.stdout
    assert not RAW_CONTROLS.search(result.stdout), repr(result.stdout)


# --- the chat UI -----------------------------------------------------------------------------


def screen_output(app: Any) -> str:
    """Exactly what the app would write to a terminal for a full repaint of the current screen."""
    from rich.console import Console

    console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor", width=app.size.width)
    console.print(app.screen._compositor.render_update(full=True), end="")
    return console.file.getvalue()  # type: ignore[attr-defined]


def assert_terminal_safe(output: str) -> None:
    """Only colour (SGR) and cursor moves: no OSC (clipboard, title), no clear screen, no bell, no C1."""
    assert "\x1b]" not in output and "\x07" not in output and "\x9b" not in output
    assert not re.search(r"\x1b(?!\[[0-9;]*[mH])", output), repr(re.search(r"\x1b(?!\[[0-9;]*[mH]).{0,20}", output))
    assert "SGVsbG8=\x07" not in output


async def settle(app: Any, pilot: Any) -> None:
    for _ in range(2):
        await app.workers.wait_for_complete()
        await pilot.pause()


@pytest.mark.parametrize("name", sorted(QUESTIONS))
async def test_tui_shows_hostile_articles_literally(hostile: dict[str, Any], tmp_path: Path, name: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A real index, the real engine: the quote, its title and source line, the reader, the copy and the
    export show markup as written and escape characters as visible symbols; no sequence reaches the screen."""
    from textual.widgets import Static

    from assistant.tui.app import make_app
    from assistant.tui.reader import ArticleView
    from assistant.tui.turn import ANSWERED

    monkeypatch.chdir(tmp_path)  # exports go to the working directory
    settings = Settings(corpus=hostile["corpus"], index=hostile["index"], backend="hash")
    app = make_app(settings, session_dir=tmp_path / "sessions", engine_factory=lambda on_progress: Engine(
        hostile["index"], embedder=HashEmbedder(), policy=AnswerPolicy(abstain_below=0.0)))
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    monkeypatch.setenv("TERM_PROGRAM", "WezTerm")  # a terminal that takes OSC 52 (see tui/clipboard.py)
    monkeypatch.delenv("TMUX", raising=False)
    async with app.run_test(size=(140, 44)) as pilot:
        await settle(app, pilot)
        turn = await app.ask(QUESTIONS[name])
        await settle(app, pilot)
        assert turn.state == ANSWERED
        view = turn.quote_views[0]
        assert view.quote.path == name
        body = str(view.query_one(".body", Static).render())
        assert not RAW_CONTROLS.search(body), repr(body)
        assert "[bold red]X[/]" in body and "[link=https://evil]y[/link]" in body
        if name != "evil.jsonl" and name != "evil.html":  # the JSONL and HTML loaders drop control characters
            assert "\u241b]52;c;SGVsbG8=\u2407" in body and "\u241b[2J" in body
        output = screen_output(app)
        assert_terminal_safe(output)
        assert "[bold red]X[/]" in output
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "\x07" not in svg
        view.focus()
        await pilot.press("c")
        assert copied and not RAW_CONTROLS.search(copied[-1]) and "[bold red]X[/]" in copied[-1]
        await pilot.press("ctrl+s")
        exported = list(tmp_path.glob("assistant-session-*.md"))
        assert exported and not RAW_CONTROLS.search(exported[0].read_text(encoding="utf-8"))
        await pilot.press("enter")
        await settle(app, pilot)
        reader = app.screen.query_one(ArticleView)
        start, end = reader.highlight
        assert reader.content.plain[start:end].startswith("The ")
        assert not RAW_CONTROLS.search(reader.content.plain)
        title = str(app.screen.query_one("#reader-title", Static).render())
        assert not RAW_CONTROLS.search(title) and ("[bold red]X[/]" in title or name == "evil.html")
        assert_terminal_safe(screen_output(app))


async def test_tui_engine_error_with_hostile_text_is_shown_literally(tmp_path: Path) -> None:
    """An engine error quoting a hostile path (an index folder named with markup and escapes) is shown
    literally in the status line and the notification."""
    from assistant.tui.app import make_app

    def fail(on_progress: Any) -> Any:
        raise EngineError(f"no index at /data/{MARKUP}{ESCAPES} (run `assistant index` first)")

    app = make_app(Settings(corpus=tmp_path / "corpus", index=tmp_path / "index"), engine_factory=fail,
                   session_dir=tmp_path / "sessions")
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        status = str(app.query_one("#status-line").render())
        assert "[bold red]X[/]" in status and not RAW_CONTROLS.search(status)
        assert_terminal_safe(screen_output(app))


# --- nothing is fetched or run -----------------------------------------------------------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"<p>FETCHED CONTENT</p>")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def web_server() -> Iterator[tuple[str, list[str]]]:
    """A local web server that records every request (nothing should ever ask it for anything)."""
    _Recorder.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.hits
    server.shutdown()
    server.server_close()


def fetching_page(base: str) -> str:
    """An article page that references the server in every way HTML (and XML) can."""
    return f"""<?xml version="1.0"?>
<!DOCTYPE html SYSTEM "{base}/dtd" [<!ENTITY ext SYSTEM "{base}/entity"><!ENTITY passwd SYSTEM "file:///etc/passwd">]>
<html><head><title>Fetch me</title><base href="{base}/base/">
<meta http-equiv="refresh" content="0;url={base}/refresh"><meta property="og:image" content="{base}/og.png">
<link rel="stylesheet" href="{base}/style.css"><link rel="import" href="{base}/import.html">
<style>@import url("{base}/import.css"); body {{ background: url({base}/bg.png) }}</style>
<script src="{base}/script.js"></script><script>fetch("{base}/fetch"); document.write("INJECTED");</script>
</head><body onload="fetch('{base}/onload')"><article>
<p>The granary keeper counted the sacks &ext; &passwd; before the inspectors came.</p>
<img src="{base}/img.png" srcset="{base}/img2x.png 2x"><iframe src="{base}/frame.html"></iframe>
<object data="{base}/object.swf"></object><embed src="{base}/embed.swf"><video src="{base}/video.mp4"></video>
<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{base}/xinclude.xml"/>
<p>{FILLER}</p></article></body></html>"""


def test_html_loading_fetches_nothing_and_runs_nothing(tmp_path: Path, web_server: tuple[str, list[str]]) -> None:
    """Scripts, stylesheets, images, frames, refreshes, DTDs, external entities and XIncludes pointing at a
    live local server: loading and indexing the page asks it for nothing; no script output, no file contents."""
    base, hits = web_server
    corpus = tmp_path / "corpus"
    path = write(corpus / "fetch.html", fetching_page(base))
    (article,) = load_file(corpus, path).articles
    assert "granary keeper counted the sacks" in article.text
    for leaked in ("INJECTED", "FETCHED", "root:", "document.write", "fetch("):
        assert leaked not in article.text
    result = run_cli("index", str(corpus), "--index", str(tmp_path / "index"), "--backend", "hash")
    assert result.returncode == 0, result.stderr
    assert hits == []


AUDIT_PROBE = r"""
import sys, tempfile
from pathlib import Path

events = []
WATCHED = ("socket.connect", "socket.getaddrinfo", "socket.gethostby", "socket.sendto", "socket.sendmsg",
           "urllib.Request", "http.client.connect", "ftplib.connect", "smtplib.connect", "subprocess.Popen",
           "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "webbrowser.open", "ctypes.dlopen")

def hook(event, args):
    if event.startswith(WATCHED):
        events.append(event)
    elif event == "open" and "passwd" in str(args[0]):
        events.append(f"open {args[0]}")

from assistant.embedding.registry import HashEmbedder
from assistant.index.indexer import build_index

# Warm up on a harmless page first: libraries that probe the system when first imported (urllib3 binds a
# socket to test IPv6, blingfire loads its library) do it now, and the hook sees only what articles cause.
warm = Path(tempfile.mkdtemp())
(warm / "c").mkdir()
(warm / "c" / "a.html").write_text("<html><body><article><p>A harmless page about the weather today.</p></article></body></html>")
(warm / "c" / "b.md").write_text("---\ntitle: Harmless\n---\n\nA harmless note.\n")
build_index(warm / "c", warm / "i", embedder=HashEmbedder())
sys.addaudithook(hook)
build_index(Path(sys.argv[1]), Path(sys.argv[2]), embedder=HashEmbedder())
print(",".join(sorted(set(events))))
"""


def test_indexing_hostile_articles_opens_no_socket_and_runs_no_program(tmp_path: Path, web_server: tuple[str, list[str]]) -> None:
    """Python's audit hooks watch a whole index build of hostile files in every format (YAML tags that would run
    a command, pages that reference the network): no socket, no DNS lookup, no subprocess, no exec."""
    base, hits = web_server
    corpus = tmp_path / "corpus"
    hostile_corpus(corpus)
    write(corpus / "fetch.html", fetching_page(base))
    marker = tmp_path / "pwned"
    write(corpus / "tag.md", f"---\ntitle: !!python/object/apply:os.system ['touch {marker}']\n---\n\nThe body.\n")
    write(corpus / "url.jsonl", json.dumps({"text": "A wire story.", "url": f"{base}/record"}) + "\n")
    result = subprocess.run([sys.executable, "-c", AUDIT_PROBE, str(corpus), str(tmp_path / "index")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and TRACEBACK not in result.stderr, result.stderr[-3000:]
    assert result.stdout.strip() == "", f"audited events while indexing: {result.stdout.strip()}"
    assert hits == [] and not marker.exists()
