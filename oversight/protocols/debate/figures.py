"""Debate figures: judge accuracy per condition (order-averaged and each answer order) and
position bias (share of verdicts for the answer shown first), for each judge of the run."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from oversight.figures import PlotContext, interval_plot, n_note, slug
from oversight.protocols.debate.judging import ORDERS


def debate_plots(metrics: dict[str, Any], ctx: PlotContext) -> list[tuple[str, Figure]]:
    conditions = metrics.get("conditions") or {}
    judges = metrics.get("judges") or []
    figures: list[tuple[str, Figure]] = []
    for k, judge in enumerate(judges):
        by_c = {c: by_j[judge] for c, by_j in conditions.items() if judge in by_j}
        if not by_c:
            continue
        suffix = "" if k == 0 else f"_{slug(judge)}"
        groups = list(by_c)
        acc = {c: m["accuracy"] for c, m in by_c.items()}
        series = {f"{next(iter(by_c.values()))['accuracy_kind']}": list(acc.values())}
        by_order = {order: [m["accuracy_by_order"].get(order) for m in by_c.values()] for order in ORDERS}
        judged = {order: recs for order, recs in by_order.items() if any(recs)}
        if len(judged) > 1:  # with one order judged, its series would repeat the verdicts' own
            series.update({f"{order} order": recs for order, recs in judged.items()})
        note = n_note(acc, "verdicts", "transcripts")
        per_order = {f"{c} {o}": m["accuracy_by_order"].get(o) for c, m in by_c.items() for o in judged}
        if len(judged) > 1:
            order_note = n_note(per_order, "verdicts", "transcripts")
            note += " The same for each order." if order_note == note else " Per order: " + order_note
        note += _left_out_note(by_c)
        figures.append((f"debate_accuracy{suffix}", interval_plot(
            f"Judge accuracy per condition - {ctx.run}\njudge: {judge}", groups, series,
            ylabel="judge accuracy", note=note, reference=0.5, reference_label="chance")))
        bias = {c: m.get("chose_first_shown") for c, m in by_c.items()}
        if any(bias.values()):
            figures.append((f"debate_position_bias{suffix}", interval_plot(
                f"Position bias: verdicts for the answer shown first - {ctx.run}\njudge: {judge}", groups,
                {"chose first shown": list(bias.values())}, ylabel="share of valid verdicts",
                note=n_note(bias, "valid verdicts", "transcripts"), reference=0.5, reference_label="no bias")))
    return figures


def _left_out_note(by_c: dict[str, dict[str, Any]]) -> str:
    """What the points do not show: invalid verdicts inside them (scored as not correct), and
    conditions with no point at all, with the reason, so no condition disappears silently."""
    out = ""
    invalid = {c: (m.get("invalid") or 0, m.get("verdicts") or 0) for c, m in by_c.items() if m.get("invalid")}
    if invalid:
        out += " Invalid verdicts count as not correct: " + ", ".join(
            f"{c} {k} of {n}" for c, (k, n) in invalid.items()) + "."
    empty = [c for c, m in by_c.items() if (m.get("accuracy") or {}).get("estimate") is None]
    if empty:
        out += " No point for " + ", ".join(
            f"{c} ({m.get('verdicts') or 0} verdicts, {m.get('failed_transcripts') or 0} failed units)"
            for c, m in by_c.items() if c in empty) + "."
    return out
