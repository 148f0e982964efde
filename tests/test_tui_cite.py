"""Issue 15 in the chat: the copy keys cite in the configured style, and F3 / s switch it (Pilot, fake engine)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from support.tui import MINISTER, QUOTAS, FakeEngine, ask, build, capture_copies, factory, isolate, settings, settle

from assistant.settings import CITE_STYLES
from assistant.tui.app import make_app
from assistant.tui.citing import answer_citations, next_style, quote_citation
from assistant.tui.reader import ReaderScreen
from assistant.tui.safe import shown


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path, monkeypatch)


def status(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.query_one("#writing-status").render())


async def test_copy_uses_the_configured_style_and_f3_steps_through_every_style(tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    app, _, notes = build(tmp_path)
    copied = capture_copies(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert "cite Chicago (F3)" in status(app)
        turn = await ask(app, pilot, "what did the minister say")
        quote = turn.answer.quotes[0]
        await pilot.press("up", "c")
        # Chicago (the default): the quote, then the full note with the paragraph.
        assert copied[-1] == shown(quote_citation(quote, "chicago"))
        assert copied[-1].startswith(f"\u201c{MINISTER}\u201d") and "BBC, August 8, 2023, para. 3" in copied[-1]
        assert notes[-1].startswith("Copied quote [1] cited in Chicago")
        seen = ["chicago"]
        for _ in range(len(CITE_STYLES)):
            await pilot.press("f3")
            seen.append(app.cite_style)
            await pilot.press("c")
            assert copied[-1] == shown(quote_citation(quote, app.cite_style))
        assert seen == [*CITE_STYLES, "chicago"]  # every style once, then round again
        await pilot.press("f3")  # APA
        assert "cite APA (F3)" in status(app) and notes[-1].startswith("Citation style: APA")
        assert app.screen.active_bindings["f3"].binding.description == "Cite: APA"  # the footer names it too
        await pilot.press("c")
        assert "(\u201cTrade Talks Collapse in Brussels,\u201d 2023, para. 3)" in copied[-1]
        assert "Trade talks collapse in Brussels. (2023, August 8). BBC." in copied[-1]


async def test_each_style_copies_what_a_writer_pastes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, _, _ = build(tmp_path)
    copied = capture_copies(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        turn = await ask(app, pilot, "what did the minister say")
        await pilot.press("up", "j")  # quote [2]
        texts = {}
        for style in CITE_STYLES:
            app.set_cite_style(style)
            await pilot.press("c")
            texts[style] = copied[-1]
        assert texts["mla"].splitlines()[-1] == "\u201cTrade Talks Collapse in Brussels.\u201d BBC, 8 Aug. 2023, https://example.org/1."
        assert "(BBC, 2023, para. 30)" in texts["harvard"]  # no author: the outlet (Cite Them Right)
        assert texts["ap"] == (f"\u201c{QUOTAS[:-1]},\u201d according to Trade talks collapse in Brussels, BBC, "
                               "Aug. 8, 2023.")
        assert texts["bibtex"].startswith("@article{") and "journal = {BBC}" in texts["bibtex"]
        item = json.loads(texts["csl-json"])
        assert item["type"] == "article-newspaper" and item["container-title"] == "BBC"
        assert item["issued"] == {"date-parts": [[2023, 8, 8]]}
        # C: every quote of the answer, numbered as on screen; BibTeX gives one record per article.
        app.set_cite_style("harvard")
        await pilot.press("C")
        assert copied[-1] == shown(answer_citations(turn.answer, "harvard"))
        assert [line[:4] for line in copied[-1].splitlines() if line.startswith("[")] == ["[1] ", "[2] ", "[3] "]
        app.set_cite_style("bibtex")
        await pilot.press("C")
        assert copied[-1].count("@article{") == 2  # quotes [1] and [2] share an article


async def test_configured_style_is_the_start_and_s_switches_from_a_quote_and_the_reader(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, _, _ = build(tmp_path)
    app.settings = dataclasses.replace(app.settings, cite_style="mla")
    app.cite_style = "mla"
    copied = capture_copies(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert "cite MLA (F3)" in status(app)
        assert app.screen.active_bindings["f3"].binding.description == "Cite: MLA"
        turn = await ask(app, pilot, "what did the minister say")
        await pilot.press("up", "s")  # s on a quote: the next style
        assert app.cite_style == next_style("mla") == "harvard"
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ReaderScreen)
        await pilot.press("s", "c")  # in the reader too
        assert app.cite_style == "ap"
        assert copied[-1] == shown(quote_citation(turn.answer.quotes[0], "ap"))
        assert "cite AP (F3)" in status(app)


async def test_a_style_from_the_config_file_reaches_the_chat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.settings import load_settings

    config = tmp_path / "config" / "assistant" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('cite_style = "harvard"\n', encoding="utf-8")
    loaded = load_settings(corpus=tmp_path / "corpus", index=tmp_path / "index")
    app = make_app(loaded, engine_factory=factory(FakeEngine()), session_dir=tmp_path / "sessions")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.cite_style == "harvard" and "cite Harvard (F3)" in status(app)


async def test_hostile_quote_is_copied_without_control_characters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, _, _ = build(tmp_path)
    copied = capture_copies(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await ask(app, pilot, "hostile")
        for style in ("chicago", "ap", "bibtex", "csl-json"):
            app.set_cite_style(style)
            await pilot.press("up", "c")
            assert "\x1b" not in copied[-1] and "\x07" not in copied[-1], style
            if style in ("chicago", "ap"):  # the quote itself, markup kept as written, escapes made visible
                assert "[bold red]X[/]" in copied[-1] and "\u241b" in copied[-1]


def test_settings_default_is_chicago_and_unknown_styles_fall_back(tmp_path: Path) -> None:
    from assistant.tui.citing import known_style

    assert settings(tmp_path).cite_style == "chicago"
    assert known_style("vancouver") == "chicago" and known_style("apa") == "apa"
    assert next_style("csl-json") == "chicago" and next_style("nonsense") == "apa"


async def test_a_quotation_with_its_own_marks_is_not_wrapped_twice(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A real index: the engine widens a sentence to its whole quotation, which carries its own marks."""
    from support.indexes import build as build_index

    from assistant.embedding.hashing import HashEmbedder
    from assistant.search.engine import Engine
    from assistant.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "harbour.txt").write_text(
        "Harbour plan approved\n\nThe council approved the harbour plan on Tuesday.\n\n"
        "\u201cWe have waited twenty years for this harbour, and tonight the town finally said yes,\u201d council "
        "leader Maria Olsen said after the vote.\n", encoding="utf-8")
    build_index(corpus, tmp_path / "index")
    app = make_app(Settings(corpus=corpus, index=tmp_path / "index", backend="hash", watch="off"),
                   engine_factory=lambda on_progress: Engine(tmp_path / "index", embedder=HashEmbedder()),
                   session_dir=tmp_path / "sessions")
    copied = capture_copies(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        turn = await ask(app, pilot, "waited twenty years for this harbour")
        quote = turn.answer.quotes[0]
        assert quote.text.startswith("\u201cWe have waited") and "Maria Olsen said" in quote.text
        for style in ("chicago", "apa", "ap"):
            app.set_cite_style(style)
            await pilot.press("up", "c")
            assert "\u201c\u201c" not in copied[-1] and "\u201cWe have waited twenty years" in copied[-1], copied[-1]
