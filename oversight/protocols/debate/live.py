"""A person as the interactive judge while the debate runs (`oversight judge-live`).

The graph pauses with LangGraph's interrupt() where the model judge would decide, and surfaces
what the person reads (the same `decision_view` as the model judge: same blinding) and may do;
the person's answer comes back as the resume value and becomes the same `Decision` a model's
answer would. A node re-runs from its start on resume, so nothing before interrupt() here may
call a model or log: building the view is pure.

Payload: {"kind": "decision" | "verdict", "round", "view": {key, template, variables, choices},
"max_questions", "to": the addressees}. Resume value: {"action": "ask", "questions": [{"to", "text"}]}
(no questions: let the next round start) or {"action": "end", "choice": index in the shown order,
"probability": 0.5-1, "comment": text}.

While the speakers speak, `LiveBoard.show` gets progress payloads {"kind": "progress", "round",
"view", "speaking": the labels of who is speaking now}: the exchange so far, each speech as soon
as its call returns, as the same `decision_view` (the same blinding as at a pause).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langgraph.types import interrupt

from oversight.core.errors import UserError
from oversight.protocol.contract import JudgeResponse, JudgeView
from oversight.protocols.debate.params import DebateParams
from oversight.protocols.debate.questions import Ask, Decision, End, Question


def addressees(condition: str) -> list[str]:
    return ["consultant"] if condition == "consultancy" else ["A", "B", "both"]


def payload(view: JudgeView, kind: str, rnd: int, max_questions: int, condition: str) -> dict[str, Any]:
    """What the person reads and may do, JSON as the checkpointer stores it."""
    return {"kind": kind, "round": rnd, "max_questions": max_questions if kind == "decision" else 0,
            "to": addressees(condition), "view": _view_data(view)}


def _view_data(view: JudgeView) -> dict[str, Any]:
    return {"key": view.key, "template": view.template, "variables": dict(view.variables),
            "choices": list(view.choices), "answer_kind": view.answer_kind}


class LiveBoard:
    """What this process has shown the person while the debate runs. Speakers of a round spoken
    at once run as parallel nodes whose states lack each other's speech, so the board keeps
    every speech (and cross-examination) it saw and adds them to the state it is shown."""

    def __init__(self, show: Callable[[dict[str, Any]], None]) -> None:
        self.show = show
        self.speaking: dict[str, str] = {}
        """role -> its label for the person ("Debater B"), while its turn's calls run."""
        self.speeches: dict[tuple[str, int], dict[str, Any]] = {}
        self.exchanges: dict[tuple[str, int], list[dict[str, Any]]] = {}

    def spoke(self, speech: dict[str, Any], exchanges: list[dict[str, Any]]) -> None:
        """A turn's finished speech (or, before it, its cross-examination: `speech` empty)."""
        if speech:
            self.speeches[(speech["role"], speech["round"])] = speech
        for e in exchanges:
            self.exchanges.setdefault((e["asker"], e["asked_round"]), [])
            if e not in self.exchanges[(e["asker"], e["asked_round"])]:
                self.exchanges[(e["asker"], e["asked_round"])].append(e)

    def merged(self, state: dict[str, Any]) -> dict[str, Any]:
        """`state` with the speeches and exchanges seen in other nodes of its round added."""
        speeches = {**self.speeches, **{(s["role"], s["round"]): s for s in state["speeches"]}}
        grouped: dict[tuple[str, int], list[dict[str, Any]]] = {}
        for e in state.get("cross_examinations") or []:
            grouped.setdefault((e["asker"], e["asked_round"]), []).append(e)
        exchanges = {**self.exchanges, **grouped}
        return {**state, "speeches": list(speeches.values()),
                "cross_examinations": [e for k in sorted(exchanges, key=lambda k: (k[1], k[0])) for e in exchanges[k]]}

    def send(self, view: JudgeView, rnd: int) -> None:
        self.show({"kind": "progress", "round": rnd, "view": _view_data(view),
                   "speaking": sorted(set(self.speaking.values()))})


def view_of(data: dict[str, Any]) -> JudgeView:
    """A payload's view as the JudgeView the form draws."""
    v = data["view"]
    return JudgeView(key=v["key"], template=v["template"], variables=v["variables"], answer_kind=v["answer_kind"],
                     choices=tuple(v["choices"]))


def answer_problem(value: Any, max_questions: int, to: list[str], verdict_only: bool = False) -> str | None:
    """Why a person's answer cannot stand (one line), or None."""
    if not isinstance(value, dict) or value.get("action") not in ("ask", "end"):
        return "choose: ask questions (or hear the next round) or end now with a verdict"
    if value["action"] == "ask":
        if verdict_only:
            return "the exchange is over: give your verdict"
        questions = value.get("questions") or []
        if len(questions) > max_questions:
            return f"at most {max_questions} question(s) per decision ({len(questions)} given)"
        for n, q in enumerate(questions, 1):
            if not str(q.get("text", "")).strip():
                return f"question {n} is empty: write it or remove it"
            if q.get("to") not in to:
                return f"question {n}: say whom it is for ({', '.join(to)})"
        return None
    choice, prob = value.get("choice"), value.get("probability")
    if not isinstance(choice, int) or isinstance(choice, bool) or choice not in (0, 1):
        return "choose answer A or B"
    if not isinstance(prob, (int, float)) or isinstance(prob, bool) or not 0.5 <= prob <= 1:
        return f"probability {prob!r}: give 50-100 (%), your confidence in the answer you chose"
    return None


def person(data: dict[str, Any], verdict_only: bool = False) -> dict[str, Any]:
    """Pause for the person and return their checked answer."""
    value = interrupt(data)
    problem = answer_problem(value, data["max_questions"], data["to"], verdict_only)
    if problem:  # the UI checks first; a hand-made resume value gets the same line
        raise UserError(f"live judge: {problem}")
    return value


def response_of(value: dict[str, Any]) -> JudgeResponse:
    return JudgeResponse(choice=value["choice"], probability=float(value["probability"]),
                         comment=str(value.get("comment") or "").strip() or None)


def live_decision(view: JudgeView, params: DebateParams, rnd: int, condition: str) -> Decision:
    """The person's decision after round `rnd`, as the model judge's would be read."""
    value = person(payload(view, "decision", rnd, params.judge_questions, condition))
    if value["action"] == "end":
        return End(response_of(value), "ended by the person judging live")
    questions = tuple(Question(q["to"], str(q["text"]).strip()) for q in value.get("questions") or [])
    return Ask(questions, "asked by the person judging live" if questions else "continue")


def live_verdict(view: JudgeView, rnd: int, condition: str) -> JudgeResponse:
    """The person's verdict on the finished exchange."""
    return response_of(person(payload(view, "verdict", rnd, 0, condition), verdict_only=True))


__all__ = ["LiveBoard", "addressees", "answer_problem", "live_decision", "live_verdict", "payload", "view_of"]
