"""The interval methods the metrics name in metrics.json, against published values and
reference computations written here independently (Wilson as the root of its quadratic)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from oversight.stats.estimates import (
    Difference,
    Proportion,
    bayesian_bootstrap,
    bootstrap_mean,
    cluster_proportion,
    difference,
    paired_difference,
    proportion,
    wilson,
)

Z = 1.959963984540054


def wilson_by_roots(k: float, n: float) -> tuple[float, float]:
    """The Wilson bounds are the p solving (k/n - p)^2 = z^2 p (1 - p) / n."""
    phat = k / n
    a, b, c = 1 + Z * Z / n, -(2 * phat + Z * Z / n), phat * phat
    roots = sorted(np.roots([a, b, c]).real)
    return (max(0.0, roots[0]), min(1.0, roots[1]))


def method10_paired(e: int, f: int, g: int, h: int) -> tuple[float, float]:
    """Newcombe (1998b) method 10, spelled out from the paper's definitions."""
    n = e + f + g + h
    p1, p2 = (e + f) / n, (e + g) / n
    l1, u1 = wilson_by_roots(e + f, n)
    l2, u2 = wilson_by_roots(e + g, n)
    margins = (e + f) * (g + h) * (e + g) * (f + h)
    # Newcombe's numerator: ad - bc - N/2 above N/2, 0 up to N/2, ad - bc when negative.
    cross = e * h - f * g
    numerator = cross - n / 2 if cross > n / 2 else 0.0 if cross >= 0 else cross
    phi = numerator / math.sqrt(margins) if margins else 0.0
    delta = math.sqrt((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2)
    eps = math.sqrt((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2)
    return (p1 - p2 - delta, p1 - p2 + eps)


def table(e: int, f: int, g: int, h: int) -> list[tuple[int, int, int, int]]:
    """Per-item (k_a, n_a, k_b, n_b) for a paired 2x2 table: e both, f a only, g b only, h neither."""
    return [(1, 1, 1, 1)] * e + [(1, 1, 0, 1)] * f + [(0, 1, 1, 1)] * g + [(0, 1, 0, 1)] * h


def binary(k: int, n: int) -> list[tuple[int, int]]:
    return [(1, 1)] * k + [(0, 1)] * (n - k)


@pytest.mark.parametrize(("k", "n", "low", "high"), [
    # Newcombe (1998a), Table I, method 3 (score, no continuity correction)
    (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718),
])
def test_wilson_matches_newcombe_1998_table(k: int, n: int, low: float, high: float) -> None:
    assert wilson(k, n) == pytest.approx((low, high), abs=1e-4)
    rec = proportion(k, n)
    assert rec.ci == [low, high] and rec.ci_method == "wilson" and rec.k == k and rec.n == n


@pytest.mark.parametrize(("k", "n"), [(0, 1), (1, 1), (0, 4), (4, 4), (3, 7), (1, 2)])
def test_wilson_agrees_with_its_quadratic_at_the_extremes(k: int, n: int) -> None:
    low, high = wilson(k, n)
    assert (low, high) == pytest.approx(wilson_by_roots(k, n), abs=1e-12)
    assert low <= k / n <= high and high - low > 0.1  # never certain from a handful of units


def test_empty_proportion_is_strict_json() -> None:
    rec = proportion(0, 0)
    assert rec.estimate is None and rec.ci == [None, None]
    assert all(math.isnan(x) for x in wilson(0, 0))
    json.dumps(rec.dump(), allow_nan=False)
    assert cluster_proportion([]).n == 0 and cluster_proportion({}).estimate is None


def test_cluster_interval_equals_wilson_over_clusters_when_clusters_agree() -> None:
    # 7 transcripts judged in both orders, both verdicts the same: 5 right, 2 wrong.
    rec = cluster_proportion([(2, 2)] * 5 + [(0, 2)] * 2)
    assert rec.estimate == round(5 / 7, 4) and rec.k == 10 and rec.n == 14 and rec.clusters == 7
    assert rec.ci == [round(x, 4) for x in wilson(5, 7)] and rec.ci_method == "wilson-cluster"
    # At 0 and 1 the correlation cannot be seen, so it is taken as 1: Wilson over transcripts.
    assert cluster_proportion([(2, 2)] * 4).ci == [round(wilson(4, 4)[0], 4), 1.0]
    assert cluster_proportion([(0, 2)] * 4).ci == [0.0, round(wilson(0, 4)[1], 4)]


def test_cluster_interval_is_never_narrower_than_wilson_over_all_outcomes() -> None:
    # A judge that always picks the first-shown answer: one right, one wrong in every transcript.
    # The residuals are all zero (negative correlation); deff is held at 1, not 0.
    rec = cluster_proportion([(1, 2)] * 6)
    assert rec.estimate == 0.5 and rec.ci == [round(x, 4) for x in wilson(6, 12)]
    # Mixed clusters: the design effect sits between 1 and the cluster size.
    units = [(2, 2), (2, 2), (0, 2), (1, 2), (2, 2), (0, 2)]
    y = np.array([u[0] for u in units], float)
    p = y.sum() / 12
    deff = ((y - 2 * p) ** 2).sum() / (12 * p * (1 - p))
    assert 1 < deff < 2
    rec = cluster_proportion(units)
    assert rec.ci == pytest.approx(wilson_by_roots(p * 12 / deff, 12 / deff), abs=1e-4)
    # One outcome per cluster is plain Wilson.
    assert cluster_proportion(binary(3, 8)).dump() == proportion(3, 8).dump()


@pytest.mark.parametrize(("a", "b", "low", "high"), [
    # Newcombe (1998a), Table II, method 10
    ((56, 70), (48, 80), 0.0524, 0.3339), ((9, 10), (3, 10), 0.1705, 0.8090), ((5, 56), (0, 29), -0.0381, 0.1926),
    ((0, 10), (0, 20), -0.1611, 0.2775), ((0, 10), (0, 10), -0.2775, 0.2775), ((10, 10), (0, 10), 0.6075, 1.0),
])
def test_unpaired_difference_matches_newcombe_method_10(a: tuple[int, int], b: tuple[int, int], low: float,
                                                        high: float) -> None:
    rec = difference(binary(*a), binary(*b))
    assert rec.ci == pytest.approx([low, high], abs=1e-4)
    assert rec.ci_method == "newcombe" and not rec.paired and rec.n == a[1] + b[1]
    assert rec.estimate == round(a[0] / a[1] - b[0] / b[1], 4)


@pytest.mark.parametrize("cells", [(36, 12, 2, 0), (5, 5, 0, 0), (0, 0, 0, 12), (3, 0, 0, 0), (1, 1, 7, 12),
                                   (4, 2, 1, 5), (0, 1, 0, 0)])
def test_paired_difference_is_newcombe_1998b_method_10(cells: tuple[int, int, int, int]) -> None:
    rec = paired_difference(table(*cells))
    assert rec.ci == pytest.approx(method10_paired(*cells), abs=1e-4)
    assert rec.ci_method == "newcombe-paired" and rec.paired and rec.n == sum(cells)
    lo, hi = rec.ci
    assert lo is not None and hi is not None and lo <= (rec.estimate or 0) <= hi and hi - lo > 0


@pytest.mark.parametrize(("cells", "low", "high"), [
    # Newcombe (1998b), Table II, method 10: example (a), ad - bc < 0 (phi uncorrected).
    ((36, 12, 2, 0), 0.0569, 0.3404),
    # Newcombe (1998b), Table II, method 10: example (b), ad - bc > N/2 (phi corrected);
    # the plain phi gives [0.0618, 0.3239] here.
    ((18, 12, 2, 18), 0.0562, 0.3290),
    # Ten items judged alike in both conditions (5 both right, 5 neither): phi = (25 - 5) / 25,
    # the interval is +-0.1666, never [0, 0] (design notes, Fagerland et al. 2017's definition).
    ((5, 0, 0, 5), -0.1666, 0.1666),
])
def test_paired_difference_matches_newcombe_1998b_table(cells: tuple[int, int, int, int], low: float,
                                                        high: float) -> None:
    assert paired_difference(table(*cells)).ci == pytest.approx([low, high], abs=1e-4)


def test_all_zero_recall_still_has_an_honest_uplift_interval() -> None:
    # 12 items, 2 gold flaws each, none found with or without help: uplift 0, but not [0, 0].
    rec = paired_difference({f"i{i:02}": (0, 2, 0, 2) for i in range(12)})
    assert rec.estimate == 0.0 and rec.ci_method == "newcombe-paired-cluster" and rec.n == 12
    width = wilson(0, 12)[1]  # each margin counts as Wilson over 12 items at 0 of 12
    assert rec.ci == pytest.approx([-width, width], abs=1e-4)


def test_pairing_narrows_the_interval_when_items_move_together() -> None:
    same_items = table(10, 6, 0, 4)
    paired, unpaired = paired_difference(same_items), difference(
        [(a, n) for a, n, _, _ in same_items], [(b, n) for _, _, b, n in same_items])
    assert paired.estimate == unpaired.estimate == 0.3
    assert (paired.ci[1] - paired.ci[0]) < (unpaired.ci[1] - unpaired.ci[0])


def test_difference_with_an_empty_side_is_undefined_not_a_crash() -> None:
    for rec in (difference([], binary(2, 3)), paired_difference([]), paired_difference([(1, 0, 1, 1)])):
        assert isinstance(rec, Difference) and rec.estimate is None and rec.ci == [None, None]
        json.dumps(rec.dump(), allow_nan=False)


def test_order_of_units_does_not_change_any_number() -> None:
    rng = np.random.default_rng(5)
    units = {f"t{i}": (float(rng.integers(0, 3)), 2.0) for i in range(40)}
    shuffled = dict(sorted(units.items(), key=lambda kv: rng.random()))
    assert cluster_proportion(units) == cluster_proportion(shuffled)
    values = {k: v[0] / 2 for k, v in units.items()}
    assert bootstrap_mean(values, n_boot=500, seed=1) == bootstrap_mean(
        dict(reversed(list(values.items()))), n_boot=500, seed=1)


def test_bayesian_bootstrap_is_seeded_and_brackets_the_mean() -> None:
    values = [0.1, 0.4, 0.35, 0.8, 0.9, 0.55, 0.2, 0.65, 0.3, 0.45, 0.7, 0.15]
    a = bootstrap_mean(values, n_boot=4000, seed=3)
    assert a == bootstrap_mean(values, n_boot=4000, seed=3)
    assert a != bootstrap_mean(values, n_boot=4000, seed=4)
    lo, hi = a.ci
    assert a.ci_method == "bayesian-bootstrap" and lo < a.estimate < hi  # type: ignore[operator]
    # The Bayesian bootstrap of a mean is centred on it with spread about sd / sqrt(n).
    sd = float(np.std(values)) / math.sqrt(len(values))
    assert (hi - lo) == pytest.approx(2 * Z * sd, rel=0.2)  # type: ignore[operator]


def test_bayesian_bootstrap_ratio_is_undefined_when_the_base_often_resamples_to_zero() -> None:
    cols = np.array([[1.0, 0.0]] * 9 + [[0.5, 0.5]] * 3)
    ratio = lambda s: np.where(s[:, 1] > 0, s[:, 0] / np.where(s[:, 1] > 0, s[:, 1], 1), np.nan)  # noqa: E731
    # Dirichlet weights are never exactly 0, so the base is always positive here: defined.
    low, high = bayesian_bootstrap(cols, ratio, n_boot=300, seed=0)
    assert 1.0 < low < high
    zero_base = np.array([[1.0, 0.0]] * 8 + [[0.5, 0.0]] * 4)
    assert all(math.isnan(x) for x in bayesian_bootstrap(zero_base, ratio, n_boot=300, seed=0))


def test_records_dump_the_shared_vocabulary() -> None:
    p = cluster_proportion([(1, 2), (2, 2)]).dump()
    assert set(p) == {"estimate", "ci", "ci_method", "n", "k", "clusters", "level"}
    d = paired_difference(table(1, 1, 0, 1)).dump()
    assert set(d) == {"estimate", "ci", "ci_method", "n", "level", "estimate_a", "estimate_b", "paired"}
    assert p["level"] == d["level"] == 0.95
    assert Proportion.model_validate(p).ci == p["ci"]


# ---- an independent library as the oracle (statsmodels, test-only) -------------------------------

sm_prop = pytest.importorskip("statsmodels.stats.proportion")


@pytest.mark.parametrize(("k", "n"), [(0, 1), (1, 1), (0, 7), (3, 7), (7, 7), (81, 263), (1, 29), (50, 100)])
def test_wilson_agrees_with_statsmodels(k: int, n: int) -> None:
    assert wilson(k, n) == pytest.approx(sm_prop.proportion_confint(k, n, alpha=0.05, method="wilson"), abs=1e-9)


@pytest.mark.parametrize(("a", "b"), [((56, 70), (48, 80)), ((9, 10), (3, 10)), ((0, 10), (0, 20)),
                                      ((10, 10), (0, 10)), ((5, 56), (0, 29)), ((1, 3), (2, 2))])
def test_unpaired_difference_agrees_with_statsmodels_newcombe(a: tuple[int, int], b: tuple[int, int]) -> None:
    low, high = sm_prop.confint_proportions_2indep(a[0], a[1], b[0], b[1], method="newcomb", compare="diff")
    assert difference(binary(*a), binary(*b)).ci == pytest.approx([low, high], abs=1e-4)


@pytest.mark.parametrize("cells", [(3, 2, 2, 3), (2, 2, 2, 2), (3, 3, 2, 2), (4, 3, 2, 2), (5, 4, 3, 3)])
def test_paired_difference_without_correlation_is_the_independent_interval(
        cells: tuple[int, int, int, int]) -> None:
    # When 0 <= ad - bc <= N/2, Newcombe's phi is 0 and the paired interval is the independent
    # one of two samples of N: an oracle for the middle branch.
    e, f, g, h = cells
    n = sum(cells)
    assert 0 <= e * h - f * g <= n / 2
    low, high = sm_prop.confint_proportions_2indep(e + f, n, e + g, n, method="newcomb", compare="diff")
    assert paired_difference(table(*cells)).ci == pytest.approx([low, high], abs=1e-4)


def test_paired_difference_combines_statsmodels_wilson_margins() -> None:
    # Method 10 from statsmodels' Wilson margins and Newcombe's corrected phi (ad - bc > N/2).
    e, f, g, h = 18, 12, 2, 18
    n = 50
    p1, p2 = (e + f) / n, (e + g) / n
    l1, u1 = sm_prop.proportion_confint(e + f, n, method="wilson")
    l2, u2 = sm_prop.proportion_confint(e + g, n, method="wilson")
    phi = (e * h - f * g - n / 2) / math.sqrt((e + f) * (g + h) * (e + g) * (f + h))
    low = p1 - p2 - math.sqrt((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2)
    high = p1 - p2 + math.sqrt((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2)
    assert paired_difference(table(e, f, g, h)).ci == pytest.approx([low, high], abs=1e-4)


# ---- properties (hypothesis) ---------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

cells_st = st.tuples(*[st.integers(0, 30)] * 4).filter(lambda c: sum(c) > 0)


@settings(max_examples=300, deadline=None)
@given(cells_st)
def test_paired_interval_contains_its_estimate_within_bounds_never_zero_width(c: tuple[int, int, int, int]) -> None:
    rec = paired_difference(table(*c))
    lo, hi = rec.ci
    assert -1 <= lo <= rec.estimate <= hi <= 1  # type: ignore[operator]
    assert hi - lo > 0  # type: ignore[operator]
    assert rec.ci == pytest.approx(method10_paired(*c), abs=1e-4)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 40), st.integers(1, 40))
def test_wilson_contains_estimate_in_unit_interval_never_zero_width(k: int, n: int) -> None:
    k = min(k, n)
    lo, hi = wilson(k, n)
    assert 0 <= lo <= k / n <= hi <= 1 and hi - lo > 0


@settings(max_examples=200, deadline=None)
@given(st.tuples(*[st.integers(0, 8)] * 4).filter(lambda c: sum(c) > 0), st.integers(2, 5))
def test_paired_interval_is_wider_at_smaller_n(c: tuple[int, int, int, int], scale: int) -> None:
    # The same table scaled up (the same proportions from more items) never gives a wider interval.
    small, large = paired_difference(table(*c)), paired_difference(table(*(x * scale for x in c)))
    assert (small.ci[1] - small.ci[0]) >= (large.ci[1] - large.ci[0]) - 1e-4  # type: ignore[operator]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10), st.integers(1, 10), st.integers(0, 10), st.integers(1, 10), st.integers(2, 4))
def test_unpaired_interval_is_wider_at_smaller_n(ka: int, na: int, kb: int, nb: int, scale: int) -> None:
    ka, kb = min(ka, na), min(kb, nb)
    small = difference(binary(ka, na), binary(kb, nb))
    large = difference(binary(ka * scale, na * scale), binary(kb * scale, nb * scale))
    lo, hi = small.ci
    assert -1 <= lo <= small.estimate <= hi <= 1 and hi - lo > 0  # type: ignore[operator]
    assert (hi - lo) >= (large.ci[1] - large.ci[0]) - 1e-4  # type: ignore[operator]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=30))
def test_bootstrap_mean_is_never_a_point_interval(values: list[float]) -> None:
    rec = bootstrap_mean(values, n_boot=300, seed=0)
    if rec.ci is None:
        assert rec.ci_reason and rec.ci_reason.split(":")[0] in ("n too small", "no variation")
        assert len(values) < 10 or len(set(values)) == 1
        json.dumps(rec.dump(), allow_nan=False)
    else:
        lo, hi = rec.ci
        assert lo <= rec.estimate <= hi and hi > lo  # type: ignore[operator]


def test_bootstrap_refuses_one_unit_and_constant_values() -> None:
    one = bootstrap_mean([0.7], n_boot=500, seed=0).dump()
    assert one["ci"] is None and one["ci_reason"].startswith("n too small") and one["estimate"] == 0.7
    constant = bootstrap_mean([0.7] * 20, n_boot=500, seed=0).dump()
    assert constant["ci"] is None and constant["ci_reason"].startswith("no variation")
    assert all(math.isnan(x) for x in bayesian_bootstrap(np.full((20, 1), 0.7), lambda s: s[:, 0], n_boot=50,
                                                        seed=0))


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_mean_over_an_infinite_value_has_no_interval_and_no_warning() -> None:
    """numpy warns when the bootstrap's percentiles meet inf - inf; no interval can hold such a
    mean, so none is given, with the reason, and the estimate is what the mean is."""
    values = {f"t{k:02d}": 0.1 * (k % 7) for k in range(12)}
    one = bootstrap_mean({**values, "t05": math.inf}, n_boot=500, seed=0, units="transcripts")
    assert one.estimate == math.inf and one.ci is None
    assert one.ci_reason is not None and one.ci_reason.startswith("not finite: 1 of 12 transcripts")
    both = bootstrap_mean({**values, "t05": math.inf, "t06": -math.inf}, n_boot=500, seed=0)
    assert both.estimate is None and both.ci is None and "2 of 12" in str(both.ci_reason)
    assert bootstrap_mean(values, n_boot=500, seed=0).ci is not None  # finite values keep theirs
