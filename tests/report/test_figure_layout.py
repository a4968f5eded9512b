"""Every figure the protocols' drawers and the report make, drawn as a paper prints it: titles
whole and inside the figure (long run names too), every text inside the figure, markers and
interval bars inside the axes, and the legend over no marker or bar. Metrics: the pinned
golden runs, hand-built runs with awkward values (0 and 1, one condition, a person beside the
model judge), a summary tree with empty levels, the NYU import's fixture and a cross-play sweep."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pytest
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from oversight.core.jsonl import append_line
from oversight.figures import PlotContext
from oversight.log.runfolder import RunFolder
from oversight.protocol.importing import import_file
from oversight.report.build import load_run, run_metrics
from oversight.report.crossrun import cross_run_results
from oversight.report.plots import drawer_for
from oversight.report.plots.compare import side_by_side_figures
from tests.helpers.report_runs import crossplay_runs, debate_run

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LONG_RUN = "20261202T133136Z-debate-stories-with-a-long-experiment-name-copied-from-protocols"
TOLERANCE = 1.0  # pixels


def _inside(box: Bbox, outer: Bbox) -> bool:
    return (box.x0 >= outer.x0 - TOLERANCE and box.y0 >= outer.y0 - TOLERANCE
            and box.x1 <= outer.x1 + TOLERANCE and box.y1 <= outer.y1 + TOLERANCE)


def _marker_boxes(ax: Any) -> list[Bbox]:
    """A box around each drawn marker (interval caps are markers too)."""
    boxes = []
    for line in ax.get_lines():
        if line.get_marker() in (None, "None", "", " ") or not line.get_visible():
            continue
        radius = (line.get_markersize() / 2 + line.get_markeredgewidth()) * ax.figure.dpi / 72
        for x, y in line.get_transform().transform(line.get_xydata()):
            boxes.append(Bbox([[x - radius, y - radius], [x + radius, y + radius]]))
    return boxes


def _bar_boxes(ax: Any) -> list[Bbox]:
    """A box around each interval bar."""
    boxes = []
    for coll in ax.collections:
        if isinstance(coll, LineCollection):
            for seg in coll.get_segments():
                pts = coll.get_transform().transform(seg)
                boxes.append(Bbox([pts.min(axis=0), pts.max(axis=0)]))
    return boxes


def _visible_tick_labels(ax: Any) -> list[Text]:
    labels = []
    for axis, (lo, hi) in ((ax.xaxis, sorted(ax.get_xlim())), (ax.yaxis, sorted(ax.get_ylim()))):
        for tick in axis.get_major_ticks():
            if lo - 1e-9 <= tick.get_loc() <= hi + 1e-9 and tick.label1.get_visible() and tick.label1.get_text():
                labels.append(tick.label1)
    return labels


def _ticks_collide(ax: Any, renderer: Any) -> bool:
    """Neighbouring x tick labels touch: level ones when their boxes overlap, slanted ones (whose
    boxes overlap by design) when the distance across their parallel lines is less than a line."""
    ticks = sorted((t for t in _visible_tick_labels(ax) if t in ax.xaxis.get_ticklabels()),
                   key=lambda t: t.get_window_extent(renderer).x0)
    for a, b in zip(ticks, ticks[1:]):
        angle = math.radians(a.get_rotation())
        if angle == 0:
            if a.get_window_extent(renderer).overlaps(b.get_window_extent(renderer)):
                return True
            continue
        step = b.get_window_extent(renderer).x1 - a.get_window_extent(renderer).x1  # the anchors' spacing
        line = a.get_fontsize() * ax.figure.dpi / 72 * max(1, len(a.get_text().splitlines()))
        if step * math.sin(angle) < line:
            return True
    return False


def layout_problems(fig: Figure, run: str) -> list[str]:
    """What a reader would see cut off or hidden, one line each."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    page = fig.bbox
    problems = []
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()
             and not any(t is tick.label1 or t is tick.label2 for ax in fig.axes
                         for axis in (ax.xaxis, ax.yaxis) for tick in axis.get_major_ticks() + axis.get_minor_ticks())]
    for ax in fig.axes:
        texts += _visible_tick_labels(ax)
    for t in texts:
        if not _inside(t.get_window_extent(renderer), page):
            problems.append(f"text cut off: {t.get_text()[:60]!r}")
    for ax in fig.axes:
        title = ax.get_title(loc="left") or ax.get_title()
        squeezed = re.sub(r"\s", "", title)
        if not title or (ax is fig.axes[0] and run not in squeezed and "across" not in title and "vs" not in title):
            problems.append(f"title lost the run name: {title!r}")
        frame = ax.get_window_extent(renderer)
        markers, bars = _marker_boxes(ax), _bar_boxes(ax)
        for box in markers + bars:
            if not _inside(box, frame):
                problems.append(f"marker or bar outside the axes at {box.bounds}")
        if _ticks_collide(ax, renderer):
            problems.append("x tick labels run into each other")
        legend = ax.get_legend()
        if legend is not None:
            lbox = legend.get_window_extent(renderer)
            if not _inside(lbox, page):
                problems.append("legend outside the figure")
            if any(lbox.overlaps(box) for box in markers + bars):
                problems.append("legend covers a marker or an interval bar")
    return problems


def _check(figures: list[tuple[str, Figure]], run: str) -> None:
    assert figures
    try:
        for stem, fig in figures:
            assert layout_problems(fig, run) == [], stem
    finally:
        for _, fig in figures:
            plt.close(fig)


def _draw(metrics: dict[str, Any], run: str = LONG_RUN) -> list[tuple[str, Figure]]:
    return drawer_for(metrics)(metrics, PlotContext(run=run))


@pytest.mark.parametrize("name", ["golden_debate_1.json", "golden_debate_2.json", "golden_critique_1.json",
                                  "golden_critique_2.json"])
def test_golden_metrics_figures_fit(name: str) -> None:
    metrics = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    _check(_draw(metrics), LONG_RUN)


def _extreme_debate(root: Path) -> Path:
    """Every judge right (1.0) or wrong (0.0) in one answer order: markers at both ends; a person
    judged two transcripts in one order."""
    correct = {f"i{k}": 0 for k in range(4)}
    verdicts = {f"i{k}:{c}": [("original", 0.9), ("swapped", 0.1)]
                for k in range(4) for c in ("debate", "consultancy", "blind", "expert")}
    run = debate_run(root, "20261202T133136Z-debate-demo", verdicts=verdicts, correct=correct)
    for n, tid in enumerate(("i0:debate", "i1:debate")):
        append_line(run / "judgments.jsonl", {
            "schema": "oversight.judgment/1", "transcript_id": tid, "judge": {"kind": "human", "id": "me"},
            "condition": "debate", "order": "original", "shown_order": [0, 1], "answer_index": 0, "correct": True,
            "p_correct": 0.7, "invalid": False, "raw": "A 70", "attempt": None, "id": f"h{n}"})
    return run


def test_debate_figures_with_points_at_0_and_1_and_a_person_fit(tmp_path: Path) -> None:
    metrics = run_metrics(RunFolder.open(_extreme_debate(tmp_path)))
    figures = _draw(metrics)
    assert {stem for stem, _ in figures} >= {"debate_accuracy", "debate_accuracy_human_me"}
    _check(figures, LONG_RUN)


def _rating(estimate: float, ci: list[float]) -> dict[str, Any]:
    return {"estimate": estimate, "ci": ci, "ci_method": "wilson-bounded over rated nodes", "n": 5}


def test_summary_ratings_at_the_scale_ends_and_an_unrated_level_fit() -> None:
    ratings = {"level 0": {"faithfulness": _rating(1.0, [1.0, 2.5]), "coverage": _rating(7.0, [5.5, 7.0])},
               "level 1": {},
               "root": {"coverage": _rating(1.0, [1.0, 5.761])}}
    metrics = {"protocol": "summarize", "strategies": {s: {"judges": {"model:m": {"ratings": ratings}}}
                                                       for s in ("hierarchical", "incremental")}}
    figures = _draw(metrics, "20261203T114235Z-summarize-demo")
    [(_, fig)] = figures
    ax = fig.axes[0]
    # each marker sits within a third of a slot of its level's tick, not at the axes' edge
    ticks = ax.get_xticks()
    for line in ax.get_lines():
        for x in line.get_xdata():
            assert min(abs(x - t) for t in ticks) <= 0.34
    _check(figures, "20261203T114235Z-summarize-demo")


def test_headline_plot_of_an_unknown_protocol_fits() -> None:
    metrics = {"protocol": "other", "accuracy": {"estimate": 1.0, "ci": [0.7, 1.0], "ci_method": "wilson", "n": 9},
               "floor": {"estimate": 0.0, "ci": [0.0, 0.3], "ci_method": "wilson", "n": 9}}
    _check(_draw(metrics), LONG_RUN)


def test_nyu_import_figures_fit(tmp_path: Path) -> None:
    run = import_file("nyu-debate", FIXTURES / "nyu_debate_small.jsonl", tmp_path / "runs")
    metrics = run_metrics(RunFolder.open(run))
    figures = _draw(metrics, run.name)
    for _, fig in figures:  # one condition, one answer order: the marker is on its tick
        ax = fig.axes[0]
        for line in ax.get_lines():
            if len(line.get_xdata()) == 1 and line.get_marker() not in ("_", "None"):
                assert abs(line.get_xdata()[0] - ax.get_xticks()[0]) < 0.2
    _check(figures, run.name)


def test_side_by_side_and_tournament_figures_fit(tmp_path: Path) -> None:
    runs = [load_run(p, plots=False) for p in crossplay_runs(tmp_path, {"scripted:weak": -0.6,
                                                                        "scripted:strong": 0.6}, n_items=10)]
    figures = side_by_side_figures(runs)
    result = cross_run_results(runs)["tournament"]
    assert result is not None
    figures += result.figures
    _check(figures, "")


def test_the_checker_sees_a_cut_title_and_a_legend_over_the_points() -> None:
    fig = plt.figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.errorbar([0, 0.5, 1], [0.5, 0.5, 0.5], yerr=[[0.1] * 3, [0.1] * 3], fmt="o", label="series")
    ax.set_title("Judge accuracy per condition - " + LONG_RUN, loc="left")
    ax.legend(loc="center")
    problems = layout_problems(fig, LONG_RUN)
    plt.close(fig)
    assert any(p.startswith("text cut off") for p in problems)
    assert "legend covers a marker or an interval bar" in problems


def test_an_infinite_estimate_is_no_point_and_an_infinite_bound_no_bar() -> None:
    from oversight.figures.kit import errbar

    assert errbar({"estimate": float("inf"), "ci": [0.1, 0.9]}) is None
    assert errbar({"estimate": 0.5, "ci": [0.2, float("inf")]}) == (0.5, 0.0, 0.0)
    assert errbar({"estimate": 0.5, "ci": [0.25, 0.75]}) == (0.5, 0.25, 0.25)


@pytest.mark.parametrize("n", [2, 3, 5])
def test_long_run_names_on_the_x_axis_never_run_together(n: int) -> None:
    from oversight.figures import interval_plot

    groups = [f"20261204T05{k:02d}23Z-debate-demo-sweep-point-{k}" for k in range(n)]
    rec = {"estimate": 0.5, "ci": [0.3, 0.7], "ci_method": "wilson", "n": 10}
    fig = interval_plot(f"Runs side by side - {LONG_RUN}", groups, {"accuracy": [rec] * n}, ylabel="accuracy",
                        note="n = 10 verdicts per estimate.")
    _check([("compare", fig)], LONG_RUN)


def test_a_save_that_fails_part_way_leaves_no_figure_open(tmp_path: Path, monkeypatch: Any) -> None:
    from oversight.report import plots

    calls: list[str] = []

    def failing(fig: Any, out_dir: Path, stem: str) -> list[Path]:
        calls.append(stem)
        raise OSError(28, "No space left on device")
    before = set(plt.get_fignums())
    monkeypatch.setattr(plots, "save", failing)
    metrics = run_metrics(RunFolder.open(_extreme_debate(tmp_path)))
    with pytest.raises(OSError):
        plots.plot_run(tmp_path, metrics)
    assert calls and set(plt.get_fignums()) == before
