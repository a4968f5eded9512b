"""Test helpers: a RunContext without a run folder, and the runner-only `qa` protocol."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from typing import Any

from oversight.models.model import Model
from oversight.models.types import GenerateConfig
from oversight.protocol.prompts import PromptSet
from oversight.protocol.contract import Protocol, Recorder, RunContext, Unit
from oversight.protocol.registry import ENTRY_POINT_GROUP
from oversight.log.texts import MemoryTexts

TEST_PROTOCOLS = {"qa": metadata.EntryPoint(name="qa", value="tests.helpers.qa_protocol:QAProtocol", group=ENTRY_POINT_GROUP)}
"""Registered for every test (conftest), as an installed package's entry point would be."""


@dataclass
class Bound:
    """A run context with the params a test runs a protocol under."""

    run: RunContext
    params: Any

    @property
    def seed(self) -> int:
        return self.run.seed


def context(proto: Protocol[Any, Any], models: dict[str, Model], generation: dict[str, GenerateConfig] | None = None,
            seed: int = 0, texts: MemoryTexts | None = None) -> RunContext:
    texts = texts or MemoryTexts()
    return RunContext(run_id="test", models=models, generation=generation or {},
                      prompts=PromptSet(proto.prompt_package, proto.templates), seed=seed, put_text=texts.put_text)


async def run_units(proto: Protocol[Any, Any], params: Any, ctx: RunContext, items: list[Any]
                    ) -> list[tuple[Unit[Any], Recorder, dict[str, Any]]]:
    """Every unit of `items`, one after another: (unit, its recorder, its outcome)."""
    results = []
    for unit in proto.units(items, params, ctx.seed):
        rec = Recorder(ctx, unit)
        results.append((unit, rec, await proto.run_unit(unit, params, rec)))
    return results
