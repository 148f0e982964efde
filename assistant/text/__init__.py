"""Text handling: decoding, chunking into sentences, query parsing, sanitising, citations and their styles."""
