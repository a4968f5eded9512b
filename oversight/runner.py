"""From a validated Experiment to transcripts on disk: bounded concurrency, progress, resume.

Nothing here knows a protocol: it asks the protocol for units, runs each through
`Protocol.run_unit` with a Recorder, and appends one transcript line per finished unit.
Progress goes to a `RunObserver` (the CLI renders it; a TUI could too): this module never prints.
"""

from __future__ import annotations

import asyncio
import random
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oversight.config import Experiment, validate_params
from oversight.errors import ModelCallError, UserError
from oversight.models.cache import ResponseCache
from oversight.models.model import Model
from oversight.models.pool import ModelPool
from oversight.models.types import Usage
from oversight.prompts import PromptSet
from oversight.protocol import Protocol, Unit, get_protocol
from oversight.recorder import Recorder, RunContext
from oversight.results import compute_metrics
from oversight.runfolder import MemoryTexts, RunFolder
from oversight.transcripts import Transcript


class RunObserver:
    """Hears a run's progress; the default hears nothing. Methods are called on the event loop."""

    def started(self, name: str, units: int) -> None: ...

    def unit_finished(self, transcript: Transcript, spent: Usage) -> None:
        """`spent` is the run's spend so far (cache hits count nothing)."""

    def sub_progress(self, advance: int, total: int) -> None:
        """Work inside units (e.g. nodes of a book): `total` adds to the expected count."""

    def finished(self) -> None: ...


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
    allowed = protocol.all_roles(params)
    missing = sorted(roles - set(exp.models))
    if missing:
        raise UserError(
            f"{source}: models.{missing[0]}: required role has no model "
            f"(this run needs: {', '.join(sorted(roles))}); add e.g. {missing[0]}: local:gemma-3-270m"
        )
    unknown = sorted(set(exp.models) - allowed)
    if unknown:
        raise UserError(
            f"{source}: models.{unknown[0]}: no such role in protocol {exp.protocol!r} "
            f"(roles: {', '.join(sorted(allowed))})"
        )
    for role in exp.generation:
        if role != "default" and role not in allowed:
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
    try:
        units = protocol.units(items, params, exp.seed)
    except UserError as exc:
        raise UserError(f"{source}: {exc}") from None
    return Plan(exp, protocol, params, units, prompts, roles, len(items), source, base_dir)


def check_models(p: Plan, pool: ModelPool) -> dict[str, Model]:
    """Bind roles to models; a missing key or model file names the role that needs it."""
    models = {}
    for role in sorted(p.roles):
        try:
            models[role] = pool.get(p.exp.models[role])
        except UserError as exc:
            raise UserError(f"{p.source}: models.{role}: {exc}") from None
    return models


def make_context(p: Plan, pool: ModelPool, folder: RunFolder | None, observer: RunObserver | None = None) -> RunContext:
    """What every unit shares; without a folder (a dry run) large texts are kept in memory."""
    models = check_models(p, pool)
    texts = folder if folder is not None else MemoryTexts()
    return RunContext(
        run_id=folder.run_id if folder is not None else "dry-run", models=models, generation=p.exp.generation,
        prompts=p.prompts, seed=p.exp.seed, put_text=texts.put_text,
        on_progress=observer.sub_progress if observer is not None else None,
    )


async def run_unit(p: Plan, ctx: RunContext, unit: Unit[Any], folder: RunFolder) -> Transcript:
    """Run one unit; a failure becomes the transcript's `error`, never the run's end."""
    rec = Recorder(ctx, unit)
    error: str | None = None
    outcome: dict[str, Any] = {}
    try:
        outcome = await p.protocol.run_unit(unit, p.params, rec)
    except ModelCallError as exc:
        error = exc.reason
    except UserError:
        raise
    except Exception as exc:  # a protocol bug on one item must not lose the others
        error = f"{type(exc).__name__}: {exc}"
        folder.log_error(unit.id, traceback.format_exc())
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
            folder.append_judgment(judgment.to_record())
    folder.append_transcript(transcript.to_record())
    return transcript


async def execute(
    p: Plan,
    *,
    folder: RunFolder,
    observer: RunObserver | None = None,
    retry_failed: bool = False,
    pool: ModelPool | None = None,
) -> RunResult:
    """Run every unit not yet in transcripts.jsonl, then write metrics.json."""
    observer = observer or RunObserver()
    folder.repair()
    # Resume reads ids and errors line by line; with --retry-failed a unit is done once any
    # attempt of it succeeded.
    done = {t["id"] for t in folder.iter_transcripts() if not (retry_failed and t.get("error"))}
    todo = [u for u in p.units if u.id not in done]
    pool = pool or ModelPool(
        cache=ResponseCache() if p.exp.cache else None, retry=p.exp.retry,
        max_connections=p.exp.max_connections, seed=p.exp.seed,
    )
    ctx = make_context(p, pool, folder, observer)
    result = RunResult(run_dir=folder.path, metrics={}, skipped=len(p.units) - len(todo))
    spent = Usage()
    queue = iter(todo)
    observer.started(p.exp.name, len(todo))

    async def worker() -> None:
        """Pull units one at a time: a million-item run holds only `concurrency` in memory."""
        nonlocal spent
        for unit in queue:
            transcript = await run_unit(p, ctx, unit, folder)
            result.ran += 1
            result.failed += transcript.error is not None
            spent = spent + transcript.usage
            observer.unit_finished(transcript, spent)

    try:
        await asyncio.gather(*(worker() for _ in range(min(p.exp.concurrency, len(todo)) or 1)))
    finally:
        observer.finished()
        await pool.aclose()
    result.metrics = compute_metrics(p.protocol, p.params, folder, n_units=len(p.units))
    folder.write_metrics(result.metrics)
    return result


def open_run_folder(p: Plan, *, runs_dir: Path, sweep_point: dict[str, Any], warn: Any = None) -> RunFolder:
    """A new run folder with the resolved config; call after `check_models` has passed."""
    folder = RunFolder.create(runs_dir, p.exp.name, warn=warn)
    folder.write_experiment(p.exp, {
        "source": p.source, "base_dir": str(p.base_dir.resolve()), "sweep_point": sweep_point,
        "units_planned": len(p.units),
    })
    return folder
