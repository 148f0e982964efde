"""Where the corpus, index and model are: command-line values, then environment, then config files, then defaults.

The user's own config (~/.config/assistant/config.toml) is always read. A folder's own `assistant.toml`
comes from whoever made the folder, so it is read only when the user opted in (`--local-config`,
`trust_local_config = true` in the user config, or ASSISTANT_TRUST_LOCAL_CONFIG=1), and even then it
may not point the corpus, index or model outside the current folder, pick an unknown backend, or turn
on following symlinks.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

BACKEND_NAMES = ("onnx-int8", "onnx", "torch", "hash")
"""Embedding backends by name, in the order help texts list them; assistant.embedding.registry holds one loader
for each (and checks that it does). Named here so settings, a foundation module, imports nothing above it."""
DEFAULT_BACKEND = "onnx-int8"

_PASSWORD = re.compile(r"(password\s*=\s*|://[^/?#@:]*:)('(?:[^'\\]|\\.)*'?|[^\s'&#@]*)", re.IGNORECASE)
"""A password in a connection string, masked when a store setting that is no URL is echoed (index.postgres.safe_url
masks URLs; this layer may not import it)."""

ENV_PREFIX = "ASSISTANT_"
LOCAL_CONFIG_NAME = "assistant.toml"
KNOWN_BACKENDS = BACKEND_NAMES
CITE_STYLES = ("chicago", "apa", "mla", "harvard", "ap", "bibtex", "csl-json")
"""Kept in step with assistant.text.citation_styles.STYLES (not imported: reading settings stays import-free)."""
WATCH_MODES = {"auto": "auto", "on": "on", "true": "on", "yes": "on", "1": "on", "off": "off", "false": "off",
               "no": "off", "0": "off"}
"""Values of `watch` (config, ASSISTANT_WATCH) and the mode each means."""
MAX_QUOTES = 50
"""Most quotes per answer `max_quotes` may ask for (as `ask -k`)."""
BUNDLED_MODEL_NAMES = ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2")
_TRUE = {"1", "true", "yes", "on"}
_PATH_KEYS = ("corpus", "index", "model")
_USER_ONLY_KEYS = ("follow_symlinks", "trust_local_config", "store")
"""Keys only the user's own config may set: a folder must not widen what is read or trust itself."""


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
    follow_symlinks: bool = False
    """Follow symlinks that lead out of the corpus (links inside it are always followed)."""
    cite_style: str = "chicago"
    """Default citation style for `ask --cite`, the TUI's copy keys and the MCP `cite` tool."""
    store: str | None = None
    """A PostgreSQL URL (team mode, docs/team.md): the index lives there instead of the index folder."""
    watch: str = "auto"
    """Whether the chat keeps the index current as the corpus folder changes: 'on', 'off', or 'auto' (on for a
    local corpus whose index folder may be written; see assistant.tui.watching.watch_choice)."""

    @property
    def location(self) -> Path | str:
        """Where the index lives: the store URL when one is set, else the index folder."""
        return self.store or self.index


@dataclass(frozen=True)
class ConfigFile:
    """One config file the settings could come from, and what became of it."""

    path: Path
    status: str
    """'read', 'ignored' (found, not used) or 'not found'."""
    reason: str = ""
    """Why it was ignored."""


@dataclass(frozen=True)
class ResolvedSettings:
    """Settings with their provenance, for `assistant config`."""

    settings: Settings
    sources: Mapping[str, str]
    """Per key: 'command line', 'environment ASSISTANT_X', a config file's path, or 'default'."""
    files: tuple[ConfigFile, ...]
    warnings: tuple[str, ...] = field(default=())
    """One line each: keys of a local config that were refused, and a local config left unread."""
    trust_local_config: bool = False


def user_config_path() -> Path:
    """The user's own config file: $XDG_CONFIG_HOME/assistant/config.toml or ~/.config/assistant/config.toml."""
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "assistant" / "config.toml"


def local_config_path() -> Path:
    """The current folder's config file (absolute, so messages name it unambiguously)."""
    return Path(os.path.abspath(LOCAL_CONFIG_NAME))


def config_paths() -> list[Path]:
    """Config files in order (later ones win): the user config, then ./assistant.toml when trusted."""
    return [user_config_path(), local_config_path()]


def _read(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: cannot read config: {exc}") from exc


def _quote_count(value: object) -> int | None:
    """`max_quotes` as a number of quotes (an int, or digits from the environment), None when it is not 1..MAX_QUOTES."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_QUOTES:
        return value
    return None


def _truthy(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in _TRUE)


def _inside(folder: str, value: str) -> bool:
    """True when `value` (relative to `folder`, links resolved) is `folder` or lies below it."""
    target = os.path.realpath(os.path.join(folder, os.path.expanduser(value)))
    return target == folder or target.startswith(folder.rstrip(os.sep) + os.sep)


def _local_refusal(key: str, value: object, here: str) -> str | None:
    """Why a trusted local config may not set `key` to `value` (None when it may)."""
    if key in _USER_ONLY_KEYS:
        return "may be set only in your own config"
    if key == "backend":
        return None if value in KNOWN_BACKENDS else f"is not one of {', '.join(KNOWN_BACKENDS)}"
    if key == "cite_style":
        return None if value in CITE_STYLES else f"is not one of {', '.join(CITE_STYLES)}"
    if key in _PATH_KEYS:
        if not isinstance(value, str):
            return "should be a path"
        if key == "model" and value in BUNDLED_MODEL_NAMES:
            return None
        if not _inside(here, value):
            return "leads outside the current folder"
    return None


def resolve_settings(
    *,
    corpus: str | Path | None = None,
    index: str | Path | None = None,
    model: str | None = None,
    backend: str | None = None,
    follow_symlinks: bool | None = None,
    trust_local_config: bool | None = None,
    store: str | None = None,
) -> ResolvedSettings:
    """Settings from explicit arguments, then ASSISTANT_* variables, then config files, then defaults.

    Raises ValueError when a config file that is used cannot be read.
    """
    user_path, local_path = user_config_path(), local_config_path()
    files: list[ConfigFile] = []
    warnings: list[str] = []
    values: dict[str, object] = {}
    origin: dict[str, str] = {}
    if user_path.is_file():
        user = _read(user_path)
        files.append(ConfigFile(user_path, "read"))
        for key, value in user.items():
            values[key], origin[key] = value, str(user_path)
    else:
        files.append(ConfigFile(user_path, "not found"))

    trusted = bool(trust_local_config)
    if not trusted and _truthy(os.environ.get(ENV_PREFIX + "TRUST_LOCAL_CONFIG", "")):
        trusted = True
    if not trusted and _truthy(values.get("trust_local_config")):
        trusted = True
    if local_path.is_file() and local_path != user_path:
        if trusted:
            files.append(ConfigFile(local_path, "read"))
            here = os.path.realpath(os.getcwd())
            for key, value in _read(local_path).items():
                refusal = _local_refusal(key, value, here)
                if refusal is not None:
                    shown = repr(value) if isinstance(value, str | int | float | bool) else type(value).__name__
                    warnings.append(f"warning: {local_path}: {key} = {shown[:200]} {refusal}; ignored")
                    continue
                values[key], origin[key] = value, str(local_path)
        else:
            reason = (
                "a config in the current folder is used only when you opt in: pass --local-config, "
                f"or set trust_local_config = true in {user_path}"
            )
            files.append(ConfigFile(local_path, "ignored", reason))
            warnings.append(f"note: {local_path} ignored; {reason}")
    elif local_path != user_path:
        files.append(ConfigFile(local_path, "not found"))

    def pick(name: str, given: object, default: object) -> object:
        if given is not None:
            origin[name] = "command line"
            return given
        env = os.environ.get(ENV_PREFIX + name.upper())
        if env:
            origin[name] = f"environment {ENV_PREFIX}{name.upper()}"
            return env
        if name in values:
            return values[name]
        origin[name] = "default"
        return default

    follow = pick("follow_symlinks", follow_symlinks, False)
    settings = Settings(
        corpus=Path(str(pick("corpus", corpus, "corpus"))).expanduser(),
        index=Path(str(pick("index", index, "index"))).expanduser(),
        model=(lambda m: str(m) if m else None)(pick("model", model, None)),
        backend=str(pick("backend", backend, DEFAULT_BACKEND)),
        follow_symlinks=_truthy(follow) if isinstance(follow, str) else bool(follow),
    )
    quotes = pick("max_quotes", None, 5)
    count = _quote_count(quotes)
    if count is None:
        warnings.append(f"warning: max_quotes = {str(quotes)[:40]!r} is not a whole number from 1 to {MAX_QUOTES}; using 5")
        origin["max_quotes"] = "default"
    else:
        settings = replace(settings, max_quotes=count)
    style = pick("cite_style", None, "chicago")
    if isinstance(style, str) and style.strip().lower() in CITE_STYLES:
        settings = replace(settings, cite_style=style.strip().lower())
    else:
        warnings.append(f"warning: cite_style = {str(style)[:40]!r} is not one of {', '.join(CITE_STYLES)}; using chicago")
        origin["cite_style"] = "default"
    watch = pick("watch", None, "auto")
    mode = WATCH_MODES.get(str(watch).strip().lower()) if not isinstance(watch, bool) else ("on" if watch else "off")
    if mode is None:
        warnings.append(f"warning: watch = {str(watch)[:40]!r} is not true, false or auto; using auto")
        origin["watch"], mode = "default", "auto"
    settings = replace(settings, watch=mode)
    url = pick("store", store, None)
    if url:
        if not isinstance(url, str) or not url.startswith(("postgresql://", "postgres://")):
            shown = _PASSWORD.sub(r"\1***", str(url))[:60]  # a keyword string's password (host=... password=...)
            raise ValueError(f"store = {shown!r} ({origin.get('store', 'config')}) is not a postgresql:// URL")
        settings = replace(settings, store=url)
    if not settings.store and origin["corpus"] == "default":
        # An index remembers the folder it was built from: `assistant --index ~/bbc-index` opens that archive and
        # keeps it current with its own folder, instead of rebuilding it from whatever ./corpus holds (which
        # would drop every article not in ./corpus).
        recorded = recorded_corpus(settings.index)
        if recorded is not None and recorded.is_dir() and recorded != settings.corpus.resolve():
            settings = replace(settings, corpus=recorded)
            origin["corpus"] = f"recorded in the index {settings.index}"
    if trust_local_config:
        origin["trust_local_config"] = "command line"
    elif _truthy(os.environ.get(ENV_PREFIX + "TRUST_LOCAL_CONFIG", "")):
        origin["trust_local_config"] = f"environment {ENV_PREFIX}TRUST_LOCAL_CONFIG"
    elif not _truthy(values.get("trust_local_config")):
        origin["trust_local_config"] = "default"
    keys = ("corpus", "index", "model", "backend", "max_quotes", "follow_symlinks", "trust_local_config", "cite_style",
            "watch", "store")
    return ResolvedSettings(
        settings=settings,
        sources={key: origin[key] for key in keys},
        files=tuple(files),
        warnings=tuple(warnings),
        trust_local_config=trusted,
    )


def recorded_corpus(index: Path) -> Path | None:
    """The corpus folder an index folder was last built from (its meta row), None when there is no readable one."""
    import sqlite3

    path = index / "index.sqlite3"
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'corpus'").fetchone()
        finally:
            db.close()
    except (sqlite3.Error, OSError, ValueError):
        return None
    if not row or not isinstance(row[0], str) or not row[0]:
        return None
    return Path(row[0])


def load_settings(
    *,
    corpus: str | Path | None = None,
    index: str | Path | None = None,
    model: str | None = None,
    backend: str | None = None,
    follow_symlinks: bool | None = None,
    trust_local_config: bool | None = None,
    store: str | None = None,
) -> Settings:
    """The settings in force (see resolve_settings for where each value came from)."""
    return resolve_settings(
        corpus=corpus, index=index, model=model, backend=backend,
        follow_symlinks=follow_symlinks, trust_local_config=trust_local_config, store=store,
    ).settings
