"""`oversight run EXPERIMENT` (and `--resume RUN_DIR`, `--dry-run`): transcripts on disk, with progress."""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from oversight.cli.console import Halted, Interrupted, console, err_console, print_estimate, warn
from oversight.cli.options import ALLOW_HELP, SWEEP_HELP, blame_flags, experiments
from oversight.core.errors import RunWriteError, UserError
from oversight.core.safe_text import line
from oversight.core.words import count

if TYPE_CHECKING:
    from oversight.report.crossrun import RunReport

T = TypeVar("T")


def add_parser(sub: Any) -> None:
    run = sub.add_parser("run", help="run an experiment (or resume one) and write a run folder")
    run.add_argument("experiment", nargs="?", help="experiment YAML file")
    run.add_argument("--resume", metavar="RUN_DIR", help="finish an interrupted run")
    run.add_argument("--retry-failed", action="store_true", help="with --resume: run failed items again")
    run.add_argument("--limit", type=int, help="use only the first N items")
    run.add_argument("--model", action="append", default=[], metavar="ROLE=SPEC", help="bind a role to a model")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a field (dotted)")
    run.add_argument("--sweep", action="append", default=[], metavar="KEY=V1,V2", help=SWEEP_HELP)
    run.add_argument("--runs-dir", default="runs", help="where run folders go (default: runs)")
    run.add_argument("--dry-run", action="store_true", help="estimate calls, tokens and cost; call no model")
    run.add_argument("--allow-path", action="append", default=[], metavar="DIR", help=ALLOW_HELP)


def command(args: argparse.Namespace) -> int:
    from oversight.models.pool import ModelPool
    from oversight.report.crossrun import RunReport
    from oversight.runs.plan import check_model_files
    from oversight.runs.runner import check_models, check_storage, open_run_folder, plan

    if args.resume:
        extra = [flag for flag, given in (("--limit", args.limit is not None), ("--model", args.model),
                                          ("--dry-run", args.dry_run), ("--sweep", args.sweep),
                                          ("--runs-dir", args.runs_dir != "runs"), ("EXPERIMENT", args.experiment))
                 if given]
        if extra:
            raise UserError(f"--resume finishes a run exactly as it was configured: drop {', '.join(extra)} "
                            f"(only --set max_cost_usd=... may change)")
        return _resume(args)
    if not args.experiment:
        raise UserError("give an experiment file (e.g. protocols/NAME.yaml) or --resume RUN_DIR")
    if args.retry_failed:
        raise UserError("--retry-failed goes with --resume RUN_DIR")
    # Check every sweep point (config, task, prompts, keys) before the first call of the first.
    with blame_flags(args.experiment, args):
        plans = [(plan(exp, source=str(path), base_dir=path.parent), point)
                 for exp, point, path in experiments(args.experiment, args)]
        if args.dry_run:
            for p, _ in plans:
                check_model_files(p)  # every point's before the first estimate
        else:
            for p, _ in plans:
                check_models(p, ModelPool(cache=None))
    if args.dry_run:
        for p, _ in plans:
            _dry_run(p)
        return 0
    for p, _ in plans:
        check_storage(p, Path(args.runs_dir))
    status = 0
    done = []
    for p, point in plans:
        folder = open_run_folder(p, runs_dir=Path(args.runs_dir), sweep_point=point, warn=warn)
        console.print(line(f"run folder: {folder.path}  ({count(len(p.units), 'unit')} from "
                           f"{count(p.n_items, 'item')})"), highlight=False, soft_wrap=True)
        result, plots = _execute(p, folder)
        done.append(RunReport(folder, result.metrics, dict(p.exp.models), dict(point), plots))
        status = max(status, _status(result))
    if len(done) > 1:
        _after_sweep(done)
    return status


def _after_sweep(runs: list[RunReport]) -> None:
    """A sweep ends with its runs side by side: the figure and the command for the tables."""
    from oversight.report.build import compare_figures
    from oversight.report.outputs import figure_lines, look_further

    try:
        paths = compare_figures(runs)
    except OSError as exc:
        warn(f"{exc.filename or 'figures across runs'}: could not write ({exc.strerror or exc}); "
             f"the sweep's side-by-side figures are not saved")
        paths = []
    console.print(f"sweep: {count(len(runs), 'run')} done", highlight=False)
    for shown in figure_lines(paths, across=True) + look_further([r.folder.path for r in runs]):
        console.print(line(shown), highlight=False, soft_wrap=True)


def _execute(p, folder, *, retry_failed: bool = False):  # type: ignore[no-untyped-def]
    """Run to the end with a progress bar, then the tables, figures and the commands that look
    further; on Ctrl-C say where the finished units are and how to go on. Returns the result and
    the figure files."""
    from oversight.cli.progress import RichProgress
    from oversight.runs.runner import execute
    from oversight.report.build import draw_figures, load_figures_behind
    from oversight.report.outputs import figure_lines, look_further
    from oversight.report.summary import print_summary

    hint = f"finished units are saved in {folder.path}; continue with: oversight run --resume {folder.path}"
    loading = load_figures_behind(p.exp.protocol)
    try:
        progress = RichProgress(console)
        result = run_stoppable(execute(p, folder=folder, observer=progress, retry_failed=retry_failed))
    except KeyboardInterrupt:
        err_console.print(line(f"interrupted: {hint}"), highlight=False, soft_wrap=True)
        raise Interrupted from None
    except RunWriteError as exc:
        err_console.print(line(("error:", "red"), f" {exc}; {hint}"), highlight=False, soft_wrap=True)
        raise Halted from None
    finally:
        loading.join()  # never leave an import half done at exit
    if result.skipped:
        console.print(f"resumed: {count(result.skipped, 'unit')} already done, {result.ran} run now")
    if progress.cached:
        console.print(line(f"{progress.cached} of {count(progress.calls, 'model call')} answered by the response "
                           f"cache (cache: true), so no model ran for them; --set cache=false calls the models again"),
                      highlight=False)
    if result.replayed:
        console.print(f"replayed: {count(result.replayed, 'unchanged unit')} from the unit memo (no graph run, no call)")
    print_summary(console, folder.path, result.metrics, p.exp.protocol)
    plots = draw_figures(folder.path, result.metrics, p.exp.protocol, warn=warn)
    for shown in figure_lines(plots) + look_further([folder.path]):
        console.print(line(shown), highlight=False, soft_wrap=True)
    if result.stopped:
        left = len(p.units) - result.skipped - result.ran
        err_console.print(line(("stopped:", "red"), f" {result.stopped}; {count(left, 'unit')} not started; continue with: "
                               f"oversight run --resume {folder.path} --set max_cost_usd=AMOUNT"),
                          highlight=False, soft_wrap=True)
    return result, plots


def run_stoppable(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run`, with SIGTERM (a scheduler, `kill`) stopping the run the way Ctrl-C does:
    the loop cancels the main task, so units in flight unwind through their own cleanup and
    finished ones are kept, then KeyboardInterrupt. A Python-level handler that raised at once
    would land in whatever callback the loop was running and leave tasks half cancelled."""
    terminated = False

    async def guarded() -> T:
        nonlocal terminated
        loop, task = asyncio.get_running_loop(), asyncio.current_task()
        assert task is not None

        def stop() -> None:
            nonlocal terminated
            terminated = True
            task.cancel()

        try:
            loop.add_signal_handler(signal.SIGTERM, stop)
            installed = True
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals here
            installed = False
        try:
            return await main
        finally:
            if installed:
                loop.remove_signal_handler(signal.SIGTERM)

    try:
        return asyncio.run(guarded())
    except asyncio.CancelledError:
        if terminated:
            raise KeyboardInterrupt from None
        raise


def _status(result) -> int:  # type: ignore[no-untyped-def]
    """1 when units failed or were left unstarted (the budget), else 0."""
    return 1 if result.metrics["run"]["units_failed"] or result.stopped else 0


def _resume(args: argparse.Namespace) -> int:
    from oversight.protocol.shapes import open_folder
    from oversight.runs.runner import plan_resume

    folder = open_folder(Path(args.resume), warn=warn)
    p = plan_resume(folder)
    if args.set:  # a new budget is the one change a resumed run accepts
        from oversight.config.overrides import resume_overrides

        p.exp = resume_overrides(p.exp, args.set, str(folder.path / "experiment.yaml"))
    result, _ = _execute(p, folder, retry_failed=args.retry_failed)
    return _status(result)


def _dry_run(p) -> None:  # type: ignore[no-untyped-def]
    from oversight.runs.dryrun import run_estimate
    from oversight.models.spec import parse_spec
    from oversight.runs.walltime import wall_line

    rows = run_estimate(p)
    wall = wall_line(rows, {str(r["role"]): parse_spec(p.exp.models[str(r["role"])]) for r in rows},
                     p.exp.concurrency, p.exp.batched)
    print_estimate(f"Dry run: {p.exp.name} ({count(len(p.units), 'unit')}, no model called)", rows, wall,
                   p.protocol.call_bounds(p.params))
