"""Figures across runs: headline estimates side by side, and a debate tournament's
"persuasiveness vs judge accuracy" (Khan et al. 2024: judge accuracy in self-play against the
debater's Elo)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from matplotlib.figure import Figure

from oversight.figures import caption, errbar, interval_plot, method_name, n_note, new_figure, save
from oversight.report.sidebyside import headline, run_label

if TYPE_CHECKING:
    from oversight.report.build import RunReport


def _is_difference(metric: str) -> bool:
    return " - " in metric or metric.startswith("uplift")


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
        chosen = [m for m in metrics if _is_difference(m) == wanted]
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


def persuasiveness_figure(tour: dict[str, Any]) -> Figure | None:
    """Judge accuracy in each debater's self-play against its Elo, with both intervals."""
    points = [(m, tour["elo"].get(m), tour["self_play_accuracy"].get(m)) for m in tour["players"]]
    points = [(m, e, a) for m, e, a in points if e and a]
    if not points:
        return None
    fig, ax = new_figure(6.0, 4.2)
    for model, elo, acc in points:
        ex, ey = errbar(elo), errbar(acc)
        assert ex is not None and ey is not None
        ax.errorbar([ex[0]], [ey[0]], xerr=[[ex[1]], [ex[2]]], yerr=[[ey[1]], [ey[2]]], fmt="o", capsize=3)
        ax.annotate(model, (ex[0], ey[0]), textcoords="offset points", xytext=(6, 6), fontsize=8)
    ax.axhline(0.5, color="0.5", linestyle="--", linewidth=1)
    ax.set_xlabel("debater Elo (relative to the mean debater)")
    ax.set_ylabel("judge accuracy in self-play")
    ax.set_ylim(-0.02, 1.1)
    ax.margins(x=0.15)
    ax.set_title(f"Persuasiveness vs judge accuracy\njudge: {tour['counts']['judge']}", fontsize=11, loc="left")
    acc_methods = sorted({method_name(a.get("ci_method")) for _, _, a in points})
    caption(fig, f"{tour['games']} games on {tour['items']} items; Elo 95% CI: {method_name(tour['elo'][points[0][0]]['ci_method'])}"
                 f" ({tour['bootstrap']['resamples']} resamples); accuracy 95% CI: {'; '.join(acc_methods)}; "
                 f"n = {', '.join(str(a['n']) for _, _, a in points)} self-play transcripts")
    return fig


def compare_plots(runs: list[RunReport], tour: dict[str, Any] | None, out: Path) -> list[Path]:
    paths: list[Path] = []
    for stem, fig in side_by_side_figures(runs):
        paths += save(fig, out, stem)
    if tour:
        fig = persuasiveness_figure(tour)
        if fig is not None:
            paths += save(fig, out, "tournament_persuasiveness")
    return paths
