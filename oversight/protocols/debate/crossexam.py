"""Cross-examination (`params.cross_examination`): from round 2 on, before its speech, a debater
may question its opponent as the opponent was when it gave an earlier speech.

How it maps to the papers. Irving et al. (2018) propose letting a debater question a copy of its
opponent frozen at an earlier point, so the copy cannot tailor its answer to what came later;
Barnes and Christiano's debate experiments (2020) ran it that way with people. We do the same
with a forked conversation: the answer call's input is exactly the opponent's input for its
round-k speech (same template, same variables, the same transcript it saw then), then that speech
as the opponent's own turn, then the question (`cross_answer.txt`). Nothing spoken after that
speech can reach it, and the opening messages are the speech call's, so a provider's prompt cache
reuses them.

Where the papers are silent, we chose:
- The asker writes `ROUND k: question` (read from messy text: markdown, "I'd like to ask about
  round 1: ...", "Round one -"); it may write NONE. A request with no readable round, a round
  that is not an earlier one, or an empty question is recorded and counted as unreadable and
  no question is asked; questions beyond `cross_questions` are dropped and counted.
- The questioned copy is the opponent right after it spoke (its speech is in the fork): it is
  asked about what it said, so it knows what it said.
- Question and answer are quote-checked like speeches (not with `passage: none`), cut to the word
  limit, shown to the judge and to both debaters' later speeches, before the asker's speech of
  the round, under our labels ("Debater A asks Debater B (as of round 1)", "Debater B (as of
  round 1) answers"). With simultaneous turns the two debaters ask at once, so neither sees the
  other's exchange of that round before its own speech; with sequential turns the second does.
- Consultancy has no opponent: it runs as without cross-examination.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from oversight.models.types import Message
from oversight.protocol.contract import Recorder
from oversight.protocols.debate.outcome import CrossExamination, CrossText
from oversight.protocols.debate.params import DebateParams
from oversight.protocols.debate.relabel import drop_forged_marks, swap_labels
from oversight.protocols.shared.markers import neutralise_markers, safe_shown
from oversight.protocols.shared.quotes import Passage, check_speech
from oversight.protocols.shared.text import cut_words
from oversight.protocols.shared.turns import defuse_control_tokens, mark_labels, render_turn

OPPONENT = {"debater_a": "debater_b", "debater_b": "debater_a"}
_NUMBERS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_HEAD = re.compile(r"\bround\s*#?\s*(\d+|" + "|".join(_NUMBERS) + r")\b[\s*_)\]]*(?::|-|\u2013|\u2014|\.(?=\s))",
                   re.IGNORECASE)
"""Where a question starts: "ROUND 2:", "**Round 1** -", "(round 1):", "Round one —"."""
_LINE_OPENING = re.compile(r"[\s>*_\-\u2022\u2502#(\[]*(?:\d+[.)])?[\s*_(\[]*(?:q(?:uestion)?\s*\d*\s*[.:]?[\s(\[]*)?",
                           re.IGNORECASE)
"""What may stand before a later question's head on its line: markup, a list number, "Question"."""
_DECLINE = re.compile(r"\b(?:none|pass|no\s+(?:further\s+|more\s+)?questions?)\b", re.IGNORECASE)
_DECLINE_BODY = re.compile(r"(?:none|pass|nothing(?:\s+(?:to\s+ask|further|more))?(?:\s+\w+)?|no\s+(?:further\s+|more\s+)?"
                           r"questions?(?:\s+\w+)?)\W*", re.IGNORECASE)
"""A 'question' that only declines ("ROUND 2: nothing to ask."): no question is put."""


# ---- reading the asker's request ----------------------------------------------------------------

@dataclass
class Request:
    """What an asker's reply asks: (round, question) pairs, and what could not be read."""

    questions: list[tuple[int, str]] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    """One reason per question-like part that asked nothing."""
    declined: bool = False
    over_limit: int = 0


def read_request(text: str, current_round: int, limit: int) -> Request:
    """The questions in `text`: each starts at a round head and runs to the next head or a blank
    line; after the first, a head starts a question only at the start of a line (as the prompt
    asks), so a round named inside a question stays in it. Round k must be an earlier round."""
    req = Request()
    heads = [m for i, m in enumerate(_HEAD.finditer(text))  # "you said in round 1 - ..." asks nothing new
             if i == 0 or _LINE_OPENING.fullmatch(text[text.rfind("\n", 0, m.start()) + 1:m.start()])]
    if not heads:
        if text.strip() and _DECLINE.search(text):
            req.declined = True
        else:
            req.unreadable.append("no 'ROUND k: question' found" if text.strip() else "empty reply")
        return req
    for i, m in enumerate(heads):
        end = len(text)
        if i + 1 < len(heads):  # up to the next head's line, its list marker or "Question 2" left out
            end = max(text.rfind("\n", 0, heads[i + 1].start()), m.end())
        body = re.split(r"\n\s*\n", text[m.end():end].strip(), maxsplit=1)[0]
        body = re.sub(r"^[\s*_>\-\u2502]+|[\s*_]+$", "", body)  # markdown, or our speech prefix copied
        body = re.sub(r"\s*\n[\s>*\-\d.]*$", "", body).strip()  # a list marker left for the next head
        word = m.group(1).lower()
        k = int(word) if word.isdigit() else _NUMBERS[word]
        if not 1 <= k < current_round:
            earlier = "1" if current_round == 2 else f"1-{current_round - 1}"
            req.unreadable.append(f"round {k} is not an earlier round ({earlier})")
        elif not re.search(r"\w", body):
            req.unreadable.append(f"round {k}: no question")
        elif _DECLINE_BODY.fullmatch(body):
            req.declined = True
        elif len(req.questions) >= limit:
            req.over_limit += 1
        else:
            req.questions.append((k, body))
    req.declined = req.declined and not req.questions  # a decline beside a real question declines nothing
    return req


# ---- what each speech had seen -----------------------------------------------------------------

def position(role: str, rnd: int, params: DebateParams, first: str) -> tuple[int, int]:
    """When a speech was spoken: simultaneous speeches of a round share a position."""
    return (rnd, 0 if params.turns == "simultaneous" or role == first else 1)


def seen_exchanges(exchanges: Sequence[CrossExamination], role: str, rnd: int, params: DebateParams,
                   first: str) -> list[CrossExamination]:
    """The exchanges spoken before `role`'s speech of round `rnd`: its own of that round, and any
    asked before a speech that came before it."""
    here = position(role, rnd, params, first)
    return [x for x in exchanges if (x["asker"] == role and x["asked_round"] == rnd)
            or position(x["asker"], x["asked_round"], params, first) < here]


def as_of(state: dict[str, Any], role: str, rnd: int, params: DebateParams, first: str) -> dict[str, Any]:
    """The state as it was when `role` gave its speech of round `rnd`: nothing spoken later, the
    judge's questions after that round or later included."""
    here = position(role, rnd, params, first)
    speeches = [s for s in state["speeches"] if position(s["role"], s["round"], params, first) < here]
    exchanges = seen_exchanges(state.get("cross_examinations") or [], role, rnd, params, first)
    judge_turns = [t for t in state.get("judge_turns") or [] if t["round"] < rnd]
    return {**state, "round": rnd, "speeches": speeches, "cross_examinations": exchanges, "judge_turns": judge_turns}


# ---- the exchange ------------------------------------------------------------------------------

SpeechInput = Callable[[str, dict[str, Any]], tuple[str, dict[str, Any], int]]
"""(role, state) -> the template, variables and answer index of that role's speech in that state."""


def checked_text(raw: str, params: DebateParams, passage: Passage) -> CrossText:
    """A question or an answer as shown: cut to the word limit, quotes checked as in a speech."""
    text, words, truncated = cut_words(raw, params.word_limit)
    tags = (params.verified_tag, params.unverified_tag)
    if params.passage == "none":
        return CrossText(text=text, shown=neutralise_markers(text, params.quote_tag, tags), words=words,
                         truncated=truncated, quotes=[])
    checked = check_speech(text, passage, tag=params.quote_tag, verified_tag=tags[0], unverified_tag=tags[1],
                           fuzzy_threshold=params.fuzzy_threshold)
    out = CrossText(text=text, shown=checked.shown, words=words, truncated=truncated,
                    quotes=[q.to_dict() for q in checked.quotes])
    if checked.empty:  # counted as a speech's are: taken out of what the judge sees, never lost
        out["n_empty"] = checked.empty
    return out


def settings(params: DebateParams, words: int) -> dict[str, Any]:
    """A speech's stop sequences; a token cap for `words` words."""
    return {"defaults": {"stop": list(params.stop)} if params.stop else None,
            "caps": {"max_tokens": words * 2 + 16}}


async def cross_examine(role: str, state: dict[str, Any], rec: Recorder, params: DebateParams, passage: Passage,
                        order: str, first: str, speech_input: SpeechInput) -> tuple[list[CrossExamination],
                                                                                   dict[str, Any]]:
    """`role`'s questions of this round, each answered by the opponent's fork at the round asked
    about; and the request's record (asked, declined, unreadable, over the limit)."""
    rnd, opponent = state["round"], OPPONENT[role]
    swapped = {"order": order} if order != "original" else {}
    template, variables, index = speech_input(role, state)
    variables = {**variables, "cross_questions": params.cross_questions,
                 "earlier_rounds": "1" if rnd == 2 else f"1 to {rnd - 1}"}
    step = f"{role} asks, round {rnd}" + (" (swapped run)" if order == "swapped" else "")
    ask = "cross_question" + ("_closed" if params.passage == "none" else "")
    out = await rec.call(role, ask, variables, step=step,
                         **settings(params, params.cross_questions * (params.word_limit + 8)))
    request = read_request(out.text, rnd, params.cross_questions)
    if rec.estimating and not request.questions:  # a dry run's filler: count the most it could cost
        request = Request(questions=[(rnd - 1, out.text)] * params.cross_questions)
    record = {"role": role, "round": rnd, **swapped, "asked": [k for k, _ in request.questions],
              "declined": request.declined, "unreadable": request.unreadable, "over_limit": request.over_limit}
    rec.note("cross_request", **record)
    spoken = {(s["role"], s["round"]): s for s in state["speeches"]}
    exchanges: list[CrossExamination] = []
    for k, raw_question in request.questions:
        question = checked_text(raw_question, params, passage)
        then_template, then_vars, opp_index = speech_input(opponent, as_of(state, opponent, k, params, first))
        history = [*rec.render(then_template, then_vars),
                   Message(role="assistant", content=spoken[(opponent, k)]["text"])]
        answer_vars = {"name": then_vars["name"], "asker_name": variables["name"], "of_round": k,
                       "question": render_turn(f"{variables['name']} asks {then_vars['name']} (as of round {k}):",
                                               mark_labels(defused(question["shown"], params), variables["name"],
                                                           params.verified_tag)[0]),
                       "word_limit": params.word_limit, "quoting": "" if params.passage == "none" else (
                           f" Quote the story word for word between <{params.quote_tag}> and </{params.quote_tag}>; "
                           "the judge is told which quotes match it.")}
        answer_step = f"{opponent} (as of round {k}) answers {role}, round {rnd}" + (
            " (swapped run)" if order == "swapped" else "")
        answered = await rec.call(opponent, "cross_answer", answer_vars, step=answer_step, history=history,
                                  **settings(params, params.word_limit))
        exchange = CrossExamination(asked_round=rnd, of_round=k, asker=role, asker_index=index, answerer=opponent,
                                    answerer_index=opp_index, question=question,
                                    answer=checked_text(answered.text, params, passage))
        rec.note("cross_examination", **swapped, **exchange)
        exchanges.append(exchange)
    return exchanges, record


def request_counts(requests: Sequence[dict[str, Any]], questions: int) -> dict[str, int]:
    """The outcome's summary of every request: how many were made, questions asked, requests
    declined, question-like parts unreadable, questions over the limit."""
    return {"questions": questions, "requests": len(requests), "asked": sum(len(r["asked"]) for r in requests),
            "declined": sum(bool(r["declined"]) for r in requests),
            "unreadable": sum(len(r["unreadable"]) for r in requests),
            "over_limit": sum(r["over_limit"] for r in requests)}


# ---- how the exchanges are shown ---------------------------------------------------------------

def defused(shown: str, params: DebateParams | None = None, tags: tuple[str, str] | None = None) -> str:
    """A stored question or answer as it may be shown: as a speech is (judging.transcript_turns)."""
    tags = tags or ((params.verified_tag, params.unverified_tag) if params else ("v_quote", "u_quote"))
    return defuse_control_tokens(drop_forged_marks(safe_shown(shown, *tags))).strip() or "(nothing written)"


def debater_label(answer_index: int, order: str) -> str:
    """A debater as the reader of `order` names it (the one defending the answer shown first is A)."""
    shown = [0, 1] if order == "original" else [1, 0]
    return f"Debater {'AB'[shown.index(answer_index)]}"


def exchange_turns(exchange: CrossExamination, order: str, tags: tuple[str, str] = ("v_quote", "u_quote"),
                   relabel: bool = True) -> list[dict[str, Any]]:
    """The question and the answer as two turns under our labels, texts defused and, in the swapped
    view, relabelled like a speech."""
    asker = debater_label(exchange["asker_index"], order)
    answerer = debater_label(exchange["answerer_index"], order)
    k = exchange["of_round"]
    turns = []
    for speaker, label, part in ((asker, f"{asker} asks {answerer} (as of round {k})", exchange["question"]),
                                 (answerer, f"{answerer} (as of round {k}) answers", exchange["answer"])):
        text = defused(part["shown"], tags=tags)
        if order == "swapped" and relabel:
            text = swap_labels(text, tags[0])
        turns.append({"speaker": speaker, "label": label, "round": exchange["asked_round"], "text": text,
                      "kind": "cross_examination"})
    return turns


def with_exchanges(turns: list[dict[str, Any]], exchanges: Sequence[CrossExamination], order: str,
                   tags: tuple[str, str] = ("v_quote", "u_quote"), relabel: bool = True) -> list[dict[str, Any]]:
    """Speech turns with each exchange placed before its asker's speech of the round it was asked
    in (at the end of that round when that speech is missing)."""
    if not exchanges:
        return turns
    pending = list(exchanges)
    out: list[dict[str, Any]] = []

    def flush(keep: Callable[[CrossExamination], bool]) -> None:
        for x in [x for x in pending if keep(x)]:
            out.extend(exchange_turns(x, order, tags, relabel))
            pending.remove(x)

    for i, turn in enumerate(turns):
        if "label" not in turn:
            flush(lambda x: x["asked_round"] == turn["round"]
                  and debater_label(x["asker_index"], order) == turn["speaker"])
        out.append(turn)
        nxt = turns[i + 1]["round"] if i + 1 < len(turns) else None
        if nxt != turn["round"]:
            flush(lambda x: x["asked_round"] <= turn["round"])
    flush(lambda x: True)
    return out


def exchange_texts(exchanges: Sequence[CrossExamination]) -> list[dict[str, str]]:
    """Questions and answers as speech-like records (`shown`), for the swapped view's relabel count."""
    return [{"shown": x[part]["shown"]} for x in exchanges for part in ("question", "answer")]


__all__ = ["OPPONENT", "Request", "as_of", "cross_examine", "debater_label", "defused", "exchange_texts",
           "exchange_turns", "read_request", "request_counts", "seen_exchanges", "with_exchanges"]