"""What the copy keys put on the clipboard: a quote, or a whole answer, cited in the chosen style."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.settings import CITE_STYLES

if TYPE_CHECKING:
    from assistant.models import Answer, Quote

STYLE_NAMES = {
    "chicago": "Chicago", "apa": "APA", "mla": "MLA", "harvard": "Harvard", "ap": "AP", "bibtex": "BibTeX",
    "csl-json": "CSL-JSON",
}
"""How each style is named on screen."""


def known_style(style: str | None) -> str:
    """`style` when it is one of CITE_STYLES, else 'chicago' (the settings' own default)."""
    return style if style in CITE_STYLES else "chicago"


def next_style(style: str) -> str:
    """The style after `style` in CITE_STYLES, wrapping round (what the style key steps to)."""
    styles = list(CITE_STYLES)
    return styles[(styles.index(known_style(style)) + 1) % len(styles)]


def quote_citation(quote: Quote, style: str) -> str:
    """One quote with its citation in `style` (bibtex and csl-json: the record of its article)."""
    # Imported here: citation_styles pulls in citeproc lazily, but the TUI's first frame imports nothing it need not.
    from assistant.text.citation_styles import Source, format_citation
    from assistant.text.citations import words_of

    return format_citation(Source.from_quote(quote), known_style(style), quote=quote.text, speaker=words_of(quote))


def source_citation(quote: Quote, style: str) -> str:
    """The citation of the article a quote comes from, in `style`, without the quote (for display)."""
    from assistant.text.citation_styles import Source, format_citation

    return format_citation(Source.from_quote(quote), known_style(style))


def answer_citations(answer: Answer, style: str) -> str:
    """Every quote of `answer` with its citation in `style`, numbered as on screen, as `ask --cite` prints them;
    bibtex: the records of the articles quoted; csl-json: a JSON array of them."""
    from assistant.text.citation_styles import Source, format_bibliography

    style = known_style(style)
    if style in ("bibtex", "csl-json"):
        return format_bibliography([Source.from_quote(q) for q in answer.quotes], style)
    blocks = []
    if not answer.answered:
        blocks.append("The corpus does not appear to answer this question; closest passages:")
    for quote in answer.quotes:
        blocks.append(f"[{quote.n}] {quote_citation(quote, style)}")
    return "\n\n".join(blocks) + "\n"


def warm_up(style: str) -> None:
    """Load the CSL processor and `style`'s file now (in a worker) so the first copy does not stall the screen."""
    from assistant.text.citation_styles import Source, format_citation

    format_citation(Source("Warm-up", "2000-01-01", "Outlet", None, None, "warm-up.txt", 1), known_style(style),
                    quote="Words.")
