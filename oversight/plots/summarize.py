"""Summarization figures (hook): mean ratings per level of the summary tree.

The summarization protocol is written in parallel; this plotter reads `ratings_by_level(metrics)`,
the one place to adapt to its metrics: it must return {level: {dimension: estimate record}}
(records as in `oversight.stats`). By default it looks for `metrics["by_level"][level]["ratings"]`
or `metrics["by_level"][level]` holding such records.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from oversight.plots import PlotContext, register_plot
from oversight.plots.generic import interval_plot, n_note


def _is_record(value: Any) -> bool:
    return isinstance(value, dict) and {"estimate", "ci", "ci_method"} <= set(value)


def ratings_by_level(metrics: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for level, block in (metrics.get("by_level") or {}).items():
        ratings = block.get("ratings", block) if isinstance(block, dict) else {}
        recs = {dim: rec for dim, rec in ratings.items() if _is_record(rec)}
        if recs:
            out[str(level)] = recs
    return out


@register_plot("summarize")
def summarize_plots(metrics: dict[str, Any], ctx: PlotContext) -> list[tuple[str, Figure]]:
    levels = ratings_by_level(metrics)
    if not levels:
        return []
    dims = sorted({d for recs in levels.values() for d in recs})
    series = {d: [levels[lvl].get(d) for lvl in levels] for d in dims}
    flat = {f"{lvl}/{d}": rec for lvl, recs in levels.items() for d, rec in recs.items()}
    values = [v for r in flat.values() for v in [r.get("estimate"), *(r.get("ci") or [])] if v is not None]
    top = 7.0 if not values or max(values) > 1 else 1.0
    fig = interval_plot(f"Summary ratings per level - {ctx.run}", [f"level {lvl}" for lvl in levels], series,
                        ylabel="mean rating", ylim=(1.0 if top == 7.0 else 0.0, top), note=n_note(flat, "ratings"))
    return [("summarize_ratings", fig)]
