"""`oversight report RUN_DIR...`: recompute metrics from what is on disk, write metrics.json,
and set several runs side by side (e.g. the points of a sweep)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from oversight.config import validate_params
from oversight.jsonl import Warn
from oversight.protocol import get_protocol
from oversight.results import compute_metrics
from oversight.runfolder import RunFolder
from oversight.tables import print_summary, rows_table


def run_metrics(folder: RunFolder) -> dict[str, Any]:
    """metrics.json recomputed from the folder's files alone."""
    exp, meta = folder.experiment()
    protocol = get_protocol(exp.protocol)
    params = validate_params(protocol.Params, exp.params, str(folder.path / "experiment.yaml"))
    return compute_metrics(protocol, params, folder, n_units=meta.get("units_planned"))


def report(run_dirs: list[Path], console: Console, *, warn: Warn | None = None) -> list[dict[str, Any]]:
    combined: list[dict[str, Any]] = []
    all_metrics = []
    for run_dir in run_dirs:
        folder = RunFolder.open(run_dir, warn=warn)
        metrics = run_metrics(folder)
        folder.write_metrics(metrics)
        all_metrics.append(metrics)
        if len(run_dirs) == 1:
            print_summary(console, run_dir, metrics)
        for row in metrics.get("table") or []:
            combined.append({"run": run_dir.name, **row})
    if len(run_dirs) > 1:
        console.print(rows_table("Runs side by side", combined))
    return all_metrics
