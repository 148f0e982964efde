"""F5 in the chat: every mention of a phrase, grouped by article in date order, each with its place; Enter opens the
reader at one and n steps to the next; a phrase nothing mentions says so; inline filters count."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Static

from assistant.tui.app import AssistantApp
from assistant.tui.mentions import MentionsScreen
from assistant.tui.reader import ArticleView, ReaderScreen
from support.indexes import index_of
from support.tui import app_on_index, wait_for

ARTICLES = {
    "politics/budget.md": (
        "---\ntitle: Brown targets savers\ndate: 2005-03-16\n---\n\n"
        "Mr Brown said he had met his golden rule with a surplus.\n\n"
        "Critics said the golden rule had been bent. Borrowing will fall.\n"
    ),
    "politics/forecast.md": (
        "---\ntitle: Forecasters doubt Treasury\ndate: 2005-01-10\n---\n\n"
        "Independent forecasters say the golden rules may be broken next year. They doubt the golden rule will hold.\n"
    ),
    "business/rates.md": (
        "---\ntitle: Rates on hold\ndate: 2005-02-01\n---\n\n"
        "Interest rates were held at 4.75%. The rule of thumb is that rates follow inflation.\n"
    ),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_of(tmp_path_factory.mktemp("mentions"), ARTICLES)


@pytest.fixture
def app(index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AssistantApp:
    """The real app on the fixture index, run from a scratch folder."""
    monkeypatch.chdir(tmp_path)
    return app_on_index(index, tmp_path)


def shown(screen: MentionsScreen) -> list[str]:
    listing = screen.query_one("#mentions-list", OptionList)
    return [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]


async def test_f5_lists_every_mention_by_article_in_date_order_and_opens_the_reader(app: AssistantApp) -> None:
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: app.engine is not None)
        await pilot.press(*"golden rule")
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, MentionsScreen) and app.screen.quotes)
        screen = app.screen
        assert isinstance(screen, MentionsScreen)
        lines = shown(screen)
        # The January story first (the phrase itself: its 'golden rules' is no mention), then March's two mentions.
        assert lines[0].startswith("Forecasters doubt Treasury") and "1 mention" in lines[0]
        assert lines[1].startswith("  [1] They doubt the golden rule will hold.") and "politics/forecast.md:6" in lines[1]
        assert lines[2].startswith("Brown targets savers") and "2 mentions" in lines[2]
        assert lines[3].startswith("  [2] Mr Brown said he had met his golden rule")
        assert lines[4].startswith("  [3] Critics said the golden rule had been bent.")
        assert not any("rule of thumb" in line or "golden rules" in line for line in lines)
        assert "3 mentions in 2 articles" in str(screen.query_one("#mentions-status", Static).content)
        # Headings are not mentions: the highlight starts on the first mention; Enter opens the reader there.
        listing = screen.query_one("#mentions-list", OptionList)
        assert listing.highlighted == 1
        await pilot.press("down", "enter")  # the heading of the second article is skipped
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen) and app.screen.query_one(ArticleView).article is not None)
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        view = reader.query_one(ArticleView)
        assert view.article is not None and view.article.path == "politics/budget.md"
        assert view.highlight is not None
        assert view.shown_text[view.highlight[0] : view.highlight[1]] == "Mr Brown said he had met his golden rule with a surplus."
        await pilot.press("n")
        assert reader.quote.text == "Critics said the golden rule had been bent."
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MentionsScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, MentionsScreen))
        assert app.screen is app.screen_stack[0]


async def test_a_phrase_nothing_mentions_says_so_and_inline_filters_count(app: AssistantApp) -> None:
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: app.engine is not None)
        await pilot.press(*"silver rule")
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, MentionsScreen) and "no article" in str(app.screen.query_one("#mentions-status", Static).content))
        screen = app.screen
        assert isinstance(screen, MentionsScreen)
        assert shown(screen) == []
        # The phrase box has the focus: a new phrase, with an inline filter, is searched on Enter.
        phrase = screen.query_one("#mentions-phrase", Input)
        assert phrase.has_focus
        status = screen.query_one("#mentions-status", Static)
        for text, said in (("since:2005-03-01", "no words to search for"), ("golden rule since:someday", "someday")):
            phrase.value = text
            await pilot.press("enter")
            assert said in str(status.content), str(status.content)
        phrase.value = "golden rule since:2005-03-01"
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(screen.quotes) == 2)
        assert {q.path for q in screen.quotes} == {"politics/budget.md"}


async def test_f5_on_an_empty_box_takes_the_last_questions_quoted_phrase(app: AssistantApp) -> None:
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: app.engine is not None)
        await pilot.press(*'Who said "golden rule"?', "enter")
        await wait_for(pilot, lambda: len(app.session.answers) == 1)
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, MentionsScreen) and app.screen.quotes)
        assert app.screen.query_one("#mentions-phrase", Input).value == "golden rule"
        assert len(app.screen.quotes) == 3


async def test_f5_after_a_question_takes_what_it_asked_about_not_the_whole_question(app: AssistantApp) -> None:
    """'What did Gordon Brown say about the golden rule?' then F5 looked for 'What did Gordon Brown say about the'; it
    takes the topic. A question with neither a phrase nor a topic leaves the box empty, to type one."""
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: app.engine is not None)
        await pilot.press(*"What did Brown say about the golden rule?", "enter")
        await wait_for(pilot, lambda: len(app.session.answers) == 1)
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, MentionsScreen) and app.screen.quotes)
        assert app.screen.query_one("#mentions-phrase", Input).value == "the golden rule"
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, MentionsScreen))
        await pilot.press(*"Why were interest rates held?", "enter")
        await wait_for(pilot, lambda: len(app.session.answers) == 2)
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, MentionsScreen))
        assert app.screen.query_one("#mentions-phrase", Input).value == ""
        assert "type a phrase" in str(app.screen.query_one("#mentions-status", Static).content)


async def test_a_date_filter_on_an_undated_corpus_says_why_nothing_is_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """QA: F5 with since: on a folder of plain files (no dates) said only 'no article mentions ...', as if the phrase were
    missing; the chat's answers already said why. Now the mentions say it too."""
    undated = index_of(tmp_path / "undated", {"a.txt": "Harbour plan\n\nThe golden rule was met again this year.\n"})
    monkeypatch.chdir(tmp_path)
    app = app_on_index(undated, tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: app.engine is not None)
        await pilot.press(*"golden rule since:2005-01-01")
        await pilot.press("f5")
        status = lambda: str(app.screen.query_one("#mentions-status", Static).content)  # noqa: E731
        await wait_for(pilot, lambda: isinstance(app.screen, MentionsScreen) and "no article mentions" in status())
        assert "no article in this corpus has a date" in status(), status()
