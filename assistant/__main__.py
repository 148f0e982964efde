"""Entry point of `assistant` and `python -m assistant`: --help, --version and the plain chat launch skip click.

A cold `assistant --help` spent most of its time importing click and the CLI module (issue 17: <= 0.1 s); the
top-level help is fixed text, so it is kept here and printed as it stands. tests/test_cli.py renders click's help
and fails when the two differ: after changing an option or a command, paste the new `assistant --help` below.
"""

import os
import sys

from assistant import __version__

HELP = """\
Usage: assistant [OPTIONS] [COMMAND] [ARGS]...

  Ask questions of a folder of news articles; get verbatim quotes with
  citations.

  With no command, opens the chat UI on the corpus and index (building or
  updating the index first).

Options:
  --corpus PATH                   Folder of articles (default ./corpus).
  --store URL                     Keep the index in PostgreSQL
                                  (postgresql://...; docs/team.md) instead of
                                  --index.
  --index PATH                    Index folder (default ./index).
  --model TEXT                    Local sentence-transformers model folder
                                  (default: bundled all-MiniLM-L6-v2).
  --backend [onnx-int8|onnx|torch|hash]
                                  Embedding backend (default onnx-int8).
  --follow-symlinks               Also index what symlinks leading out of the
                                  corpus point to.
  --local-config                  Use ./assistant.toml from the current folder
                                  (ignored unless trusted).
  --resume                        Reopen the last chat session instead of
                                  starting a new one.
  --watch / --no-watch            Keep the index current while the chat runs
                                  (default: config `watch`, auto = local
                                  writable index).
  --version                       Show the version and exit.
  --help                          Show this message and exit.

Commands:
  ask       Answer QUESTION with verbatim quotes; `-` reads one question...
  bench     Run the benchmark suite (see `python -m assistant.bench...
  check     Check every quotation in DRAFT (Markdown or text, `-` for...
  config    The settings in force, where each came from, and which config...
  eval      Measure retrieval and quote quality on a SQuAD 2.0 file, or...
  index     Index CORPUS (default ./corpus): only new or changed articles...
  mcp       Serve the index to AI assistants and editors over MCP...
  mentions  List every sentence of the corpus holding PHRASE, grouped by...
  notebook  Quotes pinned in the chat (p on a quote), kept per index in...
  people    Everyone quoted in the index, with their numbers of...
  quotes    Every quotation by a person in date order: each once, where...
  stats     Articles, chunks, sentences, model, size on disk and last...
  watch     Keep the index current while files in CORPUS (default...
"""
"""What click prints for `assistant --help` on a terminal of 80 columns or more (it wraps at 78 there)."""


def _columns() -> int:
    """shutil.get_terminal_size().columns, as click asks it, without importing shutil: COLUMNS, else the
    terminal on stdout, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def quick_answer(argv: list[str], prog: str) -> str | None:
    """What click would print for `assistant --help` or `assistant --version` alone, else None (click answers)."""
    if prog != "assistant" or len(argv) != 1:
        return None  # `python -m assistant` is named so in click's usage line; anything else is click's
    if argv[0] == "--version":
        return f"assistant, version {__version__}\n"
    if argv[0] == "--help" and _columns() >= 80:  # narrower terminals wrap differently: click's job
        return HELP
    return None


def run() -> None:
    """The `assistant` command: the fixed answers above, the chat for `assistant` alone, else the click CLI."""
    text = quick_answer(sys.argv[1:], os.path.basename(sys.argv[0]))
    if text is None and not sys.argv[1:]:
        from assistant.tui.start import chat_with_defaults  # the chat's first frame does not wait for click

        sys.exit(chat_with_defaults())
    if text is None:
        from assistant.cli import main

        main()
        return
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `assistant --help | head -1`: quiet, exit 1, as click does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)


if __name__ == "__main__":
    run()
