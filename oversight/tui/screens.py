"""Review screens: one transcript (tabs for its protocol view, verdicts and calls), the stored text
with a quote's span selected, the quote list, a scrolling text page and the help page."""

from __future__ import annotations

import textwrap

from typing import Any

from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, OptionList, Static, TabbedContent, TabPane, TextArea
from textual.widgets.option_list import Option
from textual.widgets.text_area import Selection

from oversight.protocol.review import Body, QuoteRef
from oversight.tui import panels
from oversight.tui.index import RunIndex
from oversight.tui.tree_view import TreeView
from oversight.tui.views import GENERIC_HELP, review_body

BACK = Binding("escape,q", "app.pop_screen", "back")
HELP = Binding("question_mark", "help", "help")


class HelpScreen(ModalScreen[None]):
    """The keys of the screen it was opened from."""

    BINDINGS = [Binding("escape,q,question_mark", "app.pop_screen", "close")]
    DEFAULT_CSS = "HelpScreen { align: center middle; } HelpScreen > VerticalScroll { width: 76; height: 90%; border: round $accent; background: $surface; }"

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text(hang(self.text, HELP_WIDTH)))


HELP_WIDTH = 72
"""Characters a help page's line holds inside its border."""


def hang(page: str, width: int) -> str:
    """Each line wrapped at `width`, its continuation indented under the text after its key
    ("s: ...", "  tab / shift+tab: ..."), so a wrapped line never reads as a new key; a line of
    prose continues at its own indent. Help pages are written a line per key, unwrapped."""
    out = []
    for line in page.splitlines():
        if len(line) <= width:
            out.append(line)
            continue
        lead = len(line) - len(line.lstrip(" "))
        key = line.find(": ", lead)
        under = key + 2 if 0 <= key - lead <= 24 else lead
        out += textwrap.wrap(line, width, subsequent_indent=" " * under, drop_whitespace=True) or [line]
    return "\n".join(out)


class Helpful(Screen[Any]):
    """A screen whose `?` opens a page describing its keys (HELP_TEXT)."""

    HELP_TEXT = ""

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.HELP_TEXT + "\n\nescape or ? closes this page."))


def show_notices(screen: Screen[Any], index: RunIndex) -> None:
    """The index's new notices (a failed hook, a protocol not installed) as toasts, each once."""
    for notice in index.unshown_notices():
        screen.notify(notice, title="protocol", severity="warning", markup=False, timeout=10)


class PageScreen(Helpful):
    """A title and one scrolling renderable: metrics, a call's full input and output."""

    BINDINGS = [BACK, HELP]
    HELP_TEXT = "up/down, pageup/pagedown, home/end: scroll\nescape or q: back"

    def __init__(self, title: str, content: RenderableType) -> None:
        super().__init__()
        self.page_title, self.content = title, content

    def compose(self) -> ComposeResult:
        yield Static(Text(self.page_title, style="bold reverse"), classes="title")
        with VerticalScroll(id="page"):
            yield Static(self.content)
        yield Footer()

    def on_mount(self) -> None:
        for page in self.query("#page"):  # none when the app quit as this opened (a key typed after q)
            page.focus()


class SourceScreen(Helpful):
    """A stored text (a debate's story, a tree's source), read-only, with a span (a quote's, a
    node's) selected and scrolled into view."""

    BINDINGS = [BACK, HELP]
    HELP_TEXT = "The text as stored with the run (texts.jsonl).\narrows, pageup/pagedown: move\nescape or q: back"

    def __init__(self, source: str, span: tuple[int, int] | None = None, note: str = "") -> None:
        super().__init__()
        self.source, self.span, self.note = source, span, note

    def compose(self) -> ComposeResult:
        yield Static(Text(self.note or "Stored text", style="bold reverse"), classes="title")
        yield TextArea(self.source, read_only=True, soft_wrap=True, id="source")
        yield Footer()

    def on_mount(self) -> None:
        areas = self.query(TextArea)
        if not areas:  # the app quit as this opened (a key typed after q)
            return
        area = areas.first()
        area.focus()
        if self.span:
            # the cursor at the span's start, so a long span (a tree node's) is read from its top
            area.selection = Selection(self._location(self.span[1]), self._location(self.span[0]))
            area.scroll_cursor_visible(center=True, animate=False)

    def _location(self, offset: int) -> tuple[int, int]:
        row = self.source.count("\n", 0, offset)
        return row, offset - (self.source.rfind("\n", 0, offset) + 1)


def quote_span(source: str, quote: dict[str, Any]) -> tuple[tuple[int, int] | None, str]:
    """Where a quote sits in the stored text: its exact span, or for an unverified quote the closest span."""
    span = quote.get("char_span")
    if span:
        return (int(span[0]), int(span[1])), "exact match"
    closest = quote.get("closest")
    if closest:
        at = source.find(closest)
        if at >= 0:
            return (at, at + len(closest)), f"closest span, fuzzy {quote.get('fuzzy')}"
    return None, "no span found in the stored text"


class QuotesScreen(Helpful):
    """Every quote of a transcript; enter opens the stored text at its span (or its closest span)."""

    BINDINGS = [BACK, HELP]
    HELP_TEXT = "up/down: choose a quote\nenter: open the stored text at the quote (exact span, or the closest span of an unverified quote with its fuzzy score)\nescape or q: back"

    def __init__(self, quotes: list[QuoteRef], source: str) -> None:
        super().__init__()
        self.quotes, self.source = quotes, source

    def compose(self) -> ComposeResult:
        yield Static(Text("Quotes (enter: show in the stored text)", style="bold reverse"), classes="title")
        options = []
        for ref in self.quotes:
            q = ref.quote
            mark = Text("✓ " if q.get("verified") else "✗ ", style="green" if q.get("verified") else "red")
            mark.append(f"q{ref.number} {ref.speaker} r{ref.round}: “{q.get('text', '')}”")
            if not q.get("verified"):
                mark.append(f"  fuzzy {q.get('fuzzy')}; closest: “{q.get('closest') or '-'}”", style="dim")
            options.append(Option(mark))
        yield OptionList(*options, id="quotes")
        yield Footer()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        ref = self.quotes[event.option_index]
        span, how = quote_span(self.source, ref.quote)
        self.app.push_screen(SourceScreen(self.source, span, f"q{ref.number}: {how}"))


class TranscriptScreen(Helpful):
    """One transcript: 1 its protocol's view, 2 every verdict, 3 calls and usage."""

    BINDINGS = [
        BACK, HELP,
        Binding("1", "tab('body')", "view"), Binding("2", "tab('verdicts')", "verdicts"),
        Binding("3", "tab('calls')", "calls"),
        Binding("n", "step(1)", "next", show=False), Binding("p", "step(-1)", "prev", show=False),
        Binding("s", "source", "text"), Binding("o", "quotes", "quotes"),
        Binding("i", "details", "i/o"),  # n and p are on the help page: the footer fits 80 columns
    ]
    HELP_TEXT = (
        "Transcript\n\n1: the protocol's view: {view}\n"
        "2: every verdict on it (each judge, each view, raw text)\n"
        "3: model calls: tokens, latency, cache hits, errors, cost\n"
        "i: every call's input and output in full\n"
        "s: the stored text (a passage, a tree's source), where the transcript has one\n"
        "o: the quotes, where it has any; enter jumps to each in the stored text\n"
        "n / p: next / previous transcript in the filtered list\n"
        "up/down, pageup/pagedown: scroll   escape or q: back to the list"
    )

    def __init__(self, index: RunIndex, rows: list[dict[str, Any]], position: int, params: dict[str, Any]) -> None:
        super().__init__()
        self.index, self.rows, self.position, self.params = index, rows, position, params
        self.transcript: dict[str, Any] = {}
        self.body = Body(Text(""))
        hooks = index.hooks
        self.tree_view = bool(hooks and hooks.review_tree)
        self.HELP_TEXT = self.HELP_TEXT.format(view=(hooks.review_help if hooks and hooks.review_help else GENERIC_HELP))

    def compose(self) -> ComposeResult:
        yield Static(id="header", classes="title")
        with TabbedContent(id="tabs"):
            for pane_id, title in (("body", "1 View"), ("verdicts", "2 Verdicts"), ("calls", "3 Calls")):
                with TabPane(title, id=pane_id):
                    if pane_id == "body" and self.tree_view:
                        yield TreeView(protocol=str(self.index.protocol()), id="tree-body")
                        continue
                    with VerticalScroll(id=f"scroll-{pane_id}"):
                        yield Static(id=f"content-{pane_id}")
        yield Footer()

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        entry = self.rows[self.position]
        self.transcript = self.index.read(entry)
        t = self.transcript
        judgments = self.index.judgments.get(t["id"], [])
        hooks = self.index.hooks
        self.body, notice = review_body(hooks, t, self.params, self.index, judgments)
        if notice is not None:
            self.index.note(notice)
        head = Text(f"{t.get('id')}  ", style="bold")
        kind = str(t.get("condition")) if t.get("condition") == t.get("protocol") else \
            f"{t.get('condition')} ({t.get('protocol')})"  # a protocol whose one condition bears its name says it once
        head.append(f"{kind} · {self.position + 1}/{len(self.rows)}")
        if t.get("error"):
            head.append("  FAILED", style="bold red")
        self.query_one("#header", Static).update(head)
        if self.tree_view:
            if self.body.tree is not None:
                self.query_one(TreeView).load(self.body.tree)
        else:
            self.query_one("#content-body", Static).update(self.body.renderable)
        self.query_one("#content-verdicts", Static).update(panels.verdicts(t, judgments, hooks, self.index.note))
        self.query_one("#content-calls", Static).update(panels.calls(t))
        self.refresh_bindings()  # the stored text and quotes come and go with the transcript
        show_notices(self, self.index)
        self.action_tab(self.query_one(TabbedContent).active or "body")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`s` and `o` are offered only where the transcript has a stored text (or a tree's source) and quotes."""
        if action == "source":
            return self.tree_view or bool(self.body.source_ref)
        if action == "quotes":
            return bool(self.body.quotes) and bool(self.body.source_ref)
        return True

    def action_tab(self, pane: str) -> None:
        self.query_one(TabbedContent).active = pane
        if pane == "body" and self.tree_view:
            self.query_one(TreeView).focus_tree()
        else:
            self.query_one(f"#scroll-{pane}").focus()

    def action_step(self, step: int) -> None:
        new = self.position + step
        if 0 <= new < len(self.rows):
            self.position = new
            self.show()

    def _source(self) -> str | None:
        if not self.body.source_ref:
            return None
        return self.index.text(self.body.source_ref)

    def action_source(self) -> None:
        if self.tree_view:
            view = self.query_one(TreeView)
            span = view.highlighted_span()
            note = f"Source, node {view.highlighted} span {span[0]}-{span[1]} selected" if span else "Source"
            self.app.push_screen(SourceScreen(view.source, span, note))
            return
        source = self._source()
        if source is None:
            self.notify("This transcript has no stored text.")
        else:
            self.app.push_screen(SourceScreen(source, None, "Stored text"))

    def action_quotes(self) -> None:
        source = self._source()
        if not self.body.quotes or source is None:
            self.notify("No quotes in this transcript.")
        else:
            self.app.push_screen(QuotesScreen(self.body.quotes, source))

    def action_details(self) -> None:
        self.app.push_screen(PageScreen(f"Calls of {self.transcript.get('id')}", panels.call_details(self.transcript, self.index.text)))


__all__ = ["HelpScreen", "Helpful", "PageScreen", "QuotesScreen", "SourceScreen", "TranscriptScreen", "quote_span",
           "show_notices"]
