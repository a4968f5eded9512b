"""The CLI's rendering of a run's progress (the runner only emits events; see RunObserver)."""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from oversight.models.types import Usage
from oversight.runs.runner import RunObserver
from oversight.core.safe_text import clean, markup
from oversight.log.transcripts import Transcript


NAME_WIDTH = 18
"""The label's share of the line: the full name is printed once above the bar."""


def _cost_text(usage: Usage) -> str:
    if usage.cost_usd is None:
        return "$ n/a"
    return f"${usage.cost_usd:.2f}" if usage.cost_usd >= 1 else f"${usage.cost_usd:.4f}"


def _tokens_text(tokens: int) -> str:
    """Tokens in at most six characters (below 10^14): 812, 26.3k, 100k, 4.1M, 999.9M, 1.0B. A
    value that would round up to 1000 of a unit is shown in the next one (never `1000.0M`), so the
    counts column keeps its width."""
    if tokens < 1000:
        return str(tokens)
    if tokens < 99_950:
        return f"{tokens / 1000:.1f}k"
    if tokens < 999_500:
        return f"{tokens / 1000:.0f}k"
    if tokens < 999_950_000:
        return f"{tokens / 1_000_000:.1f}M"
    if tokens < 99_950_000_000:
        return f"{tokens / 1_000_000_000:.1f}B"
    return f"{tokens / 1_000_000_000:.0f}B"


DETAIL_WIDTH = len("fail 99999 999.9M tok $99999.99")
"""The widest the counts column gets."""
TIMES_WIDTH = len("0:00:00 ETA 00:00") + 3


def _label(name: str, width: int = NAME_WIDTH) -> str:
    """At most `width` terminal cells (a wide character takes two)."""
    text = Text(clean(name, one_line=True))  # controls made visible first, so they count as cells
    text.truncate(width, overflow="ellipsis")
    return text.plain


def _detail(failed: int, spent: Usage) -> str:
    return f"fail {failed} {_tokens_text(spent.total_tokens)} tok {_cost_text(spent)}"


class RichProgress(RunObserver):
    """A progress bar of units, plus a second bar for work inside units when a protocol reports it
    (a book's nodes): a long book is not one opaque step."""

    def __init__(self, console: Console) -> None:
        self.console = console
        # One line within 80 columns at any count, token total and cost: a short label, a bar
        # that takes what is left, compact numbers; the full name is printed above the bar.
        self.bar = BarColumn(bar_width=10)
        self.progress = Progress(
            TextColumn("[bold]{task.description}"), self.bar, MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"), TimeElapsedColumn(), TextColumn("ETA"),
            TimeRemainingColumn(compact=True), console=console, transient=False,
        )
        self.units: TaskID | None = None
        self.steps: TaskID | None = None
        self.failed = 0
        self.calls = 0
        self.cached = 0
        """Model calls of the finished units, and how many the response cache answered."""

    def started(self, name: str, units: int) -> None:
        self.progress.start()
        self.add_units(name, units)

    def add_units(self, name: str, units: int) -> None:
        counts = 2 * len(str(units)) + 1 + DETAIL_WIDTH + TIMES_WIDTH + 3
        # the label gives way first, so a bar of 3 cells and the widest counts still fit the line
        label = _label(name, max(6, min(NAME_WIDTH, self.console.width - counts - 3)))
        used = cell_len(label) + counts
        self.bar.bar_width = max(3, min(40, self.console.width - used))
        # the description column is a markup template: the name (an experiment's, a judge id) is escaped
        self.units = self.progress.add_task(markup(label), total=units, detail=_detail(0, Usage()))

    def unit_finished(self, transcript: Transcript, spent: Usage) -> None:
        self.failed += transcript.error is not None
        for event in transcript.events:
            if event.type == "model":
                self.calls += 1
                self.cached += bool(getattr(event, "cached", False))
        assert self.units is not None
        self.progress.update(self.units, advance=1, detail=_detail(self.failed, spent))

    def sub_progress(self, advance: int, total: int) -> None:
        if self.steps is None:
            self.steps = self.progress.add_task("  steps", total=0, detail="")
        task = self.progress.tasks[self.steps]
        self.progress.update(self.steps, advance=advance, total=(task.total or 0) + total)

    def finished(self) -> None:
        self.progress.stop()
