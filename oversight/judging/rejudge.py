"""`oversight judge RUN_DIR --model SPEC`: judge a run's finished transcripts again with another
model, prompt or settings, without paying for the units again.

Each judge's view is rebuilt from the transcript by the protocol's own `judge_views` (the code
that built the run judge's input), rendered with the run's prompts (plus a `--prompt`
override), sent through the same model layer as `run` (cache, retries, connection limits), and
turned into verdict fields by the protocol's `verdict`. One judgment line per (transcript,
view) is appended as each finishes; a (transcript, view) pair this judge id already judged is
skipped, so running the same command again adds nothing and an interrupted one resumes.

A call that still fails after the model layer's retries is written as a failed judgment
(`failed: true`, with its reason): counted as a failure, never scored as an answer. Each
judgment carries a stable `id`; `--retry-failed` judges exactly the failed views again (plus any
never judged), each new record naming the failed one in `supersedes`, so the failure stops
counting once it is answered and nothing is counted twice.

A protocol whose verdict calls models of its own (its `rejudge_roles`, e.g. a grader) gets them
through `judge_verdict`: bound to the run's own model for each role, or to `--bind ROLE=SPEC`
(or a shorthand flag the protocol declares in `rejudge_flags`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from oversight.core.errors import ModelCallError, UserError
from oversight.models.cache import ResponseCache
from oversight.models.pool import ModelPool
from oversight.models.pricing import PriceBook
from oversight.models.spec import parse_spec, redact_url
from oversight.models.types import Usage
from oversight.protocol.judge_call import call_judge, check_judge_call, wants_structured
from oversight.protocol.contract import JudgeResponse, Protocol, Unit
from oversight.protocol.hooks import call_hook, call_hook_as, call_hook_async, protocol_label
from oversight.protocol.recorder import Recorder, RunContext
from oversight.protocol.declared import protocol_shapes
from oversight.runs.dryrun import EstimateProvider, role_row, uncached_cost
from oversight.runs.runner import RunObserver
from oversight.runs.workers import run_workers
from oversight.core import keyguard
from oversight.log.transcripts import JudgeRef, Judgment, Transcript
from oversight.judging.judgeplan import JudgeOptions, JudgePlan, Task, judgment_id, plan_judging

__all__ = ["JudgeOptions", "JudgeResult", "estimate", "execute_judging", "judge_task", "plan_judging"]


@dataclass
class JudgeResult:
    judged: int = 0
    failed: int = 0
    spent: Usage = field(default_factory=Usage)
    spent_by_role: dict[str, Usage] = field(default_factory=dict)
    """This judging's own calls per role (the judge, and any role its verdict calls)."""
    events: list[Any] = field(default_factory=list)
    hook_failures: dict[str, int] = field(default_factory=dict)
    """A protocol hook's one-line failure (protocol, hook, exception) -> how many views it failed:
    those views are failed judgments with this reason, said once to the person, not per call."""


# ---- judging -------------------------------------------------------------------------------


def make_pool(p: JudgePlan, *, provider_factory: Any = None) -> ModelPool:
    return ModelPool(
        cache=ResponseCache() if p.options.cache and provider_factory is None else None, retry=p.exp.retry,
        max_connections=p.options.max_connections or p.exp.max_connections, seed=p.exp.seed,
        provider_factory=provider_factory, prices=PriceBook(p.exp.prices), prompt_cache=p.exp.prompt_cache,
    )


def make_context(p: JudgePlan, pool: ModelPool) -> RunContext:
    """The judge and bound models, the run's prompts and sampling, as a Recorder needs them. A
    model that cannot start (no API key, no model file) is blamed on the option that named it."""
    cli = p.options.spelling == "cli"

    def ready(spec: str, given: str) -> Any:
        try:
            return pool.get(spec)
        except UserError as exc:
            raise UserError(f"{given}: {exc}") from None

    shown = redact_url(p.options.model)
    models = {p.role: ready(p.options.model, f"--model {shown}" if cli else f"model={shown!r}")}
    for role, spec in p.binds.items():
        given = f"{role} ({redact_url(spec)}, by --bind, a shorthand flag or the run's models.{role})" if cli else \
            f"{role} ({redact_url(spec)}, by binds=, flags= or the run's models.{role})"
        models[role] = ready(spec, given)
    return RunContext(run_id=p.folder.run_id, models=models, generation=p.generation, prompts=p.prompts,
                      seed=p.exp.seed, put_text=p.folder.put_text, shapes=protocol_shapes(p.protocol))


def _failed_fields(p: JudgePlan, task: Task, reason: str) -> dict[str, Any]:
    """The protocol's record for an unanswered view (so metrics count it), marked failed."""
    try:
        fields = call_hook(p.protocol, "verdict", task.view, task.transcript, JudgeResponse(text=""), p.params)
    except Exception:  # a protocol that cannot read an empty answer still gets a failed record
        fields = None
    if not isinstance(fields, dict):  # nor a verdict hook that returns no dict at all
        fields = {"condition": task.transcript.get("condition")}
    fields = {**fields}
    fields.update(invalid=True, failed=True, reason=reason, raw=None)
    return fields


async def _verdict_fields(p: JudgePlan, view: Any, transcript: dict[str, Any], response: JudgeResponse,
                          rec: Recorder) -> dict[str, Any]:
    """The protocol's verdict fields for one answer, through `judge_verdict`, or straight through
    `verdict` when the protocol keeps the default (so a failure names the hook it wrote)."""
    if type(p.protocol).judge_verdict is Protocol.judge_verdict:
        fields = call_hook(p.protocol, "verdict", view, transcript, response, p.params)
        hook = "verdict"
    else:
        fields = await call_hook_async(p.protocol, "judge_verdict", view, transcript, response, p.params, rec)
        hook = "judge_verdict"
    if not isinstance(fields, dict):
        raise UserError(f"protocol {protocol_label(p.protocol)!r}: its {hook} hook returned a "
                        f"{type(fields).__name__}, not a dict of verdict fields")
    return fields


async def judge_task(p: JudgePlan, ctx: RunContext, task: Task) -> tuple[dict[str, Any], Recorder, str | None]:
    """Judge one view; a call that fails after retries becomes a failed judgment, not an exception,
    and so does a verdict hook that fails on the answer (its one line is returned third)."""
    t, view = task.transcript, task.view
    rec = Recorder(ctx, Unit(id=str(t["id"]), item_id=str(t.get("item_id")), condition=str(t.get("condition")), item=None))
    schema = call_hook(p.protocol, "response_schema", view, p.params)  # a failing one is a one-line UserError
    hook_error: str | None = None
    call = call_hook_as(dict, p.protocol, "judge_call", view, p.params, wants_structured(rec, p.role, schema))
    check_judge_call(protocol_label(p.protocol), call)
    call = {**call, **p.overrides}
    # what this view's call was sent (`settings` is the judge's, the same for every view)
    sent = ctx.settings_for(p.role, call.get("defaults"), call.get("caps"),
                            {k: v for k, v in call.items() if k not in ("defaults", "caps")})
    try:
        out, response = await call_judge(rec, p.role, view, schema, step=f"rejudge {view.key}", **call)
    except ModelCallError as exc:
        fields = _failed_fields(p, task, f"judge call failed: {exc.reason}")
    else:
        try:
            fields = await _verdict_fields(p, view, t, response, rec)
        except UserError as exc:  # a protocol bug on one answer must not lose the others: a failed judgment
            hook_error = str(exc)
            fields = _failed_fields(p, task, hook_error)
            fields["raw"] = out.text
    ids: dict[str, Any] = {"id": judgment_id(p.folder.run_id, p.judge_id, str(t["id"]), view.key, task.attempt_no)}
    if task.supersedes is not None:
        ids["supersedes"] = task.supersedes
    judgment = Judgment(
        transcript_id=str(t["id"]), judge=JudgeRef(kind="model", id=p.judge_id), attempt=None,
        **{**fields, **ids, "view_key": view.key, "model": str(parse_spec(p.options.model)), "settings": p.settings,
           "call_settings": sent.model_dump(mode="json", exclude={"timeout_s", "response_schema"}),
           "prompt_hash": p.prompt_hash, "usage": sum(rec.usage_by_role.values(), Usage()).model_dump()},
    )
    return judgment.to_record(), rec, hook_error


async def execute_judging(p: JudgePlan, *, observer: RunObserver | None = None, pool: ModelPool | None = None,
                          write: bool = True) -> JudgeResult:
    """Judge every planned view with bounded concurrency; append each judgment as it finishes."""
    keyguard.refresh()
    observer = observer or RunObserver()
    pool = pool or make_pool(p)
    ctx = make_context(p, pool)
    if write:
        p.folder.repair()
    result = JudgeResult()
    queue = iter(p.tasks)
    observer.started(f"judge {p.judge_id}", len(p.tasks))

    async def step(task: Task) -> bool:
        record, rec, hook_error = await judge_task(p, ctx, task)
        if hook_error is not None:
            result.hook_failures[hook_error] = result.hook_failures.get(hook_error, 0) + 1
        if write:
            p.folder.append_judgment(record)
        result.judged += 1
        result.failed += bool(record.get("failed"))
        result.spent = result.spent + sum(rec.usage_by_role.values(), Usage())
        for role, used in rec.usage_by_role.items():
            result.spent_by_role[role] = result.spent_by_role.get(role, Usage()) + used
        result.events.extend(rec.events)
        t = task.transcript
        observer.unit_finished(Transcript(
            run_id=p.folder.run_id, id=f"{t['id']}#{task.view.key}", item_id=str(t.get("item_id")),
            protocol=p.exp.protocol, condition=str(t.get("condition")), attempt="judge",
            error=record.get("reason") if record.get("failed") else None), result.spent)
        return True

    try:
        await run_workers(queue, min(p.options.concurrency or p.exp.concurrency, len(p.tasks)), step)
    finally:
        observer.finished()
        await pool.aclose()
    return result


def estimate(p: JudgePlan) -> list[dict[str, Any]]:
    """Calls, tokens and cost per role of the planned judging, with the dry run's stand-in model."""
    pool = make_pool(p, provider_factory=EstimateProvider)
    result = asyncio.run(execute_judging(p, pool=pool, write=False))
    calls: dict[str, int] = {}
    usage: dict[str, Usage] = {}
    worst: dict[str, Usage] = {}
    specs = {role: parse_spec(spec) for role, spec in {p.role: p.options.model, **p.binds}.items()}
    for event in result.events:
        if event.type == "model" and event.role and event.usage:
            calls[event.role] = calls.get(event.role, 0) + 1
            usage[event.role] = usage.get(event.role, Usage()) + event.usage
            worst[event.role] = worst.get(event.role, Usage()) + uncached_cost(pool.prices, specs[event.role], event.usage, False)
    return [role_row(role, specs[role], calls[role], usage[role], worst[role].cost_usd) for role in sorted(usage)]
