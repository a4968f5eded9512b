"""What the report shows for a critique run: recall per condition and the critique's uplift."""

from __future__ import annotations

from typing import Any

from oversight.protocol.reporting import (INVALID_SCORE, ExportScore, HeadlineRow, correct_score, estimate_row,
                                          first_judge)


def export_score(judgment: dict[str, Any]) -> ExportScore:
    """A judge's flaw list as an exported score: how many of its reports a gold flaw confirmed,
    the reports themselves as the answer."""
    score = correct_score(judgment)
    if score is not None:
        return score
    if "matches" in judgment or "flaws_reported" in judgment:
        return ExportScore(sum(bool(m.get("confirmed")) for m in judgment.get("matches") or []),
                           "\n".join(str(f) for f in judgment.get("flaws_reported") or []))
    return ExportScore(INVALID_SCORE)


TABLE_NOTES = {
    "sev": "flaw severity",
    "grader": "how reports were matched to gold flaws: lexical = content-word overlap with the flaw's correction "
              "(the rule is in metrics.json, grader_methods), model = a grader model",
}
"""The legend of the columns a critique table adds to the generic ones."""


def headline(metrics: dict[str, Any]) -> list[HeadlineRow]:
    """Recall per condition and the uplift, for the run's first judge (or the pooled block)."""
    judge = first_judge(metrics)
    block = (metrics.get("by_judge") or {}).get(judge) or {}
    rows = [estimate_row(f"recall {c}", rec) for c, rec in (block.get("recall") or {}).items()]
    rows.append(estimate_row("uplift", block.get("uplift")))
    return [r for r in rows if r]
