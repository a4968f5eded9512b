"""What a critique judge sees, and the verdict fields of its answer: one code path for the
run's own judge, a re-judging model and a person in the terminal UI."""

from __future__ import annotations

from typing import Any

from oversight.protocol import JudgeResponse, JudgeView
from oversight.protocols.critique.data import judge_variables
from oversight.protocols.critique.flaws import lexical_match, parse_list
from oversight.protocols.critique.params import CritiqueParams


def build_view(condition: str, context: str, question: str, answer: str, critiques_text: str | None) -> JudgeView:
    """The unassisted judge sees passage, question and answer; the assisted one also the critiques."""
    return JudgeView(key="judge", template=f"judge_{condition}",
                     variables=judge_variables(condition, context, question, answer, critiques_text),
                     answer_kind="flaws")


def view_from_outcome(outcome: dict[str, Any]) -> JudgeView:
    shown = outcome["judge_view"]
    return build_view(outcome["condition"], shown["context"], shown["question"], shown["answer"],
                      shown.get("critiques"))


def outcome_verdict(matches: list[dict[str, Any]], gold: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Recall against gold flaws and precision of the reports, from graded matches."""
    found = sorted({m["gold_index"] for m in matches if m["gold_index"] is not None})
    n_gold = len(gold) if gold is not None else None
    return {
        "gold_found": found,
        "n_gold": n_gold,
        "recall": len(found) / n_gold if n_gold else None,
        "precision": sum(m["confirmed"] for m in matches) / len(matches) if matches else None,
    }


def verdict_fields(outcome: dict[str, Any], view: JudgeView, response: JudgeResponse,
                   params: CritiqueParams) -> dict[str, Any]:
    """A judge's flaws (a person's list, or parsed from a model's text), graded lexically when
    the item has gold flaws. Model grading needs model calls, so a re-judge with
    `grader: model` gets `graded: false` and its reports are graded by a later step."""
    if response.flaws is not None:
        reports = [f.strip() for f in response.flaws if f.strip()][: params.max_reports]
    else:
        variables = view.variables
        reports = parse_list(response.text or "", max_items=params.max_reports,
                             exclude=(variables["answer"], variables["question"]))
    gold = outcome.get("gold_flaws")
    record: dict[str, Any] = {"condition": outcome["condition"], "flaws_reported": reports,
                              "raw": response.text if response.flaws is None else None}
    if gold is not None and params.grader == "lexical":
        matches = []
        for i, report in enumerate(reports):
            hit, reason = lexical_match(report, [g["description"] for g in gold], params.lexical_threshold,
                                        answer=outcome.get("answer") or view.variables.get("answer"))
            matches.append({"kind": "report", "index": i, "text": report, "gold_index": hit, "confirmed": hit is not None,
                            "grader": "lexical", "reason": reason})
        record.update(matches=matches, grader="lexical", graded=True, **outcome_verdict(matches, gold))
    else:
        record.update(graded=False)
    return record
