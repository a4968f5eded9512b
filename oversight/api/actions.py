"""`oversight.run(...)` and `oversight.judge(...)`: what `oversight run` and `oversight judge
--model` do, called from Python, through the same planning and execution functions.

Both are synchronous for notebooks: inside a running event loop (Jupyter) the work runs on a
worker thread with its own loop, so the caller's loop is never re-entered.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import re
from collections.abc import Callable, Coroutine, Iterable
from pathlib import Path
from typing import Any, TypeVar

from oversight.api.records import Run, open_run, warn
from oversight.cli.progress import RichProgress
from oversight.config.experiment import Experiment, check_size, read_yaml, validate_experiment
from oversight.config.overrides import expand_sweep, override
from oversight.core import safe_paths
from oversight.core.errors import RunWriteError, UserError, write_failure
from oversight.core.safe_text import SafeConsole
from oversight.core.safe_text import judge_id as safe_judge_id
from oversight.core.words import count
from oversight.judging.rejudge import JudgeOptions, execute_judging, plan_judging
from oversight.protocol.shapes import open_folder
from oversight.models.pool import ModelPool
from oversight.report.build import draw_figures, run_metrics
from oversight.runs.runner import RunObserver, check_models, check_storage, execute, open_run_folder, plan

T = TypeVar("T")


def run_sync(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to the end from synchronous code, whether or not a loop is running here.

    In a worker thread, an interrupt of the waiting caller (Ctrl-C, a notebook's stop button)
    cancels the work there and waits for it to wind down, as Ctrl-C does in the shell: units in
    flight are cancelled, finished ones are on disk, the lock is released; then it is re-raised."""
    try:
        asyncio.get_running_loop()
        running = True
    except RuntimeError:
        running = False
    if not running:  # outside the except: a failure of the work must not read as caused by "no running loop"
        return asyncio.run(make())
    loop = asyncio.new_event_loop()
    task = loop.create_task(make())  # made before the thread starts, so an interrupt can always cancel it

    def work() -> T:
        try:
            return loop.run_until_complete(task)
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="oversight") as pool:
        future = pool.submit(work)
        try:
            return future.result()
        except KeyboardInterrupt:
            try:
                loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:  # the loop closed meanwhile: the work had finished
                pass
            concurrent.futures.wait([future])
            raise


PYTHON_NAMES = {
    "--judge-kind": "judge_kind=", "--judge-id": "judge_id=", "--model": "model=", "--limit": "limit=",
    "--set": "settings", "--prompt": "prompts", "--condition": "conditions", "--bind": "binds",
    "--concurrency": "concurrency=", "--max-connections": "max_connections=",
    "--no-swap": "swap=False", "--no-cache": "cache=False", "--retry-failed": "retry_failed=True",
}
"""The judging plan's messages name the command line's options; `oversight.judge` takes these."""
_OPTION = re.compile(r"(?<![\w-])(" + "|".join(sorted(map(re.escape, PYTHON_NAMES), key=len, reverse=True))
                     + r")(?![\w-])( (?=\S))?")


def python_spelling(message: str) -> str:
    """A message as `oversight.judge`'s caller would write it: `model=SPEC`, `settings temperature`,
    `cache=False`. A protocol's shorthand flags keep their names: `flags=` takes them so."""
    def named(m: re.Match[str]) -> str:
        name = PYTHON_NAMES[m.group(1)]
        if name.endswith("="):  # model=SPEC; a keyword named alone (`limit: ...`) has no '='
            return name if m.group(2) else name[:-1]
        return name + (m.group(2) or "")  # cache=False said
    return _OPTION.sub(named, message)


def _names(value: str | Path | Iterable[str | Path]) -> list[str]:
    """One name or several: `prompts="judge.txt"` is one file, not a list of characters."""
    return [str(value)] if isinstance(value, (str, Path)) else [str(v) for v in value]


def _flatten(overrides: dict[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """`{"params": {"rounds": 1}}` as `("params.rounds", 1)`: a nested dict sets the keys it
    names and keeps the others, as several `--set` would; an empty dict is set as it is."""
    for key, value in overrides.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            yield from _flatten(value, f"{dotted}.")
        else:
            yield dotted, value


def _config(experiment: Experiment | str | Path, overrides: dict[str, Any]) -> tuple[dict[str, Any], str, Path]:
    """The experiment's settings with the overrides applied, where it came from, and the folder
    its relative paths are read from."""
    if isinstance(experiment, Experiment):
        data = experiment.model_dump(mode="json", exclude_unset=True)
        source, base_dir = f"experiment {experiment.name!r}", Path.cwd()
    elif isinstance(experiment, (str, Path)):
        path = Path(experiment)
        data, source, base_dir = read_yaml(path), str(path), path.parent
    else:
        raise UserError(f"oversight.run: expected an Experiment or a YAML path, got {type(experiment).__name__}")
    for key, value in _flatten(overrides):
        check_size(value, f"override {key}")
        override(data, key, value, "override", warn)
    return data, source, base_dir


class _Quiet(RunObserver):
    """No progress bar (progress=False)."""


def _observer(progress: bool) -> RunObserver:
    return RichProgress(SafeConsole(stderr=True)) if progress else _Quiet()


def sweep(experiment: Experiment | str | Path, *, runs_dir: str | Path = "runs", progress: bool = True,
          allow_paths: str | Path | Iterable[str | Path] = (), **overrides: Any) -> list[Run]:
    """Every point of the experiment's sweep, one run folder each (one Run without a sweep)."""
    safe_paths.set_allowed(_names(allow_paths))
    data, source, base_dir = _config(experiment, overrides)
    # Every point is checked (config, task, prompts, keys, storage) before the first call.
    plans = [(plan(validate_experiment(config, source), source=source, base_dir=base_dir), point)
             for config, point in expand_sweep(data, source)]
    for p, _ in plans:
        check_models(p, ModelPool(cache=None))
        check_storage(p, Path(runs_dir))
    runs = []
    for p, point in plans:
        folder = open_run_folder(p, runs_dir=Path(runs_dir), sweep_point=point, warn=warn)
        try:
            result = run_sync(lambda: execute(p, folder=folder, observer=_observer(progress)))  # noqa: B023 (at once)
        except RunWriteError as exc:
            raise UserError(f"{exc}; finished units are saved; continue with: oversight run --resume "
                            f"{folder.path}") from None
        draw_figures(folder.path, result.metrics, p.exp.protocol, warn=warn)  # as `oversight run` draws them
        runs.append(open_run(folder.path))
    return runs


def run(experiment: Experiment | str | Path, *, runs_dir: str | Path = "runs", progress: bool = True,
        allow_paths: str | Path | Iterable[str | Path] = (), **overrides: Any) -> Run:
    """Run an experiment (an Experiment or a YAML path) into a new run folder and open it.

    Overrides are the CLI's `--set`: dotted keys (`**{"params.rounds": 1}`) or nested dicts
    (`params={"rounds": 1}`), values as Python values. An experiment with a sweep is refused:
    `oversight.sweep` runs every point."""
    data, source, _ = _config(experiment, overrides)
    if data.get("sweep"):
        raise UserError(f"{source}: sweep: this experiment has a sweep; oversight.sweep(...) runs every point "
                        f"(a list of Runs), or override sweep={{}} to run it once")
    return sweep(experiment, runs_dir=runs_dir, progress=progress, allow_paths=allow_paths, **overrides)[0]


def judge(run_or_path: Run | str | Path, *, model: str, judge_kind: str | None = None, judge_id: str | None = None,
          prompts: str | Path | Iterable[str | Path] = (), conditions: str | Iterable[str] = (),
          limit: int | None = None,
          swap: bool | None = None, settings: dict[str, Any] | None = None, binds: dict[str, str] | None = None,
          flags: dict[str, str] | None = None, concurrency: int | None = None, max_connections: int | None = None,
          cache: bool = True, retry_failed: bool = False, progress: bool = True,
          allow_paths: str | Path | Iterable[str | Path] = ()) -> Run:
    """Judge a run's finished transcripts again with `model`, as `oversight judge RUN --model`
    does (same options, same judgment lines, metrics.json recomputed); returns the reopened run.

    `settings` are generation settings over the run's judge block (`{"temperature": 0}`);
    `binds` the models for roles the protocol's verdict calls (`{ROLE: SPEC}`); `flags` the
    protocol's shorthands for them as on the command line (its `rejudge_flags`, `{FLAG: SPEC}`)."""
    if judge_id is not None:
        judge_id = safe_judge_id(judge_id, field="judge_id",
                                 missing="judge_id: give a name, or leave it out (the model names the judge)")
    if judge_kind not in (None, "model", "logprob"):
        raise UserError(f"judge_kind {judge_kind!r}: use 'model' or 'logprob'")
    for name, value in (("concurrency", concurrency), ("max_connections", max_connections)):
        if value is not None and value < 1:
            raise UserError(f"{name} {value}: give a positive number")
    safe_paths.set_allowed(_names(allow_paths))
    path = run_or_path.path if isinstance(run_or_path, Run) else Path(run_or_path)
    options = JudgeOptions(
        model=model, kind=judge_kind, prompts=_names(prompts), conditions=_names(conditions), limit=limit,
        swap=swap,
        sets=[f"{k}={json.dumps(v)}" for k, v in (settings or {}).items()], judge_id=judge_id,
        binds=[f"{role}={spec}" for role, spec in (binds or {}).items()],
        flags=dict(flags or {}), concurrency=concurrency, max_connections=max_connections,
        cache=cache, retry_failed=retry_failed, spelling="api",
    )
    folder = open_folder(path, warn=warn)
    with folder.lock("judging"):  # two model judges planning the same views would both pay for them
        try:
            p = plan_judging(folder, options)
            result = run_sync(lambda: execute_judging(p, observer=_observer(progress)))
            metrics = run_metrics(folder)
            folder.write_metrics(metrics)
        except OSError as exc:  # a full disk or a folder made read-only: judgments so far are kept
            raise UserError(write_failure(exc, folder.path)) from None
        except UserError as exc:
            raise UserError(python_spelling(str(exc))) from None
    draw_figures(folder.path, metrics, p.exp.protocol, warn=warn)  # the figures as the new metrics say
    for reason, views in sorted(result.hook_failures.items()):  # said once, as the command line says it
        warn(f"{reason}, on {count(views, 'view')}: recorded as failed judgments with this reason "
             "(counted in 'fail', never scored)")
    return open_run(folder.path)
