"""Figures across runs: headline estimates side by side, and the figures of each protocol's
cross-run analysis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from oversight.figures import interval_plot, n_note, save
from oversight.report.sidebyside import headline, run_label

from oversight.protocol.reporting import CrossRunResult
from oversight.report.crossrun import RunReport


def _is_difference(row: dict[str, Any] | None, metric: str) -> bool:
    """A row the protocol marks as a difference (`difference: true`), or one named "X - Y"."""
    return bool((row or {}).get("difference")) or " - " in metric


def side_by_side_figures(runs: list[RunReport]) -> list[tuple[str, Figure]]:
    """One figure of the runs' proportions and one of their differences (x: run / sweep point)."""
    labels = [run_label(r.name, r.sweep_point).replace(", ", "\n") for r in runs]
    rows = [{row["metric"]: row for row in headline(r.metrics)} for r in runs]
    metrics: list[str] = []
    for by_metric in rows:
        metrics.extend(m for m in by_metric if m not in metrics)
    figures = []
    for stem, wanted, ylim, ref in (("compare_estimates", False, (0.0, 1.0), None),
                                    ("compare_differences", True, (-1.0, 1.0), 0.0)):
        kinds = {m: any(_is_difference(by_metric.get(m), m) for by_metric in rows) for m in metrics}
        chosen = [m for m in metrics if kinds[m] == wanted]
        if not chosen:
            continue
        series = {m: [by_metric.get(m) for by_metric in rows] for m in chosen}
        flat = {f"{lbl}/{m}": by_metric.get(m) for lbl, by_metric in zip(labels, rows) for m in chosen}
        values = [v for r in flat.values() if r for v in [r.get("estimate"), *(r.get("ci") or [])] if v is not None]
        if values and (min(values) < ylim[0] or max(values) > ylim[1]):
            ylim = None  # type: ignore[assignment]
        protocol = runs[0].metrics.get("protocol")
        title = f"{protocol}: {'differences' if wanted else 'estimates'} across {len(runs)} runs"
        figures.append((stem, interval_plot(title, labels, series, ylabel="" if len(series) == 1 else "estimate", ylim=ylim,
                                            note=n_note(flat, "units"), reference=ref)))
    return figures


def compare_plots(runs: list[RunReport], cross: dict[str, CrossRunResult | None], out: Path) -> list[Path]:
    """The side-by-side figures, then each protocol's cross-run figures, saved into `out`."""
    paths: list[Path] = []
    for stem, fig in side_by_side_figures(runs):
        paths += save(fig, out, stem)
    for result in cross.values():
        for stem, fig in result.figures if result else []:
            paths += save(fig, out, stem)
    return paths
