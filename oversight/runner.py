"""From a validated Experiment to transcripts on disk: bounded concurrency, progress, resume.

Nothing here knows a protocol: it asks the protocol for units, runs each through
`Protocol.run_unit` with a Recorder, and appends one transcript line per finished unit.
"""

from __future__ import annotations

import asyncio
import random
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from oversight.config import Experiment, validate_params
from oversight.errors import ModelCallError, UserError
from oversight.jsonl import append_line, repair_tail
from oversight.models.cache import ResponseCache
from oversight.models.model import Model
from oversight.models.pool import ModelPool
from oversight.models.types import Usage
from oversight.prompts import PromptSet
from oversight.protocol import Protocol, Recorder, RunContext, Unit, get_protocol
from oversight.runfolder import new_run_dir, write_experiment, write_metrics
from oversight.summary import compute_metrics
from oversight.transcripts import Transcript, load_transcripts


@dataclass
class Plan:
    """Everything checked and loaded before the first model call."""

    exp: Experiment
    protocol: Protocol
    params: Any
    units: list[Unit]
    prompts: PromptSet
    roles: set[str]
    n_items: int
    source: str
    base_dir: Path


@dataclass
class RunResult:
    run_dir: Path
    metrics: dict[str, Any]
    failed: int = 0
    ran: int = 0
    skipped: int = 0


def plan(exp: Experiment, *, source: str, base_dir: Path) -> Plan:
    """Validate everything a run needs (protocol, params, roles, prompts, task) without a model call."""
    try:
        protocol = get_protocol(exp.protocol)
    except UserError as exc:
        raise UserError(f"{source}: protocol: {exc}") from None
    params = validate_params(protocol.Params, exp.params, source)
    roles = protocol.roles(params)
    missing = sorted(roles - set(exp.models))
    if missing:
        raise UserError(
            f"{source}: models.{missing[0]}: required role has no model "
            f"(this run needs: {', '.join(sorted(roles))}); add e.g. {missing[0]}: local:gemma-3-270m"
        )
    unknown = sorted(r for r in set(exp.models) - roles if r not in _optional_roles(protocol))
    if unknown:
        raise UserError(
            f"{source}: models.{unknown[0]}: no such role in protocol {exp.protocol!r} "
            f"(roles: {', '.join(sorted(roles | _optional_roles(protocol)))})"
        )
    for role in exp.generation:
        if role != "default" and role not in roles | _optional_roles(protocol):
            raise UserError(f"{source}: generation.{role}: no such role (use a role name or 'default')")
    prompts = PromptSet(protocol.prompt_package, protocol.templates, exp.prompts, base_dir, source)
    try:
        items = protocol.load_items(exp.task, base_dir)
    except UserError as exc:
        raise UserError(f"{source}: {exc}") from None
    if exp.task.shuffle:
        random.Random(exp.seed).shuffle(items)
    if exp.limit is not None:
        items = items[: exp.limit]
    units = protocol.units(items, params, exp.seed)
    return Plan(exp, protocol, params, units, prompts, roles, len(items), source, base_dir)


def _optional_roles(protocol: Protocol) -> set[str]:
    return set(getattr(protocol, "optional_roles", set()))


def check_models(p: Plan, pool: ModelPool) -> dict[str, Model]:
    """Bind roles to models; a missing key or model file names the role that needs it."""
    models = {}
    for role in sorted(p.roles):
        try:
            models[role] = pool.get(p.exp.models[role])
        except UserError as exc:
            raise UserError(f"{p.source}: models.{role}: {exc}") from None
    return models


def make_context(p: Plan, pool: ModelPool, run_id: str) -> RunContext:
    models = check_models(p, pool)
    return RunContext(
        run_id=run_id, params=p.params, models=models, generation=p.exp.generation,
        prompts=p.prompts, seed=p.exp.seed,
    )


async def run_unit(p: Plan, ctx: RunContext, unit: Unit, run_dir: Path) -> Transcript:
    """Run one unit; a failure becomes the transcript's `error`, never the run's end."""
    rec = Recorder(ctx, unit)
    error: str | None = None
    outcome: dict[str, Any] = {}
    try:
        outcome = await p.protocol.run_unit(unit, rec)
    except ModelCallError as exc:
        error = exc.reason
    except UserError:
        raise
    except Exception as exc:  # a protocol bug on one item must not lose the others
        error = f"{type(exc).__name__}: {exc}"
        with open(run_dir / "errors.log", "a", encoding="utf-8") as fh:
            fh.write(f"--- {unit.id}\n{traceback.format_exc()}\n")
    usage = sum(rec.usage_by_role.values(), Usage())
    transcript = Transcript(
        run_id=ctx.run_id, id=unit.id, item_id=unit.item_id, protocol=p.exp.protocol,
        condition=unit.condition, events=rec.events, outcome=outcome, usage=usage,
        usage_by_role=rec.usage_by_role, error=error, attempt=rec.attempt,
    )
    # Judgments first: a transcript line on disk promises its judgments are there too. A failed
    # unit gets none (its verdict events stay in the transcript), so metrics never mix in half
    # a unit; --retry-failed gives it a new attempt.
    if error is None:
        for judgment in rec.judgments:
            append_line(run_dir / "judgments.jsonl", judgment.to_record())
    append_line(run_dir / "transcripts.jsonl", transcript.to_record())
    return transcript


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("failed {task.fields[failed]}"),
        TextColumn("{task.fields[tokens]:,} tok"),
        TextColumn("{task.fields[cost]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def _cost_text(usage: Usage) -> str:
    return f"${usage.cost_usd:.4f}" if usage.cost_usd is not None else "$ n/a"


async def execute(
    p: Plan,
    *,
    run_dir: Path,
    console: Console,
    retry_failed: bool = False,
    pool: ModelPool | None = None,
) -> RunResult:
    """Run every unit not yet in transcripts.jsonl, then write metrics.json."""
    repair_tail(run_dir / "transcripts.jsonl")
    repair_tail(run_dir / "judgments.jsonl")
    existing = {t["id"]: t for t in load_transcripts(run_dir)}
    done = {tid for tid, t in existing.items() if not (retry_failed and t.get("error"))}
    todo = [u for u in p.units if u.id not in done]
    pool = pool or ModelPool(
        cache=ResponseCache() if p.exp.cache else None, retry=p.exp.retry,
        max_connections=p.exp.max_connections, seed=p.exp.seed,
    )
    ctx = make_context(p, pool, run_dir.name)
    result = RunResult(run_dir=run_dir, metrics={}, skipped=len(p.units) - len(todo))
    total = Usage()
    queue = iter(todo)
    try:
        with _progress(console) as progress:
            task = progress.add_task(
                p.exp.name, total=len(todo), failed=0, tokens=0, cost=_cost_text(total)
            )

            async def worker() -> None:
                """Pull units one at a time: a million-item run holds only `concurrency` in memory."""
                nonlocal total
                for unit in queue:
                    transcript = await run_unit(p, ctx, unit, run_dir)
                    result.ran += 1
                    result.failed += transcript.error is not None
                    total = total + transcript.usage
                    progress.update(
                        task, advance=1, failed=result.failed, tokens=total.total_tokens, cost=_cost_text(total)
                    )

            await asyncio.gather(*(worker() for _ in range(min(p.exp.concurrency, len(todo)) or 1)))
    finally:
        await pool.aclose()
    result.metrics = compute_metrics(p.protocol, p.params, run_dir, n_units=len(p.units))
    write_metrics(run_dir, result.metrics)
    return result


def open_run_dir(p: Plan, *, runs_dir: Path, sweep_point: dict[str, Any]) -> Path:
    """A new run folder with the resolved config; call after `check_models` has passed."""
    run_dir = new_run_dir(runs_dir, p.exp.name)
    write_experiment(run_dir, p.exp, source=p.source, base_dir=p.base_dir, sweep_point=sweep_point,
                     units_planned=len(p.units))
    (run_dir / "transcripts.jsonl").touch()
    return run_dir
