"""The records every estimate in metrics.json is (`Estimate`, `Proportion`, `Difference`), and
the rounding and unit order they are computed with. Below the interval methods, so the methods
(oversight.stats.estimates, oversight.stats.bootstrap) all build on the same records."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

LEVEL = 0.95
Z95 = 1.959963984540054
T = TypeVar("T")




class Estimate(BaseModel):
    """A point estimate and a confidence interval for the same statistic."""

    model_config = ConfigDict(extra="forbid")

    estimate: float | None
    """The statistic; None when there are no units."""
    ci: list[float | None] | None
    """[lo, hi] at `level`; [None, None] when there are no units; None when the method
    cannot give an honest interval at this n (`ci_reason` says why)."""
    ci_method: str
    """How `ci` was computed (the names are listed in oversight.stats.estimates)."""
    n: int
    """Units behind the estimate (verdicts, flaws, transcripts, items)."""
    level: float = LEVEL
    """Confidence level of `ci`."""
    ci_reason: str | None = None
    """Why `ci` is None ("n too small: ...", "no variation: ..."); left out of the dump otherwise."""

    def dump(self) -> dict[str, Any]:
        out = self.model_dump()
        if out.get("ci_reason") is None:
            out.pop("ci_reason", None)
        return out


class Proportion(Estimate):
    """k successes of n, with a score interval."""

    k: float
    """Successes (fractional when ties count half)."""
    clusters: int | None = None
    """Independent units when outcomes are clustered (transcripts, items); None otherwise."""


class Difference(Estimate):
    """estimate = estimate_a - estimate_b, with its own interval; `n` is the items used."""

    estimate_a: float | None
    estimate_b: float | None
    paired: bool
    """True when both terms come from the same items (the correlation narrows the interval)."""


def z_value(level: float = LEVEL) -> float:
    return Z95 if level == LEVEL else NormalDist().inv_cdf(0.5 + level / 2)


def rounded(x: float | None) -> float | None:
    """4 decimals for metrics.json; NaN and None become None (strict JSON)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(float(x), 4)


def by_id(units: Mapping[str, T] | Sequence[T]) -> list[T]:
    """Values in a fixed order: a mapping is sorted by unit id, a sequence kept as given."""
    if isinstance(units, Mapping):
        return [units[key] for key in sorted(units)]
    return list(units)


__all__ = ["LEVEL", "Z95", "Difference", "Estimate", "Proportion", "by_id", "rounded", "z_value"]
