"""Shared fixtures: isolated config, and small indexes built with the fast fake embedder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.embedding.registry import HashEmbedder
from assistant.index.indexer import build_index

SEED = Path(__file__).resolve().parents[1] / "corpus" / "000_8c27288c5cf39a16.txt"


@pytest.fixture(autouse=True)
def _isolated_config(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Never read the developer's own config or ASSISTANT_* variables."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    for name in ("ASSISTANT_CORPUS", "ASSISTANT_INDEX", "ASSISTANT_MODEL", "ASSISTANT_BACKEND"):
        monkeypatch.delenv(name, raising=False)


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
    (folder / "wire.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(corpus, index) of the small corpus, built once with the HashEmbedder."""
    root = tmp_path_factory.mktemp("small")
    corpus = write_small_corpus(root / "corpus")
    index = root / "index"
    build_index(corpus, index, embedder=HashEmbedder())
    return corpus, index
