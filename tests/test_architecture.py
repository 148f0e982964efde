"""Import hygiene: the core never imports the UI libraries, and start-up paths stay free of heavy imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "assistant"
UI_MODULES = {"cli", "__main__"}
HEAVY = ["torch", "sentence_transformers", "transformers", "faiss", "onnxruntime", "textual", "trafilatura"]


def core_modules() -> list[str]:
    return sorted(
        f"assistant.{p.stem}" for p in PACKAGE.glob("*.py") if p.stem not in UI_MODULES and p.stem != "__init__"
    ) + ["assistant"]


def loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True,
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


@pytest.mark.parametrize("module", core_modules())
def test_core_module_imports_neither_textual_nor_click(module: str) -> None:
    loaded = loaded_after(f"import {module}")
    assert not {m for m in loaded if m.split(".")[0] in {"textual", "click", "rich"}}, module


@pytest.mark.parametrize("module", ["assistant.search.engine", "assistant.index.indexer", "assistant.cli", "assistant.corpus.loaders"])
def test_heavy_libraries_load_only_when_used(module: str) -> None:
    loaded = loaded_after(f"import {module}")
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}, module


def test_help_is_light() -> None:
    loaded = loaded_after("import sys\nfrom assistant.cli import main\nsys.argv=['assistant','--help']\ntry:\n    main()\nexcept SystemExit:\n    pass")
    assert not {m for m in loaded if m.split(".")[0] in HEAVY + ["numpy"]}
