"""metrics.json and the tables printed after a run or by `oversight report`."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from oversight.models.types import Usage
from oversight.protocol import Protocol
from oversight.transcripts import load_judgments, load_transcripts


def run_usage(transcripts: list[dict[str, Any]]) -> dict[str, Usage]:
    by_role: dict[str, Usage] = {}
    for t in transcripts:
        for role, usage in (t.get("usage_by_role") or {}).items():
            by_role[role] = by_role.get(role, Usage()) + Usage.model_validate(usage)
    return by_role


def compute_metrics(protocol: Protocol, params: Any, run_dir: Path, *, n_units: int | None = None) -> dict[str, Any]:
    transcripts = load_transcripts(run_dir)
    judgments = load_judgments(run_dir, transcripts)
    ok = [t for t in transcripts if not t.get("error")]
    # Protocols see failed transcripts too (to count them per condition); judgments only
    # belong to finished ones, since the runner writes none for a failed unit.
    metrics = protocol.metrics(transcripts, judgments, params)
    by_role = run_usage(transcripts)
    total = sum(by_role.values(), Usage())
    metrics["run"] = {
        "run_id": run_dir.name,
        "units_planned": n_units,
        "units_finished": len(transcripts),
        "units_failed": len(transcripts) - len(ok),
        "judgments": len(judgments),
        "usage_by_role": {r: u.model_dump() for r, u in sorted(by_role.items())},
        "usage": total.model_dump(),
    }
    return metrics


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.3f}"
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
        return f"[{_cell(float(value[0]))}, {_cell(float(value[1]))}]"
    return "n/a" if value is None else str(value)


def rows_table(title: str, rows: list[dict[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    for column in columns:
        table.add_column(column, justify="left" if column in ("condition", "metric", "run", "role", "order") else "right")
    for row in rows:
        table.add_row(*(_cell(row[c]) if c in row else "" for c in columns))
    return table


def print_summary(console: Console, run_dir: Path, metrics: dict[str, Any]) -> None:
    console.print(rows_table(f"Results: {run_dir.name}", metrics.get("table") or []))
    run = metrics.get("run", {})
    usage_rows = [
        {"role": role, "input tokens": u["input_tokens"], "output tokens": u["output_tokens"],
         "cost USD": "n/a" if u.get("cost_usd") is None else f"{u['cost_usd']:.4f}"}
        for role, u in (run.get("usage_by_role") or {}).items()
    ]
    if usage_rows:
        console.print(rows_table("Usage", usage_rows))
    console.print(
        f"units: {run.get('units_finished', 0)} finished, {run.get('units_failed', 0)} failed"
        + (f" (of {run['units_planned']})" if run.get("units_planned") is not None else "")
    )
    console.print(f"run folder: [bold]{run_dir}[/]", soft_wrap=True, highlight=False)
