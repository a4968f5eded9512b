"""How a protocol plugs into the runner. The runner knows nothing protocol-specific.

A protocol declares its roles, parameter model, item type and prompt templates, turns
items into units (one transcript each: an item under one condition), runs a unit through
its LangGraph graph using a `Recorder` for every model call, and computes its metrics.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel

from oversight.errors import UserError
from oversight.models.model import Model
from oversight.models.types import GenerateConfig, ModelOutput, Usage
from oversight.prompts import PromptSet
from oversight.transcripts import Event, JudgeRef, Judgment


@dataclass
class Unit:
    """One item under one condition; becomes one transcript line with id `id`."""

    id: str
    item_id: str
    condition: str
    item: Any
    data: dict[str, Any] = field(default_factory=dict)
    """Per-unit assignments the protocol makes up front (e.g. the consultant's side), seeded."""


@dataclass
class RunContext:
    """What a protocol may use while running units: resolved roles, prompts and params."""

    run_id: str
    params: Any
    models: dict[str, Model]
    generation: dict[str, GenerateConfig]
    prompts: PromptSet
    seed: int


class Recorder:
    """Every model call of a unit goes through here so the transcript shows exactly what was sent."""

    def __init__(self, ctx: RunContext, unit: Unit) -> None:
        self.ctx = ctx
        self.unit = unit
        self.attempt = uuid.uuid4().hex[:12]
        self.events: list[Event] = []
        self.judgments: list[Judgment] = []
        self.usage_by_role: dict[str, Usage] = {}

    def config_for(self, role: str, **overrides: Any) -> GenerateConfig:
        base = self.ctx.generation.get(role) or self.ctx.generation.get("default") or GenerateConfig()
        return base.merged(**overrides)

    async def call(
        self,
        role: str,
        template: str,
        variables: dict[str, Any],
        *,
        step: str | None = None,
        defaults: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> ModelOutput:
        """Render `template`, call the model bound to `role`, log the exchange, return the output.

        `defaults` are a protocol's per-call settings (e.g. stop sequences a base model needs)
        that yield to whatever the experiment's `generation:` block sets for the role;
        `overrides` always apply. A ModelCallError propagates: the runner records the item
        as failed with the events so far.
        """
        messages = self.ctx.prompts.render(template, variables)
        if defaults:
            configured = self.ctx.generation.get(role) or self.ctx.generation.get("default")
            explicit = configured.model_fields_set if configured is not None else set()
            overrides = {**{k: v for k, v in defaults.items() if k not in explicit}, **overrides}
        config = self.config_for(role, **overrides)
        model = self.ctx.models[role]
        try:
            out = await model.generate(messages, config, role=role)
        except Exception as exc:
            self.events.append(
                Event(type="model_error", role=role, step=step or template, model=model.name,
                      input=[m.model_dump() for m in messages], error=str(exc))
            )
            raise
        usage = out.completion.usage
        # Totals count what this run spent: a cache hit costs nothing (its event keeps the
        # original call's usage, marked cached).
        spent = Usage(cost_usd=None if usage.cost_usd is None else 0.0) if out.cached else usage
        self.usage_by_role[role] = self.usage_by_role.get(role, Usage()) + spent
        self.events.append(
            Event(
                type="model",
                role=role,
                step=step or template,
                model=out.model,
                input=[m.model_dump() for m in messages],
                content=out.text,
                usage=usage,
                latency_s=out.latency_s,
                cached=out.cached,
                logprobs=[t.model_dump() for t in out.completion.logprobs] if out.completion.logprobs else None,
            )
        )
        return out

    def note(self, type: str, **data: Any) -> None:
        """A non-model event (quote checks, parsed verdicts, tree structure...)."""
        self.events.append(Event(type=type, **data))

    def judgment(self, judge_id: str, **verdict: Any) -> None:
        """A built-in model judge's verdict; written to judgments.jsonl with this attempt's id."""
        self.judgments.append(
            Judgment(transcript_id=self.unit.id, judge=JudgeRef(kind="model", id=judge_id),
                     attempt=self.attempt, **verdict)
        )


class Protocol(ABC):
    name: ClassVar[str]
    Params: ClassVar[type[BaseModel]]
    """Protocol parameters from the YAML `params:` block (pydantic, extra="forbid")."""
    prompt_package: ClassVar[str]
    """Package holding `<template>.txt` files."""
    templates: ClassVar[dict[str, set[str]]]
    """Template name -> the variables it may use (documented in the template folder's README)."""

    @abstractmethod
    def roles(self, params: Any) -> set[str]:
        """Roles that need a model under these params."""

    @abstractmethod
    def load_items(self, task: Any, base_dir: Path) -> list[Any]:
        """Items from the experiment's `task:` block; raise UserError naming the file on bad data."""

    @abstractmethod
    def units(self, items: list[Any], params: Any, seed: int) -> list[Unit]: ...

    @abstractmethod
    async def run_unit(self, unit: Unit, rec: Recorder) -> dict[str, Any]:
        """Run one unit (through the protocol's graph) and return its `outcome`."""

    @abstractmethod
    def metrics(
        self, transcripts: list[dict[str, Any]], judgments: list[dict[str, Any]], params: Any
    ) -> dict[str, Any]:
        """Metrics for metrics.json; `metrics["table"]` is a list of row dicts printed as a table.

        `transcripts` include failed ones (`error` set) so a protocol can count them per
        condition; `judgments` belong to finished, successful transcripts only.
        """


_REGISTRY: dict[str, str] = {
    "debate": "oversight.protocols.debate:DebateProtocol",
    "critique": "oversight.protocols.critique:CritiqueProtocol",
}


def no_repeats(values: list[Any]) -> list[Any]:
    """For a params list such as `conditions`: a repeat would run and count the same unit twice."""
    repeated = sorted({str(v) for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"list each value once ({repeated[0]!r} is repeated)")
    return values


def register_protocol(name: str, target: str) -> None:
    """Plug in a protocol: `target` is "module:Class"."""
    _REGISTRY[name] = target


def get_protocol(name: str) -> Protocol:
    from importlib import import_module

    if name not in _REGISTRY:
        raise UserError(f"unknown protocol {name!r} (known: {', '.join(sorted(_REGISTRY))})")
    module, _, attr = _REGISTRY[name].partition(":")
    return getattr(import_module(module), attr)()


def known_protocols() -> list[str]:
    return sorted(_REGISTRY)
