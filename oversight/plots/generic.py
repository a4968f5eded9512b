"""Interval plots shared by protocols: estimates with their 95% intervals, grouped."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from oversight.plots import PlotContext, caption, errbar, method_name, new_figure
from oversight.sidebyside import headline

Series = list[tuple[str, dict[str, list[dict[str, Any] | None]]]]


def interval_plot(title: str, groups: list[str], series: dict[str, list[dict[str, Any] | None]], *,
                  ylabel: str, note: str, ylim: tuple[float, float] | None = (0.0, 1.0),
                  reference: float | None = None, reference_label: str = "", xlabel: str = "") -> Figure:
    """Points with 95% interval bars: one x position per group, one marker per series."""
    fig, ax = new_figure(min(12.0, max(5.0, 1.0 * len(groups) + 2.5)), 4.2)
    x = np.arange(len(groups))
    width = 0.7 / max(1, len(series))
    markers = "osD^v<>"
    for k, (name, recs) in enumerate(series.items()):
        offset = (k - (len(series) - 1) / 2) * width
        pts = [(i, errbar(r)) for i, r in enumerate(recs)]
        pts = [(i, e) for i, e in pts if e is not None]
        if not pts:
            continue
        xs = [x[i] + offset for i, _ in pts]
        ys = [e[0] for _, e in pts]
        err = np.array([[e[1] for _, e in pts], [e[2] for _, e in pts]])
        bars = ax.errorbar(xs, ys, yerr=err, fmt=markers[k % len(markers)], capsize=3, label=name, markersize=6)
        for artist in bars.lines[0:1] + tuple(bars.lines[1]) + tuple(bars.lines[2]):
            artist.set_clip_on(False)  # a point at 0 or 1 stays whole
    if reference is not None:
        ax.axhline(reference, color="0.5", linestyle="--", linewidth=1, label=reference_label or None)
    crowded = len(groups) > 3 and max(len(line) for g in groups for line in g.splitlines()) > 12
    ax.set_xticks(x, groups, rotation=30 if crowded else 0, ha="right" if crowded else "center",
                  fontsize=8 if crowded else None)
    if len(series) == 1 and not ylabel:
        ylabel = next(iter(series))
    ax.set_ylabel(ylabel)
    if ylim:
        pad = 0.02 * (ylim[1] - ylim[0])
        ax.set_ylim(ylim[0] - pad, ylim[1] + pad)
    if xlabel:
        ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=11, loc="left")
    if len(series) > 1 or reference_label:
        ax.legend(fontsize=8, frameon=False, loc="best")
    caption(fig, note)
    return fig


def n_note(records: dict[str, dict[str, Any] | None], unit: str) -> str:
    """"n = ..." per group (once if all equal) and the interval methods used, for a caption."""
    counts = {g: r.get("clusters") or r.get("n") for g, r in records.items() if r}
    if len(set(counts.values())) == 1:
        ns = f"n = {next(iter(counts.values()))} {unit} per estimate"
    else:
        ns = f"n ({unit}): " + ", ".join(f"{g} {n}" for g, n in counts.items())
    methods = sorted({method_name(r.get("ci_method")) for r in records.values() if r})
    return f"{ns}. 95% CI: {'; '.join(methods)}."


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
