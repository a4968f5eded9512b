"""The shape of a critique transcript's `outcome`, as the graph's `tally` writes it and the
review body and metrics read it. TypedDicts are plain dicts at run time, so the JSON written is
exactly what the graph built."""

from __future__ import annotations

from typing import Any, Required, TypedDict, cast


class CritiqueOutcome(TypedDict, total=False):
    """The answer judged, the built-in judge's graded reports and, when assisted, the critiques."""

    condition: Required[str]
    answer: Required[str]
    answer_source: Required[str]
    """"task" (a given flawed answer) or "model" (an answerer wrote it; no gold flaws)."""
    gold_flaws: Required[list[dict[str, Any]] | None]
    flaws_reported: Required[list[str]]
    report_matches: Required[list[dict[str, Any]]]
    """How the grader matched each reported flaw to a gold flaw."""
    gold_found: Required[list[int]]
    n_gold: Required[int | None]
    recall: Required[float | None]
    precision: Required[float | None]
    critiques: list[dict[str, Any]]
    critique_tree: list[dict[str, Any]]
    critique_matches: list[dict[str, Any]]
    shown_critiques: str | None
    judge_view: Required[dict[str, str]]
    """Exactly the variables a judge of this unit is shown."""


def outcome_of(transcript: dict[str, Any]) -> CritiqueOutcome:
    """A transcript's outcome read as its type ({} for a failed one). A report's light transcripts
    keep only the protocol's `metrics_outcome_keys`, so a reader still says what it does when a
    field is missing (`.get`)."""
    return cast(CritiqueOutcome, transcript.get("outcome") or {})


__all__ = ["CritiqueOutcome", "outcome_of"]
