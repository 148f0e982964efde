"""Hanging indents for list entries: each entry line wraps under its own text, never back at the left edge."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.strip import Strip
from textual.visual import RenderOptions, Visual

if TYPE_CHECKING:
    from textual.css.styles import RulesMap
    from textual.style import Style


class Hanging(Visual):
    """Rows of (prefix, text): the prefix ('[1] ', ' 2. ', or spaces) on the row's first screen line, and every
    wrapped line of the text starting where the text started, or at column `hang` when given (an OptionList
    prompt, a Static)."""

    def __init__(self, rows: list[tuple[Content | str, Content | str]], hang: int | None = None) -> None:
        self.rows = [(Content(p) if isinstance(p, str) else p, Content(t) if isinstance(t, str) else t) for p, t in rows]
        self.hang = hang
        """Column the wrapped lines of a row start at, when not under its text ('Tony Blair, ... 161' then
        '  quotations · 64 articles' for a row without a prefix)."""

    def _indent(self, prefix: Content) -> int:
        return prefix.cell_length if self.hang is None else max(prefix.cell_length, self.hang)

    @property
    def plain(self) -> str:
        """The text as one unwrapped line per row, prefixes included."""
        return "\n".join(prefix.plain + text.plain for prefix, text in self.rows)

    def __str__(self) -> str:
        return self.plain

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return max((self._indent(prefix) + text.get_optimal_width(rules, container_width) for prefix, text in self.rows),
                   default=0)

    def get_minimal_width(self, rules: RulesMap) -> int:
        return max((self._indent(prefix) + 1 for prefix, _ in self.rows), default=1)

    def get_height(self, rules: RulesMap, width: int) -> int:
        return sum(text.get_height(rules, max(1, width - self._indent(prefix))) for prefix, text in self.rows)

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        strips: list[Strip] = []
        for prefix, text in self.rows:
            indent = self._indent(prefix)
            head = Strip.join(prefix.render_strips(prefix.cell_length, 1, style, options)) if prefix.cell_length else Strip([])
            blank = Strip.blank(indent, style.rich_style)
            for i, line in enumerate(text.render_strips(max(1, width - indent), None, style, options)):
                strips.append(Strip.join([head if i == 0 else blank, line]))
        return strips if height is None else strips[:height]
