"""Index storage: the SQLite store, FAISS vectors, the writer's lock and the indexer that keeps them current."""
