"""A run's plan: everything checked and loaded from an experiment before the first model call.

Its own module so pins, the unit memo and the dry run can name `Plan` without importing the runner.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oversight.config.experiment import Experiment, did_you_mean, validate_params
from oversight.core.errors import UserError
from oversight.core.gctune import gc_paused
from oversight.models.batch import BATCH_PROVIDERS
from oversight.models.model import Model
from oversight.models.pool import ModelPool, provider_class
from oversight.models.pricing import PriceBook
from oversight.models.spec import parse_spec
from oversight.protocol.contract import Protocol, Unit
from oversight.protocol.hooks import call_hook, protocol_label
from oversight.protocol.registry import get_protocol
from oversight.protocol.prompts import PromptSet


@dataclass
class Plan:
    """Everything checked and loaded before the first model call."""

    exp: Experiment
    protocol: Protocol[Any, Any]
    params: Any
    units: list[Unit[Any]]
    prompts: PromptSet
    roles: set[str]
    n_items: int
    source: str
    base_dir: Path


def plan(exp: Experiment, *, source: str, base_dir: Path) -> Plan:
    """Validate everything a run needs (protocol, params, roles, prompts, task) without a model call."""
    try:
        protocol = get_protocol(exp.protocol)
    except UserError as exc:
        raise UserError(f"{source}: protocol: {exc}") from None
    params = validate_params(protocol.Params, exp.params, source)
    roles = set(call_hook(protocol, "roles", params))
    allowed = set(call_hook(protocol, "all_roles", params))
    missing = sorted(roles - set(exp.models))
    if missing:
        raise UserError(
            f"{source}: models.{missing[0]}: required role has no model "
            f"(this run needs: {', '.join(sorted(roles))}); add e.g. {missing[0]}: local:gemma-3-270m"
        )
    unknown = sorted(set(exp.models) - allowed)
    if unknown:
        raise UserError(
            f"{source}: models.{unknown[0]}: no such role in protocol {exp.protocol!r}{did_you_mean(unknown[0], allowed)} "
            f"(roles: {', '.join(sorted(allowed))})"
        )
    for role in exp.generation:
        if role != "default" and role not in allowed:
            raise UserError(f"{source}: generation.{role}: no such role (use a role name or 'default')")
    check_batch_settings(exp, allowed, source)
    prompts = PromptSet(protocol.prompt_package, protocol.templates, exp.prompts, base_dir, source, protocol_label(protocol))
    with gc_paused():
        try:
            items = list(call_hook(protocol, "load_items", exp.task, base_dir))
        except UserError as exc:
            raise UserError(f"{source}: {exc}") from None
        if exp.task.shuffle:
            random.Random(exp.seed).shuffle(items)
        if exp.limit is not None:
            items = items[: exp.limit]
        try:
            units = list(call_hook(protocol, "units", items, params, exp.seed))
        except UserError as exc:
            raise UserError(f"{source}: {exc}") from None
    return Plan(exp, protocol, params, units, prompts, roles, len(items), source, base_dir)


def check_models(p: Plan, pool: ModelPool) -> dict[str, Model]:
    """Bind roles to models; a missing key or model file names the role that needs it."""
    models = {}
    for role in sorted(p.roles):
        try:
            models[role] = pool.get(p.exp.models[role], batch=p.exp.batched(role))
        except UserError as exc:
            raise UserError(f"{p.source}: models.{role}: {exc}") from None
    return models


KEYLESS = ("local", "scripted")
"""Providers whose readiness needs no API key (a model file, a registered script)."""


def check_model_files(p: Plan) -> None:
    """What a dry run can check without keys: each local model file and each script exists, so
    an estimate is never printed for a run that could not start (API keys are not needed to
    estimate a cost, and are checked by `validate` and `run`)."""
    for role in sorted(p.roles):
        spec = parse_spec(p.exp.models[role])
        if spec.provider in KEYLESS:
            try:
                provider_class(spec.provider)(spec).check_ready()
            except UserError as exc:
                raise UserError(f"{p.source}: models.{role}: {exc}") from None


def check_batch_settings(exp: Experiment, allowed: set[str], source: str) -> None:
    """`batch:` names real roles, batching has the response cache it resumes through, and a
    budget can price every API model it must count (self-hosted and local ones cost 0)."""
    if isinstance(exp.batch, dict):
        for role in exp.batch:
            if role != "default" and role not in allowed:
                raise UserError(f"{source}: batch.{role}: no such role (use a role name or 'default')")
    if exp.cache is False and any(exp.batched(role) for role in exp.models):
        raise UserError(
            f"{source}: batch: batching needs cache: true (a resumed run collects interrupted "
            f"batches through the response cache); set cache: true or batch: false"
        )
    if exp.max_cost_usd is not None:
        book = PriceBook(exp.prices)
        for role, text in sorted(exp.models.items()):
            spec = parse_spec(text)
            if spec.provider in BATCH_PROVIDERS and not spec.base_urls and not book.known(spec):
                raise UserError(
                    f"{source}: max_cost_usd: models.{role}: no known price for {spec}, so the budget "
                    f"cannot count its calls; price it under prices: ({spec.provider}:{spec.model}: "
                    f"{{input: ..., output: ...}}), update genai-prices, or drop max_cost_usd"
                )
