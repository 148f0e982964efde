"""Helpers shared by the test modules (tests/ is on sys.path, so `from support.corpus import prose`).

corpus: test corpora; indexes: building and checking indexes; engines: opened engines and quote checks;
tui: the fake engine behind the Textual tests; reliability and inputs: the reliability suites' runners and
hypothesis strategies; workers: the child process that index tests kill, lock and open.
"""
