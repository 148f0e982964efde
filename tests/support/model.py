"""Where the test session keeps the real model's ONNX export and its records (a private home of its own)."""

from __future__ import annotations

from pathlib import Path


def onnx_folder(home: Path) -> Path:
    """Where the session's default ONNX export lands: cache_root()/onnx with ASSISTANT_CACHE_DIR=home/cache."""
    return home / "cache" / "onnx"


def state_of(cache: Path) -> Path:
    """The state folder (export records) that goes with an ONNX cache folder."""
    return cache.with_name(cache.name + "-state")
