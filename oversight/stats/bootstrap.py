"""The Bayesian bootstrap (Dirichlet(1, ..., 1) weights over units, seeded, numpy-vectorised,
percentile interval), and when a resampling interval would not be honest. The method's
definition is with the others in oversight.stats.estimates ("bayesian-bootstrap")."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from oversight.stats.records import LEVEL, Estimate, by_id, rounded

_CHUNK = 1_000_000  # weights per resampling block, to bound memory
MIN_BOOTSTRAP_UNITS = 10
"""Fewest units a resampling interval is given for: below it the percentile interval of a
bootstrap covers far less often than it claims (it ignores the t-like spread of small n)."""


def resampling_refusal(columns: np.ndarray | Sequence[Any], units: str = "units") -> str | None:
    """Why a resampling interval over these rows (one per unit) would not be honest, or None.

    Fewer than MIN_BOOTSTRAP_UNITS units: "n too small"; a value that is infinite or NaN: "not
    finite" (every resample's mean would be too: numpy warns, and no interval is true); every
    row the same: "no variation" (every resample is then the data itself, a zero-width interval
    no data can justify)."""
    x = np.asarray(columns, dtype=float)
    m = len(x)
    if m < MIN_BOOTSTRAP_UNITS:
        return f"n too small: n = {m}, a resampling interval needs at least {MIN_BOOTSTRAP_UNITS} {units}"
    bad = int((~np.isfinite(x)).reshape(m, -1).any(axis=1).sum())
    if bad:
        return f"not finite: {bad} of {m} {units} have an infinite or undefined value, so no interval can hold the mean"
    if np.all(x == x[:1]):
        return f"no variation: all {m} {units} have the same value, so resampling cannot show the uncertainty"
    return None


def bayesian_bootstrap(
    columns: np.ndarray,
    statistic: Callable[[np.ndarray], np.ndarray],
    *,
    n_boot: int,
    seed: int,
    level: float = LEVEL,
    min_defined: float = 0.95,
) -> tuple[float, float]:
    """Percentile interval of `statistic` under Dirichlet(1, ..., 1) weights over the rows.

    `columns` is units x c (rows already in id order); `statistic` maps the (draws x c) matrix
    of weighted column means to one value per draw (NaN where undefined). If fewer than
    `min_defined` of the draws are defined (a ratio whose base resamples to 0), percentiles
    would describe a conditional distribution and look tighter than they are: (nan, nan).
    Rows that `resampling_refusal` turns down give (nan, nan) too.
    """
    x = np.asarray(columns, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    m = len(x)
    if m == 0 or n_boot <= 0 or resampling_refusal(x) is not None:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    rows = max(1, _CHUNK // m)
    draws = []
    for start in range(0, n_boot, rows):
        w = rng.standard_exponential((min(rows, n_boot - start), m))
        w /= w.sum(axis=1, keepdims=True)
        draws.append(statistic(w @ x))
    stats = np.concatenate(draws)
    stats = stats[~np.isnan(stats)]
    if len(stats) == 0 or len(stats) < min_defined * n_boot:
        return (float("nan"), float("nan"))
    alpha = (1 - level) / 2
    low, high = np.quantile(stats, [alpha, 1 - alpha])
    return float(low), float(high)


def bootstrap_mean(values: Mapping[str, float] | Sequence[float], *, n_boot: int, seed: int,
                   level: float = LEVEL, units: str = "units") -> Estimate:
    """Mean of per-unit values with a Bayesian-bootstrap interval (units sorted by id); no
    interval, with its reason, when `resampling_refusal` says it would not be honest."""
    x = np.asarray(by_id(values), dtype=float)
    if len(x) == 0:
        return Estimate(estimate=None, ci=[None, None], ci_method="bayesian-bootstrap", n=0, level=level)
    reason = resampling_refusal(x, units)
    if reason is not None:
        with np.errstate(invalid="ignore"):  # inf and -inf together: the mean is undefined (None)
            mean = float(x.mean())
        return Estimate(estimate=rounded(mean), ci=None, ci_method="bayesian-bootstrap", n=len(x),
                        level=level, ci_reason=reason)
    low, high = bayesian_bootstrap(x, lambda s: s[:, 0], n_boot=n_boot, seed=seed, level=level)
    return Estimate(estimate=rounded(float(x.mean())), ci=[rounded(low), rounded(high)],
                    ci_method="bayesian-bootstrap", n=len(x), level=level)


__all__ = ["MIN_BOOTSTRAP_UNITS", "bayesian_bootstrap", "bootstrap_mean", "resampling_refusal"]
