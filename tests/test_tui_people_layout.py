"""The People view's lists keep a hanging indent: a long name, role or quotation never wraps back to column 0 (Pilot)."""

from __future__ import annotations

from textual.app import App
from textual.widgets import OptionList

from assistant.index.quotation_store import Person
from assistant.tui.people import PeopleScreen, quote_label

PEOPLE = (
    Person("rick dean", "Rick Dean", "director of business development for digital content company THX", 22, 2),
    Person("tony blair", "Tony Blair", "Prime Minister", 161, 64),
)


def indents(listing: OptionList) -> list[str]:
    return [line for line in (listing.render_line(y).text.rstrip() for y in range(listing.size.height)) if line.strip()]


async def test_a_person_whose_line_wraps_continues_two_columns_in() -> None:
    app: App[None] = App()
    async with app.run_test(size=(100, 30)) as pilot:
        await app.push_screen(PeopleScreen(lambda: PEOPLE, lambda key: None, lambda article_id: None))  # type: ignore[arg-type,return-value]
        for _ in range(20):
            await pilot.pause()
            if app.screen.query_one("#people-list", OptionList).option_count:
                break
        listing = app.screen.query_one("#people-list", OptionList)
        lines = indents(listing)
        rick = next(i for i, line in enumerate(lines) if "Rick Dean" in line)
        tony = next(i for i, line in enumerate(lines) if "Tony Blair" in line)
        start = len(lines[rick]) - len(lines[rick].lstrip())
        assert tony - rick >= 2, lines  # Rick Dean's role wraps in the narrow side pane
        assert all(len(line) - len(line.lstrip()) >= start + 2 for line in lines[rick + 1:tony]), lines


def test_a_quotation_label_wraps_under_its_words() -> None:
    label = quote_label(3, "word " * 20, "8 Aug 2023", "politics/324.txt", 2)
    assert str(label) == "[3] " + ("word " * 20).strip() + "\n    8 Aug 2023 \u00b7 politics/324.txt \u00b7 reused in 2 other articles"
