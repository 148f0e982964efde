"""The notebook: quotes pinned while researching, kept per index in the user's data folder, exported as Markdown."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import NotebookError
from assistant.models import Quote
from assistant.safe_files import PRIVATE, private_folder, replace_atomically, write_new
from assistant.serialize import quote_from_dict, quote_to_dict
from assistant.sessions import index_data_folder
from assistant.text.citations import markdown_quote
from assistant.text.sanitize import markdown_safe

FORMAT = "assistant-notebook"
VERSION = 1
EXPORT_STYLES = ("chicago", "apa", "mla", "harvard", "ap")
"""Citation styles a notebook export can use for its numbered source list."""


@dataclass(frozen=True)
class Pinned:
    """One pinned quote and the question it answered."""

    quote: Quote
    """The quote as it was shown (exact text and offsets)."""
    question: str = ""
    """The question that found it."""


def key(quote: Quote) -> tuple[str, int, int, int]:
    """What makes two quotes the same passage."""
    return (quote.path, quote.record, quote.start, quote.end)


def notebook_path(index: Path) -> Path:
    """Where the notebook of `index` lives: the user's data folder, never the index folder."""
    return index_data_folder(index) / "notebook.json"


def load(path: Path) -> tuple[Pinned, ...]:
    """The pinned quotes in `path` (none when it does not exist); NotebookError when unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ()
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotebookError(f"cannot read the notebook {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
        raise NotebookError(f"{path} is not an assistant notebook")
    try:
        return tuple(Pinned(quote_from_dict(item["quote"]), str(item.get("question", ""))) for item in data["pinned"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise NotebookError(f"malformed notebook {path}: {type(exc).__name__}: {exc}") from exc


def save(path: Path, pinned: tuple[Pinned, ...]) -> None:
    """Write the notebook atomically, owner-only, never through a link."""
    private_folder(path.parent)
    payload: dict[str, Any] = {"format": FORMAT, "version": VERSION,
                               "pinned": [{"quote": quote_to_dict(p.quote), "question": p.question} for p in pinned]}
    replace_atomically(path, json.dumps(payload, ensure_ascii=False, indent=1), PRIVATE)


def toggle(pinned: tuple[Pinned, ...], quote: Quote, question: str) -> tuple[tuple[Pinned, ...], bool]:
    """Pin `quote` (at the end), or unpin it when it is pinned; True when it is pinned now."""
    if any(key(p.quote) == key(quote) for p in pinned):
        return tuple(p for p in pinned if key(p.quote) != key(quote)), False
    return (*pinned, Pinned(quote, question)), True


def move(pinned: tuple[Pinned, ...], index: int, step: int) -> tuple[Pinned, ...]:
    """The list with item `index` moved by `step` places (kept inside the list)."""
    items = list(pinned)
    target = max(0, min(len(items) - 1, index + step))
    items.insert(target, items.pop(index))
    return tuple(items)


def markdown(pinned: tuple[Pinned, ...], style: str = "chicago") -> str:
    """The notebook as Markdown: the quotes numbered in order, then a numbered source list in `style`."""
    from assistant.text.citation_styles import Source, format_citation

    if style not in EXPORT_STYLES:
        raise NotebookError(f"unknown citation style {style!r} (use one of {', '.join(EXPORT_STYLES)})")
    lines = ["# Notebook", ""]
    for n, item in enumerate(pinned, 1):
        quote = dataclasses.replace(item.quote, n=n)
        if item.question:
            lines += [f"_{markdown_safe(item.question, one_line=True)}_", ""]
        lines += [markdown_quote(quote), ""]
    if pinned:
        lines += ["## Sources", ""]
        for n, item in enumerate(pinned, 1):
            # One entry per quote, numbered like the quotes, so 'para. N' stays with each.
            entry = format_citation(Source.from_quote(item.quote), style)
            lines.append(f"{n}. {markdown_safe(' '.join(entry.split()), one_line=True)}")
    return "\n".join(lines).rstrip() + "\n"


def export(path: Path, pinned: tuple[Pinned, ...], style: str = "chicago") -> Path:
    """Write the notebook's Markdown to a new owner-only file at `path` (an existing file or a link
    planted there is refused, never written through)."""
    text = markdown(pinned, style)
    try:
        write_new(path, text, PRIVATE)
    except FileExistsError as exc:
        raise NotebookError(f"{path} already exists; choose another name") from exc
    except OSError as exc:
        # 'No such file or directory' for a missing folder, 'Permission denied', a full disk: one plain line.
        raise NotebookError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path
