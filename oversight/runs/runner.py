"""From a validated Experiment to transcripts on disk: bounded concurrency, progress, resume.

Nothing here knows a protocol: it asks the protocol for units, runs each through
`Protocol.run_unit` with a Recorder, and appends one transcript line per finished unit.
Progress goes to a `RunObserver` (the CLI renders it; a TUI could too): this module never prints.
"""

from __future__ import annotations

import asyncio
import shutil
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oversight.core.errors import ModelCallError, RunWriteError, UserError
from oversight.models.batch import BATCHES, BatchJournal, BatchRuntime
from oversight.models.cache import ResponseCache, default_cache_dir
from oversight.models.pool import ModelPool
from oversight.models.pricing import PriceBook
from oversight.models.spec import redact_url
from oversight.models.types import Usage
from oversight.runs.pins import check_resume, run_pins
from oversight.runs.plan import Plan, check_models, plan
from oversight.protocol.contract import Unit
from oversight.protocol.recorder import Recorder, RunContext
from oversight.protocol.declared import protocol_shapes
from oversight.runs.groupwriter import GroupWriter
from oversight.core.gctune import gc_frozen
from oversight.report.results import compute_metrics
from oversight.log.runfolder import EXPERIMENT, RunFolder, check_runs_dir
from oversight.log.texts import MemoryTexts
from oversight.core import keyguard
from oversight.core.safe_paths import allow, allowed
from oversight.log.transcripts import Transcript
from oversight.runs.unitmemo import UnitMemo
from oversight.runs.workers import pull, run_workers


class RunObserver:
    """Hears a run's progress; the default hears nothing. Methods are called on the event loop."""

    def started(self, name: str, units: int) -> None: ...

    def unit_finished(self, transcript: Transcript, spent: Usage) -> None:
        """`spent` is the run's spend so far (cache hits count nothing)."""

    def sub_progress(self, advance: int, total: int) -> None:
        """Work inside units (e.g. nodes of a book): `total` adds to the expected count."""

    def finished(self) -> None: ...


@dataclass
class RunResult:
    run_dir: Path
    metrics: dict[str, Any]
    failed: int = 0
    ran: int = 0
    skipped: int = 0
    stopped: str | None = None
    """Why units were left unstarted (the budget), or None when every unit ran."""
    replayed: int = 0
    """Units of `ran` answered whole by the unit memo (oversight.runs.unitmemo): no graph, no call."""


def _remembered(put_text: Callable[[str], str]) -> Callable[[str], str]:
    """`put_text` that hashes each text once per run, not once per unit that stores it (a story
    has four units; the folder already keeps every stored text in memory)."""
    refs: dict[str, str] = {}

    def put(text: str) -> str:
        ref = refs.get(text)
        if ref is None:
            ref = refs[text] = put_text(text)
        return ref

    return put


def make_context(p: Plan, pool: ModelPool, folder: RunFolder | None, observer: RunObserver | None = None) -> RunContext:
    """What every unit shares; without a folder (a dry run) large texts are kept in memory."""
    models = check_models(p, pool)
    texts = folder if folder is not None else MemoryTexts()
    return RunContext(
        run_id=folder.run_id if folder is not None else "dry-run", models=models, generation=p.exp.generation,
        prompts=p.prompts, seed=p.exp.seed, put_text=_remembered(texts.put_text),
        on_progress=observer.sub_progress if observer is not None else None, shapes=protocol_shapes(p.protocol),
    )


async def run_unit(
    p: Plan, ctx: RunContext, unit: Unit[Any], folder: RunFolder, writer: GroupWriter | None = None,
    memo: UnitMemo | None = None,
) -> Transcript:
    """Run one unit; a failure becomes the transcript's `error`, never the run's end. With a
    `writer`, its lines are written off the event loop, many units per fsync. With a `memo`, a
    unit it holds is replayed instead of run, and one that finishes is stored."""
    hit = memo.replay(unit, ctx) if memo is not None else None
    if hit is not None:
        return await write_unit(folder, writer, unit, *hit)
    watch = memo.watch(unit, ctx) if memo is not None else None
    rec = Recorder(ctx if watch is None else watch.context, unit)
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
    judgments = [j.to_record() for j in rec.judgments] if error is None else []
    record = transcript.to_record()
    if watch is not None and error is None:
        watch.store(record, judgments)
    return await write_unit(folder, writer, unit, transcript, record, judgments)


async def write_unit(folder: RunFolder, writer: GroupWriter | None, unit: Unit[Any], transcript: Transcript,
                      record: dict[str, Any], judgments: list[dict[str, Any]]) -> Transcript:
    try:
        if writer is not None:
            await writer.write(judgments, record)
            return transcript
        for judgment in judgments:
            folder.append_judgment(judgment)
        folder.append_transcript(record)
    except OSError as exc:
        raise RunWriteError(f"{folder.path}: cannot write unit {unit.id!r} ({exc.strerror or exc})") from None
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
    keyguard.refresh()
    with folder.lock(), gc_frozen():
        return await _execute_locked(p, folder, observer or RunObserver(), retry_failed, pool)


async def _execute_locked(
    p: Plan, folder: RunFolder, observer: RunObserver, retry_failed: bool, pool: ModelPool | None
) -> RunResult:
    folder.repair()
    # Resume reads ids and errors line by line; with --retry-failed a unit is done once any
    # attempt of it succeeded.
    done = {t["id"] for t in folder.iter_transcripts() if not (retry_failed and t.get("error"))}
    todo = [u for u in p.units if u.id not in done]
    pool = pool or ModelPool(
        cache=ResponseCache() if p.exp.cache else None, retry=p.exp.retry,
        max_connections=p.exp.max_connections, seed=p.exp.seed,
    )
    pool.configure(prices=PriceBook(p.exp.prices), prompt_cache=p.exp.prompt_cache)
    start_batching(p, pool, folder)
    ctx = make_context(p, pool, folder, observer)
    memo = UnitMemo.open(p, ctx, pool.cache)
    if pool.batching is not None:
        pool.recover_batches()
    pool.meter.previous_usd = previous_spend(p, folder)
    result = RunResult(run_dir=folder.path, metrics={}, skipped=len(p.units) - len(todo))
    spent = Usage()
    lent_back: list[Unit[Any]] = []
    """Units a lent slot took but did not start (the budget was committed): next in line."""
    ordered = iter(interleave(todo, p.exp.concurrency))

    def units() -> Iterator[Unit[Any]]:
        while True:
            if lent_back:
                yield lent_back.pop()
                continue
            unit = next(ordered, None)
            if unit is None:
                return
            yield unit

    queue = units()
    writer = GroupWriter(folder.append_units)
    observer.started(p.exp.name, len(todo))

    async def step(unit: Unit[Any], one_unit: bool = False) -> bool:
        """Run one unit unless the run stopped or the budget is spent; False ends the worker."""
        nonlocal spent
        if result.stopped or lost:
            return False
        if one_unit and p.exp.max_cost_usd is not None and pool.meter.committed_usd >= p.exp.max_cost_usd:
            # a lent start is optional, and made while most calls are in flight at their upper
            # bounds: skip it (the unit goes back first in line), but do not stop the run on it
            lent_back.append(unit)
            return False
        if over_budget(p, pool, result):
            return False
        transcript = await run_unit(p, ctx, unit, folder, writer, memo)
        result.ran += 1
        result.failed += transcript.error is not None
        spent = spent + transcript.usage
        observer.unit_finished(transcript, spent)
        return not one_unit

    async def lent_step(unit: Unit[Any]) -> bool:
        return await step(unit, one_unit=True)

    extra: set[asyncio.Task[None]] = set()
    lost: list[BaseException] = []
    """Errors of lent units (a failed write): raised once the others stop, as a worker's would be."""

    def settled(task: asyncio.Task[None]) -> None:
        extra.discard(task)
        if not task.cancelled() and task.exception() is not None:
            lost.append(task.exception())  # type: ignore[arg-type]

    def lend() -> None:
        """A call waits for another to warm a prompt cache (models/warmup.py): its unit's slot
        starts one more unit meanwhile, so warming first never idles the run (at most twice
        `concurrency` units in flight)."""
        if len(extra) < p.exp.concurrency:
            task = asyncio.get_running_loop().create_task(pull(queue, lent_step))
            extra.add(task)
            task.add_done_callback(settled)

    if pool.warmer is not None:
        pool.warmer.lend = lend
    try:
        await run_workers(queue, min(p.exp.concurrency, len(todo)), step)
        while extra:
            await asyncio.gather(*list(extra), return_exceptions=True)
        if lost:
            raise lost[0]
    finally:
        if pool.warmer is not None:
            pool.warmer.lend = None
        for task in list(extra):
            task.cancel()
        await asyncio.gather(*extra, return_exceptions=True)
        observer.finished()
        await pool.aclose()
    result.replayed = memo.replayed if memo is not None else 0
    result.metrics = compute_metrics(p.protocol, p.params, folder, n_units=len(p.units),
                                     planned={u.id for u in p.units})
    try:
        folder.write_metrics(result.metrics)
    except OSError as exc:
        raise RunWriteError(f"{folder.path}: cannot write metrics.json ({exc.strerror or exc})") from None
    return result


def interleave(units: list[Unit[Any]], width: int) -> list[Unit[Any]]:
    """The units of `width` items at a time, one unit of each item in turn: the units that start
    together read different stories, and an item's later units start once its first has warmed
    the provider's prompt cache (or a local server's slot) with its story."""
    groups: dict[str, list[Unit[Any]]] = {}
    for unit in units:
        groups.setdefault(unit.item_id, []).append(unit)
    items = list(groups.values())
    out: list[Unit[Any]] = []
    for start in range(0, len(items), width):
        window = items[start:start + width]
        for k in range(max(map(len, window))):
            out.extend(group[k] for group in window if k < len(group))
    return out


def open_run_folder(p: Plan, *, runs_dir: Path, sweep_point: dict[str, Any], warn: Any = None,
                    meta: dict[str, Any] | None = None) -> RunFolder:
    """A new run folder with the resolved config; call after `check_models` has passed. `meta`:
    more of what the run is (a live sitting's units per judge), beside what every run records."""
    pins = run_pins(p)
    folder = RunFolder.create(runs_dir, p.exp.name, warn=warn, shapes=protocol_shapes(p.protocol))
    try:
        folder.write_experiment(p.exp, {
            "source": p.source, "base_dir": str(p.base_dir.resolve()),
            "sweep_point": {k: redact_url(v) if isinstance(v, str) else v for k, v in sweep_point.items()},
            "units_planned": len(p.units), "pins": pins, "allow_paths": allowed(), **(meta or {}),
        })
    except OSError as exc:  # no half-made run folder is left behind
        shutil.rmtree(folder.path, ignore_errors=True)
        raise UserError(f"{folder.path}: cannot write {EXPERIMENT} ({exc.strerror or exc})") from None
    return folder


def check_storage(p: Plan, runs_dir: Path) -> None:
    """Before the first call: the run folders can be made, and the response cache is a folder."""
    check_runs_dir(runs_dir, [p.exp.name])
    if p.exp.cache:
        where = default_cache_dir()
        node = where
        while not node.exists() and node.parent != node:
            node = node.parent
        if not node.is_dir():
            raise UserError(f"OVERSIGHT_CACHE_DIR {where}: {node} is a file, not a folder; point it at a folder "
                            f"or set cache: false")
        if not where.is_dir():  # made now (as the run would): a folder that cannot be made stops us before any run folder
            ResponseCache()


def plan_resume(folder: RunFolder) -> Plan:
    """The plan of an existing run, refused if its config, task or prompts changed since it began."""
    exp, meta = folder.experiment_to_resume()
    allow(meta.get("allow_paths") or [])  # the folders the run was started with
    p = plan(exp, source=str(folder.path / EXPERIMENT), base_dir=Path(meta.get("base_dir") or "."))
    check_resume(p, meta)
    return p


# ---- Batch APIs and the budget (issue 14) ----------------------------------------------------


def start_batching(p: Plan, pool: ModelPool, folder: RunFolder) -> None:
    """Give the pool a batch runtime journaling to the run folder, when a role batches or an
    earlier session left batches to collect (so --resume never pays for them twice)."""
    journal = BatchJournal(folder.path / BATCHES, warn=folder.warn)
    if pool.batching is None and (any(p.exp.batched(r) for r in p.roles) or journal.pending()):
        pool.batching = BatchRuntime(p.exp.batch_options, journal)
    elif pool.batching is not None and pool.batching.journal is None:
        pool.batching.journal = journal


def previous_spend(p: Plan, folder: RunFolder) -> float:
    """USD that earlier sessions of this run spent (every transcript line, retried ones too)."""
    if p.exp.max_cost_usd is None:
        return 0.0
    return sum((t.get("usage") or {}).get("cost_usd") or 0.0 for t in folder.iter_transcripts())


def over_budget(p: Plan, pool: ModelPool, result: RunResult) -> bool:
    """Whether the next unit must not start: spend so far plus the upper bound of every call
    in flight has reached `max_cost_usd`. Sets `result.stopped` to say so."""
    limit = p.exp.max_cost_usd
    if limit is None or pool.meter.committed_usd < limit:
        return False
    meter = pool.meter
    result.stopped = (
        f"budget reached: ${meter.previous_usd + meter.spent_usd:.4f} spent (with "
        f"${meter.in_flight_usd:.4f} more possible for calls in flight) of max_cost_usd "
        f"${limit:g}" + (f"; prompt caching saved ${meter.saved_usd:.4f} this session" if meter.saved_usd else "")
    )
    return True
