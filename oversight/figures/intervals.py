"""Interval plots: estimates with their 95% intervals, grouped, and the caption saying n and method."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from oversight.core.words import count_of
from oversight.figures.kit import caption, errbar, fit_title, method_name, new_figure

Series = list[tuple[str, dict[str, list[dict[str, Any] | None]]]]


def interval_plot(title: str, groups: list[str], series: dict[str, list[dict[str, Any] | None]], *,
                  ylabel: str, note: str, ylim: tuple[float, float] | None = (0.0, 1.0),
                  reference: float | None = None, reference_label: str = "", xlabel: str = "") -> Figure:
    """Points with 95% interval bars: one x position per group, one marker per series beside the
    group's tick. The legend sits outside the axes (it never hides a point), the y range has a
    margin so points at its ends stay whole, and the title is wrapped to fit the figure."""
    fig, ax = new_figure(min(12.0, max(5.0, 1.0 * len(groups) + 2.5)), 4.2)
    x = np.arange(len(groups))
    drawn = {name: recs for name, recs in series.items() if any(errbar(r) is not None for r in recs)}
    width = min(0.7 / max(1, len(drawn)), 0.2)  # markers stay near their group's tick
    markers = "osD^v<>"
    for k, (name, recs) in enumerate(drawn.items()):
        offset = (k - (len(drawn) - 1) / 2) * width if len(drawn) > 1 else 0.0
        pts = [(i, e) for i, e in ((i, errbar(r)) for i, r in enumerate(recs)) if e is not None]
        xs = [x[i] + offset for i, _ in pts]
        ys = [e[0] for _, e in pts]
        err = np.array([[e[1] for _, e in pts], [e[2] for _, e in pts]])
        ax.errorbar(xs, ys, yerr=err, fmt=markers[k % len(markers)], capsize=3, label=name, markersize=6)
    if not drawn:  # an empty frame would read as a figure that failed to draw
        ax.text(0.5, 0.5, "no estimate to draw", transform=ax.transAxes, ha="center", va="center", color="0.4")
    if reference is not None:
        ax.axhline(reference, color="0.5", linestyle="--", linewidth=1, label=reference_label or None)
    ax.set_xticks(x, groups)
    ax.set_xlim(-0.5, len(groups) - 0.5)
    if _labels_overlap(fig, ax):  # long names (runs side by side) slant rather than run together
        ax.set_xticks(x, groups, rotation=30, ha="right", fontsize=8)
    if len(series) == 1 and not ylabel:
        ylabel = next(iter(series))
    ax.set_ylabel(ylabel)
    if ylim:
        pad = 0.06 * (ylim[1] - ylim[0])
        ax.set_ylim(ylim[0] - pad, ylim[1] + pad)
    else:
        ax.margins(y=0.08)
    if xlabel:
        ax.set_xlabel(xlabel)
    if len(series) > 1 and drawn or reference_label:
        ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    caption(fig, note)
    fit_title(fig, ax, title)
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
        return f"{r.get('n')}" + (f" in {count_of(c, clusters)}" if c is not None and c != r.get("n") else "")

    counts = {g: count(r) for g, r in recs.items()}
    if len(set(counts.values())) == 1:
        first = next(iter(recs.values()))
        c = first.get("clusters")
        ns = f"n = {count_of(first.get('n'), unit)}" + (f" in {count_of(c, clusters)}"
                                                         if c is not None and c != first.get("n") else "")
        ns += " per estimate" if len(recs) > 1 else ""
    else:
        ns = f"n ({unit}): " + "; ".join(f"{g}: {n}" for g, n in counts.items())
    methods = _methods(recs, clusters)
    missing = sorted({str(r.get("ci_reason")).split(":", 1)[0] for r in recs.values()
                      if r.get("ci") is None and r.get("ci_reason")})
    text = f"{ns}. 95% CI: {methods or 'none'}."
    if missing:
        text += f" No interval where {', '.join(missing)}."
    return text


def _methods(recs: dict[str, dict[str, Any]], clusters: str) -> str:
    """The interval methods used, and where each was used when there are several: by the rule
    the counts show (a cluster-adjusted method exactly where n is counted in clusters), else by
    naming the groups of every method but the commonest."""
    by_group = {g: method_name(r.get("ci_method")) for g, r in recs.items() if r.get("ci_method")}
    names = sorted(set(by_group.values()))
    if len(names) < 2:
        return "; ".join(names)
    grouped = {g for g, r in recs.items() if r.get("clusters") is not None and r.get("clusters") != r.get("n")}
    inside = {by_group[g] for g in grouped if g in by_group}
    outside = {m for g, m in by_group.items() if g not in grouped}
    if len(inside) == 1 and len(outside) == 1 and inside != outside:
        return f"{inside.pop()} where n is counted in {clusters}; {outside.pop()} elsewhere"
    order = sorted(names, key=lambda m: -sum(v == m for v in by_group.values()))
    return "; ".join([*(f"{m} for {', '.join(g for g, v in by_group.items() if v == m)}" for m in order[1:]),
                      f"{order[0]} elsewhere"])


__all__ = ["interval_plot", "n_note"]


def _labels_overlap(fig: Figure, ax: Axes) -> bool:
    """Whether the widest tick label would come near its neighbours' (at about 0.6 em a character
    of 10 pt), judged from sizes alone so the figure is not drawn twice."""
    lines = [line for t in ax.get_xticklabels() for line in t.get_text().splitlines()]
    if len(ax.get_xticklabels()) < 2 or not lines:
        return False
    slot = fig.get_figwidth() * ax.get_position().width / len(ax.get_xticklabels())  # inches per group
    return max(map(len, lines)) * 0.6 * 10 / 72 > 0.85 * slot
