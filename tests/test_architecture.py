"""The architecture as a test: layers, no import cycles, heavy libraries only where they are used.

Static: every module under assistant/ is parsed with ast and every import counts, those inside functions
too. One subprocess check stays for what only running can show (STYLE.md): the start-up paths load none
of the heavy libraries.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "assistant"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("assistant", "assistant.errors", "assistant.models", "assistant.settings", "assistant.serialize"),
    ("assistant.text",),
    # safe_files names paths in its messages with text.sanitize, so it sits above text, beside the readers.
    ("assistant.corpus", "assistant.embedding", "assistant.safe_files"),
    ("assistant.index",),
    ("assistant.search", "assistant.launch"),
    ("assistant.cli", "assistant.tui", "assistant.sessions", "assistant.notebook", "assistant.mcp_server",
     "assistant.bench", "assistant.__main__"),
)
"""Lowest first. A module imports only from its own layer or lower; a prefix names a package and all in it."""
EDGE = len(LAYERS) - 1

UI_LIBRARIES = {"textual", "click", "rich", "mcp"}
HEAVY = {"torch", "sentence_transformers", "transformers", "faiss", "onnxruntime", "textual", "trafilatura",
         "citeproc", "mcp", "psycopg"}
"""Imported only inside the functions that need them, in the core and in cli."""
START_UP = ("assistant.cli", "assistant.__main__", "assistant.tui.app")
"""Modules whose module-level imports run before the first screen or line of output."""


@dataclass(frozen=True)
class Import:
    """One import statement: the module it names, and whether it runs when the importing module loads."""

    target: str
    line: int
    module_level: bool
    type_checking: bool


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str) -> list[Import]:
    """Every import in the module, resolved to absolute names (relative imports included)."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, module_level: bool, type_checking: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend(Import(a.name, child.lineno, module_level, type_checking) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in child.names:
                    # `from assistant.index import store` imports the submodule when there is one.
                    target = f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                    found.append(Import(target, child.lineno, module_level, type_checking))
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, False, type_checking)
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                visit(child, module_level, True)
            else:
                visit(child, module_level, type_checking)

    visit(tree, True, False)
    return list(dict.fromkeys(found))  # `from x import a, b` names x once


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


IMPORTS = {name: imports_of(name) for name in MODULES}


def layer_of(name: str) -> int | None:
    """Index of the layer holding the module (longest matching prefix), None when no layer names it."""
    best: tuple[int, int] | None = None
    for rank, layer in enumerate(LAYERS):
        for prefix in layer:
            if name == prefix or (prefix != "assistant" and name.startswith(prefix + ".")):
                if best is None or len(prefix) > best[0]:
                    best = (len(prefix), rank)
    return None if best is None else best[1]


def internal(target: str) -> str | None:
    """The assistant module an import names (a package's __init__ for a package), else None."""
    if target != "assistant" and not target.startswith("assistant."):
        return None
    while target not in MODULES and "." in target:
        target = target.rpartition(".")[0]
    return target


def top(target: str) -> str:
    return target.split(".")[0]


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(name for name in MODULES if layer_of(name) is None)
    assert not unplaced, f"modules in no layer (add them to LAYERS in {Path(__file__).name}): {unplaced}"


def test_modules_import_only_their_own_layer_or_lower() -> None:
    wrong = []
    for name, imports in IMPORTS.items():
        rank = layer_of(name)
        for imp in imports:
            target = internal(imp.target)
            if target is None or rank is None:
                continue
            target_rank = layer_of(target)
            if target_rank is not None and target_rank > rank:
                wrong.append(f"{name}:{imp.line} imports {target} (layer {target_rank} > {rank})")
    assert not wrong, "\n".join(wrong)


def test_the_core_never_imports_a_ui_library() -> None:
    wrong = [f"{name}:{imp.line} imports {imp.target}"
             for name, imports in IMPORTS.items() if layer_of(name) != EDGE
             for imp in imports if top(imp.target) in UI_LIBRARIES]
    assert not wrong, "\n".join(wrong)


def test_heavy_libraries_are_imported_inside_functions_in_the_core_and_cli() -> None:
    wrong = [f"{name}:{imp.line} imports {imp.target} at module level"
             for name, imports in IMPORTS.items() if layer_of(name) != EDGE or name == "assistant.cli"
             for imp in imports if imp.module_level and not imp.type_checking and top(imp.target) in HEAVY]
    assert not wrong, "\n".join(wrong)


def module_level_closure(start: str) -> dict[str, str]:
    """Every module (assistant's and third-party top-level names) that importing `start` loads, each with
    the assistant module that imports it first."""
    seen: dict[str, str] = {start: start}
    todo = [start]
    while todo:
        name = todo.pop()
        for imp in IMPORTS[name]:
            if not imp.module_level or imp.type_checking:
                continue
            target = internal(imp.target) or top(imp.target)
            if target not in seen:
                seen[target] = name
                if target in MODULES:
                    todo.append(target)
    return seen


@pytest.mark.parametrize("start", START_UP)
def test_start_up_paths_load_no_heavy_library_and_no_numpy(start: str) -> None:
    loaded = module_level_closure(start)
    wrong = sorted(f"{m} (imported by {by})" for m, by in loaded.items() if m in HEAVY - {"textual"} | {"numpy"})
    if start != "assistant.tui.app":
        wrong += sorted(f"textual (imported by {by})" for m, by in loaded.items() if m == "textual")
    else:
        # The chat opens before the engine: the engine module (and the model behind it) loads in a worker.
        wrong += sorted(f"{m} (imported by {by})" for m, by in loaded.items() if m == "assistant.search.engine")
    assert not wrong, wrong


def graph() -> dict[str, set[str]]:
    """assistant module -> assistant modules it imports (anywhere in it; TYPE_CHECKING imports left out)."""
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, imports in IMPORTS.items():
        for imp in imports:
            target = internal(imp.target)
            if target is not None and target != name and not imp.type_checking:
                edges[name].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> Iterator[list[str]]:
    """One cycle (as a path a -> ... -> a) per strongly connected component of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def connect(node: str) -> Iterator[set[str]]:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                yield from connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            yield component

    for node in sorted(edges):
        if node in index:
            continue
        for component in connect(node):
            if len(component) > 1:
                yield _path_through(min(component), component, edges)


def _path_through(start: str, component: set[str], edges: dict[str, set[str]]) -> list[str]:
    """A shortest path start -> ... -> start inside the component (breadth first)."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(edges[node] & component):
                if nxt == start:
                    chain = [node]
                    while chain[-1] != start:
                        chain.append(previous[chain[-1]])
                    return [*reversed(chain), start]
                if nxt not in previous:
                    previous[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no cycle through {start}")


def test_no_import_cycles() -> None:
    found = [" -> ".join(cycle) for cycle in cycles(graph())]
    assert not found, "import cycles (deferred imports count):\n" + "\n".join(found)


def test_the_cycle_finder_reports_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert list(cycles(edges)) == [["a", "b", "c", "a"]]
    assert list(cycles({"a": {"b"}, "b": set()})) == []


def test_start_up_in_a_fresh_interpreter_loads_no_heavy_library() -> None:
    """`assistant --help`, then importing the engine: what really ends up in sys.modules (the static tests
    cannot see an import that a module-level call triggers)."""
    code = (
        "import json, sys\n"
        "from assistant.cli import main\n"
        "sys.argv = ['assistant', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "after_help = sorted(sys.modules)\n"
        "import assistant.search.engine\n"
        "print(json.dumps([after_help, sorted(sys.modules)]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    after_help, after_engine = (set(map(top, names)) for names in json.loads(out.splitlines()[-1]))
    assert "Usage:" in out
    assert after_help & (HEAVY | {"numpy"}) == set()
    assert after_engine & HEAVY == set()
