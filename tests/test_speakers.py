"""Quotations and speakers in the index (issue 13): stored at index time and by the backfill
migration, read back for answers, `people` and `quotes --by`, shown without doubled marks, and
browsed in the TUI's People view (Pilot, real engine on a hash-embedded index)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import main, render_answer
from assistant.embedding.registry import HashEmbedder
from assistant.index import quotation_store, store
from assistant.index.indexer import build_index
from assistant.models import Answer, Filters, Quote, Speaker
from assistant.search.engine import Engine
from assistant.serialize import answer_from_dict, answer_to_dict
from assistant.text.citations import answer_markdown, markdown_quote, quote_lines, quoted
from assistant.text.query import merge_filters, parse_question
from assistant.settings import Settings
from assistant.tui.app import make_app
from assistant.tui.people import PeopleScreen
from assistant.tui.reader import ArticleView, ReaderScreen
from support.tui import app_on_index, wait_for
from textual.widgets import Input, OptionList, Static

SEED = Path(__file__).resolve().parents[1] / "corpus" / "000_8c27288c5cf39a16.txt"
ZULFUGAROV = Speaker("Tofig Zulfugarov", "former Azerbaijani Foreign Minister", 0, 0)

TAX = """---
title: Tories attack tax plans
date: 2005-02-01
source: BBC
---

Michael Howard, the Tory leader, attacked the plans on Monday.

"This is a tax on hard-working families and we will fight it," Mr Howard said.

He added: "We will scrap it in our first budget, whatever the Treasury says."

John Smith, a Labour MP, disagreed. "The plans are fair and they are needed now," he said.
"""
LEEDS = """---
title: Howard in Leeds
date: 2005-02-03
source: Daily Planet
---

Michael Howard spoke to party members in Leeds on Wednesday.

"This is a tax on hard-working families and we will fight it," he told them.
"""
AUSTRALIA = """---
title: Canberra stands firm
date: 2005-01-10
source: Wire
---

John Howard, the Australian prime minister, spoke after the summit.

He said: "We will stand by our allies in the region for as long as it takes."
"""
UNNAMED = """Prison plans reviewed

The Home Office is reviewing plans for new prisons.

"We are looking at all the options for the estate," a Home Office spokesman said.
"""
WIRE = {
    "title": "Markets fall", "date": "2005-03-01", "source": "Reuters",
    "text": 'Markets fell sharply on Tuesday.\n\n"Investors are nervous about the outlook for rates," said Anna Berg, an analyst at Nordbank.',
}


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SEED, folder / SEED.name)
    for name, text in (("tax.md", TAX), ("leeds.md", LEEDS), ("australia.md", AUSTRALIA), ("unnamed.txt", UNNAMED)):
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "wire.jsonl").write_text(json.dumps({"title": "Quiet day", "text": "Nothing happened."}) + "\n" + json.dumps(WIRE) + "\n",
                                       encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("speakers")
    corpus = write_corpus(root / "corpus")
    index = root / "index"
    build_index(corpus, index, embedder=HashEmbedder())
    return corpus, index


def rows(index: Path) -> list[tuple[str, int, str, str | None, str | None, str | None]]:
    """(path, record, quotation text, speaker, role, attribution text) of every stored quotation."""
    db = store.connect(index)
    try:
        return db.execute(
            "SELECT a.path, a.record, substr(a.text, q.start + 1, q.end - q.start), q.speaker, q.role,"
            " CASE WHEN q.attr_start IS NULL THEN NULL ELSE substr(a.text, q.attr_start + 1, q.attr_end - q.attr_start) END"
            " FROM quotations q JOIN articles a ON a.id = q.article_id ORDER BY a.path, a.record, q.start"
        ).fetchall()
    finally:
        db.close()


# -- index time ---------------------------------------------------------------------------------


def test_indexing_stores_every_quotation_with_offsets_and_speaker(indexed: tuple[Path, Path]) -> None:
    _, index = indexed
    found = rows(index)
    by_text = {text: (path, record, speaker, role, said) for path, record, text, speaker, role, said in found}
    assert by_text['"This is a tax on hard-working families and we will fight it,"'][2:] == (
        "Michael Howard", "Tory leader", "Mr Howard")
    assert by_text['"We will scrap it in our first budget, whatever the Treasury says."'][2:] == (
        "Michael Howard", "Tory leader", "He")
    assert by_text['"The plans are fair and they are needed now,"'][2:] == ("John Smith", "Labour MP", "he")
    # An unnamed spokesman is nobody: never a guess.
    assert by_text['"We are looking at all the options for the estate,"'][2:] == (None, None, None)
    # JSONL: offsets into the record's text, like every other offset of a record.
    assert by_text['"Investors are nervous about the outlook for rates,"'][:3] == ("wire.jsonl", 2, "Anna Berg")
    # The seed: every quotation of the article is stored, each with its speaker.
    seed = [(text, speaker, role) for path, _, text, speaker, role, _ in found if path == SEED.name]
    assert len(seed) == 9
    negotiate = [s for s in seed if "will not negotiate" in s[0]]
    assert negotiate == [(negotiate[0][0], "Tofig Zulfugarov", "former Azerbaijani Foreign Minister")]
    assert negotiate[0][0].startswith("\u201cNow Azerbaijan") and negotiate[0][0].endswith("mediation,\u201d")
    assert {s[1] for s in seed} == {"Tofig Zulfugarov", "Ilham Ismail"}


def test_quotations_follow_their_article_when_it_changes_or_goes(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    build_index(corpus, index, embedder=HashEmbedder())
    (corpus / "tax.md").write_text(TAX.replace("hard-working families", "pensioners"), encoding="utf-8")
    (corpus / "unnamed.txt").unlink()
    build_index(corpus, index, embedder=HashEmbedder())
    texts = [r[2] for r in rows(index)]
    assert '"This is a tax on pensioners and we will fight it,"' in texts
    assert not any("looking at all the options" in t for t in texts)
    assert texts.count('"This is a tax on hard-working families and we will fight it,"') == 1  # leeds.md only
    db = store.connect(index)
    try:  # no row outlives its article
        assert db.execute("SELECT count(*) FROM quotations WHERE article_id NOT IN (SELECT id FROM articles)").fetchone()[0] == 0
    finally:
        db.close()


def test_backfill_migration_upgrades_an_index_without_quotations(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    build_index(corpus, index, embedder=HashEmbedder())
    expected = rows(index)
    # What an index written before the quotations migration (5) looks like: no table, version 4.
    old = sqlite3.connect(index / store.DB_NAME)
    old.execute("DROP TABLE quotations")
    old.execute("PRAGMA user_version = 4")
    old.commit()
    old.close()
    vectors_before = sorted(p.name for p in index.glob("vectors-*"))
    db = store.connect(index)  # migrates: creates and fills the table from the stored text
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(store.MIGRATIONS)
        assert quotation_store.count_quotations(db) == (len(expected), sum(1 for r in expected if r[3]))
    finally:
        db.close()
    assert rows(index) == expected
    assert sorted(p.name for p in index.glob("vectors-*")) == vectors_before  # nothing re-embedded
    # ... and it answers with speakers straight away.
    engine = Engine(index, embedder=HashEmbedder())
    try:
        assert [q.speaker.name for q in engine.timeline("Mr Zulfugarov").quotes] == ["Tofig Zulfugarov"] * 5  # type: ignore[union-attr]
    finally:
        engine.close()


# -- reads -------------------------------------------------------------------------------------


def test_name_variants_mean_one_person(indexed: tuple[Path, Path]) -> None:
    _, index = indexed
    db = store.connect(index)
    try:
        for name in ("Michael Howard", "Mr Howard", "Howard", "michael  HOWARD"):
            match = quotation_store.resolve_person(db, name)
            assert match.keys == ("michael howard",), name
            assert match.name == "Michael Howard"
        assert [p.name for p in quotation_store.resolve_person(db, "Howard").others] == ["John Howard"]
        assert quotation_store.resolve_person(db, "John Howard").keys == ("john howard",)
        assert quotation_store.resolve_person(db, "Gordon Brown").keys == ()
        assert quotation_store.resolve_person(db, "  ").keys == ()
        people = {p.name: p for p in quotation_store.people(db)}
        assert (people["Michael Howard"].quotations, people["Michael Howard"].articles) == (3, 2)
        assert (people["Tofig Zulfugarov"].quotations, people["Tofig Zulfugarov"].articles) == (5, 1)
        assert "Home Office" not in " ".join(people)
    finally:
        db.close()


def test_a_picked_sentence_is_shown_with_its_whole_quotation_and_speaker(indexed: tuple[Path, Path]) -> None:
    _, index = indexed
    db = store.connect(index)
    try:
        article_id, text = db.execute("SELECT id, text FROM articles WHERE path = ?", (SEED.name,)).fetchone()
        # The sentence holding "will not negotiate" sits in the quotation's second paragraph, which names nobody.
        start = text.index("It is clear that Azerbaijan will not negotiate")
        end = text.index("mediation,") + len("mediation,")
        span = quotation_store.attach_speaker(db, article_id, start, end)
        assert span.speaker is not None and span.speaker.name == "Tofig Zulfugarov"
        shown = text[span.start : span.end]
        assert shown.startswith("\u201cNow Azerbaijan") and shown.endswith("mediation,\u201d")
        assert text[span.speaker.start : span.speaker.end] == "Tofig Zulfugarov"
        # A lead-in ending in a colon brings the quotation it introduces, never alone.
        lead = text.index("According to him")
        colon = text.index("door\u201d:", lead) + len("door\u201d:")
        span = quotation_store.attach_speaker(db, article_id, lead, colon)
        assert span.start == lead and span.end > colon + 100
        assert text[colon:span.end].lstrip().startswith("\u201cThe so-called leaders")
        assert span.speaker is not None and span.speaker.name == "Tofig Zulfugarov"
        # Narration is nobody's.
        intro = text.index("The situation around")
        assert quotation_store.attach_speaker(db, article_id, intro, intro + 40).speaker is None
    finally:
        db.close()


def test_speaker_filter_is_read_from_the_question() -> None:
    parsed = parse_question('what did he say about tax speaker:"Michael Howard" since:2005')
    assert parsed.text == "what did he say about tax"
    assert parsed.filters == Filters(since=dt.date(2005, 1, 1), speaker="Michael Howard")
    assert merge_filters(Filters(speaker="Blair"), parsed.filters).speaker == "Michael Howard"
    assert "speaker: Michael Howard" in parsed.filters.describe()


# -- answers -----------------------------------------------------------------------------------


def test_ask_json_gives_every_quote_its_speaker_or_null(indexed: tuple[Path, Path]) -> None:
    _, index = indexed
    result = CliRunner().invoke(
        main, ["--index", str(index), "ask", "--json", "-k", "8",
               "Who said Azerbaijan will not negotiate with the self-styled Karabakh leaders?"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["quotes"] and all("speaker" in q for q in data["quotes"])
    for q in data["quotes"]:
        if q["speaker"] is not None:
            assert set(q["speaker"]) == {"name", "role", "start", "end", "reported"}
    negotiate = [q for q in data["quotes"] if "will not negotiate" in q["text"]]
    assert negotiate, [q["text"][:60] for q in data["quotes"]]
    assert negotiate[0]["speaker"]["name"] == "Tofig Zulfugarov"
    assert negotiate[0]["speaker"]["role"] == "former Azerbaijani Foreign Minister"
    assert negotiate[0]["speaker"]["reported"] is False  # his own words, in quotation marks
    # The whole quotation is shown, not its unnamed second half alone.
    assert negotiate[0]["text"].startswith("\u201cNow Azerbaijan")
    # The answer round-trips through JSON (sessions) with its speakers.
    answer = answer_from_dict(data)
    assert answer_to_dict(answer)["quotes"] == data["quotes"]
    assert any(q.speaker == Speaker("Tofig Zulfugarov", "former Azerbaijani Foreign Minister",
                                    negotiate[0]["speaker"]["start"], negotiate[0]["speaker"]["end"]) for q in answer.quotes)


def test_speaker_filter_keeps_quotes_by_that_person(indexed: tuple[Path, Path]) -> None:
    _, index = indexed
    engine = Engine(index, embedder=HashEmbedder())
    try:
        answer = engine.ask("tax on families speaker:Howard", max_quotes=5)
        assert answer.filters.speaker == "Howard"
        assert answer.quotes and {q.speaker.name for q in answer.quotes if q.speaker} == {"Michael Howard"}
        assert all(q.speaker is not None for q in answer.quotes)
        assert [q.n for q in answer.quotes] == list(range(1, len(answer.quotes) + 1))
        assert not engine.ask("tax on families speaker:Nobody", max_quotes=5).quotes
    finally:
        engine.close()


def quote(text: str, speaker: Speaker | None = None) -> Quote:
    return Quote(n=1, text=text, article_id=1, path="seed.txt", record=0, title="Relations", date=None, source=None,
                 url=None, author=None, paragraph=3, line=7, start=0, end=len(text), score=1.0, speaker=speaker)


def test_display_shows_the_speaker_and_never_doubles_marks() -> None:
    own = "\u201cNow Azerbaijan is offered to negotiate.\n\nIt is clear that Azerbaijan will not negotiate,\u201d"
    q = quote(own, ZULFUGAROV)
    text = render_answer(Answer("q", "q", Filters(), True, (q,)))
    assert "\u201c\u201c" not in text and '"\u201c' not in text and "\u201d\u201d" not in text and '\u201d"' not in text
    assert "[1] \u201cNow Azerbaijan is offered to negotiate." in text
    assert "    It is clear that Azerbaijan will not negotiate,\u201d" in text  # one block: continuation indented
    assert "    \u2014 Tofig Zulfugarov, former Azerbaijani Foreign Minister" in text
    # Words without marks of their own are still put in marks; the text itself never changes.
    assert quoted("Rates will hold.") == "\u201cRates will hold.\u201d"
    assert quote_lines('"We wait," he said.', None) == ['"We wait," he said.']
    md = markdown_quote(q)
    assert md.startswith("> \u201cNow Azerbaijan") and "\u201c\u201c" not in md
    assert md.endswith("> \u2014 Tofig Zulfugarov, former Azerbaijani Foreign Minister")
    assert "\u2014 Tofig Zulfugarov" in answer_markdown(Answer("q", "q", Filters(), True, (q,)))
    assert "\u2014" not in markdown_quote(quote("Narration only."))


# -- people and quotes commands ------------------------------------------------------------------


def test_people_command_lists_speakers_with_counts(indexed: tuple[Path, Path]) -> None:
    _, index = indexed
    runner = CliRunner()
    result = runner.invoke(main, ["--index", str(index), "people", "--json"])
    assert result.exit_code == 0, result.output
    people = json.loads(result.output)
    assert people[0] == {"name": "Tofig Zulfugarov", "role": "former Azerbaijani Foreign Minister", "quotations": 5, "articles": 1}
    assert {"name": "Michael Howard", "role": "Tory leader", "quotations": 3, "articles": 2} in people
    text = runner.invoke(main, ["--index", str(index), "people", "-n", "2"])
    assert text.exit_code == 0
    assert text.output.splitlines()[1].split() == ["5", "1", "Tofig", "Zulfugarov,", "former", "Azerbaijani", "Foreign", "Minister"]
    assert len(text.output.splitlines()) == 3
    missing = runner.invoke(main, ["--index", str(index / "nowhere"), "people"])
    assert missing.exit_code != 0 and "no index" in missing.output


def test_quotes_by_lists_a_timeline_with_reuses(indexed: tuple[Path, Path]) -> None:
    _, index = indexed
    runner = CliRunner()
    result = runner.invoke(main, ["--index", str(index), "quotes", "--by", "Mr Howard", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["person"] == "Michael Howard"
    assert [p["name"] for p in data["also_matches"]] == ["John Howard"]
    quotes = data["quotes"]
    assert [q["text"] for q in quotes] == [
        '"This is a tax on hard-working families and we will fight it,"',
        '"We will scrap it in our first budget, whatever the Treasury says."',
    ]
    first = quotes[0]
    assert (first["path"], first["date"], first["speaker"]["name"]) == ("tax.md", "2005-02-01", "Michael Howard")
    assert [loc["path"] for loc in first["also_in"]] == ["leeds.md"]  # the same words reused two days later
    assert quotes[1]["also_in"] == []
    text = runner.invoke(main, ["--index", str(index), "quotes", "--by", "Howard"]).output
    assert "Michael Howard: 2 quotation(s)" in text and "also in leeds.md:9" in text and "John Howard (1)" in text
    later = json.loads(runner.invoke(main, ["--index", str(index), "quotes", "--by", "Howard", "--since", "2005-02-02", "--json"]).output)
    assert later["quotes"] == []  # both first appeared on 1 Feb
    nobody = runner.invoke(main, ["--index", str(index), "quotes", "--by", "Gordon Brown"])
    assert nobody.exit_code == 0 and "nobody quoted as 'Gordon Brown'" in nobody.output
    bad = runner.invoke(main, ["--index", str(index), "quotes", "--by", "Howard", "--since", "2005-13-01"])
    assert bad.exit_code == 2 and "not a date" in bad.output


# -- the People view (TUI) -------------------------------------------------------------------------


async def test_people_view_lists_speakers_and_opens_the_reader_at_each_quotation(
    indexed: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = app_on_index(indexed[1], tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: app.engine is not None)
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, PeopleScreen) and app.screen.people)
        screen = app.screen
        assert isinstance(screen, PeopleScreen)
        listing = screen.query_one("#people-list", OptionList)
        labels = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
        assert labels[0].startswith("Tofig Zulfugarov, former Azerbaijani Foreign Minister")
        assert "5 quotations" in labels[0]
        assert any(label.startswith("Michael Howard, Tory leader") and "2 articles" in label for label in labels)
        # Typing narrows the list; Enter takes the first person left.
        find = screen.query_one("#people-find", Input)
        find.focus()
        await pilot.press(*"howard")
        assert [p.name for p in screen.shown_people] == ["Michael Howard", "John Howard"]
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.timeline is not None and screen.query_one("#people-quotes", OptionList).option_count)
        quotes = screen.query_one("#people-quotes", OptionList)
        shown = [str(quotes.get_option_at_index(i).prompt) for i in range(quotes.option_count)]
        assert len(shown) == 2
        assert shown[0].startswith('[1] "This is a tax on hard-working families')
        assert "1 Feb 2005" in shown[0] and "tax.md:9" in shown[0] and "reused in 1 other article" in shown[0]
        assert "Michael Howard: 2 quotations" in str(screen.query_one("#people-status", Static).content)
        # Enter on a quotation opens the reader there, highlighted; n steps to the next one.
        quotes.focus()
        quotes.highlighted = 1
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen) and app.screen.query_one(ArticleView).article is not None)
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        view = reader.query_one(ArticleView)
        assert view.article is not None and view.article.path == "tax.md"
        assert view.highlight is not None
        assert view.shown_text[view.highlight[0] : view.highlight[1]].startswith('"We will scrap it')
        assert reader.quote.speaker is not None and reader.quote.speaker.name == "Michael Howard"
        await pilot.press("p")
        await wait_for(pilot, lambda: reader.index == 0)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        # Another person from the list; Esc goes back to the chat.
        screen.query_one("#people-list", OptionList).focus()
        find.value = "Zulfugarov"
        await pilot.pause(0.05)
        screen.query_one("#people-list", OptionList).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.timeline is not None and screen.timeline.person.name == "Tofig Zulfugarov")
        assert len(screen.timeline.quotes) == 5
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, PeopleScreen))
        assert app.screen is app.screen_stack[0]


async def test_people_key_before_the_engine_is_ready_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "missing")

    def failing(progress):  # type: ignore[no-untyped-def]
        return Engine(tmp_path / "missing")

    app = make_app(settings, engine_factory=failing, session_dir=tmp_path / "sessions")
    notes: list[str] = []
    original = app.notify

    def notify(message: str, **options) -> None:  # type: ignore[no-untyped-def]
        notes.append(message)
        original(message, **options)

    app.notify = notify  # type: ignore[method-assign]
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app.engine_error is not None)
        await pilot.press("f2")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, PeopleScreen)
        assert any(n.startswith("Cannot show people yet: engine not available") for n in notes)


def test_a_story_filed_twice_is_one_quote_with_also_in(tmp_path: Path) -> None:
    """Two quotes of the same words in two articles fold into one, the second listed in also_in (issue 14)."""
    import dataclasses

    from assistant.index import store
    from assistant.index.quotation_store import attach_speakers
    from support.indexes import build

    story = ("Minister backs the plan\n\nThe minister spoke on Monday.\n\n"
             '"We will build the new bridge by spring," said Anna Berg, the transport minister.\n')
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "001.txt").write_text(story, encoding="utf-8")
    (corpus / "207.txt").write_text(story.replace("Minister backs", "Minister  backs"), encoding="utf-8")
    build(corpus, tmp_path / "index")
    engine = Engine(tmp_path / "index", backend="hash")
    try:
        answer = engine.ask("Who said the new bridge would be built by spring?")
        first = answer.quotes[0]
        # The same quote placed in the other article, as a ranking may give it as a second candidate.
        other = next(a for a in (1, 2) if a != first.article_id)
        path = "207.txt" if first.path == "001.txt" else "001.txt"
        twin = dataclasses.replace(first, n=2, article_id=other, path=path, also_in=())
        db = store.connect(tmp_path / "index")
        try:
            (only,) = attach_speakers(db, [dataclasses.replace(first, also_in=()), twin])
        finally:
            db.close()
        assert only.speaker is not None and only.speaker.name == "Anna Berg"
        assert [loc.path for loc in only.also_in] == [path]
        assert len({q.text for q in answer.quotes}) == len(answer.quotes)
    finally:
        engine.close()


def test_someone_speaking_for_a_person_or_an_unnamed_son_is_not_that_person() -> None:
    from assistant.text.quotations import extract_quotations

    text = (
        "Tory defects to Labour\n\n"
        "Tory leader Michael Howard said the move was a surprise. A spokesman for Michael Howard said the views of "
        "the MP were \"very different\" from those of the party. \"He believes students should pay fees,\" the "
        "spokesman said.\n\n"
        "The speech, full of references to Mr Howard's humble beginnings, had been introduced by his son Nick, who "
        "praised his father's honesty. \"I always know where I am with him,\" he said.\n\n"
        "\"We will fight for every seat,\" Mr Howard said.\n"
    )
    got = {text[q.start:q.end]: (q.speaker.name if q.speaker else None) for q in extract_quotations(text)}
    assert got['"He believes students should pay fees,"'] is None
    assert got['"I always know where I am with him,"'] is None
    assert got['"We will fight for every seat,"'] == "Michael Howard"


def test_a_stock_phrase_in_quotation_marks_is_not_someone_elses_quotation_reused(tmp_path: Path) -> None:
    """QA: 'quotes --by "Jack Straw"' listed '"war on terror"' at a budget story that never names him (it was the
    phrase's first appearance). A short phrase in marks in a story naming nobody is not his quotation reused; a whole
    sentence of his is."""
    from support.engines import opened
    from support.indexes import index_of

    articles = {
        "business/budget.md": (
            "---\ntitle: Budget cuts\ndate: 2005-02-01\n---\n\n"
            "The budget moves money to the \"war on terror\" and away from farm support. "
            "Critics said \"we cannot win a war on terror by cutting aid to the poorest countries\" in a statement.\n"
        ),
        "politics/straw.md": (
            "---\ntitle: Straw on Guantanamo\ndate: 2005-02-10\n---\n\n"
            "Foreign Secretary Jack Straw spoke about the detainees. He called it part of the \"war on terror\", "
            "and he said: \"We cannot win a war on terror by cutting aid to the poorest countries.\"\n"
        ),
    }
    with opened(index_of(tmp_path, articles)) as engine:
        quotes = engine.timeline("Jack Straw").quotes
        short = [q for q in quotes if q.text.strip('"') == "war on terror"]
        assert short and all(q.path == "politics/straw.md" and not q.also_in for q in short)
