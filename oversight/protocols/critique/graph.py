"""Critique-assisted evaluation as a LangGraph graph (Saunders et al. 2022, "Self-critiquing
models for assisting human evaluators"). Per unit:

    assisted:    START -> [answerer] -> critic -> (meta_critic per critique, level by level) -> judge -> grader -> tally -> END
    unassisted:  START -> [answerer] -> judge -> grader -> tally -> END

Each level of recursive critique fans out with `Send` (one `meta_critic` call per node of
the level above) and `next_level` gathers it; the tree grows through a reducer. The
unassisted unit never runs the critic, so its judge cannot see a critique. `tally` writes the
unit's outcome and the built-in judge's judgment. The judge sees only what `build_view`
returns, the same view a person or a re-judging model gets from the transcript.
"""

from __future__ import annotations

import asyncio
import operator
from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send

from oversight.models.types import ModelOutput
from oversight.protocol.judge_call import call_judge, wants_structured
from oversight.protocol.contract import Recorder
from oversight.protocols.critique.data import chain_text, render_critiques
from oversight.protocols.critique.flaws import free_text, parse_list
from oversight.protocols.critique.grading import grade_one
from oversight.protocols.critique.params import CritiqueParams
from oversight.protocols.critique.outcome import CritiqueOutcome
from oversight.protocols.critique.views import FRAME_STOPS, build_view, judge_call, judge_reports, outcome_verdict, response_schema


class CritiqueState(TypedDict, total=False):
    condition: str
    context: str
    question: str
    answer: str
    gold: list[dict[str, Any]] | None
    """Gold flaws as dicts; None when unknown (answerer mode)."""
    critiques: list[dict[str, Any]]
    tree: Annotated[list[dict[str, Any]], operator.add]
    """Critiques (level 0) and meta-critiques (level >= 1), appended as each level finishes."""
    meta_level: int
    view: dict[str, Any]
    reports: list[str]
    judge_read: dict[str, Any]
    """How the model judge answered (structured or text) and, if unreadable, why."""
    report_matches: list[dict[str, Any]]
    critique_matches: list[dict[str, Any]]
    outcome: CritiqueOutcome


class MetaTask(TypedDict):
    """What one `meta_critic` call gets through `Send`: one node of the level above."""

    context: str
    question: str
    answer: str
    parent: dict[str, Any]
    chain: str
    level: int


@dataclass
class CritiqueContext:
    """Run-scoped objects the nodes need; passed as LangGraph runtime context."""

    rec: Recorder
    params: CritiqueParams
    item_id: str


# Per-call defaults (the experiment's `generation:` block wins for any field it sets).
# Base models ramble into a new "Question:" otherwise.
_META_STOPS = ["\n\n", "\nComment on the point above:", "\nCritique of the answer:", "\nReviewer's comment",
               *FRAME_STOPS]


def _cut(out: ModelOutput) -> bool:
    return out.completion.finish_reason == "length"


# ---- nodes (named after roles) -------------------------------------------------------------

async def answerer(state: CritiqueState, runtime: Runtime[CritiqueContext]) -> dict[str, Any]:
    rec = runtime.context.rec
    out = await rec.call(
        "answerer", "answerer", {"context": state["context"], "question": state["question"]},
        step="answerer", defaults={"max_tokens": 150, "stop": ["\n\n", *FRAME_STOPS]},
        temperature=0.0, seed=rec.run.seed,
    )
    answer = free_text(out.text)
    rec.note("answer", source="answerer", text=answer)
    return {"answer": answer}


async def critic(state: CritiqueState, runtime: Runtime[CritiqueContext]) -> dict[str, Any]:
    rec, params = runtime.context.rec, runtime.context.params
    k = params.max_critiques
    out = await rec.call(
        "critic", "critic",
        {"context": state["context"], "question": state["question"], "answer": state["answer"], "max_critiques": k},
        step="critic", defaults={"max_tokens": 45 * k + 20, "stop": [f"\n{k + 1}.", "\n\n\n", *FRAME_STOPS]},
    )
    texts = parse_list(out.text, max_items=k, exclude=(state["answer"], state["question"]), truncated=_cut(out))
    critiques = [{"id": f"c{i}", "level": 0, "parent": None, "text": t} for i, t in enumerate(texts, start=1)]
    rec.note("critiques", items=critiques)
    return {"critiques": critiques, "tree": critiques, "meta_level": 0}


async def meta_critic(task: MetaTask, runtime: Runtime[CritiqueContext]) -> dict[str, Any]:
    """One comment on one node of the level above (one of a level's parallel `Send`s)."""
    rec, parent, level = runtime.context.rec, task["parent"], task["level"]
    out = await rec.call(
        "meta_critic", "meta_critic",
        {"context": task["context"], "question": task["question"], "answer": task["answer"],
         "critique": parent["text"], "chain": task["chain"], "level": level},
        step=f"meta_critic:{parent['id']}", defaults={"max_tokens": 80, "stop": _META_STOPS},
    )
    body = free_text(out.text, 500)
    if not body:
        return {"tree": []}
    root = parent["id"].split(".")[0]
    return {"tree": [{"id": f"{root}.m{level}", "level": level, "parent": parent["id"], "text": body}]}


async def next_level(state: CritiqueState, runtime: Runtime[CritiqueContext]) -> dict[str, Any]:
    """Gather a finished level of meta-critiques into the log."""
    level = state.get("meta_level", 0) + 1
    nodes = sorted((n for n in state["tree"] if n["level"] == level), key=lambda n: n["id"])
    runtime.context.rec.note("meta_critiques", level=level, items=nodes)
    return {"meta_level": level}


async def judge(state: CritiqueState, runtime: Runtime[CritiqueContext]) -> dict[str, Any]:
    rec, params = runtime.context.rec, runtime.context.params
    shown = None
    if state["condition"] == "assisted":
        shown = render_critiques(state.get("critiques", []), _sorted_tree(state), params.show_critique_tree)
    view = build_view(state["condition"], state["context"], state["question"], state["answer"], shown)
    schema = response_schema(params)
    out, response = await call_judge(rec, "judge", view, schema, step="judge",
                                     **judge_call(params, wants_structured(rec, "judge", schema)))
    reports, how = judge_reports(response, view, params.max_reports, truncated=_cut(out))
    rec.note("flaws_reported", condition=state["condition"], items=reports, **how)
    return {"reports": reports, "view": view.variables, "judge_read": how}


async def grader(state: CritiqueState, runtime: Runtime[CritiqueContext]) -> dict[str, Any]:
    rec, params = runtime.context.rec, runtime.context.params
    reports = state.get("reports", [])
    critiques = state.get("critiques", []) if params.grade_critiques else []
    decisions = await asyncio.gather(
        *(grade_one(rec, params, state, "report", i, r) for i, r in enumerate(reports)),
        *(grade_one(rec, params, state, "critique", i, c["text"]) for i, c in enumerate(critiques)),
    )
    return {"report_matches": list(decisions[: len(reports)]), "critique_matches": list(decisions[len(reports):])}


async def tally(state: CritiqueState, runtime: Runtime[CritiqueContext]) -> dict[str, Any]:
    """The unit's outcome, and the built-in judge's judgment with its graded flaws."""
    ctx = runtime.context
    params, condition = ctx.params, state["condition"]
    matches = state.get("report_matches", [])
    outcome: CritiqueOutcome = {  # type: ignore[typeddict-item]  # the verdict keys follow just below
        "condition": condition, "answer": state.get("answer", ""), "answer_source": params.answer_source,
        "gold_flaws": state.get("gold"), "flaws_reported": state.get("reports", []), "report_matches": matches,
    }
    outcome.update(outcome_verdict(matches, state.get("gold")))  # type: ignore[typeddict-item]
    shown = None
    if condition == "assisted":
        tree = _sorted_tree(state)
        outcome["critiques"] = state.get("critiques", [])
        outcome["critique_tree"] = tree
        outcome["critique_matches"] = state.get("critique_matches", [])
        shown = outcome["shown_critiques"] = render_critiques(outcome["critiques"], tree, params.show_critique_tree)
    # Exactly what a judge of this unit is shown: a person judging later sees the same.
    outcome["judge_view"] = build_view(condition, state["context"], state["question"], outcome["answer"], shown).variables
    if params.model_judge:
        ctx.rec.judgment(
            ctx.rec.model_name("judge"), item_id=ctx.item_id, condition=condition,
            flaws_reported=outcome["flaws_reported"], matches=matches, grader=params.grader,
            **outcome_verdict(matches, state.get("gold")), **state.get("judge_read", {}),
        )
    return {"outcome": outcome}


def _sorted_tree(state: CritiqueState) -> list[dict[str, Any]]:
    return sorted(state.get("tree", []), key=lambda n: (n["level"], n["id"]))


# ---- routing ---------------------------------------------------------------------------------

def _after_critiques(params: CritiqueParams) -> str:
    if params.model_judge:
        return "judge"
    return "grader" if params.grade_critiques else "tally"


# Nodes and routers are `async def` even where they do no I/O: LangGraph runs a plain function
# through a thread pool, a hop per step that costs more than the work itself.

async def _route_start(state: CritiqueState, runtime: Runtime[CritiqueContext]) -> str:
    if runtime.context.params.answer_source == "answerer":
        return "answerer"
    return _after_answer(state, runtime.context.params)


async def _route_answer(state: CritiqueState, runtime: Runtime[CritiqueContext]) -> str:
    return _after_answer(state, runtime.context.params)


def _after_answer(state: CritiqueState, params: CritiqueParams) -> str:
    if state["condition"] == "assisted":
        return "critic"
    return "judge" if params.model_judge else "tally"


async def _fan_out(state: CritiqueState, runtime: Runtime[CritiqueContext]) -> Any:
    """Send each node of the last level to `meta_critic`, or move on when the tree is deep enough."""
    params = runtime.context.params
    level = state.get("meta_level", 0)
    parents = sorted((n for n in state.get("tree", []) if n["level"] == level), key=lambda n: n["id"])
    if level >= params.meta_depth or not parents:
        return _after_critiques(params)
    return [
        Send("meta_critic", MetaTask(context=state["context"], question=state["question"], answer=state["answer"],
                                     parent=p, chain=chain_text(state["tree"], p), level=level + 1))
        for p in parents
    ]


def build_graph() -> Any:
    """The unit graph; compiled once, the Recorder and params arrive as runtime context."""
    g = StateGraph(CritiqueState, context_schema=CritiqueContext)
    g.add_node("answerer", answerer)
    g.add_node("critic", critic)
    g.add_node("meta_critic", meta_critic)
    g.add_node("next_level", next_level)
    g.add_node("judge", judge)
    g.add_node("grader", grader)
    g.add_node("tally", tally)
    g.add_conditional_edges(START, _route_start, ["answerer", "critic", "judge", "tally"])
    g.add_conditional_edges("answerer", _route_answer, ["critic", "judge", "tally"])
    g.add_conditional_edges("critic", _fan_out, ["meta_critic", "judge", "grader", "tally"])
    g.add_edge("meta_critic", "next_level")
    g.add_conditional_edges("next_level", _fan_out, ["meta_critic", "judge", "grader", "tally"])
    g.add_edge("judge", "grader")
    g.add_edge("grader", "tally")
    g.add_edge("tally", END)
    return g.compile()


GRAPH = build_graph()

__all__ = ["GRAPH", "CritiqueContext", "CritiqueState", "build_graph"]
