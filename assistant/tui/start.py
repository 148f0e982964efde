"""Opening the chat from the command line without click: `assistant` alone reaches its first frame sooner.

Issue 17: click and the CLI module were about a tenth of the chat's start-up; `assistant` with options still
goes through click, which calls `chat` here too."""

from __future__ import annotations

import dataclasses
import sys

from assistant.settings import Settings, resolve_settings


class NothingToOpen(Exception):
    """Neither a corpus folder nor an index: the chat could only say that the engine is not available."""


def chat(settings: Settings, *, resume: bool = False, watch: bool | None = None) -> None:
    """Open the chat UI on `settings`; NothingToOpen before the UI when there is nothing to open."""
    if not settings.corpus.is_dir() and not settings.store and not (settings.index / "index.sqlite3").exists():
        # Said before the UI opens: a chat that can only say "Engine not available" helps nobody.
        raise NothingToOpen(
            f"no corpus folder at {settings.corpus} and no index at {settings.index}: "
            "pass --corpus FOLDER (a folder of .txt/.md/.html/.jsonl articles) or --index FOLDER"
        )
    if watch is not None:
        settings = dataclasses.replace(settings, watch="on" if watch else "off")
    from assistant.tui.app import make_app

    make_app(settings, resume=resume).run()


def chat_with_defaults() -> int:
    """`assistant` with no argument, as the click command does it: the settings from the environment and
    config files (their warnings on stderr), then the chat; a problem is one `Error:` line and exit code 1."""
    from assistant.text.sanitize import single_line, terminal_safe

    try:
        resolved = resolve_settings(corpus=None, index=None, model=None, backend=None, follow_symlinks=None,
                                    trust_local_config=None, store=None)
        for line in resolved.warnings:
            print(single_line(terminal_safe(line)), file=sys.stderr)
        chat(resolved.settings)
    except (ValueError, NothingToOpen) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except (EOFError, KeyboardInterrupt):
        print("\nAborted!", file=sys.stderr)
        return 1
    return 0
