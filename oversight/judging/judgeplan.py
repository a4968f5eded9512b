"""Planning a re-judge: the options checked against the run, and the (transcript, view) pairs
still to judge for this judge id (so an interrupted or repeated command resumes, never doubles).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from oversight.config.experiment import Experiment, check_size, load_yaml, validate_params
from oversight.config.overrides import parse_assignment
from oversight.core.errors import UserError
from oversight.core.ids import sha256_hex
from oversight.models.identity import same_model
from oversight.models.spec import parse_spec, redact_url
from oversight.models.types import GenerateConfig
from oversight.protocol.prompts import PromptSet
from oversight.protocol.contract import JudgeView, Protocol
from oversight.protocol.registry import get_protocol
from oversight.protocol.recorder import settings_for
from oversight.log.runfolder import RunFolder
from oversight.report.results import view_reader
from oversight.core.safe_paths import allow
from oversight.log.transcripts import record_ref, standing_judgments
from oversight.protocol.hooks import call_hook, call_views, hook_value, protocol_label

@dataclass
class JudgeOptions:
    """What the command line asks for (see `oversight judge --help`)."""

    model: str
    kind: str | None = None
    """model or logprob; None: the run's own judge kind (its `params.judge_kind`), else model."""
    prompts: list[str] = field(default_factory=list)
    """`FILE` (the one judge template the selected views use) or `NAME=FILE`."""
    conditions: list[str] = field(default_factory=list)
    limit: int | None = None
    swap: bool | None = None
    """True: every way a part is shown (`view_alternatives`); False: the first only;
    None: as the run had it."""
    sets: list[str] = field(default_factory=list)
    judge_id: str | None = None
    binds: list[str] = field(default_factory=list)
    """`ROLE=SPEC`: the model for a role the protocol's verdict calls (its `rejudge_roles`)."""
    flags: dict[str, str] = field(default_factory=dict)
    """Shorthand flags given, flag -> SPEC (e.g. `--grader`), read through the protocol's `rejudge_flags`."""
    concurrency: int | None = None
    max_connections: int | None = None
    cache: bool = True
    retry_failed: bool = False
    """Judge again the views whose earlier call failed (each retry supersedes the failed record)."""
    spelling: str = "cli"
    """How messages name these options: "cli" (`--model`) or "api" (`model=`, as `oversight.judge` takes them)."""


@dataclass
class Task:
    """One judge call to make: a view of a transcript."""

    transcript: dict[str, Any]
    view: JudgeView
    supersedes: str | None = None
    """Id of the failed judgment this one retries."""
    attempt_no: int = 0
    """How many records this judge already wrote for the view (0: the first): part of the id."""


@dataclass
class JudgePlan:
    """Everything checked before the first call."""

    folder: RunFolder
    exp: Experiment
    protocol: Protocol[Any, Any]
    params: Any
    prompts: PromptSet
    options: JudgeOptions
    judge_id: str
    role: str
    """The protocol's judge role (`judge_role`): the one `options.model` answers as."""
    generation: dict[str, GenerateConfig]
    overrides: dict[str, Any]
    settings: dict[str, Any]
    prompt_hash: str
    binds: dict[str, str]
    """Role -> model spec for the roles beside the judge that the verdict calls."""
    tasks: list[Task]
    selected: int
    failed_before: int
    """Failed judgments of this judge still standing (not yet retried)."""
    retried: int = 0
    """Failed views this plan judges again (with --retry-failed)."""


# ---- planning ------------------------------------------------------------------------------


def judge_role(protocol: Protocol[Any, Any]) -> str:
    """The role that answers the judge views (`judge_role`), checked to be a name."""
    role = hook_value(protocol, "judge_role")
    if not isinstance(role, str) or not role.strip():
        raise UserError(f"protocol {protocol_label(protocol)!r}: its judge_role hook is {role!r}, not a role name")
    return role


def param_name(protocol: Protocol[Any, Any], hook: str, params: Any) -> str | None:
    """The params field a `*_param` hook names (None: the protocol has none), checked to exist."""
    name = hook_value(protocol, hook)
    if name is None:
        return None
    if not isinstance(name, str) or name not in type(params).model_fields:
        raise UserError(f"protocol {protocol_label(protocol)!r}: its {hook} hook is {name!r}, not a field of its "
                        f"Params ({', '.join(type(params).model_fields) or 'none'})")
    return name


def run_judge_kind(protocol: Protocol[Any, Any], params: Any) -> str:
    """How the run's own judge judged ("model" unless its `judge_kind_param` says otherwise)."""
    name = param_name(protocol, "judge_kind_param", params)
    return str((getattr(params, name) if name else None) or "model")


def _verdict_params(protocol: Protocol[Any, Any], params: Any, opts: JudgeOptions) -> Any:
    """The run's params with this judge's kind and view alternatives, where the protocol has them."""
    update: dict[str, Any] = {}
    kind_field = param_name(protocol, "judge_kind_param", params)
    if kind_field:
        update[kind_field] = opts.kind
    elif opts.kind == "logprob":
        raise UserError(f"--judge-kind logprob: protocol {protocol.name!r} reads no logprobs; use --judge-kind model")
    swap_field = param_name(protocol, "swap_param", params)
    if opts.swap is not None and swap_field:
        update[swap_field] = opts.swap
    return params.model_copy(update=update)


def _generation(exp: Experiment, sets: list[str], role: str) -> dict[str, GenerateConfig]:
    """The run's sampling block, with `--set KEY=VALUE` laid over the judge's settings."""
    values: dict[str, Any] = {}
    for text in sets:
        key, raw = parse_assignment(text, "--set")
        if key not in GenerateConfig.model_fields:
            raise UserError(f"--set {key}: not a generation setting (known: {', '.join(GenerateConfig.model_fields)})")
        try:
            values[key] = load_yaml(raw, f"--set {key}") if raw.strip() else None
        except yaml.YAMLError:
            values[key] = raw
        check_size(values[key], f"--set {key}")
    base = exp.generation.get(role) or exp.generation.get("default") or GenerateConfig()
    try:
        judge = GenerateConfig.model_validate({**base.model_dump(exclude_unset=True), **values})
    except ValidationError as exc:
        err = exc.errors()[0]
        raise UserError(f"--set {'.'.join(str(p) for p in err['loc'])}: {err['msg']} (got {err.get('input')!r})") from None
    return {**exp.generation, role: judge}


def _prompt_overrides(opts: JudgeOptions, used: set[str], all_templates: set[str]) -> dict[str, str]:
    """`--prompt` as template -> absolute file path; a bare FILE needs exactly one judge template."""
    out: dict[str, str] = {}
    for text in opts.prompts:
        name, sep, file = text.partition("=")
        if not (sep and name in all_templates):
            if len(used) != 1:
                raise UserError(
                    f"--prompt {text}: the views to judge use several templates ({', '.join(sorted(used))}); "
                    f"write --prompt NAME=FILE, or pick one condition with --condition")
            name, file = next(iter(used)), text
        path = Path(file).resolve()
        if not path.is_file():
            raise UserError(f"--prompt {text}: file {str(path)!r} not found")
        allow([path])  # named by the person on the command line; still never a special file
        out[name] = str(path)
    return out


def first_alternatives(protocol: Protocol[Any, Any]) -> set[str]:
    """The first view key the protocol lists for each part shown in several ways (`view_alternatives`):
    what `--no-swap` keeps of them, e.g. the answers in their original order."""
    firsts: dict[str, str] = {}
    for key, part in protocol.view_alternatives.items():
        firsts.setdefault(part, key)
    return set(firsts.values())


def _select(everything: list[Task], opts: JudgeOptions, protocol: Protocol[Any, Any]) -> list[Task]:
    """The views `--condition`, `--limit` (first N transcripts by id) and `--no-swap` leave."""
    if opts.conditions:
        have = sorted({str(t.transcript.get("condition")) for t in everything})
        for condition in opts.conditions:
            if condition not in have:
                raise UserError(f"--condition {condition}: no finished transcript has it (this run has: {', '.join(have)})")
        everything = [t for t in everything if t.transcript.get("condition") in opts.conditions]
    chosen = set(sorted({str(t.transcript["id"]) for t in everything})[: opts.limit])
    kept = first_alternatives(protocol)
    return [t for t in everything if str(t.transcript["id"]) in chosen
            and not (opts.swap is False and t.view.key in protocol.view_alternatives and t.view.key not in kept)]


def plan_judging(folder: RunFolder, opts: JudgeOptions) -> JudgePlan:
    """Validate options against the run and list the (transcript, view) pairs still to judge."""
    if opts.limit is not None and opts.limit < 1:
        raise UserError(f"--limit {opts.limit}: give a positive number")
    parse_spec(opts.model)
    exp, meta = folder.experiment()
    allow(meta.get("allow_paths") or [])  # the folders the run was started with
    source = str(folder.path / "experiment.yaml")
    protocol = get_protocol(exp.protocol)
    run_params = validate_params(protocol.Params, exp.params, source)
    if opts.kind is None:  # judged as the run judged, unless asked otherwise
        opts = replace(opts, kind=run_judge_kind(protocol, run_params))
    params = _verdict_params(protocol, run_params, opts)
    finished = sorted((t for t in folder.transcripts() if not t.get("error")), key=lambda t: str(t["id"]))
    everything = [Task(t, v) for t in finished for v in call_views(protocol, t, params, folder)]
    if not everything:
        raise UserError(f"{folder.path}: no finished transcript with a judge view to judge")
    selected = _select(everything, opts, protocol)
    all_templates = {t.view.template for t in everything}
    overrides = {**exp.prompts, **_prompt_overrides(opts, {t.view.template for t in selected}, all_templates)}
    prompts = PromptSet(protocol.prompt_package, protocol.templates, overrides, Path(meta.get("base_dir") or "."), source,
                        protocol_label(protocol))
    for task in selected:  # a template the views cannot fill fails here, before any call
        prompts.render(task.view.template, task.view.variables)
    prompt_hash = sha256_hex("\n".join(
        f"{name}\n{prompts.templates[name].text}" for name in sorted(all_templates)))[:8]
    role = judge_role(protocol)
    generation = _generation(exp, opts.sets, role)
    logprob: dict[str, Any] = {}
    if opts.kind == "logprob":
        k_field = param_name(protocol, "top_logprobs_param", params)
        # as the run's judge asked (its params' count, which its calls use), unless --set says otherwise
        asked = "top_logprobs" in {parse_assignment(text, "--set")[0] for text in opts.sets}
        k = ((generation[role].top_logprobs if asked else None) or (getattr(params, k_field) if k_field else None)
             or generation[role].top_logprobs or 10)
        logprob = {"logprobs": True, "top_logprobs": k, "max_tokens": 1}
    settings = settings_for(generation, role, overrides=logprob).model_dump(mode="json", exclude={"timeout_s"})
    _refuse_a_copy_of_the_runs_judge(exp, opts, role, run_judge_kind(protocol, run_params), generation)
    judge_id = opts.judge_id or f"{opts.kind}:{parse_spec(opts.model)}:{prompt_hash}"
    past = _already_judged(folder, judge_id, settings, prompt_hash, protocol)
    todo, retried = [], 0
    for t in selected:
        key = (str(t.transcript["id"]), t.view.key)
        failed = past.failed.get(key) or past.failed.get((key[0], None))
        if failed is not None and opts.retry_failed:
            todo.append(Task(t.transcript, t.view, supersedes=record_ref(failed), attempt_no=past.written.get(key, 0)))
            retried += 1
        elif key not in past.done and (key[0], None) not in past.done:
            todo.append(Task(t.transcript, t.view, attempt_no=past.written.get(key, 0)))
    return JudgePlan(folder, exp, protocol, params, prompts, opts, judge_id, role, generation, logprob, settings,
                     prompt_hash, _bind_roles(protocol, params, exp, opts, role), todo, len(selected),
                     len(past.failed) - retried, retried)


@dataclass
class _Past:
    """What this judge id already wrote on the run."""

    done: set[tuple[str, str | None]]
    """(transcript, view) pairs with a standing judgment, answered or failed (None: every view)."""
    failed: dict[tuple[str, str | None], dict[str, Any]]
    """The standing failed judgments, by (transcript, view)."""
    written: dict[tuple[str, str | None], int]
    """Records per (transcript, view), superseded ones included: numbers the next record's id."""


def _refuse_a_copy_of_the_runs_judge(exp: Experiment, opts: JudgeOptions, role: str, run_kind: str,
                                     generation: dict[str, GenerateConfig]) -> None:
    """The run's own judge asked again with its prompts and sampling (whatever flags spell them)
    gives the run's answers again, from the cache or as the same greedy calls, and a second copy
    of one rater would be pooled as two. Which answer orders are judged does not change that."""
    same = (opts.cache and not (opts.prompts or opts.binds or opts.flags) and opts.kind == run_kind
            and role in exp.models and settings_for(generation, role) == settings_for(exp.generation, role)
            and same_model(parse_spec(opts.model), parse_spec(exp.models[role])))
    if same:
        cli = opts.spelling == "cli"
        raise UserError(f"{'--model ' if cli else 'model='}{redact_url(opts.model)}: that is the run's own judge "
                        "with its prompts and settings, so it would give the run's answers again as a second judge; "
                        + ("change the model, --set or --prompt, or pass --no-cache to sample it anew" if cli else
                           "change the model, settings= or prompts=, or pass cache=False to sample it anew"))


def _already_judged(folder: RunFolder, judge_id: str, settings: dict[str, Any], prompt_hash: str,
                    protocol: Protocol[Any, Any]) -> _Past:
    """This judge id's standing judgments on the run, the failed ones apart.

    A judge id names one judge: if its earlier judgments were made with other settings or
    another prompt, mixing them would be silently wrong, so that is an error.
    """
    view_key = view_reader(protocol)
    mine: list[dict[str, Any]] = []
    written: dict[tuple[str, str | None], int] = {}
    for j in folder.iter_judgments():
        ref = j.get("judge") or {}
        if ref.get("kind") != "model" or ref.get("id") != judge_id:
            continue
        for name, value in (("settings", settings), ("prompt_hash", prompt_hash)):
            if name in j and j[name] != value:
                raise UserError(f"judge id {judge_id!r} already judged this run with other {name.replace('_', ' ')} "
                                f"({j[name]!r}); pass --judge-id NAME for a new judge")
        key = (str(j.get("transcript_id")), view_key(j))
        written[key] = written.get(key, 0) + 1
        mine.append(j)
    standing, _ = standing_judgments(mine)
    done = {(str(j.get("transcript_id")), view_key(j)) for j in standing}
    failed = {(str(j.get("transcript_id")), view_key(j)): j for j in standing if j.get("failed")}
    return _Past(done, failed, written)


def judgment_id(run_id: str, judge_id: str, transcript_id: str, view: str, attempt_no: int) -> str:
    """The same id for the same judge, view and try, so a retry can name what it supersedes."""
    text = "\0".join((run_id, judge_id, transcript_id, view, str(attempt_no)))
    return "m" + sha256_hex(text)[:15]


def _bind_roles(protocol: Protocol[Any, Any], params: Any, exp: Experiment, opts: JudgeOptions,
                judge: str) -> dict[str, str]:
    """The models for the roles the protocol's verdict calls: `--bind`/shorthand flags, else the run's own."""
    needed = call_hook(protocol, "rejudge_roles", params)
    flags = hook_value(protocol, "rejudge_flags")
    if not isinstance(flags, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in flags.items()):
        raise UserError(f"protocol {protocol.name!r}: its rejudge_flags hook is not a mapping of flag to role "
                        f"(e.g. {{'--scorer': 'scorer'}})")
    flag_of = {role: flag for flag, role in flags.items()}
    given: dict[str, tuple[str, str]] = {}  # role -> (how it was given, spec)
    for flag, spec in opts.flags.items():
        if flag not in flags:
            raise UserError(f"{flag}: protocol {protocol.name!r} has no such option for judging")
        given[flags[flag]] = (flag, spec)
    for text in opts.binds:
        role, sep, spec = text.partition("=")
        if not (sep and role.strip() and spec.strip()):
            if opts.spelling == "cli":
                raise UserError(f"--bind {text}: write ROLE=SPEC")
            raise UserError(f"binds {{{role!r}: {spec!r}}}: give a role and a model spec, binds={{ROLE: SPEC}}")
        given[role.strip()] = (f"--bind {role.strip()}", spec.strip())
    for role, (label, _) in sorted(given.items()):
        if role == judge and role not in needed:
            raise UserError(f"{label}: {judge} is the role --model SPEC judges as; give the model there")
        if role not in needed:
            raise UserError(f"{label}: judging this run calls no {role} model: a re-judge keeps the run's own "
                            f"settings so its judges compare with the run's (roles to bind: "
                            f"{', '.join(sorted(needed)) or 'none'}); for other settings, run the experiment "
                            f"again with --set")
    out: dict[str, str] = {}
    for role in sorted(needed):
        spec = given[role][1] if role in given else exp.models.get(role)
        if not spec:
            how = f"{flag_of[role]} SPEC" if role in flag_of else f"--bind {role}=SPEC"
            raise UserError(f"judging this run calls a {role} model but the run bound no {role}: give {how}")
        parse_spec(spec)
        out[role] = spec
    return out
