"""Types a protocol uses to tell the report what to show: its headline rows and the published
figures that sit beside them. They live below the report layer so a protocol package can build
them without importing the report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

@dataclass(frozen=True)
class ExportScore:
    """A judgment as one score of an exported sample (an Inspect `Score`): its value and the
    answer the judge gave, as text (None when it gave none to show)."""

    value: Any
    answer: str | None = None


INVALID_SCORE = "N"
"""The value of a judgment that gave no verdict (Inspect's letter for it)."""


def correct_score(judgment: dict[str, Any]) -> ExportScore | None:
    """The contract's default: a judgment's boolean `correct` as "C" / "I" ("N" when invalid);
    None when it has no `correct` field."""
    if "correct" not in judgment:
        return None
    correct = judgment["correct"]
    return ExportScore(INVALID_SCORE if judgment.get("invalid") or correct is None else ("C" if correct else "I"))


HeadlineRow = dict[str, Any]
"""One headline metric: `metric`, `estimate`, `ci`, `ci_method`, `n` (and `ci_reason` if no
interval); `difference: true` marks a difference of two estimates (drawn on its own -1..1 axis)."""


@dataclass(frozen=True)
class Published:
    """Figures from papers, keyed by our headline metric label, and the note naming their sources.
    Shown beside ours only where comparable, so the note must say how the setting differs."""

    figures: dict[str, str] = field(default_factory=dict)
    note: str = ""


def recorded_view(judgment: dict[str, Any]) -> str | None:
    """The view a judgment names in `view_key` (re-judging and people write it), else None."""
    key = judgment.get("view_key")
    return None if key is None else str(key)


def choice_labels(judgment: dict[str, Any]) -> dict[str, str] | None:
    """A judgment's agreement label when it records a pick among the view's answers (`choice`,
    an index): one label, "invalid" when the answer could not be read; None when it records no
    pick or its call failed (nothing to compare)."""
    if judgment.get("failed") or "choice" not in judgment:
        return None
    choice = judgment["choice"]
    return {"": "invalid" if judgment.get("invalid") or choice is None else str(choice)}


def estimate_row(metric: str, rec: dict[str, Any] | None, **extra: Any) -> HeadlineRow | None:
    """A headline row from an estimate record, or None when the record holds no estimate."""
    if not rec or "estimate" not in rec:
        return None
    row = {"metric": metric, "estimate": rec.get("estimate"), "ci": rec.get("ci"),
           "ci_method": rec.get("ci_method"), "n": rec.get("clusters") or rec.get("n"), **extra}
    if rec.get("ci") is None and rec.get("ci_reason"):
        row["ci_reason"] = rec["ci_reason"]
    return row


def first_judge(metrics: dict[str, Any]) -> str | None:
    """The judge a headline reports on: the run's first."""
    judges = metrics.get("judges") or []
    return judges[0] if judges else None




@dataclass(frozen=True)
class RunInput:
    """One run as a cross-run analysis sees it; `read(outcome_keys)` gives its finished transcripts
    and their judgments (the report streams them, so a protocol needs no report import)."""

    name: str
    models: dict[str, str]
    metrics: dict[str, Any]
    read: Callable[[frozenset[str] | None], tuple[list[dict[str, Any]], list[dict[str, Any]]]]


@dataclass(frozen=True)
class CrossRunSection:
    """A table the report prints after the runs side by side."""

    title: str
    rows: list[dict[str, Any]]
    legend: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CrossRunResult:
    """What a protocol's analysis of several of its runs adds: `data` under the protocol's
    `cross_run_key` in the JSON report, tables, and figures as (file stem, matplotlib figure)."""

    data: dict[str, Any]
    sections: list[CrossRunSection] = field(default_factory=list)
    figures: list[tuple[str, Any]] = field(default_factory=list)


CrossRun = Callable[[list[RunInput]], "CrossRunResult | None"]
"""A protocol's cross-run analysis: None when the runs do not make one (e.g. too few pairings)."""


__all__ = ["INVALID_SCORE", "CrossRun", "CrossRunResult", "CrossRunSection", "ExportScore", "HeadlineRow", "Published",
           "RunInput", "correct_score", "estimate_row", "first_judge"]
