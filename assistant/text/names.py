"""People's names as compared: one rule for whether two names can mean the same person, never a guess beyond it."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["FIRST_NAME_HONOURS", "HONOURS", "TITLES", "first_name", "fold", "name_words", "same_person"]

TITLES = frozenset("mr mrs ms miss mx dr prof professor rev".split())
"""Courtesy and academic titles before a name: they never tell people apart ('Mr Howard' is Michael Howard)."""
HONOURS = frozenset("sir dame lord lady baroness baron".split())
"""Honours before a name: left out of a full name ('Sir Clive Woodward' is Clive Woodward, knighted since)."""
FIRST_NAME_HONOURS = frozenset({"sir", "dame"})
"""Honours that go with the first name: 'Sir Digby' is Sir Digby Jones (a peer's title goes with a surname or a
place instead: 'Lord Kinnock' is Neil Kinnock)."""

_WORD_RE = re.compile(r"\w+(?:[\u2060'’]+\w+)*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2060": None})


def _normal(word: str) -> str:
    """A word as written, comparable: NFKC, typographic apostrophes straightened, case folded (diacritics kept)."""
    return unicodedata.normalize("NFKC", word).translate(_APOSTROPHES).casefold()


def fold(text: str) -> str:
    """`text` as compared: case folded, apostrophes straightened and combining marks left out ('Zoë Müller' ->
    'zoe muller'); for comparison only, a name is shown as its source writes it."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare).casefold()


def _words(name: str) -> list[str]:
    """The name's words (_normal), the courtesy titles in front of it left out, honours kept."""
    found = [_normal(m.group()) for m in _WORD_RE.finditer(unicodedata.normalize("NFKC", name))]
    while found and found[0] in TITLES:
        found.pop(0)
    return found


def name_words(name: str) -> list[str]:
    """A person's name as comparable words, the titles and honours in front left out ('Mr Tony Blair' -> ['tony',
    'blair'], 'Sir Digby' -> ['digby']); diacritics as written (`fold` them to compare across spellings)."""
    found = _words(name)
    while len(found) > 1 and found[0] in HONOURS:
        found.pop(0)
    return found if not found or found[0] not in HONOURS else []


def first_name(name: str) -> str | None:
    """The first name, folded, that a knight or dame is named by ('Sir Digby' -> 'digby'); None for any other name
    (a bare 'Digby' or 'Mr Digby' is a surname, 'Sir Digby Jones' a full name)."""
    found = _words(name)
    return fold(found[1]) if len(found) == 2 and found[0] in FIRST_NAME_HONOURS else None


def same_person(a: str, b: str) -> bool:
    """True when two names can mean the same person, case, diacritics, titles and honours aside: a surname and a full
    name ending in it ('Zulfugarov', 'Tofig Zulfugarov'); 'Sir X' or 'Dame X' and a full name whose first name is X
    ('Sir Digby', 'Sir Digby Jones'). Never on a guess beyond that: 'Digby' is not Digby Jones, nor 'Sir Digby' Bob
    Digby, nor 'Maria Olsen' Anna Olsen."""
    x, y = [fold(w) for w in name_words(a)], [fold(w) for w in name_words(b)]
    if not x or not y:
        return False
    given_a, given_b = first_name(a), first_name(b)
    if given_a is not None and given_b is not None:
        return _words(a)[0] == _words(b)[0] and given_a == given_b
    if given_a is not None or given_b is not None:
        given, full = (given_a, y) if given_a is not None else (given_b, x)
        return len(full) > 1 and full[0] == given
    if x[-1] != y[-1]:
        return False
    shorter, longer = (x, y) if len(x) <= len(y) else (y, x)
    return set(shorter) <= set(longer)
