"""Recursive summarization as one LangGraph graph: fan out with `Send`, merge with a reducer.

`schedule` looks at which summaries exist (the `outputs` reducer merges each finished node's
summary into one dict) and sends every node whose inputs are ready at once: all leaves in the
first step, then all merges of a level together, level by level until the root exists
(hierarchical); or one update per step (incremental); then one `judge` task per judged node.
Nodes are named after roles: `summarize_chunk` (leaves and incremental updates, role
`summarizer`), `merge` (role `merger` if bound, else `summarizer`) and `judge`.

A summary over its node's word budget is asked for once more, shorter (`shorten` template);
if still over, it is cut to the budget and a `warning` note says so. Each node writes one `node`
note with exactly what it read (chunk span, child ids, context id), its output, level and
the source span it covers; the source itself is stored once with `Recorder.put_text`.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send

from oversight.protocol.judge_call import call_judge, wants_structured
from oversight.protocol.contract import JudgeView, Recorder
from oversight.protocols.shared.text import cut_words
from oversight.protocols.summarize.outcome import SummarizeOutcome
from oversight.protocols.summarize.chunking import PlannedNode, TreePlan, chunk_spans, plan_tree
from oversight.protocols.summarize.data import TextItem
from oversight.protocols.summarize.judging import judge_call, judge_views, response_schema, verdict
from oversight.protocols.summarize.params import SummarizeParams
from oversight.protocols.summarize.tree import (
    NODE_EVENT,
    SOURCE_EVENT,
    TEMPLATES,
    count_words,
    input_words,
    node_variables,
)


@dataclass(frozen=True)
class SourceText:
    """A TextReader over the one text being summarized, for judge views built mid-run."""

    ref: str
    text: str

    def get_text(self, ref: str) -> str:
        if ref != self.ref:
            raise KeyError(ref)
        return self.text


@dataclass(frozen=True)
class SummaryContext:
    """Run-scoped dependencies handed to every node through LangGraph's runtime context."""

    rec: Recorder
    params: SummarizeParams
    item: TextItem
    plan: TreePlan
    source: SourceText
    transcript_id: str
    records: dict[str, dict[str, Any]]
    """Each planned node's reference-only input record (`planned_records`), by id."""


class SummaryState(TypedDict):
    outputs: Annotated[dict[str, str], operator.or_]
    """Finished summaries by node id; each node's update is merged in."""
    verdicts: Annotated[list[dict[str, Any]], operator.add]


class NodeJob(TypedDict):
    """What one `Send` carries: the node to write and the summaries it reads."""

    node: str
    inputs: dict[str, str]


@lru_cache(maxsize=8)
def cached_spans(text: str, chunk_tokens: int) -> tuple[tuple[int, int], ...]:
    """Chunks once per text and size, shared by the strategies run on the same text."""
    return tuple(chunk_spans(text, chunk_tokens))


def planned_records(plan: TreePlan, params: SummarizeParams) -> dict[str, dict[str, Any]]:
    """Each node's inputs by reference (chunk span, child ids, context id), as its note holds them."""
    parts = sum(n.chunk is not None for n in plan.nodes)

    def record(node: PlannedNode) -> dict[str, Any]:
        part = None if node.chunk is None else (node.index if plan.strategy == "hierarchical" else node.level) + 1
        return {"id": node.id, "strategy": plan.strategy, "kind": node.kind, "level": node.level,
                "index": node.index, "span": list(node.span), "chunk": None if node.chunk is None else list(node.chunk),
                "part": part, "parts": parts, "children": list(node.children), "context": node.context,
                "budget": params.budget(plan.strategy, node.level)}

    return {n.id: record(n) for n in plan.nodes}


def _summary_role(rec: Recorder, kind: str) -> str:
    return "merger" if kind == "merge" and "merger" in rec.run.models else "summarizer"


async def write_node(job: NodeJob, ctx: SummaryContext) -> dict[str, Any]:
    """Write one node's summary: call, retry shorter once if over budget, else cut; log the node."""
    p, rec = ctx.params, ctx.rec
    record = ctx.records[job["node"]]
    budget, kind, node_id = record["budget"], record["kind"], record["id"]
    variables = node_variables(record, ctx.source.text, job["inputs"], ctx.item.title)
    role = _summary_role(rec, kind)
    caps = {"max_tokens": int(budget * p.tokens_per_word) + 32}
    defaults = {"stop": list(p.stop)} if p.stop else None
    out = await rec.call(role, TEMPLATES[kind], variables, step=f"{node_id} {TEMPLATES[kind]}",
                         defaults=defaults, caps=caps)
    text, words, retried, cut = out.text.strip(), count_words(out.text), False, False
    if words > budget:
        retried = True
        first_words = words
        out = await rec.call(role, "shorten", {"summary": text, "words": budget}, step=f"{node_id} shorten",
                             defaults=defaults, caps=caps)
        text, words = out.text.strip(), count_words(out.text)
        if words > budget:
            text, words, cut = *cut_words(text, budget)[:2], True
            rec.note("warning", node=node_id, message=(
                f"node {node_id}: summary over its budget of {budget} words ({first_words}, then {count_words(out.text)} "
                f"when asked to shorten); cut to {budget} words"))
    rec.note(NODE_EVENT, **record, output=text, words=words, input_words=input_words(record, ctx.source.text, job["inputs"]),
             retried=retried, cut=cut, role=role)
    rec.progress(advance=1)
    return {"outputs": {node_id: text}}


async def summarize_chunk(job: NodeJob, runtime: Runtime[SummaryContext]) -> dict[str, Any]:
    """A leaf (hierarchical) or one step of the running summary (incremental)."""
    return await write_node(job, runtime.context)


async def merge(job: NodeJob, runtime: Runtime[SummaryContext]) -> dict[str, Any]:
    """Several consecutive summaries into one (hierarchical levels above the leaves)."""
    return await write_node(job, runtime.context)


def partial_transcript(ctx: SummaryContext) -> dict[str, Any]:
    """The transcript as it will be written, as far as judge views need it."""
    events = [e.model_dump(exclude_none=True) for e in ctx.rec.events if e.type in (NODE_EVENT, SOURCE_EVENT)]
    return {"id": ctx.transcript_id, "condition": ctx.plan.strategy, "events": events}


async def judge(task: dict[str, Any], runtime: Runtime[SummaryContext]) -> dict[str, Any]:
    """Rate one node (or check the root's coherence) from exactly what its view holds."""
    ctx = runtime.context
    view: JudgeView = task["view"]
    rec = ctx.rec
    schema = response_schema(view, ctx.params)
    _, response = await call_judge(rec, "judge", view, schema, step=f"judge {view.key}",
                                   **judge_call(view, wants_structured(rec, "judge", schema)))
    record = verdict(view, task["transcript"], response, ctx.params)
    rec.note("verdict", **record)
    rec.judgment(f"model:{rec.model_name('judge')}", **record)
    rec.progress(advance=1)
    return {"verdicts": [record]}


async def schedule(state: SummaryState) -> dict[str, Any]:
    """A barrier: runs once after every fan-out step so that routing sees all new outputs."""
    return {}


async def route(state: SummaryState, runtime: Runtime[SummaryContext]) -> Any:
    """The next ready nodes, or the judges once the root is written (async: no thread-pool hop)."""
    ctx = runtime.context
    outputs = state["outputs"]
    if ctx.plan.root.id not in outputs:
        ready = [n for n in ctx.plan.nodes if n.id not in outputs and all(d in outputs for d in n.depends)]
        return [Send("merge" if n.kind == "merge" else "summarize_chunk",
                     NodeJob(node=n.id, inputs={d: outputs[d] for d in n.depends})) for n in ready]
    transcript = partial_transcript(ctx)
    views = judge_views(transcript, ctx.params, ctx.source)
    if not views:
        return END
    ctx.rec.progress(advance=0, total=len(views))
    return [Send("judge", {"view": v, "transcript": transcript}) for v in views]


@cache
def build_graph() -> Any:
    g = StateGraph(SummaryState, context_schema=SummaryContext)
    g.add_node("summarize_chunk", summarize_chunk)
    g.add_node("merge", merge)
    g.add_node("schedule", schedule)
    g.add_node("judge", judge)
    g.add_conditional_edges(START, route, ["summarize_chunk", "merge", "judge", END])
    g.add_edge("summarize_chunk", "schedule")
    g.add_edge("merge", "schedule")
    g.add_conditional_edges("schedule", route, ["summarize_chunk", "merge", "judge", END])
    g.add_edge("judge", END)
    return g.compile()


async def summarize(item: TextItem, strategy: str, params: SummarizeParams, rec: Recorder,
                    transcript_id: str) -> SummarizeOutcome:
    """Summarize one text with one strategy; the unit's outcome."""
    spans = list(cached_spans(item.text, params.chunk_tokens))
    plan = plan_tree(spans, strategy, params.fan_in, params.context)  # type: ignore[arg-type]
    ref = rec.put_text(item.text)
    rec.note(SOURCE_EVENT, ref=ref, item_id=item.id, title=item.title, chars=len(item.text),
             words=count_words(item.text), chunks=len(spans), chunk_tokens=params.chunk_tokens)
    rec.progress(advance=0, total=len(plan.nodes))
    ctx = SummaryContext(rec=rec, params=params, item=item, plan=plan, source=SourceText(ref, item.text),
                         transcript_id=transcript_id, records=planned_records(plan, params))
    final = await build_graph().ainvoke({"outputs": {}, "verdicts": []}, context=ctx,
                                        config={"recursion_limit": 2 * len(plan.nodes) + 10})
    return outcome(plan, final, item, ref, params)


def outcome(plan: TreePlan, final: dict[str, Any], item: TextItem, ref: str, params: SummarizeParams) -> SummarizeOutcome:
    levels: dict[int, int] = {}
    for node in plan.nodes:
        levels[node.level] = levels.get(node.level, 0) + 1
    return {
        "strategy": plan.strategy, "title": item.title, "source_ref": ref, "chars": len(item.text),
        "words": count_words(item.text), "chunks": sum(n.chunk is not None for n in plan.nodes),
        "nodes": len(plan.nodes), "depth": plan.depth, "width": plan.width,
        "level_sizes": [levels[lv] for lv in sorted(levels)] if plan.strategy == "hierarchical" else None,
        "root": plan.root.id, "summary": final["outputs"][plan.root.id],
        "verdicts": len(final["verdicts"]),
    }


__all__ = ["NodeJob", "SourceText", "SummaryContext", "SummaryState", "build_graph", "planned_records", "summarize"]
