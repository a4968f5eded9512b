"""A keyboard list of many rows that draws only the lines on screen (Textual's line API).

Textual's DataTable measures every cell as rows are added, which takes seconds for 10,000
rows; this draws a row only when it is visible, so a list of any length opens at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

CURSOR = Style(reverse=True, bold=True)
CURSOR_UNFOCUSED = Style(reverse=True)


class RowList(ScrollView, can_focus=True):
    """Rows of any length; `format(row, width)` turns one into a line of text when it is drawn."""

    BINDINGS = [
        Binding("up,k", "move(-1)", "up", show=False),
        Binding("down,j", "move(1)", "down", show=False),
        Binding("pageup", "page(-1)", "page up", show=False),
        Binding("pagedown,space", "page(1)", "page down", show=False),
        Binding("home,g", "jump(0)", "first", show=False),
        Binding("end,G", "jump(-1)", "last", show=False),
        Binding("enter", "choose", "open"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    class Chosen(Message):
        """Enter on a row."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, format: Callable[[Any, int], str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.format = format
        self.rows: Sequence[Any] = ()

    def set_rows(self, rows: Sequence[Any], cursor: int = 0) -> None:
        self.rows = rows
        self.virtual_size = Size(self.size.width or 80, len(rows))
        self.cursor = max(0, min(cursor, len(rows) - 1))
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        index = round(self.scroll_offset.y) + y
        if index >= len(self.rows):
            return Strip.blank(width)
        text = self.format(self.rows[index], width)
        style = Style()
        if index == self.cursor:
            style = CURSOR if self.has_focus else CURSOR_UNFOCUSED
        return Strip([Segment(text[:width].ljust(width), style)], width)

    def watch_cursor(self, old: int, new: int) -> None:
        height = max(1, self.size.height)
        top = round(self.scroll_offset.y)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + height:
            self.scroll_to(y=new - height + 1, animate=False)
        self.refresh()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows))

    def action_move(self, step: int) -> None:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + step))

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(1, self.size.height - 1))

    def action_jump(self, where: int) -> None:
        if self.rows:
            self.cursor = where if where >= 0 else len(self.rows) - 1

    def action_choose(self) -> None:
        if self.rows:
            self.post_message(self.Chosen(self.cursor))


__all__ = ["RowList"]
