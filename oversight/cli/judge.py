"""`oversight judge`: a run's finished transcripts judged again, by a model or by a person.

Kept apart from oversight/cli/main.py (the other commands) so each stays short; it prints through
that module's consoles."""

from __future__ import annotations

import argparse
import asyncio
import unicodedata
from pathlib import Path

from oversight.cli.console import Interrupted, console, err_console, print_estimate, warn
from oversight.cli.options import defer, judge_id_from
from oversight.core.errors import UserError, write_failure
from oversight.core.safe_text import line
from oversight.core.words import count

MAX_HOOK_LINES = 3
HUMAN_ID = "--human needs --judge-id NAME (your own id, the same each time you come back)"
"""Distinct hook failures named after a judging; the rest are counted in one line."""


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    judge = sub.add_parser("judge", help="judge a run's finished transcripts again (a model, or a person)")
    judge.add_argument("run_dir", metavar="RUN_DIR")
    judge.add_argument("--model", metavar="SPEC", help="judge with this model (e.g. openai:gpt-4.1-mini)")
    judge.add_argument("--human", action="store_true", help="judge yourself in the terminal UI, as --judge-id NAME")
    judge.add_argument("--judge-id", metavar="NAME",
                       help="who is judging: each person their own id; for a model, default KIND:SPEC:PROMPT_HASH")
    judge.add_argument("--judge-kind", choices=("model", "logprob"), default=None,
                       help="model: parse the answer text; logprob: read each answer's probability from the "
                            "first token's top logprobs, where the protocol has such a judge (default: as the run "
                            "judged)")
    judge.add_argument("--prompt", action="append", default=[], metavar="[NAME=]FILE",
                       help="replace the judge template (NAME=FILE when the views use several)")
    judge.add_argument("--condition", action="append", default=[], help="only transcripts of this condition")
    judge.add_argument("--limit", type=int, help="only the first N transcripts (by id)")
    judge.add_argument("--swap", action=argparse.BooleanOptionalAction, default=None,
                       help="judge every view the protocol shows one part in (its view alternatives; --no-swap: "
                            "the first of them only; default: as the run)")
    judge.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="a generation setting over the run's judge block (max_tokens, temperature, ...)")
    judge.add_argument("--bind", action="append", default=[], metavar="ROLE=SPEC",
                       help="the model for a role the protocol's verdict calls (default: the run's own)")
    judge.add_argument("--dry-run", action="store_true", help="estimate calls, tokens and cost; call no model")
    judge.add_argument("--concurrency", type=int, help="views judged at once (default: the run's)")
    judge.add_argument("--max-connections", type=int, help="concurrent calls per provider endpoint")
    judge.add_argument("--no-cache", action="store_true", help="do not reuse cached responses")
    judge.add_argument("--judges", metavar="ID,ID,...",
                       help="--human: every person judging this run, in one agreed order (new ones at the end): "
                            "conditions are then balanced within and across you")
    judge.add_argument("--every-condition", action="store_true",
                       help="--human: see every item in every condition yourself (judging alone); an item "
                            "seen again is not blind to what came before, and each judgment says so")
    judge.add_argument("--retry-failed", action="store_true",
                       help="--model: judge again the views whose call failed (the new judgment replaces the failure)")
    judge.add_argument("--allow-path", action="append", default=[], metavar="DIR",
                       help="also read the run's prompt files from this folder; repeatable")
    defer(judge, add_shorthand_flags)


SHORTHAND = "shorthand:"
"""Where a protocol's shorthand flag lands in the parsed arguments: SHORTHAND + the flag."""


def add_shorthand_flags(judge: argparse.ArgumentParser) -> None:
    """Every protocol's shorthands for `--bind ROLE=SPEC` (its `rejudge_flags`), each flag once
    with the protocols that declare it. A protocol that cannot be loaded adds none (judging
    one of its runs says why); a flag that clashes with one of ours is left out."""
    from oversight.protocol.registry import get_protocol, protocol_names  # lazy: only `judge` loads the protocols

    declared: dict[str, dict[str, list[str]]] = {}  # flag -> role -> protocols
    try:
        names = protocol_names()
    except UserError:
        return
    for name in names:
        try:
            flags = get_protocol(name).rejudge_flags
        except UserError:
            continue
        if not isinstance(flags, dict):  # a broken protocol costs its own shorthands only
            continue
        for flag, role in flags.items():
            if not isinstance(flag, str) or not isinstance(role, str):
                continue
            if flag.startswith("--") and len(flag) > 2:
                declared.setdefault(flag, {}).setdefault(role, []).append(name)
    for flag, roles in sorted(declared.items()):
        said = "; ".join(f"--bind {role}=SPEC ({', '.join(who)})" for role, who in sorted(roles.items()))
        try:
            judge.add_argument(flag, metavar="SPEC", dest=SHORTHAND + flag, help=f"shorthand for {said}")
        except argparse.ArgumentError:
            continue


def shorthand_flags(args: argparse.Namespace) -> dict[str, str]:
    """The protocol shorthand flags given, flag -> SPEC."""
    return {key[len(SHORTHAND):]: value for key, value in vars(args).items()
            if key.startswith(SHORTHAND) and value}


def command(args: argparse.Namespace) -> int:
    if args.judge_id is not None:
        args.judge_id = judge_id_from(args.judge_id, HUMAN_ID if args.human else
                                      "--judge-id: give a name, or leave the option out (the model names the judge)")
    if args.judges is not None and not args.human:
        raise UserError("--judges goes with --human (it lists the people who share the judging; a model judges "
                        "every view)")
    if args.every_condition and not args.human:
        raise UserError("--every-condition goes with --human (a model judges every view anyway)")
    if args.model:
        return _judge_model(args)
    if args.retry_failed:
        raise UserError("--retry-failed: only with --model SPEC (a person's judgments never fail as calls do)")
    if args.human:
        return _judge_human(args)
    raise UserError("oversight judge: give --model SPEC (a model judges) or --human --judge-id NAME (you judge)")


def _judge_model(args: argparse.Namespace) -> int:
    """Re-judge with a model, then recompute metrics and show judges side by side with their agreement."""
    from oversight.protocol.shapes import open_folder

    if args.human:
        raise UserError("oversight judge: give --model SPEC or --human, not both")
    for flag, value in (("--concurrency", args.concurrency), ("--max-connections", args.max_connections)):
        if value is not None and value < 1:
            raise UserError(f"{flag} {value}: give a positive number")
    folder = open_folder(Path(args.run_dir), warn=warn)
    with folder.lock("judging"):  # two model judges planning the same views would both pay for them
        try:
            return _judge_model_locked(args, folder)
        except OSError as exc:  # a full disk or a folder made read-only: judgments so far are kept
            raise UserError(write_failure(exc, folder.path)) from None


def _judge_model_locked(args: argparse.Namespace, folder) -> int:  # type: ignore[no-untyped-def]
    from oversight.cli.progress import RichProgress
    from oversight.judging.rejudge import JudgeOptions, estimate, execute_judging, plan_judging
    from oversight.report.build import draw_figures, run_metrics
    from oversight.report.outputs import figure_lines
    from oversight.report.summary import print_summary

    options = JudgeOptions(
        model=args.model, kind=args.judge_kind, prompts=args.prompt, conditions=args.condition, limit=args.limit,
        swap=args.swap, sets=args.set, judge_id=args.judge_id, binds=args.bind,
        flags=shorthand_flags(args), concurrency=args.concurrency,
        max_connections=args.max_connections, cache=not args.no_cache, retry_failed=args.retry_failed,
    )
    p = plan_judging(folder, options)
    done = p.selected - len(p.tasks)
    retried = f" ({p.retried} of them failed before and are retried)" if p.retried else ""
    console.print(line(f"judge {p.judge_id}: {len(p.tasks)} views to judge{retried}, {done} already judged"),
                  highlight=False, soft_wrap=True)
    if args.dry_run:
        from oversight.models.spec import parse_spec
        from oversight.runs.walltime import wall_line

        rows = estimate(p)
        specs = {role: parse_spec(spec) for role, spec in {p.role: p.options.model, **p.binds}.items()}
        print_estimate(f"Dry run: judge {p.judge_id} ({count(len(p.tasks), 'view')} to judge, no model called)", rows,
                       wall_line(rows, specs, p.options.concurrency or p.exp.concurrency))
        return 0
    try:
        result = asyncio.run(execute_judging(p, observer=RichProgress(console)))
    except KeyboardInterrupt:
        err_console.print(line(f"interrupted: judgments so far are saved in {folder.path}; run the same command "
                               f"again to continue (it skips what judge {p.judge_id} already judged)"),
                          highlight=False, soft_wrap=True)
        raise Interrupted from None
    metrics = run_metrics(folder)
    folder.write_metrics(metrics)
    spent = {role: u.model_dump() for role, u in sorted(result.spent_by_role.items())}
    print_summary(console, folder.path, metrics, extra_usage=(f"Usage of this judging ({p.judge_id})", spent))
    for shown in figure_lines(draw_figures(folder.path, metrics, p.exp.protocol, warn=warn)):  # as the new metrics say
        console.print(line(shown), highlight=False, soft_wrap=True)
    cost = "n/a" if result.spent.cost_usd is None else f"${result.spent.cost_usd:.4f}"
    # our own words, no path: wrapped at the terminal's width between words
    console.print(f"judged {result.judged} views now: {result.spent.input_tokens:,} input and "
                  f"{result.spent.output_tokens:,} output tokens spent (cache hits count nothing), cost {cost}",
                  highlight=False)
    for shown, (reason, views) in enumerate(sorted(result.hook_failures.items(), key=lambda kv: (-kv[1], kv[0]))):
        if shown == MAX_HOOK_LINES:
            err_console.print(line(f"... and {len(result.hook_failures) - shown} other hook failures: each failed "
                                   "judgment's reason in judgments.jsonl names its own"), highlight=False, soft_wrap=True)
            break
        err_console.print(line(f"{reason}, on {count(views, 'view')}: recorded as failed judgments with "
                               "this reason (counted in 'fail', never scored)"), highlight=False, soft_wrap=True)
    if result.failed or p.failed_before:
        err_console.print(f"{result.failed} judge calls failed now ({p.failed_before} earlier, not retried); each is a "
                          "failed judgment (failed: true, with its reason), counted in 'fail' and left out of the "
                          "scores; run the same command with --retry-failed to judge them again",
                          highlight=False)
    return 1 if result.failed or p.failed_before else 0


def _judge_human(args: argparse.Namespace) -> int:
    from oversight.protocol.shapes import open_folder
    from oversight.tui.judge_app import JudgeApp
    from oversight.tui.judgelock import check_id, check_writable, claim_rank, judge_lock, same_person
    from oversight.tui.session import JudgeSession

    if not args.judge_id:
        raise UserError(HUMAN_ID)
    judge_id = args.judge_id
    roster = None
    if args.judges is not None:
        roster = [unicodedata.normalize("NFC", j.strip()) for j in args.judges.split(",") if j.strip()]
        if not roster or len({same_person(j) for j in roster}) != len(roster):
            raise UserError(f"--judges {args.judges}: list each judge id once (ids differing only in case are one "
                            "person), separated by commas")
        judge_id = next((j for j in roster if same_person(j) == same_person(judge_id)), judge_id)
    folder = open_folder(Path(args.run_dir), warn=warn)
    check_writable(folder)
    with judge_lock(folder, judge_id):
        check_id(folder, judge_id)
        session = claim_rank(folder, judge_id, lambda busy: JudgeSession.open(
            folder, judge_id, roster, busy, every_condition=args.every_condition))
        app = JudgeApp(session)
        app.run()
    if app.failure:
        details = f" (details in {folder.path / 'errors.log'})" if "internal error" in app.failure else ""
        err_console.print(line(f"oversight judge: {app.failure}{details}"), highlight=False, soft_wrap=True)
        return 1
    console.print(line(session.summary()), highlight=False, soft_wrap=True)
    console.print(line(session.plan_summary()), highlight=False)  # wrapped at word boundaries
    return 0
