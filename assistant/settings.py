"""Where the corpus, index and model are: command-line values, then environment, then a config file, then defaults."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_BACKEND = "onnx-int8"
"""Kept here (not imported from embedding) so reading settings stays import-free."""

ENV_PREFIX = "ASSISTANT_"


@dataclass(frozen=True)
class Settings:
    """Resolved configuration of one run."""

    corpus: Path
    """Folder of articles (default: ./corpus)."""
    index: Path
    """Folder of the built index (default: ./index)."""
    model: str | None = None
    """Local sentence-transformers model folder; None means the bundled all-MiniLM-L6-v2."""
    backend: str = DEFAULT_BACKEND
    """Embedding backend: onnx-int8, onnx or torch."""
    max_quotes: int = 5
    """Quotes per answer."""


def config_paths() -> list[Path]:
    """Config files read in order (later ones win): user config, then ./assistant.toml."""
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return [base / "assistant" / "config.toml", Path("assistant.toml")]


def _from_files(paths: list[Path]) -> dict[str, object]:
    values: dict[str, object] = {}
    for path in paths:
        if path.is_file():
            try:
                values.update(tomllib.loads(path.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise ValueError(f"{path}: cannot read config: {exc}") from exc
    return values


def load_settings(
    *,
    corpus: str | Path | None = None,
    index: str | Path | None = None,
    model: str | None = None,
    backend: str | None = None,
    config_files: list[Path] | None = None,
) -> Settings:
    """Resolve settings: explicit arguments, then ASSISTANT_* variables, then config files, then defaults."""
    files = _from_files(config_paths() if config_files is None else config_files)

    def pick(name: str, given: object, default: object) -> object:
        if given is not None:
            return given
        env = os.environ.get(ENV_PREFIX + name.upper())
        if env:
            return env
        return files.get(name, default)

    settings = Settings(
        corpus=Path(str(pick("corpus", corpus, "corpus"))).expanduser(),
        index=Path(str(pick("index", index, "index"))).expanduser(),
        model=(lambda m: str(m) if m else None)(pick("model", model, None)),
        backend=str(pick("backend", backend, DEFAULT_BACKEND)),
    )
    quotes = files.get("max_quotes")
    if isinstance(quotes, int) and quotes > 0:
        settings = replace(settings, max_quotes=quotes)
    return settings
