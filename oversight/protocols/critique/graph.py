"""Critique-assisted evaluation: do model critiques help a judge find an answer's flaws?

After Saunders et al. (2022), "Self-critiquing models for assisting human evaluators". Each
item (passage, question, possibly flawed answer, gold flaws) becomes two units that share
the item id: `<item>:unassisted` (the judge sees passage, question, answer) and
`<item>:assisted` (the judge also sees a critic's critiques). The graph per unit:

    [answerer] -> critic -> meta_critic x depth -> judge -> grader     (assisted)
    [answerer] -> judge -> grader                                       (unassisted)

The unassisted unit never runs the critic, so its judge cannot see a critique. The judge
step only needs what `judge_variables` returns, saved in the transcript as
`outcome.judge_view`, so a person can judge the same unit later in the terminal UI instead
of (or besides) the model judge; `params.model_judge: false` makes the critiques only.
When an `answerer` writes the answer, both units call it with the same prompt at
temperature 0 with the run's seed, so both conditions judge the same text (the response
cache makes that exact for repeated calls; metrics warn if the two answers differ).
"""

from __future__ import annotations

import asyncio
import operator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from oversight.errors import UserError
from oversight.models.types import ModelOutput
from oversight.protocol import Protocol, Recorder, Unit, no_repeats
from oversight.protocols.critique import data as critique_data, metrics as critique_metrics
from oversight.protocols.critique.data import (
    chain_text,
    judge_variables,
    render_critiques,
)
from oversight.protocols.critique.grading import FRAME_STOPS, grade_one
from oversight.protocols.critique.flaws import free_text, parse_list

CONDITIONS = ("unassisted", "assisted")


class CritiqueParams(BaseModel):
    """The experiment's `params:` block for `protocol: critique`."""

    model_config = ConfigDict(extra="forbid")

    conditions: Annotated[list[Literal["unassisted", "assisted"]], AfterValidator(no_repeats)] = Field(
        default_factory=lambda: list(CONDITIONS), min_length=1
    )
    """Which conditions to run per item; uplift needs both."""
    answer_source: Literal["task", "answerer"] = "task"
    """`task`: judge the answer in the task file against its gold flaws. `answerer`: a model
    writes the answer; gold flaws are then unknown and recall is measured against the
    grader-confirmed flaws found in any condition."""
    max_critiques: int = Field(default=3, ge=1, le=20)
    """k: the critic writes at most this many critiques."""
    meta_depth: int = Field(default=0, ge=0, le=5)
    """Levels of recursive critique: each level comments once on each node of the level above."""
    show_critique_tree: bool = False
    """Show the judge the meta-critiques under each critique, not just the critiques."""
    model_judge: bool = True
    """Run the built-in model judge; off = generate critiques only, for people to judge later."""
    max_reports: int = Field(default=6, ge=1, le=30)
    """The judge's list of flaws is cut after this many."""
    grader: Literal["model", "lexical"] = "model"
    """`model`: the grader role matches reports to gold flaws. `lexical`: content-word overlap
    (deterministic, free; needs gold flaws, so not with answer_source: answerer)."""
    grade_critiques: bool = True
    """Also grade each critique, for critique validity (share matching a gold flaw)."""
    lexical_threshold: float = Field(default=0.5, gt=0.0, le=1.0)
    """Overlap needed for a lexical match; also used to merge duplicate flaws in answerer mode."""
    n_boot: int = Field(default=2000, ge=100, le=100_000)
    """Bootstrap resamples for the confidence intervals."""
    bootstrap_seed: int = 0
    """Seed of the bootstrap resampling, so a report is reproducible."""



def as_params(params: Any) -> CritiqueParams:
    """The runner passes validated params; tests and reports may pass a dict or None."""
    if isinstance(params, CritiqueParams):
        return params
    return CritiqueParams.model_validate(params or {})


class CritiqueState(TypedDict, total=False):
    condition: str
    context: str
    question: str
    answer: str
    gold: list[dict[str, Any]] | None
    """Gold flaws as dicts; None when unknown (answerer mode)."""
    critiques: list[dict[str, Any]]
    tree: Annotated[list[dict[str, Any]], operator.add]
    """Critiques (level 0) and meta-critiques (level >= 1), appended level by level."""
    meta_level: int
    reports: list[str]
    report_matches: list[dict[str, Any]]
    critique_matches: list[dict[str, Any]]


@dataclass
class CritiqueContext:
    """Run-scoped objects the nodes need; passed as LangGraph runtime context."""

    rec: Recorder
    params: CritiqueParams


# Default length limits and stop sequences per call; an experiment's `generation:` block wins
# for any field it sets explicitly. Base models ramble into a new "Question:" otherwise.
_META_STOPS = ["\n\n", "\nComment on the point above:", "\nCritique of the answer:", "\nReviewer's comment",
               *FRAME_STOPS]


def _cut(out: ModelOutput) -> bool:
    return out.completion.finish_reason == "length"


def _after_critiques(params: CritiqueParams) -> str:
    if params.model_judge:
        return "judge"
    return "grader" if params.grade_critiques else END


# ---- nodes (named after roles) -------------------------------------------------------------

async def answerer(state: CritiqueState, runtime: Runtime[CritiqueContext]) -> dict[str, Any]:
    rec = runtime.context.rec
    out = await rec.call(
        "answerer", "answerer", {"context": state["context"], "question": state["question"]},
        step="answerer", defaults={"max_tokens": 150, "stop": ["\n\n", *FRAME_STOPS]},
        temperature=0.0, seed=rec.ctx.seed,
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


async def meta_critic(state: CritiqueState, runtime: Runtime[CritiqueContext]) -> Command[Any]:
    """One level of recursive critique: one comment on each node of the previous level."""
    rec, params = runtime.context.rec, runtime.context.params
    level = state.get("meta_level", 0) + 1
    parents = [n for n in state["tree"] if n["level"] == level - 1]

    async def comment(parent: dict[str, Any]) -> dict[str, Any] | None:
        out = await rec.call(
            "meta_critic", "meta_critic",
            {"context": state["context"], "question": state["question"], "answer": state["answer"],
             "critique": parent["text"], "chain": chain_text(state["tree"], parent), "level": level},
            step=f"meta_critic:{parent['id']}", defaults={"max_tokens": 80, "stop": _META_STOPS},
        )
        body = free_text(out.text, 500)
        if not body:
            return None
        root = parent["id"].split(".")[0]
        return {"id": f"{root}.m{level}", "level": level, "parent": parent["id"], "text": body}

    nodes = [n for n in await asyncio.gather(*(comment(p) for p in parents)) if n is not None]
    rec.note("meta_critiques", level=level, items=nodes)
    more = level < params.meta_depth and bool(nodes)
    goto = "meta_critic" if more else _after_critiques(params)
    return Command(update={"tree": nodes, "meta_level": level}, goto=goto)


async def judge(state: CritiqueState, runtime: Runtime[CritiqueContext]) -> dict[str, Any]:
    rec, params = runtime.context.rec, runtime.context.params
    condition = state["condition"]
    shown = None
    if condition == "assisted":
        shown = render_critiques(state.get("critiques", []), state.get("tree", []), params.show_critique_tree)
    variables = judge_variables(condition, state["context"], state["question"], state["answer"], shown)
    n = params.max_reports
    out = await rec.call(
        "judge", f"judge_{condition}", variables, step="judge",
        defaults={"max_tokens": 40 * n + 20, "stop": [f"\n{n + 1}.", "\n\n\n", *FRAME_STOPS]},
    )
    reports = parse_list(out.text, max_items=n, exclude=(state["answer"], state["question"]), truncated=_cut(out))
    rec.note("flaws_reported", condition=condition, items=reports)
    return {"reports": reports}


async def grader(state: CritiqueState, runtime: Runtime[CritiqueContext]) -> dict[str, Any]:
    rec, params = runtime.context.rec, runtime.context.params
    reports = state.get("reports", [])
    critiques = state.get("critiques", []) if params.grade_critiques else []
    decisions = await asyncio.gather(
        *(grade_one(rec, params, state, "report", i, r) for i, r in enumerate(reports)),
        *(grade_one(rec, params, state, "critique", i, c["text"]) for i, c in enumerate(critiques)),
    )
    return {"report_matches": list(decisions[: len(reports)]), "critique_matches": list(decisions[len(reports):])}


def _route_start(state: CritiqueState, runtime: Runtime[CritiqueContext]) -> str:
    if runtime.context.params.answer_source == "answerer":
        return "answerer"
    return _route_answer(state, runtime)


def _route_answer(state: CritiqueState, runtime: Runtime[CritiqueContext]) -> str:
    if state["condition"] == "assisted":
        return "critic"
    return "judge" if runtime.context.params.model_judge else END


def _route_critic(state: CritiqueState, runtime: Runtime[CritiqueContext]) -> str:
    params = runtime.context.params
    if params.meta_depth > 0 and state.get("critiques"):
        return "meta_critic"
    return _after_critiques(params)


def build_graph() -> Any:
    """The unit graph; compiled once, the Recorder and params arrive as runtime context."""
    g = StateGraph(CritiqueState, context_schema=CritiqueContext)
    g.add_node("answerer", answerer)
    g.add_node("critic", critic)
    g.add_node("meta_critic", meta_critic, destinations=("meta_critic", "judge", "grader", END))
    g.add_node("judge", judge)
    g.add_node("grader", grader)
    g.add_conditional_edges(START, _route_start, ["answerer", "critic", "judge", END])
    g.add_conditional_edges("answerer", _route_answer, ["critic", "judge", END])
    g.add_conditional_edges("critic", _route_critic, ["meta_critic", "judge", "grader", END])
    g.add_edge("judge", "grader")
    g.add_edge("grader", END)
    return g.compile()


GRAPH = build_graph()


class CritiqueProtocol(Protocol):
    name = "critique"
    Params = CritiqueParams
    prompt_package = "oversight.protocols.critique.prompts"
    optional_roles: ClassVar[set[str]] = {"answerer", "critic", "meta_critic", "judge", "grader"}
    """Roles an experiment may bind even when its params leave them unused (e.g. meta_depth: 0)."""
    templates: ClassVar[dict[str, set[str]]] = {
        "answerer": {"context", "question"},
        "critic": {"context", "question", "answer", "max_critiques"},
        "meta_critic": {"context", "question", "answer", "critique", "chain", "level"},
        "judge_unassisted": {"context", "question", "answer"},
        "judge_assisted": {"context", "question", "answer", "critiques"},
        "grader": {"context", "question", "answer", "gold_flaws", "report"},
        "grader_confirm": {"context", "question", "answer", "report"},
    }

    def roles(self, params: Any) -> set[str]:
        p = as_params(params)
        assisted = "assisted" in p.conditions
        roles: set[str] = set()
        if p.answer_source == "answerer":
            roles.add("answerer")
        if assisted:
            roles.add("critic")
            if p.meta_depth > 0:
                roles.add("meta_critic")
        if p.model_judge:
            roles.add("judge")
        if p.grader == "model" and (p.model_judge or (assisted and p.grade_critiques)):
            roles.add("grader")
        return roles

    def load_items(self, task: Any, base_dir: Path) -> list[critique_data.FlawedAnswerItem]:
        return critique_data.load_items(task, base_dir)

    def units(self, items: list[Any], params: Any, seed: int) -> list[Unit]:
        p = as_params(params)
        if p.answer_source == "answerer" and p.grader == "lexical":
            raise UserError("params.grader: lexical needs gold flaws; with answer_source: answerer use grader: model")
        units = []
        for item in items:
            if p.answer_source == "task" and not (item.answer or "").strip():
                raise UserError(
                    f"task item {item.id!r} has no answer; add one or set params.answer_source: answerer"
                )
            for condition in p.conditions:
                units.append(Unit(id=f"{item.id}:{condition}", item_id=item.id, condition=condition, item=item))
        return units

    async def run_unit(self, unit: Unit, rec: Recorder) -> dict[str, Any]:
        params = as_params(rec.ctx.params)
        item: critique_data.FlawedAnswerItem = unit.item
        from_task = params.answer_source == "task"
        state: CritiqueState = {
            "condition": unit.condition,
            "context": item.context,
            "question": item.question,
            "answer": (item.answer or "") if from_task else "",
            "gold": [f.model_dump() for f in item.flaws] if from_task else None,
            "tree": [],
        }
        final = await GRAPH.ainvoke(state, context=CritiqueContext(rec=rec, params=params))
        return self._finish(unit, rec, params, final)

    def _finish(self, unit: Unit, rec: Recorder, params: CritiqueParams, final: dict[str, Any]) -> dict[str, Any]:
        gold = final.get("gold")
        matches = final.get("report_matches", [])
        found = sorted({m["gold_index"] for m in matches if m["gold_index"] is not None})
        n_gold = len(gold) if gold is not None else None
        reports = final.get("reports", [])
        outcome: dict[str, Any] = {
            "condition": unit.condition,
            "answer": final.get("answer", ""),
            "answer_source": params.answer_source,
            "gold_flaws": gold,
            "flaws_reported": reports,
            "report_matches": matches,
            "gold_found": found,
            "n_gold": n_gold,
            "recall": len(found) / n_gold if n_gold else None,
            "precision": sum(m["confirmed"] for m in matches) / len(matches) if matches else None,
        }
        shown = None
        if unit.condition == "assisted":
            tree = final.get("tree", [])
            outcome["critiques"] = final.get("critiques", [])
            outcome["critique_tree"] = tree
            outcome["critique_matches"] = final.get("critique_matches", [])
            shown = outcome["shown_critiques"] = render_critiques(outcome["critiques"], tree, params.show_critique_tree)
        # Exactly what a judge of this unit is shown: a person judging later sees the same.
        outcome["judge_view"] = judge_variables(
            unit.condition, final["context"], final["question"], outcome["answer"], shown
        )
        if params.model_judge:
            rec.judgment(
                rec.ctx.models["judge"].name,
                item_id=unit.item_id,
                condition=unit.condition,
                flaws_reported=reports,
                matches=matches,
                gold_found=found,
                n_gold=n_gold,
                recall=outcome["recall"],
                precision=outcome["precision"],
                grader=params.grader,
            )
        return outcome

    def metrics(
        self, transcripts: list[dict[str, Any]], judgments: list[dict[str, Any]], params: Any
    ) -> dict[str, Any]:
        return critique_metrics.compute(transcripts, judgments, as_params(params))
