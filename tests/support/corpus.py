"""Test corpora: the shipped seed article, made-up prose, and small corpora with outlets, dates and problems."""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "corpus" / "000_8c27288c5cf39a16.txt"
"""The one article shipped in the repository's corpus/ (Azerbaijan, Tofig Zulfugarov)."""
SYLLABLES = "ka lo mi ne su ta ri vo ze pa du fe gi ho ju".split()


def write(folder: Path, name: str, content: str | bytes) -> Path:
    """Write `content` (str as UTF-8) to folder/name, creating folders."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def write_articles(folder: Path, articles: Mapping[str, str | bytes]) -> Path:
    """A corpus folder holding each `relative name -> content` of `articles`; the folder."""
    for name, content in articles.items():
        write(folder, name, content)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def prose(seed: int, sentences: int = 4, words: int = 9) -> str:
    """Deterministic sentences of made-up words, distinct per seed (so questions find one article)."""
    rng = random.Random(seed)
    out = []
    for _ in range(sentences):
        made_up = ["".join(rng.choice(SYLLABLES) for _ in range(3)) for _ in range(words)]
        out.append(" ".join(made_up).capitalize() + ".")
    return " ".join(out)


def article(seed: int, title: str | None = None, paragraphs: int = 2) -> str:
    """A .txt article: a title line, a blank line, paragraphs."""
    body = "\n\n".join(prose(seed * 100 + p) for p in range(paragraphs))
    return f"{title or f'Report number {seed}'}\n\n{body}\n"


def jsonl(*records: dict[str, Any]) -> str:
    """JSON Lines text of the records."""
    return "".join(json.dumps(r) + "\n" for r in records)


def write_small_corpus(folder: Path) -> Path:
    """The seed article plus a few articles with outlets and dates in every format."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SEED, folder / SEED.name)
    (folder / "markets.md").write_text(
        "---\ntitle: Central bank raises rates\ndate: 2005-02-03\nsource: BBC\nauthor: Jane Doe\n---\n\n"
        "The central bank raised interest rates by a quarter point on Thursday.\n\n"
        "Inflation has stayed above the target for six months, the governor said.\n",
        encoding="utf-8",
    )
    (folder / "sport.md").write_text(
        "---\ntitle: Local club wins the cup\ndate: 2004-11-20\nsource: Daily Planet\n---\n\n"
        "The local football club won the cup final after a penalty shoot-out.\n\n"
        "The goalkeeper saved three penalties in a row.\n",
        encoding="utf-8",
    )
    records = [
        {"title": "Wire: rates rise", "date": "2005-02-03", "source": "Reuters",
         "text": "The central bank raised interest rates by a quarter point on Thursday."},
        {"title": "Volcano erupts", "date": "2005-03-01", "source": "Reuters",
         "text": "A volcano erupted on the island, forcing thousands of residents to flee their homes."},
    ]
    (folder / "wire.jsonl").write_text(jsonl(*records), encoding="utf-8")
    return folder


def write_corpus_with_problems(folder: Path) -> Path:
    """Two good articles, a JSONL with one bad line, and a binary and an empty file."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "good.txt").write_text("A good title\n\nThe river flooded the old town overnight.\n", encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    (folder / "empty.txt").write_text("", encoding="utf-8")
    (folder / "bad.jsonl").write_text('{"text": "Fire crews fought the blaze for hours.", "title": "Fire"}\n{not json\n',
                                      encoding="utf-8")
    (folder / "latin.txt").write_bytes("Caf\xe9 news\n\nThe caf\xe9 reopened on Monday.\n".encode("cp1252"))
    return folder


HARBOUR_DEBATE = (
    "Harbour plan approved after long debate\n\n"
    "The council approved the new harbour plan on Tuesday after a debate that lasted six hours.\n\n"
    "\"We have waited twenty years for this harbour, and tonight the town finally said yes,\" "
    "council leader Maria Olsen said after the vote.\n\n"
    "Opponents were not convinced. \"The plan ignores the fishermen who built this town and it will "
    "cost far more than anyone admits,\" said Peter Lund, who chairs the fishermen's association.\n\n"
    "Ms Olsen said the first ships could dock by next summer.\n"
)
"""A story with two quotations and one reported sentence (the draft-check tests quote, alter and misattribute it)."""
