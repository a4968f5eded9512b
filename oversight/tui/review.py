"""`oversight review RUN_DIR`: browse a run's transcripts, verdicts, calls and metrics.

Keyboard only, fits 80x24. The list is built from a light index (byte offsets and small
fields per transcript) so a run of 10,000 transcripts opens at once; a transcript is parsed
only when it is opened.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Input, Static

from oversight.core.errors import UserError
from oversight.log.runfolder import RunFolder
from oversight.core.safe_text import clean, clean_deep, text
from oversight.tui import panels
from oversight.tui.index import VERDICT_FILTERS, Filters, RunIndex
from oversight.tui.rowlist import RowList
from oversight.tui.screens import Helpful, PageScreen, TranscriptScreen, show_notices

CSS = """
.title { height: 1; background: $accent; color: $text; }
#filters { height: 1; color: $text-muted; }
#legend { height: auto; max-height: 3; color: $text-muted; }
#search { dock: bottom; display: none; }
#search.open { display: block; }
TabbedContent { height: 1fr; }
"""


def _cycle(options: list[Any], current: Any) -> Any:
    """The next option after `current` (None, meaning all, comes first and last)."""
    ring = [None, *options]
    return ring[(ring.index(current) + 1) % len(ring)] if current in ring else None


class ListScreen(Helpful):
    """The run's transcripts with filters; enter opens one."""

    BINDINGS = [  # the footer fits 80 columns: f and x are on the help page only
        Binding("q", "app.quit", "quit"), Binding("question_mark", "help", "help"),
        Binding("c", "condition", "cond"), Binding("v", "verdict", "verdict"),
        Binding("f", "failed", "failed", show=False), Binding("J", "judge", "judge"),
        Binding("slash", "search", "search"), Binding("x", "clear", "clear", show=False),
        Binding("m", "metrics", "metrics"),
    ]
    HELP_TEXT = (
        "Transcripts\n\n"
        "up/down (j/k), pageup/pagedown, home/end: move   enter: open\n"
        "c: cycle the condition filter\n"
        "v: cycle the verdict filter: all; correct (judged, and every judge's verdict right, the run's "
        "own judge included); incorrect (some judge's verdict wrong, tied or invalid); unjudged\n"
        "   {marks}\n"
        "f: only failed units (error set)\n"
        "J: cycle the judge (the verdict marks and the verdict filter use that judge)\n"
        "/: search ids, speeches, answers, verdict text, prompts and stored texts (case-insensitive); "
        "enter applies, escape cancels\n"
        "x: clear every filter\n"
        "m: the run's metrics (metrics.json)\n"
        "q: quit\n\n"
        "Columns: id, condition, verdict marks (✓ right, ✗ wrong, ? invalid, a number is the protocol's "
        "partial score), FAILED for units that failed.\n"
        "With several judges and judge:all, the marks come in one group per judge, in the order the line "
        "above the list numbers them (·: that judge gave none).\n"
        "=x after a judge's marks: its verdicts scored as one, as the verdict filter and the metrics read "
        "them (✓✗=½: a tie)."
    )

    def __init__(self, index: RunIndex, params: dict[str, Any], title: str) -> None:
        super().__init__()
        self.index, self.params, self.run_title = index, params, title
        hooks = index.hooks
        marks = hooks.mark_help if hooks and hooks.mark_help else "A verdict is right when its `correct` is true."
        self.HELP_TEXT = self.HELP_TEXT.format(marks=" ".join(marks.split()))  # one paragraph, wrapped by hang
        self.filters = Filters()
        self.rows: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Static(Text(self.run_title, style="bold"), classes="title")
        yield Static(id="filters")
        yield Static(id="legend")
        yield RowList(self._format, id="list")
        yield Input(placeholder="search transcripts (enter: apply, escape: cancel)", id="search")
        yield Footer()

    def on_mount(self) -> None:
        self.refilter()
        self.query_one(RowList).focus()

    def _format(self, entry: dict[str, Any], width: int) -> str:
        cond_w, mark_w = 12, 12
        id_w = max(10, width - cond_w - mark_w - 9)
        tid = str(entry["id"])
        tid = tid if len(tid) <= id_w else tid[: id_w - 1] + "…"
        flag = "FAILED" if entry.get("error") else ""
        marks = self.index.marks(entry, self.filters.judge)
        marks = marks if len(marks) <= mark_w else marks[: mark_w - 1] + "…"
        return f"{tid:<{id_w}} {str(entry.get('condition'))[:cond_w]:<{cond_w}} {marks:<{mark_w}} {flag}"

    def refilter(self) -> None:
        listing = self.query_one(RowList)
        current = self.rows[listing.cursor]["id"] if self.rows and listing.cursor < len(self.rows) else None
        self.rows = self.index.select(self.filters)
        position = next((i for i, e in enumerate(self.rows) if e["id"] == current), 0)
        listing.set_rows(self.rows, position)
        status = f"{len(self.rows)}/{len(self.index.entries)} shown  {self.filters.describe()}"
        self.query_one("#filters", Static).update(  # a judge id or search is shown, never read as markup
            text(status, one_line=True))
        judges = self.index.judges()
        legend = self.query_one("#legend", Static)
        legend.display = self.filters.judge is None and len(judges) > 1
        # wrapped, not cut: at 80 columns a second judge's id would otherwise be lost
        legend.update(text("marks by judge: " + "  ".join(f"{n}) {j}" for n, j in enumerate(judges, 1))))
        show_notices(self, self.index)
        self.call_after_refresh(show_notices, self, self.index)  # the marks drawn with the rows may add some

    def on_row_list_chosen(self, event: RowList.Chosen) -> None:
        self.app.push_screen(TranscriptScreen(self.index, self.rows, event.index, self.params))

    def action_condition(self) -> None:
        self.filters.condition = _cycle(self.index.conditions(), self.filters.condition)
        self.refilter()

    def action_verdict(self) -> None:
        self.filters.verdict = VERDICT_FILTERS[(VERDICT_FILTERS.index(self.filters.verdict) + 1) % len(VERDICT_FILTERS)]
        self.refilter()

    def action_failed(self) -> None:
        self.filters.failed_only = not self.filters.failed_only
        self.refilter()

    def action_judge(self) -> None:
        self.filters.judge = _cycle(self.index.judges(), self.filters.judge)
        self.refilter()

    def action_clear(self) -> None:
        self.filters = Filters()
        self.refilter()

    def action_search(self) -> None:
        box = self.query_one("#search", Input)
        box.value = self.filters.search
        box.add_class("open")
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.filters.search = event.value.strip()
        self._close_search()
        self.refilter()

    def on_key(self, event: Any) -> None:
        box = self.query_one("#search", Input)
        if event.key == "escape" and box.has_class("open"):
            event.stop()
            self._close_search()

    def _close_search(self) -> None:
        self.query_one("#search", Input).remove_class("open")
        self.query_one(RowList).focus()

    def action_metrics(self) -> None:
        try:
            metrics = self.index.metrics()
        except UserError as exc:  # cut off or edited: say so, keep browsing
            self.notify(clean(str(exc)), title="metrics.json", severity="error", markup=False)
            return
        self.app.push_screen(PageScreen(clean(f"Metrics: {self.index.folder.run_id}", one_line=True),
                                        panels.metrics_view(metrics)))


class ReviewApp(App[None]):
    """Browse one run folder."""

    CSS = CSS
    TITLE = "oversight review"
    ENABLE_COMMAND_PALETTE = False  # its footer entry would push our keys off an 80-column screen

    def __init__(self, folder: RunFolder) -> None:
        super().__init__()
        self.folder = folder
        self.index = RunIndex.open(folder)
        self.params = _params(folder)

    def on_mount(self) -> None:
        protocol = self.index.protocol()
        left = sum(self.index.left_out.values())
        title = f"{clean(self.folder.run_id, one_line=True)} · {clean(protocol, one_line=True)} · {len(self.index.entries)} transcripts"
        if left:
            title += f" · {left} judgments left out"
        self.push_screen(ListScreen(self.index, self.params, title))


def _params(folder: RunFolder) -> dict[str, Any]:
    """The experiment's raw `params:` block (quote tags and such), read as data so a run made
    under older params still opens."""
    try:
        exp, _ = folder.experiment()
    except UserError:
        return {}
    return clean_deep(dict(exp.params or {}))


__all__ = ["ListScreen", "ReviewApp"]
