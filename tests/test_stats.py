"""The interval methods the metrics name in metrics.json."""

from __future__ import annotations

import math

import pytest

from oversight.stats import bootstrap_ci, mean, paired_bootstrap_ci, wilson


def test_wilson_matches_the_textbook_values() -> None:
    low, high = wilson(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    assert wilson(0, 5)[0] == 0.0 and 0 < wilson(0, 5)[1] < 0.5
    assert all(math.isnan(x) for x in wilson(0, 0))


def test_bootstrap_of_a_constant_is_that_constant() -> None:
    assert bootstrap_ci([0.5] * 7) == (0.5, 0.5)
    low, high = bootstrap_ci([0.0, 1.0] * 20, seed=3)
    assert low < 0.5 < high


def test_paired_bootstrap_difference_is_exact_when_every_item_moves_the_same() -> None:
    pairs = [(a + 0.25, a) for a in (0.0, 0.25, 0.5, 0.75)]
    diff = lambda ps: mean([x - y for x, y in ps])  # noqa: E731
    assert paired_bootstrap_ci(pairs, diff) == (0.25, 0.25)


def test_ratio_ci_is_undefined_when_the_baseline_often_resamples_to_zero() -> None:
    pairs = [(1.0, 0.0), (1.0, 0.0), (1.0, 0.0), (0.5, 0.5)]

    def ratio(ps):  # type: ignore[no-untyped-def]
        base = mean([y for _, y in ps])
        return float("nan") if base == 0 else mean([x for x, _ in ps]) / base

    low, high = paired_bootstrap_ci(pairs, ratio, n_boot=500)
    assert math.isnan(low) and math.isnan(high)
    steady = [(1.0, 0.5)] * 6
    assert paired_bootstrap_ci(steady, ratio, n_boot=200) == (2.0, 2.0)
