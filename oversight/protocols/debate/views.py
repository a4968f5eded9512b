"""What a debate judge sees, and how an answer becomes a verdict: one code path for the run's
own judge, a re-judging model and a person in the terminal UI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oversight.protocol.contract import JudgeResponse, JudgeView
from oversight.protocols.debate.judging import ORDERS, judge_variables, shown_order, verdict_record
from oversight.protocols.debate.params import DebateParams
from oversight.protocol.judge_call import judge_format_fields
from oversight.protocols.shared.verdicts import Verdict, parse_verdict, read_logprobs, read_structured, verdict_schema
from oversight.models.types import TokenLogprob


def orders(params: DebateParams) -> tuple[str, ...]:
    return ORDERS if params.swap else ORDERS[:1]


def build_views(outcome: dict[str, Any], params: DebateParams, story: Callable[[], str]) -> list[JudgeView]:
    """One view per answer order. `story` is read only for the expert condition, the one
    judge that may see the passage."""
    views = []
    for order in orders(params):
        text = story() if outcome["condition"] == "expert" else ""
        variables = judge_variables(outcome, order, story=text, verified_tag=params.verified_tag,
                                    unverified_tag=params.unverified_tag)
        template = f"judge_{outcome['condition']}"
        if outcome.get("passage") == "none":  # no story: no quote marks
            template += "_closed"
        elif outcome.get("open_roles") and outcome["condition"] == "consultancy":  # chosen, not assigned at random
            template += "_open"
        views.append(JudgeView(
            key=order, template=template, variables=variables, answer_kind="choice",
            choices=tuple(outcome["answers"][i] for i in shown_order(order)),
        ))
    return views


def response_schema(view: JudgeView, params: DebateParams) -> dict[str, Any] | None:
    """The structured judge's schema (reasoning, answer, probability); None for text or logprobs."""
    if params.judge_kind != "model" or params.judge_format != "structured" or view.answer_kind != "choice":
        return None
    return verdict_schema("AB"[:len(view.choices)] if view.choices else "AB")


def read_response(response: JudgeResponse, kind: str) -> Verdict:
    """A model's text or logprobs, or a person's pick, as a Verdict in the shown order."""
    if response.choice is not None:
        return Verdict(choice=response.choice, probability=response.probability, reason="human")
    if kind == "logprob" and response.logprobs:
        tokens = [t if isinstance(t, TokenLogprob) else TokenLogprob.model_validate(t) for t in response.logprobs]
        return read_logprobs(tokens)
    if response.structured:
        if response.cut_off:
            return Verdict(None, invalid=True, reason="structured answer cut off at the token limit")
        return read_structured(response.text or "")
    verdict = parse_verdict(response.text or "")
    if kind == "logprob":
        # No logprobs (a provider without them): fall back to reading the text, and say so.
        verdict.extra["fallback"] = "no logprobs returned; parsed the text"
    return verdict


def verdict_fields(outcome: dict[str, Any], view: JudgeView, response: JudgeResponse, kind: str) -> dict[str, Any]:
    """The judgment record's verdict fields (choices and probabilities in the ORIGINAL order)."""
    verdict = read_response(response, kind)
    raw: Any = response.text
    if response.choice is not None:
        raw = {"choice": response.choice, "probability": response.probability, "comment": response.comment}
    record = verdict_record(outcome, view.key, verdict, raw=raw, kind=kind)
    if kind == "model":  # a person's or a logprob judge's record has no answer format to note
        record.update(judge_format_fields(response))
    if verdict.extra:
        record["logprob_read"] = verdict.extra
    return record
