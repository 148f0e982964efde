"""Corpus reading: discovering article files and loading each format into articles."""
