"""The headline plot for a protocol that draws no figures of its own."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from oversight.figures import PlotContext, interval_plot, n_note
from oversight.report.sidebyside import headline


def headline_plot(metrics: dict[str, Any], ctx: PlotContext) -> list[tuple[str, Figure]]:
    """Any protocol: its headline estimates with their intervals."""
    rows = headline(metrics)
    if not rows:
        return []
    recs = {r["metric"]: r for r in rows}
    values = [v for r in rows for v in [r.get("estimate"), *(r.get("ci") or [])] if v is not None]
    ylim = (0.0, 1.0) if values and min(values) >= 0 and max(values) <= 1 else None
    fig = interval_plot(f"{metrics.get('protocol')}: headline estimates - {ctx.run}", list(recs),
                        {"estimate": list(recs.values())}, ylabel="estimate", ylim=ylim, note=n_note(recs, "units"))
    return [("headline", fig)]
