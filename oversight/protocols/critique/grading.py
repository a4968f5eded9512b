"""The critique protocol's grader step: match one reported flaw (or critique) to the gold
flaws, or confirm it when gold is unknown, and log the decision with its reason so a person
can audit every match."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from oversight.core.errors import ModelCallError
from oversight.protocol.contract import Recorder
from oversight.protocols.critique.flaws import gold_label, lexical_match, parse_grader_match, parse_yes_no
from oversight.protocols.critique.views import FRAME_STOPS, outcome_verdict

GRADER_DEFAULTS: dict[str, Any] = {
    "max_tokens": 48,
    "stop": ["\n\n", "\nReported flaw", "\nMatch:", "\nReal flaw:", *FRAME_STOPS],
}


async def grade_one(
    rec: Recorder, params: Any, state: Mapping[str, Any], kind: str, index: int, text: str
) -> dict[str, Any]:
    """Match one reported flaw or critique to the gold list (or confirm it, if gold is unknown)."""
    gold = state.get("gold")
    decision: dict[str, Any] = {"kind": kind, "index": index, "text": text, "gold_index": None, "gold": None}
    if gold is not None and not gold:
        decision.update(confirmed=False, parsed=True, grader="none", reason="the item has no known flaws")
    elif params.grader == "lexical":
        assert gold is not None
        hit, reason = lexical_match(text, [g["description"] for g in gold], params.lexical_threshold,
                                    answer=state.get("answer"))
        decision.update(gold_index=hit, confirmed=hit is not None, parsed=True, grader="lexical", reason=reason)
    elif gold is not None:
        listed = "\n".join(f"{gold_label(i)}. {g['description']}" for i, g in enumerate(gold))
        reply = await rec.call(
            "grader", "grader",
            {"context": state["context"], "question": state["question"], "answer": state["answer"],
             "gold_flaws": listed, "report": text},
            step=f"grader:{kind}{index}", defaults=GRADER_DEFAULTS,
        )
        parsed = parse_grader_match(reply.text, len(gold))
        decision.update(gold_index=parsed.index, confirmed=parsed.index is not None, parsed=parsed.parsed,
                        grader="model", reason=parsed.reason)
    else:
        reply = await rec.call(
            "grader", "grader_confirm",
            {"context": state["context"], "question": state["question"], "answer": state["answer"], "report": text},
            step=f"grader:{kind}{index}", defaults=GRADER_DEFAULTS,
        )
        verdict, reason = parse_yes_no(reply.text)
        decision.update(confirmed=verdict is True, parsed=verdict is not None, grader="model", reason=reason)
    if decision["gold_index"] is not None:
        decision["gold"] = gold[decision["gold_index"]]["description"]  # type: ignore[index]
    rec.note("grader_match", **decision)
    return decision


async def grade_judge_reports(rec: Recorder, params: Any, outcome: Mapping[str, Any], fields: dict[str, Any]) -> None:
    """Grade a re-judge's reports with the grader model, exactly as the run's grader step does,
    so judges are compared under the grader the run's own judge had. A grader call that fails
    after retries marks the judgment failed, keeping the judge's reports."""
    shown = outcome["judge_view"]
    state = {"gold": outcome.get("gold_flaws"), "context": shown["context"], "question": shown["question"],
             "answer": shown["answer"]}
    reports = fields.get("flaws_reported") or []
    try:
        matches = list(await asyncio.gather(
            *(grade_one(rec, params, state, "report", i, r) for i, r in enumerate(reports))))
    except ModelCallError as exc:
        fields.update(failed=True, reason=f"grader call failed: {exc.reason}")
        return
    fields.update(matches=matches, grader="model", graded=True, **outcome_verdict(matches, state["gold"]))
