"""`oversight report RUN_DIR...`: recompute metrics from what is on disk, write metrics.json,
and set several runs side by side (e.g. the points of a sweep)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from oversight.config import validate_params
from oversight.protocol import get_protocol
from oversight.runfolder import read_run, write_metrics
from oversight.summary import compute_metrics, print_summary, rows_table


def report(run_dirs: list[Path], console: Console) -> list[dict[str, Any]]:
    combined: list[dict[str, Any]] = []
    all_metrics = []
    for run_dir in run_dirs:
        exp, meta = read_run(run_dir)
        protocol = get_protocol(exp.protocol)
        params = validate_params(protocol.Params, exp.params, str(run_dir / "experiment.yaml"))
        metrics = compute_metrics(protocol, params, run_dir, n_units=meta.get("units_planned"))
        write_metrics(run_dir, metrics)
        all_metrics.append(metrics)
        if len(run_dirs) == 1:
            print_summary(console, run_dir, metrics)
        for row in metrics.get("table") or []:
            combined.append({"run": run_dir.name, **row})
    if len(run_dirs) > 1:
        console.print(rows_table("Runs side by side", combined))
    return all_metrics
