"""The interactive judge (`params.judge_questions: N`, Michael et al. 2023): after every round but
the last, the judge, who never reads the story, reads the exchange so far and either asks the
speakers questions, which they answer in their next speech, or ends the debate with its verdict.

As in the paper: the judge sees only the question, the answers and the exchange (the same turns,
labels and marked quotes as the final judge); it questions either debater (or the consultant)
or both; it may end the debate whenever it is ready; after the last round it gives its verdict.

Where the paper is silent (its judges were people in a free-form chat), chosen here:
- The judge decides between whole rounds, never mid-round. A question is answered inside the
  speaker's next speech, under the same word limit, so the rounds stay comparable with the
  fixed-round protocol and a question costs no extra speech.
- At most N questions per decision (more are cut to the first N, noted); each is cut to the
  speech word limit. The judge may also let the next round start without asking (CONTINUE).
- A decision that cannot be read is recorded, counted and treated as "continue, no question":
  a parse failure never ends a debate or becomes a verdict. Ending with a verdict that cannot
  be read counts as unreadable too, and so does a base model repeating the prompt's examples.
- Ending early gives the verdict in the same call, read by the verdict path of every judge
  (views.verdict_fields), for the answer order the judge watched; with `swap: true` the judge
  node then also judges the finished exchange swapped, as after the last round. A logprob judge
  cannot state a verdict in logprobs while choosing to end, so its scored verdicts come from the
  one-token verdict calls that follow its decision.
- `swap: rerun` is refused with questions: it would be a second live debate, steered apart.

A person as the judge: `decision_view` builds what the judge reads; `model_decision` is the one
step that turns a model's answer into a `Decision` (Ask | End | Unreadable). A live judge replaces
only that step (pausing the graph with interrupt() and returning the person's Ask, or End with a
JudgeResponse carrying `choice`); `record_decision` logs either the same way.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from collections.abc import Sequence
from typing import Any

from oversight.protocol.contract import JudgeResponse, JudgeView, Recorder
from oversight.protocol.judge_call import call_judge
from oversight.protocols.debate.judging import (
    NO_TEXT_NOTE,
    defuse_question,
    judge_variables,
    question_label,
    render_transcript,
    shown_order,
)
from oversight.protocols.debate.outcome import JudgeQuestion, JudgeTurn
from oversight.protocols.debate.params import DebateParams
from oversight.protocols.debate.views import read_response, verdict_fields
from oversight.protocols.shared.text import cut_words
from oversight.protocols.shared.turns import mark_labels, render_turn
from oversight.protocols.shared.verdict_forms import reasoning_spans


@dataclass(frozen=True)
class Question:
    to: str
    """Whom, as the judge's view names them: "A", "B", "both" or "consultant"."""
    text: str


@dataclass(frozen=True)
class Ask:
    """Ask these questions before the next round (none: let it start)."""

    questions: tuple[Question, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class End:
    """End the debate now with this verdict (a model's text, or a person's `choice`)."""

    response: JudgeResponse
    note: str = ""


@dataclass(frozen=True)
class Unreadable:
    """A model's answer that says neither: counted, and the debate goes on with no question."""

    reason: str


Decision = Ask | End | Unreadable


# ---- what the judge reads ---------------------------------------------------------------------

def decision_view(outcome: dict[str, Any], params: DebateParams, rnd: int, order: str = "original") -> JudgeView:
    """The judge's view after round `rnd`: the exchange so far (with its earlier questions) and
    what it may do next."""
    tags = (params.verified_tag, params.unverified_tag)
    variables = judge_variables(outcome, order, verified_tag=tags[0], unverified_tag=tags[1])
    if outcome.get("passage") == "none":
        rules = f"There is {NO_TEXT_NOTE}: the speakers know nothing you could not work out yourself."
    else:
        rules = (f"The speakers have read a story you have not. Quotes in <{tags[0]}> tags were checked and appear "
                 f"word for word in the story. Quotes in <{tags[1]}> tags were NOT found in the story as quoted: "
                 f"distrust them.")
    variables.update(round=rnd, rounds=params.rounds, max_questions=params.judge_questions, rules=rules)
    if outcome["condition"] == "consultancy":
        variables["consultant_note"] = (
            "The consultant chose that answer itself; it may still be wrong." if outcome.get("open_roles") else
            "The consultant was assigned that answer at random: it is the correct answer in only half of such "
            "consultations.")
    return JudgeView(key=order, template=f"judge_ask_{outcome['condition']}", variables=variables,
                     answer_kind="choice", choices=tuple(outcome["answers"][i] for i in shown_order(order)))


def decision_schema(condition: str, max_questions: int) -> dict[str, Any]:
    """The structured answer: reasoning, the decision, its questions, and the verdict when it ends."""
    to = ["consultant"] if condition == "consultancy" else ["A", "B", "both"]
    question = {"type": "object", "properties": {"to": {"type": "string", "enum": to}, "question": {"type": "string"}},
                "required": ["to", "question"], "additionalProperties": False}
    return {
        "type": "object",
        "properties": {
            "reasoning": {"type": "string", "description": "Your reasoning, before you decide."},
            "decision": {"type": "string", "enum": ["ask", "continue", "end"],
                         "description": "ask: put questions; continue: hear the next round; end: decide now."},
            "questions": {"type": "array", "items": question,
                          "description": f"With ask, up to {max_questions} questions; otherwise empty."},
            "answer": {"type": "string", "enum": ["A", "B", "none"],
                       "description": "With end, the letter of the answer you choose; otherwise none."},
            "probability": {"type": "number", "minimum": 0, "maximum": 1,
                            "description": "With end, your probability that the chosen answer is correct."},
        },
        "required": ["reasoning", "decision", "questions", "answer", "probability"],
        "additionalProperties": False,
    }


async def model_decision(rec: Recorder, view: JudgeView, params: DebateParams) -> Decision:
    """Ask the model bound to `judge` (structured where the provider has it) and read its decision."""
    condition = "consultancy" if view.template.endswith("consultancy") else "debate"
    schema = decision_schema(condition, params.judge_questions) if params.judge_format == "structured" else None
    prompt = "\n".join(m.content for m in rec.run.prompts.render(view.template, view.variables))
    _, response = await call_judge(
        rec, "judge", view, schema, step=f"judge after round {view.variables['round']}",
        defaults={"stop": list(params.stop)} if params.stop else None,
        caps={"max_tokens": 200 + params.judge_questions * (2 * params.word_limit + 16)})
    return read_decision(response, condition, params.judge_questions, prompt)


# ---- reading a model's decision ---------------------------------------------------------------

_WHO = (r"(?:the\s+)?(?:debater\s*(?P<d>[ab])(?![\w'])|(?P<l>[ab])(?![\w'])|(?P<both>both(?:\s+debaters)?|each"
        r"(?:\s+debater)?|all(?:\s+debaters)?)|(?P<c>consultant)|(?P<you>you))")
_QUESTION_LINE = re.compile(
    r"^[\s>#\-\u2022]*(?:\d+[.)]\s*)?[*_]*\s*"
    r"(?:(?:q(?:uestion)?\s*\d*\s*[.:]?\s*)?[(\[]?\s*(?:to|for)|i\s+(?:would\s+like\s+to\s+|want\s+to\s+)?ask)"
    rf"\s+{_WHO}\s*[)\]]?\s*[*_]*\s*[:\uff1a\-\u2013\u2014]\s*[*_]*\s*(?P<text>.*)$", re.IGNORECASE)
_LEAD = r"^[\s>#\-\u2022*_]*"
_DECISION_WORD = r"(?i:(?:my\s+)?decision\s*[:\-]\s*[*_]*\s*)"
_END = re.compile(
    rf"{_LEAD}(?:{_DECISION_WORD}(?i:end|stop)(?![\w'])|END(?![\w'])(?!\s+of\b)"
    r"|(?i:(?:i\s+(?:will\s+|shall\s+|now\s+|choose\s+to\s+|would\s+like\s+to\s+|want\s+to\s+|am\s+ready\s+to\s+)*)?"
    r"end\s+(?:the\s+)?(?:debate|consultation)\b))", re.MULTILINE)
_CONTINUE = re.compile(rf"{_LEAD}(?:{_DECISION_WORD}(?i:continue)|CONTINUE)(?![\w'])", re.MULTILINE)
_DECISIONS = {"ask": "ask", "question": "ask", "questions": "ask", "continue": "continue", "next round": "continue",
              "end": "end", "end debate": "end", "end the debate": "end", "stop": "end", "verdict": "end"}
_TO_KEYS = ("to", "addressee", "debater", "for", "target")
_TEXT_KEYS = ("question", "text", "q")


def read_decision(response: JudgeResponse, condition: str, max_questions: int, prompt: str = "") -> Decision:
    """A judge's answer as a Decision. Structured output is read strictly; free text
    conservatively: a JSON object with `decision`/`questions`, else explicit lines
    (`QUESTION TO B: ...`, `CONTINUE`, `END. Answer: B, 70%`); anything else, or asking and
    ending at once, is Unreadable. Lines that repeat a line of `prompt` (a base model echoing
    the instructions' example `QUESTION TO B: your question`) are not the judge's."""
    text = response.text or ""
    if not text.strip():
        return Unreadable("empty answer")
    if response.structured:
        if response.cut_off:
            return Unreadable("structured answer cut off at the token limit")
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError):
            return Unreadable("structured answer is not valid JSON")
        return _from_object(obj, response, condition, max_questions, strict=True)
    for chars in reasoning_spans(text):  # a draft in the judge's working is not its decision
        text = text[:chars[0]] + " " * (chars[1] - chars[0]) + text[chars[1]:]
    echoed = {line.strip() for line in prompt.splitlines() if line.strip()}
    text = "\n".join("" if line.strip() in echoed else line for line in text.splitlines())
    objects = [o for o in _json_objects(text) if isinstance(o, dict) and ("decision" in o or "questions" in o)]
    if objects:
        if any(o != objects[0] for o in objects[1:]):
            return Unreadable("several different decisions in JSON")
        return _from_object(objects[0], response, condition, max_questions, strict=False)
    return _from_lines(text, response, condition, max_questions)


def _json_objects(text: str) -> list[Any]:
    decoder, found, i = json.JSONDecoder(), [], 0
    while (i := text.find("{", i)) >= 0:
        try:
            obj, end = decoder.raw_decode(text, i)
        except ValueError:
            i += 1
            continue
        found.append(obj)
        i = end
    return found


def _addressee(who: str, condition: str) -> str | None:
    """"A" / "B" / "both" / "consultant" from what the judge wrote; None when it names nobody here."""
    w = re.sub(r"[^a-z ]", "", who.lower()).strip()
    w = re.sub(r"^(?:the |debater )+", "", w).strip()
    if condition == "consultancy":
        return "consultant" if w in ("consultant", "you", "both", "a", "b", "each", "all") or "both" in w else None
    if w in ("a", "b"):
        return w.upper()
    if w.startswith(("both", "each", "all")):
        return "both"
    return None


def _ended(text: str, response: JudgeResponse, note: str = "") -> Decision:
    verdict = read_response(JudgeResponse(text=text, structured=response.structured, cut_off=response.cut_off),
                            "model")
    if verdict.invalid or verdict.choice is None:
        return Unreadable(f"ends the debate but its verdict cannot be read ({verdict.reason or 'no answer'})")
    return End(response, note or verdict.reason)


def _asked(found: list[Question], dropped: int, max_questions: int, how: str) -> Decision:
    if not found:
        return Unreadable(f"asks, but names no speaker of this exchange ({dropped} question(s) dropped)")
    notes = [how]
    if dropped:
        notes.append(f"{dropped} question(s) to nobody here dropped")
    if len(found) > max_questions:
        notes.append(f"kept the first {max_questions} of {len(found)} questions")
    return Ask(tuple(found[:max_questions]), "; ".join(notes))


def _from_object(obj: Any, response: JudgeResponse, condition: str, max_questions: int, *, strict: bool) -> Decision:
    if not isinstance(obj, dict):
        return Unreadable("the decision is not a JSON object")
    raw = obj.get("decision")
    decision = _DECISIONS.get(str(raw).strip().lower()) if isinstance(raw, str) else None
    asked = obj.get("questions")
    if raw is None and not strict and isinstance(asked, list) and asked:
        decision = "ask"
    if decision is None:
        return Unreadable(f"decision {json.dumps(raw)[:40]} is not ask, continue or end")
    if decision == "end":
        return _ended(response.text or "", response, "json decision")
    if decision == "continue" or asked in (None, []):
        return Ask((), "json decision: no question")
    if not isinstance(asked, list):
        return Unreadable("asks, but questions is not a list")
    found, dropped = [], 0
    for q in asked:
        who = next((q[k] for k in _TO_KEYS if isinstance(q, dict) and isinstance(q.get(k), str)), None)
        words = next((q[k] for k in _TEXT_KEYS if isinstance(q, dict) and isinstance(q.get(k), str)), "")
        to = _addressee(who, condition) if who is not None else None
        if to is None or not words.strip():
            dropped += 1
            continue
        found.append(Question(to, words.strip()))
    return _asked(found, dropped, max_questions, "json decision")


def _from_lines(text: str, response: JudgeResponse, condition: str, max_questions: int) -> Decision:
    lines = text.splitlines()
    found: list[Question] = []
    dropped = 0
    for i, line in enumerate(lines):
        m = _QUESTION_LINE.match(line)
        if not m:
            continue
        words = m.group("text").strip().strip("*_").strip()
        if not words:  # the question on the lines below, up to a blank line or the next directive
            rest = []
            for nxt in lines[i + 1:]:
                if not nxt.strip() or _QUESTION_LINE.match(nxt) or _END.match(nxt) or _CONTINUE.match(nxt):
                    break
                rest.append(nxt.strip())
            words = " ".join(rest).strip().strip("*_").strip()
        who = next(g for g in (m.group("d"), m.group("l"), m.group("both"), m.group("c"), m.group("you")) if g)
        to = _addressee(who, condition)
        if to is None or not words:
            dropped += 1
            continue
        found.append(Question(to, words))
    ends, continues = _END.search(text), _CONTINUE.search(text)
    if ends and (found or continues):
        return Unreadable("both asks (or continues) and ends the debate")
    if ends:
        return _ended(text, response)
    if found or dropped:
        return _asked(found, dropped, max_questions, "question lines")
    if continues:
        return Ask((), "continue")
    return Unreadable("no QUESTION TO ..., CONTINUE or END found")


# ---- recording it -----------------------------------------------------------------------------

def judge_id(rec: Recorder, params: DebateParams) -> str:
    """The run's judge as its judgment records name it."""
    return f"{params.judge_kind}:{rec.model_name('judge')}"


def record_decision(rec: Recorder, decision: Decision, *, outcome: dict[str, Any], view: JudgeView,
                    params: DebateParams, rnd: int, roles: dict[int, str], person: str = ""
                    ) -> tuple[JudgeTurn, dict[str, Any] | None]:
    """Log the decision after round `rnd` (a `judge_decision` note, a `judge_question` note per
    question, the verdict when it ends) and return its turn for the outcome, and the verdict
    record when one was given now. `roles` maps an answer index to the speaker defending it.
    `person`: the id of a person judging live, whose verdict is a human judgment."""
    who = person or judge_id(rec, params)
    questions: list[JudgeQuestion] = []
    verdict: dict[str, Any] | None = None
    order = view.key
    if isinstance(decision, Ask):
        kind, reason = ("ask" if decision.questions else "continue"), decision.note
        for q in decision.questions:
            if q.to in ("A", "B"):
                answer: int | None = shown_order(order)["AB".index(q.to)]
                to = roles[answer]
            else:
                answer = None if q.to == "both" else outcome.get("consultant_index")
                to = q.to
            text, words, truncated = cut_words(q.text, params.word_limit)
            question = JudgeQuestion(round=rnd, to=to, to_answer=answer, text=text, words=words, truncated=truncated)
            questions.append(question)
            rec.note("judge_question", role="judge", judge=who, round=rnd, to=to, to_answer=answer,
                     label=question_label(dict(question), order), text=text, words=words, truncated=truncated)
    elif isinstance(decision, End):
        kind, reason = "end", decision.note
        judged = "human" if decision.response.choice is not None else params.judge_kind
        if judged == "logprob":
            reason = "ended; the verdict comes from the logprob verdict calls that follow"
        else:
            verdict = verdict_fields(outcome, view, decision.response, judged)
            verdict["ended_round"] = rnd
            if person:
                verdict["view_key"] = view.key
            rec.note("verdict", **verdict)
            if person:
                rec.human_judgment(person, **verdict)
            else:
                rec.judgment(who, **verdict)
    else:
        kind, reason = "unreadable", decision.reason
    rec.note("judge_decision", role="judge", judge=who, round=rnd, decision=kind, questions=len(questions),
             reason=reason)
    return JudgeTurn(round=rnd, judge=who, decision=kind, questions=questions, reason=reason), verdict


def outcome_fields(judge_turns: list[JudgeTurn], speeches: list[dict[str, Any]], params: DebateParams
                   ) -> dict[str, Any]:
    """What a transcript's outcome keeps of the interactive judge ({} with `judge_questions: 0`)."""
    if not params.judge_questions:
        return {}
    fields: dict[str, Any] = {"judge_questions": params.judge_questions, "judge_turns": list(judge_turns),
                              "rounds_spoken": max((s["round"] for s in speeches), default=0)}
    ended = [t["round"] for t in judge_turns if t["decision"] == "end"]
    if ended:
        fields["ended_round"] = ended[0]
    return fields


# ---- what a speaker reads -------------------------------------------------------------------

def speaker_questions(role: str, judge_turns: list[JudgeTurn], rnd: int, visible: list[Any], params: DebateParams,
                      order: str = "original", exchanges: Sequence[Any] | None = None) -> dict[str, str]:
    """A speaker's `questions` variable (the judge's questions to it or to both, asked after the
    last round, "" when none) and, once the judge has asked anything, its `transcript` with the
    questions in place (and the cross-examinations it has seen, `exchanges`)."""
    if not judge_turns:
        return {"questions": ""}
    tags = (params.verified_tag, params.unverified_tag)
    out = {"questions": "", "transcript": render_transcript(
        visible, order, sequential=params.turns == "sequential", tags=tags, relabel=False,
        judge_turns=[dict(t) for t in judge_turns], exchanges=exchanges)}
    mine = [q for t in judge_turns for q in t["questions"] if q["round"] == rnd - 1 and q["to"] in (role, "both")]
    if mine:
        asked = "\n\n".join(render_turn(f"{question_label(dict(q), order)}:",
                                        mark_labels(defuse_question(q["text"], tags), "Judge", tags[0])[0])
                            for q in mine)
        out["questions"] = (f"\n\nThe judge asked you these questions after round {rnd - 1}. Answer them in this "
                            f"speech; the answers count towards your {params.word_limit} words.\n{asked}")
    return out


__all__ = ["Ask", "Decision", "End", "Question", "Unreadable", "decision_schema", "decision_view", "judge_id",
           "model_decision", "outcome_fields", "read_decision", "record_decision", "speaker_questions"]
