"""One vocabulary for every number a protocol reports, and interval methods a paper can name.

Every estimate in metrics.json is one of three records (plain JSON dicts once dumped):
- `Estimate`: `estimate`, `ci` ([lo, hi]), `ci_method`, `n`, `level`; used for means.
- `Proportion`: an Estimate plus `k` (successes; may be fractional when a tie counts half)
  and `clusters` (units the interval treats as independent, when that differs from `n`).
- `Difference`: an Estimate of `estimate_a - estimate_b`, with both terms, `paired`, and `n`
  = the items used.

Methods (the `ci_method` names):
- "wilson": Wilson score interval; honest at 0, 1 and small n.
- "wilson-cluster": several correlated outcomes per unit (a transcript judged in both answer
  orders, an item's gold flaws). Wilson with the effective sample size n / deff, deff
  estimated from the spread of the per-cluster residuals (the ratio-estimator variance over
  the binomial one), never below 1; at an estimate of 0 or 1 the data cannot show the
  correlation, so deff takes its largest value (intra-cluster correlation 1), which makes the
  interval Wilson over clusters; so does a single cluster (its residual is 0 by construction,
  so it cannot show the correlation either). When every cluster is unanimous the interval
  equals Wilson over the clusters.
- "newcombe": Newcombe (1998) method 10, the hybrid score interval for the difference of two
  independent proportions, from the two Wilson intervals.
- "newcombe-paired": Newcombe (1998b) method 10 for paired proportions (the same units in both
  conditions): the two Wilson intervals combined with Newcombe's corrected phi. With the 2x2
  table (a both, b first only, c second only, d neither; N items) the numerator of phi is
  ad - bc - N/2 when ad - bc > N/2, 0 when 0 <= ad - bc <= N/2, and ad - bc when negative;
  phi = 0 when a margin is empty. (The plain phi gives intervals that are too narrow and
  collapse to [0, 0] when every item is judged alike.)
- "newcombe-cluster" / "newcombe-paired-cluster": the same square-and-add construction
  (MOVER, Zou & Donner 2008) from the two "wilson-cluster" intervals, the correlation being
  that of the per-cluster residuals with the same correction (the cross-product sum of the
  residuals is ad - bc over N for binary items, so its correction is 1/2; on clusters it is
  N/2 on the two intervals' effective sample sizes, deff_a * deff_b / 2 in those units, so
  clusters whose outcomes all agree give exactly method 10 over clusters); with one outcome
  per unit it is exactly method 10.
- "bayesian-bootstrap": Dirichlet(1, ..., 1) weights over units, numpy-vectorised and seeded,
  percentile interval. Its width comes only from variation between units, so it gives no
  interval (`ci` null and `ci_reason` saying why) when it cannot be honest: fewer than
  `MIN_BOOTSTRAP_UNITS` units ("n too small"), or every unit the same ("no variation"). It is
  used only for means of non-binary values (mean p(correct)) and ratios, never for proportions.

Units are sorted by id before any computation that could depend on order, so the numbers
never depend on the order in which units finished.

The records live in oversight.stats.records and the resampling in oversight.stats.bootstrap;
this module is the one place protocols import them from.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

from oversight.stats.bootstrap import MIN_BOOTSTRAP_UNITS, bayesian_bootstrap, bootstrap_mean, resampling_refusal
from oversight.stats.records import LEVEL, Z95, Difference, Estimate, Proportion, by_id, rounded, z_value

_EPS = 1e-12
T = TypeVar("T")


def wilson(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval; `successes` and `n` may be fractional (effective sizes)."""
    if n <= 0:
        return (float("nan"), float("nan"))
    p = min(max(successes / n, 0.0), 1.0)
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if p <= _EPS else max(0.0, centre - half)
    high = 1.0 if p >= 1 - _EPS else min(1.0, centre + half)
    return (low, high)


def proportion(k: float, n: int, level: float = LEVEL) -> Proportion:
    """k of n independent outcomes, Wilson interval."""
    low, high = wilson(k, n, z_value(level)) if n else (float("nan"), float("nan"))
    return Proportion(estimate=rounded(k / n) if n else None, ci=[rounded(low), rounded(high)],
                      ci_method="wilson", n=n, k=rounded(k) or 0.0, level=level)


def _clusters(units: Mapping[str, tuple[float, float]] | Sequence[tuple[float, float]]) -> np.ndarray:
    """(successes, trials) per cluster as an array, clusters without trials dropped."""
    arr = np.asarray(by_id(units), dtype=float).reshape(-1, 2)
    return arr[arr[:, 1] > 0]


def _design_effect(y: np.ndarray, m: np.ndarray, p: float) -> float:
    """Variance of the ratio estimator over the binomial one, never below 1 (module docstring)."""
    total = float(m.sum())
    if p <= _EPS or p >= 1 - _EPS or len(m) < 2:
        return float((m * m).sum()) / total
    return max(1.0, float(((y - p * m) ** 2).sum()) / (total * p * (1 - p)))


def _cluster_interval(y: np.ndarray, m: np.ndarray, z: float) -> tuple[float, float, float]:
    """(p, lo, hi): Wilson on the effective sample size N / deff (see the module docstring)."""
    total = float(m.sum())
    p = float(y.sum()) / total
    n_eff = total / _design_effect(y, m, p)
    low, high = wilson(p * n_eff, n_eff, z)
    return p, low, high


def cluster_proportion(
    units: Mapping[str, tuple[float, float]] | Sequence[tuple[float, float]], level: float = LEVEL
) -> Proportion:
    """A proportion over clustered outcomes: `units` gives (successes, trials) per cluster.

    With one trial per cluster this is exactly `proportion` (method "wilson").
    """
    arr = _clusters(units)
    y, m = arr[:, 0], arr[:, 1]
    if len(arr) == 0:
        return proportion(0, 0, level)
    if np.all(m == 1):
        return proportion(float(y.sum()), len(arr), level)
    p, low, high = _cluster_interval(y, m, z_value(level))
    return Proportion(estimate=rounded(p), ci=[rounded(low), rounded(high)], ci_method="wilson-cluster",
                      n=int(round(m.sum())), k=rounded(float(y.sum())) or 0.0, clusters=len(arr), level=level)


def _mover(pa: float, la: float, ua: float, pb: float, lb: float, ub: float, phi: float) -> tuple[float, float]:
    """Square-and-add interval for pa - pb from the two intervals and their correlation."""
    d = pa - pb
    low = d - math.sqrt(max(0.0, (pa - la) ** 2 - 2 * phi * (pa - la) * (ub - pb) + (ub - pb) ** 2))
    high = d + math.sqrt(max(0.0, (ua - pa) ** 2 - 2 * phi * (ua - pa) * (pb - lb) + (pb - lb) ** 2))
    return max(-1.0, low), min(1.0, high)


def _undefined_difference(n: int, paired: bool, level: float) -> Difference:
    method = "newcombe-paired" if paired else "newcombe"
    return Difference(estimate=None, ci=[None, None], ci_method=method, n=n, estimate_a=None, estimate_b=None,
                      paired=paired, level=level)


def difference(
    a: Mapping[str, tuple[float, float]] | Sequence[tuple[float, float]],
    b: Mapping[str, tuple[float, float]] | Sequence[tuple[float, float]],
    level: float = LEVEL,
) -> Difference:
    """Independent samples: (successes, trials) per cluster in each; Newcombe method 10.

    `n` is the clusters used in both samples together.
    """
    ya, yb = _clusters(a), _clusters(b)
    if len(ya) == 0 or len(yb) == 0:
        return _undefined_difference(len(ya) + len(yb), False, level)
    z = z_value(level)
    pa, la, ua = _cluster_interval(ya[:, 0], ya[:, 1], z)
    pb, lb, ub = _cluster_interval(yb[:, 0], yb[:, 1], z)
    low, high = _mover(pa, la, ua, pb, lb, ub, 0.0)
    clustered = bool(np.any(ya[:, 1] != 1) or np.any(yb[:, 1] != 1))
    return Difference(estimate=rounded(pa - pb), ci=[rounded(low), rounded(high)],
                      ci_method="newcombe-cluster" if clustered else "newcombe", n=len(ya) + len(yb),
                      estimate_a=rounded(pa), estimate_b=rounded(pb), paired=False, level=level)


def corrected_phi(cross: float, squares: float, correction: float = 0.5) -> float:
    """Newcombe's (1998b) phi from the residual cross-product sum and the product of the two
    residual sums of squares. For binary items cross = (ad - bc) / N and squares = the product
    of the four margins / N^2, so this is (ad - bc - N/2) / sqrt(margins) when ad - bc > N/2,
    0 when 0 <= ad - bc <= N/2, (ad - bc) / sqrt(margins) when negative; 0 when a margin is 0.
    `correction` is the N/2 in cross-product units: 1/2 for binary items; clustered callers
    scale it with the size of their residuals."""
    if squares <= _EPS:
        return 0.0
    if cross > correction + _EPS:
        cross -= correction
    elif cross >= -_EPS:
        return 0.0
    return max(-1.0, min(1.0, cross / math.sqrt(squares)))


def paired_difference(
    pairs: Mapping[str, tuple[float, float, float, float]] | Sequence[tuple[float, float, float, float]],
    level: float = LEVEL,
) -> Difference:
    """Paired samples: (successes_a, trials_a, successes_b, trials_b) per item.

    One binary outcome per item and condition gives Newcombe (1998b) method 10 exactly: the
    correlation of the residuals is then phi of the 2x2 table, with Newcombe's correction of
    its numerator (see `corrected_phi`), 0 when a margin is empty.
    """
    arr = np.asarray(by_id(pairs), dtype=float).reshape(-1, 4)
    arr = arr[(arr[:, 1] > 0) & (arr[:, 3] > 0)]
    if len(arr) == 0:
        return _undefined_difference(0, True, level)
    ya, ma, yb, mb = arr.T
    z = z_value(level)
    pa, la, ua = _cluster_interval(ya, ma, z)
    pb, lb, ub = _cluster_interval(yb, mb, z)
    ra, rb = ya - pa * ma, yb - pb * mb
    # Method 10's N/2 taken on the effective sample sizes the two intervals use: in
    # cross-product units that is deff_a * deff_b / 2, so unanimous clusters (a transcript
    # judged alike in both orders) give method 10 over clusters.
    correction = 0.5 * _design_effect(ya, ma, pa) * _design_effect(yb, mb, pb)
    phi = corrected_phi(float((ra * rb).sum()), float((ra * ra).sum()) * float((rb * rb).sum()), correction)
    low, high = _mover(pa, la, ua, pb, lb, ub, phi)
    clustered = bool(np.any(ma != 1) or np.any(mb != 1))
    return Difference(estimate=rounded(pa - pb), ci=[rounded(low), rounded(high)],
                      ci_method="newcombe-paired-cluster" if clustered else "newcombe-paired", n=len(arr),
                      estimate_a=rounded(pa), estimate_b=rounded(pb), paired=True, level=level)


def short_reason(reason: str | None) -> str:
    """The table's cell for an interval that was not given: the reason before its colon."""
    return (reason or "n/a").split(":", 1)[0]


def ci_cell(rec: Mapping[str, Any] | None) -> Any:
    """What a table prints for a record's interval: [lo, hi], or why there is none."""
    if not rec:
        return None
    ci = rec.get("ci")
    if ci is None or None in ci:
        return short_reason(rec.get("ci_reason")) if rec.get("ci_reason") else None
    return ci


# Bookkeeping both protocols' metrics share.


def setting(params: Any, name: str, default: T) -> T:
    """A metrics setting from the protocol's params object (or a dict, or None in tests)."""
    if isinstance(params, Mapping):
        return params.get(name, default)  # type: ignore[no-any-return]
    return getattr(params, name, default)  # type: ignore[no-any-return]


def judge_name(judgment: Mapping[str, Any]) -> str:
    """How a judge is named in metrics.json: a model judge by its id, a person as human/ID."""
    ref = judgment.get("judge") or {}
    if ref.get("kind") == "human":
        return f"human/{ref.get('id', '?')}"
    return str(ref.get("id", "?"))


def judge_order(judgments: Sequence[Mapping[str, Any]]) -> list[str]:
    """Judge names, the run's built-in judge first (its judgments carry the unit's `attempt`),
    then other model judges, then people; alphabetical within each."""
    rank: dict[str, int] = {}
    for j in judgments:
        name = judge_name(j)
        r = 0 if j.get("attempt") is not None else 2 if name.startswith("human/") else 1
        rank[name] = min(r, rank.get(name, r))
    return sorted(rank, key=lambda name: (rank[name], name))


__all__ = [
    "LEVEL",
    "Z95",
    "MIN_BOOTSTRAP_UNITS",
    "Difference",
    "Estimate",
    "Proportion",
    "bayesian_bootstrap",
    "bootstrap_mean",
    "by_id",
    "ci_cell",
    "cluster_proportion",
    "corrected_phi",
    "difference",
    "judge_name",
    "judge_order",
    "paired_difference",
    "proportion",
    "resampling_refusal",
    "rounded",
    "setting",
    "short_reason",
    "wilson",
    "z_value",
]
