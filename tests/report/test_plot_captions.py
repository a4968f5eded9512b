"""Figure captions are built from metrics.json: the n, the clusters and the interval methods a
caption names are those of the records it plots, never a fixed sentence."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pytest
from rich.console import Console

from oversight.report.plots import PlotContext, method_name
from oversight.protocols.debate.figures import debate_plots
from oversight.protocols.summarize.figures import summarize_plots
from oversight.report.build import report
from tests.helpers.report_runs import debate_run


@pytest.fixture(autouse=True)
def _close_figures() -> Any:
    """These tests read the drawers' figures without saving them: close them after each."""
    yield
    plt.close("all")


def caption_of(fig: Any) -> str:
    return " ".join(fig._supxlabel.get_text().split())  # noqa: SLF001  (matplotlib keeps it there)


def _run(tmp_path: Path) -> dict[str, Any]:
    # 4 items; debate judged in both orders (one swapped verdict invalid), consultancy in one order only.
    verdicts = {f"i{k}:debate": [("original", 0.8), ("swapped", 0.3 if k == 1 else (None if k == 2 else 0.9))]
                for k in range(4)}
    verdicts.update({f"i{k}:consultancy": [("original", 0.6 if k % 2 else 0.4)] for k in range(4)})
    run = debate_run(tmp_path, "20261130T120000Z-captions", verdicts=verdicts, correct={f"i{k}": 0 for k in range(4)})
    report([run], Console(file=io.StringIO(), width=80))
    return json.loads((run / "metrics.json").read_text())


def test_debate_captions_state_the_n_clusters_and_methods_in_metrics_json(tmp_path: Path) -> None:
    metrics = _run(tmp_path)
    judge = metrics["judges"][0]
    by_c = {c: m[judge] for c, m in metrics["conditions"].items()}
    figures = dict(debate_plots(metrics, PlotContext(run="r")))
    accuracy = caption_of(figures["debate_accuracy"])
    for c, m in by_c.items():
        assert f"{c} {m['accuracy']['n']}" in accuracy or f"n = {m['accuracy']['n']} verdicts" in accuracy
        assert method_name(m["accuracy"]["ci_method"]) in accuracy
        for rec in m["accuracy_by_order"].values():
            assert method_name(rec["ci_method"]) in accuracy
    methods = {r["ci_method"] for m in by_c.values() for r in [m["accuracy"], *m["accuracy_by_order"].values()]}
    assert ("cluster-adjusted" in accuracy) == any("cluster" in x for x in methods)
    bias = caption_of(figures["debate_position_bias"])
    rec = by_c["debate"]["chose_first_shown"]
    assert f"{by_c['debate']['chose_first_shown']['n']}" in bias and "valid verdicts" in bias
    if rec.get("clusters") not in (None, rec["n"]):
        assert f"in {rec['clusters']} transcripts" in bias  # 7 valid verdicts in 4 transcripts, not "n = 4"
    assert method_name(rec["ci_method"]) in bias


def test_a_summary_caption_never_prints_a_question_mark_and_names_refused_intervals() -> None:
    rating = {"ci_method": "wilson-bounded over rated nodes"}
    metrics = {"protocol": "summarize", "strategies": {"hierarchical": {"judges": {"model:m": {"ratings": {
        "level 0": {"faithfulness": {"estimate": 5.5, "ci": [5.0, 6.0], "n": 8, **rating},
                    "coverage": {"estimate": None, "ci": None, "ci_method": None, "n": 0}},
        "root": {"faithfulness": {"estimate": 4.0, "ci": [1.0, 6.8], "n": 1, **rating},
                 "coverage": {"estimate": 3.0, "ci": None, "ci_method": "bayesian-bootstrap", "n": 1,
                              "ci_reason": "n too small: n = 1"}}}}}}}}
    [(_, fig)] = summarize_plots(metrics, PlotContext(run="r"))
    text = caption_of(fig)
    assert "?" not in text and "Wilson on the mean rescaled" in text and "over rated nodes" in text
    assert "No interval where n too small" in text
    assert fig.axes[0].get_title(loc="left").endswith("\njudge: model:m")  # whose ratings these are


def test_a_caption_says_each_sentence_once(tmp_path: Path) -> None:
    """Every condition and order judged alike: the per-order n and method are not repeated."""
    verdicts = {f"i{k}:{c}": [("original", 0.8), ("swapped", 0.7)] for k in range(4) for c in ("debate", "blind")}
    run = debate_run(tmp_path, "20261130T120000Z-alike", verdicts=verdicts, correct={f"i{k}": 0 for k in range(4)})
    report([run], Console(file=io.StringIO(), width=80))
    metrics = json.loads((run / "metrics.json").read_text())
    accuracy = caption_of(dict(debate_plots(metrics, PlotContext(run="r")))["debate_accuracy"])
    sentences = [s.strip() for s in accuracy.split(". ") if s.strip()]
    assert len(sentences) == len(set(sentences)), accuracy
    assert "same for each order" in accuracy and "n = 4 verdicts" in accuracy


def test_a_scale_with_no_valid_rating_is_named_in_the_caption_not_dropped() -> None:
    none = {"estimate": None, "ci": None, "ci_method": "wilson-bounded over rated nodes", "n": 0,
            "ci_reason": "no valid score: none among the rated nodes"}
    metrics = {"protocol": "summarize", "strategies": {"hierarchical": {"judges": {"model:m": {"ratings": {
        "level 0": {"faithfulness": {**none, "invalid": 9}, "coverage": {**none, "invalid": 7}},
        "root": {"faithfulness": {**none, "invalid": 1},
                 "coverage": {"estimate": 4.0, "ci": [2.0, 6.0], "n": 2, "ci_method": "wilson-bounded over rated nodes",
                              "invalid": 0}}}}}}}}
    [(_, fig)] = summarize_plots(metrics, PlotContext(run="r"))
    text = caption_of(fig)
    assert "faithfulness, no valid rating (10 invalid)" in text
    assert "coverage at level 0, no valid rating (7 invalid)" in text
    assert "no estimates" not in text

    for stage in metrics["strategies"]["hierarchical"]["judges"]["model:m"]["ratings"].values():
        stage["coverage"] = {**none, "invalid": 1}
    [(_, fig)] = summarize_plots(metrics, PlotContext(run="r"))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "no estimate to draw" in texts and "coverage, no valid rating (2 invalid)" in caption_of(fig)


def test_invalid_verdicts_and_conditions_without_a_point_are_named_in_the_caption(tmp_path: Path) -> None:
    metrics = _run(tmp_path)
    judge = metrics["judges"][0]
    debate = metrics["conditions"]["debate"][judge]
    assert debate["invalid"] == 1
    consultancy = metrics["conditions"]["consultancy"][judge]  # as if every consultancy unit had failed
    consultancy.update(verdicts=0, invalid=0, failed_transcripts=4,
                       accuracy={**consultancy["accuracy"], "estimate": None, "ci": None, "n": 0, "k": 0})
    accuracy = caption_of(dict(debate_plots(metrics, PlotContext(run="r")))["debate_accuracy"])
    assert f"Invalid verdicts count as not correct: debate 1 of {debate['verdicts']}" in accuracy
    assert "No point for consultancy (0 verdicts, 4 failed units)" in accuracy


def test_critique_captions_name_each_severity_beside_its_count() -> None:
    from oversight.protocols.critique.figures import critique_plots
    rec = {"estimate": 0.2, "ci": [-0.1, 0.5], "ci_method": "bayesian-bootstrap", "n": 6}
    recall = {"assisted": {**rec, "n": 12}, "unassisted": {**rec, "n": 12}}
    metrics = {"protocol": "critique", "by_judge": {"model:j": {
        "recall": recall, "uplift": rec,
        "by_severity": {"1": {"recall": recall, "uplift": {**rec, "n": 1}}, "2": {"recall": recall, "uplift": {**rec, "n": 3}}}}}}
    figures = dict(critique_plots(metrics, PlotContext(run="r")))
    uplift = caption_of(figures["critique_uplift"])
    assert "all severities: 6; severity 1: 1; severity 2: 3" in uplift, uplift


def test_the_critique_recall_caption_counts_each_severity_once_when_the_conditions_share_it() -> None:
    from oversight.protocols.critique.figures import critique_plots

    def rec(n: int, clusters: int | None = None) -> dict[str, Any]:
        return {"estimate": 0.2, "ci": [0.05, 0.5], "ci_method": "wilson-cluster" if clusters else "wilson", "n": n,
                **({"clusters": clusters} if clusters else {})}

    def caption(unassisted_all: dict[str, Any]) -> str:
        block = {"recall": {"assisted": rec(19, 8), "unassisted": unassisted_all},
                 "by_severity": {"1": {"recall": {"assisted": rec(2), "unassisted": rec(2)}},
                                 "3": {"recall": {"assisted": rec(8, 6), "unassisted": rec(8, 6)}}}}
        figures = dict(critique_plots({"protocol": "critique", "by_judge": {"model:j": block}}, PlotContext(run="r")))
        return caption_of(figures["critique_recall"])

    assert caption(rec(19, 8)).startswith("n (gold flaws in each condition): all severities: 19 in 8 "
                                          "items; severity 1: 2; severity 3: 8 in 6 items. 95% CI:")
    # a failed view leaves one condition a flaw short: then each is counted on its own
    assert caption(rec(18, 8)).startswith("n (gold flaws): all severities assisted: 19 in 8 items; all severities "
                                          "unassisted: 18 in 8 items; severity 1 assisted: 2; severity 1 unassisted: 2;")


def test_a_severity_with_no_estimate_is_named_as_not_drawn() -> None:
    """A severity no item has gold flaws of, in one condition, is no point: the caption says so."""
    from oversight.protocols.critique.figures import critique_plots

    rec = {"estimate": 0.5, "ci": [0.1, 0.9], "ci_method": "wilson", "n": 4}
    empty = {"estimate": None, "ci": None, "ci_method": "wilson", "n": 0}
    block = {"recall": {"assisted": rec, "unassisted": rec}, "uplift": {**rec, "ci_method": "newcombe-paired"},
             "by_severity": {"1": {"recall": {"assisted": rec, "unassisted": rec}, "uplift": None},
                             "4": {"recall": {"assisted": empty, "unassisted": rec}, "uplift": None}}}
    figures = dict(critique_plots({"protocol": "critique", "by_judge": {"model:j": block}}, PlotContext(run="r")))
    recall, uplift = caption_of(figures["critique_recall"]), caption_of(figures["critique_uplift"])
    assert recall.endswith("Not drawn (no estimate): severity 4 assisted.")
    assert uplift.endswith("Not drawn (no estimate): severity 1, severity 4.")
    full = caption_of(critique_plots({"protocol": "critique", "by_judge": {"model:j": {
        "recall": {"assisted": rec, "unassisted": rec}, "uplift": rec}}}, PlotContext(run="r"))[0][1])
    assert "Not drawn" not in full
