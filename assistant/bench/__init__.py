"""The benchmark suite (`python -m assistant.bench`): a neighbour of the library, not part of its core."""
