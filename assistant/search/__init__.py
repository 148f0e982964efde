"""Search: keyword and dense retrieval, quote building, the Engine that answers questions, evaluation."""
