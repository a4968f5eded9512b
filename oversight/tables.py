"""The tables printed after a run and by `oversight report` (rendering only; no numbers made here)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


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
    left_out = {k: v for k, v in (run.get("judgments_left_out") or {}).items() if v}
    if left_out:
        console.print("judgments left out: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in left_out.items()))
    console.print(
        f"units: {run.get('units_finished', 0)} finished, {run.get('units_failed', 0)} failed"
        + (f" (of {run['units_planned']})" if run.get("units_planned") is not None else "")
    )
    console.print(f"run folder: [bold]{run_dir}[/]", soft_wrap=True, highlight=False)
