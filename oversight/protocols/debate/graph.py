"""Debate, consultancy and the judge-only baselines as one LangGraph graph (Irving et al. 2018;
Michael et al. 2023; Khan et al. 2024). The graph is the papers' figure:

    simultaneous:  START -> (debater_a || debater_b) -> ... `rounds` times ... -> judge -> END
    sequential:    START -> debater_a -> debater_b -> ... `rounds` times ... -> judge -> END
    consultancy:   START -> consultant -> ... `rounds` times ... -> judge -> END
    blind, expert: START -> judge -> END
    open roles:    START -> choose_sides -> (the speakers above) ...
    judge asks:    ... each round but the last -> interactive_judge -> next round, or judge (ends early)

With `params.roles: open` the speakers first choose the answer each defends (sides.py). With
`params.passage: none` (closed questions) there is no story: the speakers get the `_closed`
templates (and a math answer's proof), no quote is checked and the judge is told so. With
`params.best_of_n` above 1 a turn is N candidate speeches, and the one a selector model scores
highest is spoken (best_of_n.py). With `params.judge_questions: N` the judge decides after
every round but the last: ask up to N questions, answered in the next speeches, or end the
debate with its verdict (questions.py).

Every speaker ends its turn with a `Command` naming who speaks next (`next_turn`): the other
debater, the next round's speakers, or, once `rounds` rounds are spoken, the judge. The speaker
who closes a round (both, when they speak at once) moves the round on. Debaters (and the
consultant) read the story; the judge does not, except in the `expert` baseline. Every quote
in a speech is checked against the story (oversight.protocols.shared.quotes) and shown to the
judge as verified or unverified. The judge reads only the outcome built from the speeches,
through the same `build_views` a re-judging model or a person uses (views.py).

`swap: rerun` runs the graph again with the answers in the other order: each debater keeps its
answer (and model) and takes the other position, the exact counterpart of relabelling the first
run: debater_b, whose answer is now shown first, is Debater A and speaks first in turns.
"""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command

from oversight.protocol.judge_call import call_judge
from oversight.protocols.debate.best_of_n import best_speech, candidate_seed
from oversight.protocols.debate.judging import LETTERS, render_transcript, shown_order, speaker_label
from oversight.protocols.debate.crossexam import OPPONENT, cross_examine, request_counts
from oversight.protocols.debate.live import live_decision, live_verdict
from oversight.protocols.debate.outcome import DebateOutcome, Speech
from oversight.protocols.debate.params import DebateParams
from oversight.protocols.debate.questions import (decision_view, model_decision, outcome_fields, record_decision,
                                                   speaker_questions)
from oversight.protocols.debate.sides import NO_PROOF, chooser_variables, read_choice, settle
from oversight.protocols.debate.views import build_views, response_schema, verdict_fields
from oversight.protocols.shared.markers import neutralise_markers
from oversight.protocols.shared.quotes import check_speech, quote_stats
from oversight.protocols.shared.text import cut_words
from oversight.protocols.debate.state import DebateContext, DebateState, closed, speech_settings


def speech_input(role: str, state: DebateState, ctx: DebateContext) -> tuple[str, dict[str, Any], int]:
    """The template and variables of `role`'s speech in `state`, and the answer it defends: a pure
    function of the state, so a cross-examination can rebuild an earlier speech's input exactly."""
    p, item, rnd = ctx.params, ctx.item, state["round"]
    shown = shown_order(ctx.order)
    index = defends(role, state, ctx)
    other = 1 - index
    pos, other_pos = shown.index(index), shown.index(other)
    visible = state["speeches"] if p.turns == "sequential" else [s for s in state["speeches"] if s["round"] < rnd]
    variables = {
        "title": item.title, "story": item.story, "question": item.question,
        "answer_a": item.answers[shown[0]], "answer_b": item.answers[shown[1]],
        "name": "Consultant" if role == "consultant" else f"Debater {LETTERS[pos]}",
        "letter": LETTERS[pos], "my_answer": item.answers[index],
        "opponent_name": f"Debater {LETTERS[other_pos]}", "opponent_letter": LETTERS[other_pos],
        "opponent_answer": item.answers[other], "other_letter": LETTERS[other_pos], "other_answer": item.answers[other],
        "round": rnd, "rounds": p.rounds, "word_limit": p.word_limit,
        # The speakers of this run see their own order as spoken: nothing to relabel.
        "transcript": render_transcript(visible, ctx.order, sequential=p.turns == "sequential",
                                        tags=(p.verified_tag, p.unverified_tag), relabel=False,
                                        exchanges=state.get("cross_examinations")),
        "quote_open": f"<{p.quote_tag}>", "quote_close": f"</{p.quote_tag}>",
    }
    variables.update(speaker_questions(role, state.get("judge_turns") or [], rnd, visible, p, ctx.order,
                                       exchanges=state.get("cross_examinations")))
    if closed(p):
        proofs = list(item.proofs) or [NO_PROOF, NO_PROOF]
        variables.update(my_proof=proofs[index], opponent_proof=proofs[other], other_proof=proofs[other])
    template = ("consultant" if role == "consultant" else "debater") + ("_closed" if closed(p) else "")
    return template, variables, index


def defends(role: str, state: DebateState, ctx: DebateContext) -> int:
    """The answer `role` defends: its chosen side, the consultant's, or the debater's own."""
    if role in state.get("sides", {}):
        return state["sides"][role]["defends"]
    if role == "consultant":
        assert ctx.consultant_index is not None
        return ctx.consultant_index
    return 0 if role == "debater_a" else 1  # kept in either order; its position (and letter) follows the order


async def _speak(role: str, state: DebateState, ctx: DebateContext) -> Speech:
    """One speech by a debater or the consultant: prompt, call, cut, check quotes, log."""
    p, rnd = ctx.params, state["round"]
    template, variables, index = speech_input(role, state, ctx)
    step = f"{role} round {rnd}" + (" (swapped run)" if ctx.order == "swapped" else "")
    where = {"role": role, "round": rnd, **({"order": ctx.order} if ctx.order != "original" else {})}
    selection = None
    if p.level(role) > 1:  # best-of-N: candidates scored by the selector, the best spoken (best_of_n.py)
        visible = state["speeches"] if p.turns == "sequential" else [s for s in state["speeches"] if s["round"] < rnd]

        def with_candidate(raw: str) -> str:
            return render_transcript([*visible, _checked(raw, rnd, role, index, ctx)[0]], ctx.order,
                                     sequential=p.turns == "sequential", tags=(p.verified_tag, p.unverified_tag),
                                     relabel=False, judge_turns=[dict(t) for t in state.get("judge_turns") or []],
                                     exchanges=state.get("cross_examinations"))
        raw, selection = await best_speech(ctx.rec, role, template, variables, step=step, n=p.level(role), params=p,
                                           settings=speech_settings(p), transcript_with=with_candidate, note=where)
    else:
        raw = (await ctx.rec.call(role, template, variables, step=step, **speech_settings(p))).text
    speech, check = _checked(raw, rnd, role, index, ctx)
    if check is not None:
        ctx.rec.note("quote_check", **where, **check)
    if selection is not None:
        speech["selection"] = selection
    return speech


def _checked(raw: str, rnd: int, role: str, index: int, ctx: DebateContext) -> tuple[Speech, dict[str, Any] | None]:
    """A speech as spoken: cut to the word limit, quotes checked; and the quote check's note
    fields (None on a closed question: nothing to check a quote against)."""
    p = ctx.params
    text, words, truncated = cut_words(raw, p.word_limit)
    if closed(p):  # shown as written, no marker can look verified
        shown = neutralise_markers(text, p.quote_tag, (p.verified_tag, p.unverified_tag))
        return Speech(round=rnd, role=role, answer_index=index, text=text, shown=shown, words=words,
                      truncated=truncated, quotes=[]), None
    checked = check_speech(text, ctx.passage, tag=p.quote_tag, verified_tag=p.verified_tag,
                           unverified_tag=p.unverified_tag, fuzzy_threshold=p.fuzzy_threshold)
    quotes = [q.to_dict() for q in checked.quotes]
    check = {"words": words, "truncated": truncated, "shown": checked.shown, "quotes": quotes,
             **quote_stats(checked.quotes, checked.empty)}
    return Speech(round=rnd, role=role, answer_index=index, text=text, shown=checked.shown, words=words,
                  truncated=truncated, quotes=quotes), check


# ---- nodes (named after roles) -------------------------------------------------------------

async def choose_sides(state: DebateState, runtime: Runtime[DebateContext]) -> Command[Any]:
    """Open roles: every speaker of the condition chooses its answer (one call each, at once)."""
    ctx = runtime.context
    speakers = ["consultant"] if state["condition"] == "consultancy" else ["debater_a", "debater_b"]
    template = "choose_answer_closed" if closed(ctx.params) else "choose_answer"

    async def ask(role: str) -> tuple[int | None, str]:
        # the two debaters read the same prompt: debater_b samples with the next seed, so its choice
        # is its own draw and never debater_a's answer replayed from the response cache
        base = ctx.rec.run.settings_for(role, None, {"max_tokens": 48}, {}).seed
        seed = candidate_seed(base, 2) if role == "debater_b" else None
        out = await ctx.rec.call(role, template, chooser_variables(ctx.item, role), step=f"{role} chooses",
                                 caps={"max_tokens": 48}, **({} if seed is None else {"seed": seed}))
        return read_choice(out.text, list(ctx.item.answers))

    read = dict(zip(speakers, await asyncio.gather(*(ask(r) for r in speakers))))
    assigned = {"debater_a": 0, "debater_b": 1, "consultant": ctx.consultant_index or 0}
    sides = settle(read, assigned)
    for role, side in sides.items():
        ctx.rec.note("side_choice", role=role, **side)
    return Command(update={"sides": sides}, goto=first_speakers(state["condition"], ctx.params, ctx.order, sides))


async def debater_a(state: DebateState, runtime: Runtime[DebateContext]) -> Command[Any]:
    return await _turn("debater_a", state, runtime.context)


async def debater_b(state: DebateState, runtime: Runtime[DebateContext]) -> Command[Any]:
    return await _turn("debater_b", state, runtime.context)


async def consultant(state: DebateState, runtime: Runtime[DebateContext]) -> Command[Any]:
    return await _turn("consultant", state, runtime.context)


async def _turn(role: str, state: DebateState, ctx: DebateContext) -> Command[Any]:
    """A speech (after the speaker's cross-examination, if any), then the hand-over: `next_turn`
    says who speaks next and whether the round is over."""
    update: dict[str, Any] = {}
    board = ctx.board
    if board is not None:  # live: the person sees who is speaking, then the speech once it is spoken
        board.speaking[role] = speaker_label(role, defends(role, state, ctx), ctx.order)
        show_live(state, ctx)
    if cross_examines(role, state["round"], ctx.params):
        exchanges, request = await cross_examine(role, state, ctx.rec, ctx.params, ctx.passage, ctx.order,
                                                 sequential_roles(ctx.order, state.get("sides"))[0],
                                                 lambda r, s: speech_input(r, s, ctx))  # type: ignore[arg-type]
        state = {**state, "cross_examinations": [*(state.get("cross_examinations") or []), *exchanges]}
        update = {"cross_examinations": exchanges, "cross_requests": [request]}
        if board is not None:
            board.spoke({}, exchanges)  # type: ignore[arg-type]
            show_live(state, ctx)
    speech = await _speak(role, state, ctx)
    if board is not None:
        board.speaking.pop(role, None)
        board.spoke(speech, [])  # type: ignore[arg-type]
        show_live({**state, "speeches": [*state["speeches"], speech]}, ctx)
    goto, closes_round = next_turn(role, state["condition"], state["round"], ctx.params, ctx.order,
                                   state.get("sides"))
    update["speeches"] = [speech]
    if closes_round:
        update["round"] = state["round"] + 1
    return Command(update=update, goto=goto)


def show_live(state: DebateState, ctx: DebateContext) -> None:
    """The exchange as it stands (with the speeches of this round spoken in parallel nodes), as
    the person's next pause would show it: the same `decision_view`, so the same blinding."""
    assert ctx.board is not None
    merged: DebateState = ctx.board.merged(state)  # type: ignore[arg-type,assignment]
    ctx.board.send(decision_view(build_outcome(merged, ctx), ctx.params, state["round"], ctx.order), state["round"])


def cross_examines(role: str, rnd: int, params: DebateParams) -> bool:
    """Whether `role` questions its opponent before its speech of round `rnd`."""
    return params.cross_examination and rnd >= 2 and role in OPPONENT


def next_turn(role: str, condition: str, rnd: int, params: DebateParams,
              order: str = "original", sides: dict[str, Any] | None = None) -> tuple[str | list[str], bool]:
    """(who speaks after `role` in round `rnd`, whether `role` closes the round)."""
    first, second = sequential_roles(order, sides)
    if role == first and params.turns == "sequential" and condition == "debate":
        return second, False
    if rnd >= params.rounds:
        return "judge", True
    if params.judge_questions:
        return "interactive_judge", True
    return first_speakers(condition, params, order, sides), True


async def interactive_judge(state: DebateState, runtime: Runtime[DebateContext]) -> Command[Any]:
    """After a round: the judge asks questions for the next one, or ends the debate with its verdict."""
    ctx = runtime.context
    rnd = state["round"] - 1
    outcome = build_outcome(state, ctx)
    view = decision_view(outcome, ctx.params, rnd, ctx.order)
    if ctx.live:  # pauses the graph; nothing above calls a model or logs, so its re-run on resume is free
        decision = live_decision(view, ctx.params, rnd, state["condition"])
    else:
        decision = await model_decision(ctx.rec, view, ctx.params)
    roles = {s["answer_index"]: s["role"] for s in state["speeches"]}
    turn, verdict = record_decision(ctx.rec, decision, outcome=outcome, view=view, params=ctx.params, rnd=rnd,
                                    roles=roles, person=ctx.live)
    update: dict[str, Any] = {"judge_turns": [turn], "early_verdicts": [verdict] if verdict else []}
    if turn["decision"] == "end":
        return Command(update=update, goto="judge")
    return Command(update=update, goto=first_speakers(state["condition"], ctx.params, ctx.order, state.get("sides")))


async def judge(state: DebateState, runtime: Runtime[DebateContext]) -> dict[str, Any]:
    """Judge the finished exchange in each answer order; record every verdict, valid or not."""
    ctx = runtime.context
    p, rec = ctx.params, ctx.rec
    outcome = build_outcome(state, ctx)
    judge_id = f"{p.judge_kind}:{rec.model_name('judge')}"
    logprob = {"logprobs": True, "top_logprobs": p.top_logprobs, "max_tokens": 1} if p.judge_kind == "logprob" else {}
    views = build_views(outcome, p, lambda: ctx.item.story)
    if is_rerun(p, state["condition"]):
        views = [v for v in views if v.key == ctx.order]
    verdicts = list(state.get("early_verdicts") or [])  # the order the interactive judge ended in is judged
    views = [v for v in views if v.key not in {r["order"] for r in verdicts}]
    if ctx.live:  # the person gives one verdict, in the order they watched, unless they ended early
        views = [v for v in views if v.key == ctx.order] if not verdicts else []
        for view in views:
            record = {**verdict_fields(outcome, view, live_verdict(view, p.rounds, state["condition"]), "human"),
                      "view_key": view.key}
            rec.note("verdict", **record)
            rec.human_judgment(ctx.live, **record)
            verdicts.append(record)
        views = []
    for view in views:
        _, response = await call_judge(rec, "judge", view, response_schema(view, p), step=f"judge {view.key}", **logprob)
        record = verdict_fields(outcome, view, response, p.judge_kind)
        rec.note("verdict", **record)
        rec.judgment(judge_id, **record)
        verdicts.append(record)
    outcome["verdicts"] = (ctx.prior or {}).get("verdicts", []) + [
        {k: v[k] for k in ("order", "answer_index", "correct", "p_correct", "invalid")} for v in verdicts]
    return {"outcome": outcome}


def is_rerun(params: DebateParams, condition: str) -> bool:
    """`swap: rerun` on a condition with speeches: the swapped view comes from its own run."""
    return params.swap == "rerun" and condition in ("debate", "consultancy")


# ---- the graph -------------------------------------------------------------------------------

def sequential_roles(order: str, sides: dict[str, Any] | None = None) -> tuple[str, str]:
    """The debater roles in speaking order: the one whose answer is shown first speaks first
    (with open roles, whichever debater chose that answer; `sides` as `choose_sides` settled them)."""
    a_defends = (sides or {}).get("debater_a", {}).get("defends", 0)  # assigned: debater_a defends answer 0
    return ("debater_a", "debater_b") if a_defends == (0 if order == "original" else 1) else ("debater_b", "debater_a")


def first_speakers(condition: str, params: DebateParams, order: str = "original",
                   sides: dict[str, Any] | None = None) -> list[str]:
    if condition == "consultancy":
        return ["consultant"]
    if condition == "debate":
        return [sequential_roles(order, sides)[0]] if params.turns == "sequential" else ["debater_a", "debater_b"]
    return ["judge"]


def build_outcome(state: DebateState, ctx: DebateContext) -> DebateOutcome:
    """The transcript's `outcome`: everything a judge's view is rebuilt from, and no more."""
    item, params = ctx.item, ctx.params
    speeches = sorted(state["speeches"], key=lambda s: (s["round"], s["role"]))
    outcome: DebateOutcome = {
        "condition": state["condition"], "title": item.title, "question": item.question,
        "answers": list(item.answers), "correct_index": item.correct_index, "story_ref": ctx.story_ref,
    }
    if state["condition"] in ("debate", "consultancy"):
        outcome.update(turns=params.turns, rounds=params.rounds, word_limit=params.word_limit)
    if closed(params):
        outcome["passage"] = "none"
    if ctx.consultant_index is not None:
        outcome["consultant_index"] = ctx.consultant_index
    if state.get("sides"):
        outcome["open_roles"] = dict(state["sides"])
        if "consultant" in state["sides"]:
            outcome["consultant_index"] = state["sides"]["consultant"]["defends"]
    if ctx.order == "swapped" and ctx.prior is not None:
        outcome = DebateOutcome(**ctx.prior, swapped_speeches=speeches)
        speeches = [*ctx.prior["speeches"], *speeches]
    else:
        outcome["speeches"] = speeches
    if params.cross_examination and state["condition"] == "debate":
        outcome.update(cross_fields(state, ctx))
    selected = [s["selection"] for s in speeches if "selection" in s]
    if selected:  # best-of-N: what metrics count of the selection (every candidate is in the notes)
        outcome["best_of_n"] = {"turns": len(selected), "candidates": sum(s["n"] for s in selected),
                                "unreadable": sum(s["unreadable"] for s in selected),
                                "failed": sum(s["failed"] for s in selected),
                                "repeated": sum(s["n"] - s["distinct"] for s in selected)}
    if not closed(params):
        quotes = [q for s in speeches for q in s["quotes"]]
        outcome["quote_stats"] = {"quotes": len(quotes), "verified": sum(q["verified"] for q in quotes)}
    if state["condition"] in ("debate", "consultancy"):
        outcome.update(outcome_fields(state.get("judge_turns") or [], speeches, params))  # type: ignore[typeddict-item]
    return outcome


def cross_fields(state: DebateState, ctx: DebateContext) -> dict[str, Any]:
    """The outcome's exchanges (the rerun's apart, like its speeches) and the request counts of both runs."""
    exchanges = list(state.get("cross_examinations") or [])
    requests = list(state.get("cross_requests") or [])
    if ctx.order == "swapped" and ctx.prior is not None:
        prior = ctx.prior.get("cross_requests") or {}
        counts = request_counts(requests, ctx.params.cross_questions)
        return {"swapped_cross_examinations": exchanges, "cross_requests": {
            k: v if k == "questions" else v + int(prior.get(k, 0)) for k, v in counts.items()}}
    return {"cross_examinations": exchanges, "cross_requests": request_counts(requests, ctx.params.cross_questions)}


@cache
def build_graph() -> Any:
    """The compiled graph (compiled once)."""
    return _builder().compile()


def live_graph(checkpointer: Any) -> Any:
    """The graph checkpointed by `checkpointer`, so a person's pause survives the process."""
    return _builder().compile(checkpointer=checkpointer)


@cache
def _builder() -> StateGraph:
    """Who speaks first is routed from START, the rest by each speaker's `Command`."""
    g = StateGraph(DebateState, context_schema=DebateContext)
    speakers_then = ("debater_a", "debater_b", "consultant", "judge", "interactive_judge")
    g.add_node("debater_a", debater_a, destinations=speakers_then)
    g.add_node("debater_b", debater_b, destinations=speakers_then)
    g.add_node("consultant", consultant, destinations=("consultant", "judge", "interactive_judge"))
    g.add_node("interactive_judge", interactive_judge, destinations=("debater_a", "debater_b", "consultant", "judge"))
    g.add_node("choose_sides", choose_sides, destinations=("debater_a", "debater_b", "consultant"))
    g.add_node("judge", judge)

    async def start(state: DebateState, runtime: Runtime[DebateContext]) -> list[str]:
        ctx = runtime.context
        if ctx.params.roles == "open" and state["condition"] in ("debate", "consultancy") and not state.get("sides"):
            return ["choose_sides"]
        return first_speakers(state["condition"], ctx.params, ctx.order, state.get("sides"))

    g.add_conditional_edges(START, start, ["debater_a", "debater_b", "consultant", "judge", "choose_sides"])
    g.add_edge("judge", END)
    return g


__all__ = ["DebateContext", "DebateState", "Speech", "build_graph", "live_graph", "build_outcome", "cut_words", "is_rerun", "next_turn",
           "sequential_roles",
           "speech_settings"]
