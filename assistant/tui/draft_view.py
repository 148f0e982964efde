"""The draft check view: every quotation of a draft, exact / altered (word diff) / not quoted / wrong speaker / not found, each opening its source in the reader."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from assistant.errors import DraftError
from assistant.models import Answer, Article, Filters, Quote
from assistant.text.citations import quoted
from assistant.tui.hanging import Hanging
from assistant.tui.messages import CopyRequested
from assistant.tui.protocol import error_text
from assistant.tui.reader import ArticleLoader, ReaderScreen
from assistant.tui.safe import one_line

if TYPE_CHECKING:
    from assistant.search.draft_check import DiffOp, DraftReport, QuotationCheck, SourceMatch

POLL_SECONDS = 1.0
"""How often the view looks whether the draft was saved again (one stat call), to check it again by itself."""

PREVIEW_CHARS = 240
"""Characters of a quotation or passage shown in the list."""

STATUS_LOOK = {
    "exact": ("\u2714 exact", "bold $success"),
    "altered": ("\u270e altered", "bold $warning"),
    "not_quoted": ("\u26a0 not a quotation", "bold $accent"),
    "wrong_speaker": ("\u26a0 wrong speaker", "bold $error"),
    "not_found": ("\u2716 not found", "bold $error"),
}
"""How each status is labelled and coloured."""


def draft_stamp(path: Path) -> tuple[int, int] | None:
    """(modification time in ns, size) of the draft, None when it cannot be read: a change means it was saved."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


@dataclass(frozen=True)
class DraftResult:
    """A checked draft: the core's report and, per quotation, the passage to open (source, else closest)."""

    path: Path
    report: DraftReport
    passages: tuple[Quote | None, ...]
    """Per check: the matched passage as a Quote (weak when it is only the closest one), None when there is none."""
    citations: tuple[str, ...]
    """Per check: the passage's citation in `style` ('' when there is no passage)."""
    style: str

    @property
    def answer(self) -> Answer:
        """The passages as one answer, so the reader can step through them with n/p and copy them."""
        quotes = tuple(q for q in self.passages if q is not None)
        return Answer(question=f"Quotations of {self.path.name}", searched=str(self.path), filters=Filters(),
                      answered=True, quotes=quotes)

    def reader_index(self, check: int) -> int | None:
        """Position in `answer.quotes` of check `check`'s passage (None when it has none)."""
        if self.passages[check] is None:
            return None
        return sum(1 for q in self.passages[:check] if q is not None)

    def summary(self) -> str:
        """'5 quotations: 2 exact, 1 altered, 1 wrong speaker, 1 not found'."""
        checks = self.report.checks
        if not checks:
            return "no quotations found in the draft"
        counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in self.report.counts().items() if n)
        return f"{len(checks)} quotation{'s' if len(checks) != 1 else ''}: {counts}"


def passage_quote(n: int, match: SourceMatch, article: Article, *, weak: bool) -> Quote:
    """A SourceMatch as a Quote (offsets unchanged: `article.text[start:end] == match.text`)."""
    from assistant.text.citations import paragraph_of

    return Quote(
        n=n, text=match.text, article_id=match.article_id, path=match.path, record=match.record, title=match.title,
        date=article.date, source=article.source, url=article.url, author=article.author,
        paragraph=paragraph_of(article, match.start) or 1, line=match.line, start=match.start, end=match.end,
        score=1.0 if not weak else 0.0, weak=weak, speaker=match.speaker,
    )


def build_result(path: Path, report: DraftReport, load_article: ArticleLoader, style: str) -> DraftResult:
    """The report with its passages read as Quotes and cited in `style` (in a worker thread: articles are read)."""
    from assistant.tui.citing import source_citation

    passages: list[Quote | None] = []
    n = 0
    for check in report.checks:
        match = check.source or check.closest
        if match is None:
            passages.append(None)
            continue
        n += 1
        passages.append(passage_quote(n, match, load_article(match.article_id), weak=check.source is None))
    return DraftResult(path, report, tuple(passages), cite_all(passages, style, source_citation), style)


def cite_all(passages: list[Quote | None] | tuple[Quote | None, ...], style: str,
             cite: Callable[[Quote, str], str]) -> tuple[str, ...]:
    """Each passage's citation in `style` ('' where there is none)."""
    return tuple(cite(q, style) if q is not None else "" for q in passages)


def clip(text: str, limit: int = PREVIEW_CHARS) -> str:
    """One line of at most `limit` characters (an ellipsis marks the cut)."""
    line = one_line(text)
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "\u2026"


def diff_content(diff: tuple[DiffOp, ...]) -> Content:
    """The draft's words with the word diff marked: changed words as source \u2192 draft, dropped words struck
    through, added words underlined, ellipses and [brackets] (accepted edits) and a left-out attribution tag muted, a
    [bracket] that changes the source marked as an error."""
    parts: list[tuple[str, str] | str] = []
    for op in diff:
        if parts:
            parts.append(" ")
        if op.kind == "same":
            parts.append(one_line(op.draft))
        elif op.kind == "changed":
            parts += [(one_line(op.source), "strike $text-error"), " \u2192 ", (one_line(op.draft), "bold $text-success")]
        elif op.kind == "dropped":
            parts.append((f"[dropped: {one_line(op.source)}]", "strike $text-error"))
        elif op.kind == "added":
            parts.append((f"+{one_line(op.draft)}", "underline bold $text-warning"))
        elif op.kind == "tag":
            parts.append((f"[tag left out: {one_line(op.source)}]", "$text-muted"))
        elif op.kind == "elided":
            parts.append((one_line(op.draft) or "\u2026", "$text-muted"))
        elif op.kind == "bracket_change" and op.source:
            parts += [(one_line(op.source), "strike $text-error"), " \u2192 ", (one_line(op.draft), "bold $text-error")]
        elif op.kind == "bracket_change":
            parts.append((f"+{one_line(op.draft)}", "underline bold $text-error"))
        else:  # bracketed
            parts.append((one_line(op.draft), "italic $text-muted"))
    return Content.assemble(*parts)


ENTRY_INDENT = 4
"""Columns the lines of a report entry start at (after ' 1. '), wrapped lines included."""


def check_label(number: int, check: QuotationCheck, citation: str) -> Hanging:
    """One quotation of the report: status, draft line and words (the diff when altered), the note, then where
    its source is (or the closest passage) with the citation; wrapped lines keep the entry's indent."""
    label, look = STATUS_LOOK.get(check.status, (check.status, "bold"))
    lines: list[list[tuple[str, str] | str | Content]] = [
        [(label, look), (f"  line {check.line}", "$text-muted")],
    ]
    if check.status == "altered" and check.diff:
        lines.append(["\u201c", diff_content(check.diff), "\u201d"])
    else:
        lines.append([quoted(clip(check.text))])
    if check.speaker is not None:
        lines[-1].append((f" \u2014 draft: {one_line(check.speaker.name)}", "$text-muted"))
    if check.note:
        lines.append([(clip(check.note), "$text-warning" if check.status != "exact" else "$text-muted")])
    match = check.source or check.closest
    if match is not None:
        where = f"{match.path}:{match.line}" if match.line else match.path
        head = "source" if check.source is not None else "closest passage"
        lines.append([(f"{head}: ", "bold"), (one_line(where), "$text-muted")])
        if check.status != "exact":
            lines.append([(quoted(clip(match.text)), "italic")])
        if match.speaker is not None:
            lines[-1] += [(" \u2014 source: ", "$text-muted"), one_line(match.speaker.name)]
        if citation:
            lines.append([(clip(citation, 400), "$text-muted")])
    elif check.status == "not_found":
        lines.append([("no close passage either", "$text-muted")])
    number_mark = Content.styled(f"{number:>2}. ".ljust(ENTRY_INDENT), "bold $text-accent")
    return Hanging([(number_mark if i == 0 else " " * number_mark.cell_length, Content.assemble(*parts))
                    for i, parts in enumerate(lines)])


@dataclass
class DraftChecked(Message):
    """The check of a draft finished (or failed: error)."""

    result: DraftResult | None
    error: str = ""


@dataclass
class DraftRestyled(Message):
    """Citations of the report in another style arrived."""

    style: str
    citations: tuple[str, ...]
    error: str = ""


DraftRunner = Callable[[Path, str], DraftResult]
"""Reads and checks a draft with the engine (called in a worker thread): path, style -> result."""


class DraftScreen(Screen[None]):
    """The report of one draft; Enter opens a quotation's source passage in the reader, r checks again (and the
    draft is checked again by itself when it is saved while the view is open)."""

    DEFAULT_CSS = """
    DraftScreen #draft-title { padding: 0 1; height: auto; background: $panel; }
    DraftScreen #draft-list { height: 1fr; }
    DraftScreen #draft-status { padding: 0 1; height: 1; background: $panel; color: $text-muted; }
    """

    BINDINGS = [
        Binding("escape,q", "back", "Back"),
        Binding("r", "recheck", "Check again"),
        Binding("c", "copy", "Copy citation"),
    ]

    def __init__(self, path: Path, run: DraftRunner, load_article: ArticleLoader, style: str) -> None:
        super().__init__()
        self.path = path
        self.style = style
        self.result: DraftResult | None = None
        self._run = run
        self._load_article = load_article
        self._stamp: tuple[int, int] | None = None
        self._checking = False

    def compose(self) -> ComposeResult:
        yield Static(Content.styled(f"Draft check \u00b7 {one_line(str(self.path))}", "bold"), id="draft-title",
                     markup=False)
        yield OptionList(id="draft-list")
        yield Static("", id="draft-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.check()
        self.set_interval(POLL_SECONDS, self._saved_again)

    def _saved_again(self) -> None:
        if self._checking or self._stamp is None:
            return
        stamp = draft_stamp(self.path)
        if stamp is not None and stamp != self._stamp:
            self.notify(f"{self.path.name} was saved: checking it again.", timeout=3, markup=False)
            self.check()

    def check(self) -> None:
        """Read and check the draft again (in a worker: the look-ups embed the quotations)."""
        self._checking = True
        # Taken before reading, so a save during the check is noticed afterwards.
        self._stamp = draft_stamp(self.path)
        listing = self.query_one("#draft-list", OptionList)
        listing.loading = True
        self._status(f"checking the quotations of {self.path.name}\u2026")
        self._check(self.path, self.style)

    @work(thread=True, exclusive=True, group="draft", exit_on_error=False)
    def _check(self, path: Path, style: str) -> None:
        try:
            self.post_message(DraftChecked(self._run(path, style)))
        except Exception as exc:  # noqa: BLE001 - a bad file or a failing look-up is shown, never a crash
            self.post_message(DraftChecked(None, str(exc) if isinstance(exc, DraftError) else error_text(exc)))

    def on_draft_checked(self, message: DraftChecked) -> None:
        self._checking = False
        listing = self.query_one("#draft-list", OptionList)
        listing.loading = False
        if message.result is None:
            self._title(f"cannot check the draft: {message.error}")
            self._status("r checks again \u00b7 Esc back")
            self.notify(f"Cannot check the draft: {one_line(message.error)}", severity="error", markup=False)
            return
        self.result = message.result
        self._fill(0)
        self._status("Enter opens the source in the reader \u00b7 c copies its citation \u00b7 r checks again"
                     " \u00b7 F3 style \u00b7 Esc back")

    def _title(self, detail: str) -> None:
        self.query_one("#draft-title", Static).update(Content.assemble(
            ("Draft check \u00b7 ", "bold"), (one_line(str(self.path)), "bold"), (f" \u00b7 {one_line(detail)}", "")))

    def _fill(self, highlight: int) -> None:
        assert self.result is not None
        result = self.result
        self._title(result.summary())
        listing = self.query_one("#draft-list", OptionList)
        listing.clear_options()
        listing.add_options([Option(check_label(n, check, result.citations[n - 1]))
                             for n, check in enumerate(result.report.checks, 1)])
        if result.report.checks:
            listing.highlighted = max(0, min(highlight, len(result.report.checks) - 1))
        listing.focus()

    @property
    def highlighted(self) -> int | None:
        """The quotation highlighted in the list."""
        if self.result is None or not self.result.report.checks:
            return None
        return self.query_one("#draft-list", OptionList).highlighted

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.open_source(event.option_index)

    def open_source(self, check: int) -> None:
        """The reader at check `check`'s source passage (or closest passage); n/p step through the others."""
        assert self.result is not None
        at = self.result.reader_index(check)
        if at is None:
            self.notify("No passage of the corpus is close to this quotation.", severity="warning", markup=False)
            return
        self.app.push_screen(ReaderScreen(self.result.answer, at, self._load_article))

    def restyle(self, style: str) -> None:
        """Show the citations in `style` (the copy keys' style changed)."""
        self.style = style
        if self.result is not None:
            self._restyle(self.result.passages, style)

    @work(thread=True, exclusive=True, group="draft-style", exit_on_error=False)
    def _restyle(self, passages: tuple[Quote | None, ...], style: str) -> None:
        from assistant.tui.citing import source_citation

        try:
            self.post_message(DraftRestyled(style, cite_all(passages, style, source_citation)))
        except Exception as exc:  # noqa: BLE001 - shown, the old citations stay
            self.post_message(DraftRestyled(style, (), error_text(exc)))

    def on_draft_restyled(self, message: DraftRestyled) -> None:
        if self.result is None or message.style != self.style:
            return
        if message.error:
            self.notify(f"Cannot cite in {message.style}: {one_line(message.error)}", severity="error", markup=False)
            return
        self.result = DraftResult(self.result.path, self.result.report, self.result.passages, message.citations,
                                  message.style)
        self._fill(self.highlighted or 0)

    def action_copy(self) -> None:
        at = self.highlighted
        if self.result is None or at is None:
            return
        index = self.result.reader_index(at)
        if index is None:
            self.notify("Nothing to cite: no passage of the corpus holds this quotation.", severity="warning",
                        markup=False)
            return
        self.post_message(CopyRequested(self.result.answer, index, whole_answer=False))

    def action_recheck(self) -> None:
        self.check()

    def action_back(self) -> None:
        self.dismiss()

    def _status(self, text: str) -> None:
        self.query_one("#draft-status", Static).update(Content(one_line(text)))
