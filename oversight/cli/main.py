"""`oversight` command line. Exit codes: 0 done, 1 finished with failed items, 2 bad input."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import warnings
import threading
from typing import Any
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from oversight.core.errors import RunWriteError, UserError, write_failure
from oversight.cli import judge as cli_judge
from oversight.cli.console import Halted, Interrupted, console, err_console, print_estimate, warn
from oversight.core.safe_text import clean, line

ALLOW_HELP = ("also read prompt and task files from this folder (besides the experiment's own folder and the "
              "shipped tasks); repeatable")


class _Parser(argparse.ArgumentParser):
    """argparse echoes what was typed (unknown options, bad choices): shown with controls inert."""

    def _print_message(self, message: str, file: Any = None) -> None:
        super()._print_message(clean(message), file)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="oversight", description="Scalable-oversight experiments.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run an experiment (or resume one) and write a run folder")
    run.add_argument("experiment", nargs="?", help="experiment YAML file")
    run.add_argument("--resume", metavar="RUN_DIR", help="finish an interrupted run")
    run.add_argument("--retry-failed", action="store_true", help="with --resume: run failed items again")
    run.add_argument("--limit", type=int, help="use only the first N items")
    run.add_argument("--model", action="append", default=[], metavar="ROLE=SPEC", help="bind a role to a model")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a field (dotted)")
    run.add_argument("--runs-dir", default="runs", help="where run folders go (default: runs)")
    run.add_argument("--dry-run", action="store_true", help="estimate calls, tokens and cost; call no model")
    run.add_argument("--allow-path", action="append", default=[], metavar="DIR", help=ALLOW_HELP)

    validate = sub.add_parser("validate", help="check an experiment file and its task without calling a model")
    validate.add_argument("experiment")
    validate.add_argument("--model", action="append", default=[], metavar="ROLE=SPEC")
    validate.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    validate.add_argument("--allow-path", action="append", default=[], metavar="DIR", help=ALLOW_HELP)

    imp = sub.add_parser("import", help="a run folder from published transcripts (formats: each protocol's, e.g. nyu-debate)")
    imp.add_argument("format", metavar="FORMAT")
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--runs-dir", default="runs", help="where run folders go (default: runs)")

    cli_judge.add_parser(sub)

    report = sub.add_parser("report", help="metrics with confidence intervals for one or more runs")
    report.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    report.add_argument("--format", default="table", choices=["table", "json", "csv", "markdown"],
                        help="how the report is printed (default: table)")
    report.add_argument("--out", metavar="DIR", help="also write the report and the cross-run figures here")

    export = sub.add_parser("export", help="a run for other tools: Inspect's log viewer, pandas, R")
    export.add_argument("run_dir", metavar="RUN_DIR")
    export.add_argument("--format", required=True, choices=["inspect", "jsonl", "csv"])
    export.add_argument("--out", metavar="DIR", help="where the files go (default: RUN_DIR/exports)")

    review = sub.add_parser("review", help="browse a run's transcripts, verdicts and metrics (terminal UI)")
    review.add_argument("run_dir", metavar="RUN_DIR")
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
    """Library warnings (e.g. a cache write that failed) as one line, never a traceback."""
    warn(str(message))


def main(argv: list[str] | None = None) -> int:
    from oversight.core import keyguard

    from oversight.core import safe_paths

    keyguard.refresh()  # the key variables this command must never send or store
    warnings.showwarning = _show_warning
    args = _parser().parse_args(argv)
    safe_paths.set_allowed(getattr(args, "allow_path", []))
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "validate":
            return _validate(args)
        if args.command == "report":
            return _report(args)
        if args.command == "import":
            return _import(args)
        if args.command == "review":
            return _review(args)
        if args.command == "judge":
            return cli_judge.command(args)
        if args.command == "export":
            return _export(args)
    except UserError as exc:
        err_console.print(line(("error:", "red"), " ", str(exc)), highlight=False, soft_wrap=True)
        return 2
    except KeyboardInterrupt as exc:
        if not isinstance(exc, Interrupted):
            err_console.print("interrupted")
        return 130
    except Halted:
        return 1
    except RecursionError:  # the readers refuse deep nesting with a message naming the file; this is the last line
        err_console.print("[red]error:[/] an input is nested too deeply to read (a config, task, transcript or "
                          "judgment file edited by hand?); fix the file", highlight=False, soft_wrap=True)
        return 2
    return 0


def _experiments(path_text: str, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from oversight.config.experiment import apply_overrides, expand_sweep, read_yaml, validate_experiment

    path = Path(path_text)
    data = apply_overrides(read_yaml(path), args.set, args.model, getattr(args, "limit", None))
    for config, point in expand_sweep(data, str(path)):
        yield validate_experiment(config, str(path)), point, path


def _validate(args: argparse.Namespace) -> int:
    from oversight.models.pool import ModelPool
    from oversight.models.spec import redact_url
    from oversight.runs.pins import describe_prompts
    from oversight.runs.runner import check_models, plan

    for exp, point, path in _experiments(args.experiment, args):
        p = plan(exp, source=str(path), base_dir=path.parent)
        check_models(p, ModelPool(cache=None))  # keys and model files, as a run would need
        label = f" ({', '.join(f'{k}={redact_url(str(v))}' for k, v in point.items())})" if point else ""
        console.print(line(
            f"ok: {path}{label}: protocol {exp.protocol}, {p.n_items} items, {len(p.units)} units, "
            f"roles {', '.join(f'{r}={redact_url(exp.models[r])}' for r in sorted(p.roles))}"),
            highlight=False,
            soft_wrap=True,
        )
        for described in describe_prompts(p):  # nothing is read unseen (a prompt path may point anywhere)
            console.print(line(f"  {described}"), highlight=False, soft_wrap=True)
        for warning in p.prompts.prefix_warnings(p.protocol.shared_prefix_for(p.params), p.protocol.same_per_item):
            console.print(line(f"  warning: {warning}"), highlight=False, soft_wrap=True)
    return 0


def _run(args: argparse.Namespace) -> int:
    from oversight.models.pool import ModelPool
    from oversight.runs.runner import check_models, check_storage, open_run_folder, plan

    if args.resume:
        extra = [flag for flag, given in (("--limit", args.limit is not None), ("--model", args.model),
                                          ("--dry-run", args.dry_run),
                                          ("--runs-dir", args.runs_dir != "runs"), ("EXPERIMENT", args.experiment))
                 if given]
        if extra:
            raise UserError(f"--resume finishes a run exactly as it was configured: drop {', '.join(extra)} "
                            f"(only --set max_cost_usd=... may change)")
        return _resume(args)
    if not args.experiment:
        raise UserError("give an experiment file (e.g. protocols/debate.yaml) or --resume RUN_DIR")
    if args.retry_failed:
        raise UserError("--retry-failed goes with --resume RUN_DIR")
    # Check every sweep point (config, task, prompts, keys) before the first call of the first.
    plans = [(plan(exp, source=str(path), base_dir=path.parent), point) for exp, point, path in _experiments(args.experiment, args)]
    if args.dry_run:
        for p, _ in plans:
            _dry_run(p)
        return 0
    for p, _ in plans:
        check_models(p, ModelPool(cache=None))
        check_storage(p, Path(args.runs_dir))
    status = 0
    for p, point in plans:
        folder = open_run_folder(p, runs_dir=Path(args.runs_dir), sweep_point=point, warn=warn)
        console.print(line(f"run folder: {folder.path}  ({len(p.units)} units from {p.n_items} items)"),
                      highlight=False, soft_wrap=True)
        result = _execute(p, folder)
        status = max(status, _status(result))
    return status


def _execute(p, folder, *, retry_failed: bool = False):  # type: ignore[no-untyped-def]
    """Run to the end with a progress bar; on Ctrl-C say where the finished units are and how to go on."""
    from oversight.cli.progress import RichProgress
    from oversight.runs.runner import execute
    from oversight.report.tables import print_summary

    hint = f"finished units are saved in {folder.path}; continue with: oversight run --resume {folder.path}"
    try:
        with sigterm_as_interrupt():
            result = asyncio.run(execute(p, folder=folder, observer=RichProgress(console), retry_failed=retry_failed))
    except KeyboardInterrupt:
        err_console.print(line(f"interrupted: {hint}"), highlight=False, soft_wrap=True)
        raise Interrupted from None
    except RunWriteError as exc:
        err_console.print(line(("error:", "red"), f" {exc}; {hint}"), highlight=False, soft_wrap=True)
        raise Halted from None
    if result.skipped:
        console.print(f"resumed: {result.skipped} units already done, {result.ran} run now")
    if result.replayed:
        units = "unit" if result.replayed == 1 else "units"
        console.print(f"replayed: {result.replayed} unchanged {units} from the unit memo (no graph run, no call)")
    print_summary(console, folder.path, result.metrics)
    if result.stopped:
        left = len(p.units) - result.skipped - result.ran
        err_console.print(line(("stopped:", "red"), f" {result.stopped}; {left} units not started; continue with: "
                               f"oversight run --resume {folder.path} --set max_cost_usd=AMOUNT"),
                          highlight=False, soft_wrap=True)
    return result


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a scheduler, `kill`) stops a run the way Ctrl-C does: units in flight are
    cancelled, finished ones are kept, and the resume hint is printed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: signal.raise_signal(signal.SIGINT))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _status(result) -> int:  # type: ignore[no-untyped-def]
    """1 when units failed or were left unstarted (the budget), else 0."""
    return 1 if result.metrics["run"]["units_failed"] or result.stopped else 0


def _resume(args: argparse.Namespace) -> int:
    from oversight.log.runfolder import RunFolder
    from oversight.runs.runner import plan_resume

    folder = RunFolder.open(Path(args.resume), warn=warn)
    p = plan_resume(folder)
    if args.set:  # a new budget is the one change a resumed run accepts
        from oversight.config.experiment import resume_overrides

        p.exp = resume_overrides(p.exp, args.set, str(folder.path / "experiment.yaml"))
    result = _execute(p, folder, retry_failed=args.retry_failed)
    return _status(result)


def _dry_run(p) -> None:  # type: ignore[no-untyped-def]
    from oversight.runs.dryrun import run_estimate

    print_estimate(f"Dry run: {p.exp.name} ({len(p.units)} units, no model called)", run_estimate(p))


def _import(args: argparse.Namespace) -> int:
    from oversight.protocol.importing import import_file, import_summary
    from oversight.report.build import report
    from oversight.log.runfolder import RunFolder

    path = import_file(args.format, Path(args.file), Path(args.runs_dir))
    summary = import_summary(RunFolder.open(path).experiment()[1])
    if summary:
        console.print(line(summary), highlight=False, soft_wrap=True)
    report([path], console, warn=warn)
    return 0


def _report(args: argparse.Namespace) -> int:
    from oversight.report.build import report

    with _out_errors(args.out):
        report([Path(d) for d in args.run_dirs], console, fmt=args.format,
               out=Path(args.out) if args.out else None, warn=warn)
    return 0


def _export(args: argparse.Namespace) -> int:
    from oversight.exports import export

    with _out_errors(args.out):
        paths = export(Path(args.run_dir), args.format, Path(args.out) if args.out else None, warn=warn)
    for path in paths:
        console.print(line(f"wrote {path}"), highlight=False, soft_wrap=True)
    return 0


@contextmanager
def _out_errors(out: str | None) -> Iterator[None]:
    """A file that cannot be written (a full disk, a read-only or missing --out) is one line
    naming that file, exit 2; writers leave no partial file behind."""
    try:
        yield
    except OSError as exc:
        inside = out is not None and exc.filename is not None and Path(exc.filename).is_relative_to(out)
        label = f"--out {exc.filename}" if inside else None
        raise UserError(write_failure(exc, f"--out {out}" if out else "output folder", label)) from None


def _review(args: argparse.Namespace) -> int:
    from oversight.log.runfolder import RunFolder
    from oversight.tui.review import ReviewApp

    ReviewApp(RunFolder.open(Path(args.run_dir), warn=warn)).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
