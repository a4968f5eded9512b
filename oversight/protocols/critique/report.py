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


def agreement_labels(judgment: dict[str, Any]) -> dict[str, str] | None:
    """One label per known flaw of a graded judgment: "found" or "missed"; None for a failed
    call or an ungraded one (nothing to compare)."""
    if judgment.get("failed") or judgment.get("n_gold") is None or "gold_found" not in judgment:
        return None
    found = set(judgment.get("gold_found") or [])
    return {f"flaw {i}": "found" if i in found else "missed" for i in range(int(judgment["n_gold"]))}


TABLE_NOTES = {
    "sev": "flaw severity",
    "n": "what the estimate is a share of: gold flaws (recall, critique coverage), the judge's flaw reports "
         "(precision), critique points (critique validity)",
    "grader": "how reports were matched to gold flaws: lexical = content-word overlap with the flaw's correction "
              "(the rule is in metrics.json, grader_methods), model = a grader model",
}
"""The legend of the columns a critique table adds to the generic ones."""


def headline(metrics: dict[str, Any]) -> list[HeadlineRow]:
    """Recall per condition and the uplift, for the run's first judge (or the pooled block)."""
    judge = first_judge(metrics)
    block = (metrics.get("by_judge") or {}).get(judge) or {}
    named = {"judge": judge} if judge else {}  # which judge the numbers are, named in the table
    rows = [estimate_row(f"recall {c}", rec, **named) for c, rec in (block.get("recall") or {}).items()]
    rows.append(estimate_row("uplift", block.get("uplift"), difference=True, **named))
    return [r for r in rows if r]
