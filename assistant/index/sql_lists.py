"""SQL list literals for `IN (...)`, shared by the store's modules (a leaf: it imports none of them)."""

from __future__ import annotations

from collections.abc import Iterable


def ids_in(values: Iterable[int]) -> str:
    """A safe SQL list literal of integers for `IN (...)`."""
    return ",".join(str(int(v)) for v in values) or "NULL"
