"""Interval plots: estimates with their 95% intervals, grouped, and the caption saying n and method."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from oversight.figures.kit import caption, errbar, method_name, new_figure

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


def n_note(records: dict[str, dict[str, Any] | None], unit: str, clusters: str = "clusters") -> str:
    """"n = ..." per group (once if all equal), the clusters the interval treats as independent
    where they differ from n, and the interval methods actually used, all read from the records
    (metrics.json), for a caption. Records without an estimate are left out; an interval that
    was not given is named with its reason."""
    recs = {g: r for g, r in records.items() if r and r.get("estimate") is not None}
    if not recs:
        return "no estimates."

    def count(r: dict[str, Any]) -> str:
        c = r.get("clusters")
        return f"{r.get('n')}" + (f" in {c} {clusters}" if c is not None and c != r.get("n") else "")

    counts = {g: count(r) for g, r in recs.items()}
    if len(set(counts.values())) == 1:
        first = next(iter(recs.values()))
        c = first.get("clusters")
        ns = f"n = {first.get('n')} {unit}" + (f" in {c} {clusters}" if c is not None and c != first.get("n") else "")
        ns += " per estimate" if len(recs) > 1 else ""
    else:
        ns = f"n ({unit}): " + ", ".join(f"{g} {n}" for g, n in counts.items())
    methods = sorted({method_name(r.get("ci_method")) for r in recs.values() if r.get("ci_method")})
    missing = sorted({str(r.get("ci_reason")).split(":", 1)[0] for r in recs.values()
                      if r.get("ci") is None and r.get("ci_reason")})
    text = f"{ns}. 95% CI: {'; '.join(methods) or 'none'}."
    if missing:
        text += f" No interval where {', '.join(missing)}."
    return text


__all__ = ["interval_plot", "n_note"]
