"""`oversight judge-live`: a person judges debates as they are spoken (model speakers, the
person as the interactive judge in the terminal UI). Quitting at a decision leaves the unit
paused; the same command on the run folder resumes it exactly there."""

from __future__ import annotations

import argparse
import shlex
import asyncio
from pathlib import Path
from typing import Any

from oversight.cli.console import console, warn
from oversight.cli.options import judge_id_from
from oversight.core.errors import UserError
from oversight.core.safe_text import line
from oversight.core.words import count


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    live = sub.add_parser("judge-live", help="judge debates live yourself: model speakers, you ask and decide")
    live.add_argument("target", metavar="EXPERIMENT.yaml|RUN_DIR",
                      help="an experiment to start, or the run folder of one to resume")
    live.add_argument("--judge-id", required=True, metavar="NAME", help="who is judging (your judgments' id)")
    live.add_argument("--runs-dir", default="runs", help="where the new run folder goes (default: runs)")
    live.add_argument("--limit", type=int, help="only the first N items")
    live.add_argument("--allow-path", action="append", default=[], metavar="DIR",
                      help="also read prompt files from this folder; repeatable")


def command(args: argparse.Namespace, ask: Any = None, show: Any = None) -> int:
    """`ask`: shows the person one pause and returns their answer (None: they quit); `show`:
    gets each progress payload (a speech as soon as it is spoken); default: the terminal UI
    for both."""
    from oversight.protocol.shapes import open_folder  # lazy: keeps `oversight --help` fast
    from oversight.models.pool import ModelPool
    from oversight.runs.runner import check_models, check_storage, open_run_folder, plan, plan_resume

    judge_id = judge_id_from(args.judge_id, "--judge-id: give your name or initials")
    target = Path(args.target)
    if target.is_dir():
        if args.limit is not None:
            raise UserError("--limit: a resumed run keeps the units it started with; drop --limit")
        folder = open_folder(target, warn=warn)
        p = plan_resume(folder)
        refuse(p)
    else:
        from oversight.cli.options import blame_flags, experiments

        args.set, args.model = [], []
        with blame_flags(args.target, args):
            plans = [(plan(exp, source=str(path), base_dir=path.parent), point)
                     for exp, point, path in experiments(args.target, args)]
        if len(plans) != 1:
            raise UserError(f"{target}: a sweep cannot be judged live; pick one point of it")
        p, point = plans[0]
        refuse(p)
        check_models(p, ModelPool(cache=None))
        check_storage(p, Path(args.runs_dir))
        live = p.protocol.live_conditions(p.params)
        per_judge = len({u.item_id for u in p.units if u.condition in live})  # one condition per item each
        folder = open_run_folder(p, runs_dir=Path(args.runs_dir), sweep_point=point, warn=warn,
                                 meta={"live_units_per_judge": per_judge})
    units = live_units(p, folder.run_id, judge_id)
    console.print(line(f"run folder: {folder.path}  ({count(len(units), 'unit')} to judge live)"), highlight=False,
                  soft_wrap=True)

    async def sitting(ask: Any, show: Any) -> tuple[int, str]:
        return await _judge(p, folder, units, judge_id, ask, show)

    if ask is None:
        from oversight.tui.live_app import run_live  # lazy: loads Textual only here

        result = run_live(p.protocol, judge_id, folder.log_error, sitting)
    else:
        result = asyncio.run(sitting(ask, show))
    code, said = result if result is not None else (0, paused_line(folder.path, judge_id))
    console.print(said, highlight=False, soft_wrap=True, markup=False)
    return code


def paused_line(run: Path, judge_id: str) -> str:
    """Where to go on, the command on a line of its own: a terminal wraps a long line mid-word,
    and a command copied from one line pastes whole."""
    return "paused; " + again(run, judge_id, "go on")


def again(run: Path, judge_id: str, what: str) -> str:
    """'to WHAT, run:' and the command on its own line."""
    # an id starting with '-' is read as an option unless it is joined to its flag
    flag = f"--judge-id={shlex.quote(judge_id)}" if judge_id.startswith("-") else f"--judge-id {shlex.quote(judge_id)}"
    return f"to {what}, run:\n  oversight judge-live {shlex.quote(str(run))} {flag}"


def refuse(p: Any) -> None:
    """One line for an experiment that cannot be judged live; a note for conditions left out."""
    problem = p.protocol.live_problem(p.params)
    if problem:
        raise UserError(f"{p.source}: {problem}")
    left = [c for c in dict.fromkeys(u.condition for u in p.units) if c not in p.protocol.live_conditions(p.params)]
    if left:
        warn(f"conditions {', '.join(left)} have no speeches to judge live: left out")


def live_units(p: Any, run_id: str, judge_id: str) -> list[Any]:
    """One condition per item, as `judge --human` deals them (tui/assign), among the live ones."""
    from oversight.tui.assign import assign, item_order

    live = p.protocol.live_conditions(p.params)
    units = [u for u in p.units if u.condition in live]
    conditions = [c for c in dict.fromkeys(u.condition for u in units)]
    order = item_order(run_id, dict.fromkeys(u.item_id for u in units))
    dealt = assign(order, conditions, 0)
    return sorted((u for u in units if dealt.get(u.item_id) == u.condition), key=lambda u: order.index(u.item_id))


async def _judge(p: Any, folder: Any, units: list[Any], judge_id: str, ask: Any, show: Any) -> tuple[int, str]:
    """Judge the units in turn; (exit code, what to say once the screen is closed)."""
    from oversight.models.cache import ResponseCache
    from oversight.models.pool import ModelPool
    from oversight.runs.live import run_live_unit
    from oversight.runs.runner import make_context

    done = {t["id"] for t in folder.iter_transcripts() if not t.get("error")}
    pool = ModelPool(cache=ResponseCache() if p.exp.cache else None, retry=p.exp.retry,
                     max_connections=p.exp.max_connections, seed=p.exp.seed)
    ctx = make_context(p, pool, folder)
    judged = failed = 0
    try:
        with folder.lock("live judging"):
            for unit in units:
                if unit.id in done:
                    continue
                transcript = await run_live_unit(p, ctx, unit, folder, judge_id, ask, show)
                if transcript is None:
                    return 0, paused_line(folder.path, judge_id)
                failed += transcript.error is not None
                judged += transcript.error is None
            from oversight.report.results import compute_metrics

            folder.write_metrics(compute_metrics(p.protocol, p.params, folder, n_units=len(p.units),
                                                 planned={u.id for u in p.units}))
    finally:
        await pool.aclose()
    from oversight.report.outputs import look_further

    said = f"judged {count(judged, 'unit')} live; " + (
        f"{count(failed, 'unit')} failed (each transcript's error says why); {again(folder.path, judge_id, 'retry')}"
        if failed else "every unit of yours is judged")
    said += f"\nmetrics.json in {folder.path}"
    return 1 if failed else 0, "\n".join([said, *look_further([folder.path])])


__all__ = ["add_parser", "command", "live_units", "refuse"]
