"""The summary table: `inv` counts rating verdicts (as its legend says), each scale says how many
nodes were rated, the CI method is printed, and no interval leaves the 1-7 scale."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from oversight.protocols.summarize.metrics import _ratings, _rows, mean_ci
from oversight.report.tables import legend_for


def rating(i: int, faithfulness: float | None, coverage: float | None, stage: str = "level 0") -> dict[str, Any]:
    return {"transcript_id": "book", "view_key": f"node:{i}", "answer_kind": "rating", "stage": stage,
            "judge": {"kind": "model", "id": "m"}, "faithfulness": faithfulness, "coverage": coverage,
            "invalid": faithfulness is None or coverage is None}


def test_inv_counts_verdicts_not_invalid_scales() -> None:
    # 12 rating verdicts; 5 are invalid: 3 on both scales, 2 on one. Summing per scale said 8.
    js = [rating(i, 5.0, 4.0) for i in range(7)] + [rating(7 + i, None, None) for i in range(3)]
    js += [rating(10, None, 6.0), rating(11, 3.0, None)]
    tree = {"stages": {"level 0": {"nodes": 12, "compression": 3.0}}, "depth": 1, "width": 12, "calls": 12}
    [row] = _rows("hierarchical", tree, {"m": {"ratings": _ratings(js), "coherence": {}}})
    assert row["invalid"] == "5/12"
    assert row["judge"] == "m"  # one judge is still named (the table's header carries it)
    assert row["faithfulness rated"] == "8/12" and row["coverage rated"] == "8/12"
    assert row["method"] == "wilson-bounded"
    assert any("Wilson on the mean rescaled" in line for line in legend_for([row]))


def test_one_rated_node_of_three_says_so() -> None:
    js = [rating(0, 1.0, None, "root"), rating(1, None, None, "root"), rating(2, None, None, "root")]
    tree = {"stages": {"root": {"nodes": 3, "compression": 1.5}}, "depth": 1, "width": 3, "calls": 3}
    [row] = _rows("hierarchical", tree, {"m": {"ratings": _ratings(js), "coherence": {}}})
    assert row["faithfulness"] == 1.0 and row["faithfulness rated"] == "1/3" and row["coverage rated"] == "0/3"
    assert row["coverage 95% CI"] == "no valid score"  # none to average, which is not "too few"
    low, high = row["faithfulness 95% CI"]
    assert 1.0 <= low <= 1.0 < high <= 7.0
    assert row["invalid"] == "3/3"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 7), min_size=1, max_size=30))
def test_rating_intervals_stay_on_the_scale_and_contain_the_mean(values: list[int]) -> None:
    rec = mean_ci({f"n{i}": float(v) for i, v in enumerate(values)}, "rated nodes", 1.0, 7.0)
    low, high = rec["ci"]
    assert 1.0 <= low <= rec["estimate"] <= high <= 7.0 and high > low
