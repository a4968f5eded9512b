"""Critique figures: recall per condition and severity, and the uplift critiques give, each
with its interval, for each judge (or the pooled block) of the run."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from oversight.figures import PlotContext, interval_plot, n_note, slug


def critique_plots(metrics: dict[str, Any], ctx: PlotContext) -> list[tuple[str, Figure]]:
    figures: list[tuple[str, Figure]] = []
    for k, (judge, block) in enumerate((metrics.get("by_judge") or {}).items()):
        suffix = "" if k == 0 else f"_{slug(judge)}"
        parts = {"all": block, **(block.get("by_severity") or {})}
        conditions = sorted({c for p in parts.values() for c in p.get("recall") or {}})
        series = {c: [p.get("recall", {}).get(c) for p in parts.values()] for c in conditions}
        flat, shared = _counts(parts, conditions)
        unit = "gold flaws in each condition" if shared else "gold flaws"  # equal counts, not known the same flaws
        recall = {f"{_severity(s)} {c}": r for c, recs in series.items() for s, r in zip(parts, recs)}
        figures.append((f"critique_recall{suffix}", interval_plot(
            f"Flaw recall per condition and severity - {ctx.run}\njudge: {judge}", list(parts), series,
            ylabel="recall of gold flaws", note=n_note(flat, unit, "items") + _not_drawn(recall),
            xlabel="flaw severity (1 minor to 4 critical)")))
        uplift = {_severity(s): p.get("uplift") for s, p in parts.items()}
        if any(uplift.values()):
            figures.append((f"critique_uplift{suffix}", interval_plot(
                f"Uplift: assisted minus unassisted recall - {ctx.run}\njudge: {judge}", list(parts),
                {"uplift": list(uplift.values())}, ylabel="recall difference", ylim=(-1.0, 1.0),
                note=n_note(uplift, "paired items") + _not_drawn(uplift), reference=0.0, reference_label="no uplift",
                xlabel="flaw severity (1 minor to 4 critical)")))
    return figures


def _counts(parts: dict[str, Any], conditions: list[str]) -> tuple[dict[str, Any], bool]:
    """The recall records a caption counts: one per severity when at every severity each
    condition has the same n (the same items and flaws, as a paired design has), else one per
    severity and condition; and whether they were shared."""
    per_condition = {f"{_severity(s)} {c}": (p.get("recall") or {}).get(c) for s, p in parts.items() for c in conditions}
    shared: dict[str, Any] = {}
    for s, p in parts.items():
        recs = [(p.get("recall") or {}).get(c) for c in conditions]
        drawn = [r for r in recs if r and r.get("estimate") is not None]
        if not drawn or len(drawn) < len(recs) or len({(r.get("n"), r.get("clusters")) for r in drawn}) > 1:
            return per_condition, False
        shared[_severity(s)] = drawn[0]
    return shared, True


def _not_drawn(records: dict[str, Any]) -> str:
    """The groups with no point, so none disappears from a figure unsaid: a severity with no
    gold flaw in a condition, or no item judged in both conditions."""
    gaps = [g for g, r in records.items() if not (r and r.get("estimate") is not None)]
    return f" Not drawn (no estimate): {', '.join(gaps)}." if gaps else ""


def _severity(part: str) -> str:
    """A caption's name for a part: "severity 2" rather than a bare "2" beside its count."""
    return "all severities" if part == "all" else f"severity {part}"
