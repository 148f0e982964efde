"""Build lookup-fragments.jsonl: half-remembered quotations and quoted phrases from the BBC corpus, by rule.

Usage (from the repository root):

    .venv/bin/python docs/eval/make_fragments.py [--corpus ../shared/data/bbc] [--seed 12]

Deterministic: the same corpus and seed give the same file. Each line holds a question and the
character offsets of its target sentence in the file's text as Python decodes it
(`Path.read_text(encoding="utf-8")`), with the path relative to the corpus folder, as the index
stores it. Also the shared text helpers (sentence splitter, content words) for check_sets.py.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parents[2] / "shared" / "data" / "bbc"
CATEGORIES = ("business", "entertainment", "politics", "sport", "tech")
FRAGMENTS_PER_CATEGORY = 40
EXACT_PHRASES_PER_CATEGORY = 5
NEAR_PHRASES_PER_CATEGORY = 3
MIN_SENTENCE_WORDS = 8

STOPWORDS = frozenset(
    """a about above after again against all almost along already also although always am among an and
    another any anyone anything are around as at back be became because become been before being below
    between both but by can cannot could did do does doing done down during each either else enough even
    ever every few for from further get gets getting go going gone got had has have having he her here
    hers herself him himself his how however i if in into is it its itself just least less let like made
    make many may me might mine more most much must my myself neither never no nor not now of off often
    on once one only onto or other others otherwise our ours ourselves out over own per perhaps put
    quite rather really same say says said saying see seem seemed she should since so some someone
    something still such than that the their theirs them themselves then there these they thing things
    this those though through thus to told tell tells too toward towards under until up upon us very
    via want wanted was way we well were what whatever when where whether which while who whom whose why
    will with within without would yet you your yours yourself yourselves mr mrs ms dr s t don doesn
    didn isn wasn aren weren won wouldn couldn shouldn ve ll re d m yes also lot lots took take takes
    came come comes went goes know knew think thought told asked ask asks""".split()
)
"""Function words and reporting verbs; every other word (numbers too) counts as a content word."""

_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st prof gen col lt sgt rev sen gov jr sr co inc ltd no vs v bros mt ft corp dept est fig"
    .split()
)
# A sentence ends at . ! ? (closing quotes/brackets go with it) before a space and a capital,
# a digit, or an opening quote or bracket.
_SENTENCE_END = re.compile(r"""[.!?]+["')\]]*(?=\s+["'(\[]?[A-Z0-9£$])""")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*")
_ATTRIBUTION_VERBS = (
    r"said|says|told|added|adds|insisted|insists|warned|warns|argued|argues|explained|admitted|"
    r"claimed|claims|stressed|commented|continued|believes|maintained|revealed|declared|conceded|"
    r"acknowledged|agreed|suggested|noted|urged|joked|predicted|confirmed|announced|wrote"
)
_NAME = r"[A-Z][a-zA-Z'-]+"
_NAME_BEFORE_VERB = re.compile(
    rf"((?:{_NAME} ){{0,2}}{_NAME})(?:,[^,]{{1,60}},)? (?:has |had |also |then )?(?:{_ATTRIBUTION_VERBS})\b"
)
_VERB_BEFORE_NAME = re.compile(
    # 'told X' names the listener, not the speaker
    rf"\b(?:{_ATTRIBUTION_VERBS.replace('told|', '')}|according to) (?:[\w'-]+ ){{0,5}}"
    rf"((?:{_NAME} ){{0,2}}{_NAME})(?=[,.;:!?)]|\s+[a-z(]|\s*$)"
)
_NOT_SURNAMES = frozenset(
    """The A An He She It They We I You But And Or If In On At As For This That These Those There Then
    When While After Before Mr Mrs Ms Dr Lord Lady Sir His Her Their Our Its However Meanwhile Also
    Labour Conservative Conservatives Tory Tories Liberal Democrat Democrats Party Government Minister
    Ministers Secretary Chancellor Prime President Office Street Downing United Kingdom States City Club
    Association Union Commission Council Bank Group Court Committee House League Cup Department BBC UK
    US EU UN Britain British England English Scotland Scottish Wales Welsh Ireland Irish France French
    Germany German America American Europe European London Washington Reuters Sunday Monday Tuesday
    Wednesday Thursday Friday Saturday January February March April May June July August September
    October November December Commons Lords Parliament Today Times Guardian Telegraph Independent
    Observer Mail Sun Mirror News Radio Five Live Newsnight Breakfast Programme Show Inc Ltd Plc
    Microsoft Google Apple Sony Nintendo Oscar Oscars Grammy Awards Award Festival Chelsea Arsenal
    Liverpool Manchester Spokesman Spokeswoman Chief Executive Director Chairman Coach Manager Analyst
    Analysts Officials Police Company Firm Agency Institute Federation Society Foundation Trust Fund
    Board Authority Service Services Organisation Economist Economists Judge Inspector""".split()
)


@dataclass(frozen=True)
class Sentence:
    """One sentence of an article: its offsets and text."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Article:
    """One corpus file: its relative path, category, text and sentences (the title line excluded)."""

    path: str
    category: str
    text: str
    sentences: tuple[Sentence, ...]


def read_text(path: Path) -> str:
    """The file's text as the index decodes it (strict UTF-8; every BBC file is clean UTF-8)."""
    return path.read_text(encoding="utf-8", errors="strict")


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of the article body (after the title line and blank line), paragraph by paragraph."""
    sentences: list[Sentence] = []
    body_start = text.find("\n") + 1 if "\n" in text else len(text)
    for para in re.finditer(r"[^\n]+", text[body_start:]):
        p_start = body_start + para.start()
        chunk = para.group()
        begin = 0
        for match in _SENTENCE_END.finditer(chunk):
            if _is_abbreviation(chunk, match.start()):
                continue
            _add(sentences, text, p_start + begin, p_start + match.end())
            begin = match.end()
        _add(sentences, text, p_start + begin, p_start + len(chunk))
    return sentences


def _is_abbreviation(chunk: str, dot: int) -> bool:
    """True when the '.' at `dot` closes an abbreviation or an initial, not a sentence."""
    if chunk[dot] != ".":
        return False
    word = re.search(r"([A-Za-z]+)$", chunk[:dot])
    if word is None:
        return False
    token = word.group(1)
    return token.lower() in _ABBREVIATIONS or (len(token) == 1 and token.isupper())


def _add(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    """Append the stripped span start..end when it holds any word."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end and _WORD.search(text, start, end):
        sentences.append(Sentence(start, end, text[start:end]))


def words(text: str) -> list[str]:
    """Word tokens of `text`, as written."""
    return _WORD.findall(text)


def content_words(text: str) -> list[str]:
    """Lower-cased content words of `text` in order (stopwords and one-letter words dropped)."""
    out = []
    for word in words(text):
        low = word.lower().replace("’", "'")
        low = re.sub(r"'s$", "", low)
        if len(low) > 1 and low not in STOPWORDS:
            out.append(low)
    return out


def stem(word: str) -> str:
    """A crude stem for overlap counting: common suffixes off, first seven letters kept."""
    w = word.lower()
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""),
                         ("ly", ""), ("ment", ""), ("ation", ""), ("er", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)] + repl
            break
    return w[:7]


def shared_content_words(question: str, sentence: str) -> list[str]:
    """Content words of `question` whose stem occurs among the content words of `sentence`."""
    stems = {stem(w) for w in content_words(sentence)}
    seen: list[str] = []
    for word in content_words(question):
        if stem(word) in stems and word not in seen:
            seen.append(word)
    return seen


def quoted_spans(sentence: str) -> list[tuple[int, int]]:
    """Spans of `sentence` inside double quotes (an unclosed opening quote runs to the end)."""
    spans = []
    inside_from: int | None = None
    for m in re.finditer(r'"', sentence):
        i = m.start()
        before = sentence[i - 1] if i > 0 else " "
        after = sentence[i + 1] if i + 1 < len(sentence) else " "
        opening = (before.isspace() or before in "([-") and not after.isspace()
        if inside_from is None and opening:
            inside_from = i + 1
        elif inside_from is not None and not opening:
            spans.append((inside_from, i))
            inside_from = None
    if inside_from is not None:
        spans.append((inside_from, len(sentence)))
    return spans


def quoted_text(sentence: str) -> str:
    """The parts of `sentence` inside double quotes, joined by a line break."""
    return "\n".join(sentence[i:j] for i, j in quoted_spans(sentence))


def outside_quotes(sentence: str) -> str:
    """`sentence` with its quoted parts blanked out."""
    chars = list(sentence)
    for i, j in quoted_spans(sentence):
        chars[i:j] = " " * (j - i)
    return "".join(chars)


def load_corpus(root: Path) -> list[Article]:
    """Every article of the five categories, in path order."""
    articles = []
    for category in CATEGORIES:
        for path in sorted((root / category).glob("*.txt")):
            text = read_text(path)
            sentences = tuple(split_sentences(text))
            articles.append(Article(f"{category}/{path.name}", category, text, sentences))
    return articles


def sentence_copies(articles: list[Article]) -> dict[str, list[tuple[str, int, int]]]:
    """Normalised sentence text -> every (path, start, end) where it occurs (duplicate stories)."""
    copies: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for article in articles:
        for s in article.sentences:
            copies[normalise(s.text)].append((article.path, s.start, s.end))
    return copies


def normalise(text: str) -> str:
    """Lower case, single spaces: the key that finds the same sentence in a duplicate story."""
    return " ".join(text.lower().split())


_SENTENCE_OPENERS = frozenset(
    "He She They It We I You But And Then Also Meanwhile However This That There".split()
)
"""Capitalised words before 'said' that are not a name: 'He said' points back to an earlier sentence."""
HONORIFICS = frozenset("Mr Mrs Ms Miss Dr Lord Lady Sir Baroness Dame Professor".split())


def first_names(articles: list[Article]) -> frozenset[str]:
    """Words that stand before a surname the corpus also gives an honorific ('Gordon' of 'Mr Brown')."""
    titled = set()
    for article in articles:
        pattern = rf"\b(?:{'|'.join(HONORIFICS)}) ({_NAME})"
        titled.update(m.group(1) for m in re.finditer(pattern, article.text))
    found = set()
    counts: dict[str, int] = defaultdict(int)
    for article in articles:
        for word in words(article.text):
            counts[word] += 1
        for m in re.finditer(rf"\b([A-Z][a-z]+) ({_NAME})", article.text):
            if m.group(2) in titled and m.group(1) not in _NOT_SURNAMES and m.group(1) not in HONORIFICS:
                found.add(m.group(1))
    # 'Actor Smith' and 'Angry Smith' are not first names: the word is mostly written in lower case.
    return frozenset(f for f in found if counts[f.lower()] < counts[f])


def speaker_surname(article: Article, index: int, given: frozenset[str]) -> str | None:
    """The surname of the named speaker of sentence `index`: next to a reporting verb, there or just before.

    The verb must stand outside the quotation; the name must be a person's (see `_is_surname`).
    """
    here = list(_names_in(outside_quotes(article.sentences[index].text)))
    if not here and index > 0:  # '..., he said.' or no attribution: the speaker is named just before
        here = list(_names_in(outside_quotes(article.sentences[index - 1].text)))
    for name in here:
        if _is_surname(name, article.text, given):
            return name
    return None


def _names_in(text: str) -> Iterator[str]:
    """Candidate surnames standing next to a reporting verb, in order of position."""
    found = []
    for pattern in (_NAME_BEFORE_VERB, _VERB_BEFORE_NAME):
        for m in pattern.finditer(text):
            found.append((m.start(1), re.sub(r"['’]s$", "", m.group(1).split()[-1])))
    for _, name in sorted(found):
        if name not in _SENTENCE_OPENERS:
            yield name


def _is_surname(name: str, article_text: str, given: frozenset[str]) -> bool:
    """A person's surname: not a common capitalised word, and given a first name or a title in the article."""
    if name in _NOT_SURNAMES or name in HONORIFICS or len(name) < 3 or name.isupper():
        return False
    if name in given and re.search(rf"\b{re.escape(name)} [A-Z][a-z]+", article_text):
        return False  # 'Sir Paul said': a first name, the surname is written elsewhere
    for m in re.finditer(rf"\b([A-Z][a-z]+) {re.escape(name)}\b", article_text):
        if m.group(1) in HONORIFICS or m.group(1) in given:
            return True
    return False


def word_index(articles: list[Article]) -> dict[str, set[tuple[int, int]]]:
    """Lower-cased word -> {(article number, sentence number)} holding it."""
    index: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for a, article in enumerate(articles):
        for s, sentence in enumerate(article.sentences):
            for word in words(sentence.text):
                low = word.lower()
                index[low].add((a, s))
                index[re.sub(r"['’]s$", "", low)].add((a, s))  # "year's" also as "year"
    return index


def _unique_enough(
    terms: list[str], target: tuple[int, int], articles: list[Article], index: dict[str, set[tuple[int, int]]]
) -> bool:
    """True when every sentence holding all `terms` is the target or a copy of it (the words identify it)."""
    hits = set.intersection(*(index.get(t.lower(), set()) for t in terms))
    key = normalise(articles[target[0]].sentences[target[1]].text)
    return all(normalise(articles[a].sentences[s].text) == key for a, s in hits)


def fragment_candidates(articles: list[Article]) -> dict[str, list[tuple[int, int, str, list[str]]]]:
    """Per category: (article, sentence, surname, content words of the quotation) for usable sentences."""
    found: dict[str, list[tuple[int, int, str, list[str]]]] = defaultdict(list)
    given = first_names(articles)
    for a, article in enumerate(articles):
        for s, sentence in enumerate(article.sentences):
            if len(words(sentence.text)) < MIN_SENTENCE_WORDS or '"' not in sentence.text:
                continue
            quote = quoted_text(sentence.text)
            if len(words(quote)) < 4:
                continue
            surname = speaker_surname(article, s, given)
            if surname is None:
                continue
            terms = [
                w for w in dict.fromkeys(content_words(quote))
                if w.isalpha() and len(w) > 2 and w != surname.lower()
            ]
            if len(terms) >= 4:
                found[article.category].append((a, s, surname, terms))
    return found


def make_fragments(
    articles: list[Article], rng: random.Random, index: dict[str, set[tuple[int, int]]]
) -> tuple[list[dict[str, object]], set[str]]:
    """About 40 surname-plus-four-words lookups per category, one per story."""
    rows: list[dict[str, object]] = []
    used: set[str] = set()
    candidates = fragment_candidates(articles)
    for category in CATEGORIES:
        pool = candidates[category]
        rng.shuffle(pool)
        taken = 0
        for a, s, surname, terms in pool:
            if taken == FRAGMENTS_PER_CATEGORY:
                break
            article = articles[a]
            sentence = article.sentences[s]
            story = _story_key(article)
            if story in used:
                continue
            for _ in range(20):
                chosen = rng.sample(terms, 4)
                if _unique_enough(chosen, (a, s), articles, index):
                    break
            else:
                continue
            query = [surname, *chosen]
            rng.shuffle(query)
            rows.append({"question": " ".join(query), "path": article.path, "start": sentence.start,
                         "end": sentence.end, "kind": "fragment"})
            used.add(story)
            taken += 1
    return rows, used


def _story_key(article: Article) -> str:
    """The title and first sentence: the same story filed twice gets the same key."""
    first = article.sentences[0].text if article.sentences else ""
    return normalise(article.text.split("\n", 1)[0] + " " + first)


SYNONYMS = {
    "big": "large", "large": "big", "huge": "massive", "massive": "huge", "small": "little",
    "important": "significant", "significant": "important", "difficult": "hard", "happy": "pleased",
    "pleased": "happy", "fast": "quick", "quick": "fast", "problem": "issue", "problems": "issues",
    "issue": "problem", "issues": "problems", "chance": "opportunity", "opportunity": "chance",
    "job": "work", "game": "match", "match": "game", "team": "side",
    "money": "cash", "cash": "money", "firm": "company", "company": "firm", "firms": "companies",
    "companies": "firms", "country": "nation", "nation": "country", "decision": "choice",
    "choice": "decision", "fantastic": "wonderful", "wonderful": "fantastic", "delighted": "thrilled",
    "thrilled": "delighted", "disappointed": "upset", "rise": "increase", "increase": "rise",
    "quickly": "rapidly", "rapidly": "quickly", "strong": "powerful", "powerful": "strong",
    "plan": "scheme", "plans": "schemes", "scheme": "plan", "vital": "crucial", "crucial": "vital",
    "totally": "completely", "completely": "totally", "support": "backing", "backing": "support",
    "worried": "concerned", "concerned": "worried", "customers": "clients", "film": "movie",
    "movie": "film", "children": "kids", "buy": "purchase", "battle": "fight", "fight": "battle",
    "growth": "expansion", "weak": "feeble", "easy": "simple", "simple": "easy", "terrible": "awful",
    "awful": "terrible", "brilliant": "superb", "superb": "brilliant", "crisis": "emergency",
    "shop": "store", "shops": "stores", "price": "cost", "prices": "costs", "cost": "price",
    "costs": "prices", "mistake": "error", "mistakes": "errors", "danger": "risk", "risk": "danger",
    "angry": "furious", "furious": "angry", "unfair": "unjust", "sure": "certain", "certain": "sure",
}
"""Hand-picked replacements for a misremembered word in a near-exact phrase."""


def make_phrases(
    articles: list[Article], rng: random.Random, index: dict[str, set[tuple[int, int]]], used: set[str]
) -> list[dict[str, object]]:
    """Quoted-phrase lookups: exact phrases, and phrases with one word swapped or dropped."""
    rows: list[dict[str, object]] = []
    by_category: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for a, article in enumerate(articles):
        for s, sentence in enumerate(article.sentences):
            if '"' in sentence.text and len(words(quoted_text(sentence.text))) >= 6:
                by_category[article.category].append((a, s))
    for category in CATEGORIES:
        pool = by_category[category]
        rng.shuffle(pool)
        plan = ["phrase"] * EXACT_PHRASES_PER_CATEGORY + [
            ("swap", "drop")[i % 2] for i in range(NEAR_PHRASES_PER_CATEGORY)
        ]
        for a, s in pool:
            if not plan:
                break
            article = articles[a]
            story = _story_key(article)
            if story in used:
                continue
            made = _phrase_from(articles, a, s, plan[0], rng, index)
            if made is None:
                continue
            question, kind = made
            sentence = article.sentences[s]
            rows.append({"question": question, "path": article.path, "start": sentence.start,
                         "end": sentence.end, "kind": kind})
            used.add(story)
            plan.pop(0)
    return rows


def _phrase_from(
    articles: list[Article], a: int, s: int, mode: str, rng: random.Random,
    index: dict[str, set[tuple[int, int]]],
) -> tuple[str, str] | None:
    """A '"phrase"' question from the quotation of sentence (a, s), or None when none is distinctive."""
    quote = quoted_text(articles[a].sentences[s].text)
    runs = [r.split() for r in re.split(r"[^A-Za-z' ]+", quote)]  # clauses without punctuation
    options = []
    for run in runs:
        run = [w for w in run if w.strip("'")]
        for n in range(3 if mode == "phrase" else 4, 7):
            for i in range(len(run) - n + 1):
                options.append(run[i : i + n])
    rng.shuffle(options)
    for phrase in options:
        if any(w.startswith("'") or w.endswith("'") for w in phrase):
            continue
        if not (_is_content(phrase[0]) and _is_content(phrase[-1])):
            continue  # 'the end of' is no phrase anyone remembers
        if len([w for w in phrase if _is_content(w)]) < min(3, len(phrase) - 1):
            continue
        if not _phrase_unique(phrase, articles, a, s, index):
            continue
        if mode == "phrase":
            return f'"{" ".join(phrase)}"', "phrase"
        if mode == "swap":
            slots = [i for i, w in enumerate(phrase) if w.lower() in SYNONYMS and w.islower()]
            if not slots:
                continue
            i = rng.choice(slots)
            new = SYNONYMS[phrase[i].lower()]
            changed = phrase[:i] + [new] + phrase[i + 1 :]
            return f'"{" ".join(changed)}"', "near-phrase"
        if len(phrase) < 5:
            continue
        i = rng.choice(range(1, len(phrase) - 1))
        if phrase[i - 1].lower() == phrase[i + 1].lower():
            continue  # 'makes a a gadget'
        return f'"{" ".join(phrase[:i] + phrase[i + 1 :])}"', "near-phrase"
    return None


def _is_content(word: str) -> bool:
    """A content word of three letters or more ("don't" and "it's" are not)."""
    return len(word) > 2 and word.isalpha() and word.lower() not in STOPWORDS


def _phrase_unique(
    phrase: list[str], articles: list[Article], a: int, s: int, index: dict[str, set[tuple[int, int]]]
) -> bool:
    """True when the exact phrase occurs in no sentence but (a, s) and its copies."""
    hits = set.intersection(*(index.get(w.lower(), set()) for w in phrase))
    pattern = re.compile(r"\b" + r"\s+".join(re.escape(w) for w in phrase) + r"\b", re.IGNORECASE)
    key = normalise(articles[a].sentences[s].text)
    for ha, hs in hits:
        text = articles[ha].sentences[hs].text
        if pattern.search(text) and normalise(text) != key:
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    """Write lookup-fragments.jsonl next to this script."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--out", type=Path, default=HERE / "lookup-fragments.jsonl")
    args = parser.parse_args(argv)
    articles = load_corpus(args.corpus)
    index = word_index(articles)
    rng = random.Random(args.seed)
    fragments, used = make_fragments(articles, rng, index)
    phrases = make_phrases(articles, rng, index, used)
    with args.out.open("w", encoding="utf-8") as fh:
        for row in fragments + phrases:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(fragments)} fragments, {len(phrases)} phrases -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
