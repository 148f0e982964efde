"""What one benchmark run measures, and at what size."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Plan:
    """What one run measures, and at what size."""

    corpus: Path
    """The article folder (the BBC corpus by default)."""
    quick: bool
    """The short mode (under 2 minutes)."""
    steps: frozenset[str]
    """Which of STEPS run."""
    backend: str
    """The embedding backend measured (onnx-int8)."""
    baseline: str
    """The backend it is compared with (torch)."""
    compare_every: int
    """The baseline comparison indexes every n-th corpus file."""
    compare_runs: int
    """Runs of each backend in the comparison (the best counts)."""
    full_index: bool
    """Also index the whole corpus with `backend`."""
    index: Path | None
    """An existing index of the corpus to ask and re-run on, instead of building one."""
    questions: int
    """Questions for the warm batch (and the FTS and real-vector queries)."""
    runs: int
    """Runs per whole-process median."""
    scale: int
    """Synthetic vectors for the exact/IVF comparison (0: skip)."""
    real: int
    """Real BBC vectors copied with noise up to this many (0: skip)."""
    fts: int
    """Synthetic chunks in the FTS5 table (0: skip)."""
