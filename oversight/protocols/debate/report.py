"""What the report shows for a debate run: accuracy per condition, debate minus each baseline,
and the published judge accuracies on QuALITY beside them."""

from __future__ import annotations

from typing import Any

from oversight.protocol.reporting import (INVALID_SCORE, ExportScore, HeadlineRow, Published, correct_score, estimate_row,
                                          first_judge)
from oversight.protocols.shared.speech_view import LETTERS

PUBLISHED = Published(
    figures={
        "accuracy debate": "L.76 H.88 M.84",
        "accuracy consultancy": "L.54 H.78 M.74",
        "accuracy blind": "L.48 H.60",
    },
    note=("published (QuALITY, another task and other judges: compare with care): L = Khan et al. 2024 "
          "with an LLM judge, H = Khan et al. 2024 with human judges (blind = their naive judge), "
          "M = Michael et al. 2023, human debaters and judges"),
)


def export_score(judgment: dict[str, Any]) -> ExportScore:
    """A verdict as an exported score: right / wrong / invalid, and the answer picked as its letter
    in the original order (a third answer or more by its index)."""
    score = correct_score(judgment)
    if score is None:
        return ExportScore(INVALID_SCORE)
    index = judgment.get("answer_index")
    answer = None if index is None else LETTERS[int(index)] if int(index) < 2 else str(index)
    return ExportScore(score.value, answer)


def agreement_labels(judgment: dict[str, Any]) -> dict[str, str] | None:
    """One label: the answer picked, by its index in the original order (so two judges of one
    view agree whichever order it showed), "invalid" when unreadable; None for a failed call."""
    if judgment.get("failed") or "answer_index" not in judgment:
        return None
    index = judgment["answer_index"]
    return {"": "invalid" if judgment.get("invalid") or index is None else str(index)}


def judgment_view_key(judgment: dict[str, Any]) -> str | None:
    """The view a debate judgment answered: `view_key` (re-judging, people), else the run judge's
    answer `order` (or `key`), else an imported verdict's `shown_order` of the answers."""
    key = judgment.get("view_key") or judgment.get("key") or judgment.get("order")
    if key is None and judgment.get("shown_order"):
        key = "shown " + ",".join(str(x) for x in judgment["shown_order"])
    return None if key is None else str(key)


TABLE_NOTES = {
    "acc": "accuracy: each rater's verdict on a transcript counts once (with both answer orders judged, "
           "its order-averaged verdict: p(correct) averaged, a tie at 0.5 counts half)",
    "orig": "accuracy, original answer order", "swap": "accuracy, swapped order",
    "1st": "share of valid verdicts for the answer shown first (position bias)",
    "share": "share of transcripts (judge ended early: the interactive judge ended before the last round), Wilson",
    "unres": "answer letters the swapped view left as written (marked as such), in how many of the "
             "transcripts judged swapped",
}
"""The legend of the columns a debate table adds to the generic ones."""


def headline(metrics: dict[str, Any]) -> list[HeadlineRow]:
    """Accuracy per condition and debate minus each baseline, for the run's first judge."""
    judge = first_judge(metrics)
    named = {"judge": judge} if judge else {}  # which judge the numbers are, named in the table
    rows = [estimate_row(f"accuracy {c}", by_j.get(judge, {}).get("accuracy"), **named)
            for c, by_j in (metrics.get("conditions") or {}).items()]
    rows += [estimate_row(label, d, **named) for label, d in (metrics.get("comparisons") or {}).get(judge, {}).items()]
    return [r for r in rows if r]
