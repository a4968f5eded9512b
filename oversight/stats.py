"""Confidence intervals researchers can name in a paper: Wilson for proportions,
percentile bootstrap (paired where conditions share items) for everything else."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence

Z95 = 1.959963984540054


def wilson(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval; well-behaved at 0, 1 and small n, unlike the normal approximation."""
    if n <= 0:
        return (float("nan"), float("nan"))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def bootstrap_ci(
    values: Sequence[float],
    statistic: Callable[[Sequence[float]], float] = mean,
    *,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap over units (resampled with replacement)."""
    if not values:
        return (float("nan"), float("nan"))
    rng = random.Random(seed)
    n = len(values)
    stats = sorted(statistic([values[rng.randrange(n)] for _ in range(n)]) for _ in range(n_boot))
    return _percentiles(stats, level)


def paired_bootstrap_ci(
    pairs: Sequence[tuple[float, float]],
    statistic: Callable[[Sequence[tuple[float, float]]], float],
    *,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
    min_defined: float = 0.95,
) -> tuple[float, float]:
    """Resample items, keeping each item's two conditions together (the paired design).

    A statistic can be undefined on some resamples (a ratio whose baseline resamples to 0);
    percentiles over the rest would describe a conditional distribution and look tighter than
    they are, so if fewer than `min_defined` of the resamples are defined the CI is (nan, nan).
    """
    if not pairs:
        return (float("nan"), float("nan"))
    rng = random.Random(seed)
    n = len(pairs)
    stats = []
    for _ in range(n_boot):
        value = statistic([pairs[rng.randrange(n)] for _ in range(n)])
        if not math.isnan(value):
            stats.append(value)
    stats.sort()
    if not stats or len(stats) < min_defined * n_boot:
        return (float("nan"), float("nan"))
    return _percentiles(stats, level)


def _percentiles(sorted_stats: Sequence[float], level: float) -> tuple[float, float]:
    alpha = (1 - level) / 2
    last = len(sorted_stats) - 1
    return (sorted_stats[round(alpha * last)], sorted_stats[round((1 - alpha) * last)])
