"""Sentence embedding: the Embedder protocol, the registry of backends (ONNX, torch, the hashing fake)."""
