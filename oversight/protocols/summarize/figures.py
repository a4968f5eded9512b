"""Summarization figures: mean ratings per level of the summary tree (and the root), per strategy,
from the run's first judge (`metrics["strategies"][s]["judges"][j]["ratings"][stage][scale]`)."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from oversight.figures import PlotContext, interval_plot, n_note


def _is_record(value: Any) -> bool:
    return isinstance(value, dict) and {"estimate", "ci", "ci_method"} <= set(value)


def ratings_by_level(metrics: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """{"<strategy> <stage>": {scale: record}} for the first judge of each strategy."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    strategies = metrics.get("strategies") or {}
    for strategy, block in strategies.items():
        judges = block.get("judges") or {}
        if not judges:
            continue
        ratings = judges[sorted(judges)[0]].get("ratings") or {}
        for stage, scales in ratings.items():
            recs = {dim: rec for dim, rec in scales.items() if _is_record(rec)}
            if recs:
                out[f"{strategy} {stage}" if len(strategies) > 1 else stage] = recs
    return out


def drawn_judges(metrics: dict[str, Any]) -> list[str]:
    """The judges `ratings_by_level` reads (each strategy's first), for the figure's title."""
    firsts = [sorted(b.get("judges"))[0] for b in (metrics.get("strategies") or {}).values() if b.get("judges")]
    return list(dict.fromkeys(firsts))


def summarize_plots(metrics: dict[str, Any], ctx: PlotContext) -> list[tuple[str, Figure]]:
    levels = ratings_by_level(metrics)
    if not levels:
        return []
    dims = sorted({d for recs in levels.values() for d in recs})
    series = {d: [levels[lvl].get(d) for lvl in levels] for d in dims}
    flat = {f"{lvl}/{d}": rec for lvl, recs in levels.items() for d, rec in recs.items()}
    values = [v for r in flat.values() for v in [r.get("estimate"), *(r.get("ci") or [])] if v is not None]
    top = 7.0 if not values or max(values) > 1 else 1.0
    note = n_note(flat, "ratings") if any(r.get("estimate") is not None for r in flat.values()) else ""
    gaps = not_drawn(levels, dims)
    if gaps:
        note = " ".join(filter(None, (note, f"Not drawn: {'; '.join(gaps)}.")))
    judges = drawn_judges(metrics)
    named = f"\njudge{'s' if len(judges) > 1 else ''}: {', '.join(judges)}" if judges else ""
    fig = interval_plot(f"Summary ratings per level - {ctx.run}{named}", list(levels), series,
                        ylabel="mean rating", ylim=(1.0 if top == 7.0 else 0.0, top), note=note)
    return [("summarize_ratings", fig)]


def not_drawn(levels: dict[str, dict[str, dict[str, Any]]], dims: list[str]) -> list[str]:
    """The scales (or the scales at some levels) with no valid rating, with the invalid ones
    counted: a series missing from the figure is said, never silently absent."""
    out = []
    for d in dims:
        recs = {lvl: levels[lvl].get(d) or {} for lvl in levels}
        empty = [lvl for lvl, r in recs.items() if r.get("estimate") is None]
        invalid = sum(int(recs[lvl].get("invalid") or 0) for lvl in empty)
        why = f"no valid rating ({invalid} invalid)" if invalid else "no valid rating"
        if len(empty) == len(recs):
            out.append(f"{d}, {why}")
        elif empty:
            out.append(f"{d} at {', '.join(empty)}, {why}")
    return out
