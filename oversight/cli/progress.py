"""The CLI's rendering of a run's progress (the runner only emits events; see RunObserver)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from oversight.models.types import Usage
from oversight.runs.runner import RunObserver
from oversight.core.safe_text import markup
from oversight.log.transcripts import Transcript


def _cost_text(usage: Usage) -> str:
    return f"${usage.cost_usd:.4f}" if usage.cost_usd is not None else "$ n/a"


class RichProgress(RunObserver):
    """A progress bar of units, plus a second bar for work inside units when a protocol reports it
    (a book's nodes): a long book is not one opaque step."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=console, transient=False,
        )
        self.units: TaskID | None = None
        self.steps: TaskID | None = None
        self.failed = 0

    def started(self, name: str, units: int) -> None:
        self.progress.start()
        # the description column is a markup template: the name (an experiment's, a judge id) is escaped
        self.units = self.progress.add_task(markup(name), total=units, detail=f"failed 0  0 tok  {_cost_text(Usage())}")

    def unit_finished(self, transcript: Transcript, spent: Usage) -> None:
        self.failed += transcript.error is not None
        assert self.units is not None
        self.progress.update(self.units, advance=1,
                             detail=f"failed {self.failed}  {spent.total_tokens:,} tok  {_cost_text(spent)}")

    def sub_progress(self, advance: int, total: int) -> None:
        if self.steps is None:
            self.steps = self.progress.add_task("  steps", total=0, detail="")
        task = self.progress.tasks[self.steps]
        self.progress.update(self.steps, advance=advance, total=(task.total or 0) + total)

    def finished(self) -> None:
        self.progress.stop()
