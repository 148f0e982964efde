"""A terminal research assistant: verbatim, cited quotes from a folder of news articles."""

__version__ = "0.1.0"
