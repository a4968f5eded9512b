"""What LangGraph alone costs per model call for a graph of the QuALITY debate's shape.

The same routing as oversight/protocols/debate/graph.py (START routes to the first speakers,
each speaker hands over with a `Command`, the judge ends) with nodes that do nothing but
return their update: per item a debate (2 rounds of two simultaneous speakers), a consultancy
(2 rounds), a blind and an expert judge, i.e. 14 model calls' worth of steps. The CPU per call
here is the floor under `cpu_per_call.py`'s figure that no change in oversight can remove.

    .venv/bin/python benchmarks/langgraph_floor.py [--items 100]
"""

from __future__ import annotations

import argparse
import asyncio
import operator
import os
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Command

CONDITIONS = ("debate", "consultancy", "blind", "expert")
CALLS_PER_ITEM = 14  # debate 2x2 speeches + 2 verdicts, consultancy 2 + 2, blind 2, expert 2
ROUNDS = 2


def later(a: int, b: int) -> int:
    return max(a, b)


class State(TypedDict):
    condition: str
    round: Annotated[int, later]
    speeches: Annotated[list[dict[str, Any]], operator.add]
    outcome: dict[str, Any]


def first(condition: str) -> list[str]:
    return {"debate": ["debater_a", "debater_b"], "consultancy": ["consultant"]}.get(condition, ["judge"])


def speaker(role: str) -> Any:
    async def node(state: State) -> Command[Any]:
        rnd = state["round"]
        goto = "judge" if rnd >= ROUNDS else first(state["condition"])
        return Command(update={"speeches": [{"round": rnd, "role": role}], "round": rnd + 1}, goto=goto)
    return node


async def judge(state: State) -> dict[str, Any]:
    return {"outcome": {"speeches": len(state["speeches"])}}


def build() -> Any:
    g = StateGraph(State)
    targets = ("debater_a", "debater_b", "consultant", "judge")
    for role in targets[:3]:
        g.add_node(role, speaker(role), destinations=targets)
    g.add_node("judge", judge)

    async def start(state: State) -> list[str]:
        return first(state["condition"])

    g.add_conditional_edges(START, start, list(targets))
    g.add_edge("judge", END)
    return g.compile()


async def measure(items: int) -> tuple[int, float]:
    """(units, least CPU seconds of three passes with every unit in flight)."""
    graph = build()
    inputs = [{"condition": c, "round": 1, "speeches": [], "outcome": {}} for _ in range(items) for c in CONDITIONS]
    await asyncio.gather(*(graph.ainvoke(i) for i in inputs[:8]))  # warm-up
    best = float("inf")
    for _ in range(3):
        t0 = os.times()
        await asyncio.gather(*(graph.ainvoke(i) for i in inputs))
        t1 = os.times()
        best = min(best, t1.user - t0.user + t1.system - t0.system)
    return len(inputs), best


async def main(items: int) -> None:
    units, best = await measure(items)
    print(f"LangGraph alone, the debate's shape with no-op nodes, {units} units all in flight: "
          f"{best:.2f}s CPU (best of 3) = {1000 * best / (items * CALLS_PER_ITEM):.2f} ms per model call")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100)
    asyncio.run(main(parser.parse_args().items))
